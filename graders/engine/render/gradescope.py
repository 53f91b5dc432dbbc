"""Gradescope's results.json: score, and one test per exercise."""

from __future__ import annotations

import json
import os

from ..files import atomic_write_text
from ..results import AssignmentResult


def gradescope_document(results: list[AssignmentResult]) -> dict:
    tests = []
    for result in results:
        for exercise in result.exercises:
            tests.append({
                "name": f"{result.assignment}: {exercise.title}",
                "score": exercise.points,
                "max_score": exercise.max_points,
                "output": exercise.output_text(),
                "visibility": "visible",
                "status": "passed" if exercise.passed else "failed",
            })
    notes = [p for r in results for p in r.load_problems]
    for result in results:
        if result.left_out:
            notes.append(f"left out of the run ({len(result.left_out)} statements, not graded):")
            notes += [f"  {item}" for item in result.left_out]
    document = {"score": round(sum(r.points for r in results if r.counts_for_grade), 2),
                "tests": tests, "visibility": "visible"}
    if notes:
        document["output"] = "\n".join(notes)
    return document


def write_gradescope(path: str | os.PathLike, results: list[AssignmentResult]) -> None:
    atomic_write_text(path, json.dumps(gradescope_document(results), indent=2))
