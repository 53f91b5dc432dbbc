"""Lab C3W4-L3 "Saliency with a TF Hub classifier", as a practice suite.

The lab loads an InceptionV3 classifier (1001 classes, 299x299 images in
[0, 1]) from TF Hub and shows which pixels its loss is most sensitive to. TF
Hub cannot be reached, so the probes hand the learner the handle of a local
SavedModel with the hub model's signature (`graders.data.hub_classifier`),
loaded with the real `tensorflow_hub.load`. Images are scikit-image's
photographs. It scores like an assignment but counts for nothing in a grade.
"""

from __future__ import annotations

import os

import numpy as np

from graders.authoring import Assignment, Exercise, Figure, Hint, Verdict, compare, maps, pictures
from graders.data import hub_classifier
from graders.suites import common

IMAGE_SIZE = hub_classifier.IMAGE_SIZE
CLASSES = hub_classifier.CLASSES
# (photograph, crop as (top, left, bottom, right) or None, the class whose saliency is asked for);
# the sizes differ on purpose: preprocess must take any size, smaller or larger than 299.
SAMPLES = (("chelsea.png", None, 282), ("coffee.png", None, 969), ("astronaut.png", (20, 140, 220, 390), 818))
PREPROCESS_MEAN_BOUND = 0.02  # mean |difference| in [0, 1] units, at half resolution: any smooth resize passes
MAP_LEVELS = 2  # grey levels two maps may differ by in one pixel (rounding, float order); no JPEG here
CLASSIFIER_TOLERANCE = 1e-5  # absolute: a typical probability here is about 1e-3

hub_classifier.refuse_downloads_on_import()  # a learner's own hub.load(URL) fails at once, even at top level


