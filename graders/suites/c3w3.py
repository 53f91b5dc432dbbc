"""C3W3 "Image segmentation of handwritten digits": the exercises, their probes, checks and hints.

Probes run in the submission worker and import Keras lazily; checks and hints
run in the trusted process and see only the plain observations.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.authoring import Assignment, CourseGiven, Exercise, Figure, Hint, TopLevelStep, Verdict, compare
from graders.suites import common

N_CLASSES = 11
DIGIT_CLASSES = 10
PASS_MARK = 60.0  # mean IoU of the ten digit classes x 100, as the course graded


# --- helpers that run in the worker --------------------------------------------
def _preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 64, 84) -> float32 (N, 64, 84, 1) in [-1, 1], the course's preprocessing."""
    return np.asarray(images)[..., None].astype(np.float32) / 127.5 - 1.0


def _dev_images(count: int) -> np.ndarray:
    """The first `count` public dev images, preprocessed as the course does."""
    from graders.data import m2nist

    images, _ = m2nist.load_split("dev")
    return _preprocess(images[:count])


# --- Exercise 1: conv_block ----------------------------------------------------------
# (input shape, positional arguments after the input). The second case shows
# whether the block uses its arguments rather than the course's values.
CONV_BLOCK_CASES = (((64, 84, 1), (32, 3, 2, 2)), ((16, 20, 8), (8, 5, 3, 2)))


def probe_conv_block(submission, params) -> dict:
    keras = common.keras()
    conv_block = submission.function("conv_block")
    seed = common.probe_seed(params)
    cases = []
    for index, (shape, arguments) in enumerate(CONV_BLOCK_CASES):
        inputs = keras.Input(shape)
        output = common.keras_tensor(conv_block(inputs, *arguments), "conv_block")
        x = np.random.default_rng([seed, index]).normal(size=(2,) + shape).astype(np.float32)
        cases.append(common.observe_model(keras.Model(inputs, output), x, seed + index))
    return {"cases": cases}


def check_conv_block(observation, reference) -> Verdict:
    figure = common.layer_figure(observation["cases"][0], reference["cases"][0],
                           "conv_block(Input((64, 84, 1)), 32, 3, 2, 2): your layers and the expected ones")
    passed = []
    for index, (mine, theirs) in enumerate(zip(observation["cases"], reference["cases"])):
        ok, reason = common.check_outputs(mine, theirs, ["output"])
        passed.append(ok)
        if not ok:
            shape, arguments = CONV_BLOCK_CASES[index]
            call = f"conv_block(Input({shape}), {', '.join(map(str, arguments))})"
            return Verdict(common.FORM_SHARE if index > 0 else 0.0, f"{call}: {reason}", figures=[figure])
    return Verdict.passed("output shape and values match with seeded weights", figures=[figure])


def _first_case(observation):
    return observation["cases"][0]


def _kernel_sizes(case) -> set:
    return {tuple(row["config"]["kernel_size"]) for row in compare.layers_of_type(case, "Conv2D")}


def _comes_before(case, first: str, second: str) -> bool:
    """Both layer types are present and the first `first` precedes the first `second`."""
    types = [row["type"] for row in case["layers"]]
    return first in types and second in types and types.index(first) < types.index(second)


