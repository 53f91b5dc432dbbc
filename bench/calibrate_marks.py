"""Where the trained-model marks stand against the course's recipe: train it over several seeds,
grade each model as the grader does, and grade an untrained model of each seed beside it.

    python bench/calibrate_marks.py c3w4 --seeds 5 [--epochs 6] [--workdir DIR]
    python bench/calibrate_marks.py c3w2 --seeds 5        # the grader fine-tunes: no training here
    python bench/calibrate_marks.py c3w1 --seeds 3 --epochs 10
    python bench/calibrate_marks.py c3w3 --seeds 2 --epochs 20 --target-iou 0.7

For each seed: the solution's code is trained with the assignment's own training entry point
(`exercises/cNwN_training.py --seed S`, run as a learner runs it), then graded by a real `Grader`
(real worker, the hidden set, the suite's check), and its measure taken from the probe's
observation with the suite's own functions. The untrained model of the same seed is the
solution's network with seeded random weights (C3W2's parts: the solution with its gradient
step removed, so the grader's 100 batches change nothing). The table gives part, seed, measure
and points, then min/median/max and the thresholds in force: a recipe that lands below full
points, or an untrained model above zero, means the marks need moving.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "exercises"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from graders.control.grading import Grader  # noqa: E402
from graders.shared.registry import assignment  # noqa: E402
from graders.suites import c3w1, c3w2, c3w2_l4, c3w3, c3w4  # noqa: E402

SOLUTIONS = ROOT / "solutions"


@dataclass(frozen=True)
class Part:
    assignment: str
    exercise: str
    module: str  # the solution's file name
    model_file: str | None  # what training writes next to the code (None: the grader trains)
    unit: str  # what the measure is
    measure: Callable[[dict], float]  # observation -> the measure the marks are set on
    thresholds: Callable[[], str]
    training: Callable[[argparse.Namespace], list[str]] | None = None  # entry-point arguments
    untrained: Callable[[Path, int], None] | None = None  # writes an untrained submission in a folder


# --- measures, with the suites' own functions -----------------------------------------------
# (each takes the scored part of the observation: the probe also runs on public dev examples the
# report's pictures are drawn from, which count for nothing)
def _c3w1_measure(observation) -> float:
    return 100 * c3w1.box_score(c3w1.scored_iou(observation))


def _c3w3_measure(observation) -> float:
    return c3w3.digit_score(c3w3.scored_class_wise(observation)[0])


def _c3w4_measure(observation) -> float:
    return 100 * c3w4.scored_accuracy(np.asarray(observation["probabilities"], np.float64))


def _pipeline_measure(suite):
    def measure(observation) -> float:
        iou, scores = suite.scored_run(observation)
        return 100 * c3w2.confident_share(scores, iou, suite.SCORE_THRESHOLD)
    return measure


def _pipeline_right(suite, observation) -> float:
    return 100 * c3w2.box_share(suite.scored_run(observation)[0])


# --- untrained submissions --------------------------------------------------------------------
def _save_seeded(model, seed: int, path: Path) -> None:
    from graders.worker import modelprobe

    modelprobe.seed_weights(model, seed)
    model.save(path)


def _untrained_c3w1(folder: Path, seed: int) -> None:
    from exercises.c3w1_training import compact_model

    _save_seeded(compact_model(), seed, folder / "birds.keras")


def _untrained_c3w3(folder: Path, seed: int) -> None:
    from exercises.c3w3_training import build_model, load_submission

    _save_seeded(build_model(load_submission(folder / "c3w3_segmentation.py")), seed, folder / "c3w3_model.keras")


def _untrained_c3w4(folder: Path, seed: int) -> None:
    import keras

    from exercises.c3w4_training import save_maps
    from solutions.c3w4_saliency import build_classifier, compile_model, do_salience

    _save_seeded(compile_model(build_classifier()), seed, folder / "cat_or_not.keras")
    save_maps(do_salience, keras.models.load_model(folder / "cat_or_not.keras"), folder)  # the maps' half stays


NO_STEP = "pass  # untrained: the gradients are not applied"


def _untrained_pipeline(module: str, step: str):
    def write(folder: Path, seed: int) -> None:
        path = folder / module
        source = path.read_text()
        if source.count(step) != 1:
            raise SystemExit(f"{module}: expected one `{step}` to remove, found {source.count(step)}")
        path.write_text(source.replace(step, NO_STEP))
    return write


PARTS = {
    "c3w1": Part("c3w1", "trained_model", "c3w1_bounding_boxes.py", "birds.keras", "% boxes found",
                 _c3w1_measure, lambda: f"full points from {c3w1.PASS_SHARE:.0%} found, proportionally below",
                 lambda a: ["exercises.c3w1_training", "--compact", "--epochs", str(a.epochs or 10)],
                 _untrained_c3w1),
    "c3w3": Part("c3w3", "trained_model", "c3w3_segmentation.py", "c3w3_model.keras", "mean digit IoU x100",
                 _c3w3_measure, lambda: f"pass above {c3w3.PASS_MARK:g}",
                 lambda a: ["exercises.c3w3_training", "--epochs", str(a.epochs or 20)]
                 + (["--target-iou", str(a.target_iou)] if a.target_iou else []),
                 _untrained_c3w3),
    "c3w4": Part("c3w4", "trained_model", "c3w4_saliency.py", "cat_or_not.keras", "% hidden accuracy",
                 _c3w4_measure, lambda: f"0 points up to {c3w4.ACCURACY_ZERO:.0%}, full from {c3w4.ACCURACY_FULL:.0%} "
                 "(the accuracy half; the maps' half is full here)",
                 lambda a: ["exercises.c3w4_training", "--epochs", str(a.epochs or 6)],
                 _untrained_c3w4),
    "c3w2": Part("c3w2", "fine_tuned", "c3w2_zombie_detection.py", None, "% right and confident",
                 _pipeline_measure(c3w2), lambda: f"full from {c3w2.BOX_SHARE:.0%} right and {c3w2.SCORE_SHARE:.0%} "
                 f"right with a score above {c3w2.SCORE_THRESHOLD:g}",
                 None, _untrained_pipeline("c3w2_zombie_detection.py",
                                           "optimizer.apply_gradients(zip(gradients, vars_to_fine_tune))")),
    "c3w2_l4": Part("c3w2_l4", "fine_tuned", "c3w2_l4_ducks.py", None, "% right and confident",
                    _pipeline_measure(c3w2_l4), lambda: f"full from {c3w2_l4.BOX_SHARE:.0%} right and "
                    f"{c3w2_l4.SCORE_SHARE:.0%} right with a score above {c3w2_l4.SCORE_THRESHOLD:g}",
                    None, _untrained_pipeline("c3w2_l4_ducks.py",
                                              "optimizer.apply_gradients(zip(gradients, vars_to_fine_tune))")),
}


def _extra(part: Part, observation) -> str:
    """The pipelines' other half: the share of frames whose top box is right."""
    if part.training is not None:
        return ""
    return f"right {_pipeline_right(c3w2_l4 if part.assignment == 'c3w2_l4' else c3w2, observation):.1f}"


