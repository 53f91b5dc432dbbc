"""Lab C3W4-L3 "Saliency with a TF Hub classifier": reference solutions."""

import cv2
import numpy as np
import tensorflow as tf
import tensorflow_hub as hub

IMAGE_SIZE = 299
NUM_CLASSES = 1001  # ImageNet's 1000 classes and "background" at index 0
MODEL_HANDLE = "https://tfhub.dev/google/tf2-preview/inception_v3/classification/4"


def load_classifier(handle):
    """The InceptionV3 classifier at `handle`, loaded with `hub.load(handle)`.

    The hub model returns logits; the lab wants probabilities, so the classifier
    returned applies a softmax over the 1001 classes.

    Returns:
        A callable: float32 images (batch, 299, 299, 3) in [0, 1] -> (batch, 1001) probabilities.
    """
    model = hub.load(handle)

    def classifier(images):
        return tf.nn.softmax(model(images), axis=-1)

    return classifier


def preprocess(image):
    """An RGB image (uint8, height x width x 3, any size) as the classifier takes it: resized to
    299x299, scaled to [0, 1], float32, with a batch axis.

    Returns:
        A float32 array of shape (1, 299, 299, 3).
    """
    resized = cv2.resize(image, (IMAGE_SIZE, IMAGE_SIZE)) / 255.0
    batch = np.expand_dims(resized, axis=0)
    return batch.astype(np.float32)


def saliency_map(classifier, image, class_index):
    """Where the classifier's loss for `class_index` is most sensitive to the pixels.

    The loss is the categorical cross-entropy between the one-hot vector of `class_index`
    (1001 classes) and the classifier's probabilities; the map is the gradient of the loss
    with respect to the image, its absolute values summed over the colour channels, then
    min-max normalised to [0, 255].

    Args:
        classifier: what `load_classifier` returns.
        image: one preprocessed image, float32 (1, 299, 299, 3) in [0, 1].
        class_index: the class to explain.

    Returns:
        A uint8 array of shape (299, 299).
    """
    image = tf.convert_to_tensor(image, dtype=tf.float32)
    expected_output = tf.one_hot([class_index], NUM_CLASSES)
    with tf.GradientTape() as tape:
        tape.watch(image)
        predictions = classifier(image)
        loss = tf.keras.losses.categorical_crossentropy(expected_output, predictions)
    gradients = tape.gradient(loss, image)
    grayscale = tf.reduce_sum(tf.abs(gradients), axis=-1)
    low, high = tf.reduce_min(grayscale), tf.reduce_max(grayscale)
    normalized = 255 * (grayscale - low) / (high - low)
    return tf.squeeze(tf.cast(normalized, tf.uint8)).numpy()
