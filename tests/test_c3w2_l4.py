"""Lab C3W2-L4 (eager few-shot detection of a rubber duck) as a practice suite: its data, solutions full
marks and stubs zero, other correct ways full marks, mutants that lose points on their own exercise
only with their hint (at least three for each exercise the solution's stand-ins isolate), and the
fine-tuning run on the hidden frames, which a broken step rightly costs too."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from graders.data import ducks
from graders.shared.registry import assignment
from tests.grading_helpers import (
    assert_mutant_costs_its_exercise_only,
    assert_solutions_full_and_stubs_zero,
    feedback,
    grade,
    mutant,
    mutate,
    scores,
    solution_source,
    write_submission,
)

LAB, MODULE = "c3w2_l4", "c3w2_l4_ducks"
SUITE = assignment(LAB)
ISOLATED = [e.id for e in SUITE.exercises if e.id != "fine_tuned"]  # their probes start from the solution's steps

BOX_HEAD = "_box_prediction_head=detection_model._box_predictor._box_prediction_head)"
ROOT_CHECKPOINT = "ckpt = tf.compat.v2.train.Checkpoint(model=fake_model)"
RESTORE = "ckpt.restore(CHECKPOINT_PATH).expect_partial()"
PREFIXES = '''    prefixes_to_train = ["WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead",
                         "WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead"]'''
GROUND_TRUTH = '''        model.provide_groundtruth(groundtruth_boxes_list=groundtruth_boxes_list,
                                  groundtruth_classes_list=groundtruth_classes_list)
'''
PREPROCESS = '''            preprocessed_images = tf.concat(
                [detection_model.preprocess(image_tensor)[0] for image_tensor in image_tensors], axis=0)'''
LOSS = 'total_loss = losses_dict["Loss/localization_loss"] + losses_dict["Loss/classification_loss"]'
GRADIENTS = '''            gradients = tape.gradient(total_loss, vars_to_fine_tune)
            optimizer.apply_gradients(zip(gradients, vars_to_fine_tune))
'''
FORWARD = '''        with tf.GradientTape() as tape:
            preprocessed_images = tf.concat(
                [detection_model.preprocess(image_tensor)[0] for image_tensor in image_tensors], axis=0)
            prediction_dict = model.predict(preprocessed_images, shapes)
'''
POSTPROCESS = "    return detection_model.postprocess(prediction_dict, shapes)\n"


MUTANTS = [
    # --- the config and the build: the assignment's probes, the lab's names ---------------------------------
    mutant("configure_model", ("    model_config.ssd.num_classes = num_classes\n", ""),
            "set model_config.ssd.num_classes = num_classes", id="config-num-classes-kept"),
    mutant("configure_model", ("    model_config.ssd.freeze_batchnorm = True\n", ""),
            "set model_config.ssd.freeze_batchnorm = True", id="config-batchnorm-not-frozen"),
    mutant("configure_model", ('model_config = configs["model"]', 'model_config = configs["train_config"]'),
            "message has no field 'ssd'", id="config-train-config"),
    mutant("build_detection_model", ("is_training=True)", "is_training=False)"), "build it for training",
            id="build-not-training"),
    mutant("build_detection_model", ("return model_builder.build(model_config=model_config, is_training=True)",
                                      "return model_config"), "not a detection model", id="build-returns-config"),
    mutant("build_detection_model", ("model_builder.build(model_config=model_config,",
                                      'model_builder.build(model_config=config_util.get_configs_from_pipeline_file('
                                      'PIPELINE_CONFIG)["model"],'),
            "build it from the model_config you are given", id="build-ignores-the-config"),
    # --- the restore, as the lab writes it (tf.compat.v2, .expect_partial()) ---------------------------------
    mutant("restore_weights", (BOX_HEAD, BOX_HEAD[:-1] + ",\n        _prediction_heads=detection_model."
                                "_box_predictor._prediction_heads)"),
            "leave the class head out: the checkpoint's has other classes, so fake_box_predictor holds",
            id="restore-class-head-too"),
    mutant("restore_weights", (BOX_HEAD, BOX_HEAD.replace("_box_prediction_head=", "_box_predictions_head=")),
            "the box head goes into fake_box_predictor", id="restore-misspelt-box-head"),
    mutant("restore_weights", (RESTORE, RESTORE.replace("CHECKPOINT_PATH", 'CHECKPOINT_PATH + ".index"')),
            "not one of its files", id="restore-index-path"),
    mutant("restore_weights", (ROOT_CHECKPOINT, ROOT_CHECKPOINT.replace("model=", "detection_model=")),
            "restore tf.compat.v2.train.Checkpoint(model=fake_model)", id="restore-wrong-root-keyword"),
    mutant("restore_weights", ("_feature_extractor=detection_model._feature_extractor,\n"
                                "                                               ", ""),
            "include the feature extractor: fake_model = tf.compat.v2.train.Checkpoint(",
            id="restore-no-feature-extractor"),
    mutant("restore_weights", (RESTORE, "ckpt.restore(CHECKPOINT_PATH)"), None, id="restore-without-expect-partial"),
    mutant("restore_weights", tuple((f"{name} = tf.compat.v2.train.Checkpoint(", f"{name} = tf.train.Checkpoint(")
                                     for name in ("fake_box_predictor", "fake_model", "ckpt")), None,
            id="restore-with-tf-train-checkpoint"),
    # --- the dummy pass ---------------------------------------------------------------------------------------------
    mutant("run_dummy_pass", ("    _ = detection_model.postprocess(prediction_dict, shapes)\n", ""),
            "end with detection_model.postprocess", id="dummy-without-postprocess", points=2.5),
    mutant("run_dummy_pass", ("    prediction_dict = detection_model.predict(image, shapes)\n"
                               "    _ = detection_model.postprocess(prediction_dict, shapes)\n", ""),
            "predict creates the variables", id="dummy-preprocess-only"),
    mutant("run_dummy_pass", ("tf.zeros([1, 640, 640, 3])", "tf.zeros([640, 640, 3])"),
            "preprocess expects a batch", id="dummy-no-batch-axis"),
    # --- the variables to fine-tune ---------------------------------------------------------------------------------
    mutant("select_variables", ("        if any([var.name.startswith(prefix) for prefix in prefixes_to_train]):\n"
                                 "            to_fine_tune.append(var)\n", "        to_fine_tune.append(var)\n"),
            "fine-tune the two heads only", id="select-everything"),
    mutant("select_variables", (PREFIXES, PREFIXES.replace(',\n                         "WeightSharedConvolutional'
                                                            'BoxPredictor/WeightSharedConvolutionalClassHead"', "")),
            "fine-tune the class head too", id="select-box-head-only"),
    mutant("select_variables", (PREFIXES, PREFIXES.replace("/WeightSharedConvolutionalBoxHead",
                                                            "/BoxPredictionTower")),
            "fine-tune the box head too", id="select-wrong-prefix"),
    mutant("select_variables", ("to_fine_tune.append(var)", "to_fine_tune.append(var.name)"),
            "must return variables", id="select-names"),
    # --- get_model_train_step_function and its train_step_fn ---------------------------------------------------------
    mutant("get_model_train_step_function", ("    return train_step_fn\n", ""),
            "return the function train_step_fn itself", id="factory-returns-nothing"),
    mutant("get_model_train_step_function", ("    return train_step_fn\n", "    return optimizer\n"),
            "return the function train_step_fn itself", id="factory-returns-the-optimizer"),
    mutant("get_model_train_step_function", (GROUND_TRUTH, ""), "call provide_groundtruth(...) before loss(...)",
            id="factory-no-ground-truth"),
    mutant("get_model_train_step_function", (PREPROCESS, "            preprocessed_images = tf.concat("
                                                          "image_tensors, axis=0)"),
            "preprocess each image before predict", id="factory-images-not-preprocessed"),
    mutant("get_model_train_step_function", (GRADIENTS, GRADIENTS.replace("vars_to_fine_tune",
                                                                           "model.trainable_variables")),
            "apply the gradients of vars_to_fine_tune only", id="factory-all-variables"),
    mutant("get_model_train_step_function", (LOSS, 'total_loss = losses_dict["Loss/classification_loss"]'),
            "add the two losses", id="factory-classification-loss-only"),
    mutant("get_model_train_step_function", (LOSS, 'total_loss = losses_dict["Loss/localization_loss"]'),
            "add the two losses", id="factory-localization-loss-only"),
    mutant("get_model_train_step_function", ("            optimizer.apply_gradients(zip(gradients, "
                                              "vars_to_fine_tune))\n", ""),
            "apply the gradients", id="factory-no-update"),
    mutant("get_model_train_step_function", (FORWARD, FORWARD.replace("        with tf.GradientTape() as tape:\n", "")
                                              .replace("            ", "        ") + "        with tf.GradientTape() "
                                              "as tape:\n"),
            "inside `with tf.GradientTape() as tape:`", id="factory-forward-outside-the-tape"),
    mutant("get_model_train_step_function", ("    @tf.function\n    def train_step_fn", "    def train_step_fn"),
            None, id="factory-eager-step"),
    mutant("get_model_train_step_function", ((GRADIENTS, ""), ("        return total_loss\n",
                                              GRADIENTS.replace("            ", "        ") + "        return total_loss\n")),
            None, id="factory-update-after-the-tape"),
    # --- detect ----------------------------------------------------------------------------------------------------------
    mutant("detect", (POSTPROCESS, "    return prediction_dict\n"), "return detection_model.postprocess",
            id="detect-without-postprocess"),
    mutant("detect", (POSTPROCESS, "    detections = detection_model.postprocess(prediction_dict, shapes)\n"
                                    '    detections["detection_boxes"] = tf.gather(detections["detection_boxes"], '
                                    "[1, 0, 3, 2], axis=-1)\n    return detections\n"),
            "keep postprocess's boxes as they are", id="detect-xy-order"),
    mutant("detect", (POSTPROCESS, '    return {"detection_boxes": detection_model.postprocess(prediction_dict, '
                                    'shapes)["detection_boxes"]}\n'),
            "expected the detections", id="detect-boxes-only"),
]


@pytest.mark.parametrize("exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, exercise, edits, hint, points):
    if hint is not None:  # each probe starts from the solution's steps: grading its exercise alone is enough
        assert_mutant_costs_its_exercise_only(tmp_path, LAB, MODULE, exercise, edits, hint, points, graded=[exercise])
        return
    code = solution_source(MODULE)  # not a mistake: another way to the right answer keeps every point
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, MODULE), LAB, exercises=[exercise])
    assert scores(result) == {exercise: SUITE.exercise(exercise).points}, feedback(result)


def test_every_isolated_exercise_has_at_least_three_mutants():
    counts = {e: sum(1 for m in MUTANTS if m.values[0] == e and m.values[2] is not None) for e in ISOLATED}
    assert all(count >= 3 for count in counts.values()), counts


def test_solutions_full_marks_and_stubs_zero():
    assert not SUITE.counts_for_grade and SUITE.max_points == 100
    assert_solutions_full_and_stubs_zero(LAB)


def test_the_mutants_of_the_training_step_cost_the_fine_tuning_run_too(tmp_path):
    """A step that never applies its gradients fine-tunes nothing: the class head stays as built, so the
    duck is not found on the hidden frames; the worst frames are drawn."""
    code = mutate(solution_source(MODULE), "            optimizer.apply_gradients(zip(gradients, "
                  "vars_to_fine_tune))\n", "")
    result = grade(write_submission(tmp_path, code, MODULE), LAB, exercises=["fine_tuned"])
    got, said = scores(result), feedback(result)
    assert got["fine_tuned"] < SUITE.exercise("fine_tuned").points / 2, said
    assert "the duck is not found" in said["fine_tuned"].splitlines()[0], said["fine_tuned"]
    run = next(e for e in result.exercises if e.exercise == "fine_tuned")
    assert run.figures and run.figures[0].png.startswith(b"\x89PNG"), "the worst frames are drawn"
    caption = run.figures[0].caption  # of the public dev frames detected beside the hidden ones
    assert caption.startswith("the 6 public dev frames with the lowest IoU") and "never shown" in caption, caption
    assert "criteria of this grader" in said["fine_tuned"]


# --- the data -------------------------------------------------------------------------------------------------
def test_training_images_are_the_committed_files_byte_for_byte(tmp_path):
    written = ducks.write_training(tmp_path)
    assert [path.name for path in written] == [f"robertducky{i}.jpg" for i in range(1, 6)]
    for path in written:
        committed = ducks.TRAINING_DIR / path.name
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(committed.read_bytes()).digest(), path.name
    images, boxes = ducks.training_images()
    assert all(image.shape == (640, 853, 3) and image.dtype == np.uint8 for image in images)
    assert boxes.shape == (5, 4) and boxes.dtype == np.float32


def test_a_box_is_the_pasted_duck_exactly():
    images, boxes = ducks.training_images()
    row = ducks.TRAINING_RECIPES[2]
    background = np.asarray(ducks.detection._background(ducks.TRAINING_BACKGROUNDS[int(row[0])], tuple(row[1:4]),
                                                        (853, 640), bool(row[4])))
    ys, xs = np.nonzero(np.any(images[2] != background, axis=-1))
    pixel_box = np.array([ys.min() / 640, xs.min() / 853, (ys.max() + 1) / 640, (xs.max() + 1) / 853])
    np.testing.assert_allclose(pixel_box, boxes[2], atol=1e-6)
    # the duck is yellow: most of what was pasted is far more red and green than blue
    pasted = images[2][ys, xs].astype(np.float64)
    assert np.mean(pasted[:, :2].mean(axis=1) - pasted[:, 2] > 60) > 0.6


def test_public_frames_are_deterministic_and_drift(tmp_path):
    (_, first, box), = ducks.test_frames([7])
    (_, again, box_again), = ducks.test_frames([7])
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(box, box_again)
    boxes = np.stack([b for _, _, b in ducks.test_frames([0, 24, 48])])
    assert len(ducks.test_recipes()) == ducks.NUM_TEST_FRAMES == 49
    assert np.all(np.diff(boxes[:, 1]) > 0)  # it drifts to the right
    paths = ducks.write_test_frames(tmp_path, [0, 48])
    assert [path.name for path in paths] == ["out1.jpg", "out49.jpg"]


def test_hidden_frames_come_from_the_file_only():
    with np.load(ducks.HIDDEN_FILE, allow_pickle=False) as stored:
        recipes, boxes = stored["recipes"], stored["boxes"]
    assert len(recipes) == len(boxes) >= 32
    index, frame, box = next(ducks.hidden_frames())
    assert frame.shape == (640, 853, 3)
    np.testing.assert_allclose(ducks.render_frame(recipes[0], ducks.HIDDEN_BACKGROUNDS)[1], boxes[0])
    assert not np.allclose(ducks.draw_hidden_recipes(len(recipes), np.random.default_rng(0)), recipes)
    assert SUITE.hidden_data == ("fixtures/c3w2_l4/duck_hidden.npz",)


def test_the_lab_s_images_are_laid_out_at_the_lab_s_paths(tmp_path):
    from object_detection import course_files

    written = course_files.lay_out(tmp_path, link=True, ducks=True)
    ducky = tmp_path / "models" / "research" / "object_detection" / "test_images" / "ducky"
    assert sorted(p.name for p in (ducky / "train").iterdir()) == [f"robertducky{i}.jpg" for i in range(1, 6)]
    assert sorted(p.name for p in (ducky / "test").iterdir()) == sorted(f"out{i}.jpg" for i in range(1, 50))
    assert len(written) == len(course_files.FILES) + 5 + 49
    assert (ducky / "train" / "robertducky3.jpg").read_bytes() == (ducks.TRAINING_DIR / "robertducky3.jpg").read_bytes()
