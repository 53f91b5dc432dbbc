"""The one results model; the terminal table, HTML, Gradescope JSON and CSV render it."""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field

from .registry import Figure


@dataclass
class ExerciseResult:
    assignment: str
    exercise: str
    title: str
    points: float
    max_points: float
    feedback: str  # one sentence
    status: str  # passed | partial | failed | not_implemented | missing | error
    details: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # accepted Keras 2 spellings and the like
    figures: list[Figure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points

    def output_text(self) -> str:
        lines = [self.feedback] + self.details + [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class AssignmentResult:
    assignment: str
    title: str
    submission: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    load_problems: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    counts_for_grade: bool = True

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)


def _figure_from_dict(data: dict) -> Figure:
    png = data.get("png")
    return Figure(caption=data["caption"], png=base64.b64decode(png) if png else None,
                  table=data.get("table"), marked_rows=tuple(data.get("marked_rows", ())))


def result_to_dict(result: AssignmentResult) -> dict:
    """Plain JSON data (PNG bytes as base64), for stored results that a rerun can read back."""
    data = asdict(result)
    for exercise in data["exercises"]:
        for figure in exercise["figures"]:
            if figure["png"] is not None:
                figure["png"] = base64.b64encode(figure["png"]).decode("ascii")
            figure["marked_rows"] = list(figure["marked_rows"])
    return data


def result_from_dict(data: dict) -> AssignmentResult:
    exercises = [ExerciseResult(**{**e, "figures": [_figure_from_dict(f) for f in e.get("figures", [])]})
                 for e in data.get("exercises", [])]
    return AssignmentResult(**{**data, "exercises": exercises})
