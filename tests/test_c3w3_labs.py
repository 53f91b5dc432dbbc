"""The week 3 labs C3W3-L2 (U-Net) and C3W3-L1 (FCN-8) as practice suites: solutions full marks,
stubs zero, and mutants that lose points on their own exercise only, with their hint (every
exercise at least three). A mutant changes one function, and later exercises run with the
reference versions of the functions they call, so each mutant grades its own exercise only."""

from __future__ import annotations

import numpy as np
import pytest

from graders.shared.registry import assignment
from tests.grading_helpers import (
    assert_costs_its_exercise_only,
    assert_solutions_full_and_stubs_zero,
    feedback,
    grade,
    mutants_per_exercise,
    mutate,
    solution_source,
    write_submission,
)

LABS = {"c3w3_l2": "c3w3_l2_unet", "c3w3_l1": "c3w3_l1_fcn8"}


def _mutant(lab, exercise, edits, hint, *, id, points=None):
    if isinstance(edits[0], str):
        edits = (edits,)
    return pytest.param(lab, exercise, edits, hint, points, id=id)


U_CONV = 'kernel_initializer="he_normal", padding="same")(x)'
U_RELU = 'x = tf.keras.layers.Activation("relu")(x)'
U_POOL = "p = tf.keras.layers.MaxPooling2D(pool_size=pool_size)(f)"
U_DROP = "p = tf.keras.layers.Dropout(dropout)(p)"
U_BOTTLENECK = "return conv2d_block(inputs, n_filters=1024)"
U_UP = 'u = tf.keras.layers.Conv2DTranspose(n_filters, kernel_size, strides=strides, padding="same")(inputs)'
U_JOINED = "c = tf.keras.layers.concatenate([u, conv_output])"
U_OUT = 'outputs = tf.keras.layers.Conv2D(output_channels, (1, 1), activation="softmax")(c9)'
U_ARGMAX = "pred_mask = tf.argmax(pred_mask, axis=-1)"
F_CONV = 'padding="same", name=f"{block_name}_conv{i + 1}")(x)'
F_IOU = "iou = (intersection + smoothening_factor) / (combined_area - intersection + smoothening_factor)"
F_DICE = "dice_score = 2 * ((intersection + smoothening_factor) / (combined_area + smoothening_factor))"
F_SKIP3 = "o = tf.keras.layers.Add()([o, o2])\n    o = tf.keras.layers.Conv2DTranspose(n_classes, kernel_size=(8, 8)"
F_PROJECT4 = 'o2 = f4\n    o2 = tf.keras.layers.Conv2D(n_classes, (1, 1), activation="relu", padding="same")(o2)'

