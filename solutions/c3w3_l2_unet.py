"""Lab C3W3-L2 "U-Net on Oxford-IIIT Pets": reference solutions."""

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
    x = input_tensor
    for _ in range(2):
        x = tf.keras.layers.Conv2D(filters=n_filters, kernel_size=(kernel_size, kernel_size),
                                   kernel_initializer="he_normal", padding="same")(x)
        x = tf.keras.layers.Activation("relu")(x)
    return x


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
    f = conv2d_block(inputs, n_filters=n_filters)
    p = tf.keras.layers.MaxPooling2D(pool_size=pool_size)(f)
    p = tf.keras.layers.Dropout(dropout)(p)
    return f, p


def encoder(inputs):
    """The contracting path: four encoder blocks of 64, 128, 256 and 512 filters, each taking the
    previous block's pooled output.

    Args:
        inputs: the image batch, (batch, 128, 128, 3).

    Returns:
        p4, (f1, f2, f3, f4): the last block's pooled output and the four blocks' features.
    """
    f1, p1 = encoder_block(inputs, n_filters=64, pool_size=(2, 2), dropout=0.3)
    f2, p2 = encoder_block(p1, n_filters=128, pool_size=(2, 2), dropout=0.3)
    f3, p3 = encoder_block(p2, n_filters=256, pool_size=(2, 2), dropout=0.3)
    f4, p4 = encoder_block(p3, n_filters=512, pool_size=(2, 2), dropout=0.3)
    return p4, (f1, f2, f3, f4)


def bottleneck(inputs):
    """The bottom of the U: conv2d_block(inputs, 1024).

    Args:
        inputs: the encoder's output p4.

    Returns:
        The bottleneck's features.
    """
    return conv2d_block(inputs, n_filters=1024)


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
    u = tf.keras.layers.Conv2DTranspose(n_filters, kernel_size, strides=strides, padding="same")(inputs)
    c = tf.keras.layers.concatenate([u, conv_output])
    c = tf.keras.layers.Dropout(dropout)(c)
    c = conv2d_block(c, n_filters, kernel_size=3)
    return c


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
    f1, f2, f3, f4 = convs
    c6 = decoder_block(inputs, f4, n_filters=512, kernel_size=(3, 3), strides=(2, 2), dropout=0.3)
    c7 = decoder_block(c6, f3, n_filters=256, kernel_size=(3, 3), strides=(2, 2), dropout=0.3)
    c8 = decoder_block(c7, f2, n_filters=128, kernel_size=(3, 3), strides=(2, 2), dropout=0.3)
    c9 = decoder_block(c8, f1, n_filters=64, kernel_size=(3, 3), strides=(2, 2), dropout=0.3)
    outputs = tf.keras.layers.Conv2D(output_channels, (1, 1), activation="softmax")(c9)
    return outputs


def unet():
    """The U-Net for 128x128x3 images: encoder, bottleneck and decoder with 3 output channels.

    Returns:
        The tf.keras.Model (34,513,475 parameters).
    """
    inputs = tf.keras.layers.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
    encoder_output, convs = encoder(inputs)
    bottle_neck = bottleneck(encoder_output)
    outputs = decoder(bottle_neck, convs, output_channels=OUTPUT_CHANNELS)
    return tf.keras.Model(inputs=inputs, outputs=outputs)


def create_mask(pred_mask):
    """The label map of the first image of a batch of predictions: at every pixel the class of
    the highest probability, with a channel axis.

    Args:
        pred_mask: the model's predictions, (batch, 128, 128, 3).

    Returns:
        The first image's label map, (128, 128, 1).
    """
    pred_mask = tf.argmax(pred_mask, axis=-1)
    pred_mask = pred_mask[..., tf.newaxis]
    return pred_mask[0]
