"""Lab C3W3-L3 "Mask R-CNN instance segmentation", as a practice suite.

The lab calls a Mask R-CNN from TF Hub on one image (outputs batched, with a box-local 33x33
mask per detection), pastes the masks into the image with the Object Detection API's
`reframe_box_masks_to_image_masks` and keeps the pixels above 0.6. TF Hub cannot be reached,
so `run_inference` is handed a model loaded with the real `tensorflow_hub.load` from a local
SavedModel with the hub model's interface (`graders.data.hub_detector`, kind `mask_rcnn`).
`reframe_masks` is judged on seeded boxes and masks, boxes touching the image's borders among
them, on images whose height and width differ. It scores like an assignment but counts for
nothing in a grade.
"""

from __future__ import annotations

import numpy as np

from graders.authoring import Assignment, Exercise, Figure, Hint, Verdict, compare, pictures
from graders.data import hub_classifier, hub_detector
from graders.suites import common, hub_labs

MASK_THRESHOLD = 0.6
MASKS_KEPT = 3  # box-local masks of the top detections recorded from run_inference
MASK_TOLERANCE = 1e-3
PIXEL_SHARE = 0.995  # reframed masks: the share of pixels that must agree (other resamplings pass) ...
MASK_IOU = 0.85  # ... and each instance's overlap with the expected one: a 15-pixel instance pasted with
# other pixel-centre conventions overlaps by 0.9; a threshold of 0.5 instead of 0.6 gives about 0.75
# boxes that touch the image's borders, then seeded ones inside it
BORDER_BOXES = ((0.0, 0.0, 0.4, 0.5), (0.55, 0.6, 1.0, 1.0), (0.0, 0.0, 1.0, 1.0), (0.3, 0.0, 0.7, 0.25))
SEEDED_BOXES = 4

hub_classifier.refuse_downloads_on_import()


def scenes(seed: int, salt: int) -> list[list]:
    return [[index, False, "jpg"] for index in hub_labs.seeded_scenes(seed, salt, count=2)]


# --- in the worker: inference ----------------------------------------------------------------------
def _masks_of(result: dict) -> dict:
    masks = hub_labs.as_array(result.get("detection_masks"))
    if masks is None or masks.dtype.kind != "f" or masks.ndim < 3 or masks.shape[-2:] != (33, 33):
        return {"masks_shape": [] if masks is None else list(masks.shape), "masks": np.zeros((0, 33, 33), np.float32)}
    return {"masks_shape": list(masks.shape), "masks": masks.reshape(-1, 33, 33)[:MASKS_KEPT].astype(np.float32)}


def probe_inference(submission, params) -> dict:
    import tensorflow_hub as hub

    function = submission.function("run_inference")
    model = hub.load(hub_detector.local_handle("mask_rcnn"))
    cases = []
    for scene in scenes(common.probe_seed(params), salt=41):
        image = hub_labs.scene_pixels(*scene[:2])[np.newaxis].copy()
        cases.append(hub_labs.observe_call(scene, model, lambda recording, image=image: function(recording, image),
                                           extra=_masks_of))
    return {"cases": cases}


# --- in the worker: reframing ----------------------------------------------------------------------
def reframe_case(seed: int, number: int) -> dict:
    """An image size (height != width), boxes (the border ones first) and smooth box-local masks
    whose values cross the threshold."""
    rng = np.random.default_rng([seed, 42, number])
    height, width = int(rng.integers(150, 241)), int(rng.integers(200, 321))
    if height == width:
        width += 7
    tops, lefts = rng.uniform(0.05, 0.6, SEEDED_BOXES), rng.uniform(0.05, 0.6, SEEDED_BOXES)
    boxes = np.concatenate([np.array(BORDER_BOXES), np.stack(
        [tops, lefts, tops + rng.uniform(0.1, 0.35, SEEDED_BOXES), lefts + rng.uniform(0.1, 0.35, SEEDED_BOXES)], 1)])
    grid = np.linspace(0, 1, 33)
    y, x = np.meshgrid(grid, grid, indexing="ij")
    masks = []
    for _ in boxes:
        centre, spread = rng.uniform(0.3, 0.7, 2), rng.uniform(0.2, 0.45)
        masks.append(np.exp(-((y - centre[0]) ** 2 + (x - centre[1]) ** 2) / (2 * spread ** 2)))
    return {"size": [height, width], "boxes": boxes.astype(np.float32), "masks": np.array(masks, np.float32)}


def _result_of(case: dict) -> dict:
    count = len(case["boxes"])
    return {"detection_boxes": case["boxes"][np.newaxis].copy(), "detection_masks": case["masks"][np.newaxis].copy(),
            "detection_scores": np.linspace(0.99, 0.5, count, dtype=np.float32)[np.newaxis],
            "detection_classes": np.ones((1, count), np.float32), "num_detections": np.array([count], np.float32)}


