"""Pre-train the project's detector and write the checkpoint the course restores (its ``ckpt-0``).

    python -m object_detection.pretrain            # writes object_detection/test_data/checkpoint/
    python -m object_detection.pretrain --check    # rebuild in a temporary folder, compare detections

The detector of ``configs/tf2/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config`` (6 classes)
is trained from its deterministic initial values on the pre-training set of
`graders.data.detection` (sample i of the split is rebuilt from its own seed), with Adam
on a cosine schedule, the settings read from the config's ``train_config``. Op
determinism is switched on, so a rebuild on the same machine gives the same bits, and
on another CPU the same detections within float tolerance (``--check`` says which).
The checkpoint holds the model only (``tf.train.Checkpoint(model=detection_model)``),
as the course's checkpoint does; ``reference_detections.npz`` next to it keeps the
detections of the dev samples that ``--check`` compares.
"""

from __future__ import annotations

import argparse
import math
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

PACKAGE = Path(__file__).resolve().parent
CONFIG = PACKAGE / "configs" / "tf2" / "ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config"
CHECKPOINT_DIR = PACKAGE / "test_data" / "checkpoint"
PREFIX = "ckpt-0"
REFERENCE = "reference_detections.npz"
DEV_SAMPLES = 16


def build_pretraining_model():
    from object_detection.builders import model_builder
    from object_detection.utils import config_util

    configs = config_util.get_configs_from_pipeline_file(CONFIG)
    model = model_builder.build(model_config=configs["model"], is_training=True)
    return model, configs


def _learning_rate(step: int, schedule) -> float:
    base, total = float(schedule.learning_rate_base), int(schedule.total_steps)
    warmup, warmup_rate = int(schedule.warmup_steps), float(schedule.warmup_learning_rate)
    if step < warmup:
        return warmup_rate + (base - warmup_rate) * step / warmup
    return 0.5 * base * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def _batches(steps: int, batch_size: int, num_classes: int, split: str = "pretrain"):
    """(images, boxes list, one-hot classes list) per step, rendered one step ahead in a thread."""
    from graders.data import detection

    ready: queue.Queue = queue.Queue(maxsize=3)

    def produce():
        for step in range(steps):
            images, boxes, labels = detection.pretraining_batch(step * batch_size, batch_size, split)
            one_hot = [np.eye(num_classes, dtype=np.float32)[label] for label in labels]
            ready.put((images, boxes, one_hot))

    threading.Thread(target=produce, daemon=True).start()
    for _ in range(steps):
        yield ready.get()


def detect_dev(model, count: int = DEV_SAMPLES) -> dict:
    """The model's top detections on the first `count` dev samples (numpy)."""
    import tensorflow as tf

    from graders.data import detection

    images, _, _ = detection.pretraining_batch(0, count, "pretrain_dev")
    processed, shapes = model.preprocess(tf.constant(images, tf.float32))
    detections = model.postprocess(model.predict(processed, shapes), shapes)
    return {key: detections[key].numpy()[:, :10] for key in ("detection_boxes", "detection_scores",
                                                             "detection_classes")}


def pretrain(output: Path = CHECKPOINT_DIR, steps: int | None = None, log_every: int = 50) -> Path:
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    model, configs = build_pretraining_model()
    train = configs["train_config"]
    steps = int(train.num_steps) if steps is None else int(steps)
    batch_size = int(train.batch_size)
    schedule = train.optimizer.adam_optimizer.learning_rate.cosine_decay_learning_rate
    num_classes = model.num_classes

    processed, shapes = model.preprocess(tf.zeros([1, 240, 320, 3]))
    model.postprocess(model.predict(processed, shapes), shapes)  # creates the variables
    variables = list(model.trainable_variables)
    optimizer = tf.keras.optimizers.Adam(learning_rate=_learning_rate(0, schedule), clipnorm=10.0)

    signature = [tf.TensorSpec([batch_size, 240, 320, 3], tf.uint8),
                 [tf.TensorSpec([None, 4], tf.float32)] * batch_size,
                 [tf.TensorSpec([None, num_classes], tf.float32)] * batch_size]

    @tf.function(input_signature=signature)
    def train_step(images, boxes, classes):
        model.provide_groundtruth(groundtruth_boxes_list=boxes, groundtruth_classes_list=classes)
        with tf.GradientTape() as tape:
            processed, shapes = model.preprocess(tf.cast(images, tf.float32))
            losses = model.loss(model.predict(processed, shapes), shapes)
            total = losses["Loss/localization_loss"] + losses["Loss/classification_loss"]
        gradients = tape.gradient(total, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return losses["Loss/localization_loss"], losses["Loss/classification_loss"]

    start = time.perf_counter()
    running = None
    for step, (images, boxes, classes) in enumerate(_batches(steps, batch_size, num_classes)):
        optimizer.learning_rate.assign(_learning_rate(step, schedule))
        localization, classification = train_step(images, boxes, classes)
        current = np.array([float(localization), float(classification)])
        running = current if running is None else 0.95 * running + 0.05 * current
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"step {step:5d}  localization {running[0]:.4f}  classification {running[1]:.4f}  "
                  f"{time.perf_counter() - start:7.1f} s", flush=True)

    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    tf.train.Checkpoint(model=model).write(str(output / PREFIX))
    (output / "checkpoint").write_text(f'model_checkpoint_path: "{PREFIX}"\n'
                                       f'all_model_checkpoint_paths: "{PREFIX}"\n')
    np.savez(output / REFERENCE, steps=steps, **detect_dev(model))
    return output / PREFIX


def load_pretrained(checkpoint_dir: Path = CHECKPOINT_DIR):
    """The pre-training model with the checkpoint's values (all of them, class head included)."""
    import tensorflow as tf

    model, _ = build_pretraining_model()
    status = tf.train.Checkpoint(model=model).read(str(Path(checkpoint_dir) / PREFIX))
    processed, shapes = model.preprocess(tf.zeros([1, 240, 320, 3]))
    model.postprocess(model.predict(processed, shapes), shapes)
    status.assert_existing_objects_matched()
    return model


def check(atol: float = 2e-3) -> bool:
    """Rebuild the checkpoint in a temporary folder and compare its dev detections with the committed ones."""
    with np.load(CHECKPOINT_DIR / REFERENCE) as stored:
        reference = {key: stored[key] for key in stored.files}
    committed = detect_dev(load_pretrained(CHECKPOINT_DIR))
    same_as_reference = all(np.allclose(committed[k], reference[k], atol=atol) for k in committed)
    with tempfile.TemporaryDirectory(prefix="od-pretrain-") as folder:
        pretrain(Path(folder), steps=int(reference["steps"]), log_every=0)
        rebuilt = detect_dev(load_pretrained(Path(folder)))
    ok = same_as_reference
    for key in committed:
        difference = float(np.max(np.abs(rebuilt[key] - committed[key])))
        close = np.allclose(rebuilt[key], committed[key], atol=atol)
        ok &= close
        print(f"{key:20s} max |rebuilt - committed| = {difference:.2e}  {'ok' if close else 'DIFFERENT'}")
    print("committed checkpoint gives its reference detections:", same_as_reference)
    return bool(ok)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m object_detection.pretrain", description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=CHECKPOINT_DIR)
    parser.add_argument("--steps", type=int, help="override train_config.num_steps")
    parser.add_argument("--check", action="store_true",
                        help="rebuild in a temporary folder and compare with the committed checkpoint")
    args = parser.parse_args(argv)
    if args.check:
        return 0 if check() else 1
    print(pretrain(args.output, args.steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
