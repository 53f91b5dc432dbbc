"""The progress line of a batch: counts, time spent and time left, on stderr.

On a terminal it redraws one line; in a log (CI, nohup) it prints one line per
learner, which is what a person reading the log afterwards wants.
"""

from __future__ import annotations

import sys
import threading
import time

from graders.render import LearnerRecord


def clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def progress_line(done: int, total: int, refused: int, errors: int, elapsed: float,
                  graded_now: int, width: int = 24) -> str:
    """`[#####.....] 12/40 done (1 refused, 0 errors)  0:01:12 spent, about 0:03:10 left`."""
    filled = int(width * done / total) if total else width
    bar = "#" * filled + "." * (width - filled)
    left = ""
    if graded_now and done < total:
        left = f", about {clock(elapsed / graded_now * (total - done))} left"
    return (f"[{bar}] {done}/{total} done ({refused} refused, {errors} errors)  "
            f"{clock(elapsed)} spent{left}")


class Progress:
    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._lock = threading.Lock()
        self.total = self.done = self.graded_now = self.refused = self.errors = 0
        self.started = time.monotonic()

    def note(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def start(self, total: int, already: int = 0) -> None:
        self.total, self.done, self.started = total, already, time.monotonic()
        if already:
            self.note(f"{already} of {total} learners already graded with the same files; "
                      "grading the rest (use --redo to grade all again)")
        self._draw()

    def advance(self, record: LearnerRecord) -> None:
        with self._lock:
            self.done += 1
            self.graded_now += 1
            self.refused += record.status == "refused"
            self.errors += record.status == "error"
            if not self.live and not self.quiet:
                points = f"{record.result.points:g}/{record.result.max_points:g}" if record.result else "-"
                print(f"{record.learner}: {record.status} {points} ({record.seconds:.1f} s)",
                      file=self.stream, flush=True)
            self._draw()

    def _draw(self) -> None:
        if self.quiet:
            return
        line = progress_line(self.done, self.total, self.refused, self.errors,
                             time.monotonic() - self.started, self.graded_now)
        if self.live:
            self.stream.write("\r" + line)
            self.stream.flush()
        else:
            print(line, file=self.stream, flush=True)

    def finish(self) -> None:
        if self.live and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
