"""The contract between the engine and a suite: how an assignment declares its exercises.

An exercise is declared once, here-shaped, in its suite module
(`graders/suites/<assignment>.py`): points, the probe that observes the learner's
code in the worker, the check that judges the observation in the trusted
process, and the hints that explain known mistakes. Every front end (the pytest
plugin, `cvgrade`) reads the same declaration.

Probes import TensorFlow lazily inside their bodies, so importing a suite
costs the trusted process nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

Observation = dict[str, Any]


@dataclass(frozen=True)
class TopLevelStep:
    """A graded step that the course wrote as top-level notebook code, not as a function.

    Three shapes of top-level code are known:
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
      `def build_classifier(): ...; return model`;
    - a span (`span_from`, with `results`, `parameters`, `until_call`): C3W2 spreads a
      step over consecutive cells, with loops, attribute assignments and method calls
      (`model_config.ssd.num_classes = 1`, `to_fine_tune.append(v)`,
      `checkpoint.restore(path)`), which one cell's assignments cannot hold. The span
      starts at the first top-level statement binding a name in `span_from` and ends at
      the last statement, before the next top-level `def`/`class` or the start of another
      step, that binds or changes a result or calls `.<until_call>(...)`. Everything in
      between but imports and assignments to the parameters becomes
      `def <function>(<parameters>): ...; return <results>` (`return None` without
      results); names it reads that only earlier left-out assignments bind (such as
      `trainable_variables = detection_model.trainable_variables`) are supplied by
      copying those assignments in front.
    Either way the probe calls it like any graded function.
    """

    function: str
    method: str = ""
    results: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    span_from: tuple[str, ...] = ()  # a span: it starts where one of these names is first bound
    until_call: str = ""  # a span also ends at (includes) a statement calling `.<until_call>(...)`


@dataclass
class Figure:
    """A picture (PNG bytes) or a table for the HTML report."""

    caption: str
    png: bytes | None = None
    table: list[list[str]] | None = None  # first row is the header
    marked_rows: tuple[int, ...] = ()  # 1-based rows of `table` that differ


@dataclass
class Verdict:
    """What a check decides: a share of the points and one sentence why."""

    score: float  # in [0, 1]
    message: str
    details: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    @classmethod
    def passed(cls, message: str = "correct", **kw) -> "Verdict":
        return cls(1.0, message, **kw)

    @classmethod
    def failed(cls, message: str, **kw) -> "Verdict":
        return cls(0.0, message, **kw)


@dataclass(frozen=True)
class Hint:
    """A known mistake: when `applies(observation, reference)` holds, say `message`.

    `message` says what to change ("use X, not Y"); `seen`, when given, says what the learner's
    own observation shows (the Y), so the sentence can never read backwards: it is added as
    "(you used ...)". A hint names one mistake; a rule that holds for the reference itself is
    not a hint (tests hold every table to that)."""

    message: str
    applies: Callable[[Observation, Observation | None], bool]
    seen: Callable[[Observation, Observation | None], str] | None = None

    def said(self, observation: Observation, reference: Observation | None) -> str:
        if self.seen is None:
            return self.message
        return f"{self.message} (you used {self.seen(observation, reference)})"


@dataclass(frozen=True)
class CourseVersion:
    """One earlier version of code the course supplies, as the trusted side can judge it:
    `expected` turns the reference observation (the solution's answers on the probe's inputs)
    into what this version's code gives on the same inputs."""

    label: str  # how feedback names it, e.g. "older version (smoothing_factor = 1)"
    expected: Callable[[Observation], Observation]


