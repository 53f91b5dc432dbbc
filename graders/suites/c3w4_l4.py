"""Lab C3W4-L4 "Grad-CAM", as a practice suite.

The probes give the learner's code a small convolutional classifier of the
project's own with seeded weights, and three of scikit-image's photographs
(the cat, the coffee cup, the astronaut). Grad-CAM needs no trained network to
be computed right: seeded weights give real gradients and real maps, which
the learner's code must reproduce for every class at several layers. It
scores like an assignment but counts for nothing in a grade.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.authoring import Assignment, Exercise, Figure, Hint, Verdict, compare, shape_of
from graders.suites import common

IMAGE_SHAPE = (64, 96, 3)  # not square, so height and width cannot be swapped unseen
CLASSES = 4
CONVOLUTIONS = ("conv1", "conv2", "conv3", "conv4")  # 64x96, 32x48, 16x24, 8x12
PHOTOGRAPHS = ("chelsea.png", "coffee.png", "astronaut.png")
# (photograph, or None for a black image; layer): every class's map is asked for each case.
# The black image at conv1, whose biases are all negative, has no activation: its maps are all zero
# (as are those of classes nothing in a picture speaks for).
CASES = (("chelsea.png", "conv4"), ("coffee.png", "conv3"), ("astronaut.png", "conv4"),
         ("chelsea.png", "conv2"), (None, "conv1"))
TOLERANCE = 1e-3  # the maps lie in [0, 1]


@functools.lru_cache(maxsize=None)
def image(name: str | None) -> np.ndarray:
    """A photograph resized to IMAGE_SHAPE, in [0, 1] (float32); None: a black image. Plain PIL,
    so the trusted side draws the same pictures for the report."""
    from PIL import Image

    from graders.data.localization import photograph

    if name is None:
        return np.zeros(IMAGE_SHAPE, dtype=np.float32)
    resized = Image.fromarray(photograph(name)).resize(IMAGE_SHAPE[1::-1], Image.BILINEAR)
    return np.asarray(resized, dtype=np.float32) / 255


def _network(seed: int):
    """The classifier the probes explain: four named 3x3 convolutions (pooled between), global
    average pooling and a softmax over CLASSES, with seeded weights."""
    from graders.authoring import modelprobe

    keras = common.keras()
    inputs = x = keras.Input(IMAGE_SHAPE)
    for index, (name, filters) in enumerate(zip(CONVOLUTIONS, (16, 32, 32, 64))):
        if index:
            x = keras.layers.MaxPooling2D(2)(x)
        x = keras.layers.Conv2D(filters, 3, activation="relu", padding="same", name=name)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax", name="predictions")(x))
    modelprobe.seed_weights(model, seed)
    first = model.get_layer(CONVOLUTIONS[0])
    kernel, bias = first.get_weights()
    first.set_weights([kernel, -np.abs(bias) - 0.05])  # dark pixels stay dark: black in, zeros out
    return model


# --- gradient_model -------------------------------------------------------------------------------
def probe_gradient_model(submission, params) -> dict:
    from graders.authoring import modelprobe

    function = submission.function("gradient_model")
    network = _network(common.probe_seed(params))
    images = np.stack([image(name) for name in PHOTOGRAPHS[:2]])
    found = {}
    for layer_name in ("conv4", "conv3"):
        model = common.require_model(function(network, layer_name), "gradient_model")
        found[layer_name] = {"output_shapes": [shape_of(t.shape) for t in model.outputs],
                             "output_layers": [t._keras_history[0].name for t in model.outputs],
                             "outputs": modelprobe.predict(model, images)}
    return {"layers": found}


def check_gradient_model(observation, reference) -> Verdict:
    for layer_name, expected in reference["layers"].items():
        mine = observation["layers"][layer_name]
        if mine["output_shapes"] != expected["output_shapes"]:
            shapes = ", ".join(map(compare.shape_text, mine["output_shapes"]))
            return Verdict.failed(f"for layer_name={layer_name!r} the model's outputs are {shapes}, expected "
                                  f"{', '.join(map(compare.shape_text, expected['output_shapes']))}: "
                                  "(the layer's feature maps, the class scores)")
        ok, reason = common.check_outputs(mine, expected, ["the feature maps", "the class scores"], TOLERANCE)
        if not ok:
            return Verdict.failed(f"for layer_name={layer_name!r}, {reason}")
    return Verdict.passed("the feature maps of the named layer and the class scores match, for two layers")


def _layer_outputs(o) -> list:
    return [o["layers"][name]["output_layers"] for name in sorted(o["layers"])]


GRADIENT_MODEL_HINTS = (
    Hint("the model has two outputs: (the named layer's output, the model's output)",
         lambda o, r: any(len(layers) != 2 for layers in _layer_outputs(o))),
    Hint("the outputs come in the order (feature maps, predictions)",
         lambda o, r: all(mine == theirs[::-1] for mine, theirs in zip(_layer_outputs(o), _layer_outputs(r)))),
    Hint("the feature maps are the output of the layer named layer_name: model.get_layer(layer_name).output",
         lambda o, r: any(mine[0] != theirs[0] for mine, theirs in zip(_layer_outputs(o), _layer_outputs(r)))),
    Hint("the second output is the model's own output, the class scores: model.output",
         lambda o, r: any(mine[1] != theirs[1] for mine, theirs in zip(_layer_outputs(o), _layer_outputs(r)))),
)


# --- grad_cam -------------------------------------------------------------------------------------------
# Ways of weighting the feature maps that real learners wrote, computed here on MISTAKE_CASE (at a
# layer the pooling does not follow directly, where a gradient varies from pixel to pixel), so a
# hint can say which one the learner's maps are.
WEIGHTINGS = {"raw_gradients": None, "channel_mean": -1}
MISTAKE_CASE = 1  # coffee.png at conv3


def weighted_maps(network, picture: np.ndarray, layer_name: str, axis) -> np.ndarray:
    """Grad-CAM maps of every class, the gradients averaged over `axis` (None: not averaged, each
    pixel weighted by its own gradient); the rest as the course does it."""
    import tensorflow as tf

    keras = common.keras()
    explainer = keras.Model(network.inputs, (network.get_layer(layer_name).output, network.output))
    batch = tf.convert_to_tensor(picture[np.newaxis])
    found = []
    for class_index in range(CLASSES):
        with tf.GradientTape() as tape:
            activations, predictions = explainer(batch)
            score = predictions[:, class_index]
        gradients = tape.gradient(score, activations)
        weights = gradients if axis is None else tf.reduce_mean(gradients, axis=axis, keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(weights * activations, axis=-1))
        heat = tf.image.resize(cam[..., tf.newaxis], IMAGE_SHAPE[:2], method="bilinear")[0, ..., 0].numpy()
        found.append(heat / heat.max() if heat.max() > 0 else heat)
    return np.stack(found).astype(np.float32)


def probe_grad_cam(submission, params) -> dict:
    """The learner's heat map for every class of every case."""
    function = submission.function("grad_cam")
    network = _network(common.probe_seed(params))
    cases = []
    with common.reference_parts(submission, ("gradient_model",)):
        for picture, layer_name in ((image(name), layer_name) for name, layer_name in CASES):
            maps = []
            for class_index in range(CLASSES):
                returned = function(network, picture.copy(), layer_name, class_index)
                try:
                    maps.append(np.asarray(returned, dtype=np.float32))
                except (TypeError, ValueError):
                    raise common.fail(f"grad_cam returned {type(returned).__name__}; it must return the "
                                      "heat map as an array") from None
            same_shape = len({m.shape for m in maps}) == 1
            cases.append({"layer": layer_name, "layer_shape": shape_of(network.get_layer(layer_name).output.shape),
                          # maps of mixed shapes cannot be stacked: none, and the check says why
                          "shape": list(maps[0].shape), "maps": np.stack(maps) if same_shape else np.zeros((0,))})
    name, layer_name = CASES[MISTAKE_CASE]
    return {"cases": cases, "mistakes": {mistake: weighted_maps(network, image(name), layer_name, axis)
                                         for mistake, axis in WEIGHTINGS.items()}}


