"""Lab C3W4-L2 "Cats vs dogs class activation maps", as a practice suite.

The lab trains a small classifier of 300x300 pictures that ends in global average
pooling and one sigmoid unit, then draws class activation maps (CAM): the last
convolution's 37x37x128 maps, zoomed to 300x300 and weighed with the unit's 128
weights. cats_vs_dogs cannot be downloaded here, so the pictures are C3W4's five
"cat or not" pictures (`exercises/c3w4_pictures/`), read the lab's way (cv2.imread,
BGR as it comes, cv2.resize to 300x300, /255). Every network is given seeded
weights, so the maps depend on the run's seed, not on any training. It scores like
an assignment but counts for nothing in a grade.

Sizes: a 300x300 map is 90,000 floats, so the probes send what decides: the whole map
where the map is the exercise (`class_activation_map`), and elsewhere each map's 4x4 block
means (75x75) with a seeded sample of its pixels, and a seeded sample of the features.
"""

from __future__ import annotations

import numpy as np

from graders.authoring import (
    Assignment,
    CourseGiven,
    Exercise,
    Figure,
    Hint,
    Verdict,
    compare,
    maps,
    modelprobe,
    pictures,
    shape_of,
)
from graders.suites import common

IMAGE_SHAPE = (300, 300, 3)
MAP_SHAPE = (300, 300)
FEATURE_SHAPE = (37, 37, 128)
ZOOM = MAP_SHAPE[0] / FEATURE_SHAPE[0]
BLOCK = 4  # the block means of a map are (75, 75)
SAMPLE = 2048  # seeded pixels (or feature values) sent beside the block means
FIGURE_CELL = 150


# --- shared by the probes (in the worker) and the checks (trusted side: numpy only) --------------
def sample_positions(seed: int, size: int, count: int = SAMPLE, tag: int = 0) -> np.ndarray:
    """Flat indexes of the seeded sample taken of an array of `size` values."""
    rng = np.random.default_rng([seed, 71, tag])
    return np.sort(rng.choice(size, min(count, size), replace=False)) if size else np.zeros(0, np.int64)


def reduced_map(values, positions: np.ndarray) -> dict:
    """One map as the probes send it: its shape, whether it is finite, and for a 300x300 map its
    4x4 block means and its pixels at `positions` (empty arrays otherwise)."""
    values = np.asarray(values, dtype=np.float64)
    reduced = {"shape": list(values.shape), "finite": bool(np.all(np.isfinite(values))),
               "means": np.zeros((0,), np.float32), "sample": np.zeros((0,), np.float32)}
    if values.size == MAP_SHAPE[0] * MAP_SHAPE[1]:
        square = values.reshape(MAP_SHAPE)
        side = MAP_SHAPE[0] // BLOCK
        reduced["means"] = square.reshape(side, BLOCK, side, BLOCK).mean(axis=(1, 3)).astype(np.float32)
        reduced["sample"] = square.ravel()[positions].astype(np.float32)
    return reduced


def weighted_zoom(features: np.ndarray, weights: np.ndarray, order: int = 2) -> np.ndarray:
    """The CAM recipe with the zoom's spline `order` free (trusted side: scipy only). The zoom is
    linear, so the 37x37 maps are weighed first and the one weighted map zoomed."""
    import scipy.ndimage

    return scipy.ndimage.zoom(np.dot(np.asarray(features, np.float64), np.asarray(weights, np.float64)),
                              (ZOOM, ZOOM), order=order)


# --- helpers that run in the worker ----------------------------------------------------------
def _classifier(seed: int):
    """The lab's classifier with seeded weights, functional (Keras 3 gives a Sequential model no
    `model.input`, the lab's spelling; `model.layers[-3]` is the last convolution either way)."""
    keras = common.keras()
    inputs = x = keras.Input(IMAGE_SHAPE)
    for filters in (16, 32, 64, 128):
        x = keras.layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        if filters < 128:
            x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    modelprobe.seed_weights(model, seed)
    return model


def _fixture_cam_model(classifier):
    keras = common.keras()
    return keras.Model(classifier.inputs, (classifier.layers[-3].output, classifier.layers[-1].output))


def _picture_bgr(name: str) -> np.ndarray:
    """A given picture as cv2.imread reads it (BGR uint8, its own size)."""
    import cv2

    from graders.data import cat_or_not

    return cv2.imdecode(np.frombuffer(cat_or_not.picture_bytes(name), dtype=np.uint8), cv2.IMREAD_COLOR)


