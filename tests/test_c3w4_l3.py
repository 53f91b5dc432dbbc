"""Lab C3W4-L3 (saliency with a TF Hub classifier) as a practice suite: solutions full marks,
stubs zero, other correct ways full marks, and mutants that lose points on their own exercise
only, with their hint (every exercise at least three); the local hub model and the refusal
of downloads."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from graders.shared.registry import assignment
from graders.suites import c3w4_l3
from tests.grading_helpers import ROOT, feedback, grade, mutate, scores, solution_source, write_submission

LAB, MODULE = "c3w4_l3", "c3w4_l3_hub_saliency"
SOFTMAX = "        return tf.nn.softmax(model(images), axis=-1)\n"
RESIZE = "    resized = cv2.resize(image, (IMAGE_SIZE, IMAGE_SIZE)) / 255.0\n"
NORMALIZE = "    normalized = 255 * (grayscale - low) / (high - low)\n"
CAST = "    return tf.squeeze(tf.cast(normalized, tf.uint8)).numpy()"


def _mutant(exercise, edits, hint, *, id, points=None):
    if isinstance(edits[0], str):
        edits = (edits,)
    return pytest.param(exercise, edits, hint, points, id=id)


MUTANTS = [
    # --- load_classifier ---------------------------------------------------------------------------
    _mutant("load_classifier", (SOFTMAX, "        return model(images)\n"),
            "the hub model returns logits", id="no-softmax"),
    _mutant("load_classifier", (SOFTMAX, "        return tf.nn.sigmoid(model(images))\n"),
            "softmax over the 1001 class scores", id="sigmoid"),
    _mutant("load_classifier", (SOFTMAX, SOFTMAX.replace("axis=-1", "axis=0")),
            "softmax over the 1001 class scores", id="softmax-over-the-batch"),
    _mutant("load_classifier", ("    model = hub.load(handle)\n", "    model = hub.load(MODEL_HANDLE)\n"),
            "cannot be downloaded: the grader works offline", id="url-not-handle"),
    # --- preprocess --------------------------------------------------------------------------------
    _mutant("preprocess", (RESIZE, RESIZE.replace(" / 255.0", "").replace("resized =", "resized = 1.0 *")),
            "divide by 255", id="not-scaled"),
    _mutant("preprocess", (RESIZE, RESIZE.replace(" / 255.0", " / 127.5 - 1")),
            "not [-1, 1]", id="scaled-to-minus-one-one"),
    _mutant("preprocess", (RESIZE, RESIZE.replace("cv2.resize(image,", "cv2.resize(cv2.cvtColor(image, "
                                                  "cv2.COLOR_RGB2BGR),")),
            "keep the channel order", id="bgr"),
    _mutant("preprocess", ("    batch = np.expand_dims(resized, axis=0)\n", "    batch = resized\n"),
            "add a batch axis", id="no-batch-axis"),
    _mutant("preprocess", (RESIZE, RESIZE.replace("(IMAGE_SIZE, IMAGE_SIZE)", "(224, 224)")),
            "resize every image to 299x299", id="resized-to-224"),
    _mutant("preprocess", ("    return batch.astype(np.float32)\n", "    return batch\n"),
            "cast to float32", id="float64", points=15),
    # --- saliency_map ------------------------------------------------------------------------------
    _mutant("saliency_map", ("tf.reduce_sum(tf.abs(gradients), axis=-1)", "tf.reduce_sum(gradients, axis=-1)"),
            "take tf.abs", id="no-abs"),
    _mutant("saliency_map", ("tf.reduce_sum(tf.abs(gradients), axis=-1)", "tf.reduce_max(tf.abs(gradients), axis=-1)"),
            "not their maximum", id="max-over-channels"),
    _mutant("saliency_map", ("    expected_output = tf.one_hot([class_index], NUM_CLASSES)\n",
                             "    expected_output = tf.one_hot([tf.argmax(classifier(image)[0])], NUM_CLASSES)\n"),
            "not the predicted class", id="predicted-class"),
    _mutant("saliency_map", ("    expected_output = tf.one_hot([class_index], NUM_CLASSES)\n",
                             "    expected_output = tf.one_hot([class_index + 1], NUM_CLASSES)\n"),
            "do not shift the index (you used class_index + 1)", id="class-off-by-one"),
    _mutant("saliency_map", ("    expected_output = tf.one_hot([class_index], NUM_CLASSES)\n",
                             "    expected_output = tf.one_hot([class_index - 1], NUM_CLASSES)\n"),
            "do not shift the index (you used class_index - 1)", id="class-minus-one"),
    _mutant("saliency_map", (NORMALIZE, "    normalized = grayscale\n"),
            "normalise to [0, 255]", id="not-normalised"),
    _mutant("saliency_map", (NORMALIZE, NORMALIZE.replace("255 * ", "")),
            "normalise to [0, 255]", id="normalised-to-unit"),
    _mutant("saliency_map", (CAST, "    return tf.squeeze(normalized).numpy()"),
            "cast them to uint8", id="float-map", points=20),
    _mutant("saliency_map", (CAST, "    return tf.cast(normalized, tf.uint8).numpy()"),
            "squeeze them to (299, 299)", id="not-squeezed", points=20),
]


@pytest.mark.parametrize("exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, exercise, edits, hint, points):
    suite = assignment(LAB)
    code = solution_source(MODULE)
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, MODULE), LAB)
    got, said = scores(result), feedback(result)
    full = {e.id: e.points for e in suite.exercises}
    assert got[exercise] < full[exercise], said[exercise]
    if points is not None:
        assert got[exercise] == points, said[exercise]
    others = {e: got[e] for e in full if e != exercise}
    assert others == {e: full[e] for e in others}, {e: said[e] for e in others if got[e] < full[e]}
    assert hint in said[exercise].splitlines()[0], said[exercise]


def test_every_exercise_has_at_least_three_mutants():
    counts = {e.id: sum(1 for m in MUTANTS if m.values[0] == e.id) for e in assignment(LAB).exercises}
    assert all(count >= 3 for count in counts.values()), counts


def test_solutions_full_marks_and_stubs_zero():
    suite = assignment(LAB)
    assert not suite.counts_for_grade
    solved = grade(ROOT / "solutions", LAB)
    assert solved.points == suite.max_points == 100, feedback(solved)
    stubs = grade(ROOT / "exercises", LAB)
    assert stubs.points == 0 and all(e.status == "not_implemented" for e in stubs.exercises), feedback(stubs)


# Other correct ways: the lab's own Keras 2 model with hub.KerasLayer, tf.saved_model.load,
# TensorFlow's resize, a loss on logits. Each must get full marks.
ALTERNATIVES = textwrap.dedent('''
    import numpy as np
    import tensorflow as tf
    import tensorflow_hub as hub
    import tf_keras


    def load_classifier(handle):
        return tf_keras.Sequential([hub.KerasLayer(handle), tf_keras.layers.Activation("softmax")])


    def preprocess(image):
        return tf.image.resize(image[np.newaxis], (299, 299), antialias=True) / 255


    def saliency_map(classifier, image, class_index):
        image = tf.Variable(image)
        with tf.GradientTape() as tape:
            loss = -tf.math.log(classifier(image)[0, class_index])
        grey = tf.reduce_sum(tf.abs(tape.gradient(loss, image)), axis=-1)[0]
        grey = (grey - tf.reduce_min(grey)) / (tf.reduce_max(grey) - tf.reduce_min(grey))
        return np.round(grey.numpy() * 255).astype(np.uint8)
''')


def test_other_correct_ways_get_full_marks(tmp_path):
    result = grade(write_submission(tmp_path, ALTERNATIVES, MODULE), LAB)
    assert result.points == 100, feedback(result)


def test_a_learners_own_download_at_top_level_fails_at_once_and_clearly(tmp_path):
    code = solution_source(MODULE) + "\nclassifier = load_classifier(MODEL_HANDLE)\n"
    result = grade(write_submission(tmp_path, code, MODULE), LAB)
    assert result.points == 100, feedback(result)
    assert any("cannot be downloaded: the grader works offline" in p for p in result.load_problems), \
        result.load_problems


# --- the local hub model ------------------------------------------------------------------------------
def _run(code: str) -> subprocess.CompletedProcess:
    """In a fresh interpreter: TensorFlow and tensorflow_hub must not leak into the test process."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))


