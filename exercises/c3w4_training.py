"""Train your C3W4 classifier, save it, and save the saliency maps the grader checks.

Usage:

    python -m exercises.c3w4_training --submission PATH --epochs N \\
        [--out cat_or_not.keras] [--train-size 1000] [--batch-size 32]

PATH is your ``c3w4_saliency.py`` or a folder that contains it, or
your notebook (notebooks/C3W4.ipynb). The script
builds your classifier with ``build_classifier()`` and ``compile_model(...)``,
trains it on the cat-or-not set's training split (label 0: a cat, 1: something
else), keeps the weights of the epoch with the best dev accuracy, reports that
accuracy, saves the model (default:
``cat_or_not.keras`` next to your submission) and then runs your
``do_salience`` on each picture of ``exercises/c3w4_pictures/`` with the prefix
``salient``, writing ``salientcat1.jpg`` and the others next to the model.
Submit the model and those maps with your code: the grader checks that the maps
are what your model gives.

``--maps-only`` skips the training and makes the maps of an already saved model.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from exercises import submission_files
from exercises.training_progress import TrainingProgress
from graders.data import cat_or_not

SUBMISSION_FILE = "c3w4_saliency.py"
DEFAULT_MODEL_NAME = "cat_or_not.keras"
MAP_PREFIX = "salient"
REQUIRED_FUNCTIONS = ("build_classifier", "compile_model", "do_salience")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m exercises.c3w4_training",
                                     description="Train the C3W4 classifier and save its saliency maps.")
    parser.add_argument("--submission", required=True, help=f"your {SUBMISSION_FILE}, the folder that holds it, "
                                                                     "or your notebook (.ipynb)")
    parser.add_argument("--epochs", type=int, default=0, help="number of training epochs")
    parser.add_argument("--out", help=f"where to save the model (default: {DEFAULT_MODEL_NAME} next to the "
                                      "submission); must end in .keras")
    parser.add_argument("--train-size", type=int, default=1000, help="training examples")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0, help="random seed for weights and shuffling")
    parser.add_argument("--maps-only", action="store_true", help="do not train: make the maps of the saved model")
    args = parser.parse_args(argv)
    if not args.maps_only and args.epochs < 1:
        parser.error("--epochs must be positive (or pass --maps-only)")
    if args.batch_size < 1 or args.train_size < 1:
        parser.error("--batch-size and --train-size must be positive")
    if args.out is not None and not args.out.endswith(".keras"):
        parser.error("--out must end in .keras")
    return args


def train(submission, args) -> tf.keras.Model:
    model = submission.compile_model(submission.build_classifier())
    images, labels = cat_or_not.load_split("train", args.train_size)
    dev_images, dev_labels = cat_or_not.load_split("dev")
    print(f"train: {len(images)} images ({int(np.sum(labels == 0))} cats), dev: {len(dev_images)} images")
    start = time.perf_counter()
    # RMSprop at 0.001 swings from epoch to epoch on a set this small: keep the best epoch's weights.
    best = tf.keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=args.epochs, mode="max",
                                            restore_best_weights=True)
    model.fit(cat_or_not.preprocess(images), labels, batch_size=args.batch_size, epochs=args.epochs,
              validation_data=(cat_or_not.preprocess(dev_images), dev_labels), shuffle=True, verbose=0,
              callbacks=[TrainingProgress(), best])
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.0f} s")
    predicted = np.argmax(model.predict(cat_or_not.preprocess(dev_images), verbose=0), axis=-1)
    print(f"dev accuracy: {np.mean(predicted == dev_labels):.0%}")
    return model


def save_maps(do_salience, model, folder: Path) -> list[Path]:
    """Run the learner's `do_salience` on each given picture, as the course calls it (a file name
    in the working folder), and keep the maps it writes in `folder`."""
    written = []
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        try:
            os.chdir(scratch)
            for name, label in cat_or_not.PICTURES.items():
                shutil.copyfile(cat_or_not.PICTURES_DIR / name, name)
                do_salience(name, model, label, MAP_PREFIX)
                made = Path(scratch) / (MAP_PREFIX + name)
                if not made.is_file():
                    raise FileNotFoundError(f"do_salience wrote no {MAP_PREFIX + name} (prefix + image)")
                written.append(Path(shutil.copyfile(made, folder / made.name)))
        finally:
            os.chdir(here)
    for path in written:
        print(f"saved the saliency map {path}")
    return written


def main(argv=None):
    args = parse_args(argv)
    submission_path = submission_files.resolve_submission(args.submission, SUBMISSION_FILE)
    out = (Path(args.out) if args.out else submission_path.parent / DEFAULT_MODEL_NAME).resolve()
    tf.keras.utils.set_random_seed(args.seed)
    submission = submission_files.load_submission(submission_path, SUBMISSION_FILE, REQUIRED_FUNCTIONS)
    if args.maps_only:
        model = tf.keras.models.load_model(out, compile=False)
    else:
        model = train(submission, args)
        submission_files.save_for_grading(model, out)
        model = tf.keras.models.load_model(out, compile=False)  # the maps of the model as submitted
    save_maps(submission.do_salience, model, out.parent)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
