"""C3W4 "Saliency maps": reference solutions."""

import cv2
import numpy as np
import tensorflow as tf

IMAGE_SIZE = 300  # the classifier sees 300x300 RGB images scaled to [0, 1]
NUM_CLASSES = 2  # 0: cat, 1: the other class


def do_salience(image, model, label, prefix):
    """Exercise 1: the saliency map of one picture, saved as a grayscale JPEG.

    Read the picture at path `image` with OpenCV (which gives BGR: turn it into
    RGB), resize it to 300x300 with cv2.resize, scale it to [0, 1] and add a
    batch axis. Compare the model's prediction with the one-hot `label` (2
    classes) by categorical cross-entropy, inside a tf.GradientTape that watches
    the float32 input. The map is the sum over the colour channels of the
    absolute gradients of that loss with respect to the input, stretched to
    [0, 255] by 255 * (x - min) / (max - min) and cast to uint8 (an all-equal map
    stays 0). Save it with cv2.imwrite to `prefix + image`, as a JPEG of quality 100.

    Returns:
        The map, uint8 of shape (300, 300).
    """
    picture = cv2.cvtColor(cv2.imread(image), cv2.COLOR_BGR2RGB)
    picture = cv2.resize(picture, (IMAGE_SIZE, IMAGE_SIZE)) / 255.0
    batch = tf.convert_to_tensor(np.expand_dims(picture, axis=0), dtype=tf.float32)
    expected = tf.one_hot([label], NUM_CLASSES)
    with tf.GradientTape() as tape:
        tape.watch(batch)
        predictions = model(batch)
        loss = tf.keras.losses.categorical_crossentropy(expected, predictions)
    gradients = tape.gradient(loss, batch)
    grayscale = tf.reduce_sum(tf.abs(gradients), axis=-1)[0]
    low, high = tf.reduce_min(grayscale), tf.reduce_max(grayscale)
    stretched = tf.math.divide_no_nan(grayscale - low, high - low) * 255
    salient = tf.cast(stretched, tf.uint8).numpy()
    cv2.imwrite(prefix + image, salient, [cv2.IMWRITE_JPEG_QUALITY, 100])
    return salient


def build_classifier():
    """Exercise 2: the classifier, for 300x300x3 inputs.

    Conv2D(16), MaxPooling2D(2), Conv2D(32), MaxPooling2D(2), Conv2D(64),
    MaxPooling2D(2), Conv2D(128), every convolution 3x3 with 'same' padding and a
    relu, then GlobalAveragePooling2D and Dense(2, softmax). Not compiled.

    Returns:
        The tf.keras model.
    """
    layers = tf.keras.layers
    model = tf.keras.Sequential([
        tf.keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3)),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(128, 3, activation="relu", padding="same"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ])
    return model


def compile_model(model):
    """Exercise 3: compile the classifier in place for integer labels and return it.

    Loss 'sparse_categorical_crossentropy', metrics ['accuracy'], optimizer
    tf.keras.optimizers.RMSprop(learning_rate=0.001).
    """
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  optimizer=tf.keras.optimizers.RMSprop(learning_rate=0.001))
    return model
