"""Lab C3W4-L1 "Class activation maps on Fashion-MNIST": reference solutions."""

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
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1)),
        tf.keras.layers.Conv2D(16, kernel_size=3, activation="relu", padding="same"),
        tf.keras.layers.MaxPooling2D(pool_size=2),
        tf.keras.layers.Conv2D(32, kernel_size=3, activation="relu", padding="same"),
        tf.keras.layers.MaxPooling2D(pool_size=2),
        tf.keras.layers.Conv2D(64, kernel_size=3, activation="relu", padding="same"),
        tf.keras.layers.MaxPooling2D(pool_size=2),
        tf.keras.layers.Conv2D(128, kernel_size=3, activation="relu", padding="same"),
        tf.keras.layers.GlobalAveragePooling2D(),
        tf.keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def cam_model(model):
    """A model from the classifier's input to two outputs, in this order: the last convolution's
    feature maps (batch, 3, 3, 128) and the classifier's class probabilities (batch, 10).

    Args:
        model: the classifier of `build_classifier`.

    Returns:
        The two-output model (it shares the classifier's layers and weights).
    """
    features = model.layers[-3].output
    predictions = model.layers[-1].output
    return tf.keras.Model(inputs=model.inputs, outputs=(features, predictions))


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
    kernel = dense_weights[0]
    class_weights = kernel[:, class_index]
    scale = IMAGE_SIZE / FEATURE_SIZE
    upscaled = scipy.ndimage.zoom(features, (scale, scale, 1), order=2)
    return np.dot(upscaled, class_weights)
