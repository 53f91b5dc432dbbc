"""Train your C3W3 FCN-8 segmentation model on M2NIST.

Usage:

    python -m exercises.c3w3_training --submission PATH --epochs N \\
        [--out MODEL.keras] [--data-dir REAL_M2NIST_DIR] [--batch-size 32]

PATH is your ``c3w3_segmentation.py`` or a folder that contains it, or
your notebook (notebooks/C3W3.ipynb). The file
must define three functions:

    FCN8()                          -> (convs, img_input)   # the encoder
    fcn8_decoder(convs, n_classes)  -> outputs              # the decoder
    compile_model(model)            -> model                # compiles in place

This script builds ``tf.keras.Model(img_input, outputs)``, compiles it with
your ``compile_model``, trains it on the training split while validating on
the dev split, prints the intersection-over-union (IoU) of every class on the
dev split, and saves the trained model (default: ``c3w3_model.keras`` next to
your submission). Submit that .keras file with your code.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from exercises import c3w3_data, submission_files
from exercises.training_progress import TrainingProgress

SUBMISSION_FILE = "c3w3_segmentation.py"
DEFAULT_MODEL_NAME = "c3w3_model.keras"
REQUIRED_FUNCTIONS = ("FCN8", "fcn8_decoder", "compile_model")
CLASS_NAMES = [str(d) for d in range(10)] + ["background"]


# ---------------------------------------------------------------------------
# Loading your submission
# ---------------------------------------------------------------------------

def resolve_submission(path):
    """The .py file named by PATH (a file, or a folder holding c3w3_segmentation.py)."""
    return submission_files.resolve_submission(path, SUBMISSION_FILE)


def load_submission(path):
    """Import the submission file as a module and check its functions exist."""
    return submission_files.load_submission(path, SUBMISSION_FILE, REQUIRED_FUNCTIONS)


def build_model(submission):
    """Encoder + decoder from the submission, compiled by its compile_model."""
    convs, img_input = submission.FCN8()
    outputs = submission.fcn8_decoder(convs, c3w3_data.N_CLASSES)
    model = tf.keras.Model(img_input, outputs)
    compiled = submission.compile_model(model)
    if compiled is not None:
        model = compiled
    expected = (None, c3w3_data.HEIGHT, c3w3_data.WIDTH, c3w3_data.N_CLASSES)
    if tuple(model.output_shape) != expected:
        raise ValueError(f"the model's output shape is {model.output_shape}, expected {expected}")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError("compile_model(model) must call model.compile(...)")
    return model


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------

def class_wise_iou(true_maps, pred_maps, n_classes=c3w3_data.N_CLASSES):
    """IoU per class between two class maps of the same shape.

    IoU = |true AND predicted| / |true OR predicted| for each class; it is NaN
    for a class that appears in neither map (nothing to measure).
    """
    true_maps = np.asarray(true_maps).ravel()
    pred_maps = np.asarray(pred_maps).ravel()
    if true_maps.shape != pred_maps.shape:
        raise ValueError("true and predicted maps must have the same shape")
    # A confusion matrix gives every intersection and union in one pass.
    confusion = np.bincount(true_maps.astype(np.int64) * n_classes + pred_maps.astype(np.int64),
                            minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    intersection = np.diag(confusion).astype(np.float64)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - intersection
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, intersection / union, np.nan)


def evaluate_iou(model, images, annotations, batch_size=c3w3_data.BATCH_SIZE):
    """Per-class IoU of the model's predictions (argmax over classes)."""
    scores = model.predict(images, batch_size=batch_size, verbose=0)
    return class_wise_iou(np.argmax(annotations, axis=-1), np.argmax(scores, axis=-1))


