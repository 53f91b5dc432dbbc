"""Lab C3W2-L3 (the TF Hub object detection colab with a TF2 zoo detector) as a practice suite:
solutions full marks, stubs zero, other correct ways full marks, mutants that lose points on
their own exercise only with their hint (every exercise at least three)."""

from __future__ import annotations

import textwrap

import pytest

from graders.shared.registry import assignment
from graders.suites import c3w2_l3
from tests.grading_helpers import (
    assert_mutant_costs_its_exercise_only,
    assert_solutions_full_and_stubs_zero,
    exercises_with_fewer_mutants,
    feedback,
    grade,
    mutant,
    mutate,
    solution_source,
    write_submission,
)

LAB, MODULE = "c3w2_l3", "c3w2_l3_tf2_zoo"
RESHAPE = "    return np.array(image.getdata()).reshape((1, im_height, im_width, 3)).astype(np.uint8)\n"
CALL = "    results = hub_model(image_np)\n"
NUMPY = "    result = {key: value.numpy() for key, value in results.items()}\n"


MUTANTS = [
    # --- load_image_into_numpy_array ----------------------------------------------------------------
    mutant("load_image", (RESHAPE, RESHAPE.replace("(1, im_height, im_width, 3)", "(im_height, im_width, 3)")),
           "add a batch axis of one", id="no-batch-axis"),
    mutant("load_image", (RESHAPE, RESHAPE.replace("(1, im_height, im_width, 3)", "(1, im_width, im_height, 3)")),
           "PIL's image.size is (width, height)", id="width-and-height-swapped"),
    mutant("load_image", (RESHAPE, RESHAPE.replace(".astype(np.uint8)", ".astype(np.float32)")),
           "cast to uint8", id="float32"),
    mutant("load_image", (RESHAPE, RESHAPE.replace(".astype(np.uint8)", "[..., ::-1].astype(np.uint8)")),
           "keep the channel order RGB", id="bgr"),
    # --- detect ------------------------------------------------------------------------------------
    mutant("detect", (CALL, "    results = hub_model(tf.image.convert_image_dtype(image_np, tf.float32))\n"),
           "call the model on the uint8 image itself", id="float-input"),
    mutant("detect", (CALL, "    results = hub_model(image_np[0])\n"),
           "keep the batch axis", id="unbatched-input"),
    mutant("detect", (NUMPY, "    result = {key: value.numpy()[0] for key, value in results.items()}\n"),
           "keep the outputs batched", id="unbatched-outputs"),
    mutant("detect", (NUMPY, NUMPY + '    result["detection_classes"] = result["detection_classes"] - 1\n'),
           "the zoo's class ids are 1-based already", id="classes-made-0-based"),
    mutant("detect", (NUMPY, "    result = dict(results)\n"), "not numpy arrays", id="tensors", points=15),
    # --- draw_detections ---------------------------------------------------------------------------
    mutant("draw_detections", ("(result[\"detection_classes\"][0] + LABEL_ID_OFFSET)",
                               "(result[\"detection_classes\"][0] + 1)"),
           "use the classes as they are (LABEL_ID_OFFSET is 0)", id="label-offset-1"),
    mutant("draw_detections", ("        min_score_thresh=MIN_SCORE_THRESH,\n", ""),
           "pass min_score_thresh=0.3", id="default-threshold"),
    mutant("draw_detections", ("        max_boxes_to_draw=MAX_BOXES_TO_DRAW,\n", ""),
           "pass max_boxes_to_draw=200", id="default-max-boxes"),
    mutant("draw_detections", ("        use_normalized_coordinates=True,\n", ""),
           "pass use_normalized_coordinates=True", id="pixel-coordinates"),
    mutant("draw_detections", ("        agnostic_mode=False)", "        agnostic_mode=True)"),
           "pass agnostic_mode=False", id="agnostic"),
    mutant("draw_detections", ("    return image_np_with_detections[0]\n", "    return image_np_with_detections\n"),
           "return the one image", id="batch-returned"),
    mutant("draw_detections", ("    image_np_with_detections = image_np.copy()\n",
                               "    image_np_with_detections = image_np\n"),
           "draw on a copy", id="drawn-in-place", points=20),
]


@pytest.mark.parametrize("exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, exercise, edits, hint, points):
    assert_mutant_costs_its_exercise_only(tmp_path, LAB, MODULE, exercise, edits, hint, points)


def test_every_exercise_has_at_least_three_mutants():
    assert not exercises_with_fewer_mutants(MUTANTS, LAB)


def test_solutions_full_marks_and_stubs_zero():
    assert not assignment(LAB).counts_for_grade
    assert_solutions_full_and_stubs_zero(LAB)


# Other correct ways: Pillow's convert and np.expand_dims, the model called by keyword-free
# tf.constant, outputs made numpy with np.asarray, the drawing made on a copy of the image alone.
ALTERNATIVES = textwrap.dedent('''
    import numpy as np
    import tensorflow as tf
    from PIL import Image
    from object_detection.utils import visualization_utils as viz_utils


    def load_image_into_numpy_array(path):
        return np.expand_dims(np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8), 0)


    def detect(hub_model, image_np):
        return {name: np.asarray(value) for name, value in hub_model(tf.constant(image_np)).items()}


    def draw_detections(image_np, result, category_index):
        image = np.array(image_np[0])
        return viz_utils.visualize_boxes_and_labels_on_image_array(
            image, result["detection_boxes"][0], result["detection_classes"][0].astype(np.int64),
            result["detection_scores"][0], category_index, use_normalized_coordinates=True,
            max_boxes_to_draw=200, min_score_thresh=0.3)
''')


def test_other_correct_ways_get_full_marks(tmp_path):
    result = grade(write_submission(tmp_path, ALTERNATIVES, MODULE), LAB)
    assert result.points == 100, feedback(result)


def test_the_drawing_mistakes_each_change_what_is_drawn_and_differ_from_each_other():
    """Every known mistake draws something else on the public cases (else its hint could not be told
    apart from a right answer), and departs from the expected drawing elsewhere than every other
    (else two hints would fire for one mistake)."""
    from graders.judge.references import load_reference

    for case in load_reference(LAB, "draw_detections")["cases"]:
        assert not case["departures"].any()
        for name, mask in case["mistakes"].items():
            assert mask.any(), name
            for other, theirs in case["mistakes"].items():
                if other != name:
                    assert c3w2_l3.mask_iou(mask, theirs) < c3w2_l3.MASK_IOU, (name, other)


def test_labels_left_out_are_not_taken_for_agnostic_mode(tmp_path):
    """skip_labels=True changes the same pixels as agnostic mode (a label of the score alone) but
    keeps each class's colour: the agnostic hint must not fire for it."""
    code = mutate(solution_source(MODULE), "        agnostic_mode=False)",
                  "        agnostic_mode=False, skip_labels=True)")
    result = grade(write_submission(tmp_path, code, MODULE), LAB, exercises=["draw_detections"])
    said = feedback(result)["draw_detections"]
    assert result.points == 0 and "agnostic_mode" not in said, said
