"""C3W2 "Zombie detection": the exercises, their probes, checks and hints.

Graded by what the learner's steps do to the detector (the project's detection API under
exercises/object_detection), never by which variable holds what: the restore by which
variables hold the checkpoint's values after the dummy pass, the selection by the
variables returned, the training step by the variables it changes and the loss it returns,
`detect` by its dictionary. Every probe runs in a folder where the course's files are laid
out at the course's paths, so the course's relative paths work unchanged.

The last two exercises are judged without a reference: the learner's own pipeline fine-tuned
in the worker and scored on hidden frames, and the course's `results.data` on the public
frames. Their criteria (IoU with the true boxes, the share of confident frames) are this
project's: the course's grader formula was never published.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np

from graders.authoring import (
    Assignment,
    Exercise,
    Figure,
    Hint,
    ProbeFailure,
    TopLevelStep,
    Verdict,
    box_iou,
    compare,
    exception_sentence,
)
from graders.suites import common

CLASS_HEAD = "WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead"
BOX_HEAD = "WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead"
# What each part of the detector is called in feedback, by variable-name prefix, in the model's order.
GROUPS = (("the box head", BOX_HEAD), ("the class head", CLASS_HEAD),
          ("the box tower", "WeightSharedConvolutionalBoxPredictor/BoxPredictionTower"),
          ("the class tower", "WeightSharedConvolutionalBoxPredictor/ClassPredictionTower"),
          ("the feature extractor", "SmallConvFPN"))
RESTORED = ("the box head", "the box tower", "the class tower", "the feature extractor")
FRAME_SHAPE = (640, 853, 3)
COURSE_BATCHES = 100  # the pipeline is fine-tuned for the course's 100 batches, whatever num_batches says
IOU_THRESHOLD = 0.5  # a frame's top box is right from this IoU with the true box
BOX_SHARE = 0.9  # full box points when this share of frames is right
SCORE_THRESHOLD = 0.9  # the course notebook counts frames whose top score is above 0.9 ...
SCORE_SHARE = 0.88  # ... and asks for more than 88% of them
RESULT_FILES = ("results.data", "results.npz", "results.json")


# --- helpers that run in the worker --------------------------------------------------------
def tf():
    import tensorflow

    return tensorflow


@contextlib.contextmanager
def course_folder(seed: int | None = None, tower_layers: bool = False):
    """A scratch folder with the course's files at the course's paths. With a seed, the config
    there differs in settings that change no answer (the NMS IoU threshold; with `tower_layers`,
    the number of tower layers too), so what a probe observes depends on the seed."""
    from object_detection import course_files

    with common.scratch_folder("c3w2-") as folder:
        course_files.lay_out(folder)
        if seed is not None:
            path = course_files.CONFIG_PATH
            text = path.read_text()
            rng = np.random.default_rng([seed, 2])
            text = seeded_setting(text, "iou_threshold", f"{rng.uniform(0.45, 0.65):.4f}")
            if tower_layers:
                text = seeded_setting(text, "num_layers_before_predictor", str(int(rng.integers(1, 4))))
            path.write_text(text)
        yield folder


def seeded_setting(text: str, field: str, value: str) -> str:
    """The config's text with `field` set to `value` (it must be there once: a probe that stopped
    depending on its seed would go unnoticed)."""
    import re

    text, count = re.subn(rf"(\b{field}: )[^\n]+", rf"\g<1>{value}", text)
    if count != 1:
        raise RuntimeError(f"the shipped config has {count} `{field}` fields, expected 1")
    return text


def config_path() -> str:
    from object_detection import course_files

    return course_files.CONFIG_PATH.as_posix()


def reference_model(submission, restore: bool = True):
    """A detector built, restored and passed through once by the solution's steps (stand-ins), for
    the exercises that start from one: an earlier step of the learner's costs only its own points."""
    model = submission.reference("build_detection_model")(submission.reference("configure_model")(config_path(), 1))
    if restore:
        submission.reference("restore_weights")(model)
    submission.reference("run_dummy_pass")(model)
    return model


def group_of(name: str) -> str:
    for group, prefix in GROUPS:
        if name.startswith(prefix):
            return group
    return "other"


def values(model) -> dict:
    return {v.name: v.numpy() for v in model.trainable_variables}


def seeded_images(seed: int, index: int, count: int = 1, shape=FRAME_SHAPE) -> np.ndarray:
    rng = np.random.default_rng([seed, index])
    return rng.uniform(0, 255, (count,) + tuple(shape)).astype(np.float32)


def predicted_codes(model, seed: int) -> np.ndarray:
    """A few box codes and class logits the model predicts for a seeded image (anchors chosen by the seed)."""
    images, shapes = model.preprocess(tf().constant(seeded_images(seed, 20)))
    predictions = model.predict(images, shapes)
    rng = np.random.default_rng([seed, 21])
    codes = predictions["box_encodings"].numpy()[0]
    logits = predictions["class_predictions_with_background"].numpy()[0]
    anchors = rng.choice(codes.shape[0], 6, replace=False)
    return np.concatenate([codes[anchors].ravel(), logits[anchors].ravel()]).astype(np.float64)


def training_batch(seed: int | None, count: int = 4):
    """The course's prepared training data for `count` of the 5 images (chosen by the seed):
    image tensors [1, 640, 853, 3] float32, boxes [1, 4], one-hot classes [1, 1]."""
    from PIL import Image

    from graders.data import detection

    order = list(range(5)) if seed is None else list(np.random.default_rng([seed, 10]).permutation(5))
    boxes = detection.training_boxes()
    folder = detection.TRAINING_DIR
    images, box_list, classes = [], [], []
    for index in order[:count]:
        image = np.asarray(Image.open(folder / f"training-zombie{index + 1}.jpg").convert("RGB"))
        images.append(tf().constant(image[np.newaxis], tf().float32))
        box_list.append(tf().constant(boxes[index][np.newaxis], tf().float32))
        classes.append(tf().one_hot(tf().constant([0]), 1))
    return images, box_list, classes


def api_losses(model, images, boxes, classes) -> tuple[float, float]:
    """The localization and classification losses the API gives the model on this batch."""
    model.provide_groundtruth(groundtruth_boxes_list=boxes, groundtruth_classes_list=classes)
    batch = tf().concat([model.preprocess(image)[0] for image in images], axis=0)
    shapes = tf().constant(len(images) * [[640, 640, 3]], tf().int32)
    losses = model.loss(model.predict(batch, shapes), shapes)
    return float(losses["Loss/localization_loss"]), float(losses["Loss/classification_loss"])


def fresh(function):
    """A learner's @tf.function with a trace cache of its own. The course calls each one with a single
    model and optimizer; the grader calls them again with new ones, which a cached trace would
    ignore (it holds the first model's variables) or refuse (an optimizer's slots may be created
    on the first trace only)."""
    python_function = getattr(function, "python_function", None)
    return tf().function(python_function) if python_function is not None else function


