"""How long reading a notebook takes in the trusted process, against its size, in one run.

Builds the C3W3 solution as a notebook (the baseline) and the same notebook followed by N
one-line statements (`x1 = 1`, `x2 = 2`, ...), all in one cell or one cell each, and times
`load_submission` on each (the median of --repeat runs). The table shows each time, the time
beyond the baseline per added statement, and that figure's growth from the previous N: a
loader linear in the notebook's size keeps the time per statement flat (growth about 1.0x),
where a quadratic one multiplies it by the growth of N. `--child` adds the time a batch
takes, reading in a child process under a time limit (`load_submission_within`).

N above the statement cap is measured with the cap raised, and said so.

    python bench/bench_loading.py [--sizes 1000,5000,20000,100000] [--repeat 3] [--child]
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graders.shared.registry import assignment  # noqa: E402
from graders.submissions.loading import load_submission, load_submission_within  # noqa: E402
from graders.submissions.source import SubmissionCaps  # noqa: E402

SOLUTION = (ROOT / "solutions" / "c3w3_segmentation.py").read_text()


def _cell(index: int, source: str) -> dict:
    return {"cell_type": "code", "id": f"c{index}", "metadata": {}, "execution_count": None,
            "outputs": [], "source": source}


def write_notebook(path: Path, statements: int, shape: str) -> Path:
    """The solution notebook and `statements` more, in one cell ("one") or a cell each ("many")."""
    lines = [f"x{i} = {i}" for i in range(1, statements + 1)]
    cells = [{"cell_type": "markdown", "id": "md", "metadata": {}, "source": "# C3W3"}, _cell(0, SOLUTION)]
    if shape == "one" and lines:
        cells.append(_cell(1, "\n".join(lines)))
    elif shape == "many":
        cells += [_cell(i, line) for i, line in enumerate(lines, start=1)]
    document = {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
                "metadata": {"kernelspec": {"display_name": "Python 3", "name": "python3"}}}
    path.write_text(json.dumps(document))
    return path


def timed(load, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        load()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true", help="also time reading in a child process")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    c3w3 = assignment("c3w3")
    default = SubmissionCaps()
    raised = SubmissionCaps(max_bytes=default.max_bytes, max_statements=max(sizes) * 2 + 1000)

    with tempfile.TemporaryDirectory(prefix="bench-loading-") as folder:
        base_path = write_notebook(Path(folder) / "baseline.ipynb", 0, "one")
        load_submission(base_path, c3w3)  # imports nbformat once, outside the timings
        baseline = timed(lambda: load_submission(base_path, c3w3), args.repeat)
        child_baseline = (timed(lambda: load_submission_within(base_path, c3w3, 600), args.repeat)
                          if args.child else None)
        header = f"{'statements':>10}  {'cells':>5}  {'size':>8}  {'load s':>7}  {'us/stmt':>7}  {'growth':>6}"
        header += f"  {'in child s':>10}" if args.child else ""
        print(f"baseline: the solution notebook, {base_path.stat().st_size:,} bytes: {baseline:.3f} s"
              + (f" ({child_baseline:.3f} s in a child)" if args.child else ""))
        print(header)
        print("-" * len(header))
        for shape in ("one", "many"):
            previous = None
            for size in sizes:
                path = write_notebook(Path(folder) / f"{shape}{size}.ipynb", size, shape)
                caps = default if size + 100 < default.max_statements else raised
                seconds = timed(functools.partial(load_submission, path, c3w3, caps), args.repeat)
                per_statement = max(seconds - baseline, 0.0) / size * 1e6
                growth = f"{per_statement / previous:5.2f}x" if previous else ""
                previous = per_statement or None
                row = (f"{size:>10,}  {shape:>5}  {path.stat().st_size / 2**20:6.2f}MB  {seconds:7.3f}  "
                       f"{per_statement:7.1f}  {growth:>6}")
                if args.child:
                    child = timed(functools.partial(load_submission_within, path, c3w3, 600, caps=caps), args.repeat)
                    row += f"  {child:10.3f}"
                print(row + ("  (cap raised)" if caps is raised else ""), flush=True)
    print("us/stmt: time beyond the baseline per added statement; growth: its ratio to the row above "
          "(about 1.0x when linear, the growth of N when quadratic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