def _lab_batch(names) -> np.ndarray:
    """The given pictures preprocessed the lab's way: BGR, cv2.resize to 300x300, / 255."""
    import cv2

    return np.stack([cv2.resize(_picture_bgr(n), MAP_SHAPE[::-1]) / 255.0 for n in names]).astype(np.float32)


def _picture_names() -> list[str]:
    from graders.data import cat_or_not

    return list(cat_or_not.PICTURES)


def _picture_labels() -> np.ndarray:
    from graders.data import cat_or_not

    return np.array(list(cat_or_not.PICTURES.values()), dtype=np.float32)


# --- augmentimages ----------------------------------------------------------------------------------
SIZES = ((420, 360), (180, 240), (330, 150))  # (height, width): larger, smaller, mixed


def _raw_pictures(seed: int) -> list[np.ndarray]:
    """uint8 pictures of the sizes tfds gives (each its own), cut from the given pictures at
    seeded places: what `augmentimages` is mapped over."""
    import cv2

    rng = np.random.default_rng([seed, 72])
    names = _picture_names()
    cuts = []
    for height, width in SIZES:
        source = cv2.resize(_picture_bgr(names[int(rng.integers(len(names)))]), (480, 480))[..., ::-1]
        top, left = int(rng.integers(0, 480 - height + 1)), int(rng.integers(0, 480 - width + 1))
        cuts.append(np.ascontiguousarray(source[top:top + height, left:left + width]))
    return cuts


# Known mistakes, as changes to the lab's recipe (see `augment_variant`).
AUGMENT_MISTAKES = {
    "nearest": {"method": "nearest"},
    "antialias": {"antialias": True},
    "bicubic": {"method": "bicubic"},
    "area": {"method": "area"},
}


def augment_variant(picture, method="bilinear", antialias=False):
    import tensorflow as tf

    image = tf.cast(picture, tf.float32) / 255
    return tf.image.resize(image, MAP_SHAPE, method=method, antialias=antialias).numpy()


def probe_augmentimages(submission, params) -> dict:
    import tensorflow as tf

    function = submission.function("augmentimages")
    seed = common.probe_seed(params)
    labels = np.random.default_rng([seed, 73]).integers(0, 2, len(SIZES))
    cases = []
    for index, (picture, label) in enumerate(zip(_raw_pictures(seed), labels)):
        # As the lab uses it: mapped over a tf.data set of (uint8 picture, int64 label).
        dataset = tf.data.Dataset.from_tensors((tf.constant(picture), tf.constant(label, tf.int64)))
        element = next(iter(dataset.map(function)))
        if not isinstance(element, (tuple, list)) or len(element) != 2:
            raise common.fail(f"augmentimages returned {type(element).__name__}; it must return "
                              "(image, label)")
        image, returned_label = (np.asarray(part) for part in element)
        positions = sample_positions(seed, int(np.prod(IMAGE_SHAPE)), tag=index)
        fits = image.shape == IMAGE_SHAPE
        cases.append({
            "shape": list(image.shape), "dtype": str(image.dtype),
            "sample": (image.astype(np.float64).ravel()[positions].astype(np.float32) if fits
                       else np.zeros((0,), np.float32)),
            "range": [float(np.min(image)), float(np.max(image))] if image.size else [0.0, 0.0],
            "label": float(returned_label.ravel()[0]) if returned_label.size == 1 else None,
            "label_given": int(label),
            "mistakes": {name: augment_variant(picture, **change).astype(np.float64).ravel()[positions]
                         .astype(np.float32) for name, change in AUGMENT_MISTAKES.items()},
        })
    return {"cases": cases}


