"""Lab C3W1-L3 "Image classification and object localization" (MNIST), as a practice suite.

One network, two heads: the digit (softmax over 10) and its box on a 75x75
canvas. It scores like an assignment but counts for nothing in a grade.
"""

from __future__ import annotations

import numpy as np

from graders.authoring import Assignment, Exercise, Hint, Verdict, compare
from graders.suites import common

CANVAS_SHAPE = (75, 75, 1)
FEATURE_SHAPE = (7, 7, 64)


def _canvases(seed: int, count: int = 2) -> np.ndarray:
    """Black 75x75 canvases, each with one bright 28x28 square of noise at a random place."""
    rng = np.random.default_rng([seed, 31])
    images = np.zeros((count,) + CANVAS_SHAPE, dtype=np.float32)
    for image in images:
        x, y = rng.integers(0, 48, 2)
        image[y:y + 28, x:x + 28, 0] = rng.uniform(0, 1, (28, 28))
    return images


def _inputs(shape: tuple, index: int):
    if shape == CANVAS_SHAPE:
        return lambda seed: _canvases(seed)
    return lambda seed: common.seeded_normal(seed, index, (2,) + shape)


def _conv_filters(o) -> list:
    return [row["config"]["filters"] for row in compare.layers_of_type(o, "Conv2D")]


FEATURE_HINTS = (
    Hint("three Conv2D layers with 16, 32 and 64 filters of size 3",
         lambda o, r: _conv_filters(o) != [16, 32, 64]),
    Hint("each convolution is followed by AveragePooling2D((2, 2)), not max pooling",
         lambda o, r: bool(compare.layers_of_type(o, "MaxPooling2D"))),
    Hint("each convolution is followed by AveragePooling2D((2, 2))",
         lambda o, r: len(compare.layers_of_type(o, "AveragePooling2D")) != 3),
    Hint("the convolutions use activation='relu'",
         lambda o, r: compare.activations(o)[:3] != ["relu"] * 3),
)
DENSE_HINTS = (
    Hint("Flatten, then one Dense layer of 128 units", lambda o, r: common.dense_units(o) != [128]),
    Hint("the Dense layer uses activation='relu'", lambda o, r: compare.activations(o) != ["relu"]),
)
CLASSIFIER_HINTS = (
    Hint("ten classes, one per digit: Dense(10, ...)", lambda o, r: common.dense_units(o) != [10]),
    Hint("the digit head ends in activation='softmax'", lambda o, r: compare.activations(o) != ["softmax"]),
    Hint("name the layer: Dense(10, activation='softmax', name='classification')",
         lambda o, r: o["output_name"] != "classification"),
)
BOX_HINTS = (
    Hint("the box coordinates are a regression: Dense(4) with no activation",
         lambda o, r: compare.activations(o) not in ([], ["linear"])),
    Hint("four units, one per coordinate", lambda o, r: common.dense_units(o) != [4]),
    Hint("name the layer: Dense(4, name='bounding_box')", lambda o, r: o["output_name"] != "bounding_box"),
)

PARTS = ("feature_extractor", "dense_layers", "classifier", "bounding_box_regression")


def _observe_two_headed(model, seed: int) -> dict:
    observation = common.observe_model(model, _canvases(seed), seed)
    observation["output_names"] = [t._keras_history[0].name for t in model.outputs]
    return observation


def probe_final_model(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("final_model")
    inputs = keras.Input(CANVAS_SHAPE)
    with common.reference_parts(submission, PARTS):
        model = common.require_model(function(inputs), "final_model")
    return _observe_two_headed(model, common.probe_seed(params))


def check_final_model(observation, reference) -> Verdict:
    if observation["output_shapes"] != reference["output_shapes"]:
        shapes = ", ".join(map(compare.shape_text, observation["output_shapes"]))
        return Verdict.failed(f"the model's outputs are {shapes}, expected (None, 10), (None, 4): "
                              "[classification_output, bounding_box_output]")
    ok, reason = common.check_outputs(observation, reference, ["the digit probabilities", "the boxes"])
    if not ok:
        return Verdict.failed(f"{reason} with seeded weights")
    return Verdict.passed("both heads match with seeded weights")


FINAL_HINTS = (
    Hint("the model has two outputs: outputs=[classification_output, bounding_box_output]",
         lambda o, r: len(o["output_shapes"]) != 2),
    Hint("the outputs come in the order [classification_output, bounding_box_output]",
         lambda o, r: o["output_shapes"] == r["output_shapes"][::-1]),
    Hint("both heads read the output of dense_layers: classifier(x) and bounding_box_regression(x)",
         lambda o, r: o["params"] != r["params"]),
)


def probe_compile(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("define_and_compile_model")
    inputs = keras.Input(CANVAS_SHAPE)
    with common.reference_parts(submission, ("final_model",)):
        model = common.require_model(function(inputs), "define_and_compile_model")
    seed = common.probe_seed(params)
    observation = _observe_two_headed(model, seed)
    observation.update(common.losses_and_metrics(model))
    if observation["optimizer"].get("class") is None:
        return observation
    rng = np.random.default_rng([seed, 36])
    digits = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 4)]
    boxes = np.sort(rng.uniform(0, 1, (4, 2, 2)), axis=1).reshape(4, 4)[:, [0, 2, 1, 3]].astype(np.float32)
    observation.update(common.evaluated_loss(model, _canvases(seed, 4),
                                             {"classification": digits, "bounding_box": boxes}))
    return observation