MUTANTS = [
    # --- C3W3-L2 -------------------------------------------------------------------------
    _mutant("c3w3_l2", "conv2d_block", ("for _ in range(2):", "for _ in range(1):"), "two Conv2D layers",
            id="u-one-conv"),
    _mutant("c3w3_l2", "conv2d_block", (U_RELU, U_RELU.replace("relu", "linear")), "a relu after each convolution",
            id="u-no-relu"),
    _mutant("c3w3_l2", "conv2d_block", (U_CONV, U_CONV.replace("same", "valid")), "padding='same'",
            id="u-valid"),
    _mutant("c3w3_l2", "conv2d_block", ("kernel_size=(kernel_size, kernel_size)", "kernel_size=(3, 3)"),
            "use the kernel_size argument", id="u-kernel-ignored", points=5),
    _mutant("c3w3_l2", "conv2d_block", ('kernel_initializer="he_normal", ', ""), "kernel_initializer='he_normal'",
            id="u-glorot", points=5),
    _mutant("c3w3_l2", "encoder_block", ("return f, p", "return p, f"), "return (f, p) in that order",
            id="u-block-swapped"),
    _mutant("c3w3_l2", "encoder_block", (U_POOL, "p = f"), "pool the block's features", id="u-no-pooling"),
    _mutant("c3w3_l2", "encoder_block", (U_DROP, U_DROP.replace("(dropout)", "(0.5)")), "Dropout(0.3)",
            id="u-dropout-05", points=5),
    _mutant("c3w3_l2", "encoder_block", ((U_POOL, "p = tf.keras.layers.Dropout(dropout)(f)"),
                                         (U_DROP, "p = tf.keras.layers.MaxPooling2D(pool_size=pool_size)(p)")),
            "the dropout comes after the pooling", id="u-dropout-first", points=5),
    _mutant("c3w3_l2", "encoder", ("f2, p2 = encoder_block(p1, n_filters=128", "f2, p2 = encoder_block(p1, n_filters=64"),
            "64, 128, 256 and 512 filters", id="u-encoder-filters"),
    _mutant("c3w3_l2", "encoder", ("encoder_block(p1,", "encoder_block(f1,"), "previous block's pooled output",
            id="u-encoder-features-chained"),
    _mutant("c3w3_l2", "encoder", ("return p4, (f1, f2, f3, f4)", "return f4, (f1, f2, f3, f4)"), "return p4",
            id="u-encoder-f4"),
    _mutant("c3w3_l2", "encoder", ("return p4, (f1, f2, f3, f4)", "return p4, (f4, f3, f2, f1)"),
            "in the order (f1, f2, f3, f4)", id="u-encoder-reversed"),
    _mutant("c3w3_l2", "bottleneck", (U_BOTTLENECK, U_BOTTLENECK.replace("1024", "512")), "n_filters=1024",
            id="u-bottleneck-512"),
    _mutant("c3w3_l2", "bottleneck", (U_BOTTLENECK, U_BOTTLENECK.replace(
        "(inputs,", "(tf.keras.layers.MaxPooling2D()(inputs),")), "no pooling in the bottleneck", id="u-bottleneck-pooled"),
    _mutant("c3w3_l2", "bottleneck", (U_BOTTLENECK, U_BOTTLENECK.replace(")", ", kernel_size=5)")), "3x3 kernels",
            id="u-bottleneck-kernel-5"),
    _mutant("c3w3_l2", "decoder_block", (U_JOINED, U_JOINED.replace("[u, conv_output]", "[conv_output, u]")),
            "concatenate([u, conv_output]) in that order", id="u-joined-swapped"),
    _mutant("c3w3_l2", "decoder_block", (U_UP, U_UP.replace("(n_filters, kernel_size,", "(n_filters, 3,")),
            "use the kernel_size argument for the Conv2DTranspose", id="u-up-kernel-3", points=7.5),
    _mutant("c3w3_l2", "decoder_block", ("c = tf.keras.layers.Dropout(dropout)(c)\n    ", ""),
            "Dropout(dropout) after the concatenation", id="u-up-no-dropout", points=7.5),
    _mutant("c3w3_l2", "decoder_block", ("c = conv2d_block(c, n_filters, kernel_size=3)",
                                         "c = conv2d_block(c, n_filters, kernel_size=kernel_size)"),
            "conv2d_block(c, n_filters, kernel_size=3)", id="u-up-block-kernel", points=7.5),
    _mutant("c3w3_l2", "decoder", (U_OUT, U_OUT.replace("softmax", "sigmoid")), "activation='softmax'",
            id="u-sigmoid"),
    _mutant("c3w3_l2", "decoder", ("c7 = decoder_block(c6, f3, n_filters=256", "c7 = decoder_block(c6, f3, n_filters=128"),
            "512, 256, 128 and 64 filters", id="u-decoder-filters"),
    _mutant("c3w3_l2", "decoder", ("strides=(2, 2), dropout=0.3)\n    c8", "strides=(2, 2), dropout=0.5)\n    c8"),
            "dropout is 0.3", id="u-decoder-dropout", points=7.5),
    _mutant("c3w3_l2", "decoder", (U_OUT, U_OUT.replace("(1, 1), ", '(3, 3), padding="same", ')),
            "1x1 convolution", id="u-output-3x3"),
    _mutant("c3w3_l2", "unet", ("Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))", "Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1))"),
            "Input(shape=(128, 128, 3))", id="u-grey-input"),
    _mutant("c3w3_l2", "unet", ("output_channels=OUTPUT_CHANNELS", "output_channels=2"), "three output channels",
            id="u-two-channels"),
    _mutant("c3w3_l2", "unet", ("outputs = decoder(bottle_neck,", "outputs = decoder(encoder_output,"),
            "the bottleneck goes between", id="u-no-bottleneck"),
    _mutant("c3w3_l2", "create_mask", (U_ARGMAX, U_ARGMAX.replace("axis=-1", "axis=1")), "over the last axis",
            id="u-mask-axis-1"),
    _mutant("c3w3_l2", "create_mask", ("pred_mask = pred_mask[..., tf.newaxis]\n    ", ""), "keep a channel axis",
            id="u-mask-no-channel"),
    _mutant("c3w3_l2", "create_mask", ("return pred_mask[0]", "return pred_mask"), "return the first image only",
            id="u-mask-batch"),
    _mutant("c3w3_l2", "create_mask", ("return pred_mask[0]", "return pred_mask[1]"), "not pred_mask[1]",
            id="u-mask-second"),
    _mutant("c3w3_l2", "create_mask", (U_ARGMAX, U_ARGMAX.replace("argmax", "argmin")), "not tf.argmin",
            id="u-mask-argmin"),
    # --- C3W3-L1: the 135-million-parameter exercises (VGG_16, segmentation_model) keep to three ---
    _mutant("c3w3_l1", "block", (F_CONV, F_CONV.replace("same", "valid")), "padding='same'", id="f-valid"),
    _mutant("c3w3_l1", "block", ("kernel_size=kernel_size, activation=activation,", 'kernel_size=kernel_size, activation="relu",'), "use the activation argument",
            id="f-relu-always", points=7.5),
    _mutant("c3w3_l1", "block", (F_CONV, F_CONV.replace("{i + 1}", "{i}")), "name the convolutions",
            id="f-conv-names", points=7.5),
    _mutant("c3w3_l1", "block", ("strides=pool_stride, name", "strides=pool_size, name"), "strides=pool_stride",
            id="f-pool-stride"),
    _mutant("c3w3_l1", "VGG_16", ("    vgg.load_weights(vgg_weights_path)\n", ""), "vgg.load_weights(vgg_weights_path)",
            id="f-not-loaded", points=12.5),
    _mutant("c3w3_l1", "VGG_16", ("return (p1, p2, p3, p4, c7)", "return (p1, p2, p3, p4, p5)"), "return c7",
            id="f-p5-returned"),
    _mutant("c3w3_l1", "VGG_16", ("Conv2D(n, (7, 7)", "Conv2D(n, (3, 3)"), "conv6 is Conv2D(4096, (7, 7)",
            id="f-conv6-3x3"),
    _mutant("c3w3_l1", "fcn8_decoder", ("strides=(2, 2), use_bias=False)(f5)", "strides=(2, 2), use_bias=True)(f5)"),
            "use_bias=False", id="f-bias"),
    _mutant("c3w3_l1", "fcn8_decoder", ('Activation("softmax")', 'Activation("sigmoid")'), "Activation('softmax')",
            id="f-sigmoid"),
    _mutant("c3w3_l1", "fcn8_decoder", (F_SKIP3, F_SKIP3.split("\n    ")[1]), "skip connection from f3 is missing",
            id="f-no-f3-skip"),
    _mutant("c3w3_l1", "fcn8_decoder", (F_PROJECT4, F_PROJECT4.replace('activation="relu", ', "")),
            "use activation='relu'", id="f-f4-projection-linear"),
    _mutant("c3w3_l1", "segmentation_model", ("Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))", "Input(shape=(256, 256, 3))"),
            "Input(shape=(224, 224, 3))", id="f-input-256"),
    _mutant("c3w3_l1", "segmentation_model", ("fcn8_decoder(convs, N_CLASSES)", "fcn8_decoder(convs, 11)"),
            "twelve classes", id="f-11-classes"),
    _mutant("c3w3_l1", "segmentation_model", ("outputs = fcn8_decoder(convs, N_CLASSES)", "outputs = convs[-1]"),
            "the model's output is the decoder's", id="f-encoder-output"),
    _mutant("c3w3_l1", "compute_metrics", ((F_IOU, F_IOU.replace("(intersection + smoothening_factor)", "intersection")),
                                           (F_DICE, F_DICE.replace("(intersection + smoothening_factor)", "intersection"))),
            "to the intersection too", id="f-smoothing-below-only"),
    _mutant("c3w3_l1", "compute_metrics", (F_DICE, F_DICE.replace("2 * ", "")), "the factor 2 is missing",
            id="f-dice-without-2"),
    _mutant("c3w3_l1", "compute_metrics", (F_IOU, F_IOU.replace(" - intersection", "")), "the union",
            id="f-iou-not-union"),
    _mutant("c3w3_l1", "compute_metrics", ("return class_wise_iou, class_wise_dice_score",
                                           "return class_wise_dice_score, class_wise_iou"), "in that order",
            id="f-metrics-swapped"),
    _mutant("c3w3_l1", "compute_metrics", ("for i in range(N_CLASSES)", "for i in range(11)"), "all 12 classes",
            id="f-11-metrics"),
]


