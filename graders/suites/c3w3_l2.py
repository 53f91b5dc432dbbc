"""Lab C3W3-L2 "U-Net on Oxford-IIIT Pets", as a practice suite.

The pets cannot be downloaded here, so the probes show the network a small
pets-like set built from scikit-image's photographs (`graders.data.pets`: a
cat or a cup cut out along a computed segmentation, on other photographs, with
pet / background / outline masks). The blocks are probed on small inputs with
seeded weights; each later block runs with the reference versions of the
blocks it calls, so a broken block costs only its own points. It scores like an
assignment but counts for nothing in a grade.
"""

from __future__ import annotations

import numpy as np

from graders.authoring import Assignment, Exercise, Figure, Hint, Verdict, compare, shape_of
from graders.suites import common

IMAGE_SHAPE = (128, 128, 3)
CLASSES = 3
PARAMS = 34_513_475
ENCODER_FILTERS = [64, 128, 256, 512]
DECODER_FILTERS = [512, 256, 128, 64]


def _pets(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` pets-like images and masks drawn from the run's seed, preprocessed as the course
    does: images / 255, masks shifted from 1-3 to 0-2."""
    from graders.data import pets

    return pets.normalize(*pets.samples(seed + 100, count))


def _initializers(model) -> list:
    """The kernel initializer of every Conv2D, by class name (seeded weights hide it from the outputs)."""
    return [type(layer.kernel_initializer).__name__ for layer in model.layers
            if type(layer).__name__ == "Conv2D"]


def _joined(model) -> list:
    """The shapes each Concatenate layer joins, in the order it joins them."""
    return [[shape_of(t.shape) for t in layer._inbound_nodes[0].input_tensors] for layer in model.layers
            if type(layer).__name__ == "Concatenate"]


def _observe(model, inputs, seed: int) -> dict:
    observation = common.observe_model(model, inputs, seed)
    observation["initializers"] = _initializers(model)
    observation["joined"] = _joined(model)
    return observation


# The layers whose order seeded weights in inference may hide (dropout is off); activations are
# left out, since a Conv2D's own activation and an Activation layer after it are the same layer.
STRUCTURE = ("Conv2D", "Conv2DTranspose", "MaxPooling2D", "Dropout", "Concatenate")


def _types(o) -> list[str]:
    return [row["type"] for row in o["layers"] if row["type"] in STRUCTURE]


def _conv_settings(o, key) -> list:
    return [row["config"].get(key) for row in compare.layers_of_type(o, "Conv2D")]


def _rates(o) -> list:
    return [row["config"].get("rate") for row in compare.layers_of_type(o, "Dropout")]


def _settings_verdict(observation, reference, passed: str, figures) -> Verdict:
    """Outputs match: what seeded weights and inference hide (initializers, dropout) earns the rest."""
    problems = []
    if observation["initializers"] != reference["initializers"]:
        problems.append("the convolutions' kernel initializer is "
                        f"{', '.join(sorted(set(observation['initializers'])))}, expected he_normal")
    if _rates(observation) != _rates(reference) or _types(observation) != _types(reference):
        problems.append("the layers differ from the lab's (marked in the table): dropout does not show "
                        "in inference, but it changes training")
    if problems:
        return Verdict(common.FORM_SHARE, "; ".join(problems), figures=figures)
    return Verdict.passed(passed, figures=figures)


def _model_check(what: str, caption: str, names):
    def check(observation, reference) -> Verdict:
        figures = [common.layer_figure(observation["cases"][0], reference["cases"][0], caption)]
        for index, (mine, theirs) in enumerate(zip(observation["cases"], reference["cases"])):
            call = observation["calls"][index]
            if mine["output_shapes"] != theirs["output_shapes"]:
                return Verdict.failed(f"{call}: the outputs have shape "
                                      f"{', '.join(map(compare.shape_text, mine['output_shapes']))}, expected "
                                      f"{', '.join(map(compare.shape_text, theirs['output_shapes']))}",
                                      figures=figures)
            ok, reason = common.check_outputs(mine, theirs, names)
            if not ok:
                return Verdict(common.FORM_SHARE if index > 0 else 0.0, f"{call}: {reason} with seeded weights",
                               figures=figures)
        if len(observation["cases"]) != len(reference["cases"]):
            return Verdict.failed("the probe's calls did not all run")
        return _settings_verdict(observation["cases"][0], reference["cases"][0], what, figures)
    return check


def _case(o, index=0):
    return o["cases"][index]


def _block_hints(name: str) -> tuple[Hint, ...]:
    """What conv2d_block's mistakes look like in any model made of it."""
    return (
        Hint(f"{name}: Conv2D(..., kernel_initializer='he_normal'), as the lab initialises the convolutions",
             lambda o, r: _case(o)["initializers"] != _case(r)["initializers"] and set(_case(o)["initializers"]),
             seen=lambda o, r: ", ".join(sorted(set(_case(o)["initializers"])))),
    )


# --- conv2d_block ------------------------------------------------------------------------------------
# (input shape, arguments, keyword arguments); the second case shows whether kernel_size is used.
CONV_CASES = (((16, 16, 3), (8,), {}), ((12, 12, 4), (6,), {"kernel_size": 5}))


def _call_text(name: str, shape, args, kwargs) -> str:
    shown = [f"Input({shape})"] + [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def probe_conv2d_block(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("conv2d_block")
    seed = common.probe_seed(params)
    cases = []
    for index, (shape, args, kwargs) in enumerate(CONV_CASES):
        tensor = keras.Input(shape)
        output = common.keras_tensor(function(tensor, *args, **kwargs), "conv2d_block")
        cases.append(_observe(keras.Model(tensor, output), common.seeded_normal(seed, index, (1,) + shape),
                              seed + index))
    return {"cases": cases, "calls": [_call_text("conv2d_block", *c) for c in CONV_CASES]}


check_conv2d_block = _model_check("two 3x3 he_normal convolutions with relu, outputs matching with seeded weights",
                                  "conv2d_block(Input((16, 16, 3)), 8): your layers and the expected ones",
                                  ["the output"])

CONV_HINTS = (
    Hint("the block has two Conv2D layers, each followed by Activation('relu')",
         lambda o, r: len(compare.layers_of_type(_case(o), "Conv2D")) != 2,
         seen=lambda o, r: f"{len(compare.layers_of_type(_case(o), 'Conv2D'))} Conv2D layers"),
    Hint("a relu after each convolution: Activation('relu')",
         lambda o, r: compare.activations(_case(o)) != ["relu", "relu"],
         seen=lambda o, r: ", ".join(compare.activations(_case(o))) or "no activation"),
    Hint("padding='same', so that the block keeps the size of its input",
         lambda o, r: set(_conv_settings(_case(o), "padding")) != {"same"},
         seen=lambda o, r: ", ".join(map(str, _conv_settings(_case(o), "padding")))),
    Hint("use the kernel_size argument: conv2d_block(x, 6, kernel_size=5) has 5x5 kernels",
         lambda o, r: _conv_settings(_case(o, 1), "kernel_size") != [[5, 5], [5, 5]],
         seen=lambda o, r: "kernels " + ", ".join(map(compare.shape_text, _conv_settings(_case(o, 1), "kernel_size")))),
    Hint("both convolutions have n_filters filters",
         lambda o, r: _conv_settings(_case(o), "filters") != _conv_settings(_case(r), "filters"),
         seen=lambda o, r: ", ".join(map(str, _conv_settings(_case(o), "filters")))),
    *_block_hints("conv2d_block"),
)


# --- encoder_block -------------------------------------------------------------------------------------
# The lab passes the defaults, and its own block hard-codes them: calls with the lab's values only.
ENCODER_BLOCK_CASES = (((16, 16, 4), (8,), {}), ((12, 12, 3), (5,), {"pool_size": (2, 2), "dropout": 0.3}))


def probe_encoder_block(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("encoder_block")
    seed = common.probe_seed(params)
    cases = []
    with common.reference_parts(submission, ("conv2d_block",)):
        for index, (shape, args, kwargs) in enumerate(ENCODER_BLOCK_CASES):
            tensor = keras.Input(shape)
            returned = function(tensor, *args, **kwargs)
            try:
                f, p = returned
            except (TypeError, ValueError):
                raise common.fail("encoder_block must return two tensors: (f, p)") from None
            outputs = [common.keras_tensor(f, "encoder_block's f"), common.keras_tensor(p, "encoder_block's p")]
            cases.append(_observe(keras.Model(tensor, outputs),
                                  common.seeded_normal(seed, 10 + index, (1,) + shape), seed + index))
    return {"cases": cases, "calls": [_call_text("encoder_block", *c) for c in ENCODER_BLOCK_CASES]}


check_encoder_block = _model_check("f and p match; pooled 2x2, then Dropout(0.3)",
                                   "encoder_block(Input((16, 16, 4)), 8) (conv2d_block replaced by the "
                                   "reference one): your layers and the expected ones", ["f", "p"])


def _swapped(o, r) -> bool:
    return _case(o)["output_shapes"] == _case(r)["output_shapes"][::-1]


ENCODER_BLOCK_HINTS = (
    Hint("return (f, p) in that order: the features before pooling, then the pooled output",
         _swapped, seen=lambda o, r: "(p, f)"),
    Hint("pool the block's features: p = MaxPooling2D((2, 2))(f)",
         lambda o, r: not compare.layers_of_type(_case(o), "MaxPooling2D")),
    Hint("f is conv2d_block's output, before the pooling: the skip connection keeps the full size",
         lambda o, r: _case(o)["output_shapes"][0] != _case(r)["output_shapes"][0]),
    Hint("Dropout(0.3) after the pooling",
         lambda o, r: _rates(_case(o)) != [0.3], seen=lambda o, r: f"rates {_rates(_case(o))}"),
    Hint("the dropout comes after the pooling: p = Dropout(0.3)(MaxPooling2D((2, 2))(f))",
         lambda o, r: _types(_case(o)) != _types(_case(r))),
)


# --- encoder ---------------------------------------------------------------------------------------------
ENCODER_SHAPE = (16, 16, 3)
ENCODER_NAMES = ("p4", "f1", "f2", "f3", "f4")


def probe_encoder(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("encoder")
    seed = common.probe_seed(params)
    tensor = keras.Input(ENCODER_SHAPE)
    with common.reference_parts(submission, ("encoder_block", "conv2d_block")):
        returned = function(tensor)
    try:
        p4, features = returned
        features = tuple(features)
        if len(features) != 4:
            raise ValueError
    except (TypeError, ValueError):
        raise common.fail("encoder must return p4, (f1, f2, f3, f4)") from None
    outputs = [common.keras_tensor(t, f"encoder's {n}") for n, t in zip(ENCODER_NAMES, (p4, *features))]
    observation = _observe(keras.Model(tensor, outputs), common.seeded_normal(seed, 20, (1,) + ENCODER_SHAPE), seed)
    return {"cases": [observation], "calls": [f"encoder(Input({ENCODER_SHAPE}))"]}


check_encoder = _model_check("p4 and f1-f4 match in shape and values with seeded weights",
                             "encoder(Input((16, 16, 3))) (encoder_block replaced by the reference one): "
                             "your layers and the expected ones", ENCODER_NAMES)


def _channels(o) -> list:
    return [shape[-1] for shape in _case(o)["output_shapes"]]


ENCODER_HINTS = (
    Hint("four encoder blocks with 64, 128, 256 and 512 filters",
         lambda o, r: _conv_settings(_case(o), "filters")[::2] != ENCODER_FILTERS,
         seen=lambda o, r: ", ".join(map(str, _conv_settings(_case(o), "filters")[::2]))),
    Hint("each block takes the previous block's pooled output p, not its features f",
         lambda o, r: any(later[1] == earlier[1] for earlier, later in
                          zip(_case(o)["output_shapes"][1:], _case(o)["output_shapes"][2:])),
         seen=lambda o, r: "features of sizes " + ", ".join(f"{s[1]}x{s[2]}" for s in _case(o)["output_shapes"][1:])),
    Hint("return p4, the last block's pooled output, first: return p4, (f1, f2, f3, f4)",
         lambda o, r: _case(o)["output_shapes"][0] != _case(r)["output_shapes"][0]),
    Hint("the features come in the order (f1, f2, f3, f4), from the largest to the smallest",
         lambda o, r: sorted(map(tuple, _case(o)["output_shapes"][1:])) == sorted(
             map(tuple, _case(r)["output_shapes"][1:])) and _case(o)["output_shapes"] != _case(r)["output_shapes"],
         seen=lambda o, r: "channels " + ", ".join(map(str, _channels(o)[1:]))),
)


# --- bottleneck ----------------------------------------------------------------------------------------------
BOTTLENECK_SHAPE = (2, 2, 8)


def probe_bottleneck(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("bottleneck")
    seed = common.probe_seed(params)
    tensor = keras.Input(BOTTLENECK_SHAPE)
    with common.reference_parts(submission, ("conv2d_block",)):
        output = common.keras_tensor(function(tensor), "bottleneck")
    observation = _observe(keras.Model(tensor, output), common.seeded_normal(seed, 30, (1,) + BOTTLENECK_SHAPE), seed)
    return {"cases": [observation], "calls": [f"bottleneck(Input({BOTTLENECK_SHAPE}))"]}


check_bottleneck = _model_check("conv2d_block with 1024 filters, matching with seeded weights",
                                "bottleneck(Input((2, 2, 8))) (conv2d_block replaced by the reference one): "
                                "your layers and the expected ones", ["the output"])

BOTTLENECK_HINTS = (
    Hint("the bottleneck is conv2d_block(inputs, n_filters=1024)",
         lambda o, r: _conv_settings(_case(o), "filters") != [1024, 1024],
         seen=lambda o, r: ", ".join(map(str, _conv_settings(_case(o), "filters"))) or "no convolution"),
    Hint("no pooling in the bottleneck: it keeps the size of p4",
         lambda o, r: compare.layers_of_type(_case(o), "MaxPooling2D")),
    Hint("the bottleneck's convolutions have 3x3 kernels (conv2d_block's default)",
         lambda o, r: _conv_settings(_case(o), "kernel_size") != [[3, 3], [3, 3]]),
)


# --- decoder_block ---------------------------------------------------------------------------------------------
# (inputs' shape, conv_output's shape, arguments): the second call shows whether the arguments are used.
DECODER_BLOCK_CASES = (
    ((4, 4, 8), (8, 8, 6), {"n_filters": 5, "kernel_size": 3, "strides": (2, 2), "dropout": 0.3}),
    ((3, 3, 4), (9, 9, 2), {"n_filters": 4, "kernel_size": 5, "strides": 3, "dropout": 0.3}),
)


def probe_decoder_block(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("decoder_block")
    seed = common.probe_seed(params)
    cases = []
    with common.reference_parts(submission, ("conv2d_block",)):
        for index, (shape, skip, kwargs) in enumerate(DECODER_BLOCK_CASES):
            inputs, conv_output = keras.Input(shape), keras.Input(skip)
            output = common.keras_tensor(function(inputs, conv_output, **kwargs), "decoder_block")
            values = [common.seeded_normal(seed, 40 + index, (1,) + shape),
                      common.seeded_normal(seed, 50 + index, (1,) + skip)]
            cases.append(_observe(keras.Model([inputs, conv_output], output), values, seed + index))
    calls = [f"decoder_block(Input({shape}), Input({skip}), "
             + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")" for shape, skip, kwargs in DECODER_BLOCK_CASES]
    return {"cases": cases, "calls": calls}


check_decoder_block = _model_check("upsampled, joined with the skip connection, dropped out and convolved: the "
                                   "output matches with seeded weights",
                                   "decoder_block(Input((4, 4, 8)), Input((8, 8, 6)), 5, 3, (2, 2), 0.3) "
                                   "(conv2d_block replaced by the reference one): your layers and the expected ones",
                                   ["the output"])


def _transposes(o, index=0) -> list:
    return compare.layers_of_type(_case(o, index), "Conv2DTranspose")


DECODER_BLOCK_HINTS = (
    Hint("upsample with Conv2DTranspose(n_filters, kernel_size, strides=strides, padding='same')",
         lambda o, r: len(_transposes(o)) != 1),
    Hint("use the strides argument: decoder_block(..., strides=3) upsamples 3 times",
         lambda o, r: [t["config"]["strides"] for t in _transposes(o, 1)] != [[3, 3]],
         seen=lambda o, r: "strides " + ", ".join(map(compare.shape_text, [t["config"]["strides"] for t in _transposes(o, 1)]))),
    Hint("use the kernel_size argument for the Conv2DTranspose: decoder_block(..., kernel_size=5) has a 5x5 kernel",
         lambda o, r: [t["config"]["kernel_size"] for t in _transposes(o, 1)] != [[5, 5]]),
    Hint("the Conv2DTranspose needs padding='same', so the upsampled map has the skip connection's size",
         lambda o, r: [t["config"]["padding"] for t in _transposes(o)] != ["same"]),
    Hint("join the upsampled map and the skip connection: concatenate([u, conv_output])",
         lambda o, r: not compare.layers_of_type(_case(o), "Concatenate")),
    Hint("the convolutions after the join are conv2d_block(c, n_filters, kernel_size=3), with 3x3 kernels",
         lambda o, r: _conv_settings(_case(o, 1), "kernel_size") != _conv_settings(_case(r, 1), "kernel_size"),
         seen=lambda o, r: "kernels " + ", ".join(map(compare.shape_text, _conv_settings(_case(o, 1), "kernel_size")))),
    Hint("concatenate([u, conv_output]) in that order: the upsampled map first, then the skip connection",
         lambda o, r: _case(o)["joined"] == [joined[::-1] for joined in _case(r)["joined"]],
         seen=lambda o, r: "concatenate([conv_output, u])"),
    Hint("Dropout(dropout) after the concatenation",
         lambda o, r: _rates(_case(o)) != [0.3] or _types(_case(o)) != _types(_case(r)),
         seen=lambda o, r: f"rates {_rates(_case(o))}"),
)


# --- decoder ---------------------------------------------------------------------------------------------------
# The bottleneck's output and f1-f4 of a 16x16 image, with few channels (the decoder's own filters are the lab's).
DECODER_SHAPES = ((1, 1, 16), (16, 16, 4), (8, 8, 4), (4, 4, 8), (2, 2, 8))


def probe_decoder(submission, params) -> dict:
    keras = common.keras()
    function = submission.function("decoder")
    seed = common.probe_seed(params)
    tensors = [keras.Input(shape) for shape in DECODER_SHAPES]
    with common.reference_parts(submission, ("decoder_block", "conv2d_block")):
        output = common.keras_tensor(function(tensors[0], tuple(tensors[1:]), CLASSES), "decoder")
    values = [common.seeded_normal(seed, 60 + i, (1,) + shape) for i, shape in enumerate(DECODER_SHAPES)]
    observation = _observe(keras.Model(tensors, output), values, seed)
    return {"cases": [observation], "calls": ["decoder(bottleneck, (f1, f2, f3, f4), 3) of a 16x16 image"]}


check_decoder = _model_check("four decoder blocks and the softmax output match with seeded weights",
                             "decoder of a 16x16 image's features (decoder_block replaced by the reference "
                             "one): your layers and the expected ones", ["the class probabilities"])

DECODER_HINTS = (
    Hint("join the features in the order f4, f3, f2, f1: the first decoder block takes f4, the smallest",
         lambda o, r: _case(o)["output_shapes"] != _case(r)["output_shapes"]
         and len(_transposes(o)) == 4 and [t["config"]["strides"] for t in _transposes(o)] == [[2, 2]] * 4),
    Hint("every decoder block upsamples 2 times: strides=(2, 2)",
         lambda o, r: [t["config"]["strides"] for t in _transposes(o)] != [[2, 2]] * 4,
         seen=lambda o, r: "strides " + ", ".join(map(compare.shape_text, [t["config"]["strides"] for t in _transposes(o)]))),
    Hint("four decoder blocks with 512, 256, 128 and 64 filters",
         lambda o, r: [t["config"]["filters"] for t in _transposes(o)] != DECODER_FILTERS,
         seen=lambda o, r: ", ".join(str(t["config"]["filters"]) for t in _transposes(o))),
    Hint("end with Conv2D(output_channels, (1, 1), activation='softmax'): a probability per class",
         lambda o, r: compare.activations(_case(o))[-1:] != ["softmax"],
         seen=lambda o, r: (compare.activations(_case(o))[-1:] or ["no activation"])[0]),
    Hint("the output layer is a 1x1 convolution: Conv2D(output_channels, (1, 1), activation='softmax')",
         lambda o, r: _conv_settings(_case(o), "kernel_size")[-1:] != [[1, 1]]),
    Hint("the decoder blocks' dropout is 0.3",
         lambda o, r: _rates(_case(o)) != _rates(_case(r)), seen=lambda o, r: f"rates {_rates(_case(o))}"),
)


# --- unet ----------------------------------------------------------------------------------------------------------
def probe_unet(submission, params) -> dict:
    function = submission.function("unet")
    seed = common.probe_seed(params)
    with common.reference_parts(submission, ("encoder", "encoder_block", "bottleneck", "decoder", "decoder_block",
                                             "conv2d_block")):
        model = common.require_model(function(), "unet")
    input_shapes = [shape_of(t.shape) for t in model.inputs]
    images, _ = _pets(seed, 1)
    if input_shapes != [[None, *IMAGE_SHAPE]]:
        images = np.zeros((0,), np.float32)
    from graders.authoring import modelprobe

    observation = modelprobe.describe(model)
    observation["input_shapes"] = input_shapes
    observation["outputs"] = []
    if images.size:
        modelprobe.seed_weights(model, seed)
        # every fourth pixel of the class probabilities: enough to tell models apart, small to keep
        observation["outputs"] = [o[:, ::4, ::4] for o in modelprobe.predict(model, images)]
    return observation


def check_unet(observation, reference) -> Verdict:
    figures = [common.layer_figure(observation, reference, "unet() (its parts replaced by the reference ones): "
                                                           "your layers and the expected ones")]
    if observation["input_shapes"] != reference["input_shapes"]:
        return Verdict.failed(f"the model takes {', '.join(map(compare.shape_text, observation['input_shapes']))}, "
                              f"expected {compare.shape_text(reference['input_shapes'][0])}", figures=figures)
    if observation["output_shapes"] != reference["output_shapes"]:
        return Verdict.failed(f"the model outputs {', '.join(map(compare.shape_text, observation['output_shapes']))},"
                              f" expected {compare.shape_text(reference['output_shapes'][0])}", figures=figures)
    ok, reason = common.check_outputs(observation, reference, ["the class probabilities"])
    if not ok:
        return Verdict.failed(f"{reason} with seeded weights on a pets-like image", figures=figures)
    return Verdict.passed(f"{observation['params']:,} parameters; the class probabilities match with seeded weights",
                          figures=figures)


UNET_HINTS = (
    Hint("the U-Net takes 128x128 colour images: Input(shape=(128, 128, 3))",
         lambda o, r: o["input_shapes"] != r["input_shapes"],
         seen=lambda o, r: ", ".join(map(compare.shape_text, o["input_shapes"]))),
    Hint("three output channels (pet, background, outline): decoder(..., output_channels=3)",
         lambda o, r: [s[-1] for s in o["output_shapes"]] != [CLASSES],
         seen=lambda o, r: f"{[s[-1] for s in o['output_shapes']]} channels"),
    Hint("the bottleneck goes between the encoder and the decoder: decoder(bottleneck(encoder_output), convs, 3)",
         lambda o, r: not any(row["config"].get("filters") == 1024 for row in o["layers"])),
    Hint(f"the U-Net has {PARAMS:,} parameters: encoder, bottleneck and decoder, each once",
         lambda o, r: o["params"] != r["params"], seen=lambda o, r: f"{o['params']:,} parameters"),
)


# --- create_mask ------------------------------------------------------------------------------------------------
def probe_create_mask(submission, params) -> dict:
    function = submission.function("create_mask")
    seed = common.probe_seed(params)
    _, masks = _pets(seed, 2)
    rng = np.random.default_rng([seed, 70])
    # what a half-trained model predicts: the right class likelier, with noise
    logits = 2.0 * np.eye(CLASSES)[masks[..., 0]] + rng.normal(0, 1, masks.shape[:3] + (CLASSES,))
    predictions = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype(np.float32)
    returned = function(predictions.copy())
    try:
        mask = np.asarray(returned)
    except (TypeError, ValueError):
        raise common.fail(f"create_mask returned {type(returned).__name__}; it must return the label map") from None
    if mask.dtype.kind not in "iuf":
        raise common.fail(f"create_mask returned values of type {mask.dtype}; it must return class numbers")
    return {"shape": list(mask.shape), "mask": mask.astype(np.int16),
            "argmax": predictions.argmax(-1).astype(np.uint8), "argmin": predictions[0].argmin(-1).astype(np.uint8),
            "truth": masks[..., 0].astype(np.uint8)}


def check_create_mask(observation, reference) -> Verdict:
    mine, theirs = observation["mask"], reference["mask"]
    if list(mine.shape) != list(theirs.shape):
        return Verdict.failed(f"the mask has shape {compare.shape_text(observation['shape'])}, "
                              f"expected {compare.shape_text(reference['shape'])}")
    figure = _mask_figure(observation, reference)
    if not np.array_equal(mine, theirs):
        share = float(np.mean(mine != theirs))
        return Verdict.failed(f"{share:.0%} of the pixels have another class than the expected one", figures=[figure])
    return Verdict.passed("the first image's label map, (128, 128, 1), the most likely class at every pixel",
                          figures=[figure])


def _mask_figure(observation, reference) -> Figure:
    from graders.authoring import pictures

    mine, theirs = observation["mask"][..., 0], reference["mask"][..., 0]
    row = [pictures.label_map_rgb(reference["truth"][0]), pictures.label_map_rgb(theirs),
           pictures.label_map_rgb(mine), pictures.difference_rgb(mine != theirs)]
    return Figure("create_mask of noisy predictions for a pets-like image (red: pet, green: background, "
                  "yellow: outline)",
                  png=pictures.grid_png([row], ["true mask", "expected", "yours", "differs"], scale=2))


def _shape_is(*shape):
    return lambda o, r: o["shape"] == list(shape)


def _equals(key, index=None):
    def applies(o, r) -> bool:
        made = o[key] if index is None else o[key][index]
        return list(o["mask"].shape) == list(r["mask"].shape) and np.array_equal(o["mask"][..., 0], made)
    return applies


CREATE_MASK_HINTS = (
    Hint("return the first image only: pred_mask[0], shape (128, 128, 1)", _shape_is(2, 128, 128, 1),
         seen=lambda o, r: "the whole batch, (2, 128, 128, 1)"),
    Hint("keep a channel axis: pred_mask[..., tf.newaxis], shape (128, 128, 1)", _shape_is(128, 128),
         seen=lambda o, r: "a (128, 128) map"),
    Hint("take the class of the highest probability over the last axis: tf.argmax(pred_mask, axis=-1)",
         lambda o, r: o["shape"] != r["shape"], seen=lambda o, r: f"a map of shape {compare.shape_text(o['shape'])}"),
    Hint("the first image of the batch, pred_mask[0], not pred_mask[1]", _equals("argmax", 1)),
    Hint("the class of the highest probability: tf.argmax, not tf.argmin", _equals("argmin")),
)


ASSIGNMENT = Assignment(
    id="c3w3_l2",
    title="C3W3-L2 U-Net on Oxford-IIIT Pets (practice)",
    module="c3w3_l2_unet",
    notebook_glob="C3W3*L2*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("conv2d_block", "conv2d_block", 10, probe_conv2d_block, check_conv2d_block, CONV_HINTS,
                 functions=("conv2d_block",)),
        Exercise("encoder_block", "encoder_block", 10, probe_encoder_block, check_encoder_block,
                 ENCODER_BLOCK_HINTS, functions=("encoder_block",), stand_ins=("conv2d_block",)),
        Exercise("encoder", "encoder", 15, probe_encoder, check_encoder, ENCODER_HINTS,
                 functions=("encoder",), stand_ins=("encoder_block", "conv2d_block")),
        Exercise("bottleneck", "bottleneck", 5, probe_bottleneck, check_bottleneck, BOTTLENECK_HINTS,
                 functions=("bottleneck",), stand_ins=("conv2d_block",)),
        Exercise("decoder_block", "decoder_block", 15, probe_decoder_block, check_decoder_block,
                 DECODER_BLOCK_HINTS, functions=("decoder_block",), stand_ins=("conv2d_block",)),
        Exercise("decoder", "decoder", 15, probe_decoder, check_decoder, DECODER_HINTS,
                 functions=("decoder",), stand_ins=("decoder_block", "conv2d_block")),
        Exercise("unet", "unet", 15, probe_unet, check_unet, UNET_HINTS, functions=("unet",),
                 stand_ins=("encoder", "encoder_block", "bottleneck", "decoder", "decoder_block", "conv2d_block")),
        Exercise("create_mask", "create_mask", 15, probe_create_mask, check_create_mask, CREATE_MASK_HINTS,
                 functions=("create_mask",)),
    ),
)
