"""Observe `solutions/` with every probe: the reference observations, fresh or to keep."""

from __future__ import annotations

from pathlib import Path

from graders.control.session import Limits, WorkerFailure, WorkerSession
from graders.judge.references import reference_code, reference_path, require_solutions
from graders.shared import wire
from graders.shared.paths import SOLUTIONS
from graders.shared.registry import Assignment
from graders.submissions.loading import load_submission


def observe_solutions(assignment: Assignment, seed: int | None = None,
                      limits: Limits = Limits()) -> dict[str, dict]:
    """Probe `solutions/` for every exercise that is judged against a reference."""
    require_solutions(f"observing the solutions of {assignment.id}")
    session = WorkerSession(assignment.id, load_submission(SOLUTIONS, assignment), limits)
    observations = {}
    try:
        for exercise in assignment.exercises:
            if not exercise.uses_reference:
                continue
            observation = session.probe(exercise.id, exercise.probe_params(seed),
                                        reference_code(assignment, exercise.stand_ins))
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

