"""The learner's front end, end to end: real pytest sessions of graders/test_c3w3.py."""

from __future__ import annotations

import html
import json
import re
import shutil

from grading_helpers import ROOT, run_grader_json, said

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


def _page_text(page: str) -> str:
    """The report's words as a reader sees them (status badges left out)."""
    page = re.sub(r'<span class="status[^"]*">[^<]*</span>', "", page)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_reports_show_pictures_marked_layer_rows_and_each_feedback_once(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    code = (ROOT / "solutions" / "c3w3_segmentation.py").read_text()
    code = code.replace("padding=((0, 0), (0, 96 - input_width))", "padding=(0, 6)")
    (folder / "c3w3_segmentation.py").write_text(code)
    shutil.copy(ROOT / "solutions" / "c3w3_model.keras", folder)
    pytest_html, report = tmp_path / "pytest-html.html", tmp_path / "report.html"
    document, completed = run_grader_json(folder, tmp_path, f"--html={pytest_html}", "--self-contained-html",
                                          f"--report={report}")
    assert "padded on both sides" in said(completed)
    # pytest-html still works for those who ask for it
    other = pytest_html.read_text()
    assert 'class=\\"differs\\"' in other or 'class="differs"' in other
    assert "data:image/png;base64" in other
    # the report: every exercise's sentence once, pictures and the failed exercise's table open
    page = report.read_text()
    text = _page_text(page)
    for test in document["tests"]:
        sentence = test["output"].splitlines()[0].replace("`", "")
        assert text.count(sentence) == 1, sentence
    assert "`" not in page
    assert str(tmp_path) not in page and str(ROOT) not in page
    assert "<title>sub: C3W3 Image segmentation of handwritten digits</title>" in page
    failed = page[page.index('id="c3w3-FCN8"'):]
    failed = failed[:failed.index("</section>")]
    assert "<details" not in failed and 'class="differs"' in failed
    trained = page[page.index('id="c3w3-trained_model"'):]
    trained = trained[:trained.index("</section>")]
    assert "<details" not in trained and "data:image/png;base64" in trained
    assert "the six public dev images your model gets most wrong" in trained
    table = page[page.index('class="cvg reproducibility"'):]
    assert "<th>submission</th><td>sub</td>" in table and "<th>tensorflow</th>" in table
    # the terminal: what was written, then the score table, the last thing before pytest's count
    lines = completed.stdout.splitlines()
    written = next(i for i, line in enumerate(lines) if line.startswith("report written to"))
    total = next(i for i, line in enumerate(lines) if re.match(r"total\s+85\s+100$", line))
    assert written < total and lines[total + 1].startswith("====") and len(lines) == total + 2
    assert said(completed).count("the input is padded on both sides") == 1
