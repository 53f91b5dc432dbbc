"""Lab C3W4-L1 "Class activation maps on Fashion-MNIST", as a practice suite.

Fashion-MNIST cannot be downloaded here, so the probes show the networks
Fashion-MNIST-like images: scikit-image's photographs in grey, cropped and
shrunk to 28x28. What a CAM means does not depend on the pictures; the
numbers the learner's code computes from them do. It scores like an
assignment but counts for nothing in a grade.
"""

from __future__ import annotations

import numpy as np

from graders.authoring import Assignment, Exercise, Figure, Hint, Verdict, compare, shape_of
from graders.suites import common

IMAGE_SHAPE = (28, 28, 1)
FEATURE_SHAPE = (3, 3, 128)
CLASSES = 10
PHOTOGRAPHS = ("horse.png", "camera.png", "coins.png", "chelsea.png", "coffee.png", "astronaut.png",
               "moon.png", "rocket.jpg")


def _fashion_like(seed: int, count: int = 4) -> np.ndarray:
    """28x28x1 grey images in [0, 1]: a random square of a photograph, shrunk as Fashion-MNIST's
    clothes were."""
    from PIL import Image

    from graders.data.localization import photograph

    rng = np.random.default_rng([seed, 41])
    images = np.zeros((count,) + IMAGE_SHAPE, dtype=np.float32)
    for image in images:
        photo = photograph(PHOTOGRAPHS[rng.integers(len(PHOTOGRAPHS))])
        side = int(min(photo.shape[:2]) * rng.uniform(0.5, 1.0))
        top, left = (int(rng.integers(0, extent - side + 1)) for extent in photo.shape[:2])
        crop = Image.fromarray(photo[top:top + side, left:left + side]).convert("L")
        image[..., 0] = np.asarray(crop.resize(IMAGE_SHAPE[:2], Image.BILINEAR), dtype=np.float32) / 255
    return images


def _classifier(seed: int):
    """The lab's classifier with seeded weights: what `cam_model` is given. Functional, not
    Sequential: Keras 3 gives a Sequential model no `model.input` or `model.output` (the course's
    spelling), and `model.layers[-3]` is the last convolution either way."""
    from graders.authoring import modelprobe

    keras = common.keras()
    inputs = x = keras.Input(IMAGE_SHAPE)
    for filters in (16, 32, 64, 128):
        x = keras.layers.Conv2D(filters, kernel_size=3, activation="relu", padding="same")(x)
        if filters < 128:
            x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax")(x))
    modelprobe.seed_weights(model, seed)
    return model


# --- build_classifier ---------------------------------------------------------------------------
def probe_classifier(submission, params) -> dict:
    from graders.authoring import modelprobe

    model = common.require_model(submission.function("build_classifier")(), "build_classifier")
    seed = common.probe_seed(params)
    input_shapes = [shape_of(t.shape) for t in model.inputs]
    fits = input_shapes == [[None, *IMAGE_SHAPE]]
    images = _fashion_like(seed)
    # A model the probe's images would not fit is only described; the check says why.
    observation = common.observe_model(model, images, seed) if fits else {**modelprobe.describe(model), "outputs": []}
    observation["input_shapes"] = input_shapes
    observation.update(common.losses_and_metrics(model))
    observation.update(common.NOT_EVALUATED)
    if fits and observation["optimizer"].get("class") is not None:
        labels = np.random.default_rng([seed, 42]).integers(0, CLASSES, len(images))
        observation.update(common.evaluated_loss(model, images, labels))
    return observation


def check_classifier(observation, reference) -> Verdict:
    figure = common.layer_figure(observation, reference, "build_classifier: your layers and the expected ones")
    details = [f"optimizer {observation['optimizer']}, loss {observation['loss']!r}, "
               f"metrics {observation['metrics']}"]
    for key, what in (("input_shapes", "takes"), ("output_shapes", "outputs")):
        if observation[key] != reference[key]:
            return Verdict.failed(f"the model {what} {', '.join(map(compare.shape_text, observation[key]))}, "
                                  f"expected {compare.shape_text(reference[key][0])}", figures=[figure])
    ok, reason = common.check_outputs(observation, reference, ["the class probabilities"])
    if not ok:
        return Verdict.failed(f"{reason} with seeded weights", figures=[figure])
    if observation["optimizer"].get("class") is None:
        return Verdict(0.5, "the model is not compiled: call model.compile(...)", figures=[figure])
    fatal, problems = common.compile_settings(observation, reference, "a batch of labelled images")
    return common.settings_verdict(fatal, problems, "the layers, their outputs with seeded weights and the "
                                   "compile settings match", base=0.5, scale=0.5, details=details,
                                   figures=[figure])


