"""Train your C3W1 box regression model and save it for grading.

Usage:

    python -m exercises.c3w1_training --submission PATH --epochs N \\
        [--out birds.keras] [--train-size 3000] [--birds-dir TFDS_DIR] [--batch-size 64]

PATH is your ``c3w1_bounding_boxes.py`` or a folder that contains it, or
your notebook (notebooks/C3W1.ipynb). The
script builds your model with ``define_and_compile_model()``, trains it on the
localization set's training split (or on the real Caltech Birds 2010, given a
local TensorFlow Datasets copy with ``--birds-dir``), with
``compute_steps(...)`` deciding the steps per epoch, reports on the dev split
how many boxes it finds (IoU >= 0.5, scored with your own
``intersection_over_union``), and saves the model (default: ``birds.keras`` next
to your submission). Submit that file with your code.

``--compact`` trains a small CNN with the same input and output instead of
your MobileNetV2 model: a quick check of the data and the saving on a machine
without the ImageNet weights (it is how the reference model in ``solutions/``
was made).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from exercises import submission_files
from exercises.training_progress import TrainingProgress
from graders.data import localization

SUBMISSION_FILE = "c3w1_bounding_boxes.py"
DEFAULT_MODEL_NAME = "birds.keras"
REQUIRED_FUNCTIONS = ("define_and_compile_model", "compute_steps", "intersection_over_union")
IOU_THRESHOLD = 0.5


def compact_model(learning_rate=1e-3):
    """A small CNN from 224x224x3 images to (xmin, ymin, xmax, ymax), compiled with Adam and mse."""
    layers = tf.keras.layers
    inputs = tf.keras.Input((localization.SIZE, localization.SIZE, 3))
    x = layers.AveragePooling2D(4)(inputs)
    for filters in (16, 32, 64, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    outputs = layers.Dense(4, name="bounding_box")(x)
    model = tf.keras.Model(inputs, outputs)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def load_data(split, count=None, birds_dir=None):
    """(images scaled to [-1, 1], boxes) of one split."""
    if birds_dir:
        images, boxes = localization.load_caltech_birds(birds_dir, "train" if split == "train" else "test",
                                                        limit=count)
    else:
        images, boxes = localization.load_split(split, count)
    return localization.preprocess(images), boxes


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m exercises.c3w1_training",
                                     description="Train the C3W1 box regression model.")
    parser.add_argument("--submission", required=True,
                        help=f"your {SUBMISSION_FILE}, the folder that holds it, or your notebook (.ipynb)")
    parser.add_argument("--epochs", type=int, required=True, help="number of training epochs")
    parser.add_argument("--out", help=f"where to save the model (default: {DEFAULT_MODEL_NAME} next "
                                      "to the submission); must end in .keras")
    parser.add_argument("--train-size", type=int, default=3000, help="training examples (the course had 3000)")
    parser.add_argument("--birds-dir", help="a local TensorFlow Datasets copy of caltech_birds2010")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0, help="random seed for weights and shuffling")
    parser.add_argument("--compact", action="store_true",
                        help="train a small CNN instead of your define_and_compile_model()")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.train_size < 1:
        parser.error("--epochs, --batch-size and --train-size must be positive")
    if args.out is not None and not args.out.endswith(".keras"):
        parser.error("--out must end in .keras")
    return args


def main(argv=None):
    args = parse_args(argv)
    submission_path = submission_files.resolve_submission(args.submission, SUBMISSION_FILE)
    out = Path(args.out) if args.out else submission_path.parent / DEFAULT_MODEL_NAME
    tf.keras.utils.set_random_seed(args.seed)

    submission = submission_files.load_submission(submission_path, SUBMISSION_FILE, REQUIRED_FUNCTIONS)
    model = compact_model() if args.compact else submission.define_and_compile_model()

    train_images, train_boxes = load_data("train", args.train_size, args.birds_dir)
    dev_images, dev_boxes = load_data("dev", None, args.birds_dir)
    print(f"train: {len(train_images)} images, dev: {len(dev_images)} images")
    steps_per_epoch, validation_steps = (int(s) for s in submission.compute_steps(
        len(train_images), len(dev_images), args.batch_size))

    train_ds = (tf.data.Dataset.from_tensor_slices((train_images, train_boxes))
                .shuffle(len(train_images), seed=args.seed).repeat().batch(args.batch_size))
    dev_ds = tf.data.Dataset.from_tensor_slices((dev_images, dev_boxes)).repeat().batch(args.batch_size)
    start = time.perf_counter()
    model.fit(train_ds, steps_per_epoch=steps_per_epoch, validation_data=dev_ds,
              validation_steps=validation_steps, epochs=args.epochs, verbose=0,
              callbacks=[TrainingProgress()])
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.0f} s")

    predicted = model.predict(dev_images, batch_size=args.batch_size, verbose=0)
    iou = np.asarray(submission.intersection_over_union(predicted, dev_boxes)).ravel()
    print(f"dev: {np.mean(iou >= IOU_THRESHOLD):.0%} of boxes found (IoU >= {IOU_THRESHOLD}), "
          f"median IoU {np.median(iou):.2f}")

    submission_files.save_for_grading(model, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
