"""Grade one submission: probe each exercise in the worker, judge it here.

`Grader` holds the worker session and the reference cache; `judging.judge` is the pure
half (observation + reference -> verdict). Neither imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import os

from graders.control.session import Limits, WorkerFailure, WorkerSession
from graders.judge.judging import exercise_result, judge
from graders.judge.references import load_reference, reference_code
from graders.judge.results import AssignmentResult, ExerciseResult, bounded_lines
from graders.shared.registry import Assignment, Exercise, Verdict
from graders.submissions.loading import load_submission, load_submission_within
from graders.submissions.source import SubmissionError, SubmissionRefused, SubmissionSource


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
        self.unreadable: str | None = None  # why the submission could not be read at all
        self.refusal: SubmissionRefused | None = None
        self.session: WorkerSession | None = None
        self.observations: dict[str, dict] = {}  # exercise id -> what its probe saw, for tools that measure
        try:
            if read_with_time_limit:
                loaded = load_submission_within(submission_path, assignment, limits.read_seconds,
                                                limits.memory_bytes)
            else:
                loaded = load_submission(submission_path, assignment)
        except SubmissionError as error:
            self.unreadable = str(error)
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
        if self.unreadable:
            verdict, status, notes = Verdict.failed(self.unreadable), "error", []
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
                self.observations[exercise.id] = observation
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