def number_text(value) -> str:
    """A setting as the check compares it: `4`, `4.0` and np.int64(4) alike are "4", 1e-2 and
    np.float32(0.01) are "0.01"; what is not a number stays as Python prints it."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else f"{number:.6g}"


def loss_value(returned) -> float:
    try:
        return float(np.asarray(returned, dtype=np.float64).ravel()[0])
    except (TypeError, ValueError, IndexError):
        raise common.fail(f"train_step_fn returned {type(returned).__name__}; it must return the total loss") from None


def set_globals(submission, **names):
    """The course's globals that learners' functions read (`detection_model`, `batch_size`)."""
    submission.module.__dict__.update(names)


# --- Exercise 3: the category index ----------------------------------------------------------
NO_ENTRY = ["", ""]  # what the lookup of an id the index lacks is recorded as

def probe_category_index(submission, params) -> dict:
    returned = submission.function("define_category_index")()
    try:
        category_index, num_classes = returned
    except (TypeError, ValueError):
        raise common.fail("define_category_index must return (category_index, num_classes)") from None
    if not isinstance(category_index, dict):
        raise common.fail(f"category_index is a {type(category_index).__name__}; it is a dict from class id "
                          "to {'id': ..., 'name': ...}")
    rng = np.random.default_rng([common.probe_seed(params), 3])
    asked = [1] + [int(i) for i in rng.integers(0, 4, 5)]
    looked_up = []
    for class_id in asked:  # how the course uses it: viz_utils looks each detected class up by id
        entry = category_index.get(class_id)
        looked_up.append([str(entry.get("id")), str(entry.get("name"))] if isinstance(entry, dict) else NO_ENTRY)
    return {"asked": asked, "looked_up": looked_up, "ids": sorted(str(k) for k in category_index),
            "num_classes": number_text(num_classes)}


def check_category_index(observation, reference) -> Verdict:
    if observation["num_classes"] != reference["num_classes"]:
        return Verdict.failed(f"num_classes is {observation['num_classes']}, expected {reference['num_classes']}: "
                              "one class, the zombie")
    for class_id, mine, theirs in zip(reference["asked"], observation["looked_up"], reference["looked_up"]):
        if mine != theirs:
            found = "nothing" if mine == NO_ENTRY else f"{{'id': {mine[0]}, 'name': {mine[1]!r}}}"
            wanted = "nothing" if theirs == NO_ENTRY else f"{{'id': {theirs[0]}, 'name': {theirs[1]!r}}}"
            return Verdict.failed(f"category_index[{class_id}] gives {found}, expected {wanted}")
    if observation["ids"] != reference["ids"]:
        return Verdict.failed(f"category_index has the ids {', '.join(observation['ids'])}, expected only "
                              f"{', '.join(reference['ids'])}")
    return Verdict.passed("the zombie is class 1 of 1")


CATEGORY_HINTS = (
    Hint("class ids start at 1 (0 is the background): category_index = {1: {'id': 1, 'name': 'zombie'}}",
         lambda o, r: "0" in o["ids"], seen=lambda o, r: f"the ids {', '.join(o['ids'])}"),
    Hint("name the class 'zombie'",
         lambda o, r: o["looked_up"][0] != NO_ENTRY and o["looked_up"][0][1] != r["looked_up"][0][1],
         seen=lambda o, r: repr(o["looked_up"][0][1])),
)


# --- Exercises 5.1-5.3: the config --------------------------------------------------------------
def probe_configure(submission, params) -> dict:
    with course_folder(common.probe_seed(params)):
        model_config = submission.function("configure_model")(config_path(), 1)
        ssd = getattr(model_config, "ssd", None)
        if ssd is None:
            raise common.fail(f"configure_model returned a {type(model_config).__name__} without `.ssd`; return "
                              "configs['model'], the model part of the pipeline config")
        return {"num_classes": str(ssd.num_classes), "freeze_batchnorm": str(ssd.freeze_batchnorm),
                "text": str(model_config)}


def check_configure(observation, reference) -> Verdict:
    for field, why in (("num_classes", "one class to detect"),
                       ("freeze_batchnorm", "the pretrained batch statistics stay as they are")):
        if observation[field] != reference[field]:
            return Verdict.failed(f"model_config.ssd.{field} is {observation[field]}, expected {reference[field]} "
                                  f"({why})")
    if observation["text"] != reference["text"]:
        mine, theirs = observation["text"].splitlines(), reference["text"].splitlines()
        changed = next((f"`{a.strip()}` where the file has `{b.strip()}`" for a, b in zip(mine, theirs) if a != b),
                       f"{len(mine)} lines where the file's model part has {len(theirs)}")
        return Verdict.failed(f"the model config differs from the file at `pipeline_config` beyond the two edits: "
                              f"{changed}")
    return Verdict.passed("one class, batch norm frozen, the rest as in the pipeline config")


CONFIG_HINTS = (
    Hint("set model_config.ssd.num_classes = num_classes (the config's own 6 are the pre-training's classes)",
         lambda o, r: o["num_classes"] != r["num_classes"], seen=lambda o, r: f"num_classes {o['num_classes']}"),
    Hint("set model_config.ssd.freeze_batchnorm = True",
         lambda o, r: o["freeze_batchnorm"] != r["freeze_batchnorm"]),
    Hint("read the config at the `pipeline_config` you are given with "
         "config_util.get_configs_from_pipeline_file(pipeline_config)",
         lambda o, r: o["text"] != r["text"]),
)


# --- Exercise 5.4: the build ---------------------------------------------------------------------
def probe_build(submission, params) -> dict:
    seed = common.probe_seed(params)
    with course_folder(seed, tower_layers=True):
        model_config = submission.reference("configure_model")(config_path(), 1)
        model = submission.function("build_detection_model")(model_config)
        if not all(hasattr(model, name) for name in ("preprocess", "predict", "postprocess")):
            raise common.fail(f"build_detection_model returned a {type(model).__name__}, not a detection model: "
                              "return model_builder.build(model_config=model_config, is_training=True)")
        submission.reference("run_dummy_pass")(model)
        return {"type": type(model).__name__, "is_training": str(getattr(model, "_is_training", None)),
                "num_classes": str(getattr(model, "num_classes", None)),
                "variables": len(model.trainable_variables), "codes": predicted_codes(model, seed)}


def check_build(observation, reference) -> Verdict:
    if observation["type"] != reference["type"]:
        return Verdict.failed(f"build_detection_model returned a {observation['type']}, expected a {reference['type']}")
    if observation["is_training"] != reference["is_training"]:
        return Verdict.failed(f"the model is built with is_training={observation['is_training']}, expected "
                              f"{reference['is_training']}: it is fine-tuned")
    if observation["num_classes"] != reference["num_classes"] or observation["variables"] != reference["variables"]:
        return Verdict.failed(f"the model has {observation['num_classes']} classes and {observation['variables']} "
                              f"variables, expected {reference['num_classes']} and {reference['variables']}: build it "
                              "from the model_config you are given")
    ok, reason = compare.check_array(observation["codes"], reference["codes"], "the predictions", tolerance=1e-4)
    if not ok:
        return Verdict.failed(f"the model's {reason} before any training: build it from the model_config you are given")
    return Verdict.passed("the detector of the config, built for training")


BUILD_HINTS = (
    Hint("build it for training: model_builder.build(model_config=model_config, is_training=True)",
         lambda o, r: o["is_training"] != r["is_training"], seen=lambda o, r: f"is_training={o['is_training']}"),
)


# --- Exercise 6: the restore ------------------------------------------------------------------------
@contextlib.contextmanager
def recorded_checkpoints():
    """What the learner's code does with tf.train.Checkpoint: the keywords of each one made, and
    for each restore, the path and the keywords of the checkpoint it was called on."""
    cls = tf().train.Checkpoint
    made, restores, keywords = [], [], {}
    original_init, original_restore = cls.__init__, cls.restore

    def __init__(self, root=None, **kwargs):
        keywords[id(self)] = sorted(kwargs)
        made.append(sorted(kwargs))
        return original_init(self, root, **kwargs)

    def restore(self, save_path, options=None):
        restores.append({"path": str(save_path), "keywords": keywords.get(id(self), [])})
        return original_restore(self, save_path, options)

    cls.__init__, cls.restore = __init__, restore
    record = {"made": made, "restores": restores}
    try:
        yield record
    finally:
        cls.__init__, cls.restore = original_init, original_restore


def probe_restore(submission, params) -> dict:
    seed = common.probe_seed(params)
    with course_folder():
        expected = values(reference_model(submission))
        untouched = values(reference_model(submission, restore=False))
        model = submission.reference("build_detection_model")(submission.reference("configure_model")(config_path(), 1))
        with recorded_checkpoints() as record:
            submission.function("restore_weights")(model)
        error = None
        try:
            submission.reference("run_dummy_pass")(model)
        except ValueError as failure:  # a variable of the checkpoint does not fit the model's
            error = exception_sentence(failure)
        groups = {group: [0, 0] for group, _ in GROUPS}
        if error is None:
            for name, value in values(model).items():
                group = group_of(name)
                counts = groups.setdefault(group, [0, 0])
                counts[1] += 1
                if group == "the class head":  # the solution leaves it as built: any other value was restored
                    restored = not np.array_equal(value, untouched[name])
                else:
                    restored = np.array_equal(value, expected[name]) and not np.array_equal(value, untouched[name])
                counts[0] += int(restored)
        codes = predicted_codes(model, seed) if error is None else np.zeros(0)
    return {"groups": groups, "error": error, "made": record["made"], "restores": record["restores"], "codes": codes}


def _restored_text(groups: dict) -> str:
    return ", ".join(f"{group} {restored} of {total}" for group, (restored, total) in groups.items() if total)


def check_restore(observation, reference) -> Verdict:
    restores = observation["restores"]
    if observation["error"] is not None:
        return Verdict.failed(f"after your restore the dummy pass fails: {observation['error']}")
    if not restores:
        return Verdict.failed("restore_weights never calls .restore(checkpoint_path) on a tf.train.Checkpoint")
    groups = observation["groups"]
    details = [f"variables holding the checkpoint's values: {_restored_text(groups)}"]
    wrong = [group for group in RESTORED if groups[group][0] != groups[group][1]]
    if groups["the class head"][0]:
        wrong.append("the class head")
    if wrong:
        missing = [g for g in wrong if g != "the class head"]
        parts = []
        if missing:
            parts.append(f"{' and '.join(missing)} not restored")
        if "the class head" in wrong:
            parts.append("the class head restored")
        return Verdict.failed(f"{'; '.join(parts)} (expected: all but the class head hold the checkpoint's values)",
                              details=details)
    ok, reason = compare.check_array(observation["codes"], reference["codes"], "the predictions", tolerance=1e-4)
    if not ok:
        return Verdict.failed(f"after the restore, {reason}", details=details)
    return Verdict.passed("the feature extractor, the towers and the box head hold the checkpoint's values; "
                          "the class head starts afresh", details=details)


def _paths(o) -> list[str]:
    return [r["path"] for r in o["restores"]]


def _keywords(o) -> list[str]:
    return sorted({k for keywords in o["made"] for k in keywords})


COURSE_KEYWORDS = {"model", "_feature_extractor", "_box_predictor", "_base_tower_layers_for_heads",
                   "_box_prediction_head"}

def restore_hints(box_predictor: str = "tmp_box_predictor_checkpoint", model: str = "tmp_model_checkpoint",
                  checkpoint: str = "tf.train.Checkpoint") -> tuple:
    """The restore's hints, naming the temporary checkpoints as the notebook does."""
    return (
        Hint(f"leave the class head out: the checkpoint's has other classes, so {box_predictor} holds "
             "only _base_tower_layers_for_heads and _box_prediction_head",
             lambda o, r: (o["error"] is not None and "_prediction_heads" in _keywords(o))
             or o["groups"]["the class head"][0] > 0),
        Hint("restore the checkpoint's prefix `.../checkpoint/ckpt-0`, not one of its files: a path ending in .index "
             "restores nothing",
             lambda o, r: any(p.endswith((".index", ".data-00000-of-00001")) for p in _paths(o)),
             seen=lambda o, r: next(p for p in _paths(o) if p.endswith((".index", ".data-00000-of-00001")))),
        Hint(f"the checkpoint's root is `model`: restore {checkpoint}(model={model})",
             lambda o, r: o["error"] is None and not any("model" in x["keywords"] for x in o["restores"])
             and all(g[0] == 0 for g in o["groups"].values()),
             seen=lambda o, r: ", ".join(f"{k}=" for x in o["restores"] for k in x["keywords"]) or "no keyword"),
        Hint(f"the box head goes into {box_predictor} as _box_prediction_head=...: a keyword the model's "
             "box predictor does not have restores nothing, silently",
             lambda o, r: o["error"] is None and o["groups"]["the box head"][0] == 0
             and o["groups"]["the feature extractor"][0] > 0,
             seen=lambda o, r: ", ".join(f"{k}=" for k in _keywords(o) if k not in COURSE_KEYWORDS) or "no box head"),
        Hint("include the towers: _base_tower_layers_for_heads=detection_model._box_predictor._base_tower_layers_for_heads",
             lambda o, r: o["error"] is None and o["groups"]["the box tower"][0] == 0
             and o["groups"]["the feature extractor"][0] > 0),
        Hint(f"include the feature extractor: {model} = {checkpoint}(_feature_extractor="
             f"detection_model._feature_extractor, _box_predictor={box_predictor})",
             lambda o, r: o["error"] is None and o["groups"]["the feature extractor"][0] == 0
             and o["groups"]["the box head"][0] > 0),
    )