CLASSIFIER_HINTS = (
    Hint("the classifier reads 28x28 grey images: Input(shape=(28, 28, 1))",
         lambda o, r: o["input_shapes"] != [[None, *IMAGE_SHAPE]]),
    *common.cam_stack_hints("28 -> 14 -> 7 -> 3"),
    Hint("ten classes: the last layer is Dense(10, activation='softmax')",
         lambda o, r: common.dense_units(o) != [CLASSES] or compare.activations(o)[-1:] != ["softmax"]),
    Hint("the labels are class numbers (0-9), not one-hot: loss='sparse_categorical_crossentropy'",
         lambda o, r: o["loss"] != "sparse_categorical_crossentropy", seen=lambda o, r: f"loss={o['loss']!r}"),
    Hint("the lab trains with optimizer='adam'",
         lambda o, r: o["optimizer"].get("class") != "Adam", seen=lambda o, r: o["optimizer"].get("class")),
    Hint("report the accuracy while training: metrics=['accuracy']", lambda o, r: not common.measures_accuracy(o)),
)


# --- cam_model -------------------------------------------------------------------------------------
def probe_cam_model(submission, params) -> dict:
    from graders.authoring import modelprobe

    seed = common.probe_seed(params)
    classifier = _classifier(seed)
    model = common.require_model(submission.function("cam_model")(classifier), "cam_model")
    return common.observe_output_model(model, classifier, seed,
                                       lambda made: modelprobe.predict(made, _fashion_like(seed)))


check_cam_model = common.output_model_check("(None, 3, 3, 128), (None, 10)", "the class probabilities", "3x3x128")
CAM_MODEL_HINTS = common.output_model_hints(
    "3x3x128", "predictions", "the predictions are the output of the final Dense layer")


# --- class_activation_map ------------------------------------------------------------------------------
def probe_cam(submission, params) -> dict:
    """Every class's map of a few feature stacks, with the Dense weights they were weighed with."""
    function = submission.function("class_activation_map")
    rng = np.random.default_rng([common.probe_seed(params), 43])
    features = np.maximum(rng.normal(0, 1, (3,) + FEATURE_SHAPE), 0).astype(np.float32)  # relu outputs
    kernel = rng.normal(0, np.sqrt(2 / FEATURE_SHAPE[-1]), (FEATURE_SHAPE[-1], CLASSES)).astype(np.float32)
    # a bias far from zero, so a map with the bias added cannot pass for the map without it
    bias = (rng.uniform(0.3, 1.0, CLASSES) * rng.choice([-1, 1], CLASSES)).astype(np.float32)
    maps = []
    for stack in features:
        for class_index in range(CLASSES):
            returned = function(stack.copy(), [kernel.copy(), bias.copy()], class_index)
            try:
                maps.append(np.asarray(returned, dtype=np.float64))
            except (TypeError, ValueError):
                raise common.fail(f"class_activation_map returned {type(returned).__name__}; it must "
                                  "return the map as an array") from None
    shapes = {m.shape for m in maps}
    # The inputs travel too, so the trusted side can compute the maps known mistakes make; maps of
    # mixed shapes cannot be stacked: none, and the check says why.
    observation = {"shape": list(maps[0].shape), "bias": bias, "features": features, "kernel": kernel,
                   "maps": np.zeros((0,))}
    if len(shapes) == 1:
        observation["maps"] = np.stack(maps).reshape((len(features), CLASSES) + maps[0].shape)
    return observation


def check_cam(observation, reference) -> Verdict:
    if observation["shape"] != reference["shape"] or observation["maps"].size == 0:
        return Verdict.failed(f"the map has shape {compare.shape_text(observation['shape'])}, "
                              f"expected {compare.shape_text(reference['shape'])}")
    mine, theirs = observation["maps"], reference["maps"]
    figure = _cam_figure(mine, theirs)
    ok, reason = compare.check_array(mine, theirs, "the class activation maps", 1e-3)
    if not ok:
        return Verdict.failed(reason, figures=[figure])
    return Verdict.passed(f"the 28x28 maps of all {CLASSES} classes match for three feature stacks",
                          figures=[figure])


