"""Lab C3W3-L2: U-Net on Oxford-IIIT Pets (practice exercise).

A U-Net segments an image: an encoder of four blocks halves the size four times
and keeps each block's features, a bottleneck convolves the smallest maps, and a
decoder of four blocks doubles the size four times, each time joining the
encoder's features of that size (the skip connections), to give every pixel a
probability for each of three classes: pet, background and outline.

The data: `exercises/c3w3_pets.py` loads a small pets-like set and prepares it
as the course does (images / 255, masks 1-3 shifted to 0-2).

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w3_l2.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import tensorflow as tf

IMAGE_SIZE = 128
OUTPUT_CHANNELS = 3  # pet, background, outline


def conv2d_block(input_tensor, n_filters, kernel_size=3):
    """Two convolutions of the U-Net, each Conv2D(n_filters, kernel_size,
    kernel_initializer='he_normal', padding='same') followed by Activation('relu').

    Args:
        input_tensor: the tensor the block starts from.
        n_filters: the number of filters of both convolutions.
        kernel_size: the size of their kernels.

    Returns:
        The output tensor of the second activation.
    """
    ### START CODE HERE ###
    raise NotImplementedError("conv2d_block")
    ### END CODE HERE ###


def encoder_block(inputs, n_filters=64, pool_size=(2, 2), dropout=0.3):
    """One step down the U-Net: conv2d_block(inputs, n_filters), then MaxPooling2D(pool_size) and
    Dropout(dropout) of its output.

    Args:
        inputs: the tensor the block starts from.
        n_filters: the number of filters of the block's convolutions.
        pool_size: the size of the pooling window.
        dropout: the dropout rate.

    Returns:
        (f, p): the block's features (the skip connection, before pooling) and the pooled,
        dropped-out output that the next block takes.
    """
    ### START CODE HERE ###
    raise NotImplementedError("encoder_block")
    ### END CODE HERE ###


def encoder(inputs):
    """The contracting path: four encoder blocks of 64, 128, 256 and 512 filters, each taking the
    previous block's pooled output.

    Args:
        inputs: the image batch, (batch, 128, 128, 3).

    Returns:
        p4, (f1, f2, f3, f4): the last block's pooled output and the four blocks' features.
    """
    ### START CODE HERE ###
    raise NotImplementedError("encoder")
    ### END CODE HERE ###


def bottleneck(inputs):
    """The bottom of the U: conv2d_block(inputs, 1024).

    Args:
        inputs: the encoder's output p4.

    Returns:
        The bottleneck's features.
    """
    ### START CODE HERE ###
    raise NotImplementedError("bottleneck")
    ### END CODE HERE ###


def decoder_block(inputs, conv_output, n_filters=64, kernel_size=3, strides=3, dropout=0.3):
    """One step up the U-Net: Conv2DTranspose(n_filters, kernel_size, strides=strides,
    padding='same') of the inputs, concatenated with the encoder's features conv_output, then
    Dropout(dropout) and conv2d_block(..., n_filters, kernel_size=3).

    Args:
        inputs: the tensor the block starts from.
        conv_output: the encoder's features of the same size (the skip connection).
        n_filters: the number of filters.
        kernel_size: the size of the transposed convolution's kernel.
        strides: the transposed convolution's strides (the upsampling factor).
        dropout: the dropout rate.

    Returns:
        The block's output tensor.
    """
    ### START CODE HERE ###
    raise NotImplementedError("decoder_block")
    ### END CODE HERE ###


def decoder(inputs, convs, output_channels):
    """The expanding path: four decoder blocks of 512, 256, 128 and 64 filters (kernel 3, strides
    (2, 2), dropout 0.3), joined with the encoder's features f4, f3, f2 and f1 in that order, then
    Conv2D(output_channels, (1, 1), activation='softmax').

    Args:
        inputs: the bottleneck's output.
        convs: the encoder's features (f1, f2, f3, f4).
        output_channels: the number of classes.

    Returns:
        The class probabilities of every pixel.
    """
    ### START CODE HERE ###
    raise NotImplementedError("decoder")
    ### END CODE HERE ###


def unet():
    """The U-Net for 128x128x3 images: encoder, bottleneck and decoder with 3 output channels.

    Returns:
        The tf.keras.Model (34,513,475 parameters).
    """
    ### START CODE HERE ###
    raise NotImplementedError("unet")
    ### END CODE HERE ###


def create_mask(pred_mask):
    """The label map of the first image of a batch of predictions: at every pixel the class of
    the highest probability, with a channel axis.

    Args:
        pred_mask: the model's predictions, (batch, 128, 128, 3).

    Returns:
        The first image's label map, (128, 128, 1).
    """
    ### START CODE HERE ###
    raise NotImplementedError("create_mask")
    ### END CODE HERE ###