RESTORE_HINTS = restore_hints()


# --- Exercise 7: the dummy pass ---------------------------------------------------------------------
def probe_dummy_pass(submission, params) -> dict:
    seed = common.probe_seed(params)
    with course_folder(seed, tower_layers=True):
        model = submission.reference("build_detection_model")(submission.reference("configure_model")(config_path(), 1))
        calls = {method: False for method in ("preprocess", "predict", "postprocess")}
        for method in calls:
            original = getattr(model, method)

            def recorded(*args, _method=method, _original=original, **kwargs):
                calls[_method] = True
                return _original(*args, **kwargs)

            object.__setattr__(model, method, recorded)
        submission.function("run_dummy_pass")(model)
        for method in ("preprocess", "predict", "postprocess"):
            object.__delattr__(model, method)
        count = len(model.trainable_variables)
        return {"calls": calls, "variables": count,
                "codes": predicted_codes(model, seed) if count else np.zeros(0)}


def check_dummy_pass(observation, reference) -> Verdict:
    if observation["variables"] != reference["variables"]:
        return Verdict.failed(f"after the dummy pass the model has {observation['variables']} variables, expected "
                              f"{reference['variables']}: they are created by its first predict")
    missing = [m for m, called in observation["calls"].items() if not called]
    if missing:
        return Verdict(0.5, f"the variables exist, but the pass does not call {', '.join(missing)}: run "
                       "preprocess, predict and postprocess as the detector will")
    ok, reason = compare.check_array(observation["codes"], reference["codes"], "the predictions", tolerance=1e-4)
    if not ok:
        return Verdict.failed(f"after the dummy pass, {reason}")
    return Verdict.passed("one pass through preprocess, predict and postprocess creates the variables")


