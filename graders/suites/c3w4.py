"""C3W4 "Saliency maps": the exercises, their probes, checks and hints.

`do_salience` is judged by behaviour: the probe copies the given pictures into a
scratch folder, calls the learner's function as the course does (a file name, a
classifier of fixed weights, a label, a prefix) and reads back the JPEG it
writes. The maps are compared with the reference maps by `graders.judge.maps`
(correlation and a per-pixel bound after stretching), which a JPEG's rounding
passes and every known wrong gradient fails. To name the mistake, the probe also
computes the maps those mistakes give for the first picture.

A wrong `label` cannot be seen: with a 2-class softmax the gradients for label 0
and label 1 differ by a positive factor, which the stretching removes. A class outside 0 and 1
can: its one-hot target is all zeros, and the map it gives is among the known mistakes.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from graders.authoring import Assignment, Exercise, Figure, Hint, TopLevelStep, Verdict, compare, maps
from graders.suites import common

IMAGE_SHAPE = (300, 300, 3)
MAP_SHAPE = (300, 300)
PROBE_PREFIX = "graded_"  # the prefix the probe passes to do_salience
SUBMITTED_PREFIX = "salient"  # the maps submitted with the trained model: salientcat1.jpg, ...
MODEL_FILES = ("cat_or_not.keras", "cat_or_not.h5", "c3w4_model.keras", "c3w4_model.h5", "model.keras", "model.h5")
# Calibrated with bench/calibrate_marks.py: the course's recipe (--epochs 6) scored 62-84% on the hidden
# pictures over seeds, an untrained classifier 48-52%; each mark keeps 2.5 points from the nearer of them.
ACCURACY_FULL = 0.6  # full points for the classifier from this hidden accuracy
ACCURACY_ZERO = 0.55  # no points at or below this: chance, and an untrained model's luck above it
FIGURE_CELL = 150  # pixels per side of a map in the report


# --- helpers that run in the worker ---------------------------------------------------
def _classifier():
    """The course's classifier, uncompiled, with fresh weights."""
    keras = common.keras()
    layers = keras.layers
    stack = [keras.Input(IMAGE_SHAPE)]
    for index, filters in enumerate((16, 32, 64, 128)):
        stack.append(layers.Conv2D(filters, 3, activation="relu", padding="same"))
        stack.append(layers.MaxPooling2D(2) if index < 3 else layers.GlobalAveragePooling2D())
    stack.append(layers.Dense(2, activation="softmax"))
    return keras.Sequential(stack)


@functools.lru_cache(maxsize=4)
def fixture_classifier(seed: int):
    """The classifier the saliency maps are taken of, every weight drawn from `seed`."""
    from graders.authoring import modelprobe

    model = _classifier()
    modelprobe.seed_weights(model, seed)
    return model


def _course_pictures() -> list[tuple[str, bytes, int]]:
    """(file name, file bytes, label) of the course's pictures."""
    from graders.data import cat_or_not

    return [(name, cat_or_not.picture_bytes(name), label) for name, label in cat_or_not.PICTURES.items()]


def _read_map(path: str):
    """A saved map as the learner wrote it (grey, or colour if that is what was saved); None if absent."""
    import cv2

    if not os.path.isfile(path):
        return None
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise common.fail(f"{os.path.basename(path)} is not an image file OpenCV can read")
    return image


def maps_of(do_salience, model, pictures, prefix: str) -> list[np.ndarray]:
    """Call `do_salience` on each picture as the course does and read back the file it writes."""
    maps_read = []
    with common.scratch_folder("cvgrade-c3w4-") as folder:
        for name, data, label in pictures:
            with open(name, "wb") as file:
                file.write(data)
            before = set(os.listdir(folder))
            try:
                do_salience(name, model, label, prefix)
            except Exception as error:
                if "_src.empty()" in str(error):  # OpenCV's words for an image that was never read
                    raise common.fail(
                        f"do_salience('{name}', model, {label}, '{prefix}') worked on an empty picture: "
                        "cv2.imread returns None for a path where there is no file; read the file named by "
                        "`image` itself (the grader calls do_salience in a folder that holds the pictures)"
                    ) from None
                raise
            made = _read_map(prefix + name)
            if made is None:
                new = sorted(set(os.listdir(folder)) - before)
                wrote = f"it wrote {', '.join(new)}" if new else "it wrote no file in the working folder"
                raise common.fail(f"do_salience('{name}', model, {label}, '{prefix}') must save the map to "
                                  f"prefix + image = '{prefix + name}'; {wrote}")
            maps_read.append(made)
    return maps_read


