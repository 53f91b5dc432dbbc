"""The C3W2 detection API (exercises/object_detection): geometry, losses, NMS, configs, the
detector's object graph, the selective restore the course does, and the course's steps."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from object_detection.builders import model_builder
from object_detection.core import box_ops, losses, post_processing
from object_detection.protos import text_format
from object_detection.utils import config_util

PACKAGE = Path(__import__("object_detection").__file__).resolve().parent
CONFIG = PACKAGE / "configs" / "tf2" / "ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config"
CHECKPOINT = PACKAGE / "test_data" / "checkpoint" / "ckpt-0"
BOX_HEAD = "WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead"
CLASS_HEAD = "WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead"
HEAD_NAMES = [f"{BOX_HEAD}/BoxPredictor/kernel:0", f"{BOX_HEAD}/BoxPredictor/bias:0",
              f"{CLASS_HEAD}/ClassPredictor/kernel:0", f"{CLASS_HEAD}/ClassPredictor/bias:0"]


def zombie_model():
    configs = config_util.get_configs_from_pipeline_file(CONFIG)
    configs["model"].ssd.num_classes = 1
    configs["model"].ssd.freeze_batchnorm = True
    return model_builder.build(model_config=configs["model"], is_training=True)


def dummy_pass(model, shape=(1, 640, 640, 3)):
    images, shapes = model.preprocess(tf.zeros(shape))
    return model.postprocess(model.predict(images, shapes), shapes)


def course_restore(model, box_head_keyword="_box_prediction_head"):
    """Ex6 as the course writes it (a keyword may be misspelt, as learners do)."""
    box_predictor = tf.train.Checkpoint(**{
        "_base_tower_layers_for_heads": model._box_predictor._base_tower_layers_for_heads,
        box_head_keyword: model._box_predictor._box_prediction_head})
    tmp_model_checkpoint = tf.train.Checkpoint(_feature_extractor=model._feature_extractor,
                                               _box_predictor=box_predictor)
    return tf.train.Checkpoint(model=tmp_model_checkpoint).restore(str(CHECKPOINT))


@pytest.fixture(scope="module")
def restored():
    """A 1-class detector restored and passed over as in the course (shared: building takes seconds)."""
    model = zombie_model()
    assert len(model.trainable_variables) == 0
    course_restore(model)
    dummy_pass(model)
    return model


def checkpoint_value(name_in_graph: str) -> np.ndarray:
    reader = tf.train.load_checkpoint(str(CHECKPOINT))
    return reader.get_tensor(f"model/{name_in_graph}/.ATTRIBUTES/VARIABLE_VALUE")


# --- geometry ---------------------------------------------------------------------------------
boxes_strategy = st.tuples(st.floats(0, 0.9), st.floats(0, 0.9), st.floats(0.02, 1.0), st.floats(0.02, 1.0)).map(
    lambda t: (t[0], t[1], min(1.0, t[0] + t[2]), min(1.0, t[1] + t[3])))


def test_anchors_cover_the_levels_in_prediction_order():
    anchors = box_ops.multiscale_grid_anchors(3, 5, 4.0, [1.0, 2.0, 0.5], 2, 256, 256).numpy()
    assert anchors.shape == ((32 * 32 + 16 * 16 + 8 * 8) * 6, 4)
    first = anchors[:6]  # the first cell of level 3, centred at (4, 4) pixels
    np.testing.assert_allclose((first[:, 0] + first[:, 2]) / 2 * 256, 4.0, atol=1e-4)
    np.testing.assert_allclose((first[0, 2] - first[0, 0]) * 256, 32.0, atol=1e-4)  # anchor_scale * stride
    widths, heights = first[:3, 3] - first[:3, 1], first[:3, 2] - first[:3, 0]
    np.testing.assert_allclose(widths / heights, [1.0, 2.0, 0.5], rtol=1e-4)  # aspect = width / height
    last_level = anchors[-64 * 6:]
    np.testing.assert_allclose((last_level[-1, 1] + last_level[-1, 3]) / 2 * 256, 256 - 16, atol=1e-3)


@settings(max_examples=60, deadline=None)
@given(boxes_strategy, boxes_strategy)
def test_box_coder_round_trip(box, anchor):
    coder = box_ops.FasterRcnnBoxCoder()
    decoded = coder.decode(coder.encode(tf.constant([box]), tf.constant([anchor])), tf.constant([anchor]))
    np.testing.assert_allclose(decoded.numpy()[0], box, atol=2e-5)


@settings(max_examples=60, deadline=None)
@given(st.lists(boxes_strategy, min_size=1, max_size=6), st.lists(boxes_strategy, min_size=1, max_size=6))
def test_iou_is_bounded_symmetric_and_one_on_itself(first, second):
    a, b = tf.constant(first), tf.constant(second)
    overlap = box_ops.iou(a, b).numpy()
    assert overlap.shape == (len(first), len(second))
    assert np.all(overlap >= 0) and np.all(overlap <= 1 + 1e-6)
    np.testing.assert_allclose(overlap, box_ops.iou(b, a).numpy().T, atol=1e-6)
    np.testing.assert_allclose(np.diag(box_ops.iou(a, a).numpy()), 1.0, atol=1e-5)


def test_matcher_thresholds_and_forced_match():
    similarity = tf.constant([[0.7, 0.45, 0.1, 0.3],
                              [0.2, 0.1, 0.35, 0.05]])
    matches = box_ops.argmax_match(similarity, 0.5, 0.4, force_match_for_each_row=False).numpy()
    assert matches.tolist() == [0, box_ops.IGNORED, box_ops.UNMATCHED, box_ops.UNMATCHED]
    forced = box_ops.argmax_match(similarity, 0.5, 0.4, force_match_for_each_row=True).numpy()
    assert forced.tolist() == [0, box_ops.IGNORED, 1, box_ops.UNMATCHED]  # box 1's best anchor is anchor 2
    empty = box_ops.argmax_match(tf.zeros([0, 3]), 0.5, 0.4).numpy()
    assert empty.tolist() == [box_ops.UNMATCHED] * 3


# --- losses -----------------------------------------------------------------------------------
def test_smooth_l1_is_quadratic_then_linear():
    prediction = tf.constant([[0.5, 0.0, 0.0, 0.0], [3.0, 0.0, 0.0, -2.0]])
    values = losses.smooth_l1(prediction, tf.zeros_like(prediction)).numpy()
    np.testing.assert_allclose(values, [0.125, 2.5 + 1.5], rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-8, 8), min_size=1, max_size=8), st.integers(0, 255))
def test_focal_loss_without_focusing_is_half_the_cross_entropy(logits, bits):
    logits = tf.constant(logits)
    targets = tf.constant([(bits >> i) & 1 for i in range(len(logits.numpy()))], tf.float32)
    focal = losses.sigmoid_focal(logits, targets, alpha=0.5, gamma=0.0).numpy()
    cross_entropy = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits).numpy()
    np.testing.assert_allclose(focal, 0.5 * cross_entropy, rtol=1e-5, atol=1e-7)
    assert np.all(losses.sigmoid_focal(logits, targets).numpy() <= cross_entropy + 1e-7)  # easy ones weigh less


# --- non-max suppression ------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(boxes_strategy, st.floats(0.01, 1.0), st.integers(0, 1)), min_size=1, max_size=30))
def test_nms_output_is_sorted_and_does_not_overlap_above_the_threshold(items):
    boxes = tf.constant([[b for b, _, _ in items]], tf.float32)
    scores = np.zeros([1, len(items), 2], np.float32)
    for i, (_, score, label) in enumerate(items):
        scores[0, i, label] = score
    out = post_processing.batch_multiclass_nms(boxes, tf.constant(scores), iou_threshold=0.5,
                                               max_detections_per_class=10, max_total_detections=12)
    count = int(out["num_detections"][0])
    kept_scores = out["detection_scores"][0].numpy()
    assert np.all(np.diff(kept_scores) <= 1e-7)
    assert np.all(kept_scores[count:] == 0)
    kept = out["detection_boxes"][0].numpy()[:count]
    classes = out["detection_classes"][0].numpy()[:count]
    overlap = box_ops.iou(tf.constant(kept.reshape(-1, 4)), tf.constant(kept.reshape(-1, 4))).numpy()
    same_class = classes[:, None] == classes[None, :]
    np.fill_diagonal(same_class, False)
    assert np.all(overlap[same_class] <= 0.5 + 1e-5)


# --- configs ------------------------------------------------------------------------------------
def test_config_reads_the_course_syntax_and_prints_text_format():
    text = """
    # a comment
    model {
      ssd {
        num_classes: 90
        feature_extractor { type: 'ssd_resnet50_v1_fpn_keras' }
        anchor_generator { multiscale_anchor_generator { aspect_ratios: [1.0, 2.0, 0.5] } }
        box_predictor { weight_shared_convolutional_box_predictor {
          conv_hyperparams { activation: RELU_6, batch_norm { scale: true, decay: 0.997, epsilon: .001, } } } }
        post_processing { batch_non_max_suppression { score_threshold: 1e-8 } score_converter: SIGMOID }
      }
    }
    train_config: {
      fine_tune_checkpoint: "PATH_TO_BE_CONFIGURED/ckpt-0"
      data_augmentation_options { random_horizontal_flip { } }
    }
    """
    message = text_format.parse(text)
    ssd = message.model.ssd
    assert ssd.num_classes == 90 and ssd.feature_extractor.type == "ssd_resnet50_v1_fpn_keras"
    assert ssd.anchor_generator.multiscale_anchor_generator.aspect_ratios == [1.0, 2.0, 0.5]
    assert ssd.post_processing.batch_non_max_suppression.score_threshold == 1e-8
    assert isinstance(ssd.post_processing.score_converter, text_format.Enum)
    assert message.train_config.data_augmentation_options[0].HasField("random_horizontal_flip")
    printed = str(message)
    assert "score_converter: SIGMOID\n" in printed and 'type: "ssd_resnet50_v1_fpn_keras"' in printed
    assert "aspect_ratios: 2.0\n" in printed and "epsilon: 0.001\n" in printed
    assert text_format.parse(printed) == message
    with pytest.raises(text_format.ParseError, match="line"):
        text_format.parse("model { ssd { num_classes 3 } }")
    with pytest.raises(AttributeError, match="num_classes"):
        _ = ssd.num_class


field_names = st.sampled_from(["num_classes", "depth", "type", "name", "ssd", "box_coder", "x_scale"])
scalars = st.one_of(st.integers(-10**6, 10**6), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
                    st.sampled_from([text_format.Enum("SIGMOID"), text_format.Enum("RELU_6")]))
messages = st.recursive(
    st.dictionaries(field_names, scalars, max_size=4).map(lambda d: text_format.Message(**d)),
    lambda children: st.dictionaries(field_names, st.one_of(scalars, children), max_size=4).map(
        lambda d: text_format.Message(**d)),
    max_leaves=12)


@settings(max_examples=80, deadline=None)
@given(messages)
def test_text_format_prints_what_it_parses_back(message):
    assert text_format.parse(text_format.to_text(message)) == message


def test_shipped_config_edits_like_the_course():
    configs = config_util.get_configs_from_pipeline_file(str(CONFIG))
    assert {"model", "train_config", "train_input_config", "eval_config", "eval_input_configs",
            "eval_input_config"} <= set(configs)
    model_config = configs["model"]
    model_config.ssd.num_classes = np.int64(1)
    model_config.ssd.freeze_batchnorm = True
    assert "num_classes: 1\n" in str(model_config) and "freeze_batchnorm: true\n" in str(model_config)
    pipeline = config_util.create_pipeline_proto_from_configs(configs)
    assert text_format.parse(str(pipeline)) == pipeline
    with pytest.raises(FileNotFoundError, match="course_files"):
        config_util.get_configs_from_pipeline_file("models/research/object_detection/configs/tf2/missing.config")


# --- the detector -------------------------------------------------------------------------------
def test_variables_have_the_course_names_and_order(restored):
    variables = restored.trainable_variables
    assert [v.name for v in variables[:4]] == HEAD_NAMES
    assert variables[4].name == "WeightSharedConvolutionalBoxPredictor/BoxPredictionTower/conv2d_0/kernel:0"
    selected = [v for v in variables if v.name.startswith((BOX_HEAD, CLASS_HEAD))]
    assert [v.name for v in selected] == HEAD_NAMES
    shorter = [v for v in variables if v.name.startswith("WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutional")]
    assert [v.name for v in shorter] == HEAD_NAMES
    assert len({v.name for v in variables}) == len(variables)
    assert sum(int(np.prod(v.shape)) for v in variables) < 2_000_000


def test_outputs_of_postprocess(restored):
    for shape in ((1, 640, 640, 3), (2, 640, 853, 3)):
        detections = dummy_pass(restored, shape)
        assert detections["detection_boxes"].shape == (shape[0], 100, 4)
        assert detections["detection_scores"].shape == (shape[0], 100)
        assert detections["detection_classes"].shape == (shape[0], 100)
        assert detections["num_detections"].shape == (shape[0],)
        scores = detections["detection_scores"].numpy()
        assert np.all(np.diff(scores, axis=1) <= 1e-7)
        assert np.all(detections["detection_classes"].numpy() == 0)  # one class, 0-based
        boxes = detections["detection_boxes"].numpy()
        assert np.all((boxes >= 0) & (boxes <= 1)) and np.all(boxes[..., 2] >= boxes[..., 0])


def test_the_course_restore_fills_the_feature_extractor_and_box_head_not_the_class_head(restored):
    predictor = restored._box_predictor
    np.testing.assert_array_equal(predictor._box_prediction_head._box_encoder_layer.kernel.numpy(),
                                  checkpoint_value("_box_predictor/_box_prediction_head/_box_encoder_layer/kernel"))
    tower = predictor._base_tower_layers_for_heads["class_predictions_with_background"][0]
    np.testing.assert_array_equal(tower.kernel.numpy(), checkpoint_value(
        "_box_predictor/_base_tower_layers_for_heads/class_predictions_with_background/0/kernel"))
    np.testing.assert_array_equal(restored._feature_extractor._body[0].kernel.numpy(),
                                  checkpoint_value("_feature_extractor/_body/0/kernel"))
    stored_class_head = checkpoint_value(
        "_box_predictor/_prediction_heads/class_predictions_with_background/_class_predictor_layer/kernel")
    class_head = predictor._prediction_heads["class_predictions_with_background"]._class_predictor_layer.kernel
    assert stored_class_head.shape[-1] == 6 * 7 and class_head.shape[-1] == 6 * 2  # 6 classes + background vs 1 + 1


def test_restoring_the_whole_model_fails_on_the_class_head():
    model = zombie_model()
    tf.train.Checkpoint(model=model).restore(str(CHECKPOINT))
    with pytest.raises(ValueError):
        dummy_pass(model)


def test_a_misspelt_keyword_restores_nothing_of_the_box_head():
    model = zombie_model()
    course_restore(model, box_head_keyword="_box_predictions_head")
    dummy_pass(model)
    kernel = model._box_predictor._box_prediction_head._box_encoder_layer.kernel.numpy()
    stored = checkpoint_value("_box_predictor/_box_prediction_head/_box_encoder_layer/kernel")
    assert not np.allclose(kernel, stored)
    np.testing.assert_array_equal(model._feature_extractor._body[0].kernel.numpy(),
                                  checkpoint_value("_feature_extractor/_body/0/kernel"))


def test_loss_matches_and_falls_when_training_the_heads(restored):
    from graders.data import detection

    images, boxes = detection.training_images()
    image = tf.constant(images[0][np.newaxis], tf.float32)
    restored.provide_groundtruth(groundtruth_boxes_list=[tf.constant(boxes[:1])],
                                 groundtruth_classes_list=[tf.one_hot([0], 1)])
    processed, shapes = restored.preprocess(image)
    first = restored.loss(restored.predict(processed, shapes), shapes)
    assert set(first) == {"Loss/localization_loss", "Loss/classification_loss"}
    assert all(np.isfinite(float(v)) and float(v) > 0 for v in first.values())
    heads = list(restored.trainable_variables[:4])
    saved = [v.numpy() for v in heads]
    optimizer = tf.keras.optimizers.SGD(0.01, momentum=0.9)
    totals = []
    for _ in range(8):
        with tf.GradientTape() as tape:
            result = restored.loss(restored.predict(processed, shapes), shapes)
            total = result["Loss/localization_loss"] + result["Loss/classification_loss"]
        optimizer.apply_gradients(zip(tape.gradient(total, heads), heads))
        totals.append(float(total))
    for variable, value in zip(heads, saved):
        variable.assign(value)  # the fixture stays as restored
    assert totals[-1] < totals[0]


def test_laid_out_course_paths_restore_with_tensorflow(tmp_path):
    from object_detection import course_files

    written = course_files.lay_out(tmp_path)
    assert (tmp_path / course_files.CONFIG_PATH).is_file()
    assert (tmp_path / "models/research/object_detection/test_data/checkpoint/ckpt-0.index").is_file()
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        configs = config_util.get_configs_from_pipeline_file(
            "models/research/object_detection/configs/tf2/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config")
        model = model_builder.build(configs["model"], True)
        # read(), the counterpart of the write() that made it: restore() would add a save counter
        status = tf.train.Checkpoint(model=model).read("models/research/object_detection/test_data/checkpoint/ckpt-0")
        dummy_pass(model)
        status.assert_existing_objects_matched()
    finally:
        os.chdir(previous)
    assert len(written) == len(course_files.FILES)


def test_builder_refuses_other_detectors():
    configs = config_util.get_configs_from_pipeline_file(CONFIG)
    configs["model"].ssd.feature_extractor.type = "ssd_resnet50_v1_fpn_keras"
    with pytest.raises(ValueError, match="ssd_small_conv_fpn_keras"):
        model_builder.build(configs["model"], is_training=True)


# --- the course's steps, short ----------------------------------------------------------------------
def test_course_steps_end_to_end_on_a_short_run(tmp_path):
    from solutions import c3w2_course_steps as course_steps

    result = course_steps.run(tmp_path, num_batches=12, frames=4)
    assert len(result["losses"]) == 12 and all(np.isfinite(result["losses"]))
    assert np.mean(result["losses"][-4:]) < np.mean(result["losses"][:4])
    assert result["boxes"].shape == (4, 4) and result["frames"] == 4
    assert 0.0 <= result["mean_iou"] <= 1.0


def test_the_committed_checkpoint_gives_its_reference_detections():
    """`python -m object_detection.pretrain --check` rebuilds the checkpoint (as long as the
    pre-training); this checks the committed pair, checkpoint and detections, agree."""
    from object_detection import pretrain

    with np.load(pretrain.CHECKPOINT_DIR / pretrain.REFERENCE) as stored:
        reference = {key: stored[key] for key in stored.files}
    detections = pretrain.detect_dev(pretrain.load_pretrained())
    for key, value in detections.items():
        np.testing.assert_allclose(value, reference[key], atol=2e-3, err_msg=key)
    assert float(np.mean(detections["detection_scores"][:, 0])) > 0.5  # it was trained: confident top boxes