DUMMY_HINTS = (
    Hint("run detection_model.predict(tmp_image, tmp_shapes) on the preprocessed zeros: predict creates the variables",
         lambda o, r: o["variables"] == 0),
    Hint("end with detection_model.postprocess(tmp_prediction_dict, tmp_shapes)",
         lambda o, r: not o["calls"]["postprocess"]),
)


# --- Exercise 8: the hyperparameters ----------------------------------------------------------------
def hyperparameters_of(returned) -> tuple:
    try:
        batch_size, num_batches, learning_rate, optimizer = returned
    except (TypeError, ValueError):
        raise common.fail("set_hyperparameters must return (batch_size, num_batches, learning_rate, optimizer)") \
            from None
    return batch_size, num_batches, learning_rate, optimizer


def probe_hyperparameters(submission, params) -> dict:
    batch_size, num_batches, learning_rate, optimizer = hyperparameters_of(submission.function("set_hyperparameters")())
    description = common.optimizer_description(optimizer)
    steps = []
    if hasattr(optimizer, "apply_gradients"):  # two steps on a seeded variable show the rate and the momentum
        rng = np.random.default_rng([common.probe_seed(params), 8])
        variable = tf().Variable(rng.normal(size=4).astype(np.float32))
        for _ in range(2):
            optimizer.apply_gradients([(tf().constant(rng.normal(size=4).astype(np.float32)), variable)])
            steps.append(variable.numpy().astype(np.float64))
    return {"batch_size": number_text(batch_size), "num_batches": number_text(num_batches),
            "learning_rate": number_text(learning_rate),
            "optimizer": description, "steps": np.stack(steps) if steps else np.zeros((0, 4))}


def _optimizer_problem(observation, reference) -> str | None:
    optimizer = observation["optimizer"]
    if optimizer.get("class") != reference["optimizer"]["class"]:
        return f"the optimizer is {optimizer.get('class')}, expected SGD"
    if observation["steps"].shape != reference["steps"].shape or not np.allclose(
            observation["steps"], reference["steps"], rtol=1e-4, atol=1e-6):
        return (f"the optimizer's steps differ from SGD's with learning rate 0.01 and momentum 0.9 "
                f"(yours: learning rate {optimizer.get('learning_rate')}, momentum {optimizer.get('momentum')})")
    return None


def check_hyperparameters(observation, reference) -> Verdict:
    optimizer = observation["optimizer"]
    details = [f"batch_size {observation['batch_size']}, num_batches {observation['num_batches']}, learning_rate "
               f"{observation['learning_rate']}, optimizer {optimizer.get('class')} (learning rate "
               f"{optimizer.get('learning_rate')}, momentum {optimizer.get('momentum')})"]
    problems = [
        None if observation["batch_size"] in ("4", "5") else
        f"batch_size is {observation['batch_size']}, expected 4 (or 5: there are 5 images)",
        None if observation["num_batches"] == reference["num_batches"] else
        f"num_batches is {observation['num_batches']}, expected {reference['num_batches']}",
        None if observation["learning_rate"] == reference["learning_rate"] else
        f"learning_rate is {observation['learning_rate']}, expected {reference['learning_rate']}",
        _optimizer_problem(observation, reference)]
    return common.settings_verdict(None, problems, "batches of 4, 100 batches, SGD at 0.01 with momentum 0.9",
                                   details=details)


HYPERPARAMETER_HINTS = (
    Hint("use momentum: tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)",
         lambda o, r: o["optimizer"].get("class") == "SGD" and not o["optimizer"].get("momentum"),
         seen=lambda o, r: f"momentum={o['optimizer'].get('momentum')}"),
    Hint("the course fine-tunes with tf.keras.optimizers.SGD, not another optimizer",
         lambda o, r: o["optimizer"].get("class") not in (None, "SGD"),
         seen=lambda o, r: o["optimizer"].get("class")),
    Hint("give the optimizer the learning rate: SGD(learning_rate=learning_rate, momentum=0.9)",
         lambda o, r: o["optimizer"].get("class") == "SGD"
         and not np.isclose(float(o["optimizer"].get("learning_rate", 0)), 0.01)),
)


# --- Exercise 9: the variables to fine-tune ---------------------------------------------------------
def variables_of(model, chosen) -> list:
    """What select_variables returned, as a list of the model's own variables, or a clear failure."""
    try:
        chosen = list(chosen)
    except TypeError:
        raise common.fail(f"select_variables returned a {type(chosen).__name__}; return a list of variables") \
            from None
    own = {id(v) for v in model.trainable_variables}
    if not all(id(v) in own for v in chosen):
        kinds = sorted({type(v).__name__ for v in chosen if id(v) not in own})
        raise common.fail(f"select_variables must return variables of detection_model.trainable_variables; "
                          f"it returned {', '.join(kinds)}")
    return chosen


def probe_select(submission, params) -> dict:
    seed = common.probe_seed(params)
    with course_folder(seed, tower_layers=True):
        model = reference_model(submission, restore=False)
        chosen = variables_of(model, submission.function("select_variables")(model))
        picked = [picked_value(v, seed) for v in chosen]
        return {"chosen": [v.name for v in chosen], "picked": picked, "variables": len(model.trainable_variables)}


def picked_value(variable, seed: int) -> float:
    """One value of a variable, at a place its name and the seed choose (so in any order of the list)."""
    import zlib

    rng = np.random.default_rng([seed, 9, zlib.crc32(variable.name.encode())])
    values = np.ravel(variable.numpy())
    return float(values[rng.integers(0, max(1, values.size))]) if values.size else 0.0


