"""Lab C3W2-L3 "The TF Hub object detection colab (the TF2 zoo)", as a practice suite.

The colab reads an image into a uint8 batch of one, calls a TF2 zoo detector from TF Hub on it
directly (batched outputs, 1-based class ids) and draws the detections with the Object
Detection API's `viz_utils`. TF Hub cannot be reached, so `detect` is handed a model loaded
with the real `tensorflow_hub.load` from a local SavedModel with the zoo's interface
(`graders.data.hub_detector`); the drawing is judged on its pixels against the project's
`viz_utils` with the colab's arguments, on seeded detections. It scores like an assignment but
counts for nothing in a grade.
"""

from __future__ import annotations

import numpy as np

from graders.authoring import Assignment, Exercise, Figure, Hint, Verdict, compare, pictures
from graders.data import hub_classifier, hub_detector
from graders.suites import common, hub_labs

MIN_SCORE_THRESH = 0.30  # the colab's arguments to viz_utils
MAX_BOXES_TO_DRAW = 200
# seeded boxes, best first as a detector gives them: 24 at or above the threshold, more than
# viz_utils' default max_boxes_to_draw of 20 (so leaving out the colab's 200 shows), some under it
DRAWN_SCORES = tuple(round(0.97 - 0.029 * i, 3) for i in range(23)) + (0.3, 0.29, 0.12)
DRAWING_LEVELS = 8  # grey levels a drawn pixel may differ by (half size, rounding) ...
DRAWING_SHARE = 0.995  # ... in this share of pixels
MASK_IOU = 0.98  # a drawing "is" a known mistake when where it departs from the expected one overlaps this much

hub_classifier.refuse_downloads_on_import()


def scenes(seed: int, salt: int) -> list[list]:
    """[dev-scene index, greyscale, file type] of each case: a JPEG and a PNG."""
    return [[index, False, suffix] for index, suffix in zip(hub_labs.seeded_scenes(seed, salt, count=2), ("jpg", "png"))]


def batch_of(scene) -> np.ndarray:
    return hub_labs.scene_pixels(*scene[:2])[np.newaxis].copy()


# --- in the worker: the loader -------------------------------------------------------------------
def probe_loader(submission, params) -> dict:
    return hub_labs.observe_loader(submission.function("load_image_into_numpy_array"),
                                   scenes(common.probe_seed(params), salt=31))


# --- in the worker: the detector ---------------------------------------------------------------------
def _zoo_model():
    import tensorflow_hub as hub

    return hub.load(hub_detector.local_handle("tf2_zoo"))


def probe_detect(submission, params) -> dict:
    function = submission.function("detect")
    model = _zoo_model()
    return {"cases": [hub_labs.observe_call(scene, model, lambda recording, scene=scene: function(recording,
                                                                                                  batch_of(scene)))
                      for scene in scenes(common.probe_seed(params), salt=32)]}


# --- in the worker: the drawing --------------------------------------------------------------------
def seeded_detections(seed: int, index: int) -> dict:
    """Batched zoo-style outputs with len(DRAWN_SCORES) seeded boxes (1-based classes), padded to 100."""
    rng = np.random.default_rng([seed, 33, index])
    count, total = len(DRAWN_SCORES), 100
    tops, lefts = rng.uniform(0.02, 0.6, count), rng.uniform(0.0, 0.6, count)
    heights, widths = rng.uniform(0.15, 0.38, count), rng.uniform(0.15, 0.38, count)
    boxes = np.zeros((1, total, 4), np.float32)
    boxes[0, :count] = np.stack([tops, lefts, tops + heights, lefts + widths], axis=1)
    scores = np.zeros((1, total), np.float32)
    scores[0, :count] = DRAWN_SCORES
    classes = np.ones((1, total), np.float32)
    classes[0, :count] = rng.integers(1, len(hub_detector.CATEGORY_INDEX) + 1, count)
    return {"detection_boxes": boxes, "detection_scores": scores, "detection_classes": classes,
            "num_detections": np.array([float(count)], np.float32)}


# what the colab's call draws when one argument is changed: the known mistakes
MISTAKES = {
    "classes_minus_one": {"class_shift": -1}, "classes_plus_one": {"class_shift": 1},
    "default_threshold": {"min_score_thresh": 0.5}, "default_max_boxes": {"max_boxes_to_draw": 20},
    "pixel_coordinates": {"use_normalized_coordinates": False},
    "agnostic": {"agnostic_mode": True},
}