CONV_BLOCK_HINTS = (
    Hint("the MaxPooling2D layer is missing: after the two convolutions, pool with "
         "MaxPooling2D(pool_size=pooling_size, strides=pool_strides)",
         lambda o, r: not compare.layers_of_type(_first_case(o), "MaxPooling2D")),
    Hint("the block has two Conv2D layers (each followed by LeakyReLU)",
         lambda o, r: len(compare.layers_of_type(_first_case(o), "Conv2D")) != 2),
    Hint("use LeakyReLU after each convolution, not ReLU",
         lambda o, r: "leaky_relu" not in compare.activations(_first_case(o)),
         seen=lambda o, r: ", ".join(compare.activations(_first_case(o))) or "no activation"),
    Hint("activation='leaky_relu' has a slope of 0.2 in Keras 3; the course's LeakyReLU() layer "
         "has 0.3: use the layer",
         lambda o, r: any(row["config"].get("activation") == "leaky_relu"
                          for row in compare.layers_of_type(_first_case(o), "Conv2D"))),
    Hint("BatchNormalization comes after MaxPooling2D, not before it",
         lambda o, r: _comes_before(_first_case(o), "BatchNormalization", "MaxPooling2D")),
    Hint("BatchNormalization is missing after the pooling",
         lambda o, r: not compare.layers_of_type(_first_case(o), "BatchNormalization")),
    Hint("the convolutions need padding='same' so that only the pooling changes the size",
         lambda o, r: any(row["config"]["padding"] != "same"
                          for row in compare.layers_of_type(_first_case(o), "Conv2D"))),
    Hint("the convolutions ignore the kernel_size argument: conv_block(x, 8, 5, 3, 2) should use "
         "5x5 kernels",
         lambda o, r: _kernel_sizes(o["cases"][1]) != {(5, 5)}),
    Hint("MaxPooling2D ignores pooling_size or pool_strides: conv_block(x, 8, 5, 3, 2) should pool "
         "3x3 with stride 2",
         lambda o, r: [(tuple(row["config"]["pool_size"]), tuple(row["config"]["strides"]))
                       for row in compare.layers_of_type(o["cases"][1], "MaxPooling2D")]
         != [((3, 3), (2, 2))]),
)


# --- Exercise 2: FCN8 (the encoder) -------------------------------------------------
_CONV_BLOCK_NAMES = ("input", "filters", "kernel_size", "pooling_size", "pool_strides")
_CONV_BLOCK_ALIASES = {"strides": "kernel_size", "inputs": "input", "x": "input",
                       "input_tensor": "input", "pool_size": "pooling_size"}


def _conv_block_stand_in(submission):
    """The reference conv_block, callable the ways the two course templates allow."""
    reference = submission.reference("conv_block")

    def conv_block(*args, **kwargs):
        bound = dict(zip(_CONV_BLOCK_NAMES, args))
        for key, value in kwargs.items():
            key = _CONV_BLOCK_ALIASES.get(key, key)
            if key in _CONV_BLOCK_NAMES:
                bound[key] = value
        return reference(**bound)

    return conv_block


FEATURE_NAMES = ("f3", "f4", "f5")


def probe_fcn8(submission, params) -> dict:
    keras = common.keras()
    fcn8 = submission.function("FCN8")
    with submission.replaced("conv_block", _conv_block_stand_in(submission)):
        returned = fcn8()
    try:
        features, image_input = returned
        features = tuple(features)
        if len(features) != 3:
            raise ValueError
    except (TypeError, ValueError):
        raise common.fail("FCN8 must return ((f3, f4, f5), img_input)") from None
    outputs = [common.keras_tensor(f, f"FCN8's {name}") for name, f in zip(FEATURE_NAMES, features)]
    model = keras.Model(common.keras_tensor(image_input, "FCN8's img_input"), outputs)
    return common.observe_model(model, _dev_images(2), common.probe_seed(params))


def check_fcn8(observation, reference) -> Verdict:
    figure = common.layer_figure(observation, reference, "FCN8 encoder (conv_block replaced by the reference "
                                                   "one): your layers and the expected ones")
    for name, mine, theirs in zip(FEATURE_NAMES, observation["output_shapes"], reference["output_shapes"]):
        if mine != theirs:
            return Verdict.failed(f"{name} has shape {compare.shape_text(mine)}, expected "
                                  f"{compare.shape_text(theirs)}", figures=[figure])
    ok, reason = common.check_outputs(observation, reference, FEATURE_NAMES)
    if not ok:
        return Verdict.failed(reason + " with seeded weights on M2NIST images", figures=[figure])
    return Verdict.passed("f3, f4 and f5 match in shape and values", figures=[figure])


def _paddings(observation) -> list:
    return [row["config"].get("padding") for row in compare.layers_of_type(observation, "ZeroPadding2D")]


def _flat_padding(padding) -> tuple:
    """((top, bottom), (left, right)) from any of Keras' spellings."""
    if isinstance(padding, int):
        return ((padding, padding), (padding, padding))
    rows, columns = padding
    rows = (rows, rows) if isinstance(rows, int) else tuple(rows)
    columns = (columns, columns) if isinstance(columns, int) else tuple(columns)
    return rows, columns


