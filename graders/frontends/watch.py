"""`cvgrade watch ASSIGNMENT [PATH]`: grade again on every save, on the warm grading server.

The files are polled (twice a second, by size and modification time), so it works
the same on every file system and editor, including those that save by renaming.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from graders import render
from graders.control.grading import Grader
from graders.shared.registry import Assignment

WATCHED_ENDINGS = (".py", ".ipynb", ".keras", ".h5", ".jpg", ".png", ".npz", ".json")
MAX_FILES = 2000


def snapshot(path: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file grading may read, by path."""
    if path.is_file():
        paths = [path]
    elif path.is_dir():
        paths = []
        for folder, folders, files in os.walk(path):
            folders[:] = sorted(f for f in folders if not f.startswith(".") and f != "__pycache__")
            paths += [Path(folder, name) for name in sorted(files) if name.endswith(WATCHED_ENDINGS)]
            if len(paths) >= MAX_FILES:
                break
    else:
        return {}
    seen = {}
    for file in paths[:MAX_FILES]:
        try:
            info = file.stat()
        except OSError:
            continue
        seen[str(file)] = (info.st_size, info.st_mtime_ns)
    return seen


def _settled(path: Path, current: dict, interval: float) -> bool:
    """Whether `path`'s files stay as `current` for one more interval. An editor's save truncates
    the file and then writes it: graded in between, a half-written file would get a table of
    failures and a second grading right after."""
    time.sleep(interval)
    return snapshot(path) == current


def grade_once(assignment: Assignment, path: Path, launch, out) -> None:
    started = time.monotonic()
    grader = Grader(assignment, path, launch=launch)
    try:
        result = grader.grade_all()
    finally:
        grader.close()
    out.write("\n" + render.terminal_table(result) + "\n")
    out.write(f"graded at {time.strftime('%H:%M:%S')} in {time.monotonic() - started:.1f} s; "
              f"watching {path} for changes (Ctrl-C stops)\n")
    out.flush()


def watch(assignment: Assignment, path: Path, next_launch, interval: float = 0.5, out=sys.stdout,
          rounds: int | None = None) -> int:
    """Grade now and after every change of `path`'s files; `rounds` bounds it (None: forever).
    `next_launch()` gives each round its launch (the grading server, found again if it has
    ended since the last round)."""
    last = None
    graded = 0
    try:
        while rounds is None or graded < rounds:
            current = snapshot(path)
            if current == last:
                time.sleep(interval)
                continue
            if last is not None and not _settled(path, current, interval):
                continue  # still being written: look again once it has settled
            last = current  # taken before grading: a save while grading is graded next
            grade_once(assignment, path, next_launch(), out)
            graded += 1
    except KeyboardInterrupt:
        out.write("\nstopped watching\n")
    return 0
