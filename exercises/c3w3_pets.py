"""Data for lab C3W3-L2: a small pets-like segmentation set, prepared as the course prepares
Oxford-IIIT Pets (this code is given: nothing to fill in).

Each example is a 128x128 colour image and a mask that says, for every pixel, whether it
belongs to the pet (1), the background (2) or the pet's outline (3). The course divides the
images by 255 and shifts the mask values to 0-2, so that they are the class numbers the
model's three output channels stand for.

    train_ds = get_training_dataset()
    test_ds = get_test_dataset()
    model.fit(train_ds, epochs=..., validation_data=test_ds)

The data come from a pets-like set built from scikit-image's photographs (see
graders/data/pets.py): 48 training and 16 test examples.
"""

from __future__ import annotations

import tensorflow as tf

from graders.data import pets

BATCH_SIZE = 8
BUFFER_SIZE = 64


def load_pets(split):
    """The split ("train" or "test") as a dataset of {'image', 'segmentation_mask'} examples,
    as TensorFlow Datasets gives Oxford-IIIT Pets."""
    images, masks = pets.load_split(split)
    return tf.data.Dataset.from_tensor_slices({"image": images, "segmentation_mask": masks})


def random_flip(input_image, input_mask):
    """Mirrors the image and its mask together, half of the time."""
    if tf.random.uniform(()) > 0.5:
        input_image = tf.image.flip_left_right(input_image)
        input_mask = tf.image.flip_left_right(input_mask)
    return input_image, input_mask


def normalize(input_image, input_mask):
    """Images to [0, 1]; mask values 1, 2, 3 to the class numbers 0, 1, 2."""
    input_image = tf.cast(input_image, tf.float32) / 255.0
    input_mask -= 1
    return input_image, input_mask


@tf.function
def load_image_train(datapoint):
    """A training example: resized to 128x128, mirrored at random, normalised."""
    input_image = tf.image.resize(datapoint["image"], (128, 128), method="nearest")
    input_mask = tf.image.resize(datapoint["segmentation_mask"], (128, 128), method="nearest")
    input_image, input_mask = random_flip(input_image, input_mask)
    input_image, input_mask = normalize(input_image, input_mask)
    return input_image, input_mask


def load_image_test(datapoint):
    """A test example: resized to 128x128, normalised."""
    input_image = tf.image.resize(datapoint["image"], (128, 128), method="nearest")
    input_mask = tf.image.resize(datapoint["segmentation_mask"], (128, 128), method="nearest")
    input_image, input_mask = normalize(input_image, input_mask)
    return input_image, input_mask


def get_training_dataset():
    train = load_pets("train").map(load_image_train, num_parallel_calls=tf.data.AUTOTUNE)
    return train.cache().shuffle(BUFFER_SIZE).batch(BATCH_SIZE).repeat().prefetch(tf.data.AUTOTUNE)


def get_test_dataset():
    return load_pets("test").map(load_image_test).batch(BATCH_SIZE)