FCN8_HINTS = (
    Hint("pad only the width, ZeroPadding2D(((0, 0), (0, 12))), not the height as well: the 64 rows "
         "already halve five times, and the decoder crops only columns",
         lambda o, r: any(_flat_padding(p)[0] != (0, 0) for p in _paddings(o)),
         seen=lambda o, r: "rows padded by " + ", ".join(str(_flat_padding(p)[0]) for p in _paddings(o)
                                                          if _flat_padding(p)[0] != (0, 0))),
    Hint("the input is padded on both sides of the width; pad 12 columns on the right only, "
         "ZeroPadding2D(((0, 0), (0, 12))), because the decoder crops them off the right again "
         "(otherwise every output pixel is shifted)",
         lambda o, r: any(_flat_padding(p)[1][0] > 0 and _flat_padding(p)[1][1] > 0 for p in _paddings(o))),
    Hint("the input is padded on the left; pad 12 columns on the right, ZeroPadding2D(((0, 0), (0, 12))), "
         "because the decoder crops them off the right again",
         lambda o, r: any(_flat_padding(p)[1][0] > 0 for p in _paddings(o))),
    Hint("the input must be zero-padded on the right from 84 to 96 columns "
         "(ZeroPadding2D(((0, 0), (0, 12)))) so that five halvings divide the width evenly",
         lambda o, r: not _paddings(o)),
    Hint("the encoder's convolutions use kernels other than 3x3; call conv_block with kernel size 3",
         lambda o, r: any(tuple(row["config"]["kernel_size"]) != (3, 3)
                          for row in compare.layers_of_type(o, "Conv2D"))),
    Hint("give block 5 256 filters, like block 4, not 512",
         lambda o, r: o["output_shapes"][2][-1] == 512),
    Hint("f3, f4 and f5 are the outputs of blocks 3, 4 and 5, in that order",
         lambda o, r: sorted(map(tuple, o["output_shapes"])) == sorted(map(tuple, r["output_shapes"]))
         and o["output_shapes"] != r["output_shapes"]),
    Hint("the five blocks have 32, 64, 128, 256 and 256 filters",
         lambda o, r: [row["config"]["filters"] for row in compare.layers_of_type(o, "Conv2D")][::2]
         != [32, 64, 128, 256, 256]),
)


# --- Exercise 3: fcn8_decoder ---------------------------------------------------------
FEATURE_SHAPES = ((8, 12, 128), (4, 6, 256), (2, 3, 256))


def probe_decoder(submission, params) -> dict:
    keras = common.keras()
    decoder = submission.function("fcn8_decoder")
    inputs = [keras.Input(shape) for shape in FEATURE_SHAPES]
    output = common.keras_tensor(decoder(tuple(inputs), N_CLASSES), "fcn8_decoder")
    seed = common.probe_seed(params)
    rng = np.random.default_rng([seed, 3])
    features = [rng.normal(size=(2,) + shape).astype(np.float32) for shape in FEATURE_SHAPES]
    return common.observe_model(keras.Model(inputs, output), features, seed)


def check_decoder(observation, reference) -> Verdict:
    figures = [common.layer_figure(observation, reference, "fcn8_decoder: your layers and the expected ones")]
    mine, theirs = observation["output_shapes"][0], reference["output_shapes"][0]
    if mine != theirs:
        return Verdict.failed(f"the output has shape {compare.shape_text(mine)}, expected "
                              f"{compare.shape_text(theirs)}", figures=figures)
    # No picture of the output here: with seeded random weights it is noise either way;
    # the layer table with its settings shows where a decoder differs.
    ok, reason = common.check_outputs(observation, reference, ["the output"])
    if not ok:
        return Verdict.failed(reason + " with seeded weights", figures=figures)
    return Verdict.passed("the output matches in shape and values", figures=figures)


def _transposes(o):
    return compare.layers_of_type(o, "Conv2DTranspose")


def _final_activation(o) -> str | None:
    found = compare.activations(o)
    return found[-1] if found else None


def _final_crop(o):
    crops = compare.layers_of_type(o, "Cropping2D")
    return _flat_padding(crops[-1]["config"]["cropping"]) if crops else None


def _projects(o, channels: int) -> bool:
    """A 1x1 Conv2D takes a feature map of `channels` channels (f4: 256, f3: 128) to the classes."""
    return any(row["weights"][0][:3] == [1, 1, channels] for row in compare.layers_of_type(o, "Conv2D"))


