"""The learner's front end for C3W1, end to end: real pytest sessions of graders/test_c3w1.py."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from grading_helpers import ROOT, run_grader_json, run_pytest, said

EXERCISES = ["feature_extractor", "dense_layers", "bounding_box_regression", "final_model",
             "define_and_compile_model", "compute_steps", "intersection_over_union", "trained_model"]


def test_solutions_get_full_marks(tmp_path):
    document, completed = run_grader_json(ROOT / "solutions", tmp_path, assignment_id="c3w1")
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert document["score"] == 100
    assert [t["name"].split(": ", 1)[0] for t in document["tests"]] == ["c3w1"] * len(EXERCISES)
    assert re.search(r"^total\s+100\s+100$", completed.stdout, re.MULTILINE), completed.stdout[-3000:]
    # No download was tried: without MobileNetV2's ImageNet weights in the Keras cache, the worker
    # built it without them and said so; with them, it said nothing.
    keras_home = Path(os.path.expanduser(os.environ.get("KERAS_HOME", "~/.keras")))
    cached = any((keras_home / "models").glob("mobilenet_v2_weights_*no_top.h5"))
    said = "ImageNet weights for MobileNetV2 are not in the Keras cache" in completed.stdout
    assert said != cached, completed.stdout[-3000:]


def test_stubs_get_zero_with_not_implemented_and_no_tracebacks(tmp_path):
    document, completed = run_grader_json(ROOT / "exercises", tmp_path, assignment_id="c3w1")
    assert completed.returncode == 1
    assert document["score"] == 0 and len(document["tests"]) == len(EXERCISES)
    for test in document["tests"]:
        assert test["score"] == 0 and "not implemented yet" in test["output"], test
    assert "Traceback" not in completed.stdout


def test_html_report_draws_the_boxes(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    code = (ROOT / "solutions" / "c3w1_bounding_boxes.py").read_text()
    (folder / "c3w1_bounding_boxes.py").write_text(code.replace('include_top=False', 'include_top=True'))
    shutil.copy(ROOT / "solutions" / "birds.keras", folder)
    report = tmp_path / "report.html"
    completed = run_pytest("graders/test_c3w1.py", "--submission", str(folder), f"--html={report}",
                           "--self-contained-html", "-k", "feature_extractor or trained_model")
    page = report.read_text()
    assert "include_top=True keeps" in said(completed)
    assert "lowest IoU, worst first" in page and "data:image/png;base64" in page