@pytest.mark.parametrize("lab, exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, lab, exercise, edits, hint, points):
    code = solution_source(LABS[lab])
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, LABS[lab]), lab, exercises=[exercise])
    assert_costs_its_exercise_only(result, lab, exercise, hint, points)


@pytest.mark.parametrize("lab", LABS)
def test_every_lab_exercise_has_at_least_three_mutants(lab):
    counts = mutants_per_exercise(MUTANTS, lab)
    assert all(count >= 3 for count in counts.values()), counts


@pytest.mark.parametrize("lab", LABS)
def test_solutions_full_marks_and_stubs_zero(lab):
    assert not assignment(lab).counts_for_grade and assignment(lab).max_points == 100
    assert_solutions_full_and_stubs_zero(lab)


EQUIVALENTS = [
    # The course's own spellings: relu as the convolution's activation, the encoder block with its
    # pooling and dropout hard-coded, the decoder's strides as an int, a NumPy create_mask.
    pytest.param("c3w3_l2", (
        ('kernel_initializer="he_normal", padding="same")(x)\n        x = tf.keras.layers.Activation("relu")(x)',
         'kernel_initializer="he_normal", padding="same", activation="relu")(x)'),
        (U_POOL, "p = tf.keras.layers.MaxPooling2D((2, 2))(f)"),
        (U_DROP, "p = tf.keras.layers.Dropout(0.3)(p)"),
        (U_JOINED, "c = tf.keras.layers.Concatenate()([u, conv_output])"),
        ("pred_mask = tf.argmax(pred_mask, axis=-1)\n    pred_mask = pred_mask[..., tf.newaxis]\n    return pred_mask[0]",
         "return np.argmax(pred_mask[0], axis=-1)[:, :, None]"),
        ("import tensorflow as tf", "import numpy as np\nimport tensorflow as tf")), id="u-course-spellings"),
]