def _transposed_features(o) -> list[str]:
    """Which feature maps a Conv2DTranspose takes directly (by its input channels and output size),
    instead of the running output `o`, which has n_classes channels."""
    named = []
    for row in _transposes(o):
        if tuple(row["config"]["kernel_size"]) == (1, 1):
            continue  # a projection made with the wrong layer: a mistake of its own
        channels, size = row["weights"][0][-1], row["output_shape"][1:3]
        if channels == 128:
            named.append("f3")
        elif channels == 256:
            named.append("f5" if size == [6, 8] else "f4")
    return named


def _crop_text(crop) -> str:
    return f"Cropping2D(({crop[0]}, {crop[1]}))"


DECODER_HINTS = (
    Hint("the first Conv2DTranspose is applied to f5; apply it to the output of the 1x1 "
         f"Conv2D({N_CLASSES}) that follows conv7",
         lambda o, r: _transposes(o) and _transposes(o)[0]["weights"][0][-1] == 256
         and _transposed_features(o) == ["f5"]),
    Hint("each Conv2DTranspose upsamples the running output: o = Conv2DTranspose(...)(o), not a feature "
         "map (the features of f4 and f3 come in through the 1x1 convolutions and Add())",
         lambda o, r: bool(_transposed_features(o)),
         seen=lambda o, r: "Conv2DTranspose(...)(" + "), (".join(_transposed_features(o)) + ")"),
    Hint("project the skip connections with a 1x1 Conv2D(n_classes, 1, activation='relu', padding='same') "
         "of f4 and f3, not a 1x1 Conv2DTranspose",
         lambda o, r: any(tuple(t["config"]["kernel_size"]) == (1, 1) for t in _transposes(o))),
    Hint("give the Conv2DTranspose layers use_bias=False; a bias here shifts every upsampled pixel",
         lambda o, r: any(t["config"].get("use_bias") for t in _transposes(o))),
    Hint("the skip connections are missing: add the 1x1 convolutions of f4 and f3 with Add()",
         lambda o, r: not _projects(o, 256) and not _projects(o, 128)),
    Hint("the skip connection from f4 is missing: after the first upsampling, "
         "o = Add()([o, Conv2D(n_classes, 1, activation='relu', padding='same')(f4)])",
         lambda o, r: not _projects(o, 256)),
    Hint("the skip connection from f3 is missing: after the second upsampling, "
         "o = Add()([o, Conv2D(n_classes, 1, activation='relu', padding='same')(f3)])",
         lambda o, r: not _projects(o, 128)),
    Hint("add each skip connection to the upsampled output with Add()",
         lambda o, r: len(compare.layers_of_type(o, "Add")) < 2),
    Hint("use a sigmoid output activation, not softmax",
         lambda o, r: _final_activation(o) == "softmax", seen=lambda o, r: "softmax"),
    Hint("end with a sigmoid activation, Activation('sigmoid')",
         lambda o, r: _final_activation(o) != "sigmoid",
         seen=lambda o, r: f"{_final_activation(o) or 'no activation'} at the end"),
    Hint("crop the 12 padding columns on the right at the end, Cropping2D(((0, 0), (0, 12))), not "
         "columns on the left",
         lambda o, r: _final_crop(o) not in (None, ((0, 0), (0, 12))) and _final_crop(o)[1][0] > 0
         and sum(_final_crop(o)[1]) == 12 and _final_crop(o)[0] == (0, 0),
         seen=lambda o, r: _crop_text(_final_crop(o))),
    Hint("crop 1 pixel on each side after each 4x4 upsampling (Cropping2D((1, 1))) and the 12 "
         "padding columns on the right at the end (Cropping2D(((0, 0), (0, 12))))",
         lambda o, r: [row["config"]["cropping"] for row in compare.layers_of_type(o, "Cropping2D")]
         != [row["config"]["cropping"] for row in compare.layers_of_type(r, "Cropping2D")],
         seen=lambda o, r: ", ".join(_crop_text(_flat_padding(row["config"]["cropping"]))
                                     for row in compare.layers_of_type(o, "Cropping2D")) or "no cropping"),
    Hint("conv6 is Conv2D(512, 7) and conv7 Conv2D(512, 1), both relu and padding='same', each "
         "followed by Dropout(0.5)",
         lambda o, r: [row["weights"][0] for row in compare.layers_of_type(o, "Conv2D")][:2]
         != [row["weights"][0] for row in compare.layers_of_type(r, "Conv2D")][:2]),
)


