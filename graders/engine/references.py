"""Reference observations: what each probe observes of `solutions/`, cached under `fixtures/`.

The trusted side judges a learner's observation against these files, so it
never needs to import the solutions or TensorFlow. `regenerate` rebuilds them
(`cvgrade fixtures ASSIGNMENT`); a test fails when they and the solutions disagree.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from . import wire
from .paths import FIXTURES, SOLUTIONS
from .registry import Assignment
from .session import Limits, WorkerFailure, WorkerSession



def reference_path(assignment_id: str, exercise_id: str) -> Path:
    return FIXTURES / assignment_id / "reference" / f"{exercise_id}.npz"


def load_reference(assignment_id: str, exercise_id: str):
    path = reference_path(assignment_id, exercise_id)
    if not path.exists():
        raise FileNotFoundError(
            f"no reference observation at {path}; run `cvgrade fixtures {assignment_id}`")
    return wire.load(path)


def reference_source(assignment: Assignment, names: tuple[str, ...]) -> str:
    """The imports, constants and the functions `names` of the solution module, as source.

    Only these travel to a learner's worker, with the one probe that stands them in
    for a broken earlier exercise; the rest of the solution stays on the trusted side."""
    return _solution_source(assignment.module, tuple(names)) if names else ""


@functools.lru_cache(maxsize=None)
def _solution_source(module: str, names: tuple[str, ...]) -> str:
    """Read and parsed once per process: a batch sends it with every learner's probe."""
    path = SOLUTIONS / f"{module}.py"
    code = path.read_text()
    kept, found = [], set()
    for node in ast.parse(code, str(path)).body:
        constant = isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        wanted = isinstance(node, ast.FunctionDef) and node.name in names
        if isinstance(node, (ast.Import, ast.ImportFrom)) or constant or wanted:
            kept.append(ast.get_source_segment(code, node))
            found.update([node.name] if wanted else [])
    missing = set(names) - found
    if missing:
        raise LookupError(f"{path} defines no {', '.join(sorted(missing))}")
    return "\n\n".join(kept) + "\n"


def observe_solutions(assignment: Assignment, seed: int | None = None,
                      limits: Limits = Limits()) -> dict[str, dict]:
    """Probe `solutions/` for every exercise that is judged against a reference."""
    from .loading import load_submission

    session = WorkerSession(assignment.id, load_submission(SOLUTIONS, assignment), limits)
    observations = {}
    try:
        for exercise in assignment.exercises:
            if not exercise.uses_reference:
                continue
            observation = session.probe(exercise.id, exercise.probe_params(seed),
                                        reference_source(assignment, exercise.stand_ins))
            if observation.get("status") != "ok":
                raise WorkerFailure(f"the solution of {exercise.id} did not run: {observation}")
            observation.pop("notes", None)
            observations[exercise.id] = observation
    finally:
        session.close()
    return observations


def regenerate(assignment: Assignment) -> list[Path]:
    written = []
    for exercise_id, observation in observe_solutions(assignment).items():
        path = reference_path(assignment.id, exercise_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        wire.save(path, observation)
        written.append(path)
    return written