def reframed(case: dict, threshold: float = MASK_THRESHOLD, boxes=None) -> np.ndarray:
    from object_detection.utils import ops as utils_ops

    masks = utils_ops.reframe_box_masks_to_image_masks(case["masks"], case["boxes"] if boxes is None else boxes,
                                                       *case["size"]).numpy()
    return (masks > threshold).astype(np.uint8)


def packed(masks: np.ndarray) -> np.ndarray:
    return np.packbits(masks.astype(bool))


MISTAKES = ("threshold_half", "boxes_as_xy")


def probe_reframe(submission, params) -> dict:
    function = submission.function("reframe_masks")
    seed = common.probe_seed(params)
    cases = []
    for number, scene in enumerate(scenes(seed, salt=43)):
        case = reframe_case(seed, number)
        height, width = case["size"]
        image = np.ascontiguousarray(hub_labs.scene_pixels(*scene[:2])[:height, :width][np.newaxis])
        result = _result_of(case)
        masks = hub_labs.as_array(function(result, image))
        stored = hub_labs.as_array(result.get("detection_masks_reframed"))
        observed = {"scene": scene, "size": case["size"], "boxes": case["boxes"], "shape": [], "dtype": "none",
                    "values": [], "masks": hub_labs.NO_PIXELS,
                    "stored": stored is not None and masks is not None and stored.shape == masks.shape
                    and bool(np.array_equal(stored, masks)),
                    "mistakes": {"threshold_half": packed(reframed(case, 0.5)),
                                 "boxes_as_xy": packed(reframed(case, boxes=case["boxes"][:, [1, 0, 3, 2]]))}}
        if masks is not None and masks.dtype.kind in "biuf":
            observed.update(shape=list(masks.shape), dtype=str(masks.dtype),
                            values=[float(v) for v in np.unique(masks)[:5]])
            if masks.shape == (len(case["boxes"]), height, width):
                observed["masks"] = packed(masks > MASK_THRESHOLD if masks.dtype.kind == "f" else masks > 0)
        cases.append(observed)
    return {"cases": cases}


# --- on the trusted side -------------------------------------------------------------------------------
def check_inference(observation, reference) -> Verdict:
    def masks_problem(mine, theirs) -> str | None:
        if mine["masks_shape"] != theirs["masks_shape"]:
            return (f"detection_masks of shape {compare.shape_text(mine['masks_shape'])}, expected "
                    f"{compare.shape_text(theirs['masks_shape'])}")
        ok, reason = compare.check_array(mine["masks"], theirs["masks"], "the top detections' masks", MASK_TOLERANCE)
        return None if ok else reason

    return hub_labs.check_detector_call(
        observation, reference, "run_inference",
        f"on {len(reference['cases'])} images the model got the single uint8 image as it is, and every output, "
        "box-local masks included, came back batched as a numpy array",
        shape_keys=("boxes_shape", "scores_shape"), extra=masks_problem)


INFERENCE_HINTS = hub_labs.batched_call_hints("the hub Mask R-CNN", "when it reframes the masks")


def _unpack(mask: np.ndarray, shape) -> np.ndarray:
    count = int(np.prod(shape))
    return np.unpackbits(mask)[:count].reshape(shape).astype(bool)


def mask_agreement(mine: np.ndarray, theirs: np.ndarray, shape) -> tuple[float, float]:
    """The share of pixels that agree, and the lowest overlap (IoU) of an instance with the expected
    one, of two packed [N, H, W] masks."""
    if mine.shape != theirs.shape or not theirs.size:
        return 0.0, 0.0
    a, b = _unpack(mine, shape), _unpack(theirs, shape)
    union = np.count_nonzero(a | b, axis=(1, 2))
    iou = np.where(union > 0, np.count_nonzero(a & b, axis=(1, 2)) / np.maximum(union, 1), 1.0)
    return float(np.mean(a == b)), float(iou.min())


def _shape(case) -> tuple[int, int, int]:
    return (len(case["boxes"]), *case["size"])


