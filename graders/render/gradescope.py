"""Gradescope's results.json: score, and one test per exercise."""

from __future__ import annotations

import json
import os

from graders.judge.results import AssignmentResult
from graders.render.terminal import visible
from graders.shared.files import atomic_write_text

# Gradescope shows `output` as text, never as HTML or Markdown, whatever its default: a submission's
# words (an exception message, a layer name, a statement left out) reach it.
TEXT_FORMAT = {"output_format": "text", "test_output_format": "text"}

# Said in every results.json: which path made it and what that path protects.
LEARNER_SIDE = ("feedback, not an official grade: graded by pytest beside the learner's own code, with the "
                "public seed, no sandbox and the reference stand-ins in the learner's worker, so that code "
                "could forge this result; official grades come from `cvgrade batch`")


def batch_grading(run_info: dict) -> str:
    """The batch's statement, from what its run recorded."""
    return (f"graded by cvgrade batch: a secret seed, sandbox {run_info.get('sandbox', '?')}, checks in a "
            "process that never ran learner code, model files judged in a worker that ran none either")


def gradescope_document(results: list[AssignmentResult], grading: str = LEARNER_SIDE) -> dict:
    tests = []
    for result in results:
        for exercise in result.exercises:
            tests.append({
                "name": f"{result.assignment}: {exercise.title}",
                "score": exercise.points,
                "max_score": exercise.max_points,
                "output": _lines([exercise.feedback, *exercise.details, *(f"note: {n}" for n in exercise.notes)]),
                "visibility": "visible",
                "status": "passed" if exercise.passed else "failed",
            })
    notes = [grading] + [p for r in results for p in r.load_problems]
    for result in results:
        if result.left_out:
            notes.append(f"left out of the run ({len(result.left_out)} statements, not graded):")
            notes += [f"  {item}" for item in result.left_out]
    return {"score": round(sum(r.points for r in results if r.counts_for_grade), 2),
            "tests": tests, "visibility": "visible", "output": _lines(notes), **TEXT_FORMAT,
            "extra_data": {"official": grading != LEARNER_SIDE, "grading": grading}}


def _lines(lines) -> str:
    """One line each, as the terminal table shows them (`visible`): no terminal escape, and no
    line break or carriage return of a submission's text starts a line that looks like the grader's."""
    return "\n".join(visible(line) for line in lines)


def write_gradescope(path: str | os.PathLike, results: list[AssignmentResult], grading: str = LEARNER_SIDE) -> None:
    atomic_write_text(path, json.dumps(gradescope_document(results, grading), indent=2))


def not_graded_document(reason: str) -> dict:
    """A submission with nothing to grade (refused, unreadable, or the grader could not run): 0
    points, and the one sentence why where the learner reads it."""
    return {"score": 0, "output": _lines([f"not graded: {reason}"]), "tests": [], "visibility": "visible",
            **TEXT_FORMAT}


def write_not_graded(path: str | os.PathLike, reason: str) -> None:
    atomic_write_text(path, json.dumps(not_graded_document(reason), indent=2))
