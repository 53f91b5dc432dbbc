"""C3W2 graded end to end on the mistakes real learners make (mutants).

Each mutant is the reference solution with one mistake. It must lose points on its own
exercise only (the other eight step exercises keep full points: their probes start from the
solution's steps) and get the hint that names the mistake as the first line of its feedback.
The fine-tuned pipeline and the results file are graded in test_c3w2_front_end.py: the pipeline
runs every step of the learner's, so a broken step rightly costs points there too.
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

MODULE = "c3w2_zombie_detection"
SUITE = assignment("c3w2")
EXERCISES = [e.id for e in SUITE.exercises if e.id not in ("fine_tuned", "results_file")]

BOX_HEAD = "_box_prediction_head=detection_model._box_predictor._box_prediction_head)"
ROOT_CHECKPOINT = "checkpoint = tf.train.Checkpoint(model=tmp_model_checkpoint)"
LOSS = 'total_loss = losses_dict["Loss/localization_loss"] + losses_dict["Loss/classification_loss"]'
FORWARD = '''    with tf.GradientTape() as tape:
        preprocessed_images = tf.concat([model.preprocess(image)[0] for image in image_list], axis=0)
        true_shape_tensor = tf.constant(len(image_list) * [[640, 640, 3]], dtype=tf.int32)
        prediction_dict = model.predict(preprocessed_images, true_shape_tensor)
'''
FORWARD_OUTSIDE = '''    preprocessed_images = tf.concat([model.preprocess(image)[0] for image in image_list], axis=0)
    true_shape_tensor = tf.constant(len(image_list) * [[640, 640, 3]], dtype=tf.int32)
    prediction_dict = model.predict(preprocessed_images, true_shape_tensor)
    with tf.GradientTape() as tape:
'''
PREFIXES = '''    prefixes_to_train = ["WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead",
                         "WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead"]'''
SELECTION = '''    return [variable for variable in detection_model.trainable_variables
            if variable.name.startswith(tuple(prefixes_to_train))]'''
POSTPROCESS = "    detections = detection_model.postprocess(prediction_dict, shapes)\n"


def _mutant(exercise, edits, hint, *, id, points=None):
    if isinstance(edits[0], str):
        edits = (edits,)
    return pytest.param(exercise, edits, hint, points, id=id)


MUTANTS = [
    # --- Ex3 the category index ---------------------------------------------------------------------
    _mutant("category_index", ("zombie_class_id = 1", "zombie_class_id = 0"), "class ids start at 1",
            id="category-id-0"),
    _mutant("category_index", ('"name": "zombie"', '"name": "zombies"'), "name the class 'zombie'",
            id="category-name"),
    _mutant("category_index", ("num_classes = 1\n", "num_classes = 2\n"), "num_classes is 2, expected 1",
            id="category-two-classes"),
    # --- Ex5.1-5.3 the config -------------------------------------------------------------------------
    _mutant("configure_model", ("    model_config.ssd.num_classes = num_classes\n", ""),
            "set model_config.ssd.num_classes = num_classes", id="config-num-classes-kept"),
    _mutant("configure_model", ("    model_config.ssd.freeze_batchnorm = True\n", ""),
            "set model_config.ssd.freeze_batchnorm = True", id="config-batchnorm-not-frozen"),
    _mutant("configure_model", ('model_config = configs["model"]', 'model_config = configs["train_config"]'),
            "message has no field 'ssd'", id="config-train-config"),
    # --- Ex5.4 the build ----------------------------------------------------------------------------------
    _mutant("build_detection_model", ("is_training=True)", "is_training=False)"), "build it for training",
            id="build-not-training"),
    _mutant("build_detection_model", ("return model_builder.build(model_config=model_config, is_training=True)",
                                      "return model_config"), "not a detection model", id="build-returns-config"),
    _mutant("build_detection_model", ("model_builder.build(model_config=model_config,",
                                      'model_builder.build(model_config=config_util.get_configs_from_pipeline_file('
                                      'PIPELINE_CONFIG)["model"],'),
            "build it from the model_config you are given", id="build-ignores-the-config"),
    # --- Ex6 the restore -------------------------------------------------------------------------------------
    _mutant("restore_weights", (BOX_HEAD, BOX_HEAD[:-1] + ",\n        _prediction_heads=detection_model."
                                "_box_predictor._prediction_heads)"),
            "leave the class head out", id="restore-class-head-too"),
    _mutant("restore_weights", (BOX_HEAD, BOX_HEAD.replace("_box_prediction_head=", "_box_predictions_head=")),
            "the box head goes into tmp_box_predictor_checkpoint", id="restore-misspelt-box-head"),
    _mutant("restore_weights", ("checkpoint.restore(CHECKPOINT_PATH)", 'checkpoint.restore(CHECKPOINT_PATH + ".index")'),
            "not one of its files", id="restore-index-path"),
    _mutant("restore_weights", (ROOT_CHECKPOINT, ROOT_CHECKPOINT.replace("model=", "detection_model=")),
            "the checkpoint's root is `model`", id="restore-wrong-root-keyword"),
    _mutant("restore_weights", ("_feature_extractor=detection_model._feature_extractor,\n"
                                "                                               ", ""),
            "include the feature extractor", id="restore-no-feature-extractor"),
    # --- Ex7 the dummy pass ----------------------------------------------------------------------------------
    _mutant("run_dummy_pass", ("    tmp_detections = detection_model.postprocess(tmp_prediction_dict, tmp_shapes)\n"
                               "    return tmp_detections", "    return tmp_prediction_dict"),
            "end with detection_model.postprocess", id="dummy-without-postprocess", points=2.5),
    _mutant("run_dummy_pass", ("    tmp_prediction_dict = detection_model.predict(tmp_image, tmp_shapes)\n"
                               "    tmp_detections = detection_model.postprocess(tmp_prediction_dict, tmp_shapes)\n"
                               "    return tmp_detections", "    return tmp_image"),
            "predict creates the variables", id="dummy-preprocess-only"),
    _mutant("run_dummy_pass", ("tf.zeros([1, 640, 640, 3])", "tf.zeros([640, 640, 3])"),
            "preprocess expects a batch", id="dummy-no-batch-axis"),
    # --- Ex8 the hyperparameters --------------------------------------------------------------------------------
    _mutant("set_hyperparameters", (", momentum=0.9)", ")"), "use momentum", id="hyper-no-momentum", points=7.5),
    _mutant("set_hyperparameters", ("tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)",
                                    "tf.keras.optimizers.Adam(learning_rate=learning_rate)"),
            "not another optimizer", id="hyper-adam", points=7.5),
    _mutant("set_hyperparameters", ("batch_size = 4", "batch_size = 8"), "batch_size is 8", id="hyper-batch-8",
            points=7.5),
    _mutant("set_hyperparameters", ("num_batches = 100", "num_batches = 10"), "num_batches is 10",
            id="hyper-10-batches", points=7.5),
    # --- Ex9 the variables to fine-tune ----------------------------------------------------------------------------
    _mutant("select_variables", (SELECTION, "    return list(detection_model.trainable_variables)"),
            "fine-tune the two heads only", id="select-everything"),
    _mutant("select_variables", (SELECTION, "    return [detection_model.trainable_variables[i] for i in [0, 1, 2, 4]]"),
            "choose by name, not by position", id="select-indices-0-1-2-4"),
    _mutant("select_variables", (PREFIXES, PREFIXES.replace(',\n                         "WeightSharedConvolutional'
                                                            'BoxPredictor/WeightSharedConvolutionalClassHead"', "")),
            "fine-tune the class head too", id="select-box-head-only"),
    _mutant("select_variables", (SELECTION, SELECTION.replace("[variable for", "[variable.name for")),
            "must return variables", id="select-names"),
    # --- Ex10 train_step_fn ---------------------------------------------------------------------------------------------
    _mutant("train_step_fn", (LOSS, 'total_loss = losses_dict["Loss/classification_loss"]'),
            "add the two losses", id="train-classification-loss-only"),
    _mutant("train_step_fn", (("gradients = tape.gradient(total_loss, vars_to_fine_tune)",
                               "gradients = tape.gradient(total_loss, model.trainable_variables)"),
                              ("optimizer.apply_gradients(zip(gradients, vars_to_fine_tune))",
                               "optimizer.apply_gradients(zip(gradients, model.trainable_variables))")),
            "apply the gradients of vars_to_fine_tune only", id="train-all-variables"),
    _mutant("train_step_fn", (FORWARD, FORWARD_OUTSIDE), "inside `with tf.GradientTape() as tape:`",
            id="train-forward-outside-the-tape"),
    _mutant("train_step_fn", ("    model.provide_groundtruth(groundtruth_boxes_list=groundtruth_boxes_list,\n"
                               "                              groundtruth_classes_list=groundtruth_classes_list)\n", ""),
            "call provide_groundtruth(...) before loss(...)", id="train-no-ground-truth"),
    _mutant("select_variables", (SELECTION, "    return sorted(" + SELECTION.strip()[len("return "):] + ", key=lambda v: v.name)"),
            None, id="select-right-variables-in-another-order"),
    _mutant("train_step_fn", ("    optimizer.apply_gradients(zip(gradients, vars_to_fine_tune))\n", ""),
            "apply the gradients", id="train-no-update"),
    # --- Ex11 detect -----------------------------------------------------------------------------------------------------
    _mutant("detect", (POSTPROCESS + "    return detections", "    return prediction_dict"),
            "return detection_model.postprocess", id="detect-without-postprocess"),
    _mutant("detect", (POSTPROCESS, POSTPROCESS + '    detections["detection_boxes"] = tf.gather('
                                                  'detections["detection_boxes"], [1, 0, 3, 2], axis=-1)\n'),
            "keep postprocess's boxes as they are", id="detect-xy-order"),
    _mutant("detect", ("    return detections", '    return {"detection_boxes": detections["detection_boxes"]}'),
            "expected the detections", id="detect-boxes-only"),
]


@pytest.mark.parametrize("exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, exercise, edits, hint, points):
    code = solution_source(MODULE)
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, MODULE), "c3w2", exercises=EXERCISES)
    if hint is None:  # not a mistake: another way to the right answer keeps every point
        assert scores(result) == {e: SUITE.exercise(e).points for e in EXERCISES}, feedback(result)
        return
    assert_costs_its_exercise_only(result, "c3w2", exercise, hint, points)


def test_every_exercise_has_at_least_three_mutants():
    counts = {e: sum(1 for m in MUTANTS if m.values[0] == e and m.values[2] is not None) for e in EXERCISES}
    assert all(count >= 3 for count in counts.values()), counts