def check_augmentimages(observation, reference) -> Verdict:
    cases, expected = observation["cases"], reference["cases"]
    for index, (mine, theirs) in enumerate(zip(cases, expected)):
        size = "x".join(map(str, SIZES[index]))
        if mine["shape"] != theirs["shape"]:
            return Verdict.failed(f"a {size} picture becomes {compare.shape_text(mine['shape'])}, expected "
                                  f"{compare.shape_text(theirs['shape'])}")
        ok, reason = compare.check_array(mine["sample"], theirs["sample"], f"the {size} picture's pixels", 1e-3)
        if not ok:
            return Verdict.failed(reason)
        if mine["label"] != theirs["label"]:
            got = "more than one value" if mine["label"] is None else str(mine["label"])
            return Verdict.failed(f"the label {theirs['label_given']} comes back as {got}; return it unchanged")
    if any(mine["dtype"] != theirs["dtype"] for mine, theirs in zip(cases, expected)):
        return Verdict(common.FORM_SHARE, f"the picture's values are right but of dtype {cases[0]['dtype']}, "
                       f"expected {expected[0]['dtype']}")
    return Verdict.passed(f"all {len(expected)} pictures become 300x300x3 float32 in [0, 1] with the "
                          "expected pixels, labels unchanged")


def _augmented_with(mistake: str):
    """Every picture is what the mistake makes of it (some may be the same either way: antialias
    changes only the pictures made smaller), and some picture is not what the lab makes of it."""
    def applies(o, r) -> bool:
        pairs = list(zip(o["cases"], r["cases"]))
        return (all(compare.check_array(case["sample"], case["mistakes"][mistake], tolerance=1e-3)[0]
                    for case, _ in pairs)
                and any(not compare.check_array(case["sample"], theirs["sample"], tolerance=1e-3)[0]
                        for case, theirs in pairs))
    return applies


def _scaled_by(factor: float):
    """The learner's pixels are the expected ones times `factor` (e.g. 255: not divided by 255)."""
    def applies(o, r) -> bool:
        return all(case["sample"].size and compare.check_array(case["sample"], factor * theirs["sample"],
                                                               tolerance=1e-3)[0]
                   for case, theirs in zip(o["cases"], r["cases"]))
    return applies


def _symmetric(o, r) -> bool:
    return all(case["sample"].size and compare.check_array(case["sample"], 2 * theirs["sample"] - 1,
                                                           tolerance=1e-3)[0]
               for case, theirs in zip(o["cases"], r["cases"]))


AUGMENT_HINTS = (
    Hint("resize every picture to 300x300: tf.image.resize(image, (300, 300))",
         lambda o, r: any(c["shape"][:2] != [300, 300] for c in o["cases"]),
         seen=lambda o, r: f"a picture of shape {compare.shape_text(o['cases'][0]['shape'])}"),
    Hint("the pictures are colour: keep their three channels",
         lambda o, r: any(c["shape"][:2] == [300, 300] and c["shape"] != [300, 300, 3] for c in o["cases"])),
    Hint("scale the pixels to [0, 1]: divide by 255 (after tf.cast(image, tf.float32))", _scaled_by(255.0),
         seen=lambda o, r: f"pixels up to {o['cases'][0]['range'][1]:g}"),
    Hint("this classifier sees pixels in [0, 1] (x / 255), not [-1, 1]", _symmetric),
    Hint("resize with tf.image.resize's default, bilinear interpolation, not nearest neighbour",
         _augmented_with("nearest")),
    Hint("resize with tf.image.resize's default, bilinear interpolation, not bicubic", _augmented_with("bicubic")),
    Hint("resize with tf.image.resize's default, bilinear interpolation, not area averaging",
         _augmented_with("area")),
    Hint("resize without antialias (tf.image.resize's default, as the lab does)", _augmented_with("antialias")),
    Hint("return the label as it was given: (image, label)",
         lambda o, r: any(c["label"] != t["label"] for c, t in zip(o["cases"], r["cases"]))),
)


# --- build_classifier ---------------------------------------------------------------------------
def probe_classifier(submission, params) -> dict:
    model = common.require_model(submission.function("build_classifier")(), "build_classifier")
    seed = common.probe_seed(params)
    input_shapes = [shape_of(t.shape) for t in model.inputs]
    fits = input_shapes == [[None, *IMAGE_SHAPE]]
    images = _lab_batch(_picture_names())
    # A model the pictures would not fit is only described; the check says why.
    observation = common.observe_model(model, images, seed) if fits else {**modelprobe.describe(model), "outputs": []}
    observation["input_shapes"] = input_shapes
    observation.update(common.losses_and_metrics(model))
    observation.update(common.NOT_EVALUATED)
    if fits and observation["optimizer"].get("class") is not None:
        observation.update(common.evaluated_loss(model, images, _picture_labels()))
    return observation


