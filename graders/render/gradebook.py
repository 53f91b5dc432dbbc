"""The class gradebook as CSV: one row per learner, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass

from graders.judge.results import AssignmentResult
from graders.shared.files import atomic_write_text

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class LearnerRecord:
    """What the batch runner knows about one learner; every batch renderer takes these."""

    learner: str
    result: AssignmentResult | None  # None when the submission could not be taken in at all
    status: str  # "graded" | "refused" (bad zip, unknown file kind...) | "error"
    reason: str = ""  # for refused/error: one sentence
    seconds: float = 0.0  # wall time spent grading this learner
    peak_memory_bytes: int = 0  # peak RSS of the learner's worker process


def learner_status(record: LearnerRecord) -> str:
    """One word for the gradebook: a graded run where an exercise crashed must stand out."""
    if record.status == "graded" and record.result is not None:
        if any(e.status == "error" for e in record.result.exercises):
            return "graded (with errors)"
        return "graded"
    return record.status


def learner_total(record: LearnerRecord) -> float:
    """Points of the record; a learner whose submission was not taken in has 0."""
    return record.result.points if record.result is not None else 0.0


def guard_cell(text: str) -> str:
    """Learner-controlled text must not become a spreadsheet formula: quote it with `'`."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _exercise_cells(exercise_ids: list[str], result: AssignmentResult | None) -> list[str]:
    if result is None:
        return [""] * len(exercise_ids)
    points = {e.exercise: e.points for e in result.exercises}
    return [f"{points[i]:g}" if i in points else "" for i in exercise_ids]


def gradebook_row(exercise_ids: list[str], record: LearnerRecord) -> list[str]:
    return ([guard_cell(record.learner), f"{learner_total(record):g}"]
            + _exercise_cells(exercise_ids, record.result)
            + [learner_status(record), guard_cell(record.reason)])


def gradebook_csv(exercise_ids: list[str], records: list[LearnerRecord]) -> str:
    """Columns `learner,total,<exercise id>...,status,reason`, rows sorted by learner."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(["learner", "total", *exercise_ids, "status", "reason"])
    for record in sorted(records, key=lambda r: r.learner):
        writer.writerow(gradebook_row(exercise_ids, record))
    return stream.getvalue()


def write_gradebook(path: str | os.PathLike, exercise_ids: list[str], records: list[LearnerRecord]) -> None:
    atomic_write_text(path, gradebook_csv(exercise_ids, records))
