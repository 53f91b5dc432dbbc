"""Lab C3W2-L1 "Simple object detection with TF Hub", as a practice suite.

The lab loads an OpenImages detector from TF Hub (`hub.load(handle).signatures['default']`),
decodes a JPEG and reads the detector's unbatched outputs. TF Hub cannot be reached, so the
probes hand the learner the handle of a local SavedModel with the OpenImages signature
(`graders.data.hub_detector`: the project's pre-trained 6-class detector), loaded with the
real `tensorflow_hub.load`. The photographs are the detection data's pasted scenes, written
as JPEG files, one of them greyscale. It scores like an assignment but counts for nothing in
a grade.
"""

from __future__ import annotations

import os

import numpy as np

from graders.authoring import Assignment, Exercise, Figure, Hint, Verdict, compare, exception_sentence, pictures
from graders.data import detection, hub_classifier, hub_detector
from graders.suites import common

SPLIT = "pretrain_dev"  # the scenes the detector was not trained on
COLOUR_SCENES = 2  # scenes per probe in colour; one more is written greyscale
TOP = 10  # detections compared and recorded, the best first
PIXEL_MEAN_BOUND = 1.0  # mean |difference| in grey levels: another JPEG decoder (Pillow's) passes
PIXEL_MAX_BOUND = 24  # ... and no pixel further off than this
OUTPUT_TOLERANCE = 1e-3  # boxes and scores of the same detector on the same image
JPEG_QUALITY = 90
REQUIRED_KEYS = ("detection_boxes", "detection_scores", "detection_class_entities")

hub_classifier.refuse_downloads_on_import()  # a learner's own hub.load(URL) fails at once, even at top level


def scenes(seed: int) -> list[list]:
    """[dev-scene index, greyscale] of each case: scenes 0, 1 and 2 at seed 0 (the public
    references), other scenes at any other seed (a batch's secret one)."""
    indices = [0, 1, 2] if not seed else [int(i) for i in np.random.default_rng([seed, 21]).choice(500, 3, False)]
    return [[index, position == COLOUR_SCENES] for position, index in enumerate(indices)]


def scene_pixels(scene) -> np.ndarray:
    """The scene as written to its JPEG (before compression): RGB, or grey in three equal channels."""
    index, grey = scene
    image = detection.pretraining_sample(index, SPLIT)[0]
    if grey:
        from PIL import Image

        image = np.repeat(np.asarray(Image.fromarray(image).convert("L"))[..., None], 3, axis=-1)
    return image


def _write_scene(scene, folder: str) -> str:
    from PIL import Image

    index, grey = scene
    pixels = scene_pixels(scene)
    picture = Image.fromarray(pixels[..., 0] if grey else pixels)
    path = os.path.join(folder, f"scene{index:06d}{'_grey' if grey else ''}.jpg")
    picture.save(path, quality=JPEG_QUALITY)
    return path


