"""Grade one submission: probe each exercise in the worker, judge it here.

`judge` is the pure half (observation + reference -> result); `Grader` adds the
worker session and the reference cache. Neither imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import logging
import os

from .conformance import shape_problem
from .loading import load_submission, load_submission_within
from .references import load_reference, reference_code
from .registry import Assignment, Exercise, Verdict
from .results import AssignmentResult, ExerciseResult, bounded, bounded_lines
from .session import Limits, WorkerFailure, WorkerSession
from .source import SubmissionError, SubmissionRefused, SubmissionSource

log = logging.getLogger("cvgrade.grading")

# What the worker sends when a probe could not observe anything (see worker.py).
OUTCOME_SHAPES = {"not_implemented": {}, "missing": {"function": ""}, "failed": {"message": ""},
                  "error": {"error": ""}}


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
    elif isinstance(status, str) and status in OUTCOME_SHAPES:
        problem = shape_problem(observation, OUTCOME_SHAPES[status])
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


class Grader:
    """Grades the exercises of one assignment for one submission, one at a time.

    With `read_with_time_limit` the submission is read in a child process stopped after
    `limits.read_seconds` (a batch must not hang on one learner's file); `refusal` is then
    set when it was not read at all (over a cap, or too slow), so a batch can say so in its row.
    """

    def __init__(self, assignment: Assignment, submission_path: str | os.PathLike,
                 limits: Limits = Limits(), references: dict | None = None,
                 seed: int | None = None, isolate_model_files: bool = False,
                 read_with_time_limit: bool = False, **session_options):
        self.assignment = assignment
        self.result = AssignmentResult(assignment.id, assignment.title, str(submission_path),
                                       counts_for_grade=assignment.counts_for_grade)
        self._references = references  # exercise id -> observation, for live references
        self.seed = seed  # None: the seed the cached references were observed with
        self._session_options = session_options
        self._model_session: WorkerSession | None = None
        # Batch grading judges a trained model in a worker that never ran the learner's code,
        # so the code cannot patch Keras to predict the answers.
        self.isolate_model_files = isolate_model_files
        self._setup_error: str | None = None
        self.refusal: SubmissionRefused | None = None
        self.session: WorkerSession | None = None
        try:
            if read_with_time_limit:
                loaded = load_submission_within(submission_path, assignment, limits.read_seconds,
                                                limits.memory_bytes)
            else:
                loaded = load_submission(submission_path, assignment)
        except SubmissionError as error:
            self._setup_error = str(error)
            if isinstance(error, SubmissionRefused):
                self.refusal = error
            return
        self.result.left_out = bounded_lines(loaded.source.left_out)
        self.loaded = loaded
        self.session = WorkerSession(assignment.id, loaded, limits, **session_options)
        try:
            self.session.start()
        except WorkerFailure:
            pass  # started again, and reported, at the first probe

    def reference(self, exercise: Exercise):
        if not exercise.uses_reference:
            return None
        if self._references is not None:
            return self._references[exercise.id]
        return load_reference(self.assignment.id, exercise.id)

    def session_for(self, exercise: Exercise) -> WorkerSession:
        if not (self.isolate_model_files and exercise.needs_model_file):
            return self.session
        if self._model_session is None:
            model_only = dataclasses.replace(  # none of the learner's code, nor its folder to import from
                self.loaded, source=SubmissionSource(code="", filename=self.loaded.source.filename),
                sys_path=[])
            self._model_session = WorkerSession(self.assignment.id, model_only, self.session.limits,
                                                **self._session_options)
        return self._model_session

    @property
    def peak_memory(self) -> int:
        sessions = [s for s in (self.session, self._model_session) if s is not None]
        return max([s.peak_memory for s in sessions], default=0)

    def grade(self, exercise_id: str) -> ExerciseResult:
        exercise = self.assignment.exercise(exercise_id)
        if self._setup_error:
            verdict, status, notes = Verdict.failed(self._setup_error), "error", []
        else:
            try:
                observation = self.session_for(exercise).probe(
                    exercise.id, exercise.probe_params(self.seed),
                    reference_code(self.assignment, exercise.stand_ins), exercise.functions,
                    exercise.stand_ins)
            except WorkerFailure as failure:
                verdict = Verdict.failed(f"{exercise.named} could not be graded: it {failure}")
                status, notes = "error", []
            else:
                verdict, status = judge(exercise, observation, self.reference(exercise))
                notes = list(observation.get("notes", []))
            self._sync_load_report()
        result = exercise_result(self.assignment, exercise, verdict, status, notes)
        self.result.exercises.append(result)
        return result

    def _sync_load_report(self) -> None:
        report = self.session.load_report
        for problem in report.problems + [f"note: {n}" for n in report.notes]:
            self.result.add_load_problem(problem)

    def grade_all(self) -> AssignmentResult:
        for exercise in self.assignment.exercises:
            self.grade(exercise.id)
        return self.result

    def close(self) -> None:
        for session in (self.session, self._model_session):
            if session is not None:
                session.close()