# C3W3-L1's cheap exercises only: Keras' own name for the pooling (block1_pool), and the metrics
# computed with a confusion matrix.
FCN8_EQUIVALENTS = (
    ('name=f"{block_name}_pool{i + 1}"', 'name=f"{block_name}_pool"'),
    ("    class_wise_iou = []\n    class_wise_dice_score = []\n",
     "    pairs = np.bincount(np.ravel(y_true) * N_CLASSES + np.ravel(y_pred), minlength=N_CLASSES ** 2)\n"
     "    pairs = pairs.reshape(N_CLASSES, N_CLASSES)\n"
     "    inter, areas = np.diag(pairs), pairs.sum(0) + pairs.sum(1)\n"
     "    s = 1e-5\n"
     "    return list((inter + s) / (areas - inter + s)), list(2 * (inter + s) / (areas + s))\n"),
)


def test_fcn8_equivalent_block_and_metrics_get_full_marks(tmp_path):
    code = solution_source("c3w3_l1_fcn8")
    for old, new in FCN8_EQUIVALENTS:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, "c3w3_l1_fcn8"), "c3w3_l1", exercises=["block", "compute_metrics"])
    assert result.points == 35, feedback(result)


@pytest.mark.parametrize("lab, edits", EQUIVALENTS)
def test_equivalent_solutions_get_full_marks(tmp_path, lab, edits):
    code = solution_source(LABS[lab])
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, LABS[lab]), lab)
    assert result.points == 100, feedback(result)


def test_pets_set_is_deterministic_with_trimaps_the_course_shifts_to_classes():
    from graders.data import pets

    images, masks = pets.load_split("test", 4)
    again, same = pets.load_split("test", 4)
    assert images.shape == (4, 128, 128, 3) and images.dtype == np.uint8 and masks.shape == (4, 128, 128, 1)
    assert np.array_equal(images, again) and np.array_equal(masks, same)
    assert set(np.unique(masks)) == {1, 2, 3}
    other, _ = pets.load_split("train", 4)
    assert not np.array_equal(images, other)
    x, y = pets.normalize(images, masks)
    assert x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1 and set(np.unique(y)) == {0, 1, 2}
    # the outline lies between the pet and the background: no pet pixel touches the background
    pet, background = masks[..., 0] == 1, masks[..., 0] == 2
    assert not (pet[:, 1:] & background[:, :-1]).any() and not (pet[:, :-1] & background[:, 1:]).any()