def check_classifier(observation, reference) -> Verdict:
    figure = common.layer_figure(observation, reference, "build_classifier: your layers and the expected ones")
    details = [f"optimizer {observation['optimizer']}, loss {observation['loss']!r}, "
               f"metrics {observation['metrics']}", f"{observation['params']:,} parameters"]
    for key, what in (("input_shapes", "takes"), ("output_shapes", "outputs")):
        if observation[key] != reference[key]:
            return Verdict.failed(f"the model {what} {', '.join(map(compare.shape_text, observation[key]))}, "
                                  f"expected {compare.shape_text(reference[key][0])}", figures=[figure])
    ok, reason = common.check_outputs(observation, reference, ["the sigmoid outputs"])
    if not ok:
        return Verdict.failed(f"{reason} with seeded weights", figures=[figure])
    if observation["params"] != reference["params"]:
        return Verdict.failed(f"the classifier has {observation['params']:,} parameters, expected "
                              f"{reference['params']:,}", figures=[figure])
    if observation["optimizer"].get("class") is None:
        return Verdict(0.5, "the model is not compiled: call model.compile(...)", figures=[figure])
    fatal, problems = common.compile_settings(observation, reference, "the five pictures and their labels")
    return common.settings_verdict(fatal, problems, "the layers, their outputs with seeded weights and the "
                                   "compile settings match", base=0.5, scale=0.5, details=details,
                                   figures=[figure])


def _learning_rate(o) -> float:
    return float(o["optimizer"].get("learning_rate", -1))


CLASSIFIER_HINTS = (
    Hint("the classifier reads 300x300 colour pictures: Input(shape=(300, 300, 3))",
         lambda o, r: o["input_shapes"] != [[None, *IMAGE_SHAPE]]),
    *common.cam_stack_hints("300 -> 150 -> 75 -> 37"),
    Hint("two classes with one unit: the last layer is Dense(1, activation='sigmoid')",
         lambda o, r: common.dense_units(o) != [1] or compare.activations(o)[-1:] != ["sigmoid"]),
    Hint("one sigmoid unit and labels 0 or 1: loss='binary_crossentropy'",
         lambda o, r: o["loss"] != "binary_crossentropy", seen=lambda o, r: f"loss={o['loss']!r}"),
    Hint("the lab trains with tf.keras.optimizers.RMSprop(learning_rate=0.001)",
         lambda o, r: o["optimizer"].get("class") != "RMSprop" or not np.isclose(_learning_rate(o), 1e-3, rtol=1e-4),
         seen=lambda o, r: f"{o['optimizer'].get('class')} with learning rate {o['optimizer'].get('learning_rate')}"),
    Hint("report the accuracy while training: metrics=['accuracy']", lambda o, r: not common.measures_accuracy(o)),
)


# --- cam_model -------------------------------------------------------------------------------------
CAM_PICTURES = ("cat1.jpg", "cup.jpg")


def probe_cam_model(submission, params) -> dict:
    seed = common.probe_seed(params)
    classifier = _classifier(seed)
    model = common.require_model(submission.function("cam_model")(classifier), "cam_model")

    def predict(made):
        # The 2x37x37x128 features are 350,000 values: a seeded sample of them travels.
        return [o.astype(np.float32).ravel()[sample_positions(seed, o.size, tag=9)] if o.size > SAMPLE
                else o.astype(np.float32).ravel() for o in modelprobe.predict(made, _lab_batch(CAM_PICTURES))]

    return common.observe_output_model(model, classifier, seed, predict)


check_cam_model = common.output_model_check("(None, 37, 37, 128), (None, 1)", "the sigmoid output", "37x37x128")
CAM_MODEL_HINTS = common.output_model_hints(
    "37x37x128", "results", "the second output is the classifier's sigmoid output")