def case_name(index: int) -> str:
    name, layer_name = CASES[index]
    return f"{'a black image' if name is None else name} at {layer_name!r}"


def check_grad_cam(observation, reference) -> Verdict:
    mine, theirs = observation["cases"], reference["cases"]
    for index, (case, expected) in enumerate(zip(mine, theirs)):
        if case["shape"] != expected["shape"] or case["maps"].size == 0:
            return Verdict.failed(f"the heat map of {case_name(index)} has shape "
                                  f"{compare.shape_text(case['shape'])}, expected the image's "
                                  f"{compare.shape_text(expected['shape'])}")
    figure = _grad_cam_figure(observation, reference)
    for index, (case, expected) in enumerate(zip(mine, theirs)):
        active = _active(expected["maps"])
        ok, reason = compare.check_array(case["maps"][active], expected["maps"][active],
                                         f"the heat maps of {case_name(index)}", TOLERANCE)
        if not ok:
            return Verdict.failed(reason, figures=[figure])
    for index, (case, expected) in enumerate(zip(mine, theirs)):
        silent = ~_active(expected["maps"])
        if not compare.check_array(case["maps"][silent], expected["maps"][silent], tolerance=TOLERANCE)[0]:
            found = "NaN" if np.isnan(case["maps"][silent]).any() else "other values"
            return Verdict(common.FORM_SHARE, f"where nothing speaks for a class (in {case_name(index)}) its heat map "
                                 f"should be zero everywhere, but it holds {found}", figures=[figure])
    return Verdict.passed(f"the heat maps of all {CLASSES} classes match at four layers, and the maps "
                          "with nothing to show stay zero", figures=[figure])


def _active(maps: np.ndarray) -> np.ndarray:
    """Which classes' expected maps show something; the others are zero everywhere."""
    return maps.reshape(len(maps), -1).max(axis=1) > 0


