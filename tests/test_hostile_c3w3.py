"""Submissions that break, hang or hog memory: the other exercises are still graded, messages are clear.

Each runs twice: with workers forked from the warm grading server (the test session's, as
learners' re-runs and batch stations fork theirs) and with a fresh interpreter per worker
(`--no-server`), since each has its own way to start, watch and kill a worker.
"""

from __future__ import annotations

import functools

import pytest
from grading_helpers import feedback, mutate, scores, solution_source, write_submission
from grading_helpers import grade as grade_on

from graders.control import warmserver
from graders.control.session import Limits, LocalProcess


@pytest.fixture(params=["forked", "fresh interpreter"])
def grade(request):
    if request.param == "fresh interpreter":
        return functools.partial(grade_on, launch=LocalProcess)
    server = warmserver.launch_for_session()
    if not isinstance(server, warmserver.WarmServer):
        pytest.skip("the suite runs without its grading server (CVGRADE_TEST_SERVER=off)")
    return functools.partial(grade_on, launch=server)

FIVE = ["conv_block", "FCN8", "fcn8_decoder", "compile_model", "class_wise_metrics"]


def test_error_at_import_keeps_the_functions_defined_before_and_after(tmp_path, grade):
    code = solution_source() + "\n\nraise RuntimeError('my demo cell broke')\n\nEXTRA = 1\n"
    code = mutate(code, "N_CLASSES = 11  # digits 0-9 and the background",
                  "N_CLASSES = 11  # digits 0-9 and the background\nundefined_name + 1")
    result = grade(write_submission(tmp_path, code), exercises=FIVE)
    assert set(scores(result).values()) == {15, 20, 10} and sum(scores(result).values()) == 70
    problems = " ".join(result.load_problems)
    assert "NameError" in problems and "RuntimeError: my demo cell broke" in problems


def test_sys_exit_at_import_is_reported_and_ignored(tmp_path, grade):
    code = "import sys\nsys.exit(0)\n" + solution_source()
    result = grade(write_submission(tmp_path, code), exercises=["conv_block"])
    assert scores(result) == {"conv_block": 15}
    assert any("sys.exit" in p for p in result.load_problems)


def test_os_exit_at_import_skips_that_line_and_grades_the_rest(tmp_path, grade):
    code = solution_source() + "\nimport os\nos._exit(0)\n"
    result = grade(write_submission(tmp_path, code), exercises=["conv_block", "class_wise_metrics"])
    assert scores(result) == {"conv_block": 15, "class_wise_metrics": 10}
    assert any("os._exit" in p and "skipped" in p for p in result.load_problems)


def test_hang_at_import_is_skipped(tmp_path, grade):
    code = solution_source() + "\nwhile True:\n    pass\n"
    limits = Limits(load_seconds=5)
    result = grade(write_submission(tmp_path, code), exercises=["class_wise_metrics"], limits=limits)
    assert scores(result) == {"class_wise_metrics": 10}
    assert any("5 s limit" in p and "skipped" in p for p in result.load_problems)


def test_hang_in_one_exercise_costs_only_that_exercise(tmp_path, grade):
    code = mutate(solution_source(), '    smoothing = 1e-5\n', '    smoothing = 1e-5\n    while True:\n        pass\n')
    result = grade(write_submission(tmp_path, code), exercises=["class_wise_metrics", "conv_block", "compile_model"],
                   limits=Limits(probe_seconds=8))
    assert scores(result) == {"class_wise_metrics": 0, "conv_block": 15, "compile_model": 10}
    assert "longer than the 8 s limit" in feedback(result)["class_wise_metrics"]


def test_unbounded_memory_costs_only_that_exercise(tmp_path, grade):
    code = mutate(solution_source(), '    smoothing = 1e-5\n',
                  '    smoothing = 1e-5\n    hoard = []\n    while True:\n'
                  '        hoard.append(bytearray(50 * 1024 * 1024))\n')
    result = grade(write_submission(tmp_path, code), exercises=["class_wise_metrics", "conv_block"],
                   limits=Limits(memory_bytes=1536 * 1024 * 1024))
    assert scores(result) == {"class_wise_metrics": 0, "conv_block": 15}
    assert "memory" in feedback(result)["class_wise_metrics"]


def test_one_huge_allocation_is_refused(tmp_path, grade):
    code = mutate(solution_source(), '    smoothing = 1e-5\n',
                  '    smoothing = 1e-5\n    import numpy\n    numpy.ones(50 * 1024 ** 3, dtype="uint8")\n')
    result = grade(write_submission(tmp_path, code), exercises=["class_wise_metrics"])
    assert scores(result) == {"class_wise_metrics": 0}
    assert "MemoryError" in feedback(result)["class_wise_metrics"] or "memory" in feedback(result)["class_wise_metrics"]


def test_missing_function_and_syntax_error(tmp_path, grade):
    code = solution_source().replace("def class_wise_metrics", "def class_metrics")
    result = grade(write_submission(tmp_path / "a", code), exercises=["class_wise_metrics"])
    assert feedback(result)["class_wise_metrics"].startswith("`class_wise_metrics` is not defined")

    broken = write_submission(tmp_path / "b", "def conv_block(:\n    pass\n")
    result = grade(broken, exercises=["conv_block"])
    assert scores(result) == {"conv_block": 0}
    assert "does not parse: line 1" in feedback(result)["conv_block"]


def test_missing_submission_and_non_utf8(tmp_path, grade):
    result = grade(tmp_path / "nothing-here", exercises=["conv_block"])
    assert "does not exist" in feedback(result)["conv_block"]
    (tmp_path / "c3w3_segmentation.py").write_bytes(b"x = '\xff\xfe'\n")
    result = grade(tmp_path, exercises=["conv_block"])
    assert "not UTF-8" in feedback(result)["conv_block"]


def test_missing_package_import_does_not_stop_grading(tmp_path, grade):
    code = "import tensorflow_datasets as tfds\nfrom google.colab import files\n" + solution_source()
    result = grade(write_submission(tmp_path, code), exercises=["conv_block"])
    assert scores(result) == {"conv_block": 15}
    assert any("tensorflow_datasets" in p for p in result.load_problems)
