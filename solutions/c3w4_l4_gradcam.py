"""Lab C3W4-L4 "Grad-CAM": reference solutions."""

import numpy as np
import tensorflow as tf


def gradient_model(model, layer_name):
    """A model from `model`'s input to two outputs, in this order: the output of the convolution
    named `layer_name` (batch, h, w, channels) and `model`'s own output (the class scores). One
    forward pass of it gives both, so a GradientTape can relate the scores to the feature maps.

    Returns:
        The two-output model (it shares `model`'s layers and weights).
    """
    features = model.get_layer(layer_name).output
    return tf.keras.Model(inputs=model.inputs, outputs=(features, model.output))


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
    grad_model = gradient_model(model, layer_name)
    batch = tf.convert_to_tensor(np.asarray(image, dtype=np.float32)[np.newaxis])
    with tf.GradientTape() as tape:
        activations, predictions = grad_model(batch)
        score = predictions[:, class_index]
    gradients = tape.gradient(score, activations)
    weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * activations, axis=-1))
    height, width = image.shape[0], image.shape[1]
    heatmap = tf.image.resize(cam[..., tf.newaxis], (height, width), method="bilinear")[0, ..., 0]
    peak = tf.reduce_max(heatmap)
    if peak > 0:
        heatmap = heatmap / peak
    return heatmap.numpy()
