"""A grading station: one sandboxed fork server and the folder its current learner is staged in.

A batch with `--jobs 2` holds two stations; each grades one learner at a time,
so inside a station's sandbox there is never more than one learner's code (the
server sweeps away whatever the previous one left running before the next
starts). A station replaces its server when a submission manages to stop it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from graders.control.forkserver import ForkServer, ForkServerFailure
from graders.control.grading import Grader
from graders.control.sandbox import Sandbox, make_sandbox
from graders.frontends.batch.intake import Entry, IntakeError, stage
from graders.render import LearnerRecord
from graders.shared.files import remove_tree
from graders.shared.limits import Limits
from graders.shared.registry import Assignment

LEARNER_UID_BASE = 2_100_000_000  # far above the ids of real users and of subordinate id ranges
UIDS_PER_STATION = 256


def learner_uids(index: int) -> tuple[int, int]:
    """(first, how many): user ids no one else on the machine uses, a block per station (and per
    process). The fork server gives each worker the next one of its block (`zygote.py`)."""
    block = (os.getpid() * 16 + index) % 8192
    return LEARNER_UID_BASE + block * UIDS_PER_STATION, UIDS_PER_STATION


class Station:
    def __init__(self, index: int, stage_root: Path, sandbox_choice: str, hidden: list[Path],
                 limits: Limits):
        self.index = index
        self.stage_dir = stage_root / f"station-{index}"
        self.stage_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.stage_dir, 0o755)
        self.limits = limits
        self.sandbox: Sandbox = make_sandbox(sandbox_choice, hidden, self.stage_dir, learner_uids(index),
                                              limits.memory_bytes)
        self.server: ForkServer | None = None

    def ensure_server(self) -> ForkServer:
        if self.server is not None and not self.server.alive:
            self.server.close()
            self.server = None
        if self.server is None:
            self.server = ForkServer(self.sandbox, self.limits.start_seconds)
        return self.server

    def _clear_stage(self) -> None:
        """Empty the stage, whatever a learner left in it; a failure here is logged, never raised
        into the next learner's grading."""
        try:
            children = list(self.stage_dir.iterdir())
        except OSError:
            return
        for child in children:
            remove_tree(child)

    def grade(self, entry: Entry, assignment: Assignment, references: dict, seed: int) -> LearnerRecord:
        """Stage, grade every exercise, clean up; anything the submission does ends up in the record."""
        started = time.monotonic()
        self._clear_stage()
        try:
            staged = stage(entry, assignment, self.stage_dir / "learner")
        except IntakeError as error:
            return LearnerRecord(entry.learner, None, "refused", str(error),
                                 seconds=time.monotonic() - started)
        _open_to_workers(self.stage_dir)
        try:
            server = self.ensure_server()
            server.wait_ready()
        except ForkServerFailure as failure:
            return LearnerRecord(entry.learner, None, "error", f"the grading sandbox did not start: {failure}",
                                 seconds=time.monotonic() - started)
        grader = Grader(assignment, staged, self.limits, references=references, seed=seed,
                        isolate_model_files=True, read_with_time_limit=True, launch=server,
                        path_map=self.sandbox.path_in_sandbox)
        if grader.unreadable is not None:  # over a cap, not read in time, or not readable: nothing to grade
            grader.close()
            self._clear_stage()
            status = grader.refusal.status if grader.refusal is not None else "refused"
            return LearnerRecord(entry.learner, None, status, grader.unreadable,
                                 seconds=time.monotonic() - started)
        try:
            result = grader.grade_all()  # a check that cannot read an observation fails only its exercise
        finally:
            grader.close()
            self._clear_stage()
        result.submission = entry.learner
        peak = grader.peak_memory
        return LearnerRecord(entry.learner, result, "graded", seconds=time.monotonic() - started,
                             peak_memory_bytes=peak)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        remove_tree(self.stage_dir)


def _open_to_workers(folder: Path) -> None:
    """Workers may run as another user: make the staged copy readable (never writable) to them."""
    for directory, _folders, files in os.walk(folder):
        os.chmod(directory, 0o755)
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)
