"""From scores per anchor to a fixed number of detections per image."""

from __future__ import annotations

import tensorflow as tf


def batch_multiclass_nms(boxes: tf.Tensor, scores: tf.Tensor, score_threshold: float = 1e-8,
                         iou_threshold: float = 0.6, max_detections_per_class: int = 100,
                         max_total_detections: int = 100) -> dict:
    """Per-class non-max suppression over a batch: boxes [B, N, 4], scores [B, N, C].

    Returns detection_boxes [B, K, 4] clipped to [0, 1], detection_scores [B, K] sorted
    in decreasing order, detection_classes [B, K] (0-based, float32 as in the API) and
    num_detections [B] (float32); rows past num_detections are zeros. K is
    max_total_detections.
    """
    boxes = tf.clip_by_value(tf.convert_to_tensor(boxes, tf.float32), 0.0, 1.0)
    nmsed = tf.image.combined_non_max_suppression(
        boxes[:, :, tf.newaxis, :], scores, max_output_size_per_class=max_detections_per_class,
        max_total_size=max_total_detections, iou_threshold=iou_threshold, score_threshold=score_threshold,
        pad_per_class=False, clip_boxes=True)
    return {"detection_boxes": nmsed.nmsed_boxes, "detection_scores": nmsed.nmsed_scores,
            "detection_classes": nmsed.nmsed_classes,
            "num_detections": tf.cast(nmsed.valid_detections, tf.float32)}
