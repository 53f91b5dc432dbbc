"""What the week 2 hub labs (C3W2-L1, C3W2-L3) share: scenes written as image files, the
loader's pixels observed and judged, a detector's outputs as plain data, and boxes drawn for the
report.

The scenes are the detection data's pasted photographs of the dev split (scenes the local
detector was not trained on), rebuilt from their index on either side without TensorFlow.
"""

from __future__ import annotations

import os

import numpy as np

from graders.authoring import Figure, Hint, Verdict, compare, exception_sentence, pictures
from graders.data import detection
from graders.suites import common

SPLIT = "pretrain_dev"
TOP = 10  # detections compared and recorded, the best first
PIXEL_MEAN_BOUND = 1.0  # mean |difference| in grey levels: another decoder (Pillow's, TensorFlow's) passes
PIXEL_MAX_BOUND = 24  # ... and no pixel further off than this
OUTPUT_TOLERANCE = 1e-3  # boxes and scores of the same detector on the same image
JPEG_QUALITY = 90
NO_PIXELS = np.zeros((0,), np.uint8)


def seeded_scenes(seed: int, salt: int, count: int = 3) -> list[int]:
    """Dev scenes 0, 1, 2, ... at seed 0 (the public references), others at any other seed."""
    if not seed:
        return list(range(count))
    return [int(i) for i in np.random.default_rng([seed, salt]).choice(500, count, replace=False)]


def scene_pixels(index: int, grey: bool = False) -> np.ndarray:
    """The scene as written to its file (before compression): RGB, or grey in three equal channels."""
    image = detection.pretraining_sample(index, SPLIT)[0]
    if grey:
        from PIL import Image

        image = np.repeat(np.asarray(Image.fromarray(image).convert("L"))[..., None], 3, axis=-1)
    return image


def write_scene(scene, folder: str) -> str:
    """Write the case's scene, [index, greyscale, file type], into `folder`; return its path."""
    from PIL import Image

    index, grey, suffix = scene
    pixels = scene_pixels(index, grey)
    picture = Image.fromarray(pixels[..., 0] if grey else pixels)
    path = os.path.join(folder, f"scene{index:06d}{'_grey' if grey else ''}.{suffix}")
    picture.save(path, **({"quality": JPEG_QUALITY} if suffix == "jpg" else {}))
    return path


def scene_name(index: int, grey: bool = False, suffix: str = "jpg") -> str:
    return f"scene {index} ({'greyscale ' if grey else ''}{suffix.upper()})"


