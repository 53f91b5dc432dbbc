"""Lab C3W2-L1 (simple object detection with a TF Hub detector) as a practice suite: solutions
full marks, stubs zero, other correct ways full marks, mutants that lose points on their own
exercise only with their hint (every exercise at least three); the local OpenImages-style
detector and the refusal of downloads."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from graders.shared.registry import assignment
from tests.grading_helpers import (
    ROOT,
    assert_mutant_costs_its_exercise_only,
    assert_solutions_full_and_stubs_zero,
    exercises_with_fewer_mutants,
    feedback,
    grade,
    mutant,
    solution_source,
    write_submission,
)

LAB, MODULE = "c3w2_l1", "c3w2_l1_hub_detection"
DECODE = "    img = tf.image.decode_jpeg(img, channels=3)\n"
CONVERT = "    converted_img = tf.image.convert_image_dtype(img, tf.float32)[tf.newaxis, ...]\n"
NUMPY = "    result = {key: value.numpy() for key, value in result.items()}\n"


MUTANTS = [
    # --- load_detector -----------------------------------------------------------------------------
    mutant("load_detector", ('    return module.signatures["default"]\n', "    return module\n"),
           "return the module's 'default' signature", id="module-not-signature"),
    mutant("load_detector", ("    module = hub.load(handle)\n", "    module = hub.load(MODULE_HANDLE)\n"),
           "cannot be downloaded: the grader works offline", id="url-not-handle"),
    mutant("load_detector", ('    return module.signatures["default"]\n',
                             '    return lambda images: {"detection_scores": module.signatures["default"](images)'
                             '["detection_scores"]}\n'),
           "return the signature itself", id="outputs-dropped"),
    # --- load_img ----------------------------------------------------------------------------------
    mutant("load_img", (DECODE, "    img = tf.image.decode_jpeg(img)\n"),
           "decode with three channels", id="no-channels"),
    mutant("load_img", (DECODE, "    img = tf.image.decode_image(img)\n"),
           "decode with three channels", id="decode-image-without-channels"),
    mutant("load_img", (DECODE, DECODE + "    img = tf.image.convert_image_dtype(img, tf.float32)\n"),
           "return the decoded uint8 pixels", id="converted-to-float"),
    mutant("load_img", (DECODE, DECODE + "    img = img[..., ::-1]\n"),
           "keep the channel order RGB", id="bgr"),
    mutant("load_img", (DECODE, DECODE + "    img = img[tf.newaxis, ...]\n"),
           "without a batch axis", id="batch-axis"),
    # --- run_detector ------------------------------------------------------------------------------
    mutant("run_detector", (CONVERT, "    converted_img = img[tf.newaxis, ...]\n"),
           "convert the image to float32 in [0, 1]", id="uint8-to-the-detector"),
    mutant("run_detector", (CONVERT, "    converted_img = tf.cast(img, tf.float32)[tf.newaxis, ...]\n"),
           "scale the pixels to [0, 1]: tf.cast keeps 0..255", id="cast-not-converted"),
    mutant("run_detector", (CONVERT, "    converted_img = tf.image.convert_image_dtype(img, tf.float32)\n"),
           "add a batch axis of one", id="no-batch-axis"),
    mutant("run_detector", ("    return result\n", "    return None\n"),
           "return the result: the lab's run_detector only prints it", id="prints-only"),
    mutant("run_detector", (NUMPY, ""),
           "not numpy arrays", id="tensors-not-numpy", points=20),
]


@pytest.mark.parametrize("exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, exercise, edits, hint, points):
    assert_mutant_costs_its_exercise_only(tmp_path, LAB, MODULE, exercise, edits, hint, points)


def test_every_exercise_has_at_least_three_mutants():
    assert not exercises_with_fewer_mutants(MUTANTS, LAB)


def test_solutions_full_marks_and_stubs_zero():
    assert not assignment(LAB).counts_for_grade
    assert_solutions_full_and_stubs_zero(LAB)


# Other correct ways: tf.saved_model.load, Pillow's decoder, a division by 255 and np.expand_dims,
# a result of plain numpy arrays built by hand.
ALTERNATIVES = textwrap.dedent('''
    import numpy as np
    import tensorflow as tf
    from PIL import Image


    def load_detector(handle):
        return tf.saved_model.load(handle).signatures["default"]


    def load_img(path):
        return np.asarray(Image.open(path).convert("RGB"))


    def run_detector(detector, path):
        image = np.expand_dims(np.asarray(load_img(path), dtype=np.float32) / 255.0, 0)
        outputs = detector(images=tf.constant(image))
        return {name: np.array(tensor) for name, tensor in outputs.items()}
''')


def test_other_correct_ways_get_full_marks(tmp_path):
    result = grade(write_submission(tmp_path, ALTERNATIVES, MODULE), LAB)
    assert result.points == 100, feedback(result)


# run_detector written for its own numpy loader (`.astype` on what load_img returns), and a result
# kept with a key of the learner's own that is no numpy array.
NUMPY_LOADER = textwrap.dedent('''
    import numpy as np
    import tensorflow as tf
    import tensorflow_hub as hub
    from PIL import Image


    def load_detector(handle):
        return hub.load(handle).signatures["default"]


    def load_img(path):
        return np.array(Image.open(path).convert("RGB"))


    def run_detector(detector, path):
        img = load_img(path).astype(np.float32) / 255.0
        result = {key: value.numpy() for key, value in detector(tf.constant(img[None])).items()}
        result["path"] = path
        return result
''')


def test_a_run_detector_built_on_its_own_numpy_loader_and_an_extra_key_get_full_marks(tmp_path):
    result = grade(write_submission(tmp_path, NUMPY_LOADER, MODULE), LAB)
    assert result.points == 100, feedback(result)


def test_a_learners_own_download_at_top_level_fails_at_once_and_clearly(tmp_path):
    code = solution_source(MODULE) + "\ndetector = load_detector(MODULE_HANDLE)\n"
    result = grade(write_submission(tmp_path, code, MODULE), LAB)
    assert result.points == 100, feedback(result)
    assert any("cannot be downloaded: the grader works offline" in p for p in result.load_problems), \
        result.load_problems


def test_the_local_detectors_have_the_hub_interfaces_and_agree(tmp_path):
    """Run in a fresh interpreter: TensorFlow must not leak into the test process."""
    code = textwrap.dedent(f'''
        import numpy as np, tensorflow as tf, tensorflow_hub as hub
        from graders.data import detection, hub_detector
        image = detection.pretraining_sample(0, "pretrain_dev")[0]
        default = hub.load(hub_detector.save("{tmp_path / 'oi'}", "openimages")).signatures["default"]
        found = {{k: v.numpy() for k, v in default(tf.image.convert_image_dtype(image, tf.float32)[None]).items()}}
        assert found["detection_boxes"].shape == (100, 4) and found["detection_scores"].shape == (100,), found
        assert found["detection_class_entities"].dtype == object and found["detection_class_labels"].dtype == np.int64
        assert np.all(np.diff(found["detection_scores"]) <= 0), "sorted by score"
        zoo = hub.load(hub_detector.save("{tmp_path / 'zoo'}", "tf2_zoo"))
        batched = {{k: v.numpy() for k, v in zoo(tf.constant(image[None])).items()}}
        assert batched["detection_boxes"].shape == (1, 100, 4) and batched["detection_classes"].dtype == np.float32
        assert batched["detection_classes"].min() >= 1, "1-based classes"
        assert np.allclose(batched["detection_boxes"][0][:10], found["detection_boxes"][:10], atol=1e-4)
        names = [hub_detector.ENTITIES[int(c) - 1][0].encode() for c in batched["detection_classes"][0][:10]]
        assert names == list(found["detection_class_entities"][:10]), (names, found["detection_class_entities"][:10])
        print("ok")
    ''')
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                               env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert completed.stdout.strip().endswith("ok"), completed.stdout + completed.stderr[-3000:]
