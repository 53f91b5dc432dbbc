"""C3W1 graded end to end on typical learner mistakes (mutants).

Each mutant is the reference solution with one small mistake that learners make.
It must lose points on its own exercise only (the other six keep full points)
and get the hint that names the mistake as the first line of its feedback.
Every case grades one submission in a real worker (MobileNetV2 is built three
times per case); the trained model is tested in test_c3w1_trained_model.py.
"""

from __future__ import annotations

import pytest

from graders.shared.registry import assignment
from tests.grading_helpers import assert_costs_its_exercise_only, grade, mutate, solution_source, write_submission

MODULE = "c3w1_bounding_boxes"
SUITE = assignment("c3w1")
EXERCISES = [e.id for e in SUITE.exercises if e.id != "trained_model"]

BACKBONE = ('tf.keras.applications.mobilenet_v2.MobileNetV2(\n'
            '        input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), include_top=False, weights="imagenet")')
GAP = "    x = tf.keras.layers.GlobalAveragePooling2D()(features)\n    x = tf.keras.layers.Flatten()(x)\n"
BOX = 'tf.keras.layers.Dense(units=4, name="bounding_box")(x)'
OPTIMIZER = "model.compile(optimizer=tf.keras.optimizers.SGD(momentum=0.9)"
STEPS = "math.ceil(length_of_training_dataset / batch_size)"
VALIDATION_STEPS = "math.ceil(length_of_validation_dataset / batch_size)"
OVERLAP_WIDTH = "np.maximum(np.minimum(pred_xmax, true_xmax) - np.maximum(pred_xmin, true_xmin), 0)"
OVERLAP_HEIGHT = "np.maximum(np.minimum(pred_ymax, true_ymax) - np.maximum(pred_ymin, true_ymin), 0)"


def _mutant(exercise, edits, hint, *, id, points=None):
    if isinstance(edits[0], str):
        edits = (edits,)
    return pytest.param(exercise, edits, hint, points, id=id)


