"""How much the harness costs over the work itself, for one assignment on solutions/.

Prints, in one run, the wall time of

  floor:   one process that imports TensorFlow and runs the same probe computations on the
           solutions directly (no pytest, no worker, no checks),
  cold:    `python -m pytest graders/test_<assignment>.py --submission solutions --no-server`
           (pytest, the trusted side, a fresh worker interpreter, the pipes, the checks and
           the report), and
  warm:    the same without --no-server, once the first run has left its grading server
           behind (a private one, in a temporary runtime folder, stopped at the end),

each as the median of --repeat runs, alternating, and their ratios to the floor; then each
probe's own time in the floor runs (C3W2's fine-tuning run, for one, is most of its floor).
Goals: cold <= 1.5x the floor, warm <= 0.25x.

    python bench/bench_suite.py [--assignment c3w3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FLOOR = """
import importlib, os, pathlib, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow
from graders.worker import pretrained
from graders.submissions.loading import find_model_file
from graders.worker.probing import Submission
from graders.shared.registry import assignment

pretrained.install()  # no download of ImageNet weights, as in the worker
suite = assignment(sys.argv[1])
module = importlib.import_module("solutions." + suite.module)
submission = Submission(module, module.__file__, find_model_file(pathlib.Path("solutions"), suite))
submission.stand_ins = module
import json, time
seconds = {}
for exercise in suite.exercises:
    params = exercise.probe_params()
    start = time.perf_counter()
    exercise.probe(submission, params)
    seconds[exercise.id] = time.perf_counter() - start
print("PROBE-SECONDS " + json.dumps(seconds))
"""


PROBE_TIMES: list[dict[str, float]] = []  # each floor run's seconds per probe


def timed(command: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}")
    for line in completed.stdout.splitlines():
        if line.startswith("PROBE-SECONDS "):
            PROBE_TIMES.append(json.loads(line.split(" ", 1)[1]))
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
    runtime = tempfile.mkdtemp(prefix="bench-runtime-")
    env = {k: v for k, v in os.environ.items() if k != "CVGRADE_SERVER"}
    env["XDG_RUNTIME_DIR"] = runtime  # a grading server of this benchmark's own
    timed(floor)  # warm the file cache so neither side pays for a cold first import
    first = timed(harness, env)  # starts the grading server
    rows = {"floor": floor, "cold": harness + ["--no-server"], "warm": harness}
    times: dict[str, list[float]] = {name: [] for name in rows}
    try:
        for _ in range(args.repeat):
            for name, command in rows.items():
                times[name].append(timed(command, env))
    finally:
        from graders.control.warmserver import stop_server

        for path in Path(runtime, "cvgrade").glob("*.sock"):
            stop_server(path)
    median = {name: statistics.median(values) for name, values in times.items()}
    labels = {"floor": "floor: one process, TensorFlow + the same probe computations",
              "cold": f"cold: pytest {grader} --no-server",
              "warm": f"warm: pytest {grader} (grading server running)"}
    print(f"{'what':<64} {'median s':>9} {'x floor':>8} {'runs':>22}")
    for name in rows:
        runs = " ".join(f"{t:.2f}" for t in times[name])
        print(f"{labels[name]:<64} {median[name]:>9.2f} {median[name] / median['floor']:>8.2f} {runs:>22}")
    print(f"{'first run (starts the grading server)':<64} {first:>9.2f} {first / median['floor']:>8.2f}")
    print("goals: cold <= 1.5x the floor, warm <= 0.25x")
    print(f"\n{'probe (in the floor runs)':<64} {'median s':>9}")
    for exercise_id in PROBE_TIMES[-1]:
        print(f"{exercise_id:<64} {statistics.median(run[exercise_id] for run in PROBE_TIMES):>9.2f}")


if __name__ == "__main__":
    main()
