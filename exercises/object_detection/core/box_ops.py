"""The geometry of a single-stage detector: anchors, IoU, the box coder, the matcher.

Boxes are (ymin, xmin, ymax, xmax), normalised to the image, as everywhere in the
Object Detection API. Every function works on tensors and inside tf.function.
"""

from __future__ import annotations

import math
from typing import Sequence

import tensorflow as tf

UNMATCHED = -1
IGNORED = -2


def area(boxes: tf.Tensor) -> tf.Tensor:
    return tf.maximum(boxes[..., 2] - boxes[..., 0], 0.0) * tf.maximum(boxes[..., 3] - boxes[..., 1], 0.0)


def iou(boxes1: tf.Tensor, boxes2: tf.Tensor) -> tf.Tensor:
    """Pairwise intersection over union, [N, 4] x [M, 4] -> [N, M], 0 where both are empty."""
    boxes1 = tf.convert_to_tensor(boxes1, tf.float32)
    boxes2 = tf.convert_to_tensor(boxes2, tf.float32)
    ymin1, xmin1, ymax1, xmax1 = tf.unstack(boxes1[:, tf.newaxis, :], axis=-1)
    ymin2, xmin2, ymax2, xmax2 = tf.unstack(boxes2[tf.newaxis, :, :], axis=-1)
    height = tf.maximum(tf.minimum(ymax1, ymax2) - tf.maximum(ymin1, ymin2), 0.0)
    width = tf.maximum(tf.minimum(xmax1, xmax2) - tf.maximum(xmin1, xmin2), 0.0)
    intersection = height * width
    union = area(boxes1)[:, tf.newaxis] + area(boxes2)[tf.newaxis, :] - intersection
    return tf.math.divide_no_nan(intersection, union)


def multiscale_grid_anchors(min_level: int, max_level: int, anchor_scale: float,
                            aspect_ratios: Sequence[float], scales_per_octave: int,
                            image_height: int, image_width: int) -> tf.Tensor:
    """RetinaNet's anchors, normalised: [N, 4] in the order the predictor emits its outputs.

    Level l has a cell every 2**l pixels, centred in the cell; each cell holds
    scales_per_octave x len(aspect_ratios) anchors of side anchor_scale * 2**l * 2**(s/S),
    shaped by the aspect ratio (width / height). Order: level, row, column, scale, ratio.
    """
    levels = []
    for level in range(min_level, max_level + 1):
        stride = 2 ** level
        rows, columns = math.ceil(image_height / stride), math.ceil(image_width / stride)
        shapes = []
        for octave in range(scales_per_octave):
            side = anchor_scale * stride * 2.0 ** (octave / scales_per_octave)
            for ratio in aspect_ratios:
                shapes.append((side / math.sqrt(ratio), side * math.sqrt(ratio)))  # (height, width)
        shape = tf.constant(shapes, tf.float32)  # [A, 2]
        centre_y = (tf.range(rows, dtype=tf.float32) + 0.5) * stride
        centre_x = (tf.range(columns, dtype=tf.float32) + 0.5) * stride
        cy, cx = tf.meshgrid(centre_y, centre_x, indexing="ij")  # [R, C]
        cy = cy[:, :, tf.newaxis]
        cx = cx[:, :, tf.newaxis]
        half_h, half_w = shape[:, 0] / 2.0, shape[:, 1] / 2.0
        boxes = tf.stack([(cy - half_h) / image_height, (cx - half_w) / image_width,
                          (cy + half_h) / image_height, (cx + half_w) / image_width], axis=-1)
        levels.append(tf.reshape(boxes, [-1, 4]))
    return tf.concat(levels, axis=0)


def anchors_per_location(aspect_ratios: Sequence[float], scales_per_octave: int) -> int:
    return len(aspect_ratios) * scales_per_octave


