"""Lab C3W3-L1: FCN-8 with a VGG-16 encoder (practice exercise).

FCN-8 segments an image into 12 classes: a VGG-16 encoder, loaded with the
weights Keras publishes, then two 4096-filter convolutions (conv6, conv7), and a
decoder that upsamples conv7's output 2 times, adds a 1x1 convolution of block
4's output, upsamples 2 times again, adds block 3's, and upsamples 8 times to
the 224x224 image, one probability per class and pixel.

`vgg_weights_path` names the weights file, expected next to your code as the
course downloads it; the grader puts a file of that name there itself.

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w3_l1.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import numpy as np
import tensorflow as tf

IMAGE_SIZE = 224
N_CLASSES = 12
# The weights of VGG-16 without its top, as Keras publishes them, next to the notebook.
vgg_weights_path = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"


def block(x, n_convs, filters, kernel_size, activation, pool_size, pool_stride, block_name):
    """One VGG block: n_convs convolutions Conv2D(filters, kernel_size, activation=activation,
    padding='same'), named f"{block_name}_conv{i + 1}", then MaxPooling2D(pool_size,
    strides=pool_stride), named after the last convolution's number, f"{block_name}_pool{i + 1}".

    Args:
        x: the tensor the block starts from.
        n_convs: the number of convolutions.
        filters: the number of filters of each convolution.
        kernel_size: the size of their kernels.
        activation: their activation.
        pool_size: the size of the pooling window.
        pool_stride: the pooling's strides.
        block_name: the prefix of the layers' names.

    Returns:
        The pooled output tensor.
    """
    ### START CODE HERE ###
    raise NotImplementedError("block")
    ### END CODE HERE ###


def VGG_16(image_input):
    """The encoder: VGG-16's five blocks (2 convolutions of 64 filters, 2 of 128, 3 of 256, 3 of 512
    and 3 of 512; 3x3 kernels, relu, pools of 2 with stride 2; named block1 to block5), loaded
    with the weights of vgg_weights_path, then conv6 = Conv2D(4096, (7, 7)) and
    conv7 = Conv2D(4096, (1, 1)), both relu and padding 'same'.

    Args:
        image_input: the image batch, (batch, 224, 224, 3).

    Returns:
        (p1, p2, p3, p4, c7): the first four blocks' outputs and conv7's.
    """
    ### START CODE HERE ###
    raise NotImplementedError("VGG_16")
    ### END CODE HERE ###


def fcn8_decoder(convs, n_classes):
    """The FCN-8 decoder: conv7's output upsampled 2 times (Conv2DTranspose(n_classes, (4, 4),
    strides=(2, 2), use_bias=False), Cropping2D((1, 1))) and added to a 1x1 relu Conv2D(n_classes)
    of f4; that upsampled the same way and added to the 1x1 convolution of f3; then upsampled 8
    times (Conv2DTranspose(n_classes, (8, 8), strides=(8, 8), use_bias=False)) and a softmax.

    Args:
        convs: (f1, f2, f3, f4, f5), the encoder's outputs.
        n_classes: the number of classes.

    Returns:
        The class probabilities of every pixel, (batch, 224, 224, n_classes).
    """
    ### START CODE HERE ###
    raise NotImplementedError("fcn8_decoder")
    ### END CODE HERE ###


def segmentation_model():
    """The FCN-8 model: Input (224, 224, 3), VGG_16 and the decoder for 12 classes.

    Returns:
        The tf.keras.Model (135,067,736 parameters).
    """
    ### START CODE HERE ###
    raise NotImplementedError("segmentation_model")
    ### END CODE HERE ###


def compute_metrics(y_true, y_pred):
    """The IoU and Dice score of each of the 12 classes between two label maps, smoothed with
    s = 1e-5 in numerator and denominator: IoU = (I + s) / (A_t + A_p - I + s) and
    Dice = 2 (I + s) / (A_t + A_p + s), I the intersection and A_t, A_p the areas.

    Args:
        y_true: the true label map.
        y_pred: the predicted label map.

    Returns:
        (class_wise_iou, class_wise_dice_score): two lists of 12 values.
    """
    ### START CODE HERE ###
    raise NotImplementedError("compute_metrics")
    ### END CODE HERE ###