def check_select(observation, reference) -> Verdict:
    chosen, expected = observation["chosen"], reference["chosen"]
    if len(set(chosen)) != len(chosen):
        return Verdict.failed("to_fine_tune lists a variable twice")
    extra = [name for name in chosen if name not in expected]
    missing = [name for name in expected if name not in chosen]
    if extra or missing:
        parts = ([f"{len(extra)} that should stay as restored (the first: {extra[0]})"] if extra else []) + (
            [f"misses {', '.join(missing)}"] if missing else [])
        return Verdict.failed(f"to_fine_tune has {len(chosen)} variables, expected the {len(expected)} of the two "
                              f"heads: it has {' and '.join(parts)}")
    mine = dict(zip(chosen, observation["picked"]))
    if len(observation["picked"]) != len(chosen) or not all(np.isclose(mine[name], value, rtol=1e-6, atol=1e-9)
               for name, value in zip(expected, reference["picked"])):
        return Verdict.failed("to_fine_tune names the head variables but holds other values: return the "
                              "variables of the model you are given")
    return Verdict.passed("the box head's and the class head's kernel and bias, and nothing else")


SELECT_HINTS = (
    Hint("fine-tune the two heads only: the variables whose names start with the box head's and the class head's "
         "prefixes, not every trainable variable",
         lambda o, r: len(o["chosen"]) == o["variables"] > len(r["chosen"])),
    Hint("choose by name, not by position: the fourth head variable is the class head's bias, which index 4 is not",
         lambda o, r: len(o["chosen"]) == len(r["chosen"])
         and sum(group_of(n) in ("the box head", "the class head") for n in o["chosen"]) == len(r["chosen"]) - 1,
         seen=lambda o, r: next(n for n in o["chosen"] if group_of(n) not in ("the box head", "the class head"))),
    Hint("fine-tune the class head too: it starts afresh, so it must learn the new class",
         lambda o, r: not any(group_of(n) == "the class head" for n in o["chosen"])),
    Hint("fine-tune the box head too (prefix WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead)",
         lambda o, r: not any(group_of(n) == "the box head" for n in o["chosen"])),
)


# --- Exercise 10: the training step -------------------------------------------------------------------
TRAIN_STEPS = 4
LOSS_PARTS = ("localization", "classification")


def probe_train_step(submission, params) -> dict:
    seed = common.probe_seed(params)
    keras = common.keras()
    with course_folder():
        model = reference_model(submission)
        selected = submission.reference("select_variables")(model)
        images, boxes, classes = training_batch(seed)
        before = values(model)
        parts = api_losses(model, images, boxes, classes)
        model._groundtruth.lists = {}  # forgotten: the learner's step must give the ground truth itself
        set_globals(submission, detection_model=model, batch_size=len(images))
        optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
        step = fresh(submission.function("train_step_fn"))
        error, losses = None, []
        try:
            for _ in range(TRAIN_STEPS):
                losses.append(loss_value(step(images, boxes, classes, model, optimizer, selected)))
        except ValueError as failure:  # apply_gradients with no gradient at all
            error = exception_sentence(failure)
        after = values(model)
        changed = sorted(name for name in before if not np.array_equal(before[name], after[name]))
        later = api_losses(model, images, boxes, classes) if error is None else (float("nan"),) * 2
    return {"error": error, "losses": losses, "parts": dict(zip(LOSS_PARTS, parts)),
            "later": dict(zip(LOSS_PARTS, later)), "changed": changed, "selected": sorted(v.name for v in selected)}


def check_train_step(observation, reference) -> Verdict:
    if observation["error"] is not None:
        return Verdict.failed(f"train_step_fn fails: {observation['error']}")
    losses = observation["losses"]
    localization, classification = (observation["parts"][part] for part in LOSS_PARTS)
    if observation["selected"] != reference["selected"] or not all(
            np.isclose(observation["parts"][part], reference["parts"][part], rtol=1e-3, atol=1e-6)
            for part in LOSS_PARTS):
        return Verdict.failed("the grader's own losses on the batch differ from the expected ones: the model or "
                              "the batch was changed before your training step ran")
    details = [f"losses over {len(losses)} steps: {', '.join(f'{x:.4f}' for x in losses)}; the API's losses on the "
               f"batch before the first step: localization {localization:.4f}, classification {classification:.4f}"]
    changed, selected = observation["changed"], observation["selected"]
    if set(changed) != set(selected):
        extra = [n for n in changed if n not in selected]
        if extra:
            return Verdict.failed(f"one training step changes {len(changed)} variables, {len(extra)} of them not in "
                                  f"vars_to_fine_tune (the first: {extra[0]})", details=details)
        return Verdict.failed(f"the training steps change {len(changed)} of the {len(selected)} variables to "
                              "fine-tune", details=details)
    total = localization + classification
    later = sum(observation["later"].values())
    if not losses or not np.all(np.isfinite(losses)):
        return Verdict.failed(f"train_step_fn returned the losses {losses}: expected finite numbers")
    if not np.isclose(losses[0], total, rtol=1e-3, atol=1e-5):
        return Verdict.failed(f"the first step returns the loss {losses[0]:.4f}; the localization loss plus the "
                              f"classification loss is {total:.4f}", details=details)
    if not later < total or not np.isclose(later, sum(reference["later"].values()), rtol=0.05, atol=1e-3):
        return Verdict.failed(f"after {len(losses)} steps the loss on the batch is {later:.4f}, expected about "
                              f"{sum(reference['later'].values()):.4f} (from {total:.4f})", details=details)
    return Verdict.passed(f"the steps lower the loss ({total:.3f} to {later:.3f} in {len(losses)} steps) and change "
                          "only vars_to_fine_tune", details=details)


def _loss_is(o, part: str) -> bool:
    return bool(o["losses"]) and np.isclose(o["losses"][0], o["parts"][part], rtol=1e-3, atol=1e-5) and \
        not any(np.isclose(value, 0, atol=1e-6) for value in o["parts"].values())


TRAIN_HINTS = (
    Hint("run preprocess, predict and loss inside `with tf.GradientTape() as tape:`: outside it the tape records "
         "nothing and there are no gradients",
         lambda o, r: o["error"] is not None and "gradient" in o["error"].lower()),
    Hint("apply the gradients of vars_to_fine_tune only: tape.gradient(total_loss, vars_to_fine_tune)",
         lambda o, r: any(n not in o["selected"] for n in o["changed"])),
    Hint("add the two losses: total_loss = losses['Loss/localization_loss'] + losses['Loss/classification_loss']",
         lambda o, r: _loss_is(o, "classification") or _loss_is(o, "localization"),
         seen=lambda o, r: "only the classification loss" if _loss_is(o, "classification")
         else "only the localization loss"),
    Hint("apply the gradients: optimizer.apply_gradients(zip(gradients, vars_to_fine_tune))",
         lambda o, r: o["error"] is None and not o["changed"]),
)


