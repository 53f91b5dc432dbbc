"""Lab C3W3-L1 "FCN-8 with a VGG-16 encoder": reference solutions."""

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
    for i in range(n_convs):
        x = tf.keras.layers.Conv2D(filters=filters, kernel_size=kernel_size, activation=activation,
                                   padding="same", name=f"{block_name}_conv{i + 1}")(x)
    x = tf.keras.layers.MaxPooling2D(pool_size=pool_size, strides=pool_stride, name=f"{block_name}_pool{i + 1}")(x)
    return x


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
    x = block(image_input, n_convs=2, filters=64, kernel_size=(3, 3), activation="relu",
              pool_size=(2, 2), pool_stride=(2, 2), block_name="block1")
    p1 = x
    x = block(x, n_convs=2, filters=128, kernel_size=(3, 3), activation="relu",
              pool_size=(2, 2), pool_stride=(2, 2), block_name="block2")
    p2 = x
    x = block(x, n_convs=3, filters=256, kernel_size=(3, 3), activation="relu",
              pool_size=(2, 2), pool_stride=(2, 2), block_name="block3")
    p3 = x
    x = block(x, n_convs=3, filters=512, kernel_size=(3, 3), activation="relu",
              pool_size=(2, 2), pool_stride=(2, 2), block_name="block4")
    p4 = x
    x = block(x, n_convs=3, filters=512, kernel_size=(3, 3), activation="relu",
              pool_size=(2, 2), pool_stride=(2, 2), block_name="block5")
    p5 = x
    vgg = tf.keras.Model(image_input, p5)
    vgg.load_weights(vgg_weights_path)
    n = 4096
    c6 = tf.keras.layers.Conv2D(n, (7, 7), activation="relu", padding="same", name="conv6")(p5)
    c7 = tf.keras.layers.Conv2D(n, (1, 1), activation="relu", padding="same", name="conv7")(c6)
    return (p1, p2, p3, p4, c7)


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
    f1, f2, f3, f4, f5 = convs
    o = tf.keras.layers.Conv2DTranspose(n_classes, kernel_size=(4, 4), strides=(2, 2), use_bias=False)(f5)
    o = tf.keras.layers.Cropping2D(cropping=(1, 1))(o)
    o2 = f4
    o2 = tf.keras.layers.Conv2D(n_classes, (1, 1), activation="relu", padding="same")(o2)
    o = tf.keras.layers.Add()([o, o2])
    o = tf.keras.layers.Conv2DTranspose(n_classes, kernel_size=(4, 4), strides=(2, 2), use_bias=False)(o)
    o = tf.keras.layers.Cropping2D(cropping=(1, 1))(o)
    o2 = f3
    o2 = tf.keras.layers.Conv2D(n_classes, (1, 1), activation="relu", padding="same")(o2)
    o = tf.keras.layers.Add()([o, o2])
    o = tf.keras.layers.Conv2DTranspose(n_classes, kernel_size=(8, 8), strides=(8, 8), use_bias=False)(o)
    o = tf.keras.layers.Activation("softmax")(o)
    return o


def segmentation_model():
    """The FCN-8 model: Input (224, 224, 3), VGG_16 and the decoder for 12 classes.

    Returns:
        The tf.keras.Model (135,067,736 parameters).
    """
    inputs = tf.keras.layers.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
    convs = VGG_16(image_input=inputs)
    outputs = fcn8_decoder(convs, N_CLASSES)
    return tf.keras.Model(inputs=inputs, outputs=outputs)


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
    class_wise_iou = []
    class_wise_dice_score = []
    smoothening_factor = 0.00001
    for i in range(N_CLASSES):
        intersection = np.sum((y_pred == i) * (y_true == i))
        y_true_area = np.sum(y_true == i)
        y_pred_area = np.sum(y_pred == i)
        combined_area = y_true_area + y_pred_area
        iou = (intersection + smoothening_factor) / (combined_area - intersection + smoothening_factor)
        class_wise_iou.append(iou)
        dice_score = 2 * ((intersection + smoothening_factor) / (combined_area + smoothening_factor))
        class_wise_dice_score.append(dice_score)
    return class_wise_iou, class_wise_dice_score
