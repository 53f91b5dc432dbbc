"""A small single-stage detector (RetinaNet's design) with the Object Detection API's object graph.

Why tf.Module and tf.Variable, not Keras layers: the course selects variables by
their names (``WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalBoxHead/...``)
and by their order in ``trainable_variables``, and restores parts of the model through
``tf.train.Checkpoint`` by attribute names (``_feature_extractor``, ``_box_predictor``,
``_base_tower_layers_for_heads``, ``_box_prediction_head``, ``_prediction_heads``).
Keras 3 layers ignore name scopes, so every variable here is a tf.Variable created
under an absolute name scope, on the first call (its input depth is known only then):
before the first pass the model has no variables, and a checkpoint restored before it
fills the variables by deferred restoration as they are created.

The network: a 9-convolution feature extractor with a 3-level FPN (strides 8, 16, 32),
a weight-shared box predictor (one tower of 3x3 convolutions for boxes and one for
classes, shared by the levels) and 6 anchors per cell; no batch norm, so
``freeze_batchnorm`` has nothing to freeze (it is read and kept as ``freeze_batchnorm``).
"""

from __future__ import annotations

import types
import zlib
from typing import Sequence

import tensorflow as tf

from object_detection.core import box_ops, losses, post_processing

BOX_PREDICTOR_SCOPE = "WeightSharedConvolutionalBoxPredictor"
FEATURE_EXTRACTOR_SCOPE = "SmallConvFPN"
BOX_ENCODINGS = "box_encodings"
CLASS_PREDICTIONS = "class_predictions_with_background"


class Conv2D(tf.Module):
    """A convolution whose kernel and bias are created on the first call, named `scope`/kernel:0.

    Initial values are drawn from a stateless generator seeded by the scope's name, so
    two models built alike start alike (the pre-training is reproducible, and so is a
    fresh class head)."""

    def __init__(self, scope: str, filters: int, kernel_size: int = 3, stride: int = 1,
                 activation: str | None = "relu6", stddev: float | None = None, bias_init: float = 0.0,
                 seed: int = 0) -> None:
        super().__init__(name=scope.rsplit("/", 1)[-1])
        self._scope = scope
        self._filters = int(filters)
        self._kernel_size = int(kernel_size)
        self._stride = int(stride)
        self._activation = activation
        self._stddev = stddev  # None: He initialisation (variance 2 / fan in)
        self._bias_init = float(bias_init)
        self._seed = int(seed)

    def _build(self, depth: int) -> None:
        shape = [self._kernel_size, self._kernel_size, depth, self._filters]
        stddev = self._stddev if self._stddev is not None else (2.0 / (self._kernel_size ** 2 * depth)) ** 0.5
        seed = tf.constant([self._seed, zlib.crc32(self._scope.encode()) & 0x7FFFFFFF], tf.int64)
        with tf.init_scope(), tf.name_scope(self._scope + "/"):
            initial = tf.random.stateless_truncated_normal(shape, seed=seed, stddev=stddev)
            self.kernel = tf.Variable(initial, name="kernel")
            self.bias = tf.Variable(tf.fill([self._filters], self._bias_init), name="bias")

    def __call__(self, inputs: tf.Tensor) -> tf.Tensor:
        if not hasattr(self, "kernel"):
            self._build(int(inputs.shape[-1]))
        outputs = tf.nn.conv2d(inputs, self.kernel, self._stride, "SAME") + self.bias
        if self._activation == "relu6":
            outputs = tf.nn.relu6(outputs)
        return outputs