# --- Exercise 11: detect ------------------------------------------------------------------------------
def probe_detect(submission, params, data=None) -> dict:
    """`detect` on a public frame the seed chooses, of `data`'s test_frames (graders.data.detection's:
    the zombie walk)."""
    if data is None:
        from graders.data import detection as data

    seed = common.probe_seed(params)
    index = int(np.random.default_rng([seed, 11]).integers(0, data.NUM_TEST_FRAMES))
    _, frame, _ = next(data.test_frames([index]))
    with course_folder():
        model = reference_model(submission)
    set_globals(submission, detection_model=model)
    batch = tf().constant(frame[np.newaxis], tf().float32)
    detections = fresh(submission.function("detect"))(batch)
    if not isinstance(detections, dict):
        raise common.fail(f"detect returned a {type(detections).__name__}; return the dictionary of "
                          "detection_model.postprocess")
    images, shapes = model.preprocess(batch)
    expected = model.postprocess(model.predict(images, shapes), shapes)
    shapes_of = {key: list(np.shape(value)) for key, value in detections.items()
                 if hasattr(value, "shape") or isinstance(value, np.ndarray)}
    mine = {key: np.asarray(detections[key], dtype=np.float64) for key in ("detection_boxes", "detection_scores")
            if key in detections}
    return {"frame": index, "keys": sorted(str(k) for k in detections), "shapes": shapes_of,
            "boxes": mine.get("detection_boxes", np.zeros((0, 4))).reshape(-1, 4),
            "scores": mine.get("detection_scores", np.zeros(0)).ravel(),
            "expected_boxes": np.asarray(expected["detection_boxes"], np.float64).reshape(-1, 4),
            "expected_scores": np.asarray(expected["detection_scores"], np.float64).ravel()}


REQUIRED_KEYS = ("detection_boxes", "detection_scores", "detection_classes", "num_detections")


def _matched(boxes: np.ndarray, expected: np.ndarray, tolerance: float = 1e-4) -> bool:
    """Every box is one of the expected boxes (in any order: near-equal scores may swap places)."""
    if boxes.shape != expected.shape:
        return False
    if not boxes.size:
        return True
    distance = np.abs(boxes[:, None, :] - expected[None, :, :]).max(axis=-1)
    return bool(np.all(distance.min(axis=1) <= tolerance))


def check_detect(observation, reference) -> Verdict:
    if observation["frame"] != reference["frame"] or not (
            np.allclose(np.sort(observation["expected_scores"]), np.sort(reference["expected_scores"]), atol=1e-4)
            and _matched(observation["expected_boxes"], reference["expected_boxes"], 1e-3)):
        return Verdict.failed("the grader's own detections of the frame differ from the expected ones: the model "
                              "was changed before detect ran")
    missing = [key for key in REQUIRED_KEYS if key not in observation["keys"]]
    if missing:
        return Verdict.failed(f"detect returns the keys {', '.join(observation['keys'][:6])}; expected the "
                              f"detections, with {', '.join(missing)}")
    for key in ("detection_boxes", "detection_scores", "detection_classes"):
        if observation["shapes"].get(key) != reference["shapes"].get(key):
            return Verdict.failed(f"{key} has shape {compare.shape_text(observation['shapes'].get(key) or [])}, "
                                  f"expected {compare.shape_text(reference['shapes'][key])}")
    if not np.allclose(np.sort(observation["scores"]), np.sort(observation["expected_scores"]), atol=1e-4):
        return Verdict.failed("the detection scores differ from detection_model.postprocess's for the same frame")
    if not _matched(observation["boxes"], observation["expected_boxes"]):
        return Verdict.failed("the detection boxes differ from detection_model.postprocess's for the same frame")
    return Verdict.passed(f"detect gives the detector's detections (frame {observation['frame']})")


DETECT_HINTS = (
    Hint("return detection_model.postprocess(prediction_dict, shapes): it decodes the boxes and keeps the best",
         lambda o, r: "box_encodings" in o["keys"] or "class_predictions_with_background" in o["keys"]),
    Hint("keep postprocess's boxes as they are, (ymin, xmin, ymax, xmax)",
         lambda o, r: _matched(o["boxes"][:, [1, 0, 3, 2]], o["expected_boxes"])),
)


# --- The learner's pipeline, fine-tuned and scored on hidden frames ---------------------------------------------
def stacked(frames) -> tuple[np.ndarray, np.ndarray]:
    """(frames, true boxes as float64) of an iterator of (index, frame, box)."""
    images, boxes = [], []
    for _, frame, box in frames:
        images.append(frame)
        boxes.append(box)
    return np.stack(images), np.stack(boxes).astype(np.float64)


@functools.lru_cache(maxsize=1)
def _scoring_set() -> common.ScoringSet:
    """The hidden (or, without them, public dev) frames and their true boxes, rendered once per
    process (trusted side)."""
    from graders.data import detection

    return common.scoring_set(ASSIGNMENT, lambda: stacked(detection.hidden_frames()),
                              lambda: stacked(detection.dev_frames()), "frames")


def pipeline_params() -> dict:
    """The scored frames, then the public dev frames the report's pictures may show: the probe detects
    them all after fine-tuning and trains on none of them."""
    return {"frames": _scoring_set().probe_inputs}


def run_problem(scoring: common.ScoringSet, observation) -> str | None:
    """Why a run's detections are not one top box and score per frame the probe was given; None if they are."""
    boxes, scores = np.asarray(observation["boxes"]), np.asarray(observation["scores"])
    if boxes.shape != (scoring.probe_count, 4) or scores.shape != (scoring.probe_count,):
        return (f"the run gave {boxes.shape[0] if boxes.ndim else 0} top boxes and {scores.size} scores for "
                f"{scoring.probe_count} frames")
    return None


def scored_detections(scoring: common.ScoringSet, observation) -> tuple[np.ndarray, np.ndarray]:
    """(the IoU of each scored frame's top box with its true box, its top score): the scored part of a
    run (the hidden frames, else the public dev frames), what the marks are set on."""
    boxes = scoring.scored(np.asarray(observation["boxes"], dtype=np.float64))
    return box_iou(boxes, scoring.answers), scoring.scored(np.asarray(observation["scores"], dtype=np.float64))


def scored_run(observation) -> tuple[np.ndarray, np.ndarray]:
    """`scored_detections` of this assignment's scoring set."""
    return scored_detections(_scoring_set(), observation)


def _step(name: str, call, *args):
    """Run one of the learner's steps of the pipeline; a failure says which step stopped it."""
    try:
        return call(*args)
    except (ProbeFailure, NotImplementedError):
        raise
    except Exception as error:
        raise common.fail(f"the fine-tuning run stops in {name}: {exception_sentence(error, 200)}") from None


