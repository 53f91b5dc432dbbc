"""The learner's front end: `pytest graders/test_<assignment>.py [--submission PATH]`.

Each exercise is one test. Workers start as soon as collection knows which
assignments are asked for, so TensorFlow's import overlaps with the rest of
pytest's start-up. Shared state lives in `config.stash`, not in globals.
"""

from __future__ import annotations

import dataclasses
import os
import time
from datetime import datetime, timezone

import pytest

from graders import render
from graders.control.grading import Grader
from graders.control.session import Limits, LocalProcess
from graders.control.warmserver import learner_launch
from graders.frontends.run_info import fixtures_digest, shown_path, versions
from graders.judge.results import AssignmentResult, ExerciseResult
from graders.shared.paths import EXERCISES
from graders.shared.registry import assignment as find_assignment

REFUSED = 2  # the exit code of a submission that cannot be read (1: graded, not full marks)
_graders = pytest.StashKey[dict]()
_launch = pytest.StashKey[tuple]()  # (launch, the one line that says how workers were started)
_item_result = pytest.StashKey[ExerciseResult]()
_seconds = pytest.StashKey[dict]()  # assignment id -> seconds spent grading it


def pytest_addoption(parser):
    group = parser.getgroup("cvgrade", "grading")
    group.addoption("--submission", default=None,
                    help="what to grade: a .py file, a folder or a notebook (default: exercises/)")
    group.addoption("--grade-json", default=None, metavar="PATH",
                    help="write the results in Gradescope's results.json format")
    group.addoption("--report", default=None, metavar="PATH",
                    help="write an HTML report (pictures, layer tables, what ran) that opens offline")
    group.addoption("--time-limit", type=float, default=Limits.probe_seconds,
                    help="seconds each exercise may take (default %(default)s)")
    group.addoption("--no-server", action="store_true",
                    help="grade in a fresh interpreter instead of the warm grading server that "
                         "the first run leaves behind (it ends after 15 idle minutes)")
    group.addoption("--memory-limit", type=int, default=Limits.memory_bytes // (1024 * 1024),
                    help="MiB the learner's code may use (default %(default)s)")


def pytest_configure(config):
    config.stash[_graders] = {}
    config.stash[_seconds] = {}


def exercise_tests(assignment_id: str):
    """The parametrized test function of one assignment, one case per exercise."""
    ids = [exercise.id for exercise in find_assignment(assignment_id).exercises]

    @pytest.mark.parametrize("exercise_id", ids)
    def test_exercise(exercise_id, request):
        started = time.monotonic()
        result = _grader(request.config, assignment_id).grade(exercise_id)
        seconds = request.config.stash[_seconds]
        seconds[assignment_id] = seconds.get(assignment_id, 0.0) + time.monotonic() - started
        request.node.stash[_item_result] = result
        if not result.passed:
            pytest.fail(f"{result.points:g}/{result.max_points:g}: {result.feedback}", pytrace=False)

    test_exercise.cvgrade_assignment = assignment_id
    return test_exercise


def _grader(config, assignment_id: str) -> Grader:
    graders = config.stash[_graders]
    if assignment_id not in graders:
        submission = config.getoption("submission") or str(EXERCISES)
        limits = Limits(probe_seconds=config.getoption("time_limit"),
                        memory_bytes=config.getoption("memory_limit") * 1024 * 1024)
        graders[assignment_id] = Grader(find_assignment(assignment_id), submission, limits,
                                        launch=_launch_for(config))
    return graders[assignment_id]


def _launch_for(config):
    """The warm grading server (started on the first run), unless `--no-server` or it fails."""
    if _launch not in config.stash:
        launch, line = learner_launch(config.getoption("no_server"))
        if launch is not LocalProcess:
            line += "; --no-server grades without it"
        config.stash[_launch] = (launch, line)
    return config.stash[_launch][0]


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        assignment_id = getattr(getattr(item, "function", None), "cvgrade_assignment", None)
        if assignment_id:
            _grader(config, assignment_id)  # starts the worker now
    if items and all(getattr(getattr(item, "function", None), "cvgrade_assignment", None) for item in items):
        _say_each_message_once(config)
    graders = config.stash[_graders]
    unreadable = {grader.unreadable for grader in graders.values()}
    if graders and None not in unreadable:  # nothing asked for can be graded: refuse, do not score 0
        pytest.exit(f"cvgrade: not graded: {render.visible('; '.join(sorted(unreadable)))}", returncode=REFUSED)


