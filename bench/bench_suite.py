"""How much the harness costs over the work itself, for one assignment on solutions/.

Prints, in one run, the wall time of

  harness: `python -m pytest graders/test_<assignment>.py --submission solutions` (pytest, the
           trusted side, the worker process, the pipes, the checks and the report), and
  floor:   one process that imports TensorFlow and runs the same probe computations on the
           solutions directly (no pytest, no worker, no checks),

each as the median of --repeat runs, alternating, and their ratio. Goal: ratio <= 1.5.

    python bench/bench_suite.py [--assignment c3w3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FLOOR = """
import importlib, os, pathlib, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow
from graders.engine import pretrained
from graders.engine.loading import find_model_file
from graders.engine.probing import Submission
from graders.engine.registry import assignment

pretrained.install()  # no download of ImageNet weights, as in the worker
suite = assignment(sys.argv[1])
module = importlib.import_module("solutions." + suite.module)
submission = Submission(module, module.__file__, find_model_file(pathlib.Path("solutions"), suite))
submission.stand_ins = module
for exercise in suite.exercises:
    exercise.probe(submission, exercise.probe_params())
"""


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="c3w3")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    grader = f"graders/test_{args.assignment}.py"
    harness = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", grader,
               "--submission", "solutions"]
    floor = [sys.executable, "-c", FLOOR, args.assignment]
    timed(floor)  # warm the file cache so neither side pays for a cold first import
    times = {"harness": [], "floor": []}
    for _ in range(args.repeat):
        times["floor"].append(timed(floor))
        times["harness"].append(timed(harness))
    floor_s = statistics.median(times["floor"])
    harness_s = statistics.median(times["harness"])
    print(f"{'what':<60} {'median s':>9} {'runs':>24}")
    print(f"{'floor: one process, TensorFlow + the same probe computations':<60} {floor_s:>9.2f} "
          f"{' '.join(f'{t:.2f}' for t in times['floor']):>24}")
    print(f"{f'harness: pytest {grader} --submission solutions':<60} {harness_s:>9.2f} "
          f"{' '.join(f'{t:.2f}' for t in times['harness']):>24}")
    print(f"{'ratio harness / floor (goal <= 1.5)':<60} {harness_s / floor_s:>9.2f}")


if __name__ == "__main__":
    main()
