"""Where the test suite's time goes: the whole run and its slowest tests, in one table.

Runs `python -m pytest tests` (or the PATHS given) with the warm grading server the suite
starts for itself and, with --baseline, the same selection again without it
(CVGRADE_TEST_SERVER=off: every worker a fresh interpreter), then prints both wall times,
their ratio and the --slowest tests of the warm run, each with its time in the baseline.

    python bench/bench_tests.py                      # the whole suite, warm only
    python bench/bench_tests.py --baseline tests/test_hostile_c3w3.py tests/test_c3w4_mutants.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_suite(paths: list[str], warm: bool) -> tuple[float, dict[str, float], str]:
    """Wall time, seconds per test id, and pytest's last line."""
    env = {k: v for k, v in os.environ.items() if k != "CVGRADE_SERVER"}
    if not warm:
        env["CVGRADE_TEST_SERVER"] = "off"
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "junit.xml"
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                    f"--junitxml={report}", *paths], cwd=ROOT, env=env,
                                   capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        times = {}
        if report.exists():
            for case in ElementTree.parse(report).iter("testcase"):
                name = f"{case.get('classname', '')}::{case.get('name', '')}"
                times[name] = float(case.get("time", 0))
    last = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else completed.stderr[-300:]
    return elapsed, times, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=["tests"])
    parser.add_argument("--baseline", action="store_true", help="also run without the warm server")
    parser.add_argument("--slowest", type=int, default=20)
    args = parser.parse_args()
    warm_s, warm, warm_last = run_suite(args.paths, warm=True)
    rows = [("warm: one grading server for the session", warm_s, len(warm), warm_last)]
    cold = {}
    if args.baseline:
        cold_s, cold, cold_last = run_suite(args.paths, warm=False)
        rows.append(("baseline: a fresh interpreter per worker", cold_s, len(cold), cold_last))
    print(f"{'run':<44} {'wall s':>8} {'tests':>6}  pytest said")
    for name, seconds, count, last in rows:
        print(f"{name:<44} {seconds:>8.1f} {count:>6}  {last}")
    if args.baseline:
        print(f"{'ratio warm / baseline':<44} {warm_s / rows[1][1]:>8.2f}")
    print(f"\nslowest {args.slowest} tests (warm run){'; baseline beside them' if cold else ''}")
    print(f"{'warm s':>7} {'base s':>7}  test")
    for name, seconds in sorted(warm.items(), key=lambda item: -item[1])[:args.slowest]:
        base = f"{cold[name]:7.1f}" if name in cold else f"{'':>7}"
        print(f"{seconds:7.1f} {base}  {name}")
    print(f"\nall tests: {sum(warm.values()):.0f} s in the warm run"
          + (f", {sum(cold.values()):.0f} s in the baseline" if cold else ""))


if __name__ == "__main__":
    main()