def _say_each_message_once(config) -> None:
    """A grading run's feedback is the score table: pytest's failure sections and short summary
    would repeat each message twice more. Left as they are when the run asks for them (--tb, -r)
    or holds other tests."""
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "no"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and config.option.reportchars == "fE":
        reporter.reportchars = reporter.reportchars.replace("f", "")  # errors and warnings stay


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    result = item.stash.get(_item_result, None)
    if call.when == "call" and result is not None and item.config.pluginmanager.hasplugin("html"):
        report = outcome.get_result()
        report.extras = getattr(report, "extras", []) + render.html_extras(result)


def pytest_html_results_summary(prefix, summary, postfix, session):
    graders = session.config.stash.get(_graders, {})
    for grader in graders.values():
        prefix.append(render.html_summary(_shown(session.config, grader.result)))


def _submission(config) -> str:
    """The submission as the learner knows it: relative to where they ran pytest, or its name."""
    return shown_path(config.getoption("submission") or EXERCISES)


def _shown(config, result: AssignmentResult) -> AssignmentResult:
    return dataclasses.replace(result, submission=_submission(config))


@pytest.hookimpl(wrapper=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After other plugins' lines (pytest-html's "Generated html report"): how workers ran and
    what was written, then the score tables, the last thing said: where the eye lands."""
    try:
        return (yield)
    finally:
        _summarize(terminalreporter, config)


def _summarize(terminalreporter, config) -> None:
    graders = config.stash.get(_graders, {})
    if _launch in config.stash and any(grader.unreadable is None for grader in graders.values()):
        terminalreporter.write_line(f"cvgrade: {config.stash[_launch][1]}")
    path = config.getoption("grade_json")
    if path and graders:
        render.write_gradescope(path, [g.result for g in graders.values()])
        terminalreporter.write_line(f"results written to {os.path.abspath(path)}")
    path = config.getoption("report")
    if path and graders:
        write_report(path, config)
        terminalreporter.write_line(f"report written to {os.path.abspath(path)}")
    for grader in graders.values():
        if grader.result.exercises:
            terminalreporter.write("\n" + render.terminal_table(_shown(config, grader.result)) + "\n")


def write_report(path: str, config) -> None:
    """The learner's report, made by the same renderer as each learner's page of `cvgrade batch`."""
    graders = config.stash[_graders]
    submission = _submission(config)
    seconds = config.stash.get(_seconds, {})
    records = []
    for assignment_id, grader in graders.items():
        result = None if grader.unreadable else _shown(config, grader.result)
        records.append(render.LearnerRecord(submission, result, "refused" if grader.unreadable else "graded",
                                            grader.unreadable or "", seconds.get(assignment_id, 0.0),
                                            grader.peak_memory))
    render.write_report(path, submission, records, _run_info(config, submission))


def _run_info(config, submission: str) -> dict:
    """What ran, for the report's reproducibility table: no secrets, no absolute paths."""
    graders = config.stash[_graders]
    info = {"assignments": ", ".join(graders), "submission": submission,
            "seed": "the public one, the same as the reference observations in fixtures/",
            "graded at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **versions(),
            "limits": f"{config.getoption('time_limit'):g} s per exercise, {config.getoption('memory_limit')} MiB",
            "workers": config.stash[_launch][1] if _launch in config.stash else "none started",
            "grading": render.LEARNER_SIDE}
    info.update({f"fixtures {a}": fixtures_digest(g.assignment) for a, g in graders.items()})
    return info


def pytest_unconfigure(config):
    for grader in config.stash.get(_graders, {}).values():
        grader.close()
