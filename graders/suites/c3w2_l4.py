"""Lab C3W2-L4 "Eager few-shot object detection" (a rubber duck), as a practice suite.

The lab runs the C3W2 assignment's steps on the same detector: the config for one class,
the build, the restore of all but the class head (`tf.compat.v2.train.Checkpoint`, with
`.expect_partial()`), the dummy pass and the two heads' variables are graded by the
assignment's own probes and checks (graders.suites.c3w2). What differs is graded here:

* the training step comes from a factory, `get_model_train_step_function(model, optimizer,
  vars_to_fine_tune)`, whose `train_step_fn(image_tensors, groundtruth_boxes_list,
  groundtruth_classes_list)` closes over them: the probe calls the factory with a restored
  detector, SGD and the heads' variables, runs the returned step (a fresh trace) on seeded
  batches of the duck images, and observes which variables change, the loss it returns
  against the detector's own two losses, and the loss after the steps;
* the learner's steps fine-tuned end to end (the lab's 100 batches of 4) and scored on
  hidden duck frames (graders.data.ducks), with the worst of the public dev frames detected beside
  them drawn (never a hidden one).

The pipeline's criteria are this project's (the lab has no grader): a frame's top box is
right from IoU 0.5 with the true box, and confident from a score above 0.5. It scores like
an assignment but counts for nothing in a grade.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.authoring import (
    Assignment,
    Exercise,
    Hint,
    TopLevelStep,
    Verdict,
    exception_sentence,
)
from graders.suites import c3w2, common

BATCH_SIZE = 4  # the lab's batch_size, which its train_step_fn reads for the shapes
COURSE_BATCHES = 100  # the lab's num_batches
TRAIN_STEPS = 4
IOU_THRESHOLD = 0.5  # a frame's top box is right from this IoU with the true box
BOX_SHARE = 0.9  # full box points when this share of frames is right
SCORE_THRESHOLD = 0.5  # a right top box counts as confident above this score ...
SCORE_SHARE = 0.9  # ... full confidence points when this share of frames is right and confident
PIPELINE_FUNCTIONS = ("configure_model", "build_detection_model", "restore_weights", "run_dummy_pass",
                      "select_variables", "get_model_train_step_function", "detect")


def tf():
    import tensorflow

    return tensorflow


def duck_batch(seed: int | None, count: int = BATCH_SIZE):
    """The lab's prepared training data for `count` of the 5 duck images (chosen by the seed): image
    tensors [1, 640, 853, 3] float32, boxes [1, 4], one-hot classes [1, 1] (class id 1 less the offset 1)."""
    from PIL import Image

    from graders.data import ducks

    order = list(range(5)) if seed is None else list(np.random.default_rng([seed, 40]).permutation(5))
    boxes = ducks.training_boxes()
    images, box_list, classes = [], [], []
    for index in order[:count]:
        with Image.open(ducks.TRAINING_DIR / ducks.training_name(index)) as file:
            image = np.asarray(file.convert("RGB"))
        images.append(tf().constant(image[np.newaxis], tf().float32))
        box_list.append(tf().constant(boxes[index][np.newaxis], tf().float32))
        classes.append(tf().one_hot(tf().constant([0]), 1))
    return images, box_list, classes


def made_step(submission, model, optimizer, variables):
    """The learner's factory called as the lab calls it; its train_step_fn, with a trace of its own."""
    returned = submission.function("get_model_train_step_function")(model, optimizer, variables)
    if not callable(returned):
        shown = "None" if returned is None else type(returned).__name__
        raise common.fail(f"get_model_train_step_function returned {shown}; it must return the function "
                          "train_step_fn itself (return train_step_fn, not its result)")
    return c3w2.fresh(returned)