def check_compile(observation, reference) -> Verdict:
    details = [f"optimizer {observation['optimizer'].get('class')}, loss {observation['loss']}, "
               f"metrics {observation['metrics']}"]
    if observation["optimizer"].get("class") is None:
        return Verdict.failed("the model is not compiled: call model.compile(...)", details=details)
    fatal = (f"evaluating the compiled model on digits and boxes fails: {observation['loss_error']}"
             if observation["loss_error"] is not None else None)
    problems = [] if fatal else [
        common.loss_problem(observation, reference, "the total loss on a batch of digits and boxes"),
        None if observation["optimizer"]["class"] == reference["optimizer"]["class"] else
        f"the optimizer is {observation['optimizer']['class']}, expected {reference['optimizer']['class']}"]
    return common.settings_verdict(fatal, problems, "adam, categorical cross-entropy for the digit and mse "
                                   "for the box", details=details)


def _loss_of(o, head):
    loss = o.get("loss")
    return loss.get(head) if isinstance(loss, dict) else loss


COMPILE_HINTS = (
    Hint("give each head its own loss by output name: loss={'classification': "
         "'categorical_crossentropy', 'bounding_box': 'mse'}",
         lambda o, r: not isinstance(o.get("loss"), dict)),
    Hint("the digits are one-hot: the classification loss is 'categorical_crossentropy'",
         lambda o, r: _loss_of(o, "classification") != "categorical_crossentropy"),
    Hint("the box is a regression: the bounding_box loss is 'mse'",
         lambda o, r: _loss_of(o, "bounding_box") not in ("mse", "mean_squared_error")),
    Hint("the lab trains with optimizer='adam'",
         lambda o, r: o["optimizer"].get("class") != "Adam"),
)


def _exercise(id: str, title: str, probe, check, hints, **kw) -> Exercise:
    return Exercise(id, title, kw.pop("points", 15), probe, check, hints, functions=(id,), **kw)


ASSIGNMENT = Assignment(
    id="c3w1_l3",
    title="C3W1-L3 Image classification and object localization (practice)",
    module="c3w1_l3_localization",
    notebook_glob="C3W1*L3*.ipynb",
    counts_for_grade=False,
    exercises=(
        _exercise("feature_extractor", "feature_extractor", common.layer_probe("feature_extractor", CANVAS_SHAPE, _inputs(CANVAS_SHAPE, 1)),
                  common.layer_check("the 7x7x64 features", "feature_extractor: your layers and the expected ones"),
                  FEATURE_HINTS, points=20),
        _exercise("dense_layers", "dense_layers", common.layer_probe("dense_layers", FEATURE_SHAPE, _inputs(FEATURE_SHAPE, 2)),
                  common.layer_check("the 128 outputs", "dense_layers: your layers and the expected ones"), DENSE_HINTS),
        _exercise("classifier", "classifier", common.layer_probe("classifier", (128,), _inputs((128,), 3)),
                  common.layer_check("the digit probabilities", "classifier: your layers and the expected ones",
                               "classification"), CLASSIFIER_HINTS),
        _exercise("bounding_box_regression", "bounding_box_regression", common.layer_probe(
                      "bounding_box_regression", (128,), _inputs((128,), 4)),
                  common.layer_check("the four box coordinates", "bounding_box_regression: your layers and the "
                               "expected ones", "bounding_box"), BOX_HINTS),
        _exercise("final_model", "final_model", probe_final_model, check_final_model, FINAL_HINTS,
                  stand_ins=PARTS),
        _exercise("define_and_compile_model", "define_and_compile_model", probe_compile, check_compile,
                  COMPILE_HINTS, points=20, stand_ins=PARTS + ("final_model",)),
    ),
)