# The known wrong gradients: each is a change to the right recipe (see `variant_map`).
MISTAKES = {
    "bgr": {"channels": "bgr"},
    "no_abs": {"absolute": False},
    "max_over_channels": {"reduce": "max"},
    "unscaled": {"scale": "none"},
    "scaled_to_minus_one_one": {"scale": "symmetric"},
    "tf_resize": {"resize": "tf"},
    "area_resize": {"resize": "area"},
    # A class hard-coded outside 0 and 1 (tf.one_hot([251], 2), copied from the ImageNet lab) makes
    # the target all zeros: the map then follows no label at all.
    "no_label": {"target": "none"},
}


def variant_map(model, bgr: np.ndarray, channels="rgb", absolute=True, reduce="sum", scale="unit",
                resize="cv2", target="label") -> np.ndarray:
    """The saliency map of a picture (as OpenCV reads it) made with one step changed; with the
    defaults, the course's recipe."""
    import cv2
    import tensorflow as tf

    picture = bgr[..., ::-1] if channels == "rgb" else bgr
    if resize == "cv2":
        picture = cv2.resize(np.ascontiguousarray(picture), MAP_SHAPE[::-1])
    elif resize == "area":
        picture = cv2.resize(np.ascontiguousarray(picture), MAP_SHAPE[::-1], interpolation=cv2.INTER_AREA)
    else:
        picture = tf.image.resize(picture, MAP_SHAPE).numpy()
    picture = np.asarray(picture, dtype=np.float32)
    picture = {"unit": picture / 255.0, "none": picture, "symmetric": picture / 127.5 - 1.0}[scale]
    batch = tf.convert_to_tensor(picture[None], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(batch)
        expected = tf.one_hot([0], 2) if target == "label" else tf.zeros((1, 2))
        loss = tf.keras.losses.categorical_crossentropy(expected, model(batch))
    gradients = tape.gradient(loss, batch)[0]
    gradients = tf.abs(gradients) if absolute else gradients
    grey = (tf.reduce_sum(gradients, axis=-1) if reduce == "sum" else tf.reduce_max(gradients, axis=-1)).numpy()
    return maps.as_levels(grey)


# --- Exercise 1: do_salience ---------------------------------------------------------------
def probe_do_salience(submission, params) -> dict:
    import cv2

    function = submission.function("do_salience")
    model = fixture_classifier(common.probe_seed(params))
    pictures = _course_pictures()
    made = maps_of(function, model, pictures, PROBE_PREFIX)
    first = cv2.imdecode(np.frombuffer(pictures[0][1], dtype=np.uint8), cv2.IMREAD_COLOR)
    return {"pictures": [name for name, _, _ in pictures], "maps": made,
            "mistakes": {name: variant_map(model, first, **change) for name, change in MISTAKES.items()}}


def _map_problem(mine: np.ndarray, theirs: np.ndarray) -> str | None:
    """Why one map is not the expected one, in words; None when it is."""
    if mine.ndim == 3 and mine.shape[-1] in (3, 4):
        return ("is a colour image; save the grayscale map itself (the superimposed picture is only "
                "for showing)")
    if mine.shape != theirs.shape:
        return (f"has shape {compare.shape_text(mine.shape)}, expected {compare.shape_text(theirs.shape)}: "
                "the map is of the picture resized to 300x300")
    found = maps.agreement(mine, theirs)
    return None if found.ok else f"differs from the expected map: {found.text()}"


def map_figure(caption: str, names, pictures, mine, theirs, limit: int = 3) -> Figure:
    """Picture, learner map, expected map and their difference, a row per picture (the
    mismatched first), each cell FIGURE_CELL pixels wide."""
    from graders.authoring import pictures as draw

    size = (FIGURE_CELL, FIGURE_CELL)
    order = sorted(range(len(names)), key=lambda i: _map_problem(mine[i], theirs[i]) is None)[:limit]
    rows, captions = [], []
    for i in order:
        grey = np.asarray(mine[i])
        grey = grey[..., :3].mean(axis=-1) if grey.ndim == 3 else grey
        cells = [draw.resized(pictures[i], size), draw.resized(draw.grey_rgb(grey), size),
                 draw.resized(draw.grey_rgb(theirs[i]), size)]
        found = maps.agreement(grey, theirs[i])
        cells.append(np.full(size + (3,), 255, dtype=np.uint8) if found is None
                     else draw.resized(draw.difference_heat(grey, theirs[i]), size))
        rows.append(cells)
        captions.append([names[i], "", "", "other shape" if found is None else
                         f"r {found.correlation:.3f}, {found.share_within:.1%} close"])
    png = draw.grid_png(rows, ["picture (300x300)", "your map", "expected map", "difference"],
                        scale=1, captions=captions)
    return Figure(caption, png=png)


def _picture_for_report(name: str) -> np.ndarray:
    """A given picture as the model sees it, for the report (trusted side, Pillow only)."""
    import io

    from PIL import Image

    from graders.data import cat_or_not

    with Image.open(io.BytesIO(cat_or_not.picture_bytes(name))) as image:
        return np.asarray(image.convert("RGB").resize(MAP_SHAPE[::-1], Image.BILINEAR))


def check_do_salience(observation, reference) -> Verdict:
    names, mine, theirs = reference["pictures"], observation["maps"], reference["maps"]
    if list(observation["pictures"]) != list(names) or len(mine) != len(theirs):
        return Verdict.failed("the probe's pictures and the reference's differ; regenerate the fixtures")
    problems = [_map_problem(np.asarray(a), np.asarray(b)) for a, b in zip(mine, theirs)]
    matched = sum(problem is None for problem in problems)
    figure = map_figure("the pictures, your saliency maps and the expected ones (a classifier of fixed "
                        "weights)", names, [_picture_for_report(n) for n in names], mine, theirs)
    details = [f"{name}: " + ("matches" if problem is None else problem) for name, problem in zip(names, problems)]
    if matched == len(names):
        worst = min((maps.agreement(a, b) for a, b in zip(mine, theirs)), key=lambda found: found.correlation)
        return Verdict.passed(f"the maps of all {len(names)} pictures match ({worst.text()} at worst)",
                              details=details, figures=[figure])
    first = next(i for i, problem in enumerate(problems) if problem is not None)
    return Verdict(matched / len(names), f"{matched} of {len(names)} maps match; the map of {names[first]} "
                   f"{problems[first]}", details=details, figures=[figure])


def _first_map(o) -> np.ndarray:
    made = np.asarray(o["maps"][0])
    return made if made.ndim == 2 else made[..., :3].mean(axis=-1)


def _made_with(mistake: str):
    return lambda o, r: maps.matches(_first_map(o), o["mistakes"][mistake])


DO_SALIENCE_HINTS = (
    Hint("cv2.imread gives the colours in BGR order; turn the picture into RGB with "
         "cv2.cvtColor(img, cv2.COLOR_BGR2RGB) before the model sees it", _made_with("bgr")),
    Hint("take the absolute value of the gradients (tf.abs) before summing them over the channels: "
         "a strong negative gradient matters as much as a positive one", _made_with("no_abs")),
    Hint("sum the absolute gradients over the three colour channels (tf.reduce_sum(..., axis=-1)), "
         "not their maximum", _made_with("max_over_channels")),
    Hint("scale the picture to [0, 1] (divide by 255) before the model sees it", _made_with("unscaled")),
    Hint("this classifier sees pixels in [0, 1] (x / 255), not [-1, 1]", _made_with("scaled_to_minus_one_one")),
    Hint("resize with cv2.resize(img, (300, 300)) (OpenCV's bilinear default), as the model was trained; "
         "tf.image.resize samples other pixels", _made_with("tf_resize")),
    Hint("resize with cv2.resize(img, (300, 300)) and its default interpolation (bilinear), not INTER_AREA",
         _made_with("area_resize")),
    Hint("the map does not follow the `label` argument: use tf.one_hot([label], 2) as the target, not a "
         "class hard-coded outside 0 and 1 (tf.one_hot([251], 2) is all zeros)", _made_with("no_label"),
         seen=lambda o, r: "a target of all zeros: your map is the one it gives"),
    Hint("stretch the map to [0, 255] with 255 * (x - min) / (max - min) before the cast to uint8: the "
         "raw gradients are far below 1, so cast as they are they become 0",
         lambda o, r: _first_map(o).ndim == 2 and float(np.max(_first_map(o))) < 8),
    Hint("the map has one value per pixel of the 300x300 picture the model sees: resize the picture "
         "first, and squeeze the batch axis away",
         lambda o, r: _first_map(o).shape != tuple(MAP_SHAPE)),
)


# --- Exercise 2: build_classifier ----------------------------------------------------------
def _dev_images(count: int) -> tuple[np.ndarray, np.ndarray]:
    from graders.data import cat_or_not

    images, labels = cat_or_not.load_split("dev", count)
    return cat_or_not.preprocess(images), labels


def probe_build_classifier(submission, params) -> dict:
    model = common.require_model(submission.function("build_classifier")(), "build_classifier")
    common.require_shapes(model, IMAGE_SHAPE, (2,))
    images, _ = _dev_images(2)
    return common.observe_model(model, images, common.probe_seed(params))


def check_build_classifier(observation, reference) -> Verdict:
    verdict = common.check_layers(observation, reference, "the class probabilities",
                                  "build_classifier: your layers and the expected ones")
    if verdict.score >= 1 and observation["params"] != reference["params"]:
        return Verdict.failed(f"the classifier has {observation['params']:,} parameters, expected "
                              f"{reference['params']:,}", figures=verdict.figures)
    return verdict


CLASSIFIER_HINTS = (
    Hint("four convolutions with 16, 32, 64 and 128 filters",
         lambda o, r: common.conv_config(o, "filters") != [16, 32, 64, 128]),
    Hint("every convolution is 3x3 (kernel_size=3)",
         lambda o, r: any(k != [3, 3] for k in common.conv_config(o, "kernel_size"))),
    Hint("padding='same' on every convolution",
         lambda o, r: any(p != "same" for p in common.conv_config(o, "padding"))),
    Hint("a MaxPooling2D(2) after each of the first three convolutions",
         lambda o, r: len(compare.layers_of_type(o, "MaxPooling2D")) != 3),
    Hint("GlobalAveragePooling2D after the last convolution, not Flatten: it keeps the classifier "
         "small and its maps spatial", lambda o, r: not compare.layers_of_type(o, "GlobalAveragePooling2D")),
    Hint("one output layer: Dense(2, activation='softmax')",
         lambda o, r: common.dense_units(o) != [2] or compare.activations(o)[-1:] != ["softmax"]),
    Hint("every convolution has activation='relu'",
         lambda o, r: compare.activations(o)[:-1] != ["relu"] * 4),
)


# --- Exercise 3: compile_model ---------------------------------------------------------------
def probe_compile_model(submission, params) -> dict:
    from graders.authoring import modelprobe

    function = submission.function("compile_model")
    model = _classifier()
    modelprobe.seed_weights(model, common.probe_seed(params))
    returned = function(model)
    compiled = returned if isinstance(returned, common.keras().Model) else model
    observation = {**common.losses_and_metrics(compiled), **common.NOT_EVALUATED}
    if observation["optimizer"].get("class") is not None:
        images, labels = _dev_images(4)
        observation.update(common.evaluated_loss(compiled, images, labels))
    return observation


def check_compile_model(observation, reference) -> Verdict:
    optimizer = observation["optimizer"]
    details = [f"optimizer {optimizer.get('class')} (learning_rate {optimizer.get('learning_rate')}), "
               f"loss {observation['loss']!r}, metrics {observation['metrics']}"]
    if optimizer.get("class") is None:
        return Verdict.failed("the model is not compiled: call model.compile(loss=..., metrics=..., "
                              "optimizer=...)", details=details)
    fatal, problems = common.compile_settings(observation, reference, "a batch of labelled pictures")
    return common.settings_verdict(fatal, problems, "sparse categorical cross-entropy, accuracy and "
                                   "RMSprop(learning_rate=0.001)", details=details)


COMPILE_HINTS = (
    Hint("the labels are integers (0 or 1), not one-hot: loss='sparse_categorical_crossentropy'",
         lambda o, r: o["loss"] != "sparse_categorical_crossentropy", seen=lambda o, r: f"loss={o['loss']!r}"),
    Hint("compile with tf.keras.optimizers.RMSprop(learning_rate=0.001)",
         lambda o, r: o["optimizer"].get("class") != "RMSprop"
         or not np.isclose(float(o["optimizer"].get("learning_rate", -1)), 1e-3, rtol=1e-4),
         seen=lambda o, r: f"{o['optimizer'].get('class')} with learning rate {o['optimizer'].get('learning_rate')}"),
    Hint("report the accuracy while training: metrics=['accuracy']",
         lambda o, r: not common.measures_accuracy(o)),
)


# --- Exercise 4: the trained model and its saliency maps -------------------------------------
@functools.lru_cache(maxsize=1)
def _scoring_set() -> common.ScoringSet:
    """Hidden (or, without them, dev) pictures and labels, rendered once per process (the probe's
    inputs, the check's answers)."""
    from graders.data import cat_or_not

    return common.scoring_set(ASSIGNMENT, lambda: cat_or_not.load_split("hidden"),
                              lambda: cat_or_not.load_split("dev"), "pictures")


def trained_model_params() -> dict:
    """The scored pictures, then the public dev pictures the report's pictures may show."""
    return {"images": _scoring_set().probe_inputs}


def probe_trained_model(submission, params) -> dict:
    from graders.data import cat_or_not

    model = common.load_trained_model(
        submission.model_file, MODEL_FILES,
        f"train one with `python -m exercises.c3w4_training --submission FOLDER` (it saves "
        f"{MODEL_FILES[0]} with its saliency maps)")
    common.require_shapes(model, IMAGE_SHAPE, (2,))
    probabilities = model.predict(cat_or_not.preprocess(params["images"]), batch_size=16, verbose=0)
    folder = os.path.dirname(submission.model_file)
    pictures = _course_pictures()
    submitted = [_read_map(os.path.join(folder, SUBMITTED_PREFIX + name)) for name, _, _ in pictures]
    expected = maps_of(submission.reference("do_salience"), model, pictures, SUBMITTED_PREFIX)
    return {"probabilities": np.asarray(probabilities, dtype=np.float32).reshape(-1, 2),
            "maps": [np.zeros((0,), np.uint8) if made is None else made for made in submitted],
            "expected": expected}


def trained_model_shape() -> dict:
    """One map submitted (an empty array when missing) and one expected per given picture."""
    from graders.data import cat_or_not

    count = len(cat_or_not.PICTURES)
    return {"probabilities": np.zeros((0, 2)), "maps": [np.zeros(0)] * count, "expected": [np.zeros(0)] * count}


def accuracy_score(accuracy: float) -> float:
    """0 up to ACCURACY_ZERO, rising linearly to 1 at ACCURACY_FULL."""
    return float(np.clip((accuracy - ACCURACY_ZERO) / (ACCURACY_FULL - ACCURACY_ZERO), 0.0, 1.0))


def right_answers(probabilities: np.ndarray) -> np.ndarray:
    """For each scored picture (the hidden set, else the public dev set): is the larger output the
    right class? `probabilities` are the probe's, one row per picture it ran on; only the scored
    part counts."""
    scored = _scoring_set()
    return np.argmax(scored.scored(probabilities), axis=-1) == scored.answers


def scored_accuracy(probabilities: np.ndarray) -> float:
    """Share of the scored pictures the model gets right (`probabilities`: the probe's, scored part
    first): what the accuracy half is marked on."""
    return float(np.mean(right_answers(probabilities)))


def check_trained_model(observation, reference) -> Verdict:
    from graders.data import cat_or_not

    scored = _scoring_set()
    labels = scored.answers
    probabilities = np.asarray(observation["probabilities"], dtype=np.float64)
    if probabilities.shape != (scored.probe_count, 2):
        return Verdict.failed(f"the model gave {probabilities.shape} outputs, expected {(scored.probe_count, 2)}")
    right = right_answers(probabilities)
    accuracy = float(np.mean(right))
    names = list(cat_or_not.PICTURES)  # the trusted side's own list; the shape guard held the lengths to it
    mine, theirs = observation["maps"], observation["expected"]
    found = [np.asarray(made).size > 0 for made in mine]
    problems = [("was not submitted" if not present else _map_problem(np.asarray(a), np.asarray(b)))
                for present, a, b in zip(found, mine, theirs)]
    consistent = sum(problem is None for problem in problems)
    score = 0.5 * accuracy_score(accuracy) + 0.5 * consistent / len(names)
    cats = labels == 0
    details = [f"accuracy {np.mean(right[cats]):.0%} on the {int(cats.sum())} cats, "
               f"{np.mean(right[~cats]):.0%} on the {int((~cats).sum())} others"]
    details += [f"{SUBMITTED_PREFIX}{name}: " + ("what your model gives" if problem is None else problem)
                for name, problem in zip(names, problems)]
    message = (f"accuracy {accuracy:.0%} on {len(labels)} {scored.name} pictures (no points up to "
               f"{ACCURACY_ZERO:.0%}, full from {ACCURACY_FULL:.0%}); {consistent} of {len(names)} saliency maps "
               "are what this model gives")
    if not any(found):
        message += (f"; no maps were submitted: save {SUBMITTED_PREFIX}{names[0]} and the others next to the "
                    "model (`python -m exercises.c3w4_training --maps-only` makes them)")
    present = [i for i, ok in enumerate(found) if ok]
    figures = []
    if present:
        figures.append(map_figure("your submitted maps and the maps your model gives (right: their difference)",
                                  [names[i] for i in present],
                                  [_picture_for_report(names[i]) for i in present],
                                  [mine[i] for i in present], [theirs[i] for i in present]))
    figures.append(_mistakes_figure(scored, probabilities, cat_or_not.CLASS_NAMES))
    if score >= 1:
        return scored.told(Verdict.passed(message, details=details, figures=figures))
    return scored.told(Verdict(score, message, details=details, figures=figures))


def _mistakes_figure(scored: common.ScoringSet, probabilities, class_names) -> Figure:
    """The pictures the model is most wrong about, worst first, of those a report may show (public dev
    pictures, never hidden ones)."""
    from graders.authoring import pictures as draw

    images, labels, shown = scored.shown_inputs, scored.shown_answers, scored.shown(probabilities)
    confidence_in_truth = shown[np.arange(len(labels)), labels]
    worst = np.argsort(confidence_in_truth, kind="stable")[:6]
    cells = [draw.resized(images[i], (FIGURE_CELL, FIGURE_CELL)) for i in worst]
    captions = [f"{class_names[labels[i]]}: p={confidence_in_truth[i]:.2f}" for i in worst]
    rows = [cells[start:start + 3] for start in range(0, len(cells), 3)]
    return Figure(f"the {scored.shown_name} pictures your model is least sure of, worst first (true class and the "
                  f"probability your model gives it){scored.shown_note}",
                  png=draw.grid_png(rows, scale=1, captions=[captions[s:s + 3] for s in range(0, len(cells), 3)]))


ASSIGNMENT = Assignment(
    id="c3w4",
    title="C3W4 Saliency maps",
    module="c3w4_saliency",
    notebook_glob="C3W4*.ipynb",
    # The course builds and compiles the classifier in top-level cells; a notebook is graded on them.
    steps=(TopLevelStep(function="build_classifier", results=("model",)),
           TopLevelStep(function="compile_model", method="compile")),
    model_files=MODEL_FILES,
    hidden_data=("fixtures/c3w4/cat_or_not_hidden.npz",),
    exercises=(
        Exercise("do_salience", "Ex1 do_salience", 30, probe_do_salience, check_do_salience,
                 DO_SALIENCE_HINTS, functions=("do_salience",)),
        Exercise("build_classifier", "Ex2 the classifier", 20, probe_build_classifier, check_build_classifier,
                 CLASSIFIER_HINTS, functions=("build_classifier",)),
        Exercise("compile_model", "Ex3 compile", 20, probe_compile_model, check_compile_model,
                 COMPILE_HINTS, functions=("compile_model",)),
        Exercise("trained_model", "The trained model and its saliency maps", 30, probe_trained_model,
                 check_trained_model, subject="the trained model", uses_reference=False,
                 needs_model_file=True, params_factory=trained_model_params, stand_ins=("do_salience",),
                 observation_shape=trained_model_shape),
    ),
)
