"""The two losses of RetinaNet, per anchor, summed by the caller."""

from __future__ import annotations

import tensorflow as tf


def smooth_l1(prediction: tf.Tensor, target: tf.Tensor, delta: float = 1.0) -> tf.Tensor:
    """Huber loss summed over the last axis (the box code): [..., 4] -> [...]."""
    difference = tf.abs(prediction - target)
    quadratic = tf.minimum(difference, delta)
    return tf.reduce_sum(0.5 * quadratic ** 2 + delta * (difference - quadratic), axis=-1)


def sigmoid_focal(logits: tf.Tensor, targets: tf.Tensor, alpha: float = 0.25, gamma: float = 2.0) -> tf.Tensor:
    """Focal loss of independent sigmoids, element-wise: easy examples weigh (1 - p_t)**gamma less.

    alpha weighs the positives (targets 1) and 1 - alpha the negatives; gamma 0 and alpha 0.5
    give half the binary cross entropy."""
    cross_entropy = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
    probability = tf.sigmoid(logits)
    p_t = targets * probability + (1.0 - targets) * (1.0 - probability)
    alpha_t = targets * alpha + (1.0 - targets) * (1.0 - alpha)
    return alpha_t * tf.pow(1.0 - p_t, gamma) * cross_entropy
