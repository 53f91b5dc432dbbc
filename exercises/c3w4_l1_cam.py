"""Lab C3W4-L1: class activation maps on Fashion-MNIST (practice exercise).

A small classifier ends in global average pooling and one Dense layer, so each
class score is a weighted sum of the last convolution's feature maps. Weighing
the (upscaled) maps with one class's Dense weights shows where in the image the
network saw that class: its class activation map (CAM).

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w4_l1.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import numpy as np
import scipy.ndimage
import tensorflow as tf

IMAGE_SIZE = 28
FEATURE_SIZE = 3


def build_classifier():
    """The Fashion-MNIST classifier whose class activation maps the lab draws:
    Conv2D(16) -> MaxPooling2D(2) -> Conv2D(32) -> MaxPooling2D(2) -> Conv2D(64) -> MaxPooling2D(2)
    -> Conv2D(128) -> GlobalAveragePooling2D -> Dense(10, softmax), for 28x28x1 images; every
    convolution 3x3, relu, padding 'same'. Global average pooling keeps one number per feature
    map, so the Dense kernel says how much each 3x3 map counts for each class.
    Compiled with adam, sparse categorical cross-entropy (the labels are class numbers) and accuracy.

    Returns:
        The compiled model.
    """
    ### START CODE HERE ###
    raise NotImplementedError("build_classifier")
    ### END CODE HERE ###


def cam_model(model):
    """A model from the classifier's input to two outputs, in this order: the last convolution's
    feature maps (batch, 3, 3, 128) and the classifier's class probabilities (batch, 10).

    Args:
        model: the classifier of `build_classifier`.

    Returns:
        The two-output model (it shares the classifier's layers and weights).
    """
    ### START CODE HERE ###
    raise NotImplementedError("cam_model")
    ### END CODE HERE ###


def class_activation_map(features, dense_weights, class_index):
    """The class activation map of one image for one class: the 3x3x128 feature maps upscaled to
    28x28 with scipy.ndimage.zoom(features, (28 / 3, 28 / 3, 1), order=2), then at every pixel the
    dot product of its 128 features with the class's column of the Dense kernel (128 weights).
    The bias is left out: it is the same everywhere and says nothing about where the class is.

    Args:
        features: the last convolution's output for one image, shape (3, 3, 128).
        dense_weights: the final Dense layer's weights as get_weights() returns them:
            [kernel of shape (128, 10), bias of shape (10,)].
        class_index: the class whose map to draw.

    Returns:
        The map, a float array of shape (28, 28).
    """
    ### START CODE HERE ###
    raise NotImplementedError("class_activation_map")
    ### END CODE HERE ###