def samples(seed: int) -> list[list]:
    """[photograph, crop, class] of each case: the lab's own at seed 0 (the public references);
    for any other seed (a batch's secret one) other crops of the photographs and other classes, so
    that stored observations cannot be replayed. Every probe case echoes its sample, and the
    trusted side reads it from the reference it observed with the same seed."""
    from graders.data.localization import photograph

    rng = np.random.default_rng([seed, 29])
    drawn = []
    for name, crop, class_index in SAMPLES:
        height, width = photograph(name).shape[:2]
        if crop is None:
            crop = (0, 0, height, width)
        if seed:
            top, left = int(rng.integers(0, height // 4)), int(rng.integers(0, width // 4))
            crop = (top, left, height - int(rng.integers(0, height // 4)), width - int(rng.integers(0, width // 4)))
            class_index = int(rng.integers(0, CLASSES))
        drawn.append([name, [int(v) for v in crop], int(class_index)])
    return drawn


def _raw_image(sample) -> np.ndarray:
    from graders.data.localization import photograph

    name, (top, left, bottom, right), _ = sample
    return np.ascontiguousarray(photograph(name)[top:bottom, left:right])


# --- in the worker ------------------------------------------------------------------------------
def _model_input(sample) -> np.ndarray:
    """The probe's own preprocessing: bilinear resize to 299x299, [0, 1], float32, a batch of one."""
    import tensorflow as tf

    resized = tf.image.resize(_raw_image(sample)[None], (IMAGE_SIZE, IMAGE_SIZE), method="bilinear")
    return (resized / 255.0).numpy().astype(np.float32)


def _plain(value, what: str) -> np.ndarray:
    if isinstance(value, dict) and len(value) == 1:  # a SavedModel signature answers {name: tensor}
        value = next(iter(value.values()))
    try:
        return np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except (TypeError, ValueError):
        raise common.fail(f"{what} returned {type(value).__name__}; it must return an array") from None


def _as_unit_pixels(values: np.ndarray) -> np.ndarray:
    """A 299x299 image in [0, 1] as uint8 levels at half resolution (2x2 means): a quarter of the
    size to send and store, exact enough to compare at 1/255, and blind only to sub-pixel
    differences between resize methods, which are no mistake."""
    levels = np.clip(np.nan_to_num(values.astype(np.float64)), 0, 1) * 255
    half = IMAGE_SIZE // 2
    return np.round(levels[:2 * half, :2 * half].reshape(half, 2, half, 2, 3).mean(axis=(1, 3))).astype(np.uint8)


NO_PIXELS = np.zeros((0,), np.uint8)  # a result of another size: nothing to show or compare


def probe_preprocess(submission, params) -> dict:
    function = submission.function("preprocess")
    cases = []
    for sample in samples(common.probe_seed(params)):
        image = _raw_image(sample)
        values = _plain(function(image.copy()), "preprocess")
        if values.dtype.kind not in "biuf":
            raise common.fail(f"preprocess returned an array of {values.dtype}; it must return numbers")
        # Every key in every case (None or an empty array where there is nothing to show).
        case = {"sample": sample, "shape": list(values.shape), "dtype": str(values.dtype),
                "input_shape": list(image.shape),
                "min": None, "max": None, "finite": None, "pixels": NO_PIXELS, "pixels_unit_scaled": NO_PIXELS}
        if values.size:
            numbers = values.astype(np.float64)
            case.update(min=float(np.nanmin(numbers)), max=float(np.nanmax(numbers)),
                        finite=bool(np.all(np.isfinite(numbers))))
        if values.size == IMAGE_SIZE * IMAGE_SIZE * 3:
            pixels = values.reshape(IMAGE_SIZE, IMAGE_SIZE, 3).astype(np.float64)
            case["pixels"] = _as_unit_pixels(pixels)
            if case["max"] > 1.5:  # for the hint "divide by 255"
                case["pixels_unit_scaled"] = _as_unit_pixels(pixels / 255.0)
        cases.append(case)
    return {"cases": cases}


def _classifier():
    """The lab's classifier, built by the grader: softmax over the local hub model's logits."""
    import tensorflow as tf
    import tensorflow_hub as hub

    model = hub.load(hub_classifier.local_handle())
    return lambda images: tf.nn.softmax(model(images), axis=-1)


def _batch(seed: int) -> np.ndarray:
    return np.concatenate([_model_input(sample) for sample in samples(seed)[:2]])


def probe_load_classifier(submission, params) -> dict:
    function = submission.function("load_classifier")
    hub_classifier.refuse_downloads()
    handle = hub_classifier.local_handle()
    with hub_classifier.saved_model_reads() as reads:
        try:
            classifier = function(handle)
        except hub_classifier.OfflineHandle as refused:
            raise common.fail(str(refused)) from None
    if not callable(classifier):
        raise common.fail(f"load_classifier returned {type(classifier).__name__}, which cannot be called "
                          "on images")
    import tensorflow as tf

    images = _batch(common.probe_seed(params))
    outputs = _plain(classifier(tf.constant(images)), "the classifier")
    logits = tf.saved_model.load(handle)(images).numpy()
    return {"outputs": outputs.astype(np.float64), "logits": logits.astype(np.float64),
            # the SavedModel folders the learner's function read, relative to `handle` ("." is it)
            "reads": sorted({os.path.relpath(read, os.path.realpath(handle)) for read in reads})[:20]}


def _gradient(classifier, image: np.ndarray, class_index: int) -> np.ndarray:
    """The grader's own gradient of the lab's loss w.r.t. the image, for the hints."""
    import tensorflow as tf

    pixels = tf.constant(image)
    with tf.GradientTape() as tape:
        tape.watch(pixels)
        loss = tf.keras.losses.categorical_crossentropy(tf.one_hot([class_index], CLASSES), classifier(pixels))
    return tape.gradient(loss, pixels).numpy()[0]


MISTAKES = ("no_abs", "max_over_channels", "predicted_class", "class_plus_one", "class_minus_one")


def _known_mistakes(classifier, image: np.ndarray, class_index: int) -> dict[str, np.ndarray]:
    """Maps that known mistakes make, each named by the mistake."""
    gradient = _gradient(classifier, image, class_index)
    predicted = int(np.argmax(np.asarray(classifier(image))[0]))
    def of_class(index: int) -> np.ndarray:
        return maps.as_levels(np.abs(_gradient(classifier, image, index % CLASSES)).sum(-1))

    # A class shifted by one: the learner took the model's 1001 classes for ImageNet's 1000 (or the reverse).
    return {"no_abs": maps.as_levels(gradient.sum(-1)), "max_over_channels": maps.as_levels(np.abs(gradient).max(-1)),
            "predicted_class": of_class(predicted), "class_plus_one": of_class(class_index + 1),
            "class_minus_one": of_class(class_index - 1)}


def probe_saliency(submission, params) -> dict:
    function = submission.function("saliency_map")
    classifier = _classifier()
    cases = []
    for sample in samples(common.probe_seed(params)):
        image, class_index = _model_input(sample), sample[2]
        saliency = _plain(function(classifier, image.copy(), class_index), "saliency_map")
        if saliency.dtype.kind not in "biuf":
            raise common.fail(f"saliency_map returned an array of {saliency.dtype}; it must return numbers")
        case = {"sample": sample, "shape": list(saliency.shape), "dtype": str(saliency.dtype), "map": NO_PIXELS,
                "mistakes": dict.fromkeys(MISTAKES, NO_PIXELS)}
        if saliency.size == IMAGE_SIZE * IMAGE_SIZE:
            grey = saliency.reshape(IMAGE_SIZE, IMAGE_SIZE)
            case["map"] = grey if grey.dtype == np.uint8 else grey.astype(np.float32)
            case["mistakes"] = _known_mistakes(classifier, image, class_index)
        cases.append(case)
    return {"cases": cases}


# --- on the trusted side ----------------------------------------------------------------------------
def map_agreement(actual: np.ndarray, expected: np.ndarray) -> maps.Agreement:
    """Pattern (correlation) and scale (pixels within MAP_LEVELS, unstretched): the lab's maps are
    returned, not saved as JPEG, so their values must be the expected ones."""
    return maps.agreement(actual, expected, levels=MAP_LEVELS, stretch=False)


def _sample_name(sample) -> str:
    name, crop, _ = sample
    return f"{name.split('.')[0]} ({crop[2] - crop[0]}x{crop[3] - crop[1]})"


def _picture(sample) -> np.ndarray:
    """The sample as the model sees it, 299x299 RGB (resized with Pillow: no TensorFlow here)."""
    from PIL import Image

    return np.asarray(Image.fromarray(_raw_image(sample)).resize((IMAGE_SIZE, IMAGE_SIZE),
                                                                          Image.BILINEAR))


def _thumbnail(picture: np.ndarray, size: int = 150) -> np.ndarray:
    return pictures.resized(picture, (size, size), box_filter=True)


def _grey_levels(grey: np.ndarray) -> np.ndarray:
    """A map as it is, clipped to [0, 255] (not stretched: a map that is all near 0 shows black)."""
    return np.repeat(np.clip(np.nan_to_num(grey), 0, 255).astype(np.uint8)[..., None], 3, axis=-1)


def preprocess_agreement(actual_pixels: np.ndarray, expected_pixels: np.ndarray) -> float:
    """Mean absolute difference of two images in [0, 1] units."""
    return float(np.mean(np.abs(actual_pixels.astype(np.float64) - expected_pixels.astype(np.float64)))) / 255


def _preprocess_figure(observation, reference) -> Figure:
    rows, captions = [], []
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        yours = mine["pixels"] if mine["pixels"].size else np.zeros_like(theirs["pixels"])
        rows.append([_thumbnail(yours), _thumbnail(theirs["pixels"])])
        captions.append([_sample_name(theirs["sample"]), f"{compare.shape_text(mine['shape'])} {mine['dtype']}"])
    return Figure("your preprocessed images (clipped to [0, 1]) and the expected ones",
                  png=pictures.grid_png(rows, ["yours", "expected"], scale=1, captions=captions))


def check_preprocess(observation, reference) -> Verdict:
    expected_shape = reference["cases"][0]["shape"]
    problems, float32 = [], True
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        where = _sample_name(theirs["sample"])
        if mine["shape"] != expected_shape:
            return Verdict.failed(f"{where}: the result has shape {compare.shape_text(mine['shape'])}, expected "
                                  f"{compare.shape_text(expected_shape)}")
        if mine["finite"] is not True or mine["min"] < -1e-3 or mine["max"] > 1 + 1e-3:
            return Verdict.failed(f"{where}: values from {mine['min']:.4g} to {mine['max']:.4g}, expected "
                                  "[0, 1]", figures=[_preprocess_figure(observation, reference)])
        difference = preprocess_agreement(mine["pixels"], theirs["pixels"])
        if difference > PREPROCESS_MEAN_BOUND:
            problems.append(f"{where}: the pixels differ from the expected ones by {difference:.3f} on "
                            f"average (allowed {PREPROCESS_MEAN_BOUND})")
        float32 = float32 and mine["dtype"] == "float32"
    if problems:
        return Verdict.failed(problems[0], details=problems[1:],
                              figures=[_preprocess_figure(observation, reference)])
    if not float32:
        return Verdict(common.FORM_SHARE, f"the images are {observation['cases'][0]['dtype']}; the hub model takes float32")
    return Verdict.passed(f"{len(reference['cases'])} photographs of different sizes resized to 299x299, in [0, 1], "
                          f"float32, with a batch axis (mean difference at most {PREPROCESS_MEAN_BOUND})")


def _cases_with_pixels(o) -> list:
    return [case for case in o["cases"] if case["pixels"].size]


def _looks_bgr(o, r) -> bool:
    return all(preprocess_agreement(mine["pixels"][..., ::-1], theirs["pixels"]) <= PREPROCESS_MEAN_BOUND
               for mine, theirs in zip(o["cases"], r["cases"]))


PREPROCESS_HINTS = (
    Hint("add a batch axis: the hub model takes (1, 299, 299, 3)",
         lambda o, r: o["cases"][0]["shape"] == [IMAGE_SIZE, IMAGE_SIZE, 3]),
    Hint("resize every image to 299x299, whatever its size",
         lambda o, r: len(o["cases"][0]["shape"]) in (3, 4) and o["cases"][0]["shape"][-3:-1] != [IMAGE_SIZE] * 2),
    Hint("scale the pixels to [0, 1]: divide by 255",
         lambda o, r: max(case["max"] for case in o["cases"]) > 1.5
         and all(preprocess_agreement(case["pixels_unit_scaled"], theirs["pixels"]) <= PREPROCESS_MEAN_BOUND
                 for case, theirs in zip(o["cases"], r["cases"]))),
    Hint("InceptionV3 on TF Hub takes pixels in [0, 1], not [-1, 1]: divide by 255 only",
         lambda o, r: min(case["min"] for case in o["cases"]) < -0.5),
    Hint("the images are RGB already: keep the channel order (no cv2.cvtColor)",
         lambda o, r: len(_cases_with_pixels(o)) == len(r["cases"]) and _looks_bgr(o, r)),
    Hint("cast to float32: the hub model's signature takes float32 images",
         lambda o, r: o["cases"][0]["dtype"] != "float32"),
)


def read_the_handle(observation) -> bool:
    """The SavedModel folder at `handle` is among those the learner's function read."""
    return "." in observation["reads"]


def check_load_classifier(observation, reference) -> Verdict:
    mine, theirs = observation["outputs"], reference["outputs"]
    if mine.shape != theirs.shape:
        return Verdict.failed(f"on a batch of two images the classifier returns shape "
                              f"{compare.shape_text(mine.shape)}, expected {compare.shape_text(theirs.shape)}: "
                              f"one probability per class, {CLASSES} classes")
    ok, reason = compare.check_array(mine, theirs, "the class probabilities", CLASSIFIER_TOLERANCE)
    if not ok:
        return Verdict.failed(reason + " on a batch of two photographs")
    if not read_the_handle(observation):
        return Verdict.failed("the classifier does not come from the SavedModel at `handle`: load it with "
                              "hub.load(handle)")
    return Verdict.passed(f"the SavedModel at `handle` loaded; softmax over its {CLASSES} logits matches "
                          "on two photographs")


LOAD_HINTS = (
    Hint("load the model with hub.load(handle), from the handle the grader passes",
         lambda o, r: not read_the_handle(o)),
    Hint("the hub model returns logits: apply tf.nn.softmax to its outputs to get probabilities",
         lambda o, r: compare.check_array(o["outputs"], r["logits"], "", CLASSIFIER_TOLERANCE)[0]),
    Hint("softmax over the 1001 class scores of each image (axis=-1): each row sums to 1",
         lambda o, r: not np.allclose(o["outputs"].sum(-1), 1, atol=1e-3)),
)


def _map_figure(observation, reference) -> Figure:
    rows, captions = [], []
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        yours = mine["map"] if mine["map"].size else np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
        differs = np.abs(np.nan_to_num(yours.astype(np.float64)) - theirs["map"].astype(np.float64)) > MAP_LEVELS
        rows.append([_thumbnail(_picture(theirs["sample"])), _thumbnail(_grey_levels(yours)),
                     _thumbnail(_grey_levels(theirs["map"])), _thumbnail(pictures.difference_rgb(differs))])
        found = map_agreement(yours, theirs["map"]) if mine["map"].size else None
        captions.append([f"{_sample_name(theirs['sample'])}, class {theirs['sample'][2]}",
                         f"r={found.correlation:.3f}, {found.share_within:.1%} within {MAP_LEVELS}"
                         if found else "", "", ""])
    return Figure("saliency maps: the image, yours, the expected one and where they differ by more than "
                  f"{MAP_LEVELS} grey levels",
                  png=pictures.grid_png(rows, ["image", "your map", "expected map", "differs"], scale=1,
                                        captions=captions))


def check_saliency(observation, reference) -> Verdict:
    figure = _map_figure(observation, reference)
    details, shapes_ok, uint8 = [], True, True
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        where = f"{_sample_name(theirs['sample'])}, class {theirs['sample'][2]}"
        if not mine["map"].size:
            return Verdict.failed(f"{where}: the map has shape {compare.shape_text(mine['shape'])}, expected "
                                  f"{compare.shape_text(theirs['shape'])}", figures=[figure])
        found = map_agreement(mine["map"], theirs["map"])
        details.append(f"{where}: correlation {found.correlation:.4f}, {found.share_within:.1%} of pixels "
                       f"within {MAP_LEVELS} grey levels")
        if not found.ok:
            return Verdict.failed(f"{where}: the map differs from the expected one ({found.text()})",
                                  details=details, figures=[figure])
        shapes_ok = shapes_ok and mine["shape"] == theirs["shape"]
        uint8 = uint8 and mine["dtype"] == "uint8"
    if not shapes_ok:
        return Verdict(common.FORM_SHARE, f"the maps are right but have shape {compare.shape_text(observation['cases'][0]['shape'])}"
                            f"; squeeze them to {compare.shape_text(reference['cases'][0]['shape'])}",
                       details=details, figures=[figure])
    if not uint8:
        return Verdict(common.FORM_SHARE, f"the maps are right but are {observation['cases'][0]['dtype']}; cast them to uint8",
                       details=details, figures=[figure])
    return Verdict.passed(f"all {len(reference['cases'])} maps match (correlation at least {maps.MIN_CORRELATION:g}, "
                          f"{maps.MIN_SHARE_WITHIN:.0%} of pixels within {MAP_LEVELS} grey levels)",
                          details=details, figures=[figure])


def _resembles(o, mistake: str) -> bool:
    """Every map the learner returned has the pattern of the map `mistake` makes."""
    cases = [case for case in o["cases"] if case["map"].size]
    return bool(cases) and all(maps.correlation(case["map"], case["mistakes"][mistake]) >= maps.MIN_CORRELATION
                               for case in cases)


def _not_stretched(o) -> bool:
    """No map spans 0 to 255, as a min-max normalised one does."""
    return all(float(np.max(case["map"])) < 250 or float(np.min(case["map"])) > 5
               for case in o["cases"] if case["map"].size)


SALIENCY_HINTS = (
    Hint("take tf.abs of the gradients before summing over the channels",
         lambda o, r: _resembles(o, "no_abs")),
    Hint("sum the absolute gradients over the colour channels (tf.reduce_sum(..., axis=-1)), not their maximum",
         lambda o, r: _resembles(o, "max_over_channels")),
    Hint("the target is the one-hot vector of `class_index` (1001 classes), not the predicted class",
         lambda o, r: _resembles(o, "predicted_class")),
    Hint("the target is the one-hot vector of `class_index` itself: this model's 1001 classes already "
         "count the background as class 0, so do not shift the index",
         lambda o, r: _resembles(o, "class_plus_one"), seen=lambda o, r: "class_index + 1"),
    Hint("the target is the one-hot vector of `class_index` itself: this model's 1001 classes already "
         "count the background as class 0, so do not shift the index",
         lambda o, r: _resembles(o, "class_minus_one"), seen=lambda o, r: "class_index - 1"),
    Hint("normalise to [0, 255]: 255 * (x - min) / (max - min), then cast to uint8",
         lambda o, r: _not_stretched(o)),
)


ASSIGNMENT = Assignment(
    id="c3w4_l3",
    title="C3W4-L3 Saliency with a TF Hub classifier (practice)",
    module="c3w4_l3_hub_saliency",
    notebook_glob="C3W4*L3*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("load_classifier", "load_classifier", 30, probe_load_classifier, check_load_classifier,
                 LOAD_HINTS, functions=("load_classifier",)),
        Exercise("preprocess", "preprocess", 30, probe_preprocess, check_preprocess, PREPROCESS_HINTS,
                 functions=("preprocess",)),
        Exercise("saliency_map", "saliency_map", 40, probe_saliency, check_saliency, SALIENCY_HINTS,
                 functions=("saliency_map",)),
    ),
)