@dataclass(frozen=True)
class CourseGiven:
    """The course's notebook supplies this code; the learner did not write it.

    A learner who kept it must not lose points for it, whichever version of the course they
    had. The exercise is still graded (here the learner may write it, and a changed copy can
    be wrong), but an observation that matches any listed version of the course's code
    passes: the check is asked again against each version's expected observation."""

    versions: tuple[CourseVersion, ...] = ()  # earlier versions; the reference is the current one


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    points: float
    probe: Callable[..., Observation]  # (submission, params) -> observation, in the worker
    check: Callable[[Observation, Observation | None], Verdict]  # trusted side
    hints: tuple[Hint, ...] = ()
    functions: tuple[str, ...] = ()  # learner functions the probe calls
    uses_reference: bool = True  # False: judged against hidden answers, not a cached observation
    needs_model_file: bool = False
    params: dict = field(default_factory=dict)  # extra plain-data probe parameters
    params_factory: Callable[[], dict] | None = None  # trusted-side data for the probe (hidden inputs)
    subject: str = ""  # how feedback names what is graded; default: the first function
    # Solution functions this probe may call in place of the learner's (so a broken earlier
    # exercise costs only its own points). They reach the worker with this probe only, compiled,
    # never as source (references.reference_code).
    stand_ins: tuple[str, ...] = ()
    # For an exercise judged without a reference: an observation of the right shape (example
    # values), which every observation is held against before the check (see conformance.py).
    observation_shape: Callable[[], Observation] | None = None
    # Code the course supplies (and its versions): see CourseGiven. None: the learner writes it.
    course_given: CourseGiven | None = None

    def probe_params(self, seed: int | None = None) -> dict:
        params = dict(self.params)
        if self.params_factory is not None:
            params.update(self.params_factory())
        if seed is not None:
            params["seed"] = seed
        return params

    @property
    def named(self) -> str:
        if self.subject:
            return self.subject
        return f"`{self.functions[0]}`" if self.functions else "your code"

    def hint_for(self, observation: Observation, reference: Observation | None) -> str | None:
        for hint in self.hints:
            try:
                if hint.applies(observation, reference):
                    return hint.said(observation, reference)
            except (KeyError, IndexError, TypeError, ValueError):
                continue  # a hint that cannot read this observation does not apply
        return None


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    module: str  # the learner module's name, e.g. "c3w3_segmentation"
    exercises: tuple[Exercise, ...]
    notebook_glob: str = "*.ipynb"
    steps: tuple[TopLevelStep, ...] = ()
    model_files: tuple[str, ...] = ()  # names a trained model file may have
    hidden_data: tuple[str, ...] = ()  # files (from the project root) learner code must never see
    counts_for_grade: bool = True

    @property
    def hidden_data_here(self) -> bool:
        """Whether this copy holds the hidden data (the course team's does; a learner's bundle,
        made by `cvgrade release`, does not, and its trained models are scored on public data)."""
        from graders.shared.paths import ROOT

        return all((ROOT / path).is_file() for path in self.hidden_data)

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(f"{self.id} has no exercise {exercise_id!r}")

    @property
    def notebook(self) -> str:
        """The file name of the learner's notebook (`notebooks/C3W3.ipynb`, `C3W1_L1.ipynb`)."""
        return f"{self.id.upper()}.ipynb"

    @property
    def max_points(self) -> float:
        return sum(e.points for e in self.exercises)


SUITES = ("c3w1", "c3w1_l1", "c3w1_l2", "c3w1_l3", "c3w2", "c3w2_l1", "c3w2_l2", "c3w2_l3", "c3w2_l4", "c3w3",
          "c3w3_l1", "c3w3_l2", "c3w3_l3", "c3w4", "c3w4_l1", "c3w4_l2", "c3w4_l3", "c3w4_l4")  # one module per assignment or lab


def assignment(assignment_id: str) -> Assignment:
    """The assignment or lab of that id, in any case (`C3W3` is `c3w3`)."""
    if assignment_id.lower() not in SUITES:
        raise KeyError(f"unknown assignment {assignment_id!r}; known: {', '.join(SUITES)}")
    return importlib.import_module(f"graders.suites.{assignment_id.lower()}").ASSIGNMENT


def all_assignments() -> list[Assignment]:
    return [assignment(name) for name in SUITES]