def half_size(pixels: np.ndarray) -> np.ndarray:
    """uint8 levels at half resolution (2x2 means): small to store, exact enough to compare."""
    height, width = (pixels.shape[0] // 2) * 2, (pixels.shape[1] // 2) * 2
    values = pixels[:height, :width].astype(np.float64).reshape(height // 2, 2, width // 2, 2, -1).mean(axis=(1, 3))
    return np.round(values).astype(np.uint8)


def as_array(value) -> np.ndarray | None:
    """A tensor, array or nested list as a numpy array; None when it is none of these."""
    try:
        return np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except (TypeError, ValueError):
        return None


# --- an image loader ---------------------------------------------------------------------------
def observe_loaded(value) -> dict:
    """What a loader returned: shape, dtype, largest value, and its pixels at half size when it is
    one RGB image, with or without a batch axis of one (floats in [0, 1] read as levels)."""
    array = as_array(value)
    if array is None or array.dtype.kind not in "biuf":
        return {"shape": [], "dtype": "none" if array is None else str(array.dtype), "max": 0.0, "pixels": NO_PIXELS}
    observed = {"shape": list(array.shape), "dtype": str(array.dtype),
                "max": float(np.nanmax(array)) if array.size else 0.0, "pixels": NO_PIXELS}
    image = array[0] if array.ndim == 4 and array.shape[0] == 1 else array
    if image.ndim == 3 and image.shape[-1] == 3:
        levels = image.astype(np.float64) * (255.0 if image.dtype.kind == "f" and observed["max"] <= 1.0 else 1.0)
        observed["pixels"] = half_size(np.clip(np.nan_to_num(levels), 0, 255))
    return observed


def observe_loader(function, cases) -> dict:
    """A loader's observation: each scene written to a scratch folder, read back by `function`."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cvgrade-loader-") as folder:
        return {"cases": [{"scene": scene, **observe_loaded(function(write_scene(scene, folder)))}
                          for scene in cases]}


def own_loader_when_right(own, reference):
    """The loader a later probe lets the learner's code call: always the reference's pixels (a
    broken loader costs only its own points, and another decoder's last grey level cannot move the
    detections), but as a numpy array where the learner's own loader returns the right pixels as
    one, so code written for what that loader returns (`.astype`, numpy slicing) keeps working."""
    def load(path):
        expected = reference(path)
        try:
            mine = own(path)
        except Exception:  # noqa: BLE001 - a loader that fails is replaced, as a wrong one is
            return expected
        a, b = observe_loaded(mine), observe_loaded(expected)
        if (isinstance(mine, np.ndarray) and a["shape"] == b["shape"] and a["dtype"] == b["dtype"]
                and pixels_match(a["pixels"], b["pixels"])):
            return np.array(as_array(expected), dtype=mine.dtype)
        return expected
    return load


def pixel_difference(mine: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    difference = np.abs(mine.astype(np.float64) - theirs.astype(np.float64))
    return float(difference.mean()), float(difference.max())


def pixels_match(mine: np.ndarray, theirs: np.ndarray) -> bool:
    if mine.shape != theirs.shape:
        return False
    mean, largest = pixel_difference(mine, theirs)
    return mean <= PIXEL_MEAN_BOUND and largest <= PIXEL_MAX_BOUND


def loaded_figure(observation, reference, function: str) -> Figure:
    rows, captions = [], []
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        yours = mine["pixels"] if mine["pixels"].shape == theirs["pixels"].shape else np.zeros_like(theirs["pixels"])
        rows.append([yours, theirs["pixels"]])
        captions.append([scene_name(*theirs["scene"]), f"{compare.shape_text(mine['shape'])} {mine['dtype']}"])
    return Figure(f"the images your {function} returned and the expected ones (half size)",
                  png=pictures.grid_png(rows, ["yours", "expected"], scale=1, captions=captions))


def loaded_problem(observation, reference, function: str) -> Verdict | None:
    """The failed verdict of the first case whose shape, dtype or pixels differ; None when all agree."""
    figure = loaded_figure(observation, reference, function)
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        where = scene_name(*theirs["scene"])
        if mine["shape"] != theirs["shape"]:
            return Verdict.failed(f"{where}: {function} returned shape {compare.shape_text(mine['shape'])}, "
                                  f"expected {compare.shape_text(theirs['shape'])}", figures=[figure])
        if mine["dtype"] != theirs["dtype"]:
            return Verdict.failed(f"{where}: {function} returned {mine['dtype']} values, expected the decoded "
                                  f"{theirs['dtype']} pixels", figures=[figure])
        if not pixels_match(mine["pixels"], theirs["pixels"]):
            mean, largest = pixel_difference(mine["pixels"], theirs["pixels"])
            return Verdict.failed(f"{where}: the pixels differ from the file's by {mean:.2f} grey levels on average "
                                  f"(at most {largest:.0f}; allowed {PIXEL_MEAN_BOUND:g} and {PIXEL_MAX_BOUND})",
                                  figures=[figure])
    return None


def looks_bgr(o, r) -> bool:
    """Every colour case's pixels match the expected ones with the channels reversed."""
    return all(mine["pixels"].shape == theirs["pixels"].shape and pixels_match(mine["pixels"][..., ::-1],
                                                                                theirs["pixels"])
               for mine, theirs in zip(o["cases"], r["cases"]) if not theirs["scene"][1])


def float_dtype(o) -> str | None:
    return next((case["dtype"] for case in o["cases"] if case["dtype"].startswith("float")), None)


# --- a detector's outputs ------------------------------------------------------------------------
def _text(values) -> list[str]:
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in np.ravel(values)[:TOP]]


def _numbers(value, last: int | None = None) -> np.ndarray | None:
    array = as_array(value)
    if array is None or array.dtype.kind not in "biuf" or not array.size or (last and array.shape[-1] != last):
        return None
    return array


def outputs_of(result, outputs=None) -> dict:
    """What a detector's result holds, as plain data: its keys, whether the values of the model's
    `outputs` among them (all of them when not given) are numpy arrays (a key of the learner's own
    beside the model's may hold anything), and the top detections' boxes, scores, classes and
    entities with the shapes they came in (empty where the result lacks them)."""
    found = {"keys": [], "numpy": False, "boxes": np.zeros((0, 4), np.float32), "scores": np.zeros((0,), np.float32),
             "classes": np.zeros((0,), np.float32), "entities": [], "boxes_shape": [], "scores_shape": []}
    if not isinstance(result, dict):
        return found
    found["keys"] = sorted(str(k) for k in result)
    found["numpy"] = all(isinstance(value, np.ndarray) for key, value in result.items()
                         if outputs is None or key in outputs)
    boxes, scores = _numbers(result.get("detection_boxes"), 4), _numbers(result.get("detection_scores"))
    classes = _numbers(result.get("detection_classes"))
    if boxes is not None:
        found.update(boxes_shape=list(boxes.shape), boxes=boxes.reshape(-1, 4)[:TOP].astype(np.float32))
    if scores is not None:
        found.update(scores_shape=list(scores.shape), scores=scores.ravel()[:TOP].astype(np.float32))
    if classes is not None:
        found["classes"] = classes.ravel()[:TOP].astype(np.float32)
    entities = as_array(result.get("detection_class_entities"))
    if "detection_class_entities" in result and entities is not None and entities.size:
        found["entities"] = _text(entities)
    return found


def same_detections(found: dict, expected: dict) -> tuple[bool, str]:
    """The top boxes, scores, classes and entities agree with the grader's detector on the same picture."""
    for name in ("boxes", "scores", "classes"):
        if found[name].shape != expected[name].shape:
            return False, (f"the top {TOP} {name} have shape {compare.shape_text(found[name].shape)}, expected "
                           f"{compare.shape_text(expected[name].shape)}")
        ok, reason = compare.check_array(found[name], expected[name], f"the top {TOP} {name}", OUTPUT_TOLERANCE)
        if not ok:
            return False, reason
    if found["entities"] != expected["entities"]:
        return False, f"the top entities are {found['entities'][:3]}, expected {expected['entities'][:3]}"
    return True, ""


class RecordingCall:
    """A callable (the grader's detector) that notes what each call was given before it answers."""

    NOTHING = {"dtype": "none", "shape": [], "min": 0.0, "max": 0.0}

    def __init__(self, callable_):
        self._callable = callable_
        self.given: list[dict] = []
        self.outputs: set = set()  # the keys of what it answered

    def __call__(self, *args, **kwargs):
        value = args[0] if args else next(iter(kwargs.values()), None)
        array = as_array(value)
        given = dict(self.NOTHING)
        if array is not None and array.dtype.kind in "biuf" and array.size:
            given = {"dtype": str(array.dtype), "shape": list(array.shape), "min": float(array.min()),
                     "max": float(array.max())}
        self.given.append(given)
        answer = self._callable(*args, **kwargs)
        if isinstance(answer, dict):
            self.outputs.update(answer)
        return answer

    def first(self) -> dict:
        return self.given[0] if self.given else dict(self.NOTHING)


def observe_call(scene, model, call, extra=None) -> dict:
    """One case of a learner's function that calls a detector: `call(recording)` runs it with the
    grader's `model` wrapped to record what it is given. What the function returned (or the
    exception it raised: a model refusing its input is something to explain) becomes plain data,
    with `extra(result)`'s observations where given."""
    recording = RecordingCall(model)
    case = {"scene": scene, "error": "", "returned": ""}
    try:
        result = call(recording)
        case["returned"] = "dict" if isinstance(result, dict) else type(result).__name__
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - see above
        result = None
        case["error"] = exception_sentence(error)
    case.update(outputs_of(result, recording.outputs), calls=len(recording.given), given=recording.first())
    if extra is not None:
        case.update(extra(result if isinstance(result, dict) else {}))
    return case


def given_values(o, what: str) -> list:
    """What the model was given in every case that called it (dtype, shape, min or max)."""
    return [case["given"][what] for case in o["cases"] if case["calls"]]


def check_detector_call(observation, reference, function: str, passed: str, shape_keys=(), extra=None) -> Verdict:
    """The verdict on a function that calls the detector once and returns its outputs as numpy
    arrays: it ran, called the model once, returned every output (in the expected shapes), the
    same detections, and `extra(mine, theirs)` (a problem or None) holds nothing against it."""
    figure = boxes_figure(observation["cases"], reference["cases"],
                          f"your {function}'s top 3 boxes (red) and the expected ones (green)")
    numpy = True
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        where = scene_name(*theirs["scene"])
        if mine["scene"] != theirs["scene"]:
            return Verdict.failed(f"{where}: the observation is of another scene")
        if mine["error"]:
            return Verdict.failed(f"{where}: {function} failed: {mine['error']}")
        if mine["calls"] != 1:
            return Verdict.failed(f"{where}: {function} called the model {mine['calls']} times, expected once")
        if mine["returned"] != "dict":
            return Verdict.failed(f"{where}: {function} returned {mine['returned']}; return the model's outputs as "
                                  "a dictionary")
        missing = [key for key in theirs["keys"] if key not in mine["keys"]]
        if missing:
            return Verdict.failed(f"{where}: the result lacks {', '.join(missing)}: keep every output of the model",
                                  figures=[figure])
        for key in shape_keys:
            if mine[key] != theirs[key]:
                return Verdict.failed(f"{where}: {key.split('_')[0]} of shape {compare.shape_text(mine[key])}, "
                                      f"expected {compare.shape_text(theirs[key])}", figures=[figure])
        ok, reason = same_detections(mine, theirs)
        problem = reason if not ok else (extra(mine, theirs) if extra else None)
        if problem:
            return Verdict.failed(f"{where}: {problem}", figures=[figure])
        numpy = numpy and mine["numpy"]
    if not numpy:
        return Verdict(common.FORM_SHARE, "the detections are right but not numpy arrays: turn each output into one, "
                       "{key: value.numpy() for key, value in results.items()}", figures=[figure])
    return Verdict.passed(passed, figures=[figure])


def batched_call_hints(model: str, unbatched_where: str) -> tuple[Hint, ...]:
    """The hints of a function that calls a zoo-style model (uint8 batch of one in, batched outputs
    out), shared by C3W2-L3's detect and C3W3-L3's run_inference: `model` names the model, and
    `unbatched_where` says where the lab takes [0] itself."""
    return (
        Hint(f"call the model on the uint8 image itself: {model} takes uint8 pixels, not floats",
             lambda o, r: any(dtype.startswith("float") for dtype in given_values(o, "dtype")),
             seen=lambda o, r: next(d for d in given_values(o, "dtype") if d.startswith("float"))),
        Hint("keep the batch axis of one: call the model on image_np, (1, height, width, 3), as it comes",
             lambda o, r: any(len(shape) == 3 for shape in given_values(o, "shape"))),
        Hint(f"keep the outputs batched, as the model returns them: the lab takes [0] only {unbatched_where}",
             lambda o, r: any(case["boxes_shape"][:1] == [100] for case in o["cases"])),
    )


def boxes_figure(cases: list[dict], references: list[dict], caption: str) -> Figure:
    """Each scene with the expected top 3 boxes (green) and the learner's (red)."""
    cells, captions = [], []
    for mine, theirs in zip(cases, references):
        def drawn(boxes, colour):
            return [(np.asarray(box)[[1, 0, 3, 2]], colour) for box in boxes[:3]]

        image = scene_pixels(*theirs["scene"][:2])
        cells.append(pictures.with_boxes(image, drawn(theirs["boxes"], pictures.TRUE_BOX)
                                         + drawn(mine["boxes"], pictures.PREDICTED_BOX), width=2))
        score = f"{mine['scores'][0]:.2f}" if mine["scores"].size else "none"
        captions.append(f"{scene_name(*theirs['scene'])}: top score {score}")
    return Figure(caption, png=pictures.grid_png([cells], scale=1, captions=[captions]))
