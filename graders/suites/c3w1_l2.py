"""Lab C3W1-L2 "Transfer learning with ResNet50 on CIFAR-10", as a practice suite.

It scores like an assignment but counts for nothing in a grade. ResNet50 is
never downloaded (see `graders.worker.pretrained`).
"""

from __future__ import annotations

import numpy as np

from graders.authoring import Assignment, Exercise, Hint, Verdict, compare, shape_of
from graders.suites import common

IMAGE_SHAPE = (32, 32, 3)
RESNET_SHAPE = (224, 224, 3)
FEATURE_SHAPE = (7, 7, 2048)


def _cifar_like(seed: int, count: int = 2) -> np.ndarray:
    """uint8 images of CIFAR-10's shape; seeded noise is enough to tell preprocessing apart."""
    return np.random.default_rng([seed, 21]).integers(0, 256, (count,) + IMAGE_SHAPE, dtype=np.uint8)


# --- preprocess_image_input ---------------------------------------------------------------------
def probe_preprocess(submission, params) -> dict:
    function = submission.function("preprocess_image_input")
    images = _cifar_like(common.probe_seed(params), 2)
    returned = function(images.copy())
    try:
        values = np.asarray(returned)
    except (TypeError, ValueError):
        raise common.fail(f"preprocess_image_input returned {type(returned).__name__}; it must return "
                          "the preprocessed images") from None
    return {"dtype": str(values.dtype), "values": values.astype(np.float64), "input": images}


def check_preprocess(observation, reference) -> Verdict:
    ok, reason = compare.check_array(observation["values"], reference["values"], "the preprocessed images", 1e-4)
    if not ok:
        return Verdict.failed(reason)
    if observation["dtype"] != "float32":
        return Verdict(common.FORM_SHARE, f"the images are {observation['dtype']}, expected float32")
    return Verdict.passed("float32, preprocessed as ResNet50 expects (BGR, ImageNet means subtracted)")


def _looks_scaled_to_unit(o) -> bool:
    values = o["values"]
    return values.shape == o["input"].shape and np.allclose(values, o["input"] / 255.0, atol=1e-4)


def _is(o, made) -> bool:
    """The learner's values are `made(input)` (the input as float64)."""
    values, given = o["values"], o["input"].astype(np.float64)
    return values.shape == given.shape and np.allclose(values, made(given), atol=1e-4)


PREPROCESS_HINTS = (
    Hint("ResNet50 does not take images scaled to [0, 1]: use "
         "tf.keras.applications.resnet50.preprocess_input (BGR order, ImageNet means subtracted), not x / 255",
         lambda o, r: _looks_scaled_to_unit(o)),
    Hint("use tf.keras.applications.resnet50.preprocess_input (BGR order, ImageNet means subtracted), "
         "not a scaling to [-1, 1] (the MobileNet and Inception preprocessing)",
         lambda o, r: _is(o, lambda x: x / 127.5 - 1)),
    Hint("call tf.keras.applications.resnet50.preprocess_input on the images: they come back unchanged",
         lambda o, r: _is(o, lambda x: x)),
    Hint("convert to float32 first (input_images.astype('float32')), then call "
         "tf.keras.applications.resnet50.preprocess_input, not on the uint8 images",
         lambda o, r: not o["dtype"].startswith("float"), seen=lambda o, r: f"{o['dtype']} images"),
)


# --- feature_extractor ----------------------------------------------------------------------------
def probe_feature_extractor(submission, params) -> dict:
    seed = common.probe_seed(params)
    images = common.seeded_normal(seed, 22, (1,) + RESNET_SHAPE) * 50  # one image: 100k features
    return common.probe_backbone(submission, "feature_extractor", RESNET_SHAPE, images, seed)


def check_feature_extractor(observation, reference) -> Verdict:
    return common.check_backbone(observation, reference, "ResNet50", RESNET_SHAPE)


FEATURE_HINTS = common.backbone_hints(
    "ResNet50", "tf.keras.applications.resnet.ResNet50", RESNET_SHAPE, "7x7x2048",
    {"MobileNet": "MobileNet", "ResNet101": "ResNet101", "ResNet152": "ResNet152",
     "ResNet50V2": "ResNet50V2", "VGG": "VGG", "Inception": "Inception"})


# --- classifier -------------------------------------------------------------------------------------
probe_classifier = common.layer_probe("classifier", FEATURE_SHAPE,
                                      lambda seed: common.seeded_normal(seed, 23, (2,) + FEATURE_SHAPE))
check_classifier = common.layer_check("the ten class probabilities",
                                      "classifier on 7x7x2048 features: your layers and the expected ones",
                                      "classification")


CLASSIFIER_HINTS = (
    Hint("pool the feature maps with GlobalAveragePooling2D() before Flatten()",
         lambda o, r: not compare.layers_of_type(o, "GlobalAveragePooling2D")),
    Hint("three Dense layers: 1024 and 512 units with relu, then 10 with softmax",
         lambda o, r: common.dense_units(o) != [1024, 512, 10]),
    Hint("the last layer is a softmax over the ten CIFAR-10 classes",
         lambda o, r: compare.activations(o)[-1:] != ["softmax"]),
    Hint("name the last layer: Dense(10, activation='softmax', name='classification')",
         lambda o, r: o["output_name"] != "classification"),
)


# --- final_model --------------------------------------------------------------------------------------
PARTS = ("feature_extractor", "classifier")