def drawn_with(image_np, result, changes: dict | None = None) -> np.ndarray:
    """The colab's drawing, with `changes` to its arguments."""
    from object_detection.utils import visualization_utils as viz_utils

    arguments = {"use_normalized_coordinates": True, "max_boxes_to_draw": MAX_BOXES_TO_DRAW,
                 "min_score_thresh": MIN_SCORE_THRESH, "agnostic_mode": False, **(changes or {})}
    shift = arguments.pop("class_shift", 0)
    image = image_np[0].copy()
    viz_utils.visualize_boxes_and_labels_on_image_array(
        image, result["detection_boxes"][0], (result["detection_classes"][0] + shift).astype(int),
        result["detection_scores"][0], dict(hub_detector.CATEGORY_INDEX), **arguments)
    return image


def departures(drawn: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """The pixels where a drawing departs from the expected one, packed 8 to a byte. Held against
    the expected drawing rather than the bare image, so a mistake that only recolours (agnostic
    mode) is told apart from one that changes the same pixels otherwise (labels left out)."""
    return np.packbits(np.any(drawn != expected, axis=-1))


def probe_draw(submission, params) -> dict:
    function = submission.function("draw_detections")
    seed = common.probe_seed(params)
    cases = []
    for number, scene in enumerate(scenes(seed, salt=34)):
        original = batch_of(scene)
        result = seeded_detections(seed, number)
        given = original.copy()
        expected = drawn_with(original, result)
        drawn = hub_labs.as_array(function(given, {k: v.copy() for k, v in result.items()},
                                           dict(hub_detector.CATEGORY_INDEX)))
        case = {"scene": scene, "shape": [], "dtype": "none", "input_changed": bool(np.any(given != original)),
                "pixels": hub_labs.NO_PIXELS, "departures": hub_labs.NO_PIXELS,
                "mistakes": {name: departures(drawn_with(original, result, changes), expected)
                             for name, changes in MISTAKES.items()}}
        if drawn is not None:
            case.update(shape=list(drawn.shape), dtype=str(drawn.dtype))
            image = drawn[0] if drawn.ndim == 4 and drawn.shape[0] == 1 else drawn
            if image.shape == original.shape[1:] and drawn.dtype == np.uint8:
                case.update(pixels=hub_labs.half_size(image), departures=departures(image, expected))
        cases.append(case)
    return {"cases": cases}


# --- on the trusted side ---------------------------------------------------------------------------
def check_loader(observation, reference) -> Verdict:
    problem = hub_labs.loaded_problem(observation, reference, "load_image_into_numpy_array")
    if problem:
        return problem
    return Verdict.passed("a JPEG and a PNG read into uint8 batches of one, (1, height, width, 3), with the file's "
                          "pixels", figures=[hub_labs.loaded_figure(observation, reference,
                                                                    "load_image_into_numpy_array")])


def _shape_is(o, rule) -> bool:
    return any(case["shape"] and rule(case["shape"]) for case in o["cases"])


def _transposed(o, r) -> bool:
    return any(mine["shape"] == [1, theirs["shape"][2], theirs["shape"][1], 3]
               for mine, theirs in zip(o["cases"], r["cases"]) if theirs["shape"][1] != theirs["shape"][2])


LOADER_HINTS = (
    Hint("add a batch axis of one: the detector takes (1, height, width, 3)", lambda o, r: _shape_is(o, lambda s: len(s) == 3)),
    Hint("PIL's image.size is (width, height): reshape to (1, height, width, 3)", _transposed),
    Hint("cast to uint8: the zoo's detectors take uint8 pixels",
         lambda o, r: any(case["dtype"] not in ("uint8", "none") for case in o["cases"]),
         seen=lambda o, r: next(case["dtype"] for case in o["cases"] if case["dtype"] not in ("uint8", "none"))),
    Hint("keep the channel order RGB, as Pillow reads it (no BGR from cv2.imread)", hub_labs.looks_bgr),
)


def check_detect(observation, reference) -> Verdict:
    return hub_labs.check_detector_call(
        observation, reference, "detect",
        f"on {len(reference['cases'])} images the model got the uint8 batch as it is, and every output came back "
        "batched, as a numpy array", shape_keys=("boxes_shape", "scores_shape"))


def _classes_shifted(o, r, shift: float) -> bool:
    return all(mine["classes"].shape == theirs["classes"].shape and theirs["classes"].size
               and np.allclose(mine["classes"], theirs["classes"] + shift)
               for mine, theirs in zip(o["cases"], r["cases"]))


DETECT_HINTS = (
    *hub_labs.batched_call_hints("the zoo's detectors", "when it draws"),
    Hint("keep the classes as the model gives them: the zoo's class ids are 1-based already, as the label map's",
         lambda o, r: _classes_shifted(o, r, -1), seen=lambda o, r: "classes - 1"),
)


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap of two packed masks of the same image (1 when both are empty)."""
    if a.shape != b.shape:
        return 0.0
    a, b = np.unpackbits(a).astype(bool), np.unpackbits(b).astype(bool)
    union = np.count_nonzero(a | b)
    return 1.0 if not union else np.count_nonzero(a & b) / union


def drawing_agreement(mine: np.ndarray, theirs: np.ndarray) -> float:
    """The share of (half-size) pixels within DRAWING_LEVELS of the expected drawing."""
    if mine.shape != theirs.shape:
        return 0.0
    return float(np.mean(np.abs(mine.astype(np.int16) - theirs.astype(np.int16)).max(axis=-1) <= DRAWING_LEVELS))


def _drawing_figure(observation, reference) -> Figure:
    rows, captions = [], []
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        yours = mine["pixels"] if mine["pixels"].shape == theirs["pixels"].shape else np.zeros_like(theirs["pixels"])
        differs = np.abs(yours.astype(np.int16) - theirs["pixels"].astype(np.int16)).max(axis=-1) > DRAWING_LEVELS
        rows.append([yours, theirs["pixels"], pictures.difference_rgb(differs)])
        captions.append([hub_labs.scene_name(*theirs["scene"]),
                         f"{drawing_agreement(mine['pixels'], theirs['pixels']):.1%} alike", ""])
    return Figure("your drawing, the expected one (the colab's viz_utils call) and where they differ (half size)",
                  png=pictures.grid_png(rows, ["yours", "expected", "differs"], scale=1, captions=captions))


def check_draw(observation, reference) -> Verdict:
    figure = _drawing_figure(observation, reference)
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        where = hub_labs.scene_name(*theirs["scene"])
        if mine["shape"] != theirs["shape"] or mine["dtype"] != theirs["dtype"]:
            return Verdict.failed(f"{where}: draw_detections returned {compare.shape_text(mine['shape'])} "
                                  f"{mine['dtype']}, expected {compare.shape_text(theirs['shape'])} {theirs['dtype']}",
                                  figures=[figure])
        alike = drawing_agreement(mine["pixels"], theirs["pixels"])
        if alike < DRAWING_SHARE:
            return Verdict.failed(f"{where}: the drawing differs from the expected one ({alike:.1%} of pixels alike, "
                                  f"at least {DRAWING_SHARE:.1%} needed)", figures=[figure])
    if any(case["input_changed"] for case in observation["cases"]):
        return Verdict(common.FORM_SHARE, "the drawing is right but was made on image_np itself: draw on a copy "
                       "(image_np.copy()), so the image can be shown again without boxes", figures=[figure])
    return Verdict.passed(f"the detections scoring at least {MIN_SCORE_THRESH:.2f} drawn as the colab draws them on "
                          f"{len(reference['cases'])} images", figures=[figure])


def _like(mistake: str):
    """The learner's drawing departs from the expected one where, and only where, `mistake` does."""
    def applies(o, r) -> bool:
        cases = [mine for mine in o["cases"] if mine["departures"].size]
        return bool(cases) and all(np.any(mine["departures"])
                                   and mask_iou(mine["departures"], mine["mistakes"][mistake]) >= MASK_IOU
                                   for mine in cases)
    return applies


DRAW_HINTS = (
    Hint("use the classes as they are (LABEL_ID_OFFSET is 0): the zoo's ids are 1-based already",
         _like("classes_plus_one"), seen=lambda o, r: "classes + 1"),
    Hint("use the classes as they are: the zoo's ids are 1-based already, as the category index's",
         _like("classes_minus_one"), seen=lambda o, r: "classes - 1"),
    Hint(f"pass min_score_thresh={MIN_SCORE_THRESH}, as the colab does: viz_utils' default 0.5 hides boxes",
         _like("default_threshold")),
    Hint(f"pass max_boxes_to_draw={MAX_BOXES_TO_DRAW}, as the colab does: viz_utils' default draws only the "
         "first 20 boxes", _like("default_max_boxes")),
    Hint("pass use_normalized_coordinates=True: the boxes are fractions of the image, not pixels",
         _like("pixel_coordinates")),
    Hint("pass agnostic_mode=False: each class gets its own colour and name", _like("agnostic")),
    Hint("return the one image, image_np_with_detections[0], (height, width, 3), not the batch",
         lambda o, r: any(case["shape"][:1] == [1] and len(case["shape"]) == 4 for case in o["cases"])),
)


ASSIGNMENT = Assignment(
    id="c3w2_l3",
    title="C3W2-L3 TF Hub object detection with the TF2 zoo (practice)",
    module="c3w2_l3_tf2_zoo",
    notebook_glob="C3W2*L3*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("load_image", "load_image_into_numpy_array", 30, probe_loader, check_loader, LOADER_HINTS,
                 functions=("load_image_into_numpy_array",)),
        Exercise("detect", "detect", 30, probe_detect, check_detect, DETECT_HINTS, functions=("detect",)),
        Exercise("draw_detections", "draw_detections", 40, probe_draw, check_draw, DRAW_HINTS,
                 functions=("draw_detections",)),
    ),
)
