"""`build(model_config, is_training)`: the detector a pipeline's `model` message describes.

Only the project's detector (`feature_extractor { type: 'ssd_small_conv_fpn_keras' }`)
can be built; other types of the Object Detection API (ResNet, MobileNet, Faster R-CNN)
are refused by name rather than approximated.
"""

from __future__ import annotations

from object_detection.meta_architectures.ssd_meta_arch import SSDMetaArch
from object_detection.protos.text_format import Message

FEATURE_EXTRACTORS = ("ssd_small_conv_fpn_keras",)


def _get(message: Message, path: str, default):
    """A nested field by dotted path, or `default` when any part is unset."""
    node = message
    for name in path.split("."):
        if not isinstance(node, Message) or not node.HasField(name):
            return default
        node = getattr(node, name)
    return node


def build(model_config: Message, is_training: bool, add_summaries: bool = True) -> SSDMetaArch:
    """Build the detector (its variables are created by its first call)."""
    if not isinstance(model_config, Message):
        raise ValueError(f"model_config must be the pipeline's model message (configs['model']), "
                         f"got {type(model_config).__name__}")
    meta = model_config.WhichOneof("model")
    if meta != "ssd":
        raise ValueError(f"unknown meta architecture {meta!r}: this detection API builds 'ssd' models only")
    ssd = model_config.ssd
    kind = _get(ssd, "feature_extractor.type", None)
    if kind not in FEATURE_EXTRACTORS:
        raise ValueError(f"unknown ssd feature extractor {kind!r}; this project's detection API has "
                         f"{', '.join(FEATURE_EXTRACTORS)} (the config it ships)")
    num_classes = int(ssd.num_classes)
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    anchors = ssd.anchor_generator.multiscale_anchor_generator
    coder = ssd.box_coder.faster_rcnn_box_coder
    matcher = ssd.matcher.argmax_matcher
    predictor = ssd.box_predictor.weight_shared_convolutional_box_predictor
    loss = ssd.loss
    focal = _get(loss, "classification_loss.weighted_sigmoid_focal", Message())
    nms = ssd.post_processing.batch_non_max_suppression
    resizer = ssd.image_resizer.fixed_shape_resizer
    return SSDMetaArch(
        num_classes=num_classes,
        image_size=(int(resizer.height), int(resizer.width)),
        anchor_config={"min_level": int(anchors.min_level), "max_level": int(anchors.max_level),
                       "anchor_scale": float(anchors.anchor_scale),
                       "aspect_ratios": [float(a) for a in anchors.aspect_ratios],
                       "scales_per_octave": int(anchors.scales_per_octave)},
        box_coder_scales=(float(coder.y_scale), float(coder.x_scale), float(coder.height_scale),
                          float(coder.width_scale)),
        matcher_config={"matched_threshold": float(matcher.matched_threshold),
                        "unmatched_threshold": float(matcher.unmatched_threshold),
                        "force_match_for_each_row": bool(_get(matcher, "force_match_for_each_row", False))},
        loss_config={"alpha": float(_get(focal, "alpha", 0.25)), "gamma": float(_get(focal, "gamma", 2.0)),
                     "classification_weight": float(_get(loss, "classification_weight", 1.0)),
                     "localization_weight": float(_get(loss, "localization_weight", 1.0)),
                     "encode_background_as_zeros": bool(_get(ssd, "encode_background_as_zeros", False)),
                     "normalize_by_num_matches": bool(_get(ssd, "normalize_loss_by_num_matches", True)),
                     "normalize_loc_loss_by_codesize": bool(_get(ssd, "normalize_loc_loss_by_codesize", False))},
        nms_config={"score_threshold": float(nms.score_threshold), "iou_threshold": float(nms.iou_threshold),
                    "max_detections_per_class": int(nms.max_detections_per_class),
                    "max_total_detections": int(nms.max_total_detections)},
        predictor_depth=int(predictor.depth),
        predictor_layers=int(predictor.num_layers_before_predictor),
        class_prediction_bias_init=float(_get(predictor, "class_prediction_bias_init", 0.0)),
        fpn_depth=int(_get(ssd, "feature_extractor.fpn.additional_layer_depth", 48)),
        is_training=bool(is_training),
        freeze_batchnorm=bool(_get(ssd, "freeze_batchnorm", False)),
    )
