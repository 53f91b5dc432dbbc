"""C3W4 "Saliency maps": what the model looks at.

A small classifier tells cats from the rest; the saliency map of a picture
shows which pixels would change its verdict most.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w4.py`.
Train with `python -m exercises.c3w4_training`, which also saves the saliency
maps of the pictures in `exercises/c3w4_pictures/` next to the model.
"""

import cv2
import numpy as np
import tensorflow as tf

IMAGE_SIZE = 300  # the classifier sees 300x300 RGB images scaled to [0, 1]
NUM_CLASSES = 2  # 0: cat, 1: the other class


def do_salience(image, model, label, prefix):
    """Exercise 1: the saliency map of one picture, saved as a grayscale JPEG.

    Read the picture at path `image` with OpenCV (which gives BGR: turn it into
    RGB), resize it to 300x300 with cv2.resize, scale it to [0, 1] and add a
    batch axis. Compare the model's prediction with the one-hot `label` (2
    classes) by categorical cross-entropy, inside a tf.GradientTape that watches
    the float32 input. The map is the sum over the colour channels of the
    absolute gradients of that loss with respect to the input, stretched to
    [0, 255] by 255 * (x - min) / (max - min) and cast to uint8 (an all-equal map
    stays 0). Save it with cv2.imwrite to `prefix + image`, as a JPEG of quality 100.

    Returns:
        The map, uint8 of shape (300, 300).
    """
    ### START CODE HERE ###
    raise NotImplementedError("do_salience")
    ### END CODE HERE ###


def build_classifier():
    """Exercise 2: the classifier, for 300x300x3 inputs.

    Conv2D(16), MaxPooling2D(2), Conv2D(32), MaxPooling2D(2), Conv2D(64),
    MaxPooling2D(2), Conv2D(128), every convolution 3x3 with 'same' padding and a
    relu, then GlobalAveragePooling2D and Dense(2, softmax). Not compiled.

    Returns:
        The tf.keras model.
    """
    ### START CODE HERE ###
    raise NotImplementedError("build_classifier")
    ### END CODE HERE ###


def compile_model(model):
    """Exercise 3: compile the classifier in place for integer labels and return it.

    Loss 'sparse_categorical_crossentropy', metrics ['accuracy'], optimizer
    tf.keras.optimizers.RMSprop(learning_rate=0.001).
    """
    ### START CODE HERE ###
    raise NotImplementedError("compile_model")
    ### END CODE HERE ###
