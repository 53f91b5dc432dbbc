"""Lab C3W3-L1 "FCN-8 with a VGG-16 encoder", as a practice suite.

The lab loads Keras' VGG-16 weights file (`vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`)
from the notebook's folder. The probe writes such a file itself, in the HDF5 layout of Keras'
VGG16 weights with seeded values, and runs the learner's code in a folder holding it under the
course's name, so it can tell whether the encoder really holds the file's weights. The model
has 135 million parameters (about 540 MB): a probe builds it once, seeds only what the file does
not hold, and keeps every fourth pixel or so of the outputs. It scores like an assignment but
counts for nothing in a grade.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.authoring import Assignment, Exercise, Figure, Hint, Verdict, compare, shape_of
from graders.suites import common

IMAGE_SHAPE = (224, 224, 3)
CLASSES = 12
PARAMS = 135_067_736
WEIGHTS_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_SEED = 4321  # with the run's seed: the weights the probe's VGG-16 file holds
VGG_BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
BODY_LAYERS = sum(n for n, _ in VGG_BLOCKS)  # the 13 convolutions the weights file holds
SAMPLED_WEIGHTS = 512
SMOOTHING = 1e-5


# --- in the worker ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _weights_file(seed: int) -> str:
    """A VGG-16 weights file without the top, in the layout Keras writes (one group per layer,
    `weight_names` attributes, float32 kernels and biases), with values drawn from the run's seed;
    written once per worker with h5py, without building a second 15-million-parameter network."""
    import os
    import tempfile

    import h5py

    folder = tempfile.mkdtemp(prefix="cvgrade-vgg16-")
    path = os.path.join(folder, WEIGHTS_FILE)
    rng = np.random.default_rng([seed + WEIGHTS_SEED, 80])
    names, channels = ["input_layer"], 3
    with h5py.File(path, "w") as file:
        file.attrs["backend"] = "tensorflow"
        file.attrs["keras_version"] = "3"
        groups = []
        for index, (convs, filters) in enumerate(VGG_BLOCKS, start=1):
            for conv in range(1, convs + 1):
                name = f"block{index}_conv{conv}"
                kernel = rng.standard_normal((3, 3, channels, filters), dtype=np.float32) * np.sqrt(2 / (9 * channels))
                bias = 0.05 * rng.standard_normal(filters, dtype=np.float32)
                groups.append((name, {f"{name}/kernel": kernel, f"{name}/bias": bias}))
                channels = filters
            groups.append((f"block{index}_pool", {}))
        names += [name for name, _ in groups]
        file.attrs["layer_names"] = np.array([n.encode() for n in names])
        file.create_group("input_layer").attrs["weight_names"] = np.array([])
        for name, weights in groups:
            group = file.create_group(name)
            group.attrs["weight_names"] = np.array([w.encode() for w in weights]) if weights else np.array([])
            for weight_name, value in weights.items():
                group.create_dataset(weight_name, data=value)
    return path


class _weights_here:
    """Runs the learner's code in a fresh folder where the weights file lies under the course's name."""

    def __init__(self, seed: int):
        self.seed = seed

    def __enter__(self):
        import os

        self.scratch = common.scratch_folder("cvgrade-fcn8-")
        folder = self.scratch.__enter__()
        os.symlink(_weights_file(self.seed), os.path.join(folder, WEIGHTS_FILE))
        return folder

    def __exit__(self, *exc):
        return self.scratch.__exit__(*exc)


def _seed_head(model, seed: int) -> None:
    """Seeded weights for every layer the weights file does not hold (those after the 13
    convolutions of VGG-16's body), drawn in float32: conv6 alone holds 103 million."""
    weighted = [layer for layer in model.layers if layer.weights]
    for index, layer in enumerate(weighted[BODY_LAYERS:]):
        rng = np.random.default_rng([seed, 81, index])
        values = []
        for weight in layer.weights:
            shape = tuple(int(s) for s in weight.shape)
            if len(shape) > 1:
                fan_in = shape[-1] if type(layer).__name__.endswith("Transpose") else int(np.prod(shape[:-1]))
                values.append(rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2 / fan_in)))
            else:
                values.append(0.1 * rng.standard_normal(shape, dtype=np.float32))
        layer.set_weights(values)


