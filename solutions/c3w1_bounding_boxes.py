"""C3W1 "Predicting bounding boxes": reference solutions."""

import math

import numpy as np
import tensorflow as tf

IMAGE_SIZE = 224  # images are 224x224x3, scaled to [-1, 1]
BATCH_SIZE = 64


def feature_extractor(inputs):
    """Exercise 1: MobileNetV2 as a pretrained feature extractor.

    Build `tf.keras.applications.mobilenet_v2.MobileNetV2` for 224x224x3 inputs,
    without its ImageNet classifier (include_top=False) and with the ImageNet
    weights (weights='imagenet'), and call it on `inputs`.

    Returns:
        The feature maps, shape (batch, 7, 7, 1280).
    """
    mobilenet = tf.keras.applications.mobilenet_v2.MobileNetV2(
        input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3), include_top=False, weights="imagenet")
    return mobilenet(inputs)


def dense_layers(features):
    """Exercise 2: from feature maps to a vector.

    GlobalAveragePooling2D, Flatten, then Dense(1024, relu) and Dense(512, relu).

    Returns:
        A tensor of shape (batch, 512).
    """
    x = tf.keras.layers.GlobalAveragePooling2D()(features)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dense(1024, activation="relu")(x)
    x = tf.keras.layers.Dense(512, activation="relu")(x)
    return x


def bounding_box_regression(x):
    """Exercise 3: the box head.

    A Dense layer with 4 units and no activation (the box coordinates are a
    regression), named 'bounding_box'.

    Returns:
        A tensor of shape (batch, 4): (xmin, ymin, xmax, ymax).
    """
    return tf.keras.layers.Dense(units=4, name="bounding_box")(x)


def final_model(inputs):
    """Exercise 4: chain feature_extractor, dense_layers and bounding_box_regression.

    Returns:
        tf.keras.Model(inputs=inputs, outputs=[the box output]).
    """
    features = feature_extractor(inputs)
    x = dense_layers(features)
    bounding_box_output = bounding_box_regression(x)
    return tf.keras.Model(inputs=inputs, outputs=[bounding_box_output])


def define_and_compile_model():
    """Exercise 5: the model on Input(shape=(224, 224, 3)), compiled for training.

    Compile with `tf.keras.optimizers.SGD(momentum=0.9)` (learning rate 0.01, its
    default) and the mean squared error loss ('mse').

    Returns:
        The compiled model.
    """
    inputs = tf.keras.layers.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
    model = final_model(inputs)
    model.compile(optimizer=tf.keras.optimizers.SGD(momentum=0.9), loss="mse")
    return model


def compute_steps(length_of_training_dataset, length_of_validation_dataset, batch_size):
    """Exercise 6: how many batches make one pass over each set.

    Every example must be seen once per epoch, so a last, partly filled batch
    counts as a step: 3000 examples in batches of 64 take 47 steps, not 46.

    Returns:
        (steps_per_epoch, validation_steps) as integers.
    """
    steps_per_epoch = math.ceil(length_of_training_dataset / batch_size)
    validation_steps = math.ceil(length_of_validation_dataset / batch_size)
    return steps_per_epoch, validation_steps


def intersection_over_union(pred_box, true_box):
    """Exercise 7: intersection over union of pairs of boxes.

    Args:
        pred_box, true_box: arrays of shape (N, 4), rows (xmin, ymin, xmax, ymax).

    The overlap runs from the larger of the two mins to the smaller of the two
    maxes on each axis; boxes that do not overlap have a negative extent there,
    which counts as 0. Add the smoothing factor 1e-10 to the numerator and the
    denominator so that two empty boxes do not divide by zero.

    Returns:
        An array of shape (N, 1): overlap area / union area for each pair.
    """
    pred_xmin, pred_ymin, pred_xmax, pred_ymax = np.split(np.asarray(pred_box, dtype=np.float64), 4, axis=1)
    true_xmin, true_ymin, true_xmax, true_ymax = np.split(np.asarray(true_box, dtype=np.float64), 4, axis=1)
    smoothing_factor = 1e-10

    overlap_width = np.maximum(np.minimum(pred_xmax, true_xmax) - np.maximum(pred_xmin, true_xmin), 0)
    overlap_height = np.maximum(np.minimum(pred_ymax, true_ymax) - np.maximum(pred_ymin, true_ymin), 0)
    overlap_area = overlap_width * overlap_height

    pred_area = (pred_xmax - pred_xmin) * (pred_ymax - pred_ymin)
    true_area = (true_xmax - true_xmin) * (true_ymax - true_ymin)
    union_area = pred_area + true_area - overlap_area

    return (overlap_area + smoothing_factor) / (union_area + smoothing_factor)