# --- class_activation_map ------------------------------------------------------------------------------
def _cam_inputs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features as a relu leaves them (many exact zeros, values on a 1/16 grid, which keeps the
    reference file small) and the Dense kernel of one unit, shape (128, 1)."""
    rng = np.random.default_rng([seed, 74])
    features = np.round(np.maximum(rng.normal(0, 1, FEATURE_SHAPE) - 0.3, 0) * 16) / 16
    kernel = rng.normal(0, np.sqrt(2 / FEATURE_SHAPE[-1]), (FEATURE_SHAPE[-1], 1))
    return features.astype(np.float32), kernel.astype(np.float32)


def probe_cam(submission, params) -> dict:
    function = submission.function("class_activation_map")
    features, kernel = _cam_inputs(common.probe_seed(params))
    returned = function(features.copy(), kernel.copy())
    try:
        made = np.asarray(returned, dtype=np.float64)
    except (TypeError, ValueError):
        raise common.fail(f"class_activation_map returned {type(returned).__name__}; it must return the "
                          "map as an array") from None
    # The whole map (it is the exercise), when it holds a 300x300 map's values; the inputs travel
    # too, so the trusted side can compute the maps known mistakes make.
    whole = made.size == MAP_SHAPE[0] * MAP_SHAPE[1]
    return {"shape": list(made.shape), "features": features, "gap_weights": kernel,
            "map": made.reshape(MAP_SHAPE).astype(np.float32) if whole else np.zeros((0,), np.float32)}


def check_cam(observation, reference) -> Verdict:
    mine, theirs = observation["map"], reference["map"]
    shape = observation["shape"]
    if mine.size == 0:
        return Verdict.failed(f"the map has shape {compare.shape_text(shape)}, expected "
                              f"{compare.shape_text(reference['shape'])}")
    figure = _cam_figure(mine, theirs)
    ok, reason = compare.check_array(mine, theirs, "the class activation map", 1e-3)
    if not ok:
        return Verdict.failed(reason, figures=[figure])
    if shape != reference["shape"]:
        return Verdict(common.FORM_SHARE, f"the map's values are right, but its shape is "
                       f"{compare.shape_text(shape)}, not (300, 300): weigh with gap_weights[:, 0] (128 "
                       "weights), not the (128, 1) kernel", figures=[figure])
    return Verdict.passed("the 300x300 map matches", figures=[figure])


def _cam_figure(mine: np.ndarray, theirs: np.ndarray) -> Figure:
    high = float(np.max(np.abs(theirs))) or 1.0
    size = (FIGURE_CELL, FIGURE_CELL)
    row = [pictures.resized(pictures.heat_rgb(m, -high, high), size) for m in (mine, theirs)]
    row.append(pictures.resized(pictures.heat_rgb(np.abs(mine - theirs), 0, high), size))
    return Figure("the class activation map (black: most negative, white: most positive) and their difference",
                  png=pictures.grid_png([row], ["yours", "expected", "difference"], scale=1))


def _zoomed_with(order: int):
    """The learner's map is the one a zoom of spline `order` makes of the given features."""
    def applies(o, r) -> bool:
        made = weighted_zoom(o["features"], o["gap_weights"][:, 0], order)
        return compare.check_array(o["map"], made, tolerance=1e-3)[0]
    return applies


def _rescaled(o, r) -> bool:
    """The right map times a factor other than 1 (normalised by its maximum, say)."""
    mine, theirs = np.asarray(o["map"], np.float64).ravel(), np.asarray(r["map"], np.float64).ravel()
    if mine.shape != theirs.shape or not np.any(theirs):
        return False
    factor = float(np.dot(mine, theirs) / np.dot(theirs, theirs))
    tolerance = 1e-3 * max(1, abs(factor))
    return abs(factor - 1) > 1e-2 and compare.check_array(mine, factor * theirs, tolerance=tolerance)[0]


def _stretched(o, r) -> bool:
    """The right map stretched to [0, 1] (min-max), as a picture would be."""
    mine = np.asarray(o["map"], np.float64)
    return mine.shape == MAP_SHAPE and compare.check_array(mine, maps.stretched(r["map"]), tolerance=1e-3)[0]


def _clipped(o, r) -> bool:
    mine = np.asarray(o["map"], np.float64)
    return mine.shape == MAP_SHAPE and compare.check_array(mine, np.maximum(r["map"], 0), tolerance=1e-3)[0]


def _small_map(o, r) -> bool:
    return o["shape"] == list(FEATURE_SHAPE[:2])