# --- the training step from the factory -----------------------------------------------------------------
def probe_train_step_factory(submission, params) -> dict:
    seed = common.probe_seed(params)
    keras = common.keras()
    with c3w2.course_folder():
        model = c3w2.reference_model(submission)
        selected = submission.reference("select_variables")(model)
        images, boxes, classes = duck_batch(seed)
        before = c3w2.values(model)
        parts = c3w2.api_losses(model, images, boxes, classes)
        model._groundtruth.lists = {}  # forgotten: the learner's step must give the ground truth itself
        c3w2.set_globals(submission, detection_model=model, batch_size=len(images))
        optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
        fed = recorded_predict(model)
        step = made_step(submission, model, optimizer, selected)
        error, losses = None, []
        try:
            for _ in range(c3w2.TRAIN_STEPS):
                losses.append(c3w2.loss_value(step(images, boxes, classes)))
        except (ValueError, TypeError) as failure:  # no gradient at all, or shapes that do not fit
            error = exception_sentence(failure)
        object.__delattr__(model, "predict")
        after = c3w2.values(model)
        changed = sorted(name for name in before if not np.array_equal(before[name], after[name]))
        later = c3w2.api_losses(model, images, boxes, classes) if error is None else (float("nan"),) * 2
    return {"error": error, "losses": losses, "parts": dict(zip(c3w2.LOSS_PARTS, parts)),
            "later": dict(zip(c3w2.LOSS_PARTS, later)), "changed": changed,
            "selected": sorted(v.name for v in selected), "predict_inputs": fed}


def recorded_predict(model) -> list:
    """The shapes of the images the model's predict is given from now on (each trace or eager call)."""
    fed, original = [], model.predict

    def predict(images, *args, **kwargs):
        fed.append([int(n) if n is not None else -1 for n in getattr(images, "shape", ())])
        return original(images, *args, **kwargs)

    object.__setattr__(model, "predict", predict)
    return fed


def _unprocessed(o, r) -> list | None:
    """The first image batch predict was given at another size than the reference's, preprocessed."""
    size = r["predict_inputs"][0][1:3]
    return next((shape for shape in o["predict_inputs"] if shape[1:3] != size), None)


FACTORY_HINTS = (
    Hint("preprocess each image before predict: tf.concat([detection_model.preprocess(image_tensor)[0] for "
         "image_tensor in image_tensors], axis=0)", lambda o, r: _unprocessed(o, r) is not None,
         seen=lambda o, r: f"images of {'x'.join(map(str, _unprocessed(o, r)[1:]))} for predict"),
) + c3w2.TRAIN_HINTS


# --- detect ---------------------------------------------------------------------------------------------------
def probe_detect(submission, params) -> dict:
    from graders.data import ducks

    return c3w2.probe_detect(submission, params, ducks)


# --- the learner's pipeline, fine-tuned and scored on hidden duck frames ---------------------------------------
@functools.lru_cache(maxsize=1)
def _scoring_set() -> common.ScoringSet:
    """The hidden (or, without them, public dev) frames and their true boxes, rendered once per
    process (trusted side)."""
    from graders.data import ducks

    return common.scoring_set(ASSIGNMENT, lambda: c3w2.stacked(ducks.hidden_frames()),
                              lambda: c3w2.stacked(ducks.dev_frames()), "frames")


def pipeline_params() -> dict:
    """The scored frames, then the public dev frames the report's pictures may show: the probe detects
    them all after fine-tuning and trains on none of them."""
    return {"frames": _scoring_set().probe_inputs}


def scored_run(observation) -> tuple[np.ndarray, np.ndarray]:
    """`c3w2.scored_detections` of this lab's scoring set."""
    return c3w2.scored_detections(_scoring_set(), observation)


