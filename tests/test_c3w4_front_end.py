"""The learner's front end for C3W4, end to end: real pytest sessions of graders/test_c3w4.py."""

from __future__ import annotations

import re

from grading_helpers import ROOT, run_grader_json, run_pytest, said

EXERCISES = ["do_salience", "build_classifier", "compile_model", "trained_model"]


def test_solutions_get_full_marks(tmp_path):
    document, completed = run_grader_json(ROOT / "solutions", tmp_path, assignment_id="c3w4")
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert document["score"] == 100
    assert [t["name"].split(": ", 1)[0] for t in document["tests"]] == ["c3w4"] * len(EXERCISES)
    assert re.search(r"^total\s+100\s+100$", completed.stdout, re.MULTILINE), completed.stdout[-3000:]


def test_stubs_get_zero_with_not_implemented_and_no_tracebacks(tmp_path):
    document, completed = run_grader_json(ROOT / "exercises", tmp_path, assignment_id="c3w4")
    assert completed.returncode == 1
    assert document["score"] == 0 and len(document["tests"]) == len(EXERCISES)
    for test in document["tests"]:
        assert test["score"] == 0 and "not implemented yet" in test["output"], test
    assert "Traceback" not in completed.stdout


def test_html_report_shows_picture_maps_and_difference_side_by_side(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    code = (ROOT / "solutions" / "c3w4_saliency.py").read_text()
    (folder / "c3w4_saliency.py").write_text(code.replace(
        "tf.reduce_sum(tf.abs(gradients), axis=-1)", "tf.reduce_max(tf.abs(gradients), axis=-1)"))
    report = tmp_path / "report.html"
    completed = run_pytest("graders/test_c3w4.py", "--submission", str(folder), f"--html={report}",
                           "--self-contained-html", "-k", "do_salience")
    page = report.read_text()
    assert "not their maximum" in said(completed)
    assert "the pictures, your saliency maps and the expected ones" in page
    assert "data:image/png;base64" in page
