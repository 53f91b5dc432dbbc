"""C3W1 "Predicting bounding boxes": the exercises, their probes, checks and hints.

The backbone is `MobileNetV2(weights='imagenet')`; the worker never downloads
it (see `graders.worker.pretrained`): the probe records what network the learner
asked for and judges the built network's outputs with seeded weights.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.authoring import (
    Assignment,
    CourseGiven,
    CourseVersion,
    Exercise,
    Figure,
    Hint,
    TopLevelStep,
    Verdict,
    box_iou,
    compare,
    shape_of,
)
from graders.suites import common

IMAGE_SHAPE = (224, 224, 3)
FEATURE_SHAPE = (7, 7, 1280)
SMOOTHING = 1e-10  # the course's smoothing factor in intersection_over_union
OLD_SMOOTHING = 1  # the same in an older version of the course notebook
IOU_THRESHOLD = 0.5  # a predicted box counts as right from this IoU with the true box, as the course graded
PASS_SHARE = 0.5  # full points when at least this share of hidden boxes is right
MODEL_FILES = ("birds.keras", "birds.h5", "c3w1_model.keras", "c3w1_model.h5", "model.keras", "model.h5")


# --- helpers that run in the worker ---------------------------------------------------
def _dev_images(count: int) -> np.ndarray:
    from graders.data import localization

    images, _ = localization.load_split("dev", count)
    return localization.preprocess(images)


# --- Exercise 1: feature_extractor --------------------------------------------------------
def probe_feature_extractor(submission, params) -> dict:
    return common.probe_backbone(submission, "feature_extractor", IMAGE_SHAPE, _dev_images(2), common.probe_seed(params))


def check_feature_extractor(observation, reference) -> Verdict:
    return common.check_backbone(observation, reference, "MobileNetV2", IMAGE_SHAPE)


FEATURE_EXTRACTOR_HINTS = common.backbone_hints(
    "MobileNetV2", "tf.keras.applications.mobilenet_v2.MobileNetV2", IMAGE_SHAPE, "7x7x1280",
    {"MobileNetV3": "MobileNetV3",
     "ResNet50": "ResNet50: MobileNetV2 gives 7x7x1280 features with 2,257,984 parameters"})


# --- Exercise 2: dense_layers ------------------------------------------------------------------
probe_dense_layers = common.layer_probe("dense_layers", FEATURE_SHAPE,
                                        lambda seed: common.seeded_normal(seed, 2, (2,) + FEATURE_SHAPE))
check_dense_layers = common.layer_check("the 512 outputs",
                                        "dense_layers on 7x7x1280 features: your layers and the expected ones")


DENSE_HINTS = (
    Hint("pool the 7x7 feature maps with GlobalAveragePooling2D() before Flatten(); flattening them "
         "directly gives 62,720 inputs to the first Dense layer",
         lambda o, r: not compare.layers_of_type(o, "GlobalAveragePooling2D")),
    Hint("two Dense layers: 1024 units, then 512 units",
         lambda o, r: common.dense_units(o) != [1024, 512]),
    Hint("both Dense layers use activation='relu'",
         lambda o, r: compare.activations(o) != ["relu", "relu"]),
)


# --- Exercise 3: bounding_box_regression ---------------------------------------------------------
probe_box_regression = common.layer_probe("bounding_box_regression", (512,),
                                          lambda seed: common.seeded_normal(seed, 3, (4, 512)))
check_box_regression = common.layer_check("the four box coordinates",
                                          "bounding_box_regression: your layers and the expected ones",
                                          "bounding_box")


BOX_HINTS = (
    Hint("the box coordinates are a regression: Dense(4) with no activation (a relu cannot "
         "move a coordinate back up from 0, a sigmoid squeezes it)",
         lambda o, r: compare.activations(o) not in ([], ["linear"]),
         seen=lambda o, r: f"activation={compare.activations(o)[-1]!r}"),
    Hint("the box layer has 4 units, one per coordinate (xmin, ymin, xmax, ymax)",
         lambda o, r: common.dense_units(o) != [4]),
    Hint("name the layer: Dense(4, name='bounding_box')",
         lambda o, r: o["output_name"] != "bounding_box"),
)


# --- Exercise 4: final_model --------------------------------------------------------------------
PARTS = ("feature_extractor", "dense_layers", "bounding_box_regression")


def probe_final_model(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("final_model")
    inputs = keras.Input(IMAGE_SHAPE)
    with common.reference_parts(submission, PARTS):
        model = common.require_model(function(inputs), "final_model")
    observation = common.observe_network(model, _dev_images(2), common.probe_seed(params))
    observation["input_is_given"] = len(model.inputs) == 1 and model.inputs[0] is inputs
    return observation


def _check_network(observation, reference, name: str) -> Verdict:
    details = [f"{observation['params']:,} parameters (expected {reference['params']:,})"]
    if observation["output_shapes"] != reference["output_shapes"]:
        shapes = ", ".join(map(compare.shape_text, observation["output_shapes"]))
        return Verdict.failed(f"{name} outputs {shapes}, expected "
                              f"{compare.shape_text(reference['output_shapes'][0])}", details=details)
    if observation["params"] != reference["params"]:
        return Verdict.failed(f"{name} has {observation['params']:,} parameters, expected "
                              f"{reference['params']:,}", details=details)
    ok, reason = common.check_outputs(observation, reference, ["the boxes"])
    if not ok:
        return Verdict.failed(f"{reason} with seeded weights", details=details)
    return Verdict.passed(f"{name} predicts the same boxes with seeded weights", details=details)


def check_final_model(observation, reference) -> Verdict:
    if not observation["input_is_given"]:
        return Verdict.failed("final_model must build its model on the `inputs` it is given: "
                              "tf.keras.Model(inputs=inputs, outputs=[...])")
    return _check_network(observation, reference, "the model")


FINAL_MODEL_HINTS = (
    Hint("chain the parts: features = feature_extractor(inputs), x = dense_layers(features), "
         "then bounding_box_regression(x) as the output",
         lambda o, r: o["params"] != r["params"]),
)


# --- Exercise 5: define_and_compile_model ---------------------------------------------------------
def probe_define_and_compile(submission, params) -> dict:
    from graders.data import localization

    function = submission.function("define_and_compile_model")
    with common.reference_parts(submission, ("final_model",)):
        model = common.require_model(function(), "define_and_compile_model")
    observation = common.observe_network(model, _dev_images(2), common.probe_seed(params))
    observation["input_shape"] = shape_of(model.inputs[0].shape)
    observation.update(common.losses_and_metrics(model))
    if observation["optimizer"].get("class") is None:
        return observation
    images, boxes = localization.load_split("dev", 4)
    observation.update(common.evaluated_loss(model, localization.preprocess(images), boxes))
    return observation


def _optimizer_problem(mine: dict, theirs: dict) -> str | None:
    if mine.get("class") != theirs["class"]:
        return f"the optimizer is {mine.get('class')}, expected {theirs['class']}"
    for key in ("learning_rate", "momentum"):
        if not np.isclose(float(mine.get(key, np.nan)), theirs[key], rtol=1e-4):
            return f"the optimizer's {key} is {mine.get(key)}, expected {theirs[key]:g}"
    return None


def check_define_and_compile(observation, reference) -> Verdict:
    optimizer = observation["optimizer"]
    details = [f"optimizer {optimizer.get('class')} (learning_rate {optimizer.get('learning_rate')}, "
               f"momentum {optimizer.get('momentum')}), loss {observation['loss']!r}"]
    if observation["input_shape"] != reference["input_shape"]:
        return Verdict.failed(f"the model's input has shape {compare.shape_text(observation['input_shape'])}, "
                              f"expected {compare.shape_text(reference['input_shape'])}", details=details)
    if optimizer.get("class") is None:
        return Verdict.failed("the model is not compiled: call model.compile(optimizer=..., loss=...)",
                              details=details)
    fatal = (f"evaluating the compiled model on boxes fails: {observation['loss_error']}"
             if observation["loss_error"] is not None else None)
    problems = [] if fatal else [
        common.loss_problem(observation, reference, "the loss on a batch of boxes"),
        _optimizer_problem(optimizer, reference["optimizer"])]
    return common.settings_verdict(fatal, problems, "SGD with momentum 0.9 and the mean squared error, on "
                                   "224x224x3 inputs", details=details)


COMPILE_HINTS = (
    Hint("the course trains with tf.keras.optimizers.SGD(momentum=0.9), not Adam",
         lambda o, r: o["optimizer"].get("class") == "Adam"),
    Hint("use SGD with momentum: tf.keras.optimizers.SGD(momentum=0.9)",
         lambda o, r: o["optimizer"].get("class") == "SGD" and not o["optimizer"].get("momentum")),
    Hint("the boxes are a regression: compile with loss='mse'",
         lambda o, r: o.get("loss") not in ("mse", "mean_squared_error", "meansquarederror"),
         seen=lambda o, r: f"loss={o.get('loss')!r}"),
)


# --- Exercise 6: compute_steps ----------------------------------------------------------------------
STEP_CASES = ((3000, 3033, 64), (640, 64, 64), (1, 1, 64), (100, 37, 10), (129, 128, 32))


def probe_compute_steps(submission, params) -> dict:
    function = submission.function("compute_steps")
    cases = [list(case) for case in params.get("cases", STEP_CASES)]
    rng = np.random.default_rng([common.probe_seed(params), 6])
    cases += [[int(rng.integers(1, 5000)), int(rng.integers(1, 5000)), int(rng.choice([16, 32, 64, 100]))]
              for _ in range(3)]
    results = []
    for training, validation, batch in cases:
        returned = function(training, validation, batch)
        try:
            steps, validation_steps = (float(value) for value in returned)
        except (TypeError, ValueError):
            raise common.fail("compute_steps must return two numbers: (steps_per_epoch, "
                              "validation_steps)") from None
        results.append([steps, validation_steps])
    return {"cases": cases, "results": results}


def check_compute_steps(observation, reference) -> Verdict:
    for case, mine, theirs in zip(reference["cases"], observation["results"], reference["results"]):
        if list(mine) != list(theirs):
            training, validation, batch = case
            return Verdict.failed(f"compute_steps({training}, {validation}, {batch}) returned "
                                  f"({mine[0]:g}, {mine[1]:g}), expected ({theirs[0]:g}, {theirs[1]:g})")
    return Verdict.passed("steps per epoch and validation steps cover every example")


STEP_PARTS = ("steps_per_epoch", "validation_steps")


def _floored_parts(o) -> list[str]:
    """The results that are floor divisions in every case (each part judged on its own: the
    course notebook gives `validation_steps` as code, so a learner's `//` shows in one part only)."""
    cases = [(t, v, b) for t, v, b in o["cases"]]
    return [name for index, name in enumerate(STEP_PARTS)
            if any(case[index] % case[2] for case in cases)
            and all(result[index] == case[index] // case[2] for case, result in zip(cases, o["results"]))]


def _floor_seen(o, r) -> str:
    parts = _floored_parts(o)
    training, validation, batch = o["cases"][0]
    shown = {"steps_per_epoch": f"{training} // {batch} = {training // batch}",
             "validation_steps": f"{validation} // {batch} = {validation // batch}"}
    return "floor division for " + " and ".join(f"{name} ({shown[name]})" for name in parts)


STEPS_HINTS = (
    Hint("floor division drops the last, partly filled batch: round up with math.ceil(n / batch_size) "
         "(or add 1 when there is a remainder), not n // batch_size",
         lambda o, r: bool(_floored_parts(o)), seen=_floor_seen),
    Hint("return (steps_per_epoch, validation_steps) in that order, not (validation_steps, steps_per_epoch)",
         lambda o, r: [res[::-1] for res in o["results"]] == r["results"]),
)


# --- Exercise 7: intersection_over_union ------------------------------------------------------------
def iou_cases(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of boxes that show the usual mistakes: random pairs, identical, disjoint, nested,
    touching, and two empty boxes at one point."""
    rng = np.random.default_rng([seed, 7])
    ends = np.sort(rng.uniform(0, 1, (2, 24, 2, 2)), axis=-1)  # (box, pair, x or y, min or max)
    pred, true = (np.stack([e[:, 0, 0], e[:, 1, 0], e[:, 0, 1], e[:, 1, 1]], axis=1) for e in ends)
    special_pred = np.array([[0.1, 0.2, 0.5, 0.6], [0.0, 0.0, 0.2, 0.5], [0.1, 0.1, 0.9, 0.9],
                             [0.0, 0.0, 0.5, 0.5], [0.3, 0.3, 0.3, 0.3], [0.6, 0.0, 0.9, 0.3]])
    special_true = np.array([[0.1, 0.2, 0.5, 0.6], [0.5, 0.0, 0.9, 0.5], [0.3, 0.3, 0.6, 0.6],
                             [0.5, 0.0, 1.0, 0.5], [0.3, 0.3, 0.3, 0.3], [0.0, 0.6, 0.3, 0.9]])
    return np.concatenate([pred, special_pred]), np.concatenate([true, special_true])


IOU_SPECIAL = ("an identical pair", "boxes apart on one axis", "a box inside another", "two touching boxes",
               "two empty boxes at one point", "boxes apart on both axes")


def probe_iou(submission, params) -> dict:
    function = submission.function("intersection_over_union")
    pred, true = iou_cases(common.probe_seed(params))
    with np.errstate(all="ignore"):
        returned = function(pred.copy(), true.copy())
    try:
        values = np.asarray(returned, dtype=np.float64)
    except (TypeError, ValueError):
        raise common.fail(f"intersection_over_union returned {type(returned).__name__}; it must "
                          "return an array of IoUs") from None
    return {"iou": values, "pred": pred, "true": true}


def check_iou(observation, reference) -> Verdict:
    mine, theirs = observation["iou"], reference["iou"]
    if mine.size != theirs.size or mine.shape not in (theirs.shape, theirs.shape[:1]):
        return Verdict.failed(f"the result has shape {compare.shape_text(mine.shape)}, expected "
                              f"{compare.shape_text(theirs.shape)}: one IoU per pair of boxes")
    mine, theirs = mine.ravel(), theirs.ravel()
    wrong = ~np.isclose(mine, theirs, rtol=1e-6, atol=1e-9)
    if wrong.any():
        index = int(np.argmax(wrong))
        pair = reference["pred"][index], reference["true"][index]
        special = index - (len(theirs) - len(IOU_SPECIAL))
        what = f" ({IOU_SPECIAL[special]})" if special >= 0 else ""
        return Verdict.failed(f"{int(wrong.sum())} of {len(theirs)} IoUs differ; for pred_box "
                              f"{np.round(pair[0], 3).tolist()} and true_box {np.round(pair[1], 3).tolist()}"
                              f"{what} you return {mine[index]:.4g}, expected {theirs[index]:.4g}")
    return Verdict.passed(f"all {len(theirs)} IoUs match, including disjoint, nested and empty boxes")


def _special(o, name) -> float:
    values = np.asarray(o["iou"], dtype=np.float64).ravel()
    return float(values[len(values) - len(IOU_SPECIAL) + IOU_SPECIAL.index(name)])


def _matches_with_columns_swapped(o) -> bool:
    """The learner's IoUs are those of one box read as (ymin, xmin, ymax, xmax), the other not."""
    mine = np.asarray(o["iou"], dtype=np.float64).ravel()
    pred, true = np.asarray(o["pred"]), np.asarray(o["true"])
    swap = [1, 0, 3, 2]
    return any(mine.shape == (len(pred),) and np.allclose(mine, box_iou(a, b, SMOOTHING), atol=1e-6)
               for a, b in ((pred, true[:, swap]), (pred[:, swap], true)))


def course_iou(pred: np.ndarray, true: np.ndarray, smoothing: float) -> np.ndarray:
    """What the course's intersection_over_union returns, (N, 1), for a given smoothing factor:
    the overlap clipped at 0, (overlap + s) / (union + s)."""
    pred, true = np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64)
    width = np.maximum(np.minimum(pred[:, 2], true[:, 2]) - np.maximum(pred[:, 0], true[:, 0]), 0)
    height = np.maximum(np.minimum(pred[:, 3], true[:, 3]) - np.maximum(pred[:, 1], true[:, 1]), 0)
    overlap = width * height
    union = ((pred[:, 2] - pred[:, 0]) * (pred[:, 3] - pred[:, 1])
             + (true[:, 2] - true[:, 0]) * (true[:, 3] - true[:, 1]) - overlap)
    return ((overlap + smoothing) / (union + smoothing))[:, None]


def _iou_with_smoothing(smoothing: float):
    def expected(reference):
        values = course_iou(reference["pred"], reference["true"], smoothing)
        return {**reference, "iou": values.reshape(np.shape(reference["iou"]))}

    return expected


# The course supplies intersection_over_union (the notebook has no code for the learner to write
# in it), and an older version of the notebook sets smoothing_factor = 1 instead of 1e-10. We grade
# it rather than leave it out because this project's exercises/ asks for it (its feedback on
# clipping, smoothing and the order of coordinates teaches), and accept every course version as
# it is: a learner who kept the code the course gave loses nothing, whichever version it was.
IOU_COURSE = CourseGiven(versions=(
    CourseVersion(f"older version (smoothing_factor = {OLD_SMOOTHING})", _iou_with_smoothing(OLD_SMOOTHING)),))


IOU_HINTS = (
    Hint("read both boxes in the same (xmin, ymin, xmax, ymax) order: one of them is unpacked as "
         "(ymin, xmin, ymax, xmax)",
         lambda o, r: _matches_with_columns_swapped(o)),
    Hint("boxes that do not overlap have a negative width or height of overlap; clip it to 0 "
         "(np.maximum(..., 0)) before multiplying",
         lambda o, r: _special(o, "boxes apart on one axis") < -1e-9
         or _special(o, "boxes apart on both axes") > 1e-6),
    Hint("add the smoothing factor 1e-10 to both the overlap and the union: two empty boxes at one "
         "point then give 1 instead of 0/0",
         lambda o, r: not np.isfinite(_special(o, "two empty boxes at one point"))),
    Hint("the union is the two areas added, minus the overlap counted twice",
         lambda o, r: np.isclose(_special(o, "an identical pair"), 0.5, atol=1e-6)),
)


# --- Exercise 8: the trained model -----------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _scoring_set() -> common.ScoringSet:
    """Hidden (or, without them, dev) images and boxes, rendered once per process (the probe's
    inputs, the check's answers)."""
    from graders.data import localization

    return common.scoring_set(ASSIGNMENT, lambda: localization.load_split("hidden"),
                              lambda: localization.load_split("dev"), "images")


def trained_model_params() -> dict:
    """The scored images, then the public dev images the report's pictures may show."""
    return {"images": _scoring_set().probe_inputs}


def probe_trained_model(submission, params) -> dict:
    from graders.data import localization

    model = common.load_trained_model(
        submission.model_file, MODEL_FILES,
        f"train one with `python -m exercises.c3w1_training --submission FOLDER` "
        f"(it saves {MODEL_FILES[0]})",
        'birds.h5')
    common.require_shapes(model, IMAGE_SHAPE, (4,))
    images = localization.preprocess(params["images"])
    predictions = model.predict(images, batch_size=16, verbose=0)
    return {"boxes": np.asarray(predictions, dtype=np.float32).reshape(len(images), 4),
            "params": int(model.count_params())}


def box_score(iou: np.ndarray) -> float:
    """Share of boxes found (IoU at or above the threshold), as the course counted them."""
    return float(np.mean(iou >= IOU_THRESHOLD)) if len(iou) else 0.0


def scored_iou(observation) -> np.ndarray:
    """The IoU of each scored image's predicted box with its true box (the hidden set, else the
    public dev set): what the marks are set on."""
    scored = _scoring_set()
    return box_iou(scored.scored(np.asarray(observation["boxes"], dtype=np.float64)), scored.answers)


def check_trained_model(observation, reference) -> Verdict:
    from graders.authoring import pictures

    scored = _scoring_set()
    boxes, which = scored.answers, scored.name
    given = np.asarray(observation["boxes"], dtype=np.float64)
    if given.shape != (scored.probe_count, 4):
        return Verdict.failed(f"the model predicted {given.shape} boxes, expected {(scored.probe_count, 4)}")
    predictions = scored.scored(given)
    iou = scored_iou(observation)
    share = box_score(iou)
    swapped = box_score(box_iou(predictions[:, [1, 0, 3, 2]], boxes))
    images, truth, shown = scored.shown_inputs, scored.shown_answers, scored.shown(given)
    worst, png = pictures.worst_boxes_png(lambda indices: [images[i] for i in indices], truth, shown,
                                          box_iou(shown, truth))
    figures = [Figure(f"the {len(worst)} {scored.shown_name} images with the lowest IoU, worst first "
                      f"(green: true box, red: your prediction){scored.shown_note}", png=png)]
    details = [f"median IoU {np.median(iou):.2f}; IoU >= {IOU_THRESHOLD:g} on {int(np.sum(iou >= IOU_THRESHOLD))} "
               f"of {len(iou)} {which} images"]
    message = (f"{share:.0%} of the {len(iou)} {which} boxes are found (IoU >= {IOU_THRESHOLD:g}); full "
               f"points from {PASS_SHARE:.0%}")
    if share >= PASS_SHARE:
        return scored.told(Verdict.passed(message, details=details, figures=figures))
    if swapped >= PASS_SHARE and swapped > share + 0.25:
        message += (f"; read as (ymin, xmin, ymax, xmax) your boxes would score {swapped:.0%}: the model "
                    "was trained on boxes in the wrong order, the course's is (xmin, ymin, xmax, ymax)")
    return scored.told(Verdict(share / PASS_SHARE, message, details=details, figures=figures))


ASSIGNMENT = Assignment(
    id="c3w1",
    title="C3W1 Predicting bounding boxes",
    module="c3w1_bounding_boxes",
    notebook_glob="C3W1*.ipynb",
    # The course computes the steps in a top-level cell; a notebook is graded on that cell.
    steps=(TopLevelStep(function="compute_steps", results=("steps_per_epoch", "validation_steps"),
                        parameters=("length_of_training_dataset", "length_of_validation_dataset",
                                    "BATCH_SIZE")),),
    model_files=MODEL_FILES,
    hidden_data=("fixtures/c3w1/localization_hidden.npz",),
    exercises=(
        Exercise("feature_extractor", "Ex1 feature_extractor", 10, probe_feature_extractor,
                 check_feature_extractor, FEATURE_EXTRACTOR_HINTS, functions=("feature_extractor",)),
        Exercise("dense_layers", "Ex2 dense_layers", 10, probe_dense_layers, check_dense_layers,
                 DENSE_HINTS, functions=("dense_layers",)),
        Exercise("bounding_box_regression", "Ex3 bounding_box_regression", 10, probe_box_regression,
                 check_box_regression, BOX_HINTS, functions=("bounding_box_regression",)),
        Exercise("final_model", "Ex4 final_model", 10, probe_final_model, check_final_model,
                 FINAL_MODEL_HINTS, functions=("final_model",), stand_ins=PARTS),
        Exercise("define_and_compile_model", "Ex5 define_and_compile_model", 10, probe_define_and_compile,
                 check_define_and_compile, COMPILE_HINTS, functions=("define_and_compile_model",),
                 stand_ins=PARTS + ("final_model",)),
        Exercise("compute_steps", "Ex6 steps per epoch", 10, probe_compute_steps, check_compute_steps,
                 STEPS_HINTS, functions=("compute_steps",)),
        Exercise("intersection_over_union", "Ex7 intersection_over_union", 10, probe_iou, check_iou,
                 IOU_HINTS, functions=("intersection_over_union",), course_given=IOU_COURSE),
        Exercise("trained_model", "Trained model on held-out images", 30, probe_trained_model,
                 check_trained_model, subject="the trained model", uses_reference=False,
                 observation_shape=lambda: {"boxes": np.zeros((0, 4)), "params": 0},
                 needs_model_file=True, params_factory=trained_model_params),
    ),
)