class StopAtDevIoU(tf.keras.callbacks.Callback):
    """After each epoch, print the dev split's mean digit IoU; stop once it reaches `target`.

    The course's pass mark is a mean digit IoU of 0.6 on images the model has not seen, so
    training a little past it on dev leaves a margin for the hidden grading set.
    """

    def __init__(self, images, annotations, target, batch_size):
        super().__init__()
        self.images, self.annotations = images, annotations
        self.target, self.batch_size = target, batch_size

    def on_epoch_end(self, epoch, logs=None):
        iou = evaluate_iou(self.model, self.images, self.annotations, self.batch_size)
        mean = float(np.nanmean(iou[:10]))
        print(f"epoch {epoch + 1}: mean digit IoU on dev {mean:.3f}", flush=True)
        if self.target is not None and mean >= self.target:
            print(f"reached the target {self.target:.2f}; stopping")
            self.model.stop_training = True


def print_iou(iou):
    print("Per-class IoU on the dev split:")
    for name, value in zip(CLASS_NAMES, iou):
        shown = "  n/a" if np.isnan(value) else f"{value:.3f}"
        print(f"  {name:>10s}: {shown}")
    print(f"  mean IoU of the 10 digit classes: {np.nanmean(iou[:10]):.3f}")


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m exercises.c3w3_training",
                                     description="Train the C3W3 FCN-8 model on M2NIST.")
    parser.add_argument("--submission", required=True,
                        help=f"your {SUBMISSION_FILE}, the folder that holds it, or your notebook (.ipynb)")
    parser.add_argument("--epochs", type=int, required=True, help="number of training epochs")
    parser.add_argument("--out", help=f"where to save the model (default: {DEFAULT_MODEL_NAME} "
                                      "next to the submission); must end in .keras")
    parser.add_argument("--data-dir", help="folder with the real M2NIST combined.npy and segmented.npy")
    parser.add_argument("--batch-size", type=int, default=c3w3_data.BATCH_SIZE)
    parser.add_argument("--seed", type=int, default=0, help="random seed for weights and shuffling")
    parser.add_argument("--target-iou", type=float, default=None,
                        help="stop early once the mean digit IoU on dev reaches this (e.g. 0.65)")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch-size must be positive")
    if args.out is not None and not args.out.endswith(".keras"):
        parser.error("--out must end in .keras")
    return args


def main(argv=None):
    args = parse_args(argv)
    submission_path = resolve_submission(args.submission)
    out = Path(args.out) if args.out else submission_path.parent / DEFAULT_MODEL_NAME

    # Same seed, same initial weights and batch order: runs are comparable.
    tf.keras.utils.set_random_seed(args.seed)

    submission = load_submission(submission_path)
    model = build_model(submission)

    train_images, train_annotations = c3w3_data.load_m2nist("train", data_dir=args.data_dir)
    dev_images, dev_annotations = c3w3_data.load_m2nist("dev", data_dir=args.data_dir)
    print(f"train: {len(train_images)} images, dev: {len(dev_images)} images")

    train_ds = c3w3_data.get_training_dataset(train_images, train_annotations, args.batch_size)
    dev_ds = c3w3_data.get_validation_dataset(dev_images, dev_annotations, args.batch_size)
    # The training set repeats forever, so an epoch is one pass in whole batches.
    steps_per_epoch = max(1, len(train_images) // args.batch_size)
    del train_images, train_annotations  # the dataset holds its own compact copy

    start = time.perf_counter()
    progress = StopAtDevIoU(dev_images, dev_annotations, args.target_iou, args.batch_size)
    history = model.fit(train_ds, steps_per_epoch=steps_per_epoch, validation_data=dev_ds,
                        epochs=args.epochs, verbose=0, callbacks=[TrainingProgress(), progress])
    elapsed = time.perf_counter() - start
    epochs = len(history.epoch)
    print(f"trained {epochs} epochs in {elapsed:.0f} s ({elapsed / epochs:.1f} s per epoch)")

    print_iou(evaluate_iou(model, dev_images, dev_annotations, args.batch_size))

    submission_files.save_for_grading(model, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