def _grad_cam_figure(observation, reference) -> Figure:
    from graders.authoring import pictures

    rows, captions = [], []
    for index, (name, layer_name) in enumerate(CASES):
        if name is None:
            continue
        picture = (image(name) * 255).astype(np.uint8)
        mine, theirs = observation["cases"][index]["maps"][0], reference["cases"][index]["maps"][0]
        rows.append([picture, pictures.heat_rgb(mine), pictures.heat_rgb(theirs),
                     pictures.heat_rgb(np.abs(mine - theirs))])
        captions.append([f"{name}, {layer_name}, class 0", "", "", ""])
    return Figure("Grad-CAM heat maps for class 0 (black 0, white 1) and their difference",
                  png=pictures.grid_png(rows, ["image", "yours", "expected", "difference"], scale=2,
                                        captions=captions))


def _real_maps(o) -> list[np.ndarray]:
    return [case["maps"] for case, (name, _) in zip(o["cases"], CASES) if name is not None]


def _not_upscaled(o, r) -> bool:
    return any(case["shape"] != expected["shape"] and case["shape"] == case["layer_shape"][1:3]
               for case, expected in zip(o["cases"], r["cases"]))


def _swapped(o, r) -> bool:
    return any(case["shape"] == expected["shape"][::-1] for case, expected in zip(o["cases"], r["cases"]))


def _nan_where_zero(o, r) -> bool:
    return any(np.isnan(case["maps"]).any() for case in o["cases"])


def _negative(o, r) -> bool:
    return any((maps < -TOLERANCE).any() for maps in _real_maps(o))


def _not_normalised(o, r) -> bool:
    peaks = np.concatenate([maps.reshape(len(maps), -1).max(axis=1) for maps in _real_maps(o)])
    return not np.allclose(peaks[peaks > 0], 1.0, atol=TOLERANCE)


def _another_class(o, r) -> bool:
    """A wrong map that equals the expected map of another class (one with something to show)."""
    for maps, expected in zip(_real_maps(o), _real_maps(r)):
        shown = _active(expected)
        for c in range(CLASSES):
            if compare.check_array(maps[c], expected[c], tolerance=TOLERANCE)[0]:
                continue
            if any(compare.check_array(maps[c], expected[other], tolerance=TOLERANCE)[0]
                   for other in range(CLASSES) if other != c and shown[other]):
                return True
    return False


def _blocky(o, r) -> bool:
    """Nearest-neighbour resizing keeps one value per feature-map cell."""
    return all(len(np.unique(maps[c])) <= int(np.prod(case["layer_shape"][1:3]))
               for case, maps in zip(o["cases"], _real_maps(o)) for c in range(CLASSES))


def _weighted_like(mistake: str):
    """The learner's maps of MISTAKE_CASE are those of a known wrong weighting (and not right)."""
    def applies(o, r) -> bool:
        mine = o["cases"][MISTAKE_CASE]["maps"]
        if mine.shape != o["mistakes"][mistake].shape:
            return False
        right = compare.check_array(mine, r["cases"][MISTAKE_CASE]["maps"], tolerance=TOLERANCE)[0]
        return not right and compare.check_array(mine, o["mistakes"][mistake], tolerance=TOLERANCE)[0]
    return applies


GRAD_CAM_HINTS = (
    Hint("resize the map to the image's height and width: tf.image.resize(cam[..., None], "
         "(image.shape[0], image.shape[1]))", _not_upscaled),
    Hint("height and width are swapped: tf.image.resize takes (height, width), cv2.resize takes "
         "(width, height)", _swapped),
    Hint("when the map is zero everywhere, return it as it is: dividing by its maximum (0) gives NaN",
         _nan_where_zero),
    Hint("apply relu to the weighted sum of the feature maps: the heat map shows only what speaks for "
         "the class, so it has no negative values", _negative),
    Hint("divide the map by its maximum after resizing it, so its largest value is 1", _not_normalised),
    Hint("take the gradient of the given class's score, predictions[:, class_index], not another class's",
         _another_class),
    Hint("resize bilinearly (method='bilinear'), not to the nearest neighbour", _blocky),
    Hint("weight each feature map by its gradient averaged over height and width, "
         "tf.reduce_mean(gradients, axis=(1, 2)), not by the gradients themselves",
         _weighted_like("raw_gradients"), seen=lambda o, r: "each pixel's own gradient as its weight"),
    Hint("average the gradients over height and width, axis=(1, 2), not over the feature maps",
         _weighted_like("channel_mean"), seen=lambda o, r: "the mean over the channels, axis=-1"),
)


ASSIGNMENT = Assignment(
    id="c3w4_l4",
    title="C3W4-L4 Grad-CAM (practice)",
    module="c3w4_l4_gradcam",
    notebook_glob="C3W4*L4*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("gradient_model", "gradient_model", 30, probe_gradient_model, check_gradient_model,
                 GRADIENT_MODEL_HINTS, functions=("gradient_model",)),
        Exercise("grad_cam", "grad_cam", 70, probe_grad_cam, check_grad_cam, GRAD_CAM_HINTS,
                 functions=("grad_cam",), stand_ins=("gradient_model",)),
    ),
)