def _tinted(image: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """The image with the union of the instance masks tinted red."""
    picture = image.astype(np.float64).copy()
    union = masks.any(axis=0)
    picture[union] = 0.45 * picture[union] + 0.55 * np.array([230.0, 60.0, 60.0])
    return picture.astype(np.uint8)


def _reframe_figure(observation, reference) -> Figure:
    rows, captions = [], []
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        shape = _shape(theirs)
        image = hub_labs.scene_pixels(*theirs["scene"][:2])[:shape[1], :shape[2]]
        expected = _unpack(theirs["masks"], shape)
        yours = _unpack(mine["masks"], shape) if mine["masks"].shape == theirs["masks"].shape else np.zeros(shape, bool)
        rows.append([_tinted(image, yours), _tinted(image, expected),
                     pictures.difference_rgb(yours.any(0) != expected.any(0))])
        share, lowest = mask_agreement(mine["masks"], theirs["masks"], shape)
        captions.append([f"{shape[0]} masks on {shape[1]}x{shape[2]}", f"{share:.2%} alike, lowest IoU {lowest:.2f}",
                         ""])
    return Figure("your reframed masks, the expected ones and where their union differs",
                  png=pictures.grid_png(rows, ["yours", "expected", "differs"], scale=1, captions=captions))


def check_reframe(observation, reference) -> Verdict:
    figure = _reframe_figure(observation, reference)
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        shape = _shape(theirs)
        where = f"{shape[0]} masks on a {shape[1]}x{shape[2]} image"
        if mine["scene"] != theirs["scene"] or mine["size"] != theirs["size"]:
            return Verdict.failed(f"{where}: the observation is of another case")
        if mine["shape"] != theirs["shape"]:
            return Verdict.failed(f"{where}: reframe_masks returned shape {compare.shape_text(mine['shape'])}, "
                                  f"expected {compare.shape_text(theirs['shape'])}", figures=[figure])
        if not set(mine["values"]) <= {0.0, 1.0}:
            return Verdict.failed(f"{where}: the masks hold values such as {mine['values'][:3]}; keep 0 and 1 only "
                                  f"(above {MASK_THRESHOLD})", figures=[figure])
        share, lowest = mask_agreement(mine["masks"], theirs["masks"], shape)
        if share < PIXEL_SHARE or lowest < MASK_IOU:
            return Verdict.failed(f"{where}: the masks differ from the expected ones ({share:.2%} of pixels alike, "
                                  f"lowest IoU of an instance {lowest:.2f}; needed {PIXEL_SHARE:.1%} and "
                                  f"{MASK_IOU})", figures=[figure])
    first = observation["cases"][0]
    if first["dtype"] != "uint8":
        return Verdict(common.FORM_SHARE, f"the masks are right but {first['dtype']}; cast them to uint8",
                       figures=[figure])
    if not all(case["stored"] for case in observation["cases"]):
        return Verdict(common.FORM_SHARE, "the masks are right but not stored in result['detection_masks_reframed'], "
                       "where the lab's drawing reads them", figures=[figure])
    return Verdict.passed(f"every box-local mask pasted into its box and kept above {MASK_THRESHOLD}, borders "
                          "included, on images of two sizes", figures=[figure])


def _like(mistake: str):
    def applies(o, r) -> bool:
        pairs = [(mine, theirs) for mine, theirs in zip(o["cases"], r["cases"]) if mine["masks"].size]
        return bool(pairs) and all(
            mask_agreement(mine["masks"], mine["mistakes"][mistake], _shape(theirs))[0] >= PIXEL_SHARE
            and mask_agreement(mine["masks"], theirs["masks"], _shape(theirs))[0] < PIXEL_SHARE
            for mine, theirs in pairs)
    return applies


def _shape_swapped(o, r) -> bool:
    return any(mine["shape"] == [theirs["shape"][0], theirs["shape"][2], theirs["shape"][1]]
               for mine, theirs in zip(o["cases"], r["cases"]))


REFRAME_HINTS = (
    Hint(f"keep the pixels above {MASK_THRESHOLD}, as the lab does", _like("threshold_half"),
         seen=lambda o, r: "0.5"),
    Hint("pass the boxes as the model gives them, (ymin, xmin, ymax, xmax)", _like("boxes_as_xy"),
         seen=lambda o, r: "(xmin, ymin, xmax, ymax)"),
    Hint("pass the image's height, then its width: image_np.shape[1], image_np.shape[2]", _shape_swapped,
         seen=lambda o, r: "the width first"),
    Hint(f"threshold the reframed masks, reframed > {MASK_THRESHOLD}, and cast to uint8",
         lambda o, r: any(not set(case["values"]) <= {0.0, 1.0} for case in o["cases"])),
    Hint("reframe the masks of the first (only) image, result['detection_masks'][0] with "
         "result['detection_boxes'][0]", lambda o, r: any(len(case["shape"]) == 4 for case in o["cases"])),
)


ASSIGNMENT = Assignment(
    id="c3w3_l3",
    title="C3W3-L3 Mask R-CNN instance segmentation (practice)",
    module="c3w3_l3_mask_rcnn",
    notebook_glob="C3W3*L3*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("run_inference", "run_inference", 40, probe_inference, check_inference, INFERENCE_HINTS,
                 functions=("run_inference",)),
        Exercise("reframe_masks", "reframe_masks", 60, probe_reframe, check_reframe, REFRAME_HINTS,
                 functions=("reframe_masks",)),
    ),
)