# --- Exercise 4: compile -----------------------------------------------------------------
def probe_compile(submission, params) -> dict:
    import inspect

    keras = common.keras()
    from graders.data import m2nist

    compile_model = submission.function("compile_model")
    inputs = keras.Input((64, 84, 1))
    model = keras.Model(inputs, keras.layers.Conv2D(N_CLASSES, 1, activation="sigmoid")(inputs))
    from graders.authoring import modelprobe

    modelprobe.seed_weights(model, common.probe_seed(params))
    calls = []
    original = model.compile

    def spy(*args, **kwargs):
        calls.append(inspect.signature(original).bind(*args, **kwargs).arguments)
        return original(*args, **kwargs)

    model.compile = spy
    compile_model(model)
    if not calls:
        raise common.fail("compile_model did not call model.compile(...)")
    arguments = calls[-1]
    metrics = arguments.get("metrics") or []
    metrics = metrics if isinstance(metrics, (list, tuple)) else [metrics]
    observation = {
        "loss": common.name_of(arguments.get("loss")),
        "loss_is_string": isinstance(arguments.get("loss"), str),
        "optimizer": common.optimizer_description(getattr(model, "optimizer", None)),
        "metrics": [common.name_of(m) for m in metrics],
    }
    images, labels = m2nist.load_split("dev")
    x = _preprocess(images[:4])
    y = m2nist.label_maps_to_one_hot(labels[:4]).astype(np.float32)
    observation.update(common.evaluated_loss(model, x, y))
    return observation


def check_compile(observation, reference) -> Verdict:
    details = [f"loss {observation['loss']!r}, optimizer {observation['optimizer'].get('class')}, "
               f"metrics {observation['metrics']}"]
    fatal = (f"evaluating the compiled model on one-hot label maps fails: {observation['loss_error']}"
             if observation["loss_error"] is not None else None)
    # The optimizer and the metric are the learner's choice: any one set is right, and one from a
    # package the grader lacks (a stand-in, graders.worker.addons) is not judged, the loss and metric are.
    problems = [] if fatal else [
        common.loss_problem(observation, reference, "the loss on a batch of one-hot label maps"),
        None if observation["optimizer"].get("class") else "the model has no optimizer: pass optimizer= to "
                                                          "model.compile",
        None if observation["metrics"] else "add a metric, for example metrics=['accuracy']"]
    passed = "the loss fits one-hot label maps; optimizer and metric are set"
    if observation["optimizer"]["stand_in"]:
        passed = (f"the loss fits one-hot label maps and a metric is set; your optimizer "
                  f"({observation['optimizer']['class']}) was replaced by a stand-in, so the loss "
                  "and metrics were graded")
    return common.settings_verdict(fatal, problems, passed, details=details)


COMPILE_HINTS = (
    Hint("sparse_categorical_crossentropy expects class numbers, but the labels are one-hot maps with "
         "11 channels: use loss='categorical_crossentropy'",
         lambda o, r: "sparse" in (o.get("loss") or "")),
    Hint("binary_crossentropy scores the 11 channels as separate yes/no questions; the labels are "
         "one-hot over 11 classes, so use loss='categorical_crossentropy'",
         lambda o, r: "binary" in (o.get("loss") or "")),
    Hint("the loss for one-hot label maps over 11 classes is 'categorical_crossentropy'",
         lambda o, r: o.get("loss") != "categorical_crossentropy" and o["loss_value"] is not None
         and abs(o["loss_value"] - r["loss_value"]) > 1e-4 * max(1, abs(r["loss_value"]))),
)