def _body_sample(model, seed: int) -> dict:
    """The 13 body convolutions' weights as data to compare with the solution's: how many values,
    and the values at seeded places (equal samples: the file's weights)."""
    weighted = [layer for layer in model.layers if layer.weights][:BODY_LAYERS]
    weights = [np.asarray(w) for layer in weighted for w in layer.weights]
    sizes = np.array([w.size for w in weights], dtype=np.int64)
    total = int(sizes.sum())
    if not total:
        return {"body_values": 0, "body_sample": np.zeros(SAMPLED_WEIGHTS, np.float32)}
    places = np.random.default_rng([seed, 82]).integers(0, total, SAMPLED_WEIGHTS)
    ends = np.cumsum(sizes)
    tensors = np.searchsorted(ends, places, side="right")
    within = places - (ends - sizes)[tensors]
    return {"body_values": total,
            "body_sample": np.asarray([weights[t].ravel()[i] for t, i in zip(tensors, within)], np.float32)}


def _thinned(output: np.ndarray) -> np.ndarray:
    """About 14x14 pixels and 8 channels of a (batch, height, width, channels) output: enough to
    tell models apart, small enough to keep."""
    step = max(1, output.shape[1] // 14)
    return output[:, ::step, ::step, ::max(1, output.shape[-1] // 8)]


def _image(seed: int, shape=IMAGE_SHAPE) -> np.ndarray:
    """A pets-like photograph-based image (graders.data.pets) resized to `shape`, in [0, 1]."""
    from PIL import Image

    from graders.data import pets

    images, _ = pets.samples(seed + 200, 1)
    resized = Image.fromarray(images[0]).resize((shape[1], shape[0]), Image.BILINEAR)
    return (np.asarray(resized, dtype=np.float32) / 255.0)[None]


def _conv_names(o) -> list:
    return [row["name"] for row in compare.layers_of_type(o, "Conv2D")]


def _pool_names(o) -> list:
    return [row["name"] for row in compare.layers_of_type(o, "MaxPooling2D")]


# --- block ------------------------------------------------------------------------------------------------
# (input shape, n_convs, filters, kernel_size, activation, pool_size, pool_stride, block_name); the second
# call shows whether every argument is used.
BLOCK_CASES = (((16, 16, 3), 2, 8, (3, 3), "relu", (2, 2), (2, 2), "blockA"),
               ((18, 18, 4), 3, 5, (5, 5), "tanh", (3, 3), (2, 2), "blockB"))


def _pool_name_ok(name: str, block_name: str, n_convs: int) -> bool:
    """The course's name (after the last convolution's number) or Keras' VGG16 name."""
    return name in (f"{block_name}_pool{n_convs}", f"{block_name}_pool")


def probe_block(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("block")
    seed = common.probe_seed(params)
    cases = []
    for index, (shape, *args) in enumerate(BLOCK_CASES):
        tensor = keras.Input(shape)
        output = common.keras_tensor(function(tensor, *args), "block")
        cases.append(common.observe_model(keras.Model(tensor, output), common.seeded_normal(seed, index, (1,) + shape),
                                          seed + index))
    return {"cases": cases}


def _call(index: int) -> str:
    shape, *args = BLOCK_CASES[index]
    return f"block(Input({shape}), {', '.join(map(repr, args))})"


def check_block(observation, reference) -> Verdict:
    figures = [common.layer_figure(observation["cases"][0], reference["cases"][0],
                                   f"{_call(0)}: your layers and the expected ones")]
    for index, (mine, theirs) in enumerate(zip(observation["cases"], reference["cases"])):
        if mine["output_shapes"] != theirs["output_shapes"]:
            return Verdict.failed(f"{_call(index)}: the output has shape {compare.shape_text(mine['output_shapes'][0])}"
                                  f", expected {compare.shape_text(theirs['output_shapes'][0])}", figures=figures)
        ok, reason = common.check_outputs(mine, theirs, ["the output"])
        if not ok:
            return Verdict(common.FORM_SHARE if index else 0.0, f"{_call(index)}: {reason} with seeded weights",
                           figures=figures)
    if len(observation["cases"]) != len(reference["cases"]):
        return Verdict.failed("the probe's calls did not all run", figures=figures)
    problems = []
    for index, (mine, theirs) in enumerate(zip(observation["cases"], reference["cases"])):
        _, n_convs, *_, block_name = BLOCK_CASES[index]
        if _conv_names(mine) != _conv_names(theirs):
            problems.append(f"{_call(index)}: the convolutions are named {', '.join(_conv_names(mine))}, expected "
                            f"{', '.join(_conv_names(theirs))}")
        if not all(_pool_name_ok(name, block_name, n_convs) for name in _pool_names(mine)):
            problems.append(f"{_call(index)}: the pooling is named {', '.join(_pool_names(mine))}, expected "
                            f"{block_name}_pool{n_convs}")
    if problems:
        return Verdict(common.FORM_SHARE, "; ".join(problems[:1]), figures=figures)
    return Verdict.passed("the convolutions, the pooling and their names match for both calls", figures=figures)


def _case(o, index=0):
    return o["cases"][index]


BLOCK_HINTS = (
    Hint("n_convs convolutions: block(x, 3, ...) has three Conv2D layers",
         lambda o, r: len(compare.layers_of_type(_case(o, 1), "Conv2D")) != 3,
         seen=lambda o, r: f"{len(compare.layers_of_type(_case(o, 1), 'Conv2D'))} Conv2D layers"),
    Hint("the convolutions need padding='same': only the pooling changes the size",
         lambda o, r: {row["config"]["padding"] for row in compare.layers_of_type(_case(o), "Conv2D")} != {"same"}),
    Hint("use the activation argument: block(x, 3, 5, (5, 5), 'tanh', ...) has tanh convolutions",
         lambda o, r: compare.activations(_case(o, 1)) != ["tanh"] * 3,
         seen=lambda o, r: ", ".join(compare.activations(_case(o, 1))) or "no activation"),
    Hint("use the kernel_size argument: block(x, 3, 5, (5, 5), ...) has 5x5 kernels",
         lambda o, r: [row["config"]["kernel_size"] for row in compare.layers_of_type(_case(o, 1), "Conv2D")]
         != [[5, 5]] * 3),
    Hint("pool with MaxPooling2D(pool_size, strides=pool_stride): block(..., (3, 3), (2, 2), ...) pools 3x3 "
         "with stride 2",
         lambda o, r: [(row["config"]["pool_size"], row["config"]["strides"])
                       for row in compare.layers_of_type(_case(o, 1), "MaxPooling2D")] != [([3, 3], [2, 2])],
         seen=lambda o, r: ", ".join(f"pool {compare.shape_text(row['config']['pool_size'])} stride "
                                     f"{compare.shape_text(row['config']['strides'])}"
                                     for row in compare.layers_of_type(_case(o, 1), "MaxPooling2D"))),
    Hint("name the convolutions f'{block_name}_conv{i + 1}': blockA_conv1, blockA_conv2",
         lambda o, r: _conv_names(_case(o)) != _conv_names(_case(r)),
         seen=lambda o, r: ", ".join(_conv_names(_case(o)))),
    Hint("name the pooling after the last convolution's number, f'{block_name}_pool{i + 1}': blockA_pool2",
         lambda o, r: not all(_pool_name_ok(n, "blockA", 2) for n in _pool_names(_case(o))),
         seen=lambda o, r: ", ".join(_pool_names(_case(o)))),
)


# --- VGG_16 ---------------------------------------------------------------------------------------------------
OUTPUT_NAMES = ("p1", "p2", "p3", "p4", "c7")


def probe_vgg(submission, params) -> dict:
    from graders.authoring import modelprobe

    keras = common.keras()
    function = submission.function("VGG_16")
    seed = common.probe_seed(params)
    tensor = keras.Input(IMAGE_SHAPE)
    with _weights_here(seed), common.reference_parts(submission, ("block",)):
        returned = function(tensor)
    try:
        outputs = tuple(returned)
        if len(outputs) != 5:
            raise ValueError
    except (TypeError, ValueError):
        raise common.fail("VGG_16 must return (p1, p2, p3, p4, c7)") from None
    model = keras.Model(tensor, [common.keras_tensor(t, f"VGG_16's {n}") for n, t in zip(OUTPUT_NAMES, outputs)])
    observation = modelprobe.describe(model)
    observation.update(_body_sample(model, seed))
    _seed_head(model, seed)
    observation["outputs"] = [_thinned(o) for o in modelprobe.predict(model, _image(seed))]
    return observation


def holds_file_weights(observation, reference) -> bool:
    return (observation["body_values"] == reference["body_values"]
            and np.array_equal(observation["body_sample"], reference["body_sample"]))


def _head_names(o) -> list:
    return _conv_names(o)[BODY_LAYERS:]


def check_vgg(observation, reference) -> Verdict:
    figures = [common.layer_figure(observation, reference, "VGG_16 (block replaced by the reference one): your "
                                                           "layers and the expected ones")]
    for name, mine, theirs in zip(OUTPUT_NAMES, observation["output_shapes"], reference["output_shapes"]):
        if mine != theirs:
            return Verdict.failed(f"{name} has shape {compare.shape_text(mine)}, expected {compare.shape_text(theirs)}",
                                  figures=figures)
    if observation["params"] != reference["params"]:
        return Verdict.failed(f"the encoder has {observation['params']:,} parameters, expected "
                              f"{reference['params']:,}", figures=figures)
    if not holds_file_weights(observation, reference):
        return Verdict(common.FORM_SHARE, "the encoder does not hold the weights of vgg_weights_path",
                       figures=figures)
    ok, reason = common.check_outputs(observation, reference, OUTPUT_NAMES)
    if not ok:
        return Verdict.failed(f"{reason} (the file's weights, conv6 and conv7 seeded)", figures=figures)
    if _head_names(observation) != _head_names(reference):
        return Verdict(common.FORM_SHARE, f"conv6 and conv7 are named {', '.join(_head_names(observation))}, "
                       "expected conv6, conv7", figures=figures)
    return Verdict.passed("VGG-16's five blocks hold the file's weights; p1-p4 and conv7's output match",
                          figures=figures)


def _conv_row(o, name):
    rows = [row for row in compare.layers_of_type(o, "Conv2D") if row["config"].get("filters") == 4096]
    return rows[("conv6", "conv7").index(name)] if len(rows) == 2 else None


VGG_HINTS = (
    Hint("return c7, conv7's output, last: (p1, p2, p3, p4, c7); p5 goes through conv6 and conv7",
         lambda o, r: o["output_shapes"][4][-1] != 4096,
         seen=lambda o, r: f"a last output of shape {compare.shape_text(o['output_shapes'][4])}"),
    Hint("the five blocks have 2, 2, 3, 3 and 3 convolutions of 64, 128, 256, 512 and 512 filters",
         lambda o, r: [row["config"]["filters"] for row in compare.layers_of_type(o, "Conv2D")][:BODY_LAYERS]
         != [f for n, f in VGG_BLOCKS for _ in range(n)]),
    Hint("conv6 is Conv2D(4096, (7, 7), activation='relu', padding='same', name='conv6')",
         lambda o, r: _conv_row(o, "conv6") is None or _conv_row(o, "conv6")["config"]["kernel_size"] != [7, 7],
         seen=lambda o, r: "kernel " + compare.shape_text(_conv_row(o, "conv6")["config"]["kernel_size"])),
    Hint("conv7 is Conv2D(4096, (1, 1), activation='relu', padding='same', name='conv7')",
         lambda o, r: _conv_row(o, "conv7") is None or _conv_row(o, "conv7")["config"]["kernel_size"] != [1, 1]),
    Hint("load the file's weights into the five blocks: vgg = tf.keras.Model(image_input, p5); "
         "vgg.load_weights(vgg_weights_path)", lambda o, r: not holds_file_weights(o, r)),
    Hint("conv6 and conv7 use activation='relu'",
         lambda o, r: compare.activations(o)[BODY_LAYERS:] != ["relu", "relu"],
         seen=lambda o, r: ", ".join(compare.activations(o)[BODY_LAYERS:]) or "no activation"),
    Hint("name the last two convolutions 'conv6' and 'conv7'", lambda o, r: _head_names(o) != _head_names(r),
         seen=lambda o, r: ", ".join(_head_names(o))),
)


# --- fcn8_decoder ---------------------------------------------------------------------------------------------
# f1-f5 of a 32x32 image, as VGG_16 makes them (the decoder is the same at any size divisible by 32).
DECODER_SHAPES = ((16, 16, 64), (8, 8, 128), (4, 4, 256), (2, 2, 512), (1, 1, 4096))


def probe_decoder(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("fcn8_decoder")
    seed = common.probe_seed(params)
    tensors = [keras.Input(shape) for shape in DECODER_SHAPES]
    output = common.keras_tensor(function(tuple(tensors), CLASSES), "fcn8_decoder")
    # relu outputs, as VGG-16's are
    values = [np.maximum(common.seeded_normal(seed, 90 + i, (1,) + shape), 0) for i, shape in enumerate(DECODER_SHAPES)]
    return common.observe_model(keras.Model(tensors, output), values, seed)


def check_decoder(observation, reference) -> Verdict:
    figures = [common.layer_figure(observation, reference, "fcn8_decoder on a 32x32 image's features: your "
                                                           "layers and the expected ones")]
    mine, theirs = observation["output_shapes"][0], reference["output_shapes"][0]
    if mine != theirs:
        return Verdict.failed(f"the output has shape {compare.shape_text(mine)}, expected {compare.shape_text(theirs)}",
                              figures=figures)
    ok, reason = common.check_outputs(observation, reference, ["the class probabilities"])
    if not ok:
        return Verdict.failed(f"{reason} with seeded weights", figures=figures)
    return Verdict.passed("upsampled 2, 2 and 8 times with the skip connections of f4 and f3; the class "
                          "probabilities match with seeded weights", figures=figures)


def _transposes(o) -> list:
    return compare.layers_of_type(o, "Conv2DTranspose")


def _projections(o) -> dict:
    """The 1x1 Conv2D layers by the channels they take (512: f4, 256: f3)."""
    return {row["weights"][0][2]: row for row in compare.layers_of_type(o, "Conv2D")
            if row["weights"] and row["weights"][0][:2] == [1, 1]}


def _final_activation(o):
    found = compare.activations(o)
    return found[-1] if found else None


DECODER_HINTS = (
    Hint("the Conv2DTranspose layers have no bias: use_bias=False",
         lambda o, r: any(t["config"].get("use_bias") for t in _transposes(o))),
    Hint("the skip connection from f4 is missing: o = Add()([o, Conv2D(n_classes, (1, 1), activation='relu', "
         "padding='same')(f4)])", lambda o, r: 512 not in _projections(o)),
    Hint("the skip connection from f3 is missing: o = Add()([o, Conv2D(n_classes, (1, 1), activation='relu', "
         "padding='same')(f3)])", lambda o, r: 256 not in _projections(o)),
    Hint("the 1x1 convolutions of f4 and f3 use activation='relu'",
         lambda o, r: any(row["config"].get("activation") != "relu" for row in _projections(o).values()),
         seen=lambda o, r: ", ".join(str(row["config"].get("activation")) for row in _projections(o).values())),
    Hint("end with Activation('softmax'): a probability per class",
         lambda o, r: _final_activation(o) != "softmax", seen=lambda o, r: _final_activation(o) or "no activation"),
    Hint("upsample 2, 2 and 8 times: Conv2DTranspose(n, (4, 4), strides=(2, 2)) twice, then "
         "Conv2DTranspose(n, (8, 8), strides=(8, 8))",
         lambda o, r: [(t["config"]["kernel_size"], t["config"]["strides"]) for t in _transposes(o)]
         != [(t["config"]["kernel_size"], t["config"]["strides"]) for t in _transposes(r)]),
    Hint("crop one pixel on each side after each 2x upsampling: Cropping2D(cropping=(1, 1)), and none at the end",
         lambda o, r: [row["config"]["cropping"] for row in compare.layers_of_type(o, "Cropping2D")]
         != [row["config"]["cropping"] for row in compare.layers_of_type(r, "Cropping2D")]),
)


# --- segmentation_model -------------------------------------------------------------------------------------
def probe_model(submission, params) -> dict:
    from graders.authoring import modelprobe

    function = submission.function("segmentation_model")
    seed = common.probe_seed(params)
    with _weights_here(seed), common.reference_parts(submission, ("VGG_16", "block", "fcn8_decoder")):
        model = common.require_model(function(), "segmentation_model")
    observation = modelprobe.describe(model)
    observation["input_shapes"] = [shape_of(t.shape) for t in model.inputs]
    shape = observation["input_shapes"][0][1:] if len(model.inputs) == 1 else []
    observation["outputs"] = []
    if len(shape) == 3 and None not in shape and shape[-1] == 3:
        _seed_head(model, seed)
        observation["outputs"] = [_thinned(o) for o in modelprobe.predict(model, _image(seed, tuple(shape)))]
    return observation


def check_model(observation, reference) -> Verdict:
    figures = [common.layer_figure(observation, reference, "segmentation_model() (VGG_16 and fcn8_decoder "
                                                           "replaced by the reference ones): your layers and the "
                                                           "expected ones")]
    if observation["input_shapes"] != reference["input_shapes"]:
        return Verdict.failed(f"the model takes {', '.join(map(compare.shape_text, observation['input_shapes']))}, "
                              f"expected {compare.shape_text(reference['input_shapes'][0])}", figures=figures)
    if observation["output_shapes"] != reference["output_shapes"]:
        return Verdict.failed(f"the model outputs {', '.join(map(compare.shape_text, observation['output_shapes']))}"
                              f", expected {compare.shape_text(reference['output_shapes'][0])}", figures=figures)
    ok, reason = common.check_outputs(observation, reference, ["the class probabilities"])
    if not ok:
        return Verdict.failed(f"{reason} (the file's weights in VGG-16, the rest seeded)", figures=figures)
    return Verdict.passed(f"{observation['params']:,} parameters; the class probabilities of a pets-like image "
                          "match", figures=figures)


MODEL_HINTS = (
    Hint("the model takes 224x224 colour images: Input(shape=(224, 224, 3))",
         lambda o, r: o["input_shapes"] != r["input_shapes"],
         seen=lambda o, r: ", ".join(map(compare.shape_text, o["input_shapes"]))),
    Hint("the model's output is the decoder's: outputs = fcn8_decoder(convs, 12)",
         lambda o, r: not compare.layers_of_type(o, "Conv2DTranspose")),
    Hint("twelve classes: fcn8_decoder(convs, 12)",
         lambda o, r: [s[-1] for s in o["output_shapes"]] != [CLASSES],
         seen=lambda o, r: f"{[s[-1] for s in o['output_shapes']]} channels"),
    Hint(f"the model has {PARAMS:,} parameters", lambda o, r: o["params"] != r["params"],
         seen=lambda o, r: f"{o['params']:,}"),
)


# --- compute_metrics -------------------------------------------------------------------------------------------
def _metric_cases(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng([seed, 95])
    # regions of 4x4 pixels, so the picture shows maps rather than noise
    truth = np.kron(rng.integers(0, CLASSES, size=(2, 8, 8)), np.ones((1, 4, 4), dtype=np.int64))
    noisy = np.where(rng.random(truth.shape) < 0.3, rng.integers(0, CLASSES, truth.shape), truth)
    few = np.kron(rng.integers(0, 6, size=(8, 8)), np.ones((4, 4), dtype=np.int64))  # classes 6-11 absent
    shifted = np.roll(few, 2, axis=1)
    extra = np.where(rng.random(few.shape) < 0.1, rng.integers(6, 9, few.shape), few)  # 6-8 predicted, never true
    return [(truth, noisy), (truth, truth.copy()), (few, shifted), (few, extra)]


METRIC_CASE_NAMES = ("a noisy prediction", "a perfect prediction", "maps where classes 6-11 are absent",
                     "a prediction of classes the truth lacks")


def probe_compute_metrics(submission, params) -> dict:
    function = submission.function("compute_metrics")
    cases = _metric_cases(common.probe_seed(params))
    results = []
    for y_true, y_pred in cases:
        returned = function(np.array(y_true), np.array(y_pred))
        try:
            iou, dice = returned
            results.append({"iou": np.asarray(iou, dtype=np.float64).ravel(),
                            "dice": np.asarray(dice, dtype=np.float64).ravel()})
        except (TypeError, ValueError):
            raise common.fail("compute_metrics must return two lists: (class_wise_iou, class_wise_dice_score)") from None
    truth, noisy = cases[0]
    return {"cases": results, "truth": truth[0].astype(np.uint8), "prediction": noisy[0].astype(np.uint8)}


# twelve colours: the segmentation palette and a grey for class 11
def _palette() -> np.ndarray:
    from graders.authoring import pictures

    return np.concatenate([pictures.SEGMENT_PALETTE[:10], [[128, 128, 128], [255, 255, 255]]]).astype(np.uint8)


def _metric_figures(observation, reference) -> list[Figure]:
    from graders.authoring import pictures

    palette = _palette()
    row = [pictures.label_map_rgb(reference["truth"], palette), pictures.label_map_rgb(reference["prediction"], palette)]
    mine, theirs = observation["cases"][0], reference["cases"][0]
    table = [["class", "your IoU", "expected IoU", "your Dice", "expected Dice"]]
    marked = []
    for c in range(len(theirs["iou"])):
        got = [mine[key][c] if c < len(mine[key]) else float("nan") for key in ("iou", "dice")]
        table.append([str(c), f"{got[0]:.4f}", f"{theirs['iou'][c]:.4f}", f"{got[1]:.4f}", f"{theirs['dice'][c]:.4f}"])
        if not (np.isclose(got[0], theirs["iou"][c], atol=1e-6) and np.isclose(got[1], theirs["dice"][c], atol=1e-6)):
            marked.append(len(table) - 1)
    return [Figure("the label maps of the first case (one of two): the truth and a noisy prediction",
                   png=pictures.grid_png([row], ["y_true", "y_pred"], scale=4)),
            Figure("IoU and Dice per class for a noisy prediction", table=table, marked_rows=tuple(marked))]


def check_compute_metrics(observation, reference) -> Verdict:
    figures = _metric_figures(observation, reference)
    for name, mine, theirs in zip(METRIC_CASE_NAMES, observation["cases"], reference["cases"]):
        for key, label in (("iou", "IoU"), ("dice", "Dice score")):
            ok, reason = compare.check_array(mine[key], theirs[key], f"the class-wise {label} of {name}", 1e-6)
            if not ok:
                return Verdict.failed(reason, figures=figures)
    return Verdict.passed("IoU and Dice match for every class, absent classes included", figures=figures)


def _values(o, index, key):
    return o["cases"][index][key]


def _close(a, b) -> bool:
    return a.shape == b.shape and np.allclose(a, b, atol=1e-6)


def _absent_scores(o, r, key):
    """The values of the classes absent from both maps (6-11 in the third case): 1 in the lab."""
    return _values(o, 2, key)[6:], _values(r, 2, key)[6:]


METRIC_HINTS = (
    Hint("return one value per class for all 12 classes", lambda o, r: len(_values(o, 0, "iou")) != CLASSES,
         seen=lambda o, r: f"{len(_values(o, 0, 'iou'))} values"),
    Hint("return (class_wise_iou, class_wise_dice_score) in that order",
         lambda o, r: _close(_values(o, 0, "iou"), _values(r, 0, "dice"))),
    Hint("smooth the denominators with s = 1e-5, so that an absent class does not divide by zero",
         lambda o, r: not all(np.all(np.isfinite(_values(o, i, k))) for i in range(2, 4) for k in ("iou", "dice"))),
    Hint("add the smoothing s = 1e-5 to the intersection too, (I + s) / (... + s): a class absent from both maps "
         "has IoU 1 in this lab",
         lambda o, r: np.allclose(_absent_scores(o, r, "iou")[0], 0) or np.allclose(_absent_scores(o, r, "dice")[0], 0),
         seen=lambda o, r: "0 for the absent classes"),
    Hint("the Dice score is 2 (I + s) / (A_t + A_p + s): the factor 2 is missing",
         lambda o, r: _close(_values(o, 0, "dice") * 2, _values(r, 0, "dice"))),
    Hint("the IoU's denominator is the union, A_t + A_p - I (plus s)",
         lambda o, r: not _close(_values(o, 0, "iou"), _values(r, 0, "iou"))),
    Hint("the Dice score is 2 (I + s) / (A_t + A_p + s)",
         lambda o, r: not _close(_values(o, 0, "dice"), _values(r, 0, "dice"))),
)


ASSIGNMENT = Assignment(
    id="c3w3_l1",
    title="C3W3-L1 FCN-8 with a VGG-16 encoder (practice)",
    module="c3w3_l1_fcn8",
    notebook_glob="C3W3*L1*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("block", "block", 15, probe_block, check_block, BLOCK_HINTS, functions=("block",)),
        Exercise("VGG_16", "VGG_16", 25, probe_vgg, check_vgg, VGG_HINTS, functions=("VGG_16",),
                 stand_ins=("block",)),
        Exercise("fcn8_decoder", "fcn8_decoder", 25, probe_decoder, check_decoder, DECODER_HINTS,
                 functions=("fcn8_decoder",)),
        Exercise("segmentation_model", "segmentation_model", 15, probe_model, check_model, MODEL_HINTS,
                 functions=("segmentation_model",), stand_ins=("VGG_16", "block", "fcn8_decoder")),
        Exercise("compute_metrics", "compute_metrics", 20, probe_compute_metrics, check_compute_metrics,
                 METRIC_HINTS, functions=("compute_metrics",)),
    ),
)