class SmallConvFPNFeatureExtractor(tf.Module):
    """Feature maps at strides 8, 16 and 32 (levels 3 to 5) of `fpn_depth` channels each."""

    # (name, filters, stride); C3, C4, C5 are the outputs of conv5, conv7 and conv9
    BODY = (("conv1", 24, 2), ("conv2", 32, 2), ("conv3", 48, 1), ("conv4", 64, 2), ("conv5", 64, 1),
            ("conv6", 96, 2), ("conv7", 96, 1), ("conv8", 128, 2), ("conv9", 128, 1))
    OUTPUTS = ("conv5", "conv7", "conv9")

    def __init__(self, fpn_depth: int = 48, seed: int = 0) -> None:
        super().__init__(name="feature_extractor")
        scope = FEATURE_EXTRACTOR_SCOPE
        self._body = [Conv2D(f"{scope}/{name}", filters, 3, stride, seed=seed) for name, filters, stride in self.BODY]
        self._lateral = [Conv2D(f"{scope}/FeatureMaps/lateral_{level}", fpn_depth, 1, activation=None, seed=seed)
                         for level in (3, 4, 5)]
        self._smoothing = [Conv2D(f"{scope}/FeatureMaps/smoothing_{level}", fpn_depth, 3, seed=seed)
                           for level in (3, 4, 5)]

    def __call__(self, images: tf.Tensor) -> list[tf.Tensor]:
        outputs = {}
        net = images
        for (name, _, _), conv in zip(self.BODY, self._body):
            net = conv(net)
            outputs[name] = net
        laterals = [conv(outputs[name]) for conv, name in zip(self._lateral, self.OUTPUTS)]
        merged = [laterals[-1]]
        for lateral in reversed(laterals[:-1]):  # top-down: upsample the coarser map and add
            above = merged[0]
            size = tf.shape(lateral)[1:3]
            merged.insert(0, lateral + tf.image.resize(above, size, method="nearest"))
        return [conv(feature) for conv, feature in zip(self._smoothing, merged)]


class WeightSharedConvolutionalBoxHead(tf.Module):
    """The box head: one 3x3 convolution to 4 codes per anchor, shared by the levels."""

    def __init__(self, anchors_per_location: int, seed: int = 0) -> None:
        super().__init__(name="WeightSharedConvolutionalBoxHead")
        self._box_encoder_layer = Conv2D(f"{BOX_PREDICTOR_SCOPE}/WeightSharedConvolutionalBoxHead/BoxPredictor",
                                         anchors_per_location * 4, 3, activation=None, stddev=0.01, seed=seed)

    def __call__(self, features: tf.Tensor) -> tf.Tensor:
        codes = self._box_encoder_layer(features)
        return tf.reshape(codes, [tf.shape(codes)[0], -1, 4])


class WeightSharedConvolutionalClassHead(tf.Module):
    """The class head: num_classes + 1 logits per anchor (slot 0 is the background)."""

    def __init__(self, anchors_per_location: int, num_class_slots: int, bias_init: float, seed: int = 0) -> None:
        super().__init__(name="WeightSharedConvolutionalClassHead")
        self._num_class_slots = int(num_class_slots)
        self._class_predictor_layer = Conv2D(
            f"{BOX_PREDICTOR_SCOPE}/WeightSharedConvolutionalClassHead/ClassPredictor",
            anchors_per_location * num_class_slots, 3, activation=None, stddev=0.01, bias_init=bias_init, seed=seed)

    def __call__(self, features: tf.Tensor) -> tf.Tensor:
        logits = self._class_predictor_layer(features)
        return tf.reshape(logits, [tf.shape(logits)[0], -1, self._num_class_slots])