def probe_final_model(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("final_model")
    inputs = keras.Input(IMAGE_SHAPE)
    with common.reference_parts(submission, PARTS):
        output = common.keras_tensor(function(inputs), "final_model")
    seed = common.probe_seed(params)
    model = keras.Model(inputs, output)
    images = _cifar_like(seed).astype(np.float32) - 127.5
    observation = common.observe_network(model, images, seed)
    observation["upsampling"] = [layer.get_config().get("size") for layer in model.layers
                                 if type(layer).__name__ == "UpSampling2D"]
    # ResNet50 with seeded weights saturates its softmax whatever the input; what reaches it shows
    # how the images were enlarged (every fourth pixel is enough, and keeps the reference small).
    backbone = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    observation["backbone_input"] = np.zeros((0,), np.float32)  # no backbone: nothing reached one
    if backbone:
        fed = backbone[0]._inbound_nodes[0].input_tensors[0]
        enlarged = np.asarray(keras.Model(inputs, fed)(images, training=False))
        observation["backbone_input"] = enlarged[:, ::4, ::4, :]
    return observation


def check_final_model(observation, reference) -> Verdict:
    mine, theirs = observation["output_shapes"][0], reference["output_shapes"][0]
    if mine != theirs:
        return Verdict.failed(f"final_model outputs {compare.shape_text(mine)}, expected {compare.shape_text(theirs)}")
    mine, theirs = observation["backbone_input"], reference["backbone_input"]
    if mine.size == 0 or mine.shape != theirs.shape:
        return Verdict.failed("final_model must call feature_extractor on the upsampled 224x224 images")
    ok, reason = compare.check_array(mine, theirs, "the images given to ResNet50", 1e-4)
    if not ok:
        return Verdict.failed(reason)
    ok, reason = common.check_outputs(observation, reference, ["the class probabilities"])
    if not ok:
        return Verdict.failed(f"{reason} with seeded weights")
    return Verdict.passed("upsampled 7 times, ResNet50 features, the same class probabilities with seeded weights")


FINAL_HINTS = (
    Hint("upsample the 32x32 images to ResNet50's 224x224 first: UpSampling2D(size=(7, 7))",
         lambda o, r: [list(s) if s else s for s in o["upsampling"]] != [[7, 7]]),
    Hint("chain the parts: feature_extractor on the upsampled images, then classifier",
         lambda o, r: o["params"] != r["params"]),
)


# --- define_compile_model -----------------------------------------------------------------------------
def probe_compile(submission, params) -> dict:
    function = submission.function("define_compile_model")
    with common.reference_parts(submission, ("final_model",) + PARTS):
        model = common.require_model(function(), "define_compile_model")
    seed = common.probe_seed(params)
    observation = common.observe_network(model, _cifar_like(seed).astype(np.float32) - 127.5, seed)
    observation["input_shape"] = shape_of(model.inputs[0].shape)
    observation.update(common.losses_and_metrics(model))
    if observation["optimizer"].get("class") is None:
        return observation
    labels = np.random.default_rng([seed, 25]).integers(0, 10, 2)
    observation.update(common.evaluated_loss(model, _cifar_like(seed).astype(np.float32) - 127.5, labels))
    return observation


def check_compile(observation, reference) -> Verdict:
    details = [f"optimizer {observation['optimizer'].get('class')}, loss {observation['loss']!r}, "
               f"metrics {observation['metrics']}"]
    if observation["input_shape"] != reference["input_shape"]:
        return Verdict.failed(f"the model's input has shape {compare.shape_text(observation['input_shape'])}, "
                              f"expected {compare.shape_text(reference['input_shape'])}", details=details)
    if observation["optimizer"].get("class") is None:
        return Verdict.failed("the model is not compiled: call model.compile(...)", details=details)
    fatal = (f"evaluating the compiled model on class numbers fails: {observation['loss_error']}"
             if observation["loss_error"] is not None else None)
    problems = [] if fatal else [
        common.loss_problem(observation, reference, "the loss on a batch of class numbers"),
        f"the optimizer is {observation['optimizer']['class']}, expected SGD"
        if observation["optimizer"]["class"] != reference["optimizer"]["class"] else None,
        "add metrics=['accuracy']" if "accuracy" not in observation["metrics"] else None]
    return common.settings_verdict(fatal, problems, "SGD, sparse categorical cross-entropy and accuracy on "
                                   "32x32x3 inputs", details=details)


COMPILE_HINTS = (
    Hint("the labels are class numbers (0-9), not one-hot: use loss='sparse_categorical_crossentropy'",
         lambda o, r: o.get("loss") == "categorical_crossentropy"),
    Hint("the model takes CIFAR-10's images as they are: Input(shape=(32, 32, 3))",
         lambda o, r: o["input_shape"] != r["input_shape"]),
    Hint("the lab trains with optimizer='SGD'",
         lambda o, r: o["optimizer"].get("class") not in (None, "SGD")),
)


ASSIGNMENT = Assignment(
    id="c3w1_l2",
    title="C3W1-L2 Transfer learning with ResNet50 on CIFAR-10 (practice)",
    module="c3w1_l2_resnet",
    notebook_glob="C3W1*L2*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("preprocess_image_input", "preprocess_image_input", 15, probe_preprocess, check_preprocess,
                 PREPROCESS_HINTS, functions=("preprocess_image_input",)),
        Exercise("feature_extractor", "feature_extractor (ResNet50)", 25, probe_feature_extractor,
                 check_feature_extractor, FEATURE_HINTS, functions=("feature_extractor",)),
        Exercise("classifier", "classifier", 20, probe_classifier, check_classifier, CLASSIFIER_HINTS,
                 functions=("classifier",)),
        Exercise("final_model", "final_model", 20, probe_final_model, check_final_model, FINAL_HINTS,
                 functions=("final_model",), stand_ins=PARTS),
        Exercise("define_compile_model", "define_compile_model", 20, probe_compile, check_compile,
                 COMPILE_HINTS, functions=("define_compile_model",), stand_ins=("final_model",) + PARTS),
    ),
)