CAM_HINTS = (
    Hint("upscale the 37x37 feature maps to 300x300 before the dot product: "
         "scipy.ndimage.zoom(features, (300 / 37, 300 / 37, 1), order=2)", _small_map,
         seen=lambda o, r: "the 37x37 maps as they are"),
    Hint("zoom by 300 / 37 (true division): 300 // 37 is 8, which makes a 296x296 map",
         lambda o, r: o["shape"][:2] == [296, 296]),
    Hint("weigh the 128 zoomed feature maps with the unit's weights: np.dot(zoomed, gap_weights[:, 0]) "
         "gives the 300x300 map", lambda o, r: o["shape"] == [*MAP_SHAPE, FEATURE_SHAPE[-1]]),
    Hint("weigh the features with the unit's weights, gap_weights[:, 0] (128 weights): the map is 300x300",
         lambda o, r: o["shape"] != r["shape"] and o["map"].size > 0),
    Hint("the upscaling is spline interpolation of order 2 (zoom(..., order=2)), not nearest neighbour "
         "(order=0)", _zoomed_with(0)),
    Hint("the upscaling is spline interpolation of order 2 (zoom(..., order=2)), not linear "
         "interpolation (order=1)", _zoomed_with(1)),
    Hint("pass order=2 to scipy.ndimage.zoom: its default is cubic (order=3)", _zoomed_with(3)),
    Hint("return the map as it is: the lab's plot scales it for showing, the map itself is not normalised",
         lambda o, r: _rescaled(o, r) or _stretched(o, r)),
    Hint("keep the negative values: the map is the weighted sum itself, without a relu", _clipped),
)


# --- convert_and_classify ---------------------------------------------------------------------------------
def _scratch_folder():
    """A fresh working folder holding the given pictures: the function reads file names relative to it."""
    from graders.data import cat_or_not

    return common.scratch_folder("cvgrade-c3w4-l2-", {name: cat_or_not.picture_bytes(name) for name in cat_or_not.PICTURES})


# Known mistakes in reading a picture, as changes to the lab's recipe (see `lab_picture`).
READING_MISTAKES = {
    "rgb": {"channels": "rgb"},
    "unscaled": {"scale": "none"},
    "symmetric": {"scale": "symmetric"},
    "area": {"resize": "area"},
    "nearest": {"resize": "nearest"},
    # tf.image.resize samples the same places, but keeps the fractions cv2.resize rounds to whole
    # levels: predictions within 1e-4, maps off by about 0.6% of their scale.
    "tf_resize": {"resize": "tf"},
}


