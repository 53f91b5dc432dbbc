"""What a submission becomes before it runs: Python source plus an account of what was left out.

Every submission form (a .py file, a package folder, a course notebook) is turned
into one `SubmissionSource`; the worker only ever executes that.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SubmissionError(Exception):
    """A submission that cannot be graded at all; the message is shown to the learner."""


@dataclass(frozen=True)
class TopLevelStep:
    """A graded step that the course wrote as top-level notebook code, not as a function.

    C3W3's compile cell is `model.compile(...)` at top level. The notebook loader
    turns the cell's statements that lead up to the first call of `.<method>(...)`
    into `def <function>(<receiver>): ...; return <receiver>`, so the probe can
    call it like any graded function.
    """

    function: str
    method: str


@dataclass
class SubmissionSource:
    """Python source to execute for one submission module."""

    code: str
    filename: str
    left_out: list[str] = field(default_factory=list)
    line_labels: dict[int, str] = field(default_factory=dict)  # generated line -> "cell 5, line 7"

    def where(self, line: int) -> str:
        """How to name line `line` of `code` to the learner (notebooks speak of cells)."""
        return self.line_labels.get(line, f"line {line}")