def _cam_figure(mine: np.ndarray, theirs: np.ndarray) -> Figure:
    from graders.authoring import pictures

    high = float(np.max(np.abs(theirs))) or 1.0
    rows = [[pictures.heat_rgb(mine[i, c], -high, high), pictures.heat_rgb(theirs[i, c], -high, high),
             pictures.heat_rgb(np.abs(mine[i, c] - theirs[i, c]), 0, high)]
            for i, c in ((0, 0), (1, 4), (2, 9))]
    return Figure("class activation maps (black: most negative, white: most positive) and their difference",
                  png=pictures.grid_png(rows, ["yours", "expected", "difference"], scale=4))


def _uses_one_class(o, r) -> bool:
    """The same map for every class, or another class's map: the class column is not the given one."""
    mine, theirs = o["maps"], r["maps"]
    same_for_all = all(np.allclose(mine[:, c], mine[:, 0], atol=1e-6) for c in range(CLASSES))
    return same_for_all or any(
        compare.check_array(mine[:, c], theirs[:, other], tolerance=1e-3)[0]
        for c in range(CLASSES) for other in range(CLASSES) if other != c)


def _bias_added(o, r) -> bool:
    shift = o["maps"] - r["maps"]
    return bool(np.allclose(shift, o["bias"][None, :, None, None], atol=1e-3))


def _blocky(o, r) -> bool:
    """Nearest-neighbour upscaling (order=0) leaves 3x3 blocks: nine values per map."""
    return all(len(np.unique(np.round(m, 5))) <= 9 for m in o["maps"].reshape((-1,) + tuple(o["shape"])))


def _zoomed_with(order: int):
    """The learner's maps are the right ones but for a zoom of another spline `order` (trusted
    side: scipy only)."""
    def applies(o, r) -> bool:
        import scipy.ndimage

        scale = IMAGE_SHAPE[0] / FEATURE_SHAPE[0]
        zoomed = np.stack([scipy.ndimage.zoom(f, (scale, scale, 1), order=order) for f in o["features"]])
        made = np.einsum("nhwk,kc->nchw", zoomed, o["kernel"])
        return made.shape == o["maps"].shape and compare.check_array(o["maps"], made, tolerance=1e-3)[0]

    return applies


CAM_HINTS = (
    Hint("upscale the 3x3 feature maps to 28x28 before the dot product: "
         "scipy.ndimage.zoom(features, (28 / 3, 28 / 3, 1), order=2)", lambda o, r: o["shape"] == [3, 3],
         seen=lambda o, r: "the 3x3 maps as they are"),
    Hint("weigh the features with one class's column of the kernel, dense_weights[0][:, class_index] "
         "(128 weights): the map is 28x28", lambda o, r: o["shape"] != r["shape"],
         seen=lambda o, r: f"a map of shape {compare.shape_text(o['shape'])}"),
    Hint("leave the bias out: the map weighs the features with the kernel column only, not column plus bias",
         _bias_added),
    Hint("use the given class's column of the kernel, dense_weights[0][:, class_index], not another "
         "class's column", _uses_one_class),
    Hint("the upscaling is spline interpolation of order 2 (zoom(..., order=2)), not nearest neighbour "
         "(order=0)", _blocky),
    Hint("the upscaling is spline interpolation of order 2 (zoom(..., order=2)), not linear "
         "interpolation (order=1)", _zoomed_with(1)),
)


ASSIGNMENT = Assignment(
    id="c3w4_l1",
    title="C3W4-L1 Class activation maps on Fashion-MNIST (practice)",
    module="c3w4_l1_cam",
    notebook_glob="C3W4*L1*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("build_classifier", "build_classifier", 40, probe_classifier, check_classifier,
                 CLASSIFIER_HINTS, functions=("build_classifier",)),
        Exercise("cam_model", "cam_model", 30, probe_cam_model, check_cam_model, CAM_MODEL_HINTS,
                 functions=("cam_model",)),
        Exercise("class_activation_map", "class_activation_map", 30, probe_cam, check_cam, CAM_HINTS,
                 functions=("class_activation_map",)),
    ),
)