def lab_picture(bgr: np.ndarray, channels="bgr", scale="unit", resize="linear") -> np.ndarray:
    """A picture preprocessed with one step changed; with the defaults, the lab's recipe."""
    import cv2

    picture = np.ascontiguousarray(bgr[..., ::-1] if channels == "rgb" else bgr)
    if resize == "tf":
        import tensorflow as tf

        picture = tf.image.resize(picture, MAP_SHAPE).numpy()
    else:
        interpolation = {"linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA, "nearest": cv2.INTER_NEAREST}[resize]
        picture = cv2.resize(picture, MAP_SHAPE[::-1], interpolation=interpolation)
    picture = np.asarray(picture, dtype=np.float64)
    return {"unit": picture / 255.0, "none": picture, "symmetric": picture / 127.5 - 1.0}[scale]


def _one_number(value, name: str) -> float:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise common.fail(f"convert_and_classify returned {type(value).__name__} as the prediction "
                          f"for {name}; it must be the sigmoid output, one number") from None
    if array.size != 1:
        raise common.fail(f"convert_and_classify returned a prediction of shape {compare.shape_text(array.shape)} "
                          f"for {name}; it must be the sigmoid output, one number (results[0][0])")
    return float(array.ravel()[0])


def probe_convert_and_classify(submission, params) -> dict:
    seed = common.probe_seed(params)
    classifier = _classifier(seed)
    model = _fixture_cam_model(classifier)
    gap_weights = classifier.layers[-1].get_weights()[0]
    function = submission.function("convert_and_classify")
    positions = sample_positions(seed, MAP_SHAPE[0] * MAP_SHAPE[1], tag=5)
    cases = []
    with common.reference_parts(submission, ("class_activation_map",)), _scratch_folder():
        for name in _picture_names():
            returned = function(name, model, gap_weights.copy())
            if not isinstance(returned, (tuple, list)) or len(returned) != 2:
                raise common.fail(f"convert_and_classify('{name}', ...) returned {type(returned).__name__}; "
                                  "it must return (cam, prediction)")
            cam, prediction = returned
            try:
                cam = np.asarray(cam, dtype=np.float64)
            except (TypeError, ValueError):
                raise common.fail(f"convert_and_classify('{name}', ...) returned {type(cam).__name__} as the "
                                  "map; it must return (cam, prediction), the map first") from None
            if cam.size == 1 and np.asarray(prediction).size > 1:
                raise common.fail(f"convert_and_classify('{name}', ...) returned the prediction first; "
                                  "return (cam, prediction)")
            cases.append({"picture": name, **reduced_map(cam, positions),
                          "prediction": _one_number(prediction, name)})
    # What the known mistakes in reading the pictures predict (the sigmoid output tells them apart).
    mistakes = {}
    for mistake, change in READING_MISTAKES.items():
        batch = np.stack([lab_picture(_picture_bgr(n), **change) for n in _picture_names()]).astype(np.float32)
        mistakes[mistake] = [float(v) for v in np.asarray(classifier(batch, training=False)).ravel()]
    return {"cases": cases, "mistakes": mistakes}


def _prediction_problem(mine, theirs) -> str | None:
    if not abs(mine["prediction"] - theirs["prediction"]) <= 1e-3:  # NaN included
        return f"the prediction is {mine['prediction']:.6f}, expected {theirs['prediction']:.6f}"
    return None


def _map_problem(mine, theirs) -> str | None:
    if not mine["finite"]:
        return "the map holds NaN or infinite values"
    if mine["shape"] != theirs["shape"]:
        return f"the map has shape {compare.shape_text(mine['shape'])}, expected {compare.shape_text(theirs['shape'])}"
    for key, what in (("means", "the map (its 4x4 block means)"), ("sample", "the map (its pixels)")):
        ok, reason = compare.check_array(mine[key], theirs[key], what, 1e-3)
        if not ok:
            return reason
    return None


def check_convert_and_classify(observation, reference) -> Verdict:
    mine, theirs = observation["cases"], reference["cases"]
    names = [case["picture"] for case in theirs]
    if [case["picture"] for case in mine] != names:
        return Verdict.failed("the probe's pictures and the reference's differ; regenerate the fixtures")
    problems = [_prediction_problem(a, b) or _map_problem(a, b) for a, b in zip(mine, theirs)]
    figure = _overlay_figure(mine, theirs)
    details = [f"{name}: prediction {a['prediction']:.6f} (expected {b['prediction']:.6f}); "
               + (problem or "the map matches") for name, a, b, problem in zip(names, mine, theirs, problems)]
    matched = sum(problem is None for problem in problems)
    if matched == len(names):
        return Verdict.passed(f"the maps and predictions of all {len(names)} pictures match", details=details,
                              figures=[figure])
    first = next(i for i, problem in enumerate(problems) if problem is not None)
    return Verdict.failed(f"{matched} of {len(names)} pictures match; for {names[first]}, {problems[first]}",
                          details=details, figures=[figure])


def _picture_for_report(name: str) -> np.ndarray:
    """A given picture resized to 300x300, in RGB for the eye (trusted side, Pillow only)."""
    import io

    from PIL import Image

    from graders.data import cat_or_not

    with Image.open(io.BytesIO(cat_or_not.picture_bytes(name))) as image:
        return np.asarray(image.convert("RGB").resize(MAP_SHAPE[::-1], Image.BILINEAR))


def _overlay(picture: np.ndarray, means: np.ndarray, low: float, high: float) -> np.ndarray:
    size = (FIGURE_CELL, FIGURE_CELL)
    heat = pictures.resized(pictures.heat_rgb(means, low, high), size)
    return (0.5 * pictures.resized(picture, size) + 0.5 * heat).astype(np.uint8)


def _overlay_figure(mine, theirs) -> Figure:
    """Each picture with the learner's map and the expected one laid over it, and their difference."""
    size = (FIGURE_CELL, FIGURE_CELL)
    rows, captions = [], []
    for a, b in zip(mine, theirs):
        picture = _picture_for_report(b["picture"])
        expected = np.asarray(b["means"], np.float64)
        low, high = float(expected.min()), float(expected.max())
        found = np.asarray(a["means"], np.float64)
        same_shape = found.shape == expected.shape and a["finite"]
        rows.append([pictures.resized(picture, size),
                     _overlay(picture, found, low, high) if same_shape else np.full(size + (3,), 255, np.uint8),
                     _overlay(picture, expected, low, high),
                     pictures.resized(pictures.difference_heat(found, expected), size) if same_shape
                     else np.full(size + (3,), 255, np.uint8)])
        captions.append([b["picture"], f"p={a['prediction']:.4f}", f"p={b['prediction']:.4f}",
                         "" if same_shape else "other shape"])
    return Figure("the pictures with your class activation maps and the expected ones laid over them "
                  "(a classifier of seeded weights; black to white: least to most 'dog'), and their difference",
                  png=pictures.grid_png(rows, ["picture", "your map", "expected map", "difference"], scale=1,
                                        captions=captions))


def _read_with(mistake: str):
    def applies(o, r) -> bool:
        predictions = [case["prediction"] for case in o["cases"]]
        expected = [case["prediction"] for case in r["cases"]]
        # The same network on the same pictures: a learner's predictions are the mistake's to the
        # last few bits, while the mistakes differ from the lab's recipe by 5e-5 or more.
        return (not _maps_right(o, r) and not np.allclose(predictions, expected, atol=2e-5, rtol=0)
                and np.allclose(predictions, o["mistakes"][mistake], atol=5e-6, rtol=0))
    return applies


def _maps_right(o, r) -> bool:
    return all(_map_problem(a, b) is None for a, b in zip(o["cases"], r["cases"]))


def _rounded(o, r) -> bool:
    """The right maps, but each prediction rounded to the class (a saturated network reading
    unscaled pixels also predicts 1.0, but its maps are wrong)."""
    return _maps_right(o, r) and all(case["prediction"] in (0.0, 1.0) and case["prediction"] == round(t["prediction"])
                                     for case, t in zip(o["cases"], r["cases"]))


def _predictions_right_maps_wrong(o, r) -> bool:
    return all(_prediction_problem(a, b) is None for a, b in zip(o["cases"], r["cases"])) and any(
        _map_problem(a, b) is not None for a, b in zip(o["cases"], r["cases"]))


CONVERT_HINTS = (
    Hint("return the sigmoid output itself (results[0][0]), not the rounded class", _rounded),
    Hint("the lab feeds the picture as cv2.imread gives it (BGR): do not convert it to RGB here",
         _read_with("rgb")),
    Hint("scale the picture to [0, 1]: cv2.resize(img, (300, 300)) / 255.0", _read_with("unscaled")),
    Hint("this classifier sees pixels in [0, 1] (x / 255), not [-1, 1]", _read_with("symmetric")),
    Hint("resize with cv2.resize(img, (300, 300)) and its default interpolation (bilinear), not INTER_AREA",
         _read_with("area")),
    Hint("resize with cv2.resize(img, (300, 300)) and its default interpolation (bilinear), not INTER_NEAREST",
         _read_with("nearest")),
    Hint("resize with cv2.resize(img, (300, 300)), as the lab does: tf.image.resize keeps the fractions "
         "cv2.resize rounds to whole levels, and the map moves with them", _read_with("tf_resize")),
    Hint("the map is class_activation_map(features[0], gap_weights) of the features cam_model gives for "
         "the picture", _predictions_right_maps_wrong),
)


# The lab's notebook supplies all of this code (here the learner writes it). One version is known,
# and the reference behaves as it does; the lab's own spelling of it earns full points
# (tests/test_c3w4_labs.py, "l2-course-code").
LAB_CODE = CourseGiven()

ASSIGNMENT = Assignment(
    id="c3w4_l2",
    title="C3W4-L2 Cats vs dogs class activation maps (practice)",
    module="c3w4_l2_cam",
    notebook_glob="C3W4*L2*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("augmentimages", "augmentimages", 10, probe_augmentimages, check_augmentimages, AUGMENT_HINTS,
                 functions=("augmentimages",), course_given=LAB_CODE),
        Exercise("build_classifier", "build_classifier", 30, probe_classifier, check_classifier,
                 CLASSIFIER_HINTS, functions=("build_classifier",),
                 course_given=LAB_CODE),
        Exercise("cam_model", "cam_model", 20, probe_cam_model, check_cam_model, CAM_MODEL_HINTS,
                 functions=("cam_model",), course_given=LAB_CODE),
        Exercise("class_activation_map", "class_activation_map", 20, probe_cam, check_cam, CAM_HINTS,
                 functions=("class_activation_map",), course_given=LAB_CODE),
        Exercise("convert_and_classify", "convert_and_classify", 20, probe_convert_and_classify,
                 check_convert_and_classify, CONVERT_HINTS, functions=("convert_and_classify",),
                 stand_ins=("class_activation_map",), course_given=LAB_CODE),
    ),
)
