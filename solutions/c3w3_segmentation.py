"""C3W3: image segmentation of handwritten digits with FCN-8 (reference solution).

The model labels every pixel of a 64x84 M2NIST image with one of 11 classes:
the digits 0-9 and the background (class 10). The encoder is five convolution
blocks; the FCN-8 decoder upsamples the deepest features back to the input size
and adds in the features of blocks 4 and 3 on the way ("skip connections").

Run `python -m exercises.c3w3_training --submission solutions` to train it.
"""

import tensorflow as tf

N_CLASSES = 11  # digits 0-9 and the background


# ---------------------------------------------------------------------------
# Exercise 1: one encoder block
# ---------------------------------------------------------------------------
def conv_block(input, filters, kernel_size, pooling_size, pool_strides):
    """Two same-padded convolutions with LeakyReLU, then max pooling and batch norm.

    Args:
        input: the block's input tensor (batch, height, width, channels).
        filters: number of filters of both convolutions.
        kernel_size: kernel size of both convolutions (the older course template
            called this parameter `strides`).
        pooling_size: pool size of the max pooling.
        pool_strides: strides of the max pooling.

    Returns:
        The block's output; with pool 2 and stride 2 it has half the height and
        width of `input` and `filters` channels.
    """
    x = input
    for _ in range(2):
        x = tf.keras.layers.Conv2D(filters, kernel_size, padding="same")(x)
        x = tf.keras.layers.LeakyReLU()(x)
    x = tf.keras.layers.MaxPooling2D(pool_size=pooling_size, strides=pool_strides)(x)
    # Normalising after pooling is the course's order; it changes the result
    # because the learned scale of batch norm may be negative.
    return tf.keras.layers.BatchNormalization()(x)


# ---------------------------------------------------------------------------
# Exercise 2: the encoder
# ---------------------------------------------------------------------------
def FCN8(input_height=64, input_width=84):
    """The FCN-8 encoder.

    The input is padded on the right from 84 to 96 columns so that five
    halvings divide it evenly (96 / 32 = 3); the decoder crops those 12
    columns off the right again, so the padding must be on the right only.

    Returns:
        `((f3, f4, f5), img_input)`: the outputs of blocks 3, 4 and 5, shaped
        (None, 8, 12, 128), (None, 4, 6, 256), (None, 2, 3, 256), and the
        model's input layer.
    """
    img_input = tf.keras.layers.Input(shape=(input_height, input_width, 1))
    x = tf.keras.layers.ZeroPadding2D(padding=((0, 0), (0, 96 - input_width)))(img_input)

    features = []
    for filters in (32, 64, 128, 256, 256):
        x = conv_block(x, filters, 3, 2, 2)
        features.append(x)
    f3, f4, f5 = features[2:]
    return (f3, f4, f5), img_input


# ---------------------------------------------------------------------------
# Exercise 3: the decoder
# ---------------------------------------------------------------------------
def fcn8_decoder(convs, n_classes):
    """Upsample block 5's features x32 with skip connections from blocks 4 and 3.

    Args:
        convs: `(f3, f4, f5)` as returned by `FCN8`.
        n_classes: number of output classes (11 for M2NIST).

    Returns:
        Per-pixel class scores in [0, 1], shaped (None, 64, 84, n_classes).
    """
    f3, f4, f5 = convs
    layers = tf.keras.layers

    # The "fully connected" layers of the classic network, as convolutions.
    o = layers.Conv2D(512, 7, activation="relu", padding="same")(f5)
    o = layers.Dropout(0.5)(o)
    o = layers.Conv2D(512, 1, activation="relu", padding="same")(o)
    o = layers.Dropout(0.5)(o)
    o = layers.Conv2D(n_classes, 1, activation="relu", padding="same")(o)

    # x2 to block 4's size (a 4x4 transpose with stride 2 adds 2 pixels; crop them).
    o = layers.Conv2DTranspose(n_classes, 4, strides=2, use_bias=False)(o)
    o = layers.Cropping2D(cropping=(1, 1))(o)
    o = layers.Add()([o, layers.Conv2D(n_classes, 1, activation="relu", padding="same")(f4)])

    # x2 to block 3's size, the same way.
    o = layers.Conv2DTranspose(n_classes, 4, strides=2, use_bias=False)(o)
    o = layers.Cropping2D(cropping=(1, 1))(o)
    o = layers.Add()([o, layers.Conv2D(n_classes, 1, activation="relu", padding="same")(f3)])

    # x8 to the padded input size, then drop the 12 padding columns on the right.
    o = layers.Conv2DTranspose(n_classes, 8, strides=8, use_bias=False)(o)
    o = layers.Cropping2D(cropping=((0, 0), (0, 12)))(o)
    return layers.Activation("sigmoid")(o)


# ---------------------------------------------------------------------------
# Exercise 4: compile
# ---------------------------------------------------------------------------
def compile_model(model):
    """Compile the segmentation model in place and return it.

    The labels are one-hot maps with 11 channels, so the loss is categorical
    cross-entropy. The optimizer is yours to choose: SGD with Nesterov momentum
    works given many epochs; Adam gets there in far fewer, which matters on a CPU.
    """
    model.compile(loss="categorical_crossentropy", optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3),
                  metrics=["accuracy"])
    return model


# ---------------------------------------------------------------------------
# Exercise 5: class-wise metrics
# ---------------------------------------------------------------------------
def class_wise_metrics(y_true, y_pred):
    """Intersection over union and Dice score of each class.

    Args:
        y_true: label map of true classes (integers 0-10), any shape.
        y_pred: label map of predicted classes, the same shape.

    Returns:
        `(class_wise_iou, class_wise_dice_score)`: two lists of N_CLASSES floats.
        A small smoothing term keeps a class absent from both maps at 0
        instead of dividing by zero.
    """
    smoothing = 1e-5
    class_wise_iou, class_wise_dice_score = [], []
    for label in range(N_CLASSES):
        true_mask = y_true == label
        pred_mask = y_pred == label
        intersection = (true_mask & pred_mask).sum()
        areas = true_mask.sum() + pred_mask.sum()
        class_wise_iou.append(intersection / (areas - intersection + smoothing))
        class_wise_dice_score.append(2 * intersection / (areas + smoothing))
    return class_wise_iou, class_wise_dice_score