def probe_pipeline(submission, params) -> dict:
    import random
    import time

    seed = common.probe_seed(params)
    function = submission.function
    for name in ("configure_model", "build_detection_model", "restore_weights", "run_dummy_pass",
                 "set_hyperparameters", "select_variables", "train_step_fn", "detect"):
        function(name)  # each is the learner's: a missing one is said before anything runs
    with course_folder():
        model_config = _step("configure_model", lambda: function("configure_model")(config_path(), 1))
        model = _step("build_detection_model", lambda: function("build_detection_model")(model_config))
        _step("restore_weights", lambda: function("restore_weights")(model))
        _step("run_dummy_pass", lambda: function("run_dummy_pass")(model))
    batch, _, _, optimizer = hyperparameters_of(_step("set_hyperparameters", function("set_hyperparameters")))
    try:
        batch_size = min(5, max(1, int(batch)))
    except (TypeError, ValueError):
        raise common.fail(f"set_hyperparameters gives batch_size = {batch!r}; it must be a number") from None
    to_fine_tune = variables_of(model, _step("select_variables", function("select_variables"), model))
    images, boxes, classes = training_batch(None, 5)
    set_globals(submission, detection_model=model, batch_size=batch_size)
    shuffle, losses = random.Random(seed), []
    step = fresh(function("train_step_fn"))
    start = time.perf_counter()
    for _ in range(COURSE_BATCHES):
        keys = list(range(len(images)))
        shuffle.shuffle(keys)
        keys = keys[:batch_size]
        loss = _step("train_step_fn", step, [images[k] for k in keys],
                     [boxes[k] for k in keys], [classes[k] for k in keys], model, optimizer, to_fine_tune)
        losses.append(loss_value(loss))
    seconds = time.perf_counter() - start
    detect = fresh(function("detect"))
    top_boxes, top_scores = [], []
    for frame in params["frames"]:
        detections = _step("detect", detect, tf().constant(frame[np.newaxis], tf().float32))
        box, score = top_detection(detections)
        top_boxes.append(box)
        top_scores.append(score)
    return {"boxes": np.stack(top_boxes), "scores": np.asarray(top_scores), "losses": np.asarray(losses),
            "batch_size": batch_size, "train_seconds": seconds}


def top_detection(detections) -> tuple[np.ndarray, float]:
    """The top box and score of one frame's detections, or a failure that says what detect gave."""
    try:
        boxes = np.asarray(detections["detection_boxes"], np.float64).reshape(-1, 4)
        scores = np.asarray(detections["detection_scores"], np.float64).ravel()
        return boxes[0], float(scores[0])
    except (TypeError, KeyError, IndexError, ValueError):
        raise common.fail(f"detect returned {type(detections).__name__} without a top detection_boxes and "
                          "detection_scores; return the dictionary of detection_model.postprocess") from None


def frames_figure(frames, truth: np.ndarray, predicted: np.ndarray, iou: np.ndarray, what: str,
                  note: str = "") -> Figure:
    """The six frames with the lowest IoU, worst first, at half size; `frames(indices)` renders them;
    `note` ends the caption."""
    from graders.authoring import pictures

    as_xy = [1, 0, 3, 2]  # the detector's boxes are (ymin, xmin, ymax, xmax), the pictures' x first
    worst, png = pictures.worst_boxes_png(lambda indices: [frame[::2, ::2] for frame in frames(indices)],
                                          truth[:, as_xy], predicted[:, as_xy], iou, label="IoU", line=3)
    return Figure(f"the {len(worst)} {what} with the lowest IoU, worst first (green: true box, red: your top box)"
                  f"{note}", png=png)


def shown_frames_figure(scoring: common.ScoringSet, observation) -> Figure:
    """`frames_figure` of the frames a report may show (public dev frames, never hidden ones)."""
    frames, truth = scoring.shown_inputs, scoring.shown_answers
    shown = scoring.shown(np.asarray(observation["boxes"], dtype=np.float64))
    return frames_figure(lambda indices: [frames[i] for i in indices], truth, shown, box_iou(shown, truth),
                         f"{scoring.shown_name} frames", scoring.shown_note)


def box_share(iou: np.ndarray) -> float:
    return float(np.mean(iou >= IOU_THRESHOLD)) if len(iou) else 0.0


def confident_share(scores: np.ndarray, iou: np.ndarray, score_threshold: float = SCORE_THRESHOLD) -> float:
    """Share of frames whose top box is right with a score above the threshold: a sure wrong box earns nothing."""
    return float(np.mean((scores > score_threshold) & (iou >= IOU_THRESHOLD))) if len(iou) else 0.0


def detection_score(box_part: float, score_part: float | None) -> float:
    """Half the points for boxes (full from BOX_SHARE of frames right), half for confidence (full from
    SCORE_SHARE of frames above SCORE_THRESHOLD); without scores, all for the boxes."""
    boxes = min(1.0, box_part / BOX_SHARE)
    if score_part is None:
        return boxes
    return 0.5 * boxes + 0.5 * min(1.0, score_part / SCORE_SHARE)


CRITERIA = ("criteria of this grader, not the course's (its formula was never published): a frame's top box "
            f"is right at IoU >= {IOU_THRESHOLD:g} with the true box")


def check_pipeline(observation, reference) -> Verdict:
    scored = _scoring_set()
    which = scored.name
    problem = run_problem(scored, observation)
    if problem:
        return Verdict.failed(problem)
    iou, scores = scored_run(observation)
    right, confident = box_share(iou), confident_share(scores, iou)
    losses = np.asarray(observation["losses"], dtype=np.float64)
    if losses.size == 0:
        return Verdict.failed("the run trained no batch")
    details = [f"{CRITERIA}; full points from {BOX_SHARE:.0%} of frames right and {SCORE_SHARE:.0%} with a top "
               f"score above {SCORE_THRESHOLD:g}",
               f"fine-tuned for {len(losses)} batches of {observation['batch_size']} in "
               f"{observation['train_seconds']:.1f} s: loss {losses[0]:.3f} first, {losses[-1]:.3f} last; "
               f"median IoU {np.median(iou):.2f}"]
    message = (f"on {len(iou)} {which} frames, {right:.0%} of your top boxes are right and {confident:.0%} are "
               f"right with a score above {SCORE_THRESHOLD:g} (this grader's criteria)")
    figures = [shown_frames_figure(scored, observation)]
    return scored.told(Verdict(detection_score(right, confident), message, details=details, figures=figures))


PIPELINE_HINTS = (
    Hint("the boxes are not found: check the restore (Ex6), the optimizer (Ex8), the variables (Ex9), the training "
         "step (Ex10) and detect (Ex11); the loss of the last batches should be under 0.5",
         lambda o, r: not float(np.asarray(o["losses"], np.float64)[-10:].mean()) <= 0.5,
         seen=lambda o, r: f"a mean loss of {float(np.asarray(o['losses'], np.float64)[-10:].mean()):.3g} "
         "over the last 10 batches"),
)


