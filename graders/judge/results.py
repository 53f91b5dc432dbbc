"""The one results model; the terminal table, HTML, Gradescope JSON and CSV render it."""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import asdict, dataclass, field

from graders.shared.registry import Figure

# Every string and list in a result can come from learner code (through the worker): bounded
# here, where every result is made, so no report, gradebook or summary can be blown up.
TEXT_LIMIT = 2000  # characters of one sentence, note or problem
LINES_LIMIT = 100  # sentences in one list
CELL_LIMIT = 200  # characters of one table cell
ROWS_LIMIT = 1000  # rows of one table (the largest course network has about 350 layers)


WITHHELD = "[reference code withheld]"


@functools.lru_cache(maxsize=1)
def _solution_pattern() -> re.Pattern | None:
    """One pattern for every distinctive line of the solution functions sent to workers as
    stand-ins, token by token: any spacing between tokens, either quote character."""
    from graders.judge.references import line_pattern, solution_lines

    try:
        lines = solution_lines()
    except FileNotFoundError:  # an installation without solutions/ sends no stand-ins either
        return None
    alternatives = [line_pattern(line) for line in sorted(lines, key=len, reverse=True)]
    return re.compile("|".join(alternatives)) if alternatives else None


def withheld(text: str) -> str:
    """`text` with every line of solution code it quotes replaced by WITHHELD.

    Learner code runs next to the reference functions a probe stands in and may copy whatever it
    finds of them into what it sends back; this keeps the copy out of every report."""
    pattern = _solution_pattern()
    return pattern.sub(WITHHELD, text) if pattern is not None else text


def bounded(text, limit: int = TEXT_LIMIT) -> str:
    """At most `limit` characters, the end saying how many were cut (so bounding twice is once),
    and no line of the solution's code (`withheld`)."""
    text = text if isinstance(text, str) else repr(text)
    head = text[:4 * limit]  # what lies beyond is cut in any case: not worth scanning
    scanned = withheld(head)
    if len(head) == len(text) and len(scanned) <= limit:
        return scanned
    kept = max(0, limit - 40)
    return f"{scanned[:kept]}... (cut: {len(scanned) + len(text) - len(head) - kept} more characters)"


def bounded_lines(lines, limit: int = LINES_LIMIT) -> list[str]:
    """At most `limit` lines, the last saying how many were cut."""
    lines = [bounded(line) for line in lines]
    if len(lines) <= limit:
        return lines
    return lines[:limit - 1] + [f"... (cut: {len(lines) - limit + 1} more lines)"]


def bounded_figure(figure: Figure) -> Figure:
    """Cells of at most CELL_LIMIT characters, at most ROWS_LIMIT rows under the header."""
    if figure.table is None:
        return Figure(bounded(figure.caption), figure.png, None, figure.marked_rows)
    rows = [[bounded(cell, CELL_LIMIT) for cell in row] for row in figure.table]
    if len(rows) > ROWS_LIMIT + 1:
        cut = len(rows) - ROWS_LIMIT
        rows = rows[:ROWS_LIMIT] + [[f"... (cut: {cut} more rows)"] + [""] * (len(rows[0]) - 1)]
    return Figure(bounded(figure.caption), figure.png, rows, figure.marked_rows)


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

    def __post_init__(self):
        self.feedback = bounded(self.feedback)
        self.details = bounded_lines(self.details)
        self.notes = bounded_lines(self.notes)
        self.figures = [bounded_figure(figure) for figure in self.figures]

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

    def __post_init__(self):
        self.load_problems = bounded_lines(self.load_problems)
        self.left_out = bounded_lines(self.left_out)

    def add_load_problem(self, problem: str) -> None:
        """Once, and within the bound on lines (the last line says how many more there were)."""
        problem = bounded(problem)
        if problem in self.load_problems:
            return
        if len(self.load_problems) < LINES_LIMIT - 1:
            self.load_problems.append(problem)
        else:
            self.load_problems[LINES_LIMIT - 1:] = [f"... (cut: more problems than the {LINES_LIMIT - 1} shown)"]

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
