"""The learner's front end: `pytest graders/test_<assignment>.py [--submission PATH]`.

Each exercise is one test. Workers start as soon as collection knows which
assignments are asked for, so TensorFlow's import overlaps with the rest of
pytest's start-up. Shared state lives in `config.stash`, not in globals.
"""

from __future__ import annotations

import os

import pytest

from graders import render
from graders.control.grading import Grader
from graders.control.session import Limits, LocalProcess
from graders.control.warmserver import learner_launch
from graders.judge.results import ExerciseResult
from graders.shared.paths import EXERCISES
from graders.shared.registry import assignment as find_assignment

REFUSED = 2  # the exit code of a submission that cannot be read (1: graded, not full marks)
_graders = pytest.StashKey[dict]()
_launch = pytest.StashKey[tuple]()  # (launch, the one line that says how workers were started)
_item_result = pytest.StashKey[ExerciseResult]()


def pytest_addoption(parser):
    group = parser.getgroup("cvgrade", "grading")
    group.addoption("--submission", default=None,
                    help="what to grade: a .py file, a folder or a notebook (default: exercises/)")
    group.addoption("--grade-json", default=None, metavar="PATH",
                    help="write the results in Gradescope's results.json format")
    group.addoption("--time-limit", type=float, default=Limits.probe_seconds,
                    help="seconds each exercise may take (default %(default)s)")
    group.addoption("--no-server", action="store_true",
                    help="grade in a fresh interpreter instead of the warm grading server that "
                         "the first run leaves behind (it ends after 15 idle minutes)")
    group.addoption("--memory-limit", type=int, default=Limits.memory_bytes // (1024 * 1024),
                    help="MiB the learner's code may use (default %(default)s)")


def pytest_configure(config):
    config.stash[_graders] = {}


def exercise_tests(assignment_id: str):
    """The parametrized test function of one assignment, one case per exercise."""
    ids = [exercise.id for exercise in find_assignment(assignment_id).exercises]

    @pytest.mark.parametrize("exercise_id", ids)
    def test_exercise(exercise_id, request):
        result = _grader(request.config, assignment_id).grade(exercise_id)
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
        prefix.append(render.html_summary(grader.result))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    graders = config.stash.get(_graders, {})
    if _launch in config.stash and any(grader.unreadable is None for grader in graders.values()):
        terminalreporter.write_line(f"cvgrade: {config.stash[_launch][1]}")
    for grader in graders.values():
        if grader.result.exercises:
            terminalreporter.write("\n" + render.terminal_table(grader.result) + "\n")
    path = config.getoption("grade_json")
    if path and graders:
        render.write_gradescope(path, [g.result for g in graders.values()])
        terminalreporter.write_line(f"results written to {os.path.abspath(path)}")


def pytest_unconfigure(config):
    for grader in config.stash.get(_graders, {}).values():
        grader.close()
