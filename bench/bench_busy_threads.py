"""How long a learner with busy threads holds its station, and what it costs the other station.

Two sandboxed stations, as in `cvgrade batch --jobs 2`. First an honest learner is graded alone
(the baseline). Then the honest learner is graded on station 0 while station 1 grades a learner
whose every exercise starts THREADS spinning threads: once with the CPU time of an exercise
charged (`Limits.cpu_cores`, the default 1), once without that charge (a core count no exercise
can reach). It prints, for each, the busy learner's time on its station, how many of its
exercises were stopped for CPU time, and the honest learner's time next to the baseline.

    python bench/bench_busy_threads.py [--threads 64] [--time-limit 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graders.frontends.batch.intake import Entry  # noqa: E402
from graders.frontends.batch.station import Station  # noqa: E402
from graders.judge.references import load_reference  # noqa: E402
from graders.shared.limits import Limits  # noqa: E402
from graders.shared.registry import assignment  # noqa: E402

C3W3 = assignment("c3w3")
SOLUTION = (ROOT / "solutions" / "c3w3_segmentation.py").read_text()
BUSY = '''
import threading as _threading


def _spin():
    while True:
        pass


for _ in range({threads}):
    _threading.Thread(target=_spin, daemon=True).start()
'''


def _entry(folder: Path, learner: str, code: str) -> Entry:
    path = folder / f"{learner}.py"
    path.write_text(code)
    return Entry(learner, (path,), "py")


def _grade(station: Station, entry: Entry, references: dict, out: dict, key: str) -> None:
    started = time.monotonic()
    record = station.grade(entry, C3W3, references, 0)
    out[key] = (time.monotonic() - started, record)


def measure(folder: Path, threads: int, limits: Limits, references: dict) -> dict:
    stations = [Station(i, folder / f"stations-{limits.cpu_cores:g}", "bubblewrap", [], limits) for i in (0, 1)]
    out: dict = {}
    try:
        for station in stations:
            station.ensure_server().wait_ready()
        honest = _entry(folder, "honest", SOLUTION)
        busy = _entry(folder, "busy", SOLUTION + BUSY.format(threads=threads))
        _grade(stations[0], honest, references, out, "alone")
        runs = [threading.Thread(target=_grade, args=(stations[0], honest, references, out, "beside")),
                threading.Thread(target=_grade, args=(stations[1], busy, references, out, "busy"))]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
    finally:
        for station in stations:
            station.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--time-limit", type=float, default=20.0)
    args = parser.parse_args()
    references = {e.id: load_reference("c3w3", e.id) for e in C3W3.exercises if e.uses_reference}
    with tempfile.TemporaryDirectory(prefix="bench-busy-") as folder:
        for label, cores in (("CPU time charged (1 core)", 1.0), ("not charged", 1e6)):
            limits = Limits(probe_seconds=args.time_limit, cpu_cores=cores)
            out = measure(Path(folder), args.threads, limits, references)
            busy_seconds, busy = out["busy"]
            feedback = [e.feedback for e in busy.result.exercises] if busy.result else [busy.reason]
            by_cpu = sum("of CPU time" in text for text in feedback)
            by_wall = sum("longer than" in text for text in feedback)
            print(f"{label}: busy learner held its station {busy_seconds:.0f} s "
                  f"({by_cpu} exercises stopped for CPU time, {by_wall} for wall time); "
                  f"honest learner {out['beside'][0]:.1f} s beside it, {out['alone'][0]:.1f} s alone")


if __name__ == "__main__":
    main()
