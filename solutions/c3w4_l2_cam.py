"""Lab C3W4-L2 "Cats vs dogs class activation maps": reference solutions."""

import cv2
import numpy as np
import scipy.ndimage
import tensorflow as tf

IMAGE_SIZE = 300
FEATURE_SIZE = 37


def augmentimages(image, label):
    """The lab's preprocessing of one training example (mapped over the data set): the picture
    cast to float32, scaled to [0, 1] (divided by 255) and resized to 300x300 with
    tf.image.resize (bilinear); the label passes through unchanged.

    Args:
        image: one picture, a uint8 tensor of shape (height, width, 3).
        label: its label (0 cat, 1 dog).

    Returns:
        (image, label): the float32 picture of shape (300, 300, 3) and the label.
    """
    image = tf.cast(image, tf.float32) / 255
    image = tf.image.resize(image, (IMAGE_SIZE, IMAGE_SIZE))
    return image, label


def build_classifier():
    """The cats vs dogs classifier whose class activation maps the lab draws:
    Conv2D(16) -> MaxPooling2D(2) -> Conv2D(32) -> MaxPooling2D(2) -> Conv2D(64) -> MaxPooling2D(2)
    -> Conv2D(128) -> GlobalAveragePooling2D -> Dense(1, sigmoid), for 300x300x3 pictures; every
    convolution 3x3, relu, padding 'same' (97,569 parameters). One sigmoid unit: its output is
    the probability of "dog" (label 1).
    Compiled with binary cross-entropy, RMSprop(learning_rate=0.001) and accuracy.

    Returns:
        The compiled model.
    """
    model = tf.keras.Sequential([tf.keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))])
    for filters in (16, 32, 64, 128):
        model.add(tf.keras.layers.Conv2D(filters, (3, 3), activation="relu", padding="same"))
        if filters != 128:
            model.add(tf.keras.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(tf.keras.layers.GlobalAveragePooling2D())
    model.add(tf.keras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", metrics=["accuracy"],
                  optimizer=tf.keras.optimizers.RMSprop(learning_rate=0.001))
    return model


def cam_model(model):
    """A model from the classifier's input to two outputs, in this order: the last convolution's
    feature maps (batch, 37, 37, 128) and the classifier's sigmoid output (batch, 1).

    Args:
        model: the classifier of `build_classifier`.

    Returns:
        The two-output model (it shares the classifier's layers and weights).
    """
    last_convolution = model.layers[-3]
    return tf.keras.Model(inputs=model.inputs, outputs=(last_convolution.output, model.layers[-1].output))


def class_activation_map(features, gap_weights):
    """The class activation map of one picture: the 37x37x128 feature maps upscaled to 300x300
    with scipy.ndimage.zoom(features, (300 / 37, 300 / 37, 1), order=2), then at every pixel the
    dot product of its 128 features with the weights of the single output unit, gap_weights[:, 0].
    A sigmoid has one unit, so the map always shows the evidence for "dog" (label 1).

    Args:
        features: the last convolution's output for one picture, shape (37, 37, 128).
        gap_weights: the kernel of the final Dense layer, model.layers[-1].get_weights()[0],
            shape (128, 1).

    Returns:
        The map, a float array of shape (300, 300).
    """
    unit_weights = gap_weights[:, 0]
    scale = IMAGE_SIZE / FEATURE_SIZE
    # The zoom is linear in the features, so weighing the 37x37 maps first and zooming the one
    # weighted map gives the same map as zooming all 128 maps first (and takes 1/128 of the time).
    weighted = np.dot(features, unit_weights)
    return scipy.ndimage.zoom(weighted, (scale, scale), order=2)


def convert_and_classify(image, cam_model, gap_weights):
    """Read the picture file `image` as the lab does (cv2.imread, which gives BGR; the lab leaves
    it so), resize it to 300x300 with cv2.resize, scale it to [0, 1] (divide by 255), add a
    batch axis, run `cam_model` on it and draw its class activation map with
    `class_activation_map`.

    Args:
        image: the picture's file name.
        cam_model: the two-output model of `cam_model`.
        gap_weights: the kernel of the classifier's final Dense layer, shape (128, 1).

    Returns:
        (cam, prediction): the 300x300 map and the sigmoid output for the picture (a float,
        the probability of "dog").
    """
    picture = cv2.imread(image)
    picture = cv2.resize(picture, (IMAGE_SIZE, IMAGE_SIZE)) / 255.0
    batch = np.expand_dims(picture, axis=0)
    features, results = cam_model.predict(batch, verbose=0)
    cam = class_activation_map(features[0], gap_weights)
    return cam, float(results[0][0])