# --- Exercise 5: class_wise_metrics ---------------------------------------------------
def _metric_cases(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng([seed, 5])
    truth = rng.integers(0, N_CLASSES, size=(2, 64, 84))
    noisy = np.where(rng.random(truth.shape) < 0.3, rng.integers(0, N_CLASSES, truth.shape), truth)
    few = rng.integers(0, 6, size=(64, 84))  # classes 6-10 absent from both maps
    shifted = np.roll(few, 3, axis=1)
    return [(truth, noisy), (truth, truth.copy()), (few, shifted)]


def probe_class_wise_metrics(submission, params) -> dict:
    function = submission.function("class_wise_metrics")
    cases = _metric_cases(common.probe_seed(params))
    results = []
    for y_true, y_pred in cases:
        returned = function(np.array(y_true), np.array(y_pred))
        try:
            iou, dice = returned
            results.append({"iou": np.asarray(iou, dtype=np.float64).ravel(),
                            "dice": np.asarray(dice, dtype=np.float64).ravel()})
        except (TypeError, ValueError):
            raise common.fail("class_wise_metrics must return two lists: (class_wise_iou, "
                        "class_wise_dice_score)") from None
    return {"cases": results}


METRIC_CASE_NAMES = ("a noisy prediction", "a perfect prediction", "maps where classes 6-10 are absent")


def check_class_wise_metrics(observation, reference) -> Verdict:
    for name, mine, theirs in zip(METRIC_CASE_NAMES, observation["cases"], reference["cases"]):
        for key, label in (("iou", "IoU"), ("dice", "Dice score")):
            ok, reason = compare.check_array(mine[key], theirs[key], f"the class-wise {label} of {name}", 1e-6)
            if not ok:
                return Verdict.failed(reason)
    return Verdict.passed("IoU and Dice match for every class")


def _case(o, index, key):
    return o["cases"][index][key]


CLASS_WISE_HINTS = (
    Hint("return one value per class for all 11 classes (the digits 0-9 and the background 10)",
         lambda o, r: len(_case(o, 0, "iou")) != N_CLASSES),
    Hint("return (class_wise_iou, class_wise_dice_score) in that order",
         lambda o, r: np.allclose(_case(o, 0, "iou"), _case(r, 0, "dice"))),
    Hint("add the smoothing term 1e-5 to the denominators, so that a class absent from both maps "
         "gives 0 instead of dividing by zero",
         lambda o, r: not np.all(np.isfinite(_case(o, 2, "iou")))
         or not np.all(np.isfinite(_case(o, 2, "dice")))),
    Hint("the IoU's denominator is the union: area_true + area_pred - intersection",
         lambda o, r: not compare.check_array(_case(o, 0, "iou"), _case(r, 0, "iou"), tolerance=1e-6)[0]),
    Hint("the Dice score is 2 x intersection / (area_true + area_pred)",
         lambda o, r: not compare.check_array(_case(o, 0, "dice"), _case(r, 0, "dice"), tolerance=1e-6)[0]),
)


# --- Exercise 6: the trained model ----------------------------------------------------
MODEL_FILES = ("c3w3_model.keras", "c3w3_model.h5", "model.keras", "model.h5")


def probe_trained_model(submission, params) -> dict:
    model = common.load_trained_model(
        submission.model_file, MODEL_FILES,
        f"train one with `python -m exercises.c3w3_training --submission FOLDER` "
        f"(it saves {MODEL_FILES[0]})",
        'model.h5')
    common.require_shapes(model, (64, 84, 1), (64, 84, N_CLASSES))
    images = _preprocess(params["images"])
    scores = model.predict(images, batch_size=50, verbose=0)
    return {"predictions": np.asarray(scores).argmax(-1).astype(np.uint8),
            "params": int(model.count_params())}


def class_wise_scores(labels: np.ndarray, predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IoU and Dice of each of the 11 classes over a whole set of label maps (trusted side)."""
    size = N_CLASSES
    pairs = np.bincount(labels.ravel().astype(np.int64) * size + predictions.ravel().astype(np.int64),
                        minlength=size * size).reshape(size, size)
    intersection = np.diag(pairs).astype(np.float64)
    areas = pairs.sum(axis=1) + pairs.sum(axis=0)
    return intersection / (areas - intersection + 1e-5), 2 * intersection / (areas + 1e-5)


@functools.lru_cache(maxsize=1)
def _scoring_set() -> common.ScoringSet:
    """The hidden (or, without them, dev) images and labels, read once per process (the probe's
    inputs and the check's answers)."""
    from graders.data import m2nist

    return common.scoring_set(ASSIGNMENT, lambda: m2nist.load_split("hidden"), lambda: m2nist.load_split("dev"),
                              "images")


def trained_model_params() -> dict:
    """The scored images, then the public dev images the report's pictures may show."""
    return {"images": _scoring_set().probe_inputs}


def scored_class_wise(observation) -> tuple[np.ndarray, np.ndarray]:
    """IoU and Dice of each class over the scored label maps (the hidden set, else the public dev
    set): what the marks are set on."""
    scored = _scoring_set()
    return class_wise_scores(scored.answers, scored.scored(observation["predictions"]))


def digit_score(iou: np.ndarray) -> float:
    """The course's score: mean IoU of the ten digit classes x 100."""
    return float(iou[:DIGIT_CLASSES].mean() * 100)


def check_trained_model(observation, reference) -> Verdict:
    from graders.authoring import pictures

    scored = _scoring_set()
    labels, which = scored.answers, scored.name
    given = observation["predictions"]
    if given.shape != (scored.probe_count, *labels.shape[1:]):
        return Verdict.failed(f"the model predicted {given.shape} label maps, "
                              f"expected {(scored.probe_count, *labels.shape[1:])}")
    iou, dice = scored_class_wise(observation)
    score = digit_score(iou)
    table = [["class", "IoU", "Dice"]] + [
        [str(c) if c < DIGIT_CLASSES else "background", f"{iou[c]:.3f}", f"{dice[c]:.3f}"]
        for c in range(N_CLASSES)]
    images, truth, shown = scored.shown_inputs, scored.shown_answers, scored.shown(given)
    worst = np.argsort([(p == t).mean() for p, t in zip(shown, truth)], kind="stable")[:6]
    rows = [[pictures.grey_rgb(images[i]), pictures.label_map_rgb(truth[i]),
             pictures.label_map_rgb(shown[i]), pictures.difference_rgb(truth[i] != shown[i])]
            for i in worst]
    figures = [Figure(f"IoU and Dice per class on the {which} set", table=table,
                      marked_rows=tuple(c + 1 for c in range(DIGIT_CLASSES) if iou[c] < PASS_MARK / 100)),
               Figure(f"the six {scored.shown_name} images your model gets most wrong{scored.shown_note}",
                      png=pictures.grid_png(rows, ["image", "expected", "yours", "differs"]))]
    details = ["IoU per digit: " + ", ".join(f"{c}: {iou[c]:.2f}" for c in range(DIGIT_CLASSES))]
    message = (f"mean IoU of the 10 digit classes on {len(labels)} {which} images is {score:.1f} "
               f"(x100; pass above {PASS_MARK:g})")
    if score > PASS_MARK:
        return scored.told(Verdict.passed(message, details=details, figures=figures))
    return scored.told(Verdict.failed(message + ": train longer or check the model", details=details,
                                      figures=figures))


ASSIGNMENT = Assignment(
    id="c3w3",
    title="C3W3 Image segmentation of handwritten digits",
    module="c3w3_segmentation",
    notebook_glob="C3W3*.ipynb",
    steps=(TopLevelStep(function="compile_model", method="compile"),),
    model_files=MODEL_FILES,
    hidden_data=("fixtures/c3w3/m2nist_hidden.npz",),
    exercises=(
        Exercise("conv_block", "Ex1 conv_block", 15, probe_conv_block, check_conv_block,
                 CONV_BLOCK_HINTS, functions=("conv_block",)),
        Exercise("FCN8", "Ex2 FCN8 encoder", 15, probe_fcn8, check_fcn8, FCN8_HINTS,
                 functions=("FCN8",), stand_ins=("conv_block",)),
        Exercise("fcn8_decoder", "Ex3 fcn8_decoder", 20, probe_decoder, check_decoder, DECODER_HINTS,
                 functions=("fcn8_decoder",)),
        Exercise("compile_model", "Ex4 compile the model", 10, probe_compile, check_compile,
                 COMPILE_HINTS, functions=("compile_model",)),
        Exercise("class_wise_metrics", "Ex5 class_wise_metrics", 10, probe_class_wise_metrics,
                 check_class_wise_metrics, CLASS_WISE_HINTS, functions=("class_wise_metrics",),
                 # Supplied by the course; one version is known, and the reference behaves as it does.
                 course_given=CourseGiven()),
        Exercise("trained_model", "Trained model on held-out images", 30, probe_trained_model,
                 check_trained_model, subject="the trained model", uses_reference=False,
                 observation_shape=lambda: {"predictions": np.zeros((0, 64, 84), np.uint8), "params": 0},
                 needs_model_file=True, params_factory=trained_model_params),
    ),
)