def _half(pixels: np.ndarray) -> np.ndarray:
    """uint8 levels at half resolution (2x2 means): small to store, exact enough to compare."""
    height, width = (pixels.shape[0] // 2) * 2, (pixels.shape[1] // 2) * 2
    values = pixels[:height, :width].astype(np.float64).reshape(height // 2, 2, width // 2, 2, -1).mean(axis=(1, 3))
    return np.round(values).astype(np.uint8)


NO_PIXELS = np.zeros((0,), np.uint8)


def _array(value) -> np.ndarray | None:
    try:
        return np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except (TypeError, ValueError):
        return None


# --- in the worker: the detector ---------------------------------------------------------------
def _grader_detector():
    import tensorflow_hub as hub

    return hub.load(hub_detector.local_handle("openimages")).signatures["default"]


def _model_input(scene):
    import tensorflow as tf

    return tf.image.convert_image_dtype(tf.constant(scene_pixels(scene)), tf.float32)[tf.newaxis]


def _text(values) -> list[str]:
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in np.ravel(values)[:TOP]]


def outputs_of(result) -> dict:
    """What a detector's result holds, as plain data: its keys, whether each is numpy, and the top
    detections' boxes, scores and entities (empty where the result lacks them)."""
    keys = sorted(str(k) for k in result) if isinstance(result, dict) else []
    numpy = bool(keys) and all(isinstance(result[k], np.ndarray) for k in result)
    found = {"keys": keys, "numpy": numpy, "boxes": np.zeros((0, 4), np.float32), "scores": np.zeros((0,), np.float32),
             "entities": [], "boxes_shape": [], "scores_shape": []}
    if not isinstance(result, dict):
        return found
    boxes, scores = _array(result.get("detection_boxes")), _array(result.get("detection_scores"))
    if boxes is not None and boxes.dtype.kind == "f" and boxes.size and boxes.shape[-1] == 4:
        found["boxes_shape"] = list(boxes.shape)
        found["boxes"] = boxes.reshape(-1, 4)[:TOP].astype(np.float32)
    if scores is not None and scores.dtype.kind == "f" and scores.size:
        found["scores_shape"] = list(scores.shape)
        found["scores"] = scores.ravel()[:TOP].astype(np.float32)
    entities = _array(result.get("detection_class_entities"))
    if entities is not None and entities.size:
        found["entities"] = _text(entities)
    return found


def probe_load_detector(submission, params) -> dict:
    function = submission.function("load_detector")
    hub_classifier.refuse_downloads()
    handle = hub_detector.local_handle("openimages")
    with hub_classifier.saved_model_reads() as reads:
        try:
            detector = function(handle)
        except hub_classifier.OfflineHandle as refused:
            raise common.fail(str(refused)) from None
    scene = scenes(common.probe_seed(params))[0]
    observation = {"scene": scene, "returned": type(detector).__name__, "callable": callable(detector),
                   "signatures": sorted(getattr(getattr(detector, "signatures", None), "keys", list)())[:20],
                   "error": "", **outputs_of(None),
                   "reads": sorted({os.path.relpath(read, os.path.realpath(handle)) for read in reads})[:20]}
    if callable(detector):
        try:
            observation.update(outputs_of(detector(_model_input(scene))))
        except NotImplementedError:
            raise
        except Exception as error:  # noqa: BLE001 - what calling it does is the observation
            observation["error"] = exception_sentence(error)
    return observation


# --- in the worker: the image loader -------------------------------------------------------------
def probe_load_img(submission, params) -> dict:
    import tempfile

    function = submission.function("load_img")
    cases = []
    with tempfile.TemporaryDirectory(prefix="cvgrade-l1-") as folder:
        for scene in scenes(common.probe_seed(params)):
            value = _array(function(_write_scene(scene, folder)))
            case = {"scene": scene, "shape": [], "dtype": "", "max": 0.0, "pixels": NO_PIXELS}
            if value is None or value.dtype.kind not in "biuf":
                case["dtype"] = "none" if value is None else str(value.dtype)
                cases.append(case)
                continue
            case.update(shape=list(value.shape), dtype=str(value.dtype),
                        max=float(np.nanmax(value)) if value.size else 0.0)
            if value.ndim == 3 and value.shape[-1] == 3:
                levels = value.astype(np.float64) * (255.0 if value.dtype.kind == "f" and case["max"] <= 1.0 else 1.0)
                case["pixels"] = _half(np.clip(np.nan_to_num(levels), 0, 255))
            cases.append(case)
    return {"cases": cases}


# --- in the worker: running the detector ---------------------------------------------------------
class RecordingDetector:
    """The grader's detector, noting what each call was given before it answers."""

    def __init__(self, detector):
        self._detector = detector
        self.given: list[dict] = []

    def __call__(self, *args, **kwargs):
        value = args[0] if args else next(iter(kwargs.values()), None)
        array = _array(value)
        given = {"dtype": "none", "shape": [], "min": 0.0, "max": 0.0}
        if array is not None and array.dtype.kind in "biuf" and array.size:
            given = {"dtype": str(array.dtype), "shape": list(array.shape), "min": float(array.min()),
                     "max": float(array.max())}
        self.given.append(given)
        return self._detector(*args, **kwargs)


def probe_run_detector(submission, params) -> dict:
    import tempfile

    function = submission.function("run_detector")
    detector = _grader_detector()
    cases = []
    with tempfile.TemporaryDirectory(prefix="cvgrade-l1-") as folder, common.reference_parts(submission, ["load_img"]):
        for scene in scenes(common.probe_seed(params))[:COLOUR_SCENES]:
            recording = RecordingDetector(detector)
            case = {"scene": scene, "error": "", "returned": ""}
            try:
                result = function(recording, _write_scene(scene, folder))
                case["returned"] = "dict" if isinstance(result, dict) else type(result).__name__
            except NotImplementedError:
                raise
            except Exception as error:  # noqa: BLE001 - a detector refusing the input is the observation
                result = None
                case["error"] = exception_sentence(error)
            case.update(outputs_of(result))
            case["calls"] = len(recording.given)
            case["given"] = recording.given[0] if recording.given else {"dtype": "none", "shape": [], "min": 0.0,
                                                                        "max": 0.0}
            cases.append(case)
    return {"cases": cases}


# --- on the trusted side ---------------------------------------------------------------------------
def _scene_name(scene) -> str:
    return f"scene {scene[0]}{' (greyscale JPEG)' if scene[1] else ''}"


def same_detections(found: dict, expected: dict) -> tuple[bool, str]:
    """The top boxes and scores agree with the grader's detector on the same picture."""
    if found["boxes"].shape != expected["boxes"].shape or found["scores"].shape != expected["scores"].shape:
        return False, (f"the top {TOP} detections have boxes of shape {compare.shape_text(found['boxes'].shape)} "
                       f"and scores of shape {compare.shape_text(found['scores'].shape)}, expected "
                       f"{compare.shape_text(expected['boxes'].shape)} and "
                       f"{compare.shape_text(expected['scores'].shape)}")
    for name in ("boxes", "scores"):
        ok, reason = compare.check_array(found[name], expected[name], f"the top {TOP} {name}", OUTPUT_TOLERANCE)
        if not ok:
            return False, reason
    if found["entities"] != expected["entities"]:
        return False, f"the top entities are {found['entities'][:3]}, expected {expected['entities'][:3]}"
    return True, ""


def _boxes_figure(cases: list[dict], references: list[dict], caption: str) -> Figure:
    """Each scene with the expected top 3 boxes (green) and the learner's (red)."""
    cells, captions = [], []
    for mine, theirs in zip(cases, references):
        image = scene_pixels(theirs["scene"])

        def drawn(boxes, colour):
            return [(np.asarray(box)[[1, 0, 3, 2]], colour) for box in boxes[:3]]

        cells.append(pictures.with_boxes(image, drawn(theirs["boxes"], pictures.TRUE_BOX)
                                         + drawn(mine["boxes"], pictures.PREDICTED_BOX), width=2))
        score = f"{mine['scores'][0]:.2f}" if mine["scores"].size else "none"
        captions.append(f"{_scene_name(theirs['scene'])}: top score {score}")
    return Figure(caption, png=pictures.grid_png([cells], scale=1, captions=[captions]))


def check_load_detector(observation, reference) -> Verdict:
    if not observation["callable"]:
        return Verdict.failed(f"load_detector returned a {observation['returned']}, which cannot be called on "
                              "images")
    if observation["error"]:
        return Verdict.failed(f"calling what load_detector returned on an image failed: {observation['error']}")
    figure = _boxes_figure([observation], [reference], "your detector's top 3 boxes (red) and the expected "
                                                       "ones (green)")
    ok, reason = same_detections(observation, reference)
    if not ok:
        return Verdict.failed(reason + f" on {_scene_name(reference['scene'])}", figures=[figure])
    if "." not in observation["reads"]:
        return Verdict.failed("the detector does not come from the SavedModel at `handle`: load it with "
                              "hub.load(handle)")
    return Verdict.passed("the SavedModel at `handle` loaded; its 'default' signature gives the expected "
                          "detections on a photograph", figures=[figure])


def _missing(o, r) -> list[str]:
    return [key for key in r["keys"] if key not in o["keys"]]


LOAD_DETECTOR_HINTS = (
    Hint("load the detector with hub.load(handle), from the handle the grader passes",
         lambda o, r: "." not in o["reads"]),
    Hint("return the module's 'default' signature, hub.load(handle).signatures['default'], not the module itself",
         lambda o, r: ("default" in o["signatures"] and not o["callable"]) or "not callable" in o["error"],
         seen=lambda o, r: f"a {o['returned']}"),
    Hint("return the signature itself: its dictionary holds every output of the detector",
         lambda o, r: o["callable"] and not o["error"] and bool(_missing(o, r)),
         seen=lambda o, r: f"a dictionary without {', '.join(_missing(o, r))}"),
)


def _pixel_difference(mine: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    difference = np.abs(mine.astype(np.float64) - theirs.astype(np.float64))
    return float(difference.mean()), float(difference.max())


def _pixels_match(mine: np.ndarray, theirs: np.ndarray) -> bool:
    if mine.shape != theirs.shape:
        return False
    mean, largest = _pixel_difference(mine, theirs)
    return mean <= PIXEL_MEAN_BOUND and largest <= PIXEL_MAX_BOUND


def _loaded_figure(observation, reference) -> Figure:
    rows, captions = [], []
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        yours = mine["pixels"] if mine["pixels"].shape == theirs["pixels"].shape else np.zeros_like(theirs["pixels"])
        rows.append([yours, theirs["pixels"]])
        captions.append([_scene_name(theirs["scene"]), f"{compare.shape_text(mine['shape'])} {mine['dtype']}"])
    return Figure("the images your load_img returned and the expected ones (half size)",
                  png=pictures.grid_png(rows, ["yours", "expected"], scale=1, captions=captions))


def check_load_img(observation, reference) -> Verdict:
    figure = _loaded_figure(observation, reference)
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        where = _scene_name(theirs["scene"])
        if mine["shape"] != theirs["shape"]:
            return Verdict.failed(f"{where}: load_img returned shape {compare.shape_text(mine['shape'])}, expected "
                                  f"{compare.shape_text(theirs['shape'])}", figures=[figure])
        if mine["dtype"] != theirs["dtype"]:
            return Verdict.failed(f"{where}: load_img returned {mine['dtype']} values, expected the decoded "
                                  f"{theirs['dtype']} pixels", figures=[figure])
        if not _pixels_match(mine["pixels"], theirs["pixels"]):
            mean, largest = _pixel_difference(mine["pixels"], theirs["pixels"])
            return Verdict.failed(f"{where}: the pixels differ from the JPEG's by {mean:.2f} grey levels on average "
                                  f"(at most {largest:.0f}; allowed {PIXEL_MEAN_BOUND:g} and {PIXEL_MAX_BOUND})",
                                  figures=[figure])
    return Verdict.passed(f"{len(reference['cases'])} JPEG files decoded to RGB uint8 pixels, the greyscale one "
                          "with three channels too", figures=[figure])


def _bgr(o, r) -> bool:
    return all(mine["pixels"].shape == theirs["pixels"].shape
               and _pixels_match(mine["pixels"][..., ::-1], theirs["pixels"])
               for mine, theirs in zip(o["cases"], r["cases"]) if not theirs["scene"][1])


LOAD_IMG_HINTS = (
    Hint("decode with three channels, tf.image.decode_jpeg(img, channels=3): a greyscale JPEG has only one",
         lambda o, r: any(mine["shape"][-1:] == [1] for mine in o["cases"]),
         seen=lambda o, r: "a shape ending in 1 for the greyscale file"),
    Hint("return the decoded uint8 pixels: run_detector converts them to float32 itself",
         lambda o, r: o["cases"][0]["dtype"].startswith("float"), seen=lambda o, r: o["cases"][0]["dtype"]),
    Hint("keep the channel order RGB, as TensorFlow decodes it (no BGR from cv2.imread)",
         lambda o, r: _bgr(o, r)),
    Hint("return one image (height, width, 3), without a batch axis: run_detector adds it",
         lambda o, r: len(o["cases"][0]["shape"]) == 4),
)


def check_run_detector(observation, reference) -> Verdict:
    figure = _boxes_figure(observation["cases"], reference["cases"],
                           "your run_detector's top 3 boxes (red) and the expected ones (green)")
    numpy = True
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        where = _scene_name(theirs["scene"])
        if mine["error"]:
            return Verdict.failed(f"{where}: run_detector failed: {mine['error']}")
        if mine["calls"] != 1:
            return Verdict.failed(f"{where}: run_detector called the detector {mine['calls']} times, expected once")
        if mine["returned"] != "dict":
            return Verdict.failed(f"{where}: run_detector returned {mine['returned']}; return the detector's "
                                  "outputs as a dictionary")
        missing = _missing(mine, theirs)
        if missing:
            return Verdict.failed(f"{where}: the result lacks {', '.join(missing)}: keep every output of the "
                                  "detector", figures=[figure])
        ok, reason = same_detections(mine, theirs)
        if not ok:
            return Verdict.failed(f"{where}: {reason}", figures=[figure])
        numpy = numpy and mine["numpy"]
    if not numpy:
        return Verdict(common.FORM_SHARE, "the detections are right but not numpy arrays: turn each output into "
                       "one, {key: value.numpy() for key, value in result.items()}", figures=[figure])
    return Verdict.passed(f"on {len(reference['cases'])} photographs the detector got one float32 image in [0, 1] "
                          "with a batch axis, and every output came back as a numpy array", figures=[figure])


def _given(o, what: str):
    return [case["given"][what] for case in o["cases"] if case["calls"]]


RUN_HINTS = (
    Hint("convert the image to float32 in [0, 1] with tf.image.convert_image_dtype(img, tf.float32): the detector "
         "takes no uint8", lambda o, r: "uint8" in _given(o, "dtype"), seen=lambda o, r: "uint8 pixels"),
    Hint("scale the pixels to [0, 1]: tf.cast keeps 0..255, tf.image.convert_image_dtype divides by 255",
         lambda o, r: any(value > 1.5 for value in _given(o, "max")),
         seen=lambda o, r: f"values up to {max(_given(o, 'max')):.0f}"),
    Hint("add a batch axis of one, [tf.newaxis, ...]: the detector takes (1, height, width, 3)",
         lambda o, r: any(len(shape) == 3 for shape in _given(o, "shape"))),
    Hint("return the result: the lab's run_detector only prints it",
         lambda o, r: any(case["returned"] == "NoneType" for case in o["cases"])),
)


ASSIGNMENT = Assignment(
    id="c3w2_l1",
    title="C3W2-L1 Simple object detection with TF Hub (practice)",
    module="c3w2_l1_hub_detection",
    notebook_glob="C3W2*L1*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("load_detector", "load_detector", 30, probe_load_detector, check_load_detector,
                 LOAD_DETECTOR_HINTS, functions=("load_detector",)),
        Exercise("load_img", "load_img", 30, probe_load_img, check_load_img, LOAD_IMG_HINTS,
                 functions=("load_img",)),
        Exercise("run_detector", "run_detector", 40, probe_run_detector, check_run_detector, RUN_HINTS,
                 functions=("run_detector",), stand_ins=("load_img",)),
    ),
)
