"""Fine-tune the C3W2 detector with your steps and write the course's results.data.

Usage:

    python -m exercises.c3w2_training --submission PATH [--out results.data] [--frames 237]

PATH is your ``c3w2_zombie_detection.py``, or a folder that holds it, or your notebook
(notebooks/C3W2.ipynb). The script lays out
the course's files in a temporary folder (the config, the checkpoint and the five training
images at the course's paths), runs your steps there in the course's order (config, build,
restore, dummy pass, hyperparameters, the variables to fine-tune), trains for
``num_batches`` batches with your ``train_step_fn``, runs your ``detect`` on the test frames
``zombie-walk0000.jpg`` .. ``0236.jpg`` and saves the top box of each frame as the course
does (``pickle.dump(results['boxes'], ...)``; default: ``results.data`` next to your
submission). It prints the loss as it goes, and how many top boxes overlap the true boxes.
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from exercises import submission_files
from exercises.training_progress import TrainingProgress
from graders.data import detection
from graders.judge.boxes import box_iou
from object_detection import course_files

SUBMISSION_FILE = "c3w2_zombie_detection.py"
DEFAULT_RESULTS = "results.data"
REQUIRED_FUNCTIONS = ("configure_model", "build_detection_model", "restore_weights", "run_dummy_pass",
                      "set_hyperparameters", "select_variables", "train_step_fn", "detect")


def training_tensors(folder: Path):
    """The course's prepared data: images [1, 640, 853, 3] float32, boxes [1, 4], one-hot classes [1, 1]."""
    from PIL import Image

    images = [np.asarray(Image.open(folder / f"training-zombie{i}.jpg").convert("RGB")) for i in range(1, 6)]
    boxes = detection.training_boxes()
    return ([tf.constant(image[np.newaxis], tf.float32) for image in images],
            [tf.constant(box[np.newaxis], tf.float32) for box in boxes],
            [tf.one_hot(tf.constant([0]), 1) for _ in boxes])


def fine_tune(submission, workdir: Path, seed: int = 0, progress: TrainingProgress | None = None):
    """Your steps in `workdir`, in the course's order; returns the fine-tuned model. `progress`
    (a TrainingProgress) reports the batches and the time left."""
    course_files.lay_out(workdir)
    detection.write_training(workdir / "training")
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        model_config = submission.configure_model(course_files.CONFIG_PATH.as_posix(), 1)
        model = submission.build_detection_model(model_config)
        submission.restore_weights(model)
        submission.run_dummy_pass(model)
        batch_size, num_batches, _, optimizer = submission.set_hyperparameters()
        to_fine_tune = submission.select_variables(model)
        images, boxes, classes = training_tensors(workdir / "training")
    finally:
        os.chdir(previous)
    submission.detection_model, submission.batch_size = model, batch_size  # the course's globals
    shuffle = random.Random(seed)
    progress = progress or TrainingProgress()
    progress.set_params({"epochs": 1, "steps": int(num_batches)})  # one pass of num_batches, as Keras counts
    progress.on_train_begin()
    progress.on_epoch_begin(0)
    loss = None
    for batch in range(int(num_batches)):
        keys = list(range(len(images)))
        shuffle.shuffle(keys)
        keys = keys[:batch_size]
        loss = submission.train_step_fn([images[k] for k in keys], [boxes[k] for k in keys],
                                        [classes[k] for k in keys], model, optimizer, to_fine_tune)
        progress.on_train_batch_end(batch, {"loss": float(loss)})
    progress.on_epoch_end(0, {} if loss is None else {"loss": float(loss)})
    return model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exercises.c3w2_training", description=__doc__.split("\n")[0])
    parser.add_argument("--submission", required=True, help=f"your {SUBMISSION_FILE}, the folder that holds it, "
                                                                     "or your notebook (.ipynb)")
    parser.add_argument("--out", help=f"where to write the boxes (default: {DEFAULT_RESULTS} next to the submission)")
    parser.add_argument("--frames", type=int, default=detection.NUM_TEST_FRAMES, help="test frames to detect on")
    parser.add_argument("--seed", type=int, default=0, help="seed of the batches' shuffle")
    args = parser.parse_args(argv)
    path = submission_files.resolve_submission(args.submission, SUBMISSION_FILE)
    out = Path(args.out) if args.out else path.parent / DEFAULT_RESULTS
    submission = submission_files.load_submission(path, SUBMISSION_FILE, REQUIRED_FUNCTIONS)
    with tempfile.TemporaryDirectory(prefix="c3w2-") as folder:
        fine_tune(submission, Path(folder), args.seed)
    results, ious = {"boxes": [], "scores": []}, []
    for _, frame, truth in detection.test_frames(range(min(args.frames, detection.NUM_TEST_FRAMES))):
        detections = submission.detect(tf.constant(frame[np.newaxis], tf.float32))
        box = detections["detection_boxes"][0][0].numpy()
        results["boxes"].append(box)
        results["scores"].append(float(detections["detection_scores"][0][0]))
        ious.append(float(box_iou(np.asarray(box, np.float64)[None], np.asarray(truth, np.float64)[None])[0]))
    with open(out, "wb") as file:
        pickle.dump(results["boxes"], file)
    ious, scores = np.asarray(ious), np.asarray(results["scores"])
    print(f"{len(ious)} frames: top box IoU >= 0.5 with the true box on {np.mean(ious >= 0.5):.0%}, "
          f"top score > 0.9 on {np.mean(scores > 0.9):.0%}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
