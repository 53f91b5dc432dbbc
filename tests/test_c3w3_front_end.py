"""The learner's front end, end to end: real pytest sessions of graders/test_c3w3.py."""

from __future__ import annotations

import json
import re
import shutil

from grading_helpers import ROOT, run_grader_json, run_pytest, said

from graders import render

EXERCISES = ["conv_block", "FCN8", "fcn8_decoder", "compile_model", "class_wise_metrics", "trained_model"]


def _by_exercise(document):
    return {test["name"].split(": ", 1)[1]: test for test in document["tests"]}


def test_solutions_get_full_marks(tmp_path):
    document, completed = run_grader_json(ROOT / "solutions", tmp_path)
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert document["score"] == 100
    assert all(t["score"] == t["max_score"] for t in document["tests"]), document
    assert re.search(r"^total\s+100\s+100$", completed.stdout, re.MULTILINE), completed.stdout[-3000:]


def test_stubs_get_zero_with_not_implemented_and_no_tracebacks(tmp_path):
    report = tmp_path / "report.html"
    document, completed = run_grader_json(ROOT / "exercises", tmp_path, f"--html={report}",
                                          "--self-contained-html")
    assert completed.returncode == 1
    assert document["score"] == 0 and len(document["tests"]) == len(EXERCISES)
    for test in document["tests"]:
        assert test["score"] == 0 and test["visibility"] == "visible"
        assert "not implemented yet" in test["output"], test
    assert "Traceback" not in completed.stdout and "Error" not in completed.stdout.split("short test summary")[0]
    page = report.read_text()
    assert "is not implemented yet" in page and "Ex1 conv_block" in page


def test_gradescope_document_shape(tmp_path):
    document, _ = run_grader_json(ROOT / "exercises", tmp_path, "-k", "class_wise_metrics")
    assert set(document) >= {"score", "tests"}
    (test,) = document["tests"]
    assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
    # The learner-side path says what it does not protect, in the document and in its output.
    assert document["extra_data"] == {"official": False, "grading": render.LEARNER_SIDE}
    assert document["output"].startswith("feedback, not an official grade")
    json.dumps(document)


def test_html_report_shows_pictures_and_marked_layer_rows(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    code = (ROOT / "solutions" / "c3w3_segmentation.py").read_text()
    code = code.replace("padding=((0, 0), (0, 96 - input_width))", "padding=(0, 6)")
    (folder / "c3w3_segmentation.py").write_text(code)
    shutil.copy(ROOT / "solutions" / "c3w3_model.keras", folder)
    report = tmp_path / "report.html"
    completed = run_pytest("graders/test_c3w3.py", "--submission", str(folder), f"--html={report}",
                           "--self-contained-html", "-k", "FCN8 or trained_model")
    page = report.read_text()
    assert "padded on both sides" in said(completed)
    assert "the six hidden images your model gets most wrong" in page
    assert 'class=\\"differs\\"' in page or 'class="differs"' in page
    assert "data:image/png;base64" in page