class FasterRcnnBoxCoder:
    """Boxes as offsets from anchors: (ty, tx, th, tw) = scales * (dy/ha, dx/wa, log h/ha, log w/wa)."""

    code_size = 4

    def __init__(self, scale_factors: Sequence[float] = (10.0, 10.0, 5.0, 5.0)) -> None:
        self.scale_factors = tuple(float(s) for s in scale_factors)

    @staticmethod
    def _centres(boxes):
        height = boxes[..., 2] - boxes[..., 0]
        width = boxes[..., 3] - boxes[..., 1]
        return boxes[..., 0] + height / 2.0, boxes[..., 1] + width / 2.0, height, width

    def encode(self, boxes: tf.Tensor, anchors: tf.Tensor) -> tf.Tensor:
        """[..., 4] boxes and anchors -> [..., 4] codes (degenerate boxes get a tiny size)."""
        eps = 1e-8
        ycenter, xcenter, height, width = self._centres(tf.convert_to_tensor(boxes, tf.float32))
        ya, xa, ha, wa = self._centres(tf.convert_to_tensor(anchors, tf.float32))
        ha, wa = ha + eps, wa + eps
        height, width = height + eps, width + eps
        sy, sx, sh, sw = self.scale_factors
        return tf.stack([(ycenter - ya) / ha * sy, (xcenter - xa) / wa * sx,
                         tf.math.log(height / ha) * sh, tf.math.log(width / wa) * sw], axis=-1)

    def decode(self, codes: tf.Tensor, anchors: tf.Tensor) -> tf.Tensor:
        """The inverse of `encode`."""
        eps = 1e-8
        ya, xa, ha, wa = self._centres(tf.convert_to_tensor(anchors, tf.float32))
        ha, wa = ha + eps, wa + eps
        sy, sx, sh, sw = self.scale_factors
        ty, tx, th, tw = tf.unstack(tf.convert_to_tensor(codes, tf.float32), axis=-1)
        height = tf.exp(th / sh) * ha - eps
        width = tf.exp(tw / sw) * wa - eps
        ycenter = ty / sy * ha + ya
        xcenter = tx / sx * wa + xa
        return tf.stack([ycenter - height / 2.0, xcenter - width / 2.0,
                         ycenter + height / 2.0, xcenter + width / 2.0], axis=-1)


def argmax_match(similarity: tf.Tensor, matched_threshold: float = 0.5, unmatched_threshold: float = 0.4,
                 force_match_for_each_row: bool = True) -> tf.Tensor:
    """Match anchors (columns) to ground-truth boxes (rows) by the best similarity.

    Returns [M] int32: the row index of a matched anchor, UNMATCHED (-1) below
    unmatched_threshold, IGNORED (-2) in between. With force_match_for_each_row each
    box also gets its best anchor, so no box goes without a match.
    """
    similarity = tf.convert_to_tensor(similarity, tf.float32)
    rows, columns = tf.shape(similarity)[0], tf.shape(similarity)[1]

    def matched():
        best_row = tf.argmax(similarity, axis=0, output_type=tf.int32)
        best_value = tf.reduce_max(similarity, axis=0)
        matches = tf.where(best_value >= matched_threshold, best_row,
                           tf.where(best_value < unmatched_threshold, UNMATCHED, IGNORED))
        if force_match_for_each_row:
            best_column = tf.argmax(similarity, axis=1, output_type=tf.int32)  # [N]
            forced = tf.one_hot(best_column, columns, dtype=tf.float32)  # [N, M]
            # a later row wins when two boxes share their best anchor, as in the API
            weighted = forced * tf.cast(tf.range(rows) + 1, tf.float32)[:, tf.newaxis]
            forced_row = tf.cast(tf.reduce_max(weighted, axis=0), tf.int32) - 1
            matches = tf.where(forced_row >= 0, forced_row, matches)
        return matches

    return tf.cond(rows > 0, matched, lambda: tf.fill([columns], UNMATCHED))
