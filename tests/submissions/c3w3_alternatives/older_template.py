"""A correct C3W3 submission in the style of the OLDER course template.

- conv_block's third parameter is named `strides` (it is the kernel size);
  LeakyReLU is the Conv2D's `activation=` and pooling uses the MaxPool2D alias;
- FCN8 calls conv_block with keywords, as that template did;
- the decoder and the metrics are written the way the course notebook wrote them.
"""

import numpy as np
import tensorflow as tf


def conv_block(input, filters, strides, pooling_size, pool_strides):
    x = tf.keras.layers.Conv2D(filters=filters, kernel_size=strides, padding='same',
                               activation=tf.keras.layers.LeakyReLU())(input)
    x = tf.keras.layers.Conv2D(filters=filters, kernel_size=strides, padding='same',
                               activation=tf.keras.layers.LeakyReLU())(x)
    x = tf.keras.layers.MaxPool2D(pool_size=pooling_size, strides=pool_strides)(x)
    x = tf.keras.layers.BatchNormalization()(x)
    return x


def FCN8(input_height=64, input_width=84):
    img_input = tf.keras.layers.Input(shape=(input_height, input_width, 1))
    x = tf.keras.layers.ZeroPadding2D(((0, 0), (0, 96 - input_width)))(img_input)

    # Block 1
    x = conv_block(input=x, filters=32, strides=(3, 3), pooling_size=(2, 2), pool_strides=(2, 2))
    # Block 2
    x = conv_block(input=x, filters=64, strides=(3, 3), pooling_size=(2, 2), pool_strides=(2, 2))
    # Block 3
    x = conv_block(input=x, filters=128, strides=(3, 3), pooling_size=(2, 2), pool_strides=(2, 2))
    f3 = x
    # Block 4
    x = conv_block(input=x, filters=256, strides=(3, 3), pooling_size=(2, 2), pool_strides=(2, 2))
    f4 = x
    # Block 5
    x = conv_block(input=x, filters=256, strides=(3, 3), pooling_size=(2, 2), pool_strides=(2, 2))
    f5 = x

    return (f3, f4, f5), img_input


def fcn8_decoder(convs, n_classes):
    f3, f4, f5 = convs

    n = 512
    o = tf.keras.layers.Conv2D(n, (7, 7), activation='relu', padding='same', name="conv6")(f5)
    o = tf.keras.layers.Dropout(0.5)(o)
    o = tf.keras.layers.Conv2D(n, (1, 1), activation='relu', padding='same', name="conv7")(o)
    o = tf.keras.layers.Dropout(0.5)(o)
    o = tf.keras.layers.Conv2D(n_classes, (1, 1), activation='relu', padding='same')(o)

    o = tf.keras.layers.Conv2DTranspose(n_classes, kernel_size=(4, 4), strides=(2, 2), use_bias=False)(o)
    o = tf.keras.layers.Cropping2D(cropping=(1, 1))(o)
    o2 = f4
    o2 = tf.keras.layers.Conv2D(n_classes, (1, 1), activation='relu', padding='same')(o2)
    o = tf.keras.layers.Add()([o, o2])

    o = tf.keras.layers.Conv2DTranspose(n_classes, kernel_size=(4, 4), strides=(2, 2), use_bias=False)(o)
    o = tf.keras.layers.Cropping2D(cropping=(1, 1))(o)
    o2 = f3
    o2 = tf.keras.layers.Conv2D(n_classes, (1, 1), activation='relu', padding='same')(o2)
    o = tf.keras.layers.Add()([o2, o])

    o = tf.keras.layers.Conv2DTranspose(n_classes, kernel_size=(8, 8), strides=(8, 8), use_bias=False)(o)
    o = tf.keras.layers.Cropping2D(((0, 0), (0, 96 - 84)))(o)
    o = tf.keras.layers.Activation('sigmoid')(o)
    return o


def compile_model(model):
    sgd = tf.keras.optimizers.SGD(learning_rate=1E-2, momentum=0.9, nesterov=True)
    model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])
    return model


def class_wise_metrics(y_true, y_pred):
    class_wise_iou = []
    class_wise_dice_score = []
    smoothening_factor = 0.00001
    for i in range(11):
        intersection = np.sum((y_pred == i) * (y_true == i))
        y_true_area = np.sum((y_true == i))
        y_pred_area = np.sum((y_pred == i))
        combined_area = y_true_area + y_pred_area
        iou = (intersection) / (combined_area - intersection + smoothening_factor)
        class_wise_iou.append(iou)
        dice_score = 2 * ((intersection) / (combined_area + smoothening_factor))
        class_wise_dice_score.append(dice_score)
    return class_wise_iou, class_wise_dice_score