def test_the_local_hub_model_loads_with_tensorflow_hub_deterministically_and_refuses_urls(tmp_path):
    completed = _run(f'''
        import time
        import numpy as np
        from graders.data import hub_classifier
        hub_classifier.refuse_downloads_on_import()
        import tensorflow_hub as hub
        images = np.random.default_rng(0).uniform(0, 1, (2, 299, 299, 3)).astype(np.float32)
        first = hub.load(hub_classifier.save("{tmp_path / 'a'}"))(images).numpy()
        second = hub.load(hub_classifier.save("{tmp_path / 'b'}"))(images).numpy()
        assert first.shape == (2, 1001) and first.dtype == np.float32, (first.shape, first.dtype)
        assert np.array_equal(first, second)
        assert np.allclose(first, hub_classifier.logits(images), atol=1e-5)
        assert first.std(axis=-1).min() > 0.1, "the logits must tell classes apart"
        start = time.monotonic()
        try:
            hub.load("https://tfhub.dev/google/tf2-preview/inception_v3/classification/4")
        except hub_classifier.OfflineHandle as refused:
            assert "the grader works offline" in str(refused)
        else:
            raise AssertionError("a URL was not refused")
        assert time.monotonic() - start < 1
        print("ok")
    ''')
    assert completed.stdout.strip().endswith("ok"), completed.stdout + completed.stderr[-3000:]


@pytest.mark.parametrize("actual, expected, correlation, share", [
    (np.arange(100.0).reshape(10, 10), np.arange(100.0).reshape(10, 10) + 1, 1.0, 1.0),
    (np.arange(100.0).reshape(10, 10) / 99, np.arange(100.0).reshape(10, 10), 1.0, 0.03),
    (np.zeros((10, 10)), np.arange(100.0).reshape(10, 10), 0.0, 0.03),
])
def test_map_agreement_judges_both_pattern_and_scale(actual, expected, correlation, share):
    got = c3w4_l3.map_agreement(actual, expected)
    assert (got.correlation, got.share_within) == pytest.approx((correlation, share), abs=1e-9)
