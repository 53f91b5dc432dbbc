"""How long the C3W2 fine-tuning and detection take on the project's detector, against its forward pass.

Runs the course's steps (`solutions/c3w2_course_steps.py`: restore, dummy pass, the 4 head
variables, a @tf.function train step) and times, in one run: the 100 batches of 4
training images of 640x853 (the first call, which traces, on its own row), the same 100
batches through the forward pass and the loss only (the floor: no gradient, no update),
and one `detect` call on a 640x853 frame against one forward pass (preprocess and predict).
Both timed loops include their first call, which traces. The ratio column is each time
over its baseline's.

    python bench/bench_detection.py [--batches 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "exercises"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from graders.data import detection  # noqa: E402
from object_detection import course_files  # noqa: E402
from solutions import c3w2_course_steps as course_steps  # noqa: E402


def batches(count: int, batch_size: int, seed: int = 0) -> list[list[int]]:
    shuffle = random.Random(seed)
    keys = []
    for _ in range(count):
        order = list(range(5))
        shuffle.shuffle(order)
        keys.append(order[:batch_size])
    return keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="detect / forward calls timed (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-c3w2-") as folder:
        course_files.lay_out(folder)
        detection.write_training(Path(folder) / "training")
        previous = os.getcwd()
        os.chdir(folder)
        try:
            model = course_steps.build_and_restore()
            images, boxes, classes = course_steps.training_tensors()
        finally:
            os.chdir(previous)
    keys = batches(args.batches, args.batch_size)

    # the fine-tuning, as the course runs it (its first call traces the step)
    losses, train_seconds, first = course_steps.fine_tune(model, images, boxes, classes, num_batches=args.batches,
                                                          batch_size=args.batch_size)

    @tf.function
    def forward(image_list, boxes_list, classes_list):
        model.provide_groundtruth(groundtruth_boxes_list=boxes_list, groundtruth_classes_list=classes_list)
        processed = tf.concat([model.preprocess(image)[0] for image in image_list], axis=0)
        shapes = tf.constant(len(image_list) * [[640, 640, 3]], tf.int32)
        result = model.loss(model.predict(processed, shapes), shapes)
        return result["Loss/localization_loss"] + result["Loss/classification_loss"]

    start = time.perf_counter()
    forward_first = 0.0
    for batch in keys:
        float(forward([images[k] for k in batch], [boxes[k] for k in batch], [classes[k] for k in batch]))
        forward_first = forward_first or time.perf_counter() - start
    forward_seconds = time.perf_counter() - start

    detect = course_steps.make_detect(model)

    @tf.function
    def predict_only(input_tensor):
        processed, shapes = model.preprocess(input_tensor)
        return model.predict(processed, shapes)["box_encodings"]

    frame = tf.constant(next(detection.test_frames([0]))[1][np.newaxis], tf.float32)
    detect(frame), predict_only(frame)

    def timed(function) -> float:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = function(frame)
            np.asarray(result["detection_boxes"] if isinstance(result, dict) else result)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    detect_seconds, predict_seconds = timed(detect), timed(predict_only)
    steady, forward_steady = train_seconds - first, forward_seconds - forward_first
    rows = [
        (f"fine-tuning, {args.batches} batches of {args.batch_size} (train_step_fn), first call included",
         train_seconds, forward_seconds),
        ("  baseline: the same batches, forward pass and loss only", forward_seconds, forward_seconds),
        ("fine-tuning, first call (traces the step)", first, forward_first),
        ("  baseline: forward pass and loss, first call", forward_first, forward_first),
        (f"fine-tuning, the other {args.batches - 1} batches", steady, forward_steady),
        ("  baseline: forward pass and loss, the same batches", forward_steady, forward_steady),
        ("detect, one 640x853 frame (preprocess, predict, postprocess)", detect_seconds, predict_seconds),
        ("  baseline: preprocess and predict only", predict_seconds, predict_seconds),
    ]
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPUs, "
          f"{sum(int(np.prod(v.shape)) for v in model.trainable_variables):,} parameters; "
          f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    header = f"{'what':<72}  {'seconds':>8}  {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for name, seconds, baseline in rows:
        ratio = f"{seconds / baseline:5.2f}x" if baseline else ""
        print(f"{name:<72}  {seconds:8.3f}  {ratio:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
