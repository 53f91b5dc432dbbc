"""What a submission becomes before it runs: Python source plus an account of what was left out.

Every submission form (a .py file, a package folder, a course notebook) is turned
into one `SubmissionSource`; the worker only ever executes that.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


class SubmissionError(Exception):
    """A submission that cannot be graded at all; the message is shown to the learner."""


class SubmissionRefused(SubmissionError):
    """A submission the grader will not read: over a cap ("refused"), or not read within its
    time or memory ("error"). A batch gives the learner a row with that status and the
    message as the reason, instead of grading each exercise against nothing."""

    def __init__(self, message: str, status: str = "refused"):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SubmissionCaps:
    """How large a submission's code may be, checked while it is read so that no submission
    makes reading it slow: the course's notebooks hold a few hundred statements and are a few
    MB with their outputs, so these leave a hundred times that."""

    max_bytes: int = 32 << 20  # the .py file or the notebook, outputs included
    max_statements: int = 50_000  # every statement, those inside functions included

    def check_bytes(self, name: str, size: int) -> None:
        if size > self.max_bytes:
            unit = f" ({_size(self.max_bytes)})" if self.max_bytes >= 1 << 10 else ""
            raise SubmissionRefused(f"{name} is {size:,} bytes, more than the {self.max_bytes:,} bytes{unit} "
                                    "a submission may be; it was not read")

    def check_statements(self, name: str, count: int, where: str = "") -> None:
        """`where`: which part was counted, when counting stopped at the first part over the cap."""
        if count > self.max_statements:
            found = f"at least {count:,} statements ({where})" if where else f"{count:,} statements"
            raise SubmissionRefused(f"{name} has {found}, more than the {self.max_statements:,} "
                                    "a submission may have; it was not graded")


def count_statements(tree) -> int:
    """Every statement in a parsed module, nested ones included."""
    return sum(isinstance(node, ast.stmt) for node in ast.walk(tree))


def _size(count: int) -> str:
    """`count` bytes in the largest binary unit it fills (at least 1 KiB)."""
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if count >= unit:
            return f"{count / unit:.3g} {name}"
    return f"{count} bytes"


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
