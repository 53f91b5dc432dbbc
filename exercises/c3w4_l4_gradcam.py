"""Lab C3W4-L4: Grad-CAM (practice exercise).

Gradient-weighted class activation mapping works on any convolutional
classifier, whatever its head: the gradient of a class's score with respect to
a convolution's feature maps weighs those maps, and their weighted sum shows
where in the image the evidence for the class lies.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w4_l4.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import numpy as np
import tensorflow as tf


def gradient_model(model, layer_name):
    """A model from `model`'s input to two outputs, in this order: the output of the convolution
    named `layer_name` (batch, h, w, channels) and `model`'s own output (the class scores). One
    forward pass of it gives both, so a GradientTape can relate the scores to the feature maps.

    Returns:
        The two-output model (it shares `model`'s layers and weights).
    """
    ### START CODE HERE ###
    raise NotImplementedError("gradient_model")
    ### END CODE HERE ###


def grad_cam(model, image, layer_name, class_index):
    """The Grad-CAM heat map of `image` for the class `class_index`, seen at the layer `layer_name`.

    The gradient of the class's score (the model's output for that class) with respect to the
    layer's feature maps says how much each map matters for the class: one weight per feature
    map, the gradient averaged over height and width. The map is the relu of the weighted sum of
    the feature maps (only what speaks for the class), resized bilinearly to the image's height
    and width (tf.image.resize), then divided by its maximum so it lies in [0, 1]; a map that is
    zero everywhere stays zero.

    Args:
        model: a Keras image classifier.
        image: one image as the model takes it, shape (height, width, channels), no batch axis.
        layer_name: the name of a convolution layer of `model`.
        class_index: the class whose evidence to show.

    Returns:
        The heat map, a float array of shape (height, width) with values in [0, 1].
    """
    ### START CODE HERE ###
    raise NotImplementedError("grad_cam")
    ### END CODE HERE ###
