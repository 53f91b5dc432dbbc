"""Judge one observation: the verdict of the exercise's check, against its reference.

Pure and trusted: an observation from the worker (or forged by learner code) either has
the shape its probe gives every submission, or it is refused before any check sees it.
"""

from __future__ import annotations

import logging

from graders.judge.conformance import shape_problem
from graders.judge.results import ExerciseResult, bounded
from graders.shared import outcomes
from graders.shared.registry import Assignment, Exercise, Verdict

log = logging.getLogger("cvgrade.grading")


def judge(exercise: Exercise, observation: dict, reference: dict | None) -> tuple[Verdict, str]:
    """The verdict on one observation and its status word.

    The observation comes from a process that ran the learner's code, which can replace a
    probe and send anything plain. Its shape is held against the reference's first (a forgery
    costs that exercise, never the grading of the others); a check that still fails on an
    observation of the right shape is the grader's own fault, and is said and logged as such."""
    if not isinstance(observation, dict):
        return _malformed(exercise, f"a {type(observation).__name__}, not an observation")
    status = observation.get("status")
    if status == "ok":
        problem = shape_problem(observation, _skeleton(exercise, reference))
    elif isinstance(status, str) and status in outcomes.SHAPES:
        problem = shape_problem(observation, outcomes.SHAPES[status])
    else:
        problem = f"status {bounded(str(status), 40)!r}"
    if problem:
        return _malformed(exercise, problem)
    try:
        return _judge(exercise, observation, reference)
    except Exception as error:  # noqa: BLE001 - a check's own bug must cost one exercise only
        log.exception("the check of %s failed on an observation of the right shape", exercise.id)
        return Verdict.failed(f"{exercise.named} could not be graded because of a fault in the grader "
                              f"({type(error).__name__}: {bounded(str(error), 100)}); this is not a "
                              "mistake in your code: please report it to the course team"), "error"


def _skeleton(exercise: Exercise, reference: dict | None):
    """What every observation of this exercise looks like: the reference, or what the exercise
    declares when it is judged against hidden answers."""
    if exercise.uses_reference:
        return reference
    return exercise.observation_shape() if exercise.observation_shape else {}


def _malformed(exercise: Exercise, problem: str) -> tuple[Verdict, str]:
    return Verdict.failed(f"{exercise.named} could not be graded: the worker answered with an observation "
                          f"its probe never makes ({bounded(problem, 200)})"), "error"


def _judge(exercise: Exercise, observation: dict, reference: dict | None) -> tuple[Verdict, str]:
    status = observation.get("status")
    name = exercise.named
    if status == "not_implemented":
        return Verdict.failed(f"{name} is not implemented yet"), "not_implemented"
    if status == "missing":
        return Verdict.failed(f"`{observation['function']}` is not defined in your submission"), "missing"
    if status == "failed":
        verdict = Verdict.failed(str(observation["message"]))
    elif status == "error":
        where = f" ({observation['where']})" if observation.get("where") else ""
        verdict = Verdict.failed(f"{name} raised {observation['error']}{where}")
    else:
        verdict = exercise.check(observation, reference)
        if verdict.score < 1 and exercise.course_given is not None and reference is not None:
            verdict = _course_version(exercise, observation, reference) or verdict
    if verdict.score >= 1:
        return verdict, "passed"
    # Hints read the structure of a complete observation; after an error there is none.
    hint = exercise.hint_for(observation, reference) if status == "ok" else None
    if hint:
        verdict.details.insert(0, verdict.message)
        verdict.message = hint
    if exercise.course_given is not None and status == "ok":
        verdict.details.append("the course's notebook supplies this code; yours behaves like none of the "
                               "versions of it the grader knows")
    return verdict, ("partial" if verdict.score > 0 else ("error" if status == "error" else "failed"))


def _course_version(exercise: Exercise, observation: dict, reference: dict) -> Verdict | None:
    """Full points when the observation is what one of the course's own versions of this code
    gives: a learner who kept the code the course supplied made no mistake."""
    for version in exercise.course_given.versions:
        verdict = exercise.check(observation, version.expected(reference))
        if verdict.score >= 1:
            return Verdict.passed(f"{exercise.named} is the course's {version.label}, which the course "
                                  "supplies: accepted as it is", details=[verdict.message] + verdict.details,
                                  figures=verdict.figures)
    return None


def exercise_result(assignment: Assignment, exercise: Exercise, verdict: Verdict, status: str,
                    notes: list[str]) -> ExerciseResult:
    score = min(1.0, max(0.0, verdict.score))
    return ExerciseResult(
        assignment=assignment.id, exercise=exercise.id, title=exercise.title,
        points=round(exercise.points * score, 2), max_points=exercise.points,
        feedback=verdict.message, status=status, details=verdict.details, notes=notes,
        figures=verdict.figures)
