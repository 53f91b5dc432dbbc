"""C3W4 graded end to end on typical learner mistakes (mutants).

Each mutant is the reference solution with one mistake learners make. It must
lose points on its own exercise only and get the hint that names the mistake as
the first line of its feedback. The wrong gradients of do_salience are told apart
by behaviour alone: the maps the learner's function writes to disk.
"""

from __future__ import annotations

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

MODULE = "c3w4_saliency"
SUITE = assignment("c3w4")
EXERCISES = [e.id for e in SUITE.exercises if e.id != "trained_model"]
MAX_POINTS = {e: SUITE.exercise(e).points for e in EXERCISES}

TO_RGB = "picture = cv2.cvtColor(cv2.imread(image), cv2.COLOR_BGR2RGB)"
RESIZE = "picture = cv2.resize(picture, (IMAGE_SIZE, IMAGE_SIZE)) / 255.0"
GREY = "grayscale = tf.reduce_sum(tf.abs(gradients), axis=-1)[0]"
STRETCH = "stretched = tf.math.divide_no_nan(grayscale - low, high - low) * 255"
SAVE = "cv2.imwrite(prefix + image, salient, [cv2.IMWRITE_JPEG_QUALITY, 100])"
GAP = "        layers.GlobalAveragePooling2D(),\n"
SOFTMAX = 'layers.Dense(NUM_CLASSES, activation="softmax")'
LOSS = 'model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],'
OPTIMIZER = "optimizer=tf.keras.optimizers.RMSprop(learning_rate=0.001))"


def _mutant(exercise, edits, hint, *, id, points=None):
    if isinstance(edits[0], str):
        edits = (edits,)
    return pytest.param(exercise, edits, hint, points, id=id)


MUTANTS = [
    # --- Ex1 do_salience: the wrong gradients ---------------------------------------------
    _mutant("do_salience", (TO_RGB, "picture = cv2.imread(image)"), "BGR order", id="left-in-bgr", points=0),
    _mutant("do_salience", (GREY, "grayscale = tf.reduce_sum(gradients, axis=-1)[0]"),
            "take the absolute value", id="no-abs", points=0),
    _mutant("do_salience", (GREY, "grayscale = tf.reduce_max(tf.abs(gradients), axis=-1)[0]"),
            "not their maximum", id="max-over-channels", points=0),
    _mutant("do_salience", (STRETCH, "stretched = grayscale"), "stretch the map to [0, 255]",
            id="not-normalised", points=0),
    _mutant("do_salience", (RESIZE, "picture = cv2.resize(picture, (IMAGE_SIZE, IMAGE_SIZE)) * 1.0"),
            "divide by 255", id="not-scaled", points=0),
    _mutant("do_salience", (RESIZE, "picture = tf.image.resize(picture, (IMAGE_SIZE, IMAGE_SIZE)).numpy() / 255.0"),
            "tf.image.resize", id="tf-resize", points=0),
    _mutant("do_salience", (RESIZE, "picture = picture[:IMAGE_SIZE, :IMAGE_SIZE] / 255.0"),
            "differs from the expected map", id="cropped-not-resized"),
    _mutant("do_salience", (TO_RGB, "picture = cv2.cvtColor(cv2.imread('/content/' + image), cv2.COLOR_BGR2RGB)"),
            "cv2.imread returns None for a path where there is no file", id="colab-folder", points=0),
    # Seen in a real notebook: the class of the ImageNet lab hard-coded, so the target is all zeros.
    _mutant("do_salience", ("expected = tf.one_hot([label], NUM_CLASSES)",
                            "expected = tf.one_hot([251] * batch.shape[0], NUM_CLASSES)"),
            "the map does not follow the `label` argument", id="hard-coded-class", points=0),
    _mutant("do_salience", (SAVE, "cv2.imwrite(image + prefix + '.jpg', salient)"),
            "must save the map to prefix + image", id="saved-elsewhere", points=0),
    _mutant("do_salience", (SAVE, "cv2.imwrite(prefix + image, cv2.applyColorMap(salient, cv2.COLORMAP_HOT))"),
            "is a colour image", id="saved-the-colour-picture", points=0),
    # --- Ex2 build_classifier ------------------------------------------------------------------
    _mutant("build_classifier", (GAP, "        layers.Flatten(),\n"), "GlobalAveragePooling2D after the last",
            id="flatten-not-pooling", points=0),
    _mutant("build_classifier", ("layers.Conv2D(16, 3,", "layers.Conv2D(32, 3,"), "16, 32, 64 and 128 filters",
            id="first-conv-32", points=0),
    _mutant("build_classifier", ('layers.Conv2D(64, 3, activation="relu", padding="same")',
                                 'layers.Conv2D(64, 3, activation="relu")'), "padding='same'",
            id="valid-padding", points=0),
    _mutant("build_classifier", (SOFTMAX, 'layers.Dense(NUM_CLASSES, activation="sigmoid")'),
            "Dense(2, activation='softmax')", id="sigmoid-output", points=0),
    _mutant("build_classifier", ('layers.Conv2D(128, 3, activation="relu", padding="same")',
                                 'layers.Conv2D(128, 5, activation="relu", padding="same")'), "3x3",
            id="kernel-5", points=0),
    # --- Ex3 compile_model ---------------------------------------------------------------------------
    _mutant("compile_model", (LOSS, LOSS.replace("sparse_categorical_crossentropy", "categorical_crossentropy")),
            "loss='sparse_categorical_crossentropy'", id="categorical-loss", points=0),
    _mutant("compile_model", (OPTIMIZER, "optimizer=tf.keras.optimizers.Adam(learning_rate=0.001))"),
            "RMSprop(learning_rate=0.001)", id="adam", points=13.33),
    _mutant("compile_model", (OPTIMIZER, "optimizer=tf.keras.optimizers.RMSprop(learning_rate=0.01))"),
            "RMSprop(learning_rate=0.001)", id="learning-rate-0.01"),
    _mutant("compile_model", (LOSS, LOSS.replace('metrics=["accuracy"]', "metrics=[]")),
            "metrics=['accuracy']", id="no-accuracy", points=13.33),
]


@pytest.mark.parametrize("exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, exercise, edits, hint, points):
    code = solution_source(MODULE)
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, MODULE), "c3w4", exercises=EXERCISES)
    assert_costs_its_exercise_only(result, "c3w4", exercise, hint, points)


def test_every_exercise_has_at_least_three_mutants():
    counts = {e: sum(1 for m in MUTANTS if m.values[0] == e) for e in EXERCISES}
    assert all(count >= 3 for count in counts.values()), counts


def test_a_wrong_label_cannot_be_seen_and_costs_nothing(tmp_path):
    """With two classes and a softmax, the gradients for the other label differ by a positive
    factor only; after the stretching the maps are equal. The grader must not pretend otherwise."""
    code = mutate(solution_source(MODULE), "expected = tf.one_hot([label], NUM_CLASSES)",
                  "expected = tf.one_hot([1 - label], NUM_CLASSES)")
    result = grade(write_submission(tmp_path, code, MODULE), "c3w4", exercises=["do_salience"])
    assert scores(result)["do_salience"] == MAX_POINTS["do_salience"], feedback(result)
