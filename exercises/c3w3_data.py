"""Data for assignment C3W3: segmenting handwritten digits (M2NIST).

Each example is a 64x84 grey-scale image with one to three handwritten digits
on a black background, and a label map that says, for every pixel, which of
11 classes it belongs to: the digits 0-9, or class 10 for the background.

    images, annotations = load_m2nist("train")
    train_ds = get_training_dataset(images, annotations)
    dev_images, dev_annotations = load_m2nist("dev")
    dev_ds = get_validation_dataset(dev_images, dev_annotations)
    model.fit(train_ds, steps_per_epoch=len(images) // 32,
              validation_data=dev_ds, epochs=...)

By default the data come from an M2NIST-like set built from real MNIST digits
(see graders/data/m2nist.py): 4000 training and 500 dev images. If you have
the original M2NIST files (``combined.npy`` and ``segmented.npy``), pass their
folder as ``data_dir`` to train on those instead.

A third split, "hidden", exists for grading only: you cannot load it here.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from graders.data import m2nist

HEIGHT, WIDTH = 64, 84
N_CLASSES = 11          # digits 0-9 plus background
BACKGROUND_CLASS = 10
BATCH_SIZE = 32

# Real M2NIST has no official split; we keep the first 80% for training and
# the last 20% for validation, in file order, so the split is reproducible.
REAL_TRAIN_FRACTION = 0.8


# ---------------------------------------------------------------------------
# Preprocessing (the same for every source of data)
# ---------------------------------------------------------------------------

def preprocess(images_uint8):
    """Course preprocessing: uint8 images (..., 64, 84) -> float32 (..., 64, 84, 1).

    Pixels are scaled from [0, 255] to [-1, 1] (x / 127.5 - 1) so that the
    inputs are centred around zero, which helps the optimiser; the extra last
    axis is the single grey-scale channel that Conv2D layers expect.
    """
    images = np.asarray(images_uint8)
    if images.shape[-2:] != (HEIGHT, WIDTH):
        raise ValueError(f"expected images of shape (..., {HEIGHT}, {WIDTH}), got {images.shape}")
    images = images.astype(np.float32)
    images = images.reshape(images.shape + (1,))
    return images / 127.5 - 1.0


def _annotations_from_label_maps(labels):
    """Label maps (N, 64, 84) with values 0..10 -> one-hot int32 (N, 64, 84, 11)."""
    return m2nist.label_maps_to_one_hot(labels, dtype=np.int32)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

def load_m2nist(split="train", data_dir=None):
    """Load one split as (images, annotations).

    images:      float32 (N, 64, 84, 1), scaled to [-1, 1]
    annotations: int32 (N, 64, 84, 11), one-hot over the 11 classes

    ``split`` is "train" or "dev". With ``data_dir`` set, the real M2NIST
    files in that folder are used and split 80/20 into train/dev.
    """
    if split == "hidden":
        raise ValueError("the 'hidden' split is for grading only and cannot be loaded for "
                         "training or evaluation; use split='train' or split='dev'")
    if split not in ("train", "dev"):
        raise ValueError(f"unknown split {split!r}: use 'train' or 'dev'")

    if data_dir is None:
        images, labels = m2nist.load_split(split)
    else:
        images, labels = m2nist.load_real_m2nist(data_dir)
        n_train = int(round(REAL_TRAIN_FRACTION * len(images)))
        part = slice(0, n_train) if split == "train" else slice(n_train, None)
        images, labels = images[part], labels[part]

    return preprocess(images), _annotations_from_label_maps(labels)


# ---------------------------------------------------------------------------
# tf.data pipelines
# ---------------------------------------------------------------------------

def _compact_dataset(images, annotations):
    """A dataset of (image, one-hot annotation) pairs that stores labels compactly.

    A one-hot int32 annotation takes 11 x 4 = 44 bytes per pixel; the class
    index takes 1. We keep the class index in memory and expand it to one-hot
    per example, as the model and loss expect.
    """
    images = np.asarray(images, dtype=np.float32)
    annotations = np.asarray(annotations)
    if images.ndim != 4 or images.shape[1:] != (HEIGHT, WIDTH, 1):
        raise ValueError(f"images must have shape (N, {HEIGHT}, {WIDTH}, 1), got {images.shape}")
    if annotations.shape != images.shape[:3] + (N_CLASSES,):
        raise ValueError(f"annotations must have shape (N, {HEIGHT}, {WIDTH}, {N_CLASSES}), "
                         f"got {annotations.shape}")
    class_maps = m2nist.one_hot_to_label_maps(annotations)

    dataset = tf.data.Dataset.from_tensor_slices((images, class_maps))

    def to_one_hot(image, class_map):
        return image, tf.one_hot(tf.cast(class_map, tf.int32), N_CLASSES, dtype=tf.int32)

    return dataset, to_one_hot


def get_training_dataset(images, annotations, batch_size=BATCH_SIZE):
    """Shuffled, repeated, batched training data.

    The dataset repeats forever, so pass ``steps_per_epoch`` to model.fit
    (for example ``len(images) // batch_size``).
    """
    dataset, to_one_hot = _compact_dataset(images, annotations)
    # Shuffle over the whole set (it is small) so every batch is a fresh mix.
    dataset = dataset.shuffle(buffer_size=len(images), reshuffle_each_iteration=True)
    dataset = dataset.map(to_one_hot, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=True)
    dataset = dataset.repeat()
    # Prepare the next batch while the model trains on the current one.
    return dataset.prefetch(tf.data.AUTOTUNE)


def get_validation_dataset(images, annotations, batch_size=BATCH_SIZE):
    """Batched validation data, in order, seen once per pass (no shuffle, no repeat)."""
    dataset, to_one_hot = _compact_dataset(images, annotations)
    dataset = dataset.map(to_one_hot, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE)
