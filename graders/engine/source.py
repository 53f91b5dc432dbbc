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

    Two shapes of cell are known:
    - a method call (`method`): C3W3's compile cell is `model.compile(...)` at top
      level. The cell's statements that lead up to the first call of
      `.<method>(...)` become `def <function>(<receiver>): ...; return <receiver>`;
    - computed results (`results`, with `parameters`): C3W1's cell sets
      `steps_per_epoch` and `validation_steps` from `length_of_training_dataset`,
      `length_of_validation_dataset` and `BATCH_SIZE`. The cell's assignments up to
      the last one that sets a result become
      `def <function>(<parameters>): ...; return <results>`, with the cell's own
      assignments to the parameters left out, so that the probe chooses them. Calls
      that build a result in place (`model.add(...)`, `model.build(...)`) are kept, so
      C3W4's `model = Sequential()` cell followed by `model.add(...)` lines becomes
      `def build_classifier(): ...; return model`.
    Either way the probe calls it like any graded function.
    """

    function: str
    method: str = ""
    results: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()


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
