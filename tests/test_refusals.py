"""Bad input is refused, not graded: one sentence and exit code 2 (1 means graded, not full marks),
from `pytest graders/...` and from `cvgrade check` alike; ids in any case; `cvgrade list`."""

from __future__ import annotations

import html
import subprocess
import sys

import pytest
from grading_helpers import ROOT, run_pytest

from graders.shared.registry import SUITES, assignment


def _bad_inputs(tmp_path):
    text = tmp_path / "answers.txt"
    text.write_text("def conv_block(): pass\n")
    (tmp_path / "empty").mkdir()
    broken = tmp_path / "C3W3.ipynb"
    broken.write_text('{"cells": [\n  {"cell_type": "code",\n')
    return {"missing": (tmp_path / "nowhere.py", "does not exist"),
            "text file": (text, "answers.txt: expected a .py file, a notebook (.ipynb) or a folder"),
            "empty folder": (tmp_path / "empty", "has no c3w3_segmentation.py and no notebook to grade"),
            "broken notebook": (broken, "C3W3.ipynb is not valid JSON (line 3, column")}


@pytest.mark.parametrize("case", ["missing", "text file", "empty folder", "broken notebook"])
def test_pytest_refuses_what_cannot_be_read_with_one_sentence_and_exit_code_2(tmp_path, case):
    path, sentence = _bad_inputs(tmp_path)[case]
    done = run_pytest("graders/test_c3w3.py", "--submission", str(path), timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert output.count(sentence) == 1, output[-3000:]
    assert "passed" not in output and "failed" not in output and "Traceback" not in output, output[-3000:]


def _cvgrade(*args, cwd=ROOT, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders.frontends.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def test_cvgrade_check_refuses_the_same_way_from_any_folder(tmp_path):
    path, sentence = _bad_inputs(tmp_path)["text file"]
    done = _cvgrade("check", "C3W3", str(path), "--report", "report.html", cwd=tmp_path)
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-3000:]
    assert (done.stdout + done.stderr).count(sentence) == 1
    page = (tmp_path / "report.html").read_text()  # the report says so too
    assert "This submission could not be graded" in page and html.escape(sentence) in page
    unknown = _cvgrade("check", "c3w9")
    assert unknown.returncode == 2 and "unknown assignment 'c3w9'; known: c3w1" in unknown.stderr


def test_cvgrade_check_grades_one_assignment_like_pytest(tmp_path):
    done = _cvgrade("check", "C3W4_L1", str(ROOT / "solutions"), "-q", "--report", "report.html", cwd=tmp_path,
                    timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "total" in done.stdout and "passed" in done.stdout
    page = (tmp_path / "report.html").read_text()  # passed on to pytest, written where cvgrade ran
    assert "<title>solutions: C3W4-L1 " in page and str(ROOT) not in page


def test_assignment_ids_are_case_insensitive():
    assert assignment("C3W3") is assignment("c3w3") and assignment("C3w4_L1").id == "c3w4_l1"


def test_cvgrade_list_shows_every_assignment_and_the_files_to_fill_in():
    done = _cvgrade("list")
    assert done.returncode == 0, done.stderr
    for suite_id in SUITES:
        suite = assignment(suite_id)
        assert any(line.split()[:1] == [suite_id] and f"exercises/{suite.module}.py" in line
                   and f"notebooks/{suite.notebook}" in line for line in done.stdout.splitlines()), done.stdout
        assert (ROOT / "notebooks" / suite.notebook).is_file()


FORGED = "\x1b[2J\x1b[Hc3w3 total 100 100\rall correct\n"  # clear the screen, then a forged line


def test_a_refusal_prints_no_control_character_a_file_name_holds(tmp_path):
    path = tmp_path / f"answers{FORGED}.txt"
    path.write_text("x\n")
    done = run_pytest("graders/test_c3w3.py", "--submission", str(path), timeout=300)
    assert done.returncode == 2, done.stdout[-3000:]
    assert "\x1b" not in done.stdout and "\r" not in done.stdout, repr(done.stdout[-600:])
    assert "answers\\x1b[2J\\x1b[Hc3w3 total 100 100 all correct .txt" in done.stdout, repr(done.stdout[-600:])


def test_the_score_table_prints_no_control_character_learner_code_sent():
    from graders.judge.results import AssignmentResult, ExerciseResult
    from graders.render import terminal_table

    result = AssignmentResult("c3w3", f"C3W3{FORGED}", f"/sub/{FORGED}")
    result.exercises.append(ExerciseResult("c3w3", "conv_block", "Ex1 conv_block", 0.0, 15.0,
                                           f"ValueError: {FORGED}", "error", notes=[f"note {FORGED}"]))
    result.add_load_problem(f"line 3 raised {FORGED}")
    table = terminal_table(result, width=200)
    assert not any(ord(c) < 0x20 and c != "\n" or ord(c) == 0x7f for c in table), repr(table)
    assert table.count("\n") == 7, table  # title, header, rule, the exercise, its note, rule, total, problem
    assert "\\x1b[2J" in table
