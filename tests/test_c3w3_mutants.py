"""C3W3 graded end to end on typical learner mistakes (mutants) and on correct alternatives.

Each mutant is the reference solution (or a correct alternative) with one small
textual mistake that published learner notebooks make. It must lose points on
its own exercise only (the other four keep full points) and get the hint that
names the mistake as the first line of its feedback.

The alternatives under `tests/submissions/c3w3_alternatives/` are correct
solutions written differently from the reference (Sequential blocks, the older
course template, Keras 2 spellings...); they must get full marks.

Every case grades one submission with a real worker (TensorFlow is imported
once per case), exercises 1-5 only: the trained model is tested elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.shared.registry import assignment
from tests.grading_helpers import (
    assert_costs_its_exercise_only,
    feedback,
    grade,
    mutate,
    scores,
    solution_source,
    write_submission,
)

EXERCISES = ["conv_block", "FCN8", "fcn8_decoder", "compile_model", "class_wise_metrics"]
ALTERNATIVES = Path(__file__).resolve().parent / "submissions" / "c3w3_alternatives"
SUITE = assignment("c3w3")
MAX_POINTS = {e: SUITE.exercise(e).points for e in EXERCISES}


def _mutant(exercise, edits, hint, *, id, points=None, base=None, hint_in_table=True):
    """One mutant: `edits` is one (old, new) pair or a tuple of them, applied in order to `base`
    (the reference solution when None, else a file name under ALTERNATIVES); `hint` a distinctive
    part of the expected first feedback line; `points` the exact points when partial credit is due."""
    if isinstance(edits[0], str):
        edits = (edits,)
    return pytest.param(exercise, edits, hint, points, base, hint_in_table, id=id)


LEAKY = "x = tf.keras.layers.LeakyReLU()(x)"
POOL = "    x = tf.keras.layers.MaxPooling2D(pool_size=pooling_size, strides=pool_strides)(x)\n"
CONV = 'Conv2D(filters, kernel_size, padding="same")'
PADDING = "ZeroPadding2D(padding=((0, 0), (0, 96 - input_width)))"
FIRST_TRANSPOSE = ("crop them).\n    o = layers.Conv2DTranspose(n_classes, 4, strides=2, use_bias=False)(o)")
SKIP4 = 'o = layers.Add()([o, layers.Conv2D(n_classes, 1, activation="relu", padding="same")(f4)])\n'
SKIP3 = 'o = layers.Add()([o, layers.Conv2D(n_classes, 1, activation="relu", padding="same")(f3)])\n'
LOSS = 'loss="categorical_crossentropy"'

MUTANTS = [
    # --- Exercise 1: conv_block -------------------------------------------------------
    _mutant("conv_block", (LEAKY, "x = tf.keras.layers.ReLU()(x)"),
            "after each convolution, not ReLU", id="conv_block-relu-instead-of-leaky"),
    _mutant("conv_block", (POOL, ""),
            "the MaxPooling2D layer is missing", id="conv_block-no-maxpooling"),
    _mutant("conv_block",
            (POOL + "    # Normalising after pooling is the course's order; it changes the result\n"
                    "    # because the learned scale of batch norm may be negative.\n"
                    "    return tf.keras.layers.BatchNormalization()(x)",
             "    x = tf.keras.layers.BatchNormalization()(x)\n"
             "    return tf.keras.layers.MaxPooling2D(pool_size=pooling_size, strides=pool_strides)(x)"),
            "BatchNormalization comes after MaxPooling2D", id="conv_block-batchnorm-before-pooling"),
    _mutant("conv_block", ("return tf.keras.layers.BatchNormalization()(x)", "return x"),
            "BatchNormalization is missing", id="conv_block-no-batchnorm"),
    _mutant("conv_block", (CONV, 'Conv2D(filters, kernel_size, padding="valid")'),
            "need padding='same'", id="conv_block-padding-valid"),
    # Right for the course's kernel size 3, wrong for conv_block(x, 8, 5, 3, 2): half the points.
    _mutant("conv_block", (CONV, 'Conv2D(filters, 3, padding="same")'),
            "ignore the kernel_size argument", points=7.5, id="conv_block-kernel-size-hard-coded"),
    _mutant("conv_block", ("for _ in range(2):", "for _ in range(1):"),
            "the block has two Conv2D layers", id="conv_block-one-convolution"),
    # The older template with LeakyReLU as the Conv2D's activation=: another mistake there must
    # get its own hint, not "use LeakyReLU, not ReLU".
    _mutant("conv_block", ("kernel_size=strides, padding='same',\n                               "
                           "activation=tf.keras.layers.LeakyReLU())(input)",
                           "kernel_size=strides, padding='valid',\n                               "
                           "activation=tf.keras.layers.LeakyReLU())(input)"),
            "need padding='same'", base="older_template.py",
            id="conv_block-padding-valid-with-leaky-activation-argument"),

    # --- Exercise 2: FCN8 -----------------------------------------------------------------
    _mutant("FCN8", (PADDING, "ZeroPadding2D(padding=(0, 6))"),
            "padded on both sides of the width", id="FCN8-symmetric-padding"),
    _mutant("FCN8", ("conv_block(x, filters, 3, 2, 2)", "conv_block(x, filters, 2, 2, 2)"),
            "kernels other than 3x3", id="FCN8-kernel-size-2"),
    _mutant("FCN8", ("for filters in (32, 64, 128, 256, 256):", "for filters in (32, 64, 128, 256, 512):"),
            "give block 5 256 filters", id="FCN8-512-filters-in-block-5"),
    # Padding to a 96x96 square: the rows are padded too, which only the shapes showed.
    _mutant("FCN8", (PADDING, "ZeroPadding2D(padding=((0, 96 - input_height), (0, 96 - input_width)))"),
            "pad only the width, ZeroPadding2D(((0, 0), (0, 12))), not the height as well", id="FCN8-height-padded"),
    _mutant("FCN8", (f"x = tf.keras.layers.{PADDING}(img_input)", "x = img_input"),
            "must be zero-padded on the right from 84 to 96", id="FCN8-no-padding"),

    # --- Exercise 3: fcn8_decoder ---------------------------------------------------------
    _mutant("fcn8_decoder", (FIRST_TRANSPOSE, FIRST_TRANSPOSE[:-3] + "(f5)"),
            "the first Conv2DTranspose is applied to f5", id="decoder-first-transpose-on-f5"),
    _mutant("fcn8_decoder", ("Conv2DTranspose(n_classes, 8, strides=8, use_bias=False)",
                             "Conv2DTranspose(n_classes, 8, strides=8)"),
            "give the Conv2DTranspose layers use_bias=False", id="decoder-transpose-with-bias"),
    # Seen in a real notebook: every transpose takes a feature map, both Add()s still written.
    _mutant("fcn8_decoder", ((FIRST_TRANSPOSE, FIRST_TRANSPOSE[:-3] + "(f5)"),
                             ("x2 to block 3's size, the same way.\n    o = layers.Conv2DTranspose(n_classes, 4, strides=2, "
                              "use_bias=False)(o)",
                              "x2 to block 3's size, the same way.\n    o = layers.Conv2DTranspose(n_classes, 4, strides=2, "
                              "use_bias=False)(f4)"),
                             ("Conv2DTranspose(n_classes, 8, strides=8, use_bias=False)(o)",
                              "Conv2DTranspose(n_classes, 8, strides=8, use_bias=False)(f3)")),
            "each Conv2DTranspose upsamples the running output", id="decoder-transposes-on-features"),
    _mutant("fcn8_decoder", (SKIP3, ""), "the skip connection from f3 is missing", id="decoder-no-f3-skip"),
    _mutant("fcn8_decoder", (SKIP4, ""), "the skip connection from f4 is missing", id="decoder-no-f4-skip"),
    _mutant("fcn8_decoder", ((SKIP4, ""), (SKIP3, "")),
            "the skip connections are missing", id="decoder-no-skip-connections"),
    _mutant("fcn8_decoder", ('layers.Conv2D(n_classes, 1, activation="relu", padding="same")(f4)',
                             'layers.Conv2DTranspose(n_classes, 1, activation="relu", padding="same")(f4)'),
            "not a 1x1 Conv2DTranspose", id="decoder-1x1-transpose-skip"),
    _mutant("fcn8_decoder", ('layers.Activation("sigmoid")(o)', 'layers.Activation("softmax")(o)'),
            "use a sigmoid output activation, not softmax (you used softmax)", hint_in_table=False,
            id="decoder-softmax"),
    _mutant("fcn8_decoder", ("Cropping2D(cropping=((0, 0), (0, 12)))", "Cropping2D(cropping=((0, 0), (6, 6)))"),
            "not columns on the left (you used Cropping2D(((0, 0), (6, 6))))", hint_in_table=False,
            id="decoder-final-crop-both-sides"),
    _mutant("fcn8_decoder", ("Cropping2D(cropping=((0, 0), (0, 12)))", "Cropping2D(cropping=((0, 0), (12, 0)))"),
            "not columns on the left (you used Cropping2D(((0, 0), (12, 0))))", hint_in_table=False,
            id="decoder-final-crop-on-the-left"),

    # --- Exercise 4: compile_model ---------------------------------------------------------
    _mutant("compile_model", (LOSS, 'loss="sparse_categorical_crossentropy"'),
            "sparse_categorical_crossentropy expects class numbers", points=0, id="compile-sparse-loss"),
    _mutant("compile_model", (LOSS, 'loss="binary_crossentropy"'),
            "binary_crossentropy scores the 11 channels", points=6.67, id="compile-binary-loss"),
    # No hint in the table: the check itself asks for a metric; loss and optimizer keep their shares.
    _mutant("compile_model", (',\n                  metrics=["accuracy"]', ""),
            "add a metric", points=6.67, hint_in_table=False, id="compile-no-metrics"),

    # --- Exercise 5: class_wise_metrics ----------------------------------------------------
    _mutant("class_wise_metrics", ("smoothing = 1e-5", "smoothing = 0"),
            "add the smoothing term", id="metrics-no-smoothing"),
    _mutant("class_wise_metrics", ("(areas - intersection + smoothing)", "(areas + smoothing)"),
            "the IoU's denominator is the union", id="metrics-iou-without-minus-intersection"),
    _mutant("class_wise_metrics", ("2 * intersection / (areas + smoothing)", "intersection / (areas + smoothing)"),
            "the Dice score is 2 x intersection", id="metrics-dice-without-2"),
    _mutant("class_wise_metrics", ("for label in range(N_CLASSES):", "for label in range(10):"),
            "for all 11 classes", id="metrics-10-classes"),
    _mutant("class_wise_metrics", ("return class_wise_iou, class_wise_dice_score",
                                   "return class_wise_dice_score, class_wise_iou"),
            "in that order", id="metrics-iou-and-dice-swapped"),
]


def _grade_code(tmp_path: Path, code: str):
    result = grade(write_submission(tmp_path / "submission", code), exercises=EXERCISES)
    assert [e.exercise for e in result.exercises] == EXERCISES
    assert not result.load_problems, result.load_problems
    return result


def test_every_exercise_has_at_least_three_mutants():
    counts = {e: 0 for e in EXERCISES}
    for param in MUTANTS:
        counts[param.values[0]] += 1
    assert all(n >= 3 for n in counts.values()), counts


@pytest.mark.parametrize("exercise, edits, hint, points, base, hint_in_table", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only(tmp_path, exercise, edits, hint, points, base,
                                                  hint_in_table):
    if hint_in_table:  # the expected text identifies one hint of the exercise's table
        assert [h.message for h in SUITE.exercise(exercise).hints if hint in h.message], hint
        assert len([h for h in SUITE.exercise(exercise).hints if hint in h.message]) == 1, hint
    code = solution_source() if base is None else (ALTERNATIVES / base).read_text()
    for old, new in edits:
        code = mutate(code, old, new)

    assert_costs_its_exercise_only(_grade_code(tmp_path, code), "c3w3", exercise, hint, points)


ALTERNATIVE_FILES = ["sequential_blocks.py", "older_template.py", "keras2_spellings.py"]


def test_alternative_files_are_all_listed():
    assert sorted(p.name for p in ALTERNATIVES.glob("*.py")) == sorted(ALTERNATIVE_FILES)


@pytest.mark.parametrize("name", ALTERNATIVE_FILES)
def test_alternative_correct_solution_gets_full_marks(tmp_path, name):
    result = _grade_code(tmp_path, (ALTERNATIVES / name).read_text())
    got, said = scores(result), feedback(result)
    assert got == MAX_POINTS, {e: said[e] for e in EXERCISES if got[e] < MAX_POINTS[e]}
    assert all(e.status == "passed" for e in result.exercises)

    notes = {e.exercise: e.notes for e in result.exercises}
    if name == "keras2_spellings.py":
        # Accepted, but the learner is told what Keras 3 calls it.
        assert "note:" in said["compile_model"] and "`lr=`" in said["compile_model"], said["compile_model"]
        assert any("learning_rate" in n for n in notes["compile_model"]), notes
        assert any("metrics='accuracy'" in n for n in notes["compile_model"]), notes
        assert any("alpha" in n for n in notes["conv_block"]), notes
    else:
        assert not any(notes.values()), notes


# --- Library drift costs nothing: the optimizer of Ex4 is the learner's choice -----------------------
COMPILE = "optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3)"
ADDONS_IMPORT = ("import tensorflow as tf\n", "import tensorflow as tf\nimport tensorflow_addons as tfa\n")
DRIFT = [
    pytest.param("compile_model", (ADDONS_IMPORT, (COMPILE, "optimizer=tfa.optimizers.RectifiedAdam(learning_rate=1e-3)")),
                 "`tfa.optimizers.RectifiedAdam` was replaced by a stand-in", id="tfa-rectified-adam"),
    pytest.param("compile_model", (ADDONS_IMPORT, (COMPILE, "optimizer=tfa.optimizers.Lookahead("
                                                   "tfa.optimizers.RectifiedAdam(1e-3), sync_period=6)")),
                 "`tfa.optimizers.Lookahead` was replaced by a stand-in", id="tfa-lookahead"),
    pytest.param("class_wise_metrics", (("class_wise_iou.append(intersection /",
                                         "class_wise_iou.append(np.float(intersection) /"),
                                        ("import tensorflow as tf\n", "import numpy as np\nimport tensorflow as tf\n")),
                 "`np.float` was removed in NumPy 2; accepted, but use `float`", id="np-float"),
]


@pytest.mark.parametrize("exercise, edits, note", DRIFT)
def test_library_drift_costs_nothing_and_leaves_a_note(tmp_path, exercise, edits, note):
    code = solution_source()
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path / "submission", code), exercises=[exercise])
    assert not result.load_problems, result.load_problems
    (graded,) = result.exercises
    assert graded.points == graded.max_points and graded.status == "passed", graded.output_text()
    assert any(note in n for n in graded.notes), graded.notes
    if exercise == "compile_model":
        assert "replaced by a stand-in, so the loss and metrics were graded" in graded.feedback, graded.feedback


def test_the_addons_stand_in_still_needs_a_loss_that_fits(tmp_path):
    """The stand-in excuses the optimizer only: a wrong loss beside it still costs the exercise."""
    code = mutate(solution_source(), *ADDONS_IMPORT)
    code = mutate(code, COMPILE, "optimizer=tfa.optimizers.RectifiedAdam(learning_rate=1e-3)")
    code = mutate(code, LOSS, 'loss="sparse_categorical_crossentropy"')
    result = grade(write_submission(tmp_path / "submission", code), exercises=["compile_model"])
    (graded,) = result.exercises
    assert graded.points == 0, graded.output_text()
    assert "sparse_categorical_crossentropy expects class numbers" in graded.feedback, graded.feedback
