"""Lab C3W1-L1: transfer learning with InceptionV3, cats vs dogs (practice exercise).

An InceptionV3 trained on ImageNet, frozen, is cut at its layer 'mixed7'; a
small head on top learns to tell cats from dogs.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w1_l1.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import tensorflow as tf

IMAGE_SHAPE = (150, 150, 3)
LAST_LAYER = "mixed7"


def create_pre_trained_model(local_weights_file):
    """InceptionV3 for 150x150x3 images, without its top, with the weights read from
    `local_weights_file` (build it with weights=None, then load_weights), every layer frozen.

    Returns:
        The frozen InceptionV3 model.
    """
    ### START CODE HERE ###
    raise NotImplementedError("create_pre_trained_model")
    ### END CODE HERE ###


def output_of_last_layer(pre_trained_model):
    """The output of the layer the new head is put on: 'mixed7', shape (batch, 7, 7, 768)."""
    ### START CODE HERE ###
    raise NotImplementedError("output_of_last_layer")
    ### END CODE HERE ###


def create_final_model(pre_trained_model, last_output):
    """Flatten -> Dense(1024, relu) -> Dropout(0.2) -> Dense(1, sigmoid) on `last_output`, as one
    model from the pre-trained model's input, compiled with RMSprop(learning_rate=0.0001),
    binary cross-entropy and accuracy.

    Returns:
        The compiled model.
    """
    ### START CODE HERE ###
    raise NotImplementedError("create_final_model")
    ### END CODE HERE ###
