"""A correct C3W3 submission written for TensorFlow 2.6 / Keras 2.

Keras 3 rejects `LeakyReLU(alpha=...)`, `SGD(lr=...)` and
`compile(metrics='accuracy')`; the grader accepts them with a note.
"""

import numpy as np
import tensorflow as tf


def conv_block(input, filters, kernel_size, pooling_size, pool_strides):
    x = tf.keras.layers.Conv2D(filters, kernel_size, padding='same')(input)
    x = tf.keras.layers.LeakyReLU(alpha=0.3)(x)
    x = tf.keras.layers.Conv2D(filters, kernel_size, padding='same')(x)
    x = tf.keras.layers.LeakyReLU(alpha=0.3)(x)
    x = tf.keras.layers.MaxPool2D(pool_size=pooling_size, strides=pool_strides)(x)
    return tf.keras.layers.BatchNormalization()(x)


def FCN8(input_height=64, input_width=84):
    img_input = tf.keras.layers.Input(shape=(input_height, input_width, 1))
    x = tf.keras.layers.ZeroPadding2D(padding=((0, 0), (0, 12)))(img_input)
    x = conv_block(x, 32, 3, 2, 2)
    x = conv_block(x, 64, 3, 2, 2)
    f3 = x = conv_block(x, 128, 3, 2, 2)
    f4 = x = conv_block(x, 256, 3, 2, 2)
    f5 = conv_block(x, 256, 3, 2, 2)
    return (f3, f4, f5), img_input


def fcn8_decoder(convs, n_classes):
    f3, f4, f5 = convs
    L = tf.keras.layers
    o = L.Conv2D(512, 7, activation='relu', padding='same')(f5)
    o = L.Dropout(0.5)(o)
    o = L.Conv2D(512, 1, activation='relu', padding='same')(o)
    o = L.Dropout(0.5)(o)
    o = L.Conv2D(n_classes, 1, activation='relu', padding='same')(o)
    for skip in (f4, f3):
        o = L.Conv2DTranspose(n_classes, 4, strides=2, use_bias=False)(o)
        o = L.Cropping2D((1, 1))(o)
        o = L.Add()([o, L.Conv2D(n_classes, 1, activation='relu', padding='same')(skip)])
    o = L.Conv2DTranspose(n_classes, 8, strides=8, use_bias=False)(o)
    o = L.Cropping2D(((0, 0), (0, 12)))(o)
    return L.Activation('sigmoid')(o)


def compile_model(model):
    sgd = tf.keras.optimizers.SGD(lr=0.01, momentum=0.9, nesterov=True)
    model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics='accuracy')
    return model


def class_wise_metrics(y_true, y_pred):
    class_wise_iou, class_wise_dice_score = [], []
    for i in range(11):
        intersection = np.sum((y_pred == i) & (y_true == i))
        area = np.sum(y_true == i) + np.sum(y_pred == i)
        class_wise_iou.append(intersection / (area - intersection + 1e-5))
        class_wise_dice_score.append(2 * intersection / (area + 1e-5))
    return class_wise_iou, class_wise_dice_score
