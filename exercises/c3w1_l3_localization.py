"""Lab C3W1-L3: image classification and object localization on MNIST (practice exercise).

Each 28x28 digit is pasted at a random place on a 75x75 canvas; one network
answers two questions about it: which digit (softmax over 10 classes) and where
(its box, (xmin, ymin, xmax, ymax) normalised by 75).

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w1_l3.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import tensorflow as tf

CANVAS = 75  # each 28x28 digit is pasted somewhere on a 75x75 canvas


def feature_extractor(inputs):
    """Three convolution blocks: Conv2D(16, 3, relu), Conv2D(32, 3, relu) and Conv2D(64, 3, relu),
    each followed by AveragePooling2D((2, 2)).

    Returns:
        A tensor of shape (batch, 7, 7, 64) for 75x75x1 inputs.
    """
    ### START CODE HERE ###
    raise NotImplementedError("feature_extractor")
    ### END CODE HERE ###


def dense_layers(inputs):
    """Flatten, then Dense(128, relu)."""
    ### START CODE HERE ###
    raise NotImplementedError("dense_layers")
    ### END CODE HERE ###


def classifier(inputs):
    """The digit head: Dense(10, softmax) named 'classification'."""
    ### START CODE HERE ###
    raise NotImplementedError("classifier")
    ### END CODE HERE ###


def bounding_box_regression(inputs):
    """The box head: Dense(4), no activation, named 'bounding_box'."""
    ### START CODE HERE ###
    raise NotImplementedError("bounding_box_regression")
    ### END CODE HERE ###


def final_model(inputs):
    """One model, two outputs: [classification, bounding_box]."""
    ### START CODE HERE ###
    raise NotImplementedError("final_model")
    ### END CODE HERE ###


def define_and_compile_model(inputs):
    """The model on `inputs`, compiled with adam, categorical cross-entropy for the digit and the
    mean squared error for the box (one loss per output, by output name), and metrics
    accuracy for the digit and mse for the box.

    Returns:
        The compiled model.
    """
    ### START CODE HERE ###
    raise NotImplementedError("define_and_compile_model")
    ### END CODE HERE ###