MUTANTS = [
    # --- Ex1 feature_extractor -----------------------------------------------------------
    _mutant("feature_extractor", (BACKBONE, BACKBONE.replace("mobilenet_v2.MobileNetV2", "resnet50.ResNet50")),
            "not ResNet50", id="feature_extractor-resnet50"),
    _mutant("feature_extractor", (BACKBONE, BACKBONE.replace("mobilenet_v2.MobileNetV2", "MobileNetV3Small")),
            "not MobileNetV3", id="feature_extractor-mobilenetv3"),
    _mutant("feature_extractor", (BACKBONE, BACKBONE.replace("include_top=False", "include_top=True")),
            "include_top=True keeps", id="feature_extractor-include-top"),
    _mutant("feature_extractor", (BACKBONE, BACKBONE.replace('weights="imagenet"', "weights=None")),
            "pass weights='imagenet'", id="feature_extractor-no-imagenet-weights", points=5),
    # --- Ex2 dense_layers -------------------------------------------------------------------
    _mutant("dense_layers", (GAP, "    x = tf.keras.layers.Flatten()(features)\n"),
            "GlobalAveragePooling2D() before Flatten()", id="dense_layers-no-global-pooling"),
    _mutant("dense_layers", (('Dense(1024, activation="relu")', 'Dense(A, activation="relu")'),
                             ('Dense(512, activation="relu")', 'Dense(1024, activation="relu")'),
                             ('Dense(A, activation="relu")', 'Dense(512, activation="relu")')),
            "1024 units, then 512", id="dense_layers-units-swapped"),
    _mutant("dense_layers", ('Dense(512, activation="relu")', 'Dense(512, activation="sigmoid")'),
            "activation='relu'", id="dense_layers-sigmoid"),
    # --- Ex3 bounding_box_regression ------------------------------------------------------------
    _mutant("bounding_box_regression", (BOX, BOX.replace("units=4,", 'units=4, activation="relu",')),
            "no activation", id="box-4-units-with-relu"),
    _mutant("bounding_box_regression", (BOX, BOX.replace("units=4", "units=2")),
            "4 units", id="box-2-units"),
    _mutant("bounding_box_regression", (BOX, "tf.keras.layers.Dense(units=4)(x)"),
            "name='bounding_box'", id="box-unnamed", points=5),
    # --- Ex4 final_model -----------------------------------------------------------------------
    _mutant("final_model", ("return tf.keras.Model(inputs=inputs, outputs=[bounding_box_output])",
                            "return bounding_box_output"),
            "must return a tf.keras.Model", id="final_model-returns-tensor"),
    _mutant("final_model", ("bounding_box_output = bounding_box_regression(x)",
                            "bounding_box_output = bounding_box_regression(features)"),
            "chain the parts", id="final_model-skips-dense-layers"),
    _mutant("final_model", ("features = feature_extractor(inputs)",
                            "inputs = tf.keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3))\n    "
                            "features = feature_extractor(inputs)"),
            "on the `inputs` it is given", id="final_model-own-input"),
    # --- Ex5 define_and_compile_model ----------------------------------------------------------------
    _mutant("define_and_compile_model", (OPTIMIZER, "model.compile(optimizer=tf.keras.optimizers.Adam()"),
            "not Adam", id="compile-adam", points=5),
    _mutant("define_and_compile_model", (OPTIMIZER, "model.compile(optimizer=tf.keras.optimizers.SGD()"),
            "SGD with momentum", id="compile-sgd-without-momentum", points=5),
    _mutant("define_and_compile_model", ('loss="mse"', 'loss="mae"'),
            "loss='mse'", id="compile-mae", points=5),
    # --- Ex6 compute_steps ----------------------------------------------------------------------------
    _mutant("compute_steps", ((STEPS, "length_of_training_dataset // batch_size"),
                              (VALIDATION_STEPS, "length_of_validation_dataset // batch_size")),
            "floor division drops the last", id="steps-floor", points=0),
    # The course notebook gives validation_steps as code that rounds up: the learner's own `//`
    # shows in steps_per_epoch only, and the hint names that part.
    _mutant("compute_steps", (STEPS, "length_of_training_dataset // batch_size"),
            "(you used floor division for steps_per_epoch (3000 // 64 = 46))", id="steps-floor-training-only",
            points=0),
    _mutant("compute_steps", ("return steps_per_epoch, validation_steps", "return validation_steps, steps_per_epoch"),
            "in that order, not (validation_steps, steps_per_epoch)", id="steps-swapped"),
    _mutant("compute_steps", (VALIDATION_STEPS, "length_of_validation_dataset // batch_size + 1"),
            "compute_steps(640, 64, 64) returned (10, 2), expected (10, 1)", id="steps-plus-one"),
    # --- Ex7 intersection_over_union --------------------------------------------------------------------
    _mutant("intersection_over_union", ((OVERLAP_WIDTH, OVERLAP_WIDTH.replace("np.maximum(np.minimum", "(np.minimum")
                                         .replace(", 0)", ")")),
                                        (OVERLAP_HEIGHT, OVERLAP_HEIGHT.replace("np.maximum(np.minimum", "(np.minimum")
                                         .replace(", 0)", ")"))),
            "clip it to 0", id="iou-no-clipping"),
    _mutant("intersection_over_union", ("smoothing_factor = 1e-10", "smoothing_factor = 0"),
            "smoothing factor 1e-10", id="iou-no-smoothing"),
    _mutant("intersection_over_union",
            ("true_xmin, true_ymin, true_xmax, true_ymax = np.split(",
             "true_ymin, true_xmin, true_ymax, true_xmax = np.split("),
            "read both boxes in the same", id="iou-true-box-read-as-ymin-xmin"),
    _mutant("intersection_over_union", ("union_area = pred_area + true_area - overlap_area",
                                        "union_area = pred_area + true_area"),
            "minus the overlap", id="iou-union-double-counts"),
]


@pytest.mark.parametrize("exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, exercise, edits, hint, points):
    code = solution_source(MODULE)
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, MODULE), "c3w1", exercises=EXERCISES)
    assert_costs_its_exercise_only(result, "c3w1", exercise, hint, points)