def grade(part: Part, folder: Path, seed: int) -> tuple[dict, float, float]:
    """(observation, points, max points) of the part's exercise, graded by a real Grader."""
    grader = Grader(assignment(part.assignment), folder, seed=seed)
    try:
        result = grader.grade(part.exercise)
        if part.exercise not in grader.observations:
            raise SystemExit(f"{folder}: {result.output_text()}")
        return grader.observations[part.exercise], result.points, result.max_points
    finally:
        grader.close()


def train(part: Part, folder: Path, seed: int, args) -> float:
    """Run the assignment's training entry point on the solution's code; its seconds."""
    command = ["nice", "-n", str(args.nice), sys.executable, "-m", *part.training(args),
               "--submission", str(folder), "--seed", str(seed)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "exercises")]))
    start = time.perf_counter()
    with open(folder / "training.log", "w") as log:
        completed = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    if completed.returncode:
        raise SystemExit(f"training failed (exit {completed.returncode}); see {folder / 'training.log'}")
    return time.perf_counter() - start


def submission_folder(part: Part, root: Path, name: str) -> Path:
    folder = root / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(SOLUTIONS / part.module, folder)
    return folder


def row(name, seed, kind, measure, points, max_points, seconds=None, extra="") -> str:
    took = "" if seconds is None else f"{seconds:7.0f}"
    return f"{name:8s} {seed:4d}  {kind:9s} {measure:8.1f} {points:6.1f}/{max_points:g} {took:>7s}  {extra}"


def summary(name: str, kind: str, values: list[float]) -> str:
    if not values:
        return ""
    return (f"{name:8s} {kind:9s} min {min(values):.1f}  median {statistics.median(values):.1f}  "
            f"max {max(values):.1f}  (n={len(values)})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=sorted(PARTS))
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 .. N-1")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, help="training epochs (default: the documented recipe's)")
    parser.add_argument("--target-iou", type=float, help="C3W3: stop once the dev IoU reaches this")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/calibrate_marks"))
    parser.add_argument("--nice", type=int, default=5, help="niceness of the training runs")
    parser.add_argument("--untrained-only", action="store_true")
    parser.add_argument("--keep-trained", action="store_true",
                        help="grade a seed's model trained by an earlier run (in --workdir) instead of retraining")
    args = parser.parse_args(argv)
    part = PARTS[args.part]
    root = args.workdir / part.assignment
    print(f"{part.assignment}.{part.exercise}: measure = {part.unit}; marks: {part.thresholds()}")
    print(f"{'part':8s} {'seed':>4s}  {'model':9s} {'measure':>8s} {'points':>9s} {'train s':>7s}")
    trained, untrained, trained_points, untrained_points = [], [], [], []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        if not args.untrained_only:
            kept = root / f"trained-{seed}"
            if args.keep_trained and part.model_file and (kept / part.model_file).is_file():
                folder, seconds = kept, None  # trained by an earlier run: graded again, not retrained
            else:
                folder = submission_folder(part, root, f"trained-{seed}")
                seconds = train(part, folder, seed, args) if part.training else None
            start = time.perf_counter()
            observation, points, max_points = grade(part, folder, seed)
            if seconds is None and part.training is None:
                seconds = time.perf_counter() - start  # the grader's own fine-tuning and detection
            measure = part.measure(observation)
            extra = _extra(part, observation)
            trained.append(measure)
            trained_points.append(points)
            print(row(part.assignment, seed, "trained", measure, points, max_points, seconds, extra), flush=True)
        folder = submission_folder(part, root, f"untrained-{seed}")
        part.untrained(folder, seed)
        observation, points, max_points = grade(part, folder, seed)
        untrained.append(part.measure(observation))
        untrained_points.append(points)
        print(row(part.assignment, seed, "untrained", untrained[-1], points, max_points, None,
                  _extra(part, observation)), flush=True)
    for kind, values, points in (("trained", trained, trained_points), ("untrained", untrained, untrained_points)):
        if values:
            print(summary(part.assignment, kind, values) + f"; points {min(points):.1f} .. {max(points):.1f}")
    print(f"marks in force: {part.thresholds()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
