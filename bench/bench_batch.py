"""Batch grading against the naive way, on the same submissions, in one run.

Builds N submissions (copies and mutants of the C3W3 solution, every third one a
folder with the trained model file, `--model-every`) and grades them

  batch: `cvgrade batch SUBMISSIONS --assignment c3w3 --out OUT --jobs J`
         (fork servers in the sandbox, references observed once with a secret seed), and
  naive: one fresh `python -m pytest graders/test_c3w3.py --submission X --no-server` per
         submission (a fresh interpreter that imports TensorFlow each time),
         J at a time (what a kernel or a container per submission amounts to),

then prints both wall times, their ratio (goal >= 3), the ideal (the batch's own
per-learner grading times summed, divided by J; goal: batch within 1.25x of it)
and peak memory per learner's worker.

    python bench/bench_batch.py [--count 40] [--jobs 2] [--sandbox auto]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "c3w3_segmentation.py"
MODEL = ROOT / "solutions" / "c3w3_model.keras"

# Typical learner mistakes, one exercise each (text replaced exactly once).
MUTANTS = [
    ('padding="same")(x)', ')(x)'),
    ("return tf.keras.layers.BatchNormalization()(x)", "return x"),
    ('o = layers.Conv2D(n_classes, 1, activation="relu", padding="same")(o)',
     'o = layers.Conv2D(n_classes, 1, activation="sigmoid", padding="same")(o)'),
    ('loss="categorical_crossentropy"', 'loss="binary_crossentropy"'),
    ("smoothing = 1e-5", "smoothing = 1.0"),
]


def build_submissions(folder: Path, count: int, model_every: int) -> list[Path]:
    solution = SOLUTION.read_text()
    entries = []
    for index in range(count):
        code = solution
        if index % 2:
            old, new = MUTANTS[index // 2 % len(MUTANTS)]
            assert code.count(old) == 1, old
            code = code.replace(old, new)
        name = f"learner{index:03d}"
        if model_every and index % model_every == 0:
            path = folder / name
            path.mkdir()
            (path / "c3w3_segmentation.py").write_text(code)
            shutil.copy(MODEL, path / MODEL.name)
        else:
            path = folder / f"{name}.py"
            path.write_text(code)
        entries.append(path)
    return entries


def run_batch(submissions: Path, out: Path, jobs: int, sandbox: str) -> float:
    command = [sys.executable, "-m", "graders.frontends.cli", "batch", str(submissions), "--assignment",
               "c3w3", "--out", str(out), "--jobs", str(jobs), "--sandbox", sandbox, "--redo"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"batch failed:\n{done.stderr[-3000:]}")
    return elapsed


def run_naive(entries: list[Path], jobs: int, reports: Path) -> float:
    def one(entry: Path) -> None:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "graders/test_c3w3.py",
                   "--submission", str(entry), "--grade-json", str(reports / f"{entry.stem}.json"),
                   "--no-server"]
        subprocess.run(command, cwd=ROOT, capture_output=True, text=True)

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, entries))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sandbox", default="auto", choices=("auto", "bubblewrap", "off"))
    parser.add_argument("--model-every", type=int, default=3,
                        help="every Nth submission comes with the trained model file (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cvgrade-bench-") as work:
        work = Path(work)
        submissions = work / "submissions"
        submissions.mkdir()
        entries = build_submissions(submissions, args.count, args.model_every)
        naive_reports = work / "naive"
        naive_reports.mkdir()
        batch_seconds = run_batch(submissions, work / "out", args.jobs, args.sandbox)
        naive_seconds = run_naive(entries, args.jobs, naive_reports)
        naive_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        records = [json.loads(p.read_text()) for p in (work / "out" / "learners").glob("*/record.json")]
        per_learner = [r["seconds"] for r in records]
        peaks = [r["peak_memory_bytes"] for r in records]
        batch_scores = {r["learner"]: r["result"]["exercises"] for r in records}
        naive_scores = {p.stem: json.loads(p.read_text())["score"] for p in naive_reports.glob("*.json")}
        agree = all(abs(sum(e["points"] for e in batch_scores[name]) - naive_scores.get(name, -1)) < 1e-6
                    for name in batch_scores)
        ideal = sum(per_learner) / args.jobs
        sandbox = json.loads((work / "out" / "run.json").read_text()).get("protection 1", "")
    mib = 1 << 20
    with_model = len(entries[::args.model_every]) if args.model_every else 0
    print(f"{args.count} submissions (copies and mutants of the C3W3 solution, {with_model} with "
          f"the trained model), {args.jobs} jobs, sandbox: {sandbox.split()[0] if sandbox else '?'}")
    print()
    print("| what | seconds |")
    print("| --- | --- |")
    print(f"| naive: a fresh pytest per submission, {args.jobs} at a time | {naive_seconds:.1f} |")
    print(f"| batch: `cvgrade batch --jobs {args.jobs}` | {batch_seconds:.1f} |")
    print(f"| speed-up, naive / batch (goal >= 3) | {naive_seconds / batch_seconds:.2f}x |")
    print(f"| ideal: per-learner grading time summed / jobs | {ideal:.1f} |")
    print(f"| batch / ideal (goal <= 1.25) | {batch_seconds / ideal:.2f} |")
    print(f"| per-learner grading time, median / max | {statistics.median(per_learner):.2f} / "
          f"{max(per_learner):.2f} |")
    print(f"| peak memory of a learner's worker, median / max | {statistics.median(peaks) / mib:.0f} / "
          f"{max(peaks) / mib:.0f} MiB |")
    print(f"| peak memory of the largest naive process | {naive_peak / mib:.0f} MiB |")
    print(f"| same scores batch and naive | {'yes' if agree else 'NO'} |")


if __name__ == "__main__":
    main()