def probe_pipeline(submission, params) -> dict:
    import random
    import time

    seed = common.probe_seed(params)
    function, step_of = submission.function, c3w2._step
    for name in PIPELINE_FUNCTIONS:
        function(name)  # each is the learner's: a missing one is said before anything runs
    with c3w2.course_folder():
        model_config = step_of("configure_model", lambda: function("configure_model")(c3w2.config_path(), 1))
        model = step_of("build_detection_model", lambda: function("build_detection_model")(model_config))
        step_of("restore_weights", lambda: function("restore_weights")(model))
        step_of("run_dummy_pass", lambda: function("run_dummy_pass")(model))
    to_fine_tune = c3w2.variables_of(model, step_of("select_variables", function("select_variables"), model))
    images, boxes, classes = duck_batch(None, 5)
    c3w2.set_globals(submission, detection_model=model, batch_size=BATCH_SIZE)
    optimizer = common.keras().optimizers.SGD(learning_rate=0.01, momentum=0.9)  # the lab's own cell
    step = step_of("get_model_train_step_function", made_step, submission, model, optimizer, to_fine_tune)
    shuffle, losses = random.Random(seed), []
    start = time.perf_counter()
    for _ in range(COURSE_BATCHES):
        keys = list(range(len(images)))
        shuffle.shuffle(keys)
        keys = keys[:BATCH_SIZE]
        loss = step_of("train_step_fn", step, [images[k] for k in keys], [boxes[k] for k in keys],
                       [classes[k] for k in keys])
        losses.append(c3w2.loss_value(loss))
    seconds = time.perf_counter() - start
    detect = c3w2.fresh(function("detect"))
    top_boxes, top_scores = [], []
    for frame in params["frames"]:
        detections = step_of("detect", detect, tf().constant(frame[np.newaxis], tf().float32))
        box, score = c3w2.top_detection(detections)
        top_boxes.append(box)
        top_scores.append(score)
    return {"boxes": np.stack(top_boxes), "scores": np.asarray(top_scores), "losses": np.asarray(losses),
            "train_seconds": seconds}


def pipeline_score(right: float, confident: float) -> float:
    """Half the points for boxes (full from BOX_SHARE of frames right), half for right boxes with a score
    above SCORE_THRESHOLD (full from SCORE_SHARE of frames)."""
    return 0.5 * min(1.0, right / BOX_SHARE) + 0.5 * min(1.0, confident / SCORE_SHARE)


def check_pipeline(observation, reference) -> Verdict:
    scored = _scoring_set()
    which = scored.name
    problem = c3w2.run_problem(scored, observation)
    if problem:
        return Verdict.failed(problem)
    losses = np.asarray(observation["losses"], dtype=np.float64)
    if losses.size == 0:
        return Verdict.failed("the run trained no batch")
    iou, scores = scored_run(observation)
    right = c3w2.box_share(iou)
    confident = c3w2.confident_share(scores, iou, SCORE_THRESHOLD)
    details = [f"criteria of this grader (the lab has none): a frame's top box is right at IoU >= {IOU_THRESHOLD:g} "
               f"with the true box, confident with a score above {SCORE_THRESHOLD:g}; full points from "
               f"{BOX_SHARE:.0%} of frames right and {SCORE_SHARE:.0%} right and confident",
               f"fine-tuned for {len(losses)} batches of {BATCH_SIZE} in {observation['train_seconds']:.1f} s: loss "
               f"{losses[0]:.3f} first, {losses[-1]:.3f} last; median IoU {np.median(iou):.2f}, median top score "
               f"{np.median(scores):.2f}"]
    message = (f"on {len(iou)} {which} frames, {right:.0%} of your top boxes are right and {confident:.0%} are right "
               f"with a score above {SCORE_THRESHOLD:g} (this grader's criteria)")
    figures = [c3w2.shown_frames_figure(scored, observation)]
    return scored.told(Verdict(pipeline_score(right, confident), message, details=details, figures=figures))


def _late_loss(o) -> float:
    return float(np.asarray(o["losses"], np.float64)[-10:].mean())