# --- The course's results file on the public frames ----------------------------------------------------------
def probe_results_file(submission, params) -> dict:
    import json
    import pickle
    from pathlib import Path

    path = submission.model_file
    if path is None:
        raise common.fail(f"not implemented yet: no results file next to your code (looked for "
                          f"{', '.join(RESULT_FILES)}); the course notebook writes results.data with "
                          "pickle.dump(results['boxes'], open('results.data', 'wb')), and "
                          "`python -m exercises.c3w2_training --submission FOLDER` writes it too")
    name = Path(path).name
    try:
        if name.endswith(".npz"):
            with np.load(path, allow_pickle=False) as stored:
                boxes = stored["boxes"] if "boxes" in stored.files else stored[stored.files[0]]
        elif name.endswith(".json"):
            with open(path) as file:
                boxes = json.load(file)
        else:
            with open(path, "rb") as file:  # learner data, unpickled here in the worker and nowhere else
                boxes = pickle.load(file)
        if isinstance(boxes, dict):
            boxes = boxes.get("boxes", boxes)
        array = np.asarray([np.asarray(box, dtype=np.float64).reshape(-1)[:4] for box in boxes], dtype=np.float64)
    except Exception as error:
        raise common.fail(f"{name} could not be read as a list of boxes: {type(error).__name__}: "
                          f"{str(error)[:160]}") from None
    if array.ndim != 2 or array.shape[1] != 4:
        raise common.fail(f"{name} holds {array.shape}; expected one box (ymin, xmin, ymax, xmax) per frame")
    return {"boxes": array, "file": name}


def check_results_file(observation, reference) -> Verdict:
    from graders.data import detection

    truth = detection.stored_test_boxes().astype(np.float64)
    predicted = np.asarray(observation["boxes"], dtype=np.float64)
    if predicted.shape != truth.shape:
        return Verdict.failed(f"{observation['file']} has {predicted.shape[0]} boxes; expected one for each of the "
                              f"{truth.shape[0]} frames zombie-walk0000.jpg to {detection.test_frame_name(len(truth) - 1)}")
    iou = box_iou(predicted, truth)
    right = box_share(iou)
    message = (f"{right:.0%} of the {len(iou)} boxes in {observation['file']} are right (IoU >= {IOU_THRESHOLD:g} "
               f"with the true box); this part counts no points: the public frames' boxes are public")
    details = [CRITERIA, f"median IoU {np.median(iou):.2f}"]
    swapped = box_share(box_iou(predicted[:, [1, 0, 3, 2]], truth))
    if right < BOX_SHARE and swapped > right + 0.25:
        message += (f"; read as (xmin, ymin, xmax, ymax) they would score {swapped:.0%}: save detect's boxes as they "
                    "are, (ymin, xmin, ymax, xmax)")
    figures = []
    if right < 1.0:
        figures = [frames_figure(lambda indices: [frame for _, frame, _ in detection.test_frames(indices)],
                                 truth, predicted, iou, "public frames")]
    return Verdict(detection_score(right, None), message, details=details, figures=figures)


ASSIGNMENT = Assignment(
    id="c3w2",
    title="C3W2 Zombie detection",
    module="c3w2_zombie_detection",
    notebook_glob="C3W2*.ipynb",
    # The course writes these steps as top-level cells; a notebook is graded on those cells.
    steps=(
        TopLevelStep(function="define_category_index", results=("category_index", "num_classes")),
        TopLevelStep(function="configure_model", results=("model_config",),
                     parameters=("pipeline_config", "num_classes"), span_from=("configs",)),
        TopLevelStep(function="build_detection_model", results=("detection_model",), parameters=("model_config",)),
        TopLevelStep(function="restore_weights", parameters=("detection_model",),
                     span_from=("tmp_box_predictor_checkpoint", "tmp_model_checkpoint"), until_call="restore"),
        TopLevelStep(function="run_dummy_pass", parameters=("detection_model",), span_from=("tmp_image",),
                     until_call="postprocess"),
        TopLevelStep(function="set_hyperparameters", results=("batch_size", "num_batches", "learning_rate",
                                                              "optimizer")),
        TopLevelStep(function="select_variables", results=("to_fine_tune",), parameters=("detection_model",),
                     span_from=("to_fine_tune", "prefixes_to_train")),
    ),
    model_files=RESULT_FILES,
    hidden_data=("fixtures/c3w2/zombie_hidden.npz",),
    exercises=(
        Exercise("category_index", "Ex3 the category index", 5, probe_category_index, check_category_index,
                 CATEGORY_HINTS, functions=("define_category_index",)),
        Exercise("configure_model", "Ex5.1-5.3 the model config", 10, probe_configure, check_configure,
                 CONFIG_HINTS, functions=("configure_model",)),
        Exercise("build_detection_model", "Ex5.4 build the detector", 5, probe_build, check_build, BUILD_HINTS,
                 functions=("build_detection_model",), stand_ins=("configure_model", "run_dummy_pass")),
        Exercise("restore_weights", "Ex6 restore all but the class head", 15, probe_restore, check_restore,
                 RESTORE_HINTS, functions=("restore_weights",),
                 stand_ins=("configure_model", "build_detection_model", "restore_weights", "run_dummy_pass")),
        Exercise("run_dummy_pass", "Ex7 the dummy pass", 5, probe_dummy_pass, check_dummy_pass, DUMMY_HINTS,
                 functions=("run_dummy_pass",), stand_ins=("configure_model", "build_detection_model")),
        Exercise("set_hyperparameters", "Ex8 the hyperparameters", 10, probe_hyperparameters, check_hyperparameters,
                 HYPERPARAMETER_HINTS, functions=("set_hyperparameters",)),
        Exercise("select_variables", "Ex9 the variables to fine-tune", 10, probe_select, check_select, SELECT_HINTS,
                 functions=("select_variables",),
                 stand_ins=("configure_model", "build_detection_model", "run_dummy_pass")),
        Exercise("train_step_fn", "Ex10 train_step_fn", 15, probe_train_step, check_train_step, TRAIN_HINTS,
                 functions=("train_step_fn",),
                 stand_ins=("configure_model", "build_detection_model", "restore_weights", "run_dummy_pass",
                            "select_variables")),
        Exercise("detect", "Ex11 detect", 10, probe_detect, check_detect, DETECT_HINTS, functions=("detect",),
                 stand_ins=("configure_model", "build_detection_model", "restore_weights", "run_dummy_pass")),
        Exercise("fine_tuned", "Your pipeline, fine-tuned, on held-out frames", 15, probe_pipeline, check_pipeline,
                 PIPELINE_HINTS, subject="your fine-tuning run", uses_reference=False,
                 observation_shape=lambda: {"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "losses": np.zeros(0),
                                            "batch_size": 0, "train_seconds": 0.0},
                 params_factory=pipeline_params),
        # No points: the public frames and their true boxes can be rebuilt by anyone, so a results file
        # proves nothing; it is the course's deliverable, checked for the learner's own information.
        Exercise("results_file", "results.data on the public frames (feedback, no points)", 0, probe_results_file, check_results_file,
                 subject="your results file", uses_reference=False, needs_model_file=True,
                 observation_shape=lambda: {"boxes": np.zeros((0, 4)), "file": ""}),
    ),
)