class WeightSharedConvolutionalBoxPredictor(tf.Module):
    """Two towers (box, class) of 3x3 convolutions and the two heads, applied to every level."""

    def __init__(self, num_classes: int, anchors_per_location: int, depth: int = 48, num_layers: int = 2,
                 class_prediction_bias_init: float = -4.6, seed: int = 0) -> None:
        super().__init__(name=BOX_PREDICTOR_SCOPE)
        self._base_tower_layers_for_heads = {
            BOX_ENCODINGS: [Conv2D(f"{BOX_PREDICTOR_SCOPE}/BoxPredictionTower/conv2d_{i}", depth, 3, seed=seed)
                            for i in range(num_layers)],
            CLASS_PREDICTIONS: [Conv2D(f"{BOX_PREDICTOR_SCOPE}/ClassPredictionTower/conv2d_{i}", depth, 3, seed=seed)
                                for i in range(num_layers)],
        }
        self._box_prediction_head = WeightSharedConvolutionalBoxHead(anchors_per_location, seed=seed)
        self._prediction_heads = {CLASS_PREDICTIONS: WeightSharedConvolutionalClassHead(
            anchors_per_location, num_classes + 1, class_prediction_bias_init, seed=seed)}

    @staticmethod
    def _tower(layers: Sequence[Conv2D], features: tf.Tensor) -> tf.Tensor:
        for layer in layers:
            features = layer(features)
        return features

    def __call__(self, feature_maps: Sequence[tf.Tensor]) -> dict:
        boxes, classes = [], []
        for features in feature_maps:
            boxes.append(self._box_prediction_head(self._tower(self._base_tower_layers_for_heads[BOX_ENCODINGS],
                                                               features)))
            classes.append(self._prediction_heads[CLASS_PREDICTIONS](
                self._tower(self._base_tower_layers_for_heads[CLASS_PREDICTIONS], features)))
        return {BOX_ENCODINGS: tf.concat(boxes, axis=1), CLASS_PREDICTIONS: tf.concat(classes, axis=1)}


