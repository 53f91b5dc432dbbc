"""Solved C3W2 course notebooks, as learners hand them in, graded as they are on the real detector.

The notebooks are written here (tests/c3w2_course_cells.py), in the ways the published
learner notebooks differ: the ground truth given inside or before the tape, the global
`detection_model` and `batch_size` read inside `train_step_fn`, the model checkpoint rewrapped
and restored next to a decoy that is never restored, no `checkpoint` variable at all,
`tf.compat.v2` and `.expect_partial()`, `batch_size = 5`, the variables chosen by index, and the
course's `tf.keras.backend.set_learning_phase(True)` line. Each is judged on what its cells do
to the model: all get full marks, the fine-tuning run on the hidden frames included.
"""

from __future__ import annotations

import shutil

import pytest
from grading_helpers import ROOT, feedback, grade, saved_as_script, scores

from graders.shared.registry import assignment
from tests.c3w2_course_cells import EX6_1, EX6_2, EX6_3, EX8, EX9, EX10, course, write_notebook

SUITE = assignment("c3w2")
FULL = {e.id: e.points for e in SUITE.exercises}

GROUND_TRUTH_BEFORE = """  model.provide_groundtruth(groundtruth_boxes_list=groundtruth_boxes_list,
                            groundtruth_classes_list=groundtruth_classes_list)
  with tf.GradientTape() as tape:
"""
GROUND_TRUTH_INSIDE = """  with tf.GradientTape() as tape:
    model.provide_groundtruth(groundtruth_boxes_list=groundtruth_boxes_list,
                              groundtruth_classes_list=groundtruth_classes_list)
"""
# 13 of 17 published notebooks use the global model, 8 the global batch size for the shapes
GLOBALS_STEP = """@tf.function
def train_step_fn(image_list, groundtruth_boxes_list, groundtruth_classes_list, model, optimizer,
                  vars_to_fine_tune):
  shapes = tf.constant(batch_size * [[640, 640, 3]], dtype=tf.int32)
  detection_model.provide_groundtruth(groundtruth_boxes_list=groundtruth_boxes_list,
                                      groundtruth_classes_list=groundtruth_classes_list)
  with tf.GradientTape() as tape:
    preprocessed_images = tf.concat([detection_model.preprocess(image)[0] for image in image_list], axis=0)
    prediction_dict = detection_model.predict(preprocessed_images, shapes)
    losses_dict = detection_model.loss(prediction_dict, shapes)
    total_loss = losses_dict['Loss/localization_loss'] + losses_dict['Loss/classification_loss']
  gradients = tape.gradient(total_loss, vars_to_fine_tune)
  optimizer.apply_gradients(zip(gradients, vars_to_fine_tune))
  return total_loss"""
REWRAPPED = """checkpoint_path = 'models/research/object_detection/test_data/checkpoint/ckpt-0'
checkpoint = tf.train.Checkpoint(model=detection_model)
tmp_model_checkpoint = tf.compat.v2.train.Checkpoint(model=tmp_model_checkpoint)
tmp_model_checkpoint.restore(checkpoint_path).expect_partial()"""
NO_CHECKPOINT_VARIABLE = """checkpoint_path = 'models/research/object_detection/test_data/checkpoint/ckpt-0'
tf.compat.v2.train.Checkpoint(model=tmp_model_checkpoint).restore(checkpoint_path).expect_partial()"""
BY_INDEX = "to_fine_tune = [trainable_variables[i] for i in [0, 1, 2, 3]]"

assert GROUND_TRUTH_BEFORE in EX10  # the variant below moves it

VARIANTS = {
    "as-the-course-gives-it": {},
    "ground-truth-inside-the-tape-rewrapped-checkpoint-and-decoy": {
        "ex10": EX10.replace(GROUND_TRUTH_BEFORE, GROUND_TRUTH_INSIDE), "ex6_3": REWRAPPED},
    "globals-in-the-step-no-checkpoint-variable-batch-5-by-index": {
        "ex10": GLOBALS_STEP, "ex6_3": NO_CHECKPOINT_VARIABLE, "ex8": EX8.replace("batch_size = 4", "batch_size = 5"),
        "ex9": BY_INDEX},
    "all-of-ex6-in-one-cell": {"ex6_1": None, "ex6_2": None, "ex6_3": "\n".join([EX6_1, EX6_2, EX6_3])},
}


def _graded_folder(tmp_path, cells):
    folder = tmp_path / "learner"
    folder.mkdir()
    write_notebook(folder, cells)
    shutil.copy(ROOT / "solutions" / "results.data", folder / "results.data")  # what the notebook's last cell saves
    return folder


@pytest.mark.parametrize("changes", VARIANTS.values(), ids=VARIANTS.keys())
def test_course_notebook_variants_get_full_marks(tmp_path, changes):
    result = grade(_graded_folder(tmp_path, course(**changes)), "c3w2")
    assert scores(result) == FULL, feedback(result)


def test_the_course_notebook_exported_as_a_script_grades_the_same(tmp_path):
    notebook = write_notebook(tmp_path, course(ex9=EX9))
    folder = tmp_path / "script"
    folder.mkdir()
    script = saved_as_script(notebook, folder, "nbconvert")
    shutil.copy(ROOT / "solutions" / "results.data", folder / "results.data")
    result = grade(script, "c3w2", exercises=[e for e in FULL if e != "fine_tuned"])
    assert scores(result) == {e: p for e, p in FULL.items() if e != "fine_tuned"}, feedback(result)
