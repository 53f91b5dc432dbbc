"""Lab C3W3-L3 (Mask R-CNN instance segmentation from TF Hub) as a practice suite: solutions full
marks, stubs zero, other correct ways full marks, mutants that lose points on their own exercise
only with their hint (every exercise at least three); the local Mask R-CNN and the course API's
reframing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graders.shared.registry import assignment
from graders.suites import c3w3_l3
from tests.grading_helpers import (
    ROOT,
    assert_mutant_costs_its_exercise_only,
    assert_solutions_full_and_stubs_zero,
    exercises_with_fewer_mutants,
    feedback,
    grade,
    mutant,
    write_submission,
)

LAB, MODULE = "c3w3_l3", "c3w3_l3_mask_rcnn"
CALL = "    results = hub_model(image_np)\n"
NUMPY = "    result = {key: value.numpy() for key, value in results.items()}\n"
SIZE = "        detection_masks, detection_boxes, image_np.shape[1], image_np.shape[2])\n"
THRESHOLD = "    detection_masks_reframed = tf.cast(detection_masks_reframed > MASK_THRESHOLD, np.uint8)\n"
BOXES = '    detection_boxes = tf.convert_to_tensor(result["detection_boxes"][0])\n'


MUTANTS = [
    # --- run_inference -----------------------------------------------------------------------------
    mutant("run_inference", (CALL, "    results = hub_model(tf.image.convert_image_dtype(image_np, tf.float32))\n"),
           "call the model on the uint8 image itself", id="float-input"),
    mutant("run_inference", (CALL, "    results = hub_model(image_np[0])\n"),
           "keep the batch axis of one", id="unbatched-input"),
    mutant("run_inference", (NUMPY, "    result = {key: value.numpy()[0] for key, value in results.items()}\n"),
           "keep the outputs batched", id="unbatched-outputs"),
    mutant("run_inference", (NUMPY, "    result = dict(results)\n"), "not numpy arrays", id="tensors", points=20),
    # --- reframe_masks -----------------------------------------------------------------------------
    mutant("reframe_masks", (THRESHOLD, THRESHOLD.replace("MASK_THRESHOLD", "0.5")),
           "keep the pixels above 0.6, as the lab does (you used 0.5)", id="threshold-0.5"),
    mutant("reframe_masks", (SIZE, SIZE.replace("image_np.shape[1], image_np.shape[2]",
                                                "image_np.shape[2], image_np.shape[1]")),
           "pass the image's height, then its width", id="width-first"),
    mutant("reframe_masks", (BOXES, BOXES.replace('result["detection_boxes"][0]',
                                                  'tf.gather(result["detection_boxes"][0], [1, 0, 3, 2], axis=1)')),
           "pass the boxes as the model gives them", id="boxes-as-xy"),
    mutant("reframe_masks", (THRESHOLD, ""),
           "threshold the reframed masks", id="not-thresholded"),
    mutant("reframe_masks", (THRESHOLD, THRESHOLD.replace("np.uint8", "tf.float32")),
           "cast them to uint8", id="float-masks", points=30),
    mutant("reframe_masks", ('    result["detection_masks_reframed"] = detection_masks_reframed.numpy()\n'
                             '    return result["detection_masks_reframed"]\n',
                             "    return detection_masks_reframed.numpy()\n"),
           "not stored in result['detection_masks_reframed']", id="not-stored", points=30),
]


@pytest.mark.parametrize("exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, exercise, edits, hint, points):
    assert_mutant_costs_its_exercise_only(tmp_path, LAB, MODULE, exercise, edits, hint, points)


def test_every_exercise_has_at_least_three_mutants():
    assert not exercises_with_fewer_mutants(MUTANTS, LAB)


def test_solutions_full_marks_and_stubs_zero():
    assert not assignment(LAB).counts_for_grade
    assert_solutions_full_and_stubs_zero(LAB)


# Another correct way: the masks pasted by hand with Pillow's bilinear resize of each mask into
# its box's pixels (no course API), and np.asarray for the outputs.
ALTERNATIVES = textwrap.dedent('''
    import numpy as np
    import tensorflow as tf
    from PIL import Image


    def run_inference(hub_model, image_np):
        return {name: np.asarray(value) for name, value in hub_model(tf.constant(image_np)).items()}


    def reframe_masks(result, image_np):
        height, width = image_np.shape[1:3]
        out = np.zeros((len(result["detection_boxes"][0]), height, width), np.uint8)
        for index, (box, mask) in enumerate(zip(result["detection_boxes"][0], result["detection_masks"][0])):
            top, left = int(round(box[0] * height)), int(round(box[1] * width))
            bottom, right = int(round(box[2] * height)), int(round(box[3] * width))
            if bottom <= top or right <= left:
                continue
            pasted = Image.fromarray(mask.astype(np.float32), mode="F").resize((right - left, bottom - top),
                                                                              Image.BILINEAR)
            out[index, top:bottom, left:right] = np.asarray(pasted) > 0.6
        result["detection_masks_reframed"] = out
        return out
''')


def test_other_correct_ways_get_full_marks(tmp_path):
    result = grade(write_submission(tmp_path, ALTERNATIVES, MODULE), LAB)
    assert result.points == 100, feedback(result)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(6, 30), st.integers(6, 30), st.data())
def test_mask_agreement_is_one_for_equal_masks_and_falls_with_any_flipped_instance(count, height, width, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    masks = rng.random((count, height, width)) > 0.5
    masks[:, 0, 0] = True  # no instance is empty
    shape = (count, height, width)
    assert c3w3_l3.mask_agreement(c3w3_l3.packed(masks), c3w3_l3.packed(masks), shape) == (1.0, 1.0)
    flipped = masks.copy()
    instance = data.draw(st.integers(0, count - 1))
    flipped[instance] = ~flipped[instance]
    share, lowest = c3w3_l3.mask_agreement(c3w3_l3.packed(flipped), c3w3_l3.packed(masks), shape)
    assert lowest == 0.0 and share < 1.0


def test_reframing_pastes_each_mask_into_its_box_and_nothing_outside():
    """In a fresh interpreter (no TensorFlow in the test process): a full mask covers its box's
    pixels exactly, boxes on the border included, and is zero elsewhere."""
    code = textwrap.dedent('''
        import numpy as np
        from object_detection.utils import ops
        boxes = np.array([[0.0, 0.0, 0.5, 0.25], [0.5, 0.75, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]], np.float32)
        masks = ops.reframe_box_masks_to_image_masks(np.ones((3, 33, 33), np.float32), boxes, 40, 80).numpy()
        assert masks.shape == (3, 40, 80) and masks.dtype == np.float32
        for mask, (top, left, bottom, right) in zip(masks > 0.5, boxes * [40, 80, 40, 80]):
            expected = np.zeros((40, 80), bool)
            expected[int(top):int(bottom), int(left):int(right)] = True
            assert np.array_equal(mask, expected), (np.argwhere(mask).min(0), np.argwhere(mask).max(0))
        print("ok")
    ''')
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                               env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert completed.stdout.strip().endswith("ok"), completed.stdout + completed.stderr[-3000:]