def test_every_exercise_has_at_least_three_mutants():
    counts = {e: sum(1 for m in MUTANTS if m.values[0] == e) for e in EXERCISES}
    assert all(count >= 3 for count in counts.values()), counts


# --- What is not the learner's mistake costs nothing ------------------------------------------------
# Names NumPy 2 removed are given back with a note (graders/worker/drift.py); the older course
# version of intersection_over_union (smoothing_factor = 1), which the course supplied, passes.
DRIFT = [
    pytest.param("compute_steps", ((STEPS, STEPS.replace("math.ceil", "np.math.ceil")),
                                   (VALIDATION_STEPS, VALIDATION_STEPS.replace("math.ceil", "np.math.ceil"))),
                 "`np.math.ceil` was removed in NumPy 2; accepted, but use `math.ceil`", id="np-math-ceil"),
    pytest.param("compute_steps", ((STEPS, "int(np.ceil(np.float(length_of_training_dataset) / batch_size))"),),
                 "`np.float` was removed in NumPy 2; accepted, but use `float`", id="np-float"),
    pytest.param("intersection_over_union",
                 (("pred_area = (pred_xmax - pred_xmin) * (pred_ymax - pred_ymin)",
                   "pred_area = np.product(np.hstack([pred_xmax - pred_xmin, pred_ymax - pred_ymin]), "
                   "axis=1, keepdims=True)"),),
                 "`np.product` was removed in NumPy 2; accepted, but use `np.prod`", id="np-product"),
]


@pytest.mark.parametrize("exercise, edits, note", DRIFT)
def test_names_numpy_2_removed_cost_nothing_and_leave_a_note(tmp_path, exercise, edits, note):
    code = solution_source(MODULE)
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, MODULE), "c3w1", exercises=[exercise])
    (graded,) = result.exercises
    assert graded.points == graded.max_points, graded.output_text()
    assert note in graded.notes, graded.notes


def test_the_older_course_iou_with_smoothing_1_costs_nothing(tmp_path):
    code = mutate(solution_source(MODULE), "smoothing_factor = 1e-10", "smoothing_factor = 1")
    result = grade(write_submission(tmp_path, code, MODULE), "c3w1", exercises=["intersection_over_union"])
    (graded,) = result.exercises
    assert graded.points == graded.max_points and graded.status == "passed", graded.output_text()
    assert "the course's older version (smoothing_factor = 1)" in graded.feedback, graded.feedback


def test_a_wrong_iou_still_loses_points_beside_the_course_versions(tmp_path):
    """The older version's smoothing does not excuse a real mistake (no clipping of the overlap)."""
    code = mutate(solution_source(MODULE), "smoothing_factor = 1e-10", "smoothing_factor = 1")
    code = mutate(code, OVERLAP_WIDTH, OVERLAP_WIDTH.replace("np.maximum(np.minimum", "(np.minimum").replace(", 0)", ")"))
    result = grade(write_submission(tmp_path, code, MODULE), "c3w1", exercises=["intersection_over_union"])
    (graded,) = result.exercises
    assert graded.points == 0, graded.output_text()
    assert "supplies this code; yours behaves like none" in graded.output_text(), graded.output_text()


def test_a_tensorflow_addons_stand_in_does_not_pass_for_the_prescribed_sgd(tmp_path):
    """C3W1 prescribes SGD(momentum=0.9): Addons' SGDW, replaced here by a stand-in built on Keras'
    SGD, is graded as what it is, not as that SGD."""
    code = mutate(solution_source(MODULE), "import math\n", "import math\n\nimport tensorflow_addons as tfa\n")
    code = mutate(code, OPTIMIZER, "model.compile(optimizer=tfa.optimizers.SGDW(weight_decay=1e-4, momentum=0.9)")
    result = grade(write_submission(tmp_path, code, MODULE), "c3w1", exercises=["define_and_compile_model"])
    (graded,) = result.exercises
    assert graded.points == 5, graded.output_text()
    assert "tensorflow_addons.optimizers.SGDW, expected SGD" in graded.output_text(), graded.output_text()
    assert any("stand-in" in note for note in graded.notes), graded.notes
    assert not result.load_problems, result.load_problems
