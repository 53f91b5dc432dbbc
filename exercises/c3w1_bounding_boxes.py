"""C3W1: predicting bounding boxes with a pretrained MobileNetV2 (exercise).

Transfer learning and localization: a MobileNetV2 pretrained on ImageNet turns
each 224x224 image into 7x7x1280 features; a small head on top regresses one box
per image, (xmin, ymin, xmax, ymax) normalised by the image's width and height.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w1.py`
for points and feedback. Train your model with
`python -m exercises.c3w1_training --submission exercises` and submit the
saved `birds.keras` with your code.
"""

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
    ### START CODE HERE ###
    raise NotImplementedError("feature_extractor")
    ### END CODE HERE ###


def dense_layers(features):
    """Exercise 2: from feature maps to a vector.

    GlobalAveragePooling2D, Flatten, then Dense(1024, relu) and Dense(512, relu).

    Returns:
        A tensor of shape (batch, 512).
    """
    ### START CODE HERE ###
    raise NotImplementedError("dense_layers")
    ### END CODE HERE ###


def bounding_box_regression(x):
    """Exercise 3: the box head.

    A Dense layer with 4 units and no activation (the box coordinates are a
    regression), named 'bounding_box'.

    Returns:
        A tensor of shape (batch, 4): (xmin, ymin, xmax, ymax).
    """
    ### START CODE HERE ###
    raise NotImplementedError("bounding_box_regression")
    ### END CODE HERE ###


def final_model(inputs):
    """Exercise 4: chain feature_extractor, dense_layers and bounding_box_regression.

    Returns:
        tf.keras.Model(inputs=inputs, outputs=[the box output]).
    """
    ### START CODE HERE ###
    raise NotImplementedError("final_model")
    ### END CODE HERE ###


def define_and_compile_model():
    """Exercise 5: the model on Input(shape=(224, 224, 3)), compiled for training.

    Compile with `tf.keras.optimizers.SGD(momentum=0.9)` (learning rate 0.01, its
    default) and the mean squared error loss ('mse').

    Returns:
        The compiled model.
    """
    ### START CODE HERE ###
    raise NotImplementedError("define_and_compile_model")
    ### END CODE HERE ###


def compute_steps(length_of_training_dataset, length_of_validation_dataset, batch_size):
    """Exercise 6: how many batches make one pass over each set.

    Every example must be seen once per epoch, so a last, partly filled batch
    counts as a step: 3000 examples in batches of 64 take 47 steps, not 46.

    Returns:
        (steps_per_epoch, validation_steps) as integers.
    """
    ### START CODE HERE ###
    raise NotImplementedError("compute_steps")
    ### END CODE HERE ###


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
    ### START CODE HERE ###
    raise NotImplementedError("intersection_over_union")
    ### END CODE HERE ###