PIPELINE_HINTS = (
    Hint("the duck is not found: check the restore, the variables to fine-tune, the training step and detect; the "
         "loss of the last batches should be under 0.5",
         lambda o, r: not _late_loss(o) <= 0.5, seen=lambda o, r: f"a mean loss of {_late_loss(o):.3g} over the "
         "last 10 batches"),
)


ASSIGNMENT = Assignment(
    id="c3w2_l4",
    title="C3W2-L4 Eager few-shot object detection, a rubber duck (practice)",
    module="c3w2_l4_ducks",
    notebook_glob="C3W2*L4*.ipynb",
    counts_for_grade=False,
    # The lab writes these steps as top-level code (config, build, restore and dummy pass in one cell; the
    # selection beside the factory in the next); a notebook is graded on those statements.
    steps=(
        TopLevelStep(function="configure_model", results=("model_config",),
                     parameters=("pipeline_config", "num_classes"), span_from=("configs",)),
        TopLevelStep(function="build_detection_model", results=("detection_model",), parameters=("model_config",),
                     span_from=("detection_model",)),
        TopLevelStep(function="restore_weights", parameters=("detection_model",),
                     span_from=("fake_box_predictor", "fake_model"), until_call="restore"),
        TopLevelStep(function="run_dummy_pass", parameters=("detection_model",), span_from=("image",),
                     until_call="postprocess"),
        TopLevelStep(function="select_variables", results=("to_fine_tune",), parameters=("detection_model",),
                     span_from=("to_fine_tune", "prefixes_to_train")),
    ),
    hidden_data=("fixtures/c3w2_l4/duck_hidden.npz",),
    exercises=(
        Exercise("configure_model", "the model config", 10, c3w2.probe_configure, c3w2.check_configure,
                 c3w2.CONFIG_HINTS, functions=("configure_model",)),
        Exercise("build_detection_model", "build the detector", 5, c3w2.probe_build, c3w2.check_build,
                 c3w2.BUILD_HINTS, functions=("build_detection_model",),
                 stand_ins=("configure_model", "run_dummy_pass")),
        Exercise("restore_weights", "restore all but the class head", 15, c3w2.probe_restore, c3w2.check_restore,
                 c3w2.restore_hints("fake_box_predictor", "fake_model", "tf.compat.v2.train.Checkpoint"),
                 functions=("restore_weights",),
                 stand_ins=("configure_model", "build_detection_model", "restore_weights", "run_dummy_pass")),
        Exercise("run_dummy_pass", "the dummy pass", 5, c3w2.probe_dummy_pass, c3w2.check_dummy_pass,
                 c3w2.DUMMY_HINTS, functions=("run_dummy_pass",),
                 stand_ins=("configure_model", "build_detection_model")),
        Exercise("select_variables", "the variables to fine-tune", 10, c3w2.probe_select, c3w2.check_select,
                 c3w2.SELECT_HINTS, functions=("select_variables",),
                 stand_ins=("configure_model", "build_detection_model", "run_dummy_pass")),
        Exercise("get_model_train_step_function", "get_model_train_step_function and its train_step_fn", 25,
                 probe_train_step_factory, c3w2.check_train_step, FACTORY_HINTS,
                 functions=("get_model_train_step_function",),
                 stand_ins=("configure_model", "build_detection_model", "restore_weights", "run_dummy_pass",
                            "select_variables")),
        Exercise("detect", "detect", 10, probe_detect, c3w2.check_detect, c3w2.DETECT_HINTS, functions=("detect",),
                 stand_ins=("configure_model", "build_detection_model", "restore_weights", "run_dummy_pass")),
        Exercise("fine_tuned", "Your steps, fine-tuned on the ducks, on held-out frames", 20, probe_pipeline,
                 check_pipeline, PIPELINE_HINTS, subject="your fine-tuning run", uses_reference=False,
                 observation_shape=lambda: {"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "losses": np.zeros(0),
                                            "train_seconds": 0.0},
                 params_factory=pipeline_params),
    ),
)