class SSDMetaArch(tf.Module):
    """The detector: preprocess, predict, provide_groundtruth, loss and postprocess as in the API."""

    def __init__(self, *, num_classes: int, image_size: tuple[int, int], anchor_config: dict,
                 box_coder_scales: Sequence[float], matcher_config: dict, loss_config: dict, nms_config: dict,
                 predictor_depth: int, predictor_layers: int, class_prediction_bias_init: float,
                 fpn_depth: int, is_training: bool, freeze_batchnorm: bool, seed: int = 0) -> None:
        super().__init__(name="ssd_meta_arch")
        self._num_classes = int(num_classes)
        self._image_size = (int(image_size[0]), int(image_size[1]))
        self._is_training = bool(is_training)
        self.freeze_batchnorm = bool(freeze_batchnorm)  # no batch norm here: nothing to freeze
        per_location = box_ops.anchors_per_location(anchor_config["aspect_ratios"],
                                                    anchor_config["scales_per_octave"])
        self._feature_extractor = SmallConvFPNFeatureExtractor(fpn_depth, seed=seed)
        self._box_predictor = WeightSharedConvolutionalBoxPredictor(
            self._num_classes, per_location, predictor_depth, predictor_layers, class_prediction_bias_init, seed=seed)
        # plain namespaces, not dicts: tf.Module would wrap dicts and lists for checkpoint tracking
        self._settings = types.SimpleNamespace(anchor=dict(anchor_config), matcher=dict(matcher_config),
                                               loss=dict(loss_config), nms=dict(nms_config))
        self._box_coder = box_ops.FasterRcnnBoxCoder(box_coder_scales)
        self._groundtruth = types.SimpleNamespace(lists={})

    # --- the API's surface -------------------------------------------------------------------
    @property
    def num_classes(self) -> int:
        return self._num_classes

    def anchors(self) -> tf.Tensor:
        """[N, 4] normalised anchors, in the order of the predictions."""
        config = self._settings.anchor
        return box_ops.multiscale_grid_anchors(config["min_level"], config["max_level"], config["anchor_scale"],
                                               config["aspect_ratios"], config["scales_per_octave"],
                                               *self._image_size)

    def preprocess(self, inputs: tf.Tensor):
        """Resize a batch [B, H, W, 3] of 0..255 pixels to the fixed input size and scale to [-1, 1].

        Returns (preprocessed images [B, h, w, 3], true_image_shapes int32 [B, 3]); like the
        API's fixed_shape_resizer, the true shape is the resized one."""
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape.rank != 4:
            raise ValueError(f"preprocess expects a batch [batch, height, width, 3], got shape {inputs.shape}")
        images = tf.image.resize(tf.cast(inputs, tf.float32), self._image_size, method="bilinear")
        images = images / 127.5 - 1.0
        batch = tf.shape(images)[0]
        shapes = tf.tile(tf.constant([[self._image_size[0], self._image_size[1], 3]], tf.int32), [batch, 1])
        return images, shapes

    def predict(self, preprocessed_inputs: tf.Tensor, true_image_shapes=None, **kwargs) -> dict:
        """Box codes [B, N, 4] and class logits [B, N, num_classes + 1] for the N anchors."""
        feature_maps = self._feature_extractor(tf.convert_to_tensor(preprocessed_inputs, tf.float32))
        predictions = self._box_predictor(feature_maps)
        predictions.update({"preprocessed_inputs": preprocessed_inputs, "feature_maps": feature_maps,
                            "anchors": self.anchors()})
        return predictions

    def provide_groundtruth(self, groundtruth_boxes_list, groundtruth_classes_list, groundtruth_weights_list=None,
                            **unused) -> None:
        """Keep one [n, 4] box tensor and one [n, num_classes] one-hot tensor per image for `loss`."""
        if len(groundtruth_boxes_list) != len(groundtruth_classes_list):
            raise ValueError("groundtruth_boxes_list and groundtruth_classes_list must have one item per image")
        self._groundtruth.lists = {
            "boxes": [tf.reshape(tf.cast(b, tf.float32), [-1, 4]) for b in groundtruth_boxes_list],
            "classes": [tf.reshape(tf.cast(c, tf.float32), [-1, self._num_classes]) for c in groundtruth_classes_list],
            "weights": None if groundtruth_weights_list is None else
            [tf.reshape(tf.cast(w, tf.float32), [-1]) for w in groundtruth_weights_list],
        }

    def groundtruth_has_field(self, field: str) -> bool:
        return field in self._groundtruth.lists and self._groundtruth.lists[field] is not None

    def _targets(self, boxes: tf.Tensor, classes: tf.Tensor, weights, anchors: tf.Tensor):
        """Per-anchor regression targets, class targets (with the background slot) and weights."""
        config = self._settings.matcher
        matches = box_ops.argmax_match(box_ops.iou(boxes, anchors), config["matched_threshold"],
                                       config["unmatched_threshold"], config["force_match_for_each_row"])
        positive = matches >= 0
        index = tf.maximum(matches, 0)
        safe_boxes = tf.concat([boxes, tf.constant([[0.0, 0.0, 1.0, 1.0]])], axis=0)  # for images without boxes
        safe_classes = tf.concat([classes, tf.zeros([1, self._num_classes])], axis=0)
        matched_boxes = tf.gather(safe_boxes, index)
        regression = self._box_coder.encode(matched_boxes, anchors)
        box_weight = tf.cast(positive, tf.float32)
        if weights is not None:
            box_weight *= tf.gather(tf.concat([weights, [0.0]], 0), index)
        foreground = tf.gather(safe_classes, index) * box_weight[:, tf.newaxis]
        # encode_background_as_zeros (RetinaNet's choice): unmatched anchors have all-zero targets,
        # the background slot included, so sigmoid scores need no background class
        background = tf.zeros_like(box_weight) if self._settings.loss["encode_background_as_zeros"] else (
            1.0 - tf.cast(positive, tf.float32))
        class_targets = tf.concat([background[:, tf.newaxis], foreground], axis=1)
        class_weight = tf.cast(matches != box_ops.IGNORED, tf.float32)
        return regression, box_weight, class_targets, class_weight

    def loss(self, prediction_dict: dict, true_image_shapes=None, scope=None) -> dict:
        """Smooth L1 on the matched anchors' codes and sigmoid focal loss on all but the ignored ones,
        each summed and divided by the number of matched anchors in the batch."""
        if not self._groundtruth.lists:
            raise RuntimeError("call provide_groundtruth(...) before loss(...)")
        anchors = self.anchors()
        box_encodings = prediction_dict[BOX_ENCODINGS]
        class_logits = prediction_dict[CLASS_PREDICTIONS]
        gt = self._groundtruth.lists
        localization, classification, matched = [], [], []
        for i, (boxes, classes) in enumerate(zip(gt["boxes"], gt["classes"])):
            weights = None if gt["weights"] is None else gt["weights"][i]
            regression, box_weight, class_targets, class_weight = self._targets(boxes, classes, weights, anchors)
            localization.append(tf.reduce_sum(losses.smooth_l1(box_encodings[i], regression) * box_weight))
            focal = losses.sigmoid_focal(class_logits[i], class_targets, self._settings.loss["alpha"],
                                         self._settings.loss["gamma"])
            classification.append(tf.reduce_sum(focal * class_weight[:, tf.newaxis]))
            matched.append(tf.reduce_sum(box_weight))
        normaliser = tf.maximum(tf.add_n(matched), 1.0) if self._settings.loss["normalize_by_num_matches"] else 1.0
        localization_loss = tf.add_n(localization) / normaliser
        if self._settings.loss["normalize_loc_loss_by_codesize"]:
            localization_loss /= float(self._box_coder.code_size)
        classification_loss = tf.add_n(classification) / normaliser
        return {"Loss/localization_loss": self._settings.loss["localization_weight"] * localization_loss,
                "Loss/classification_loss": self._settings.loss["classification_weight"] * classification_loss}

    def postprocess(self, prediction_dict: dict, true_image_shapes=None, **kwargs) -> dict:
        """Decoded boxes, sigmoid scores without the background slot, per-class NMS.

        detection_boxes [B, 100, 4] (ymin, xmin, ymax, xmax) normalised, sorted by
        detection_scores [B, 100]; detection_classes [B, 100] 0-based; num_detections [B]."""
        anchors = prediction_dict.get("anchors")
        anchors = self.anchors() if anchors is None else anchors
        boxes = self._box_coder.decode(prediction_dict[BOX_ENCODINGS], anchors[tf.newaxis])
        scores = tf.sigmoid(prediction_dict[CLASS_PREDICTIONS])[:, :, 1:]
        config = self._settings.nms
        detections = post_processing.batch_multiclass_nms(
            boxes, scores, config["score_threshold"], config["iou_threshold"], config["max_detections_per_class"],
            config["max_total_detections"])
        detections["raw_detection_boxes"] = tf.clip_by_value(boxes, 0.0, 1.0)
        detections["raw_detection_scores"] = scores
        return detections

    def regularization_losses(self) -> list:
        return []

    def updates(self) -> list:
        return []

    # --- variables in the course's order -------------------------------------------------------
    def _ordered_variables(self) -> tuple:
        predictor = self._box_predictor
        modules = [predictor._box_prediction_head._box_encoder_layer,
                   predictor._prediction_heads[CLASS_PREDICTIONS]._class_predictor_layer,
                   *predictor._base_tower_layers_for_heads[BOX_ENCODINGS],
                   *predictor._base_tower_layers_for_heads[CLASS_PREDICTIONS],
                   *self._feature_extractor._body, *self._feature_extractor._lateral,
                   *self._feature_extractor._smoothing]
        return tuple(v for m in modules if hasattr(m, "kernel") for v in (m.kernel, m.bias))

    @property
    def trainable_variables(self) -> tuple:
        """The box head's kernel and bias, the class head's, the towers', then the feature extractor's:
        the order in which the course's model lists them ([0:4] are the heads)."""
        return tuple(v for v in self._ordered_variables() if v.trainable)

    @property
    def variables(self) -> tuple:
        return self._ordered_variables()
