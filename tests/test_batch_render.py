"""Batch renderers: gradebook CSV, per-learner HTML report and the class summary page."""

from __future__ import annotations

import base64
import csv
import html
import io
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graders.judge.results import AssignmentResult, ExerciseResult
from graders.render import (
    LearnerRecord,
    batch_grading,
    gradebook_csv,
    gradescope_document,
    histogram_bins,
    learner_report_html,
    not_graded_document,
    pass_rates,
    report_html,
    summary_html,
    write_gradebook,
    write_learner_report,
    write_summary,
)
from graders.render.gradebook import guard_cell
from graders.render.summary import bin_edges, cohort_counts, frequent_feedback, slowest
from graders.shared.registry import Figure

EXERCISES = [("ex1", "Encoder", 2.0), ("ex2", "Decoder", 3.0), ("ex3", "Model", 5.0)]
EXERCISE_IDS = [e[0] for e in EXERCISES]
PNG = b"\x89PNG\r\n\x1a\n fake picture bytes"
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("x")'
WRONG_FILTERS = "expected 64 filters, got 32"
RUN_INFO = {"cvgrade": "0.1.0", "tensorflow": "2.21.0", "seed": "1234",
            "fixture c3w3": "sha256:0123abcd", "sandbox": "no network <none> & no fork"}

# (points, feedback, status) per exercise, in EXERCISES order
_FULL = {"ex1": (2, "correct", "passed"), "ex2": (3, "correct", "passed"), "ex3": (5, "correct", "passed")}


def _result(learner: str, outcomes: dict, figures: list[Figure] | None = None) -> AssignmentResult:
    exercises = []
    for exercise_id, title, maximum in EXERCISES:
        points, feedback, status = outcomes.get(exercise_id, _FULL[exercise_id])
        exercises.append(ExerciseResult("c3w3", exercise_id, title, float(points), maximum, feedback, status,
                                        details=[f"detail for {exercise_id}"], notes=["Keras 2 spelling accepted"],
                                        figures=list(figures or []) if exercise_id == "ex1" else []))
    return AssignmentResult("c3w3", "Image segmentation", f"{learner}.ipynb", exercises,
                            load_problems=["cell 4 printed to stderr"], left_out=["model.fit(...)"])


def _records() -> list[LearnerRecord]:
    return [
        LearnerRecord("carol", _result("carol", {"ex1": (0, WRONG_FILTERS, "failed")}), "graded", seconds=4.0),
        LearnerRecord("alice", _result("alice", {}), "graded", seconds=3.0, peak_memory_bytes=900 * 2**20),
        LearnerRecord("bob", _result("bob", {"ex2": (1.5, "two of four layers differ", "partial"),
                                             "ex3": (0, "the model has the wrong number of layers", "failed")}),
                      "graded", seconds=12.5),
        LearnerRecord(SCRIPT, _result("x", {"ex1": (0, WRONG_FILTERS, "failed"),
                                           "ex2": (0, "<script>alert(2)</script> is not a layer", "failed"),
                                           "ex3": (0, "not implemented", "not_implemented")},
                                      figures=[Figure("<b>your mask</b>", png=PNG),
                                               Figure("layers", table=[["layer", "yours"], ["conv", "<i>x</i>"]],
                                                      marked_rows=(1,))]),
                      "graded", seconds=7.0),
        LearnerRecord(FORMULA, None, "refused", reason="-bad zip file", seconds=0.1),
        LearnerRecord("dave", _result("dave", {"ex2": (0, "the function raised ZeroDivisionError", "error")}),
                      "graded", seconds=30.0),
        LearnerRecord("erin", None, "error", reason="the worker ran out of memory", seconds=60.0),
    ]


def _svgs(page: str) -> list[ET.Element]:
    """Every inline SVG, parsed as XML: this also proves learner text in them is escaped."""
    return [ET.fromstring(s) for s in re.findall(r"<svg.*?</svg>", page, flags=re.S)]


def _texts(svg: ET.Element, css: str) -> list[str]:
    return [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == css]


def _title(svg: ET.Element) -> str:
    return svg.find("{http://www.w3.org/2000/svg}title").text


# --- gradebook ---------------------------------------------------------------------------------

def _gradebook_rows() -> list[dict]:
    text = gradebook_csv(EXERCISE_IDS, _records())
    return list(csv.DictReader(io.StringIO(text)))


def test_gradebook_columns_and_order():
    text = gradebook_csv(EXERCISE_IDS, _records())
    header = next(csv.reader(io.StringIO(text)))
    assert header == ["learner", "total", "ex1", "ex2", "ex3", "status", "reason"]
    learners = [row["learner"] for row in _gradebook_rows()]
    assert learners == [SCRIPT, "'" + FORMULA, "alice", "bob", "carol", "dave", "erin"]


def test_gradebook_totals_cells_and_status():
    rows = {row["learner"]: row for row in _gradebook_rows()}
    assert rows["alice"] == {"learner": "alice", "total": "10", "ex1": "2", "ex2": "3", "ex3": "5",
                             "status": "graded", "reason": ""}
    assert (rows["bob"]["total"], rows["bob"]["ex2"], rows["bob"]["ex3"]) == ("3.5", "1.5", "0")
    assert rows["carol"]["total"] == "8"
    assert rows[SCRIPT]["total"] == "0"
    assert rows["dave"]["status"] == "graded (with errors)"
    assert rows["dave"]["total"] == "7"
    refused = rows["'" + FORMULA]
    assert (refused["total"], refused["ex1"], refused["ex2"], refused["ex3"]) == ("0", "", "", "")
    assert refused["status"] == "refused"
    assert rows["erin"]["status"] == "error"
    assert rows["erin"]["reason"] == "the worker ran out of memory"


def test_gradebook_guards_learner_text_against_formulas():
    rows = {row["learner"]: row for row in _gradebook_rows()}
    refused = rows["'" + FORMULA]
    assert refused["reason"] == "'-bad zip file"
    for row in rows.values():
        for column in ("learner", "reason"):
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_guard_cell_quotes_formula_starts(text):
    assert guard_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["alice", "1.5", "", "a=b", "'quoted"])
def test_guard_cell_leaves_plain_text(text):
    assert guard_cell(text) == text


# --- learner report ----------------------------------------------------------------------------

def test_report_is_standalone_and_escapes_learner_text():
    record = next(r for r in _records() if r.learner == SCRIPT)
    page = learner_report_html(record, RUN_INFO)
    assert page.startswith("<!doctype html>")
    assert "<script" not in page.lower()
    assert "http://" not in page and "https://" not in page
    assert f"<title>{html.escape(SCRIPT)}: Image segmentation</title>" in page
    assert html.escape("<script>alert(2)</script> is not a layer") in page
    assert html.escape("<b>your mask</b>") in page
    assert "&lt;i&gt;x&lt;/i&gt;" in page


def test_report_shows_feedback_figures_problems_and_reproducibility():
    record = next(r for r in _records() if r.learner == SCRIPT)
    page = learner_report_html(record, RUN_INFO)
    assert WRONG_FILTERS in page
    assert "not implemented" in page
    assert "detail for ex2" in page and "Keras 2 spelling accepted" in page
    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in page
    assert "cell 4 printed to stderr" in page and "model.fit(...)" in page
    for section in ("c3w3-ex1", "c3w3-ex2", "c3w3-ex3"):
        assert f'id="{section}"' in page and f'href="#{section}"' in page
    table = page[page.index('class="cvg reproducibility"'):]
    for key, value in RUN_INFO.items():
        assert f"<th>{html.escape(key)}</th><td>{html.escape(value)}</td>" in table


def test_report_for_a_refused_learner_says_why():
    record = next(r for r in _records() if r.status == "refused")
    page = learner_report_html(record, RUN_INFO)
    assert page.startswith("<!doctype html>")
    assert html.escape(FORMULA) in page
    assert "could not be graded: -bad zip file" in page
    assert 'class="cvg reproducibility"' in page


def test_report_shows_the_run_cost():
    record = next(r for r in _records() if r.learner == "alice")
    page = learner_report_html(record, RUN_INFO)
    assert "Grading took 3.0 s, peak memory 900 MiB." in page
    assert "<b>10 / 10</b>" in page


def _said(page: str) -> str:
    """The page's text as a reader sees it, status badges left out."""
    page = re.sub(r'<span class="status[^"]*">[^<]*</span>', "", page)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start:page.index("</section>", start)]


def test_report_says_each_feedback_once_and_opens_what_matters():
    record = next(r for r in _records() if r.learner == SCRIPT)
    page = learner_report_html(record, RUN_INFO)
    for exercise in record.result.exercises:
        assert _said(page).count(exercise.feedback) == 1, exercise.feedback
    # ex1 failed and carries a picture: open; ex2 failed: open
    assert "<details" not in _section(page, "c3w3-ex1") and "<img" in _section(page, "c3w3-ex1")
    alice = learner_report_html(LearnerRecord("alice", _result("alice", {}, figures=[
        Figure("layers", table=[["layer"], ["conv"]])]), "graded"), RUN_INFO)
    # passed with only a table: compact, the table one click away
    assert "<details><summary>layers</summary>" in _section(alice, "c3w3-ex1")
    with_picture = learner_report_html(LearnerRecord("alice", _result("alice", {}, figures=[
        Figure("your mask", png=PNG), Figure("layers", table=[["layer"], ["conv"]])]), "graded"), RUN_INFO)
    assert "<details" not in _section(with_picture, "c3w3-ex1")


def test_report_turns_backticks_into_code_and_keeps_hostile_text_escaped():
    hostile = "use `<script>alert(1)</script>` not `x`, and a lone ` stays text"
    result = _result("mallory", {"ex1": (0, hostile, "failed")})
    result.exercises[1].details = ["try `a & b`"]
    page = learner_report_html(LearnerRecord("mal`lory", result, "graded"), RUN_INFO)
    assert "`" not in page
    assert "<script" not in page.lower()
    assert ("use <code>&lt;script&gt;alert(1)&lt;/script&gt;</code> not <code>x</code>, "
            "and a lone &#96; stays text") in page
    assert "try <code>a &amp; b</code>" in page


def test_report_of_several_assignments_has_contents_and_one_section_each():
    first = LearnerRecord("exercises", _result("exercises", {"ex2": (0, "two layers differ", "failed")}), "graded")
    second_result = _result("exercises", {})
    second_result.assignment, second_result.title = "c3w4", "Saliency"
    for exercise in second_result.exercises:
        exercise.assignment = "c3w4"
    refused = LearnerRecord("exercises", None, "refused", reason="no c3w1 module in the folder")
    page = report_html("exercises", [first, LearnerRecord("exercises", second_result, "graded"), refused], RUN_INFO)
    assert "<title>exercises: 3 assignments</title>" in page
    contents = page[page.index('class="cvg toc"'):page.index("</table>", page.index('class="cvg toc"'))]
    for index in (1, 2, 3):
        assert f'href="#assignment-{index}"' in contents and page.count(f'id="assignment-{index}"') == 1
    assert "Image segmentation" in contents and "Saliency" in contents and "not graded" in contents
    for assignment in ("c3w3", "c3w4"):
        for exercise in EXERCISE_IDS:
            assert page.count(f'id="{assignment}-{exercise}"') == 1
    assert page.count("two layers differ") == 1
    assert "could not be graded: no c3w1 module in the folder" in page
    assert page.count('class="cvg reproducibility"') == 1
    # Each row's badge says how far the assignment is, not only that it was graded.
    badges = re.findall(r'class="status status-(\w+)"', contents)
    assert badges == ["partial", "passed", "refused"], badges


def test_an_assignment_with_no_points_is_badged_failed_not_graded():
    nothing = {e: (0, "not implemented yet", "not_implemented") for e in EXERCISE_IDS}
    page = report_html("exercises", [LearnerRecord("exercises", _result("exercises", nothing), "graded")], RUN_INFO)
    headline = page[page.index('class="points"'):page.index("</p>", page.index('class="points"'))]
    assert 'status-failed">failed<' in headline and "status-graded" not in headline


# --- Gradescope's results.json ----------------------------------------------------------------

# Attack: text a submission controls (an exception message, a layer name, a notebook statement)
# carrying terminal escapes, a carriage return or a line break that starts a forged score line,
# and HTML, into the results.json Gradescope shows to the learner and the course team.
HOSTILE_TEXT = "\x1b[2J\x1b[31m<script>alert(1)</script>\rtotal 100 of 100\nEx3 compile 20/20 passed\x07"


def test_gradescope_results_hold_learner_text_as_plain_lines():
    result = _result("mallory", {"ex1": (0, f"`conv_block` raised RuntimeError: {HOSTILE_TEXT}", "error")})
    result.exercises[0].details.append(HOSTILE_TEXT)
    result.exercises[0].notes.append(HOSTILE_TEXT)
    result.load_problems.append(HOSTILE_TEXT)
    result.left_out.append(HOSTILE_TEXT)
    documents = [gradescope_document([result], batch_grading(RUN_INFO)), not_graded_document(HOSTILE_TEXT)]
    for document in documents:
        # shown as text: Gradescope neither renders the HTML nor reads the escapes
        assert document["output_format"] == "text" and document.get("test_output_format", "text") == "text"
        texts = [document["output"]] + [test["output"] for test in document["tests"]]
        for text in texts:
            assert not [char for char in text if char != "\n" and (ord(char) < 0x20 or ord(char) == 0x7f)], text
        # a learner's line break never starts a line of its own
        lines = [line for text in texts for line in text.splitlines()]
        assert not [line for line in lines if line.startswith(("total 100", "Ex3 compile 20/20"))], lines
    (ex1, ex2, _) = documents[0]["tests"]
    assert ex1["output"].splitlines()[0].startswith("`conv_block` raised RuntimeError: \\x1b[2J")
    assert "<script>alert(1)</script>" in ex1["output"]  # kept as text, shown as text
    assert ex2["output"] == "correct\ndetail for ex2\nnote: Keras 2 spelling accepted"  # honest text unchanged


# --- summary statistics ------------------------------------------------------------------------

def test_histogram_bins_of_the_cohort():
    # graded totals: alice 10, bob 3.5, carol 8, <script> 0, dave 7
    assert histogram_bins([10, 3.5, 8, 0, 7], 10) == [1, 0, 0, 1, 0, 0, 0, 1, 1, 1]
    assert bin_edges(10, 10) == [float(i) for i in range(11)]


@st.composite
def _scores_and_maximum(draw):
    maximum = draw(st.floats(min_value=0.01, max_value=1000, allow_nan=False))
    scores = draw(st.lists(st.floats(min_value=0, max_value=maximum), max_size=50))
    return scores + [maximum, 0.0], maximum


@given(_scores_and_maximum(), st.integers(min_value=1, max_value=20))
def test_histogram_counts_every_score_once_in_its_bin(scores_and_maximum, bins):
    scores, maximum = scores_and_maximum
    counts = histogram_bins(scores, maximum, bins)
    assert len(counts) == bins
    assert sum(counts) == len(scores)
    edges = bin_edges(maximum, bins)
    slack = 1e-9 * maximum
    for score in scores:
        single = histogram_bins([score], maximum, bins)
        assert sorted(single) == [0] * (bins - 1) + [1]
        index = single.index(1)
        assert edges[index] - slack <= score <= edges[index + 1] + slack
    assert histogram_bins([maximum], maximum, bins)[-1] == 1


def test_histogram_bins_puts_stray_scores_in_the_end_bins():
    assert histogram_bins([-1, 11], 10, 10) == [1] + [0] * 8 + [1]
    assert histogram_bins([0, 0], 0, 4) == [2, 0, 0, 0]


def test_pass_rates_count_full_points_among_graded_learners():
    rates = pass_rates(EXERCISE_IDS, _records())
    # graded: alice, bob, carol, <script>, dave
    assert rates == pytest.approx({"ex1": 3 / 5, "ex2": 2 / 5, "ex3": 3 / 5})
    assert pass_rates(EXERCISE_IDS, []) == {"ex1": 0.0, "ex2": 0.0, "ex3": 0.0}


def test_frequent_feedback_and_slowest():
    feedback = frequent_feedback(_records())
    assert feedback[0] == ("ex1", WRONG_FILTERS, 2)
    assert all(count == 1 for _, _, count in feedback[1:])
    assert ("ex2", "two of four layers differ", 1) in feedback
    assert all(sentence != "correct" for _, sentence, _ in feedback)
    assert slowest(_records(), top=3) == [("erin", 60.0), ("dave", 30.0), ("bob", 12.5)]


def test_cohort_counts():
    counts = cohort_counts(_records())
    assert counts["learners"] == "7"
    assert counts["graded"] == "5"
    assert counts["refused"] == "1"
    assert counts["errors"] == "1"
    assert counts["graded with an exercise error"] == "1"
    assert counts["mean total"] == "5.70"
    assert counts["median total"] == "7"


# --- summary page ------------------------------------------------------------------------------

def _summary() -> str:
    return summary_html("c3w3: <class> of 2025", EXERCISES, _records(), RUN_INFO)


def test_summary_page_is_standalone_and_escaped():
    page = _summary()
    assert page.startswith("<!doctype html>")
    assert "<script" not in page.lower()
    assert "matplotlib" not in page
    assert "&lt;class&gt;" in page
    assert html.escape(SCRIPT) in page


def test_summary_histogram_counts_add_up_to_graded_learners():
    svgs = {_title(svg): svg for svg in _svgs(_summary())}
    histogram = svgs["Histogram of total scores of graded learners"]
    counts = [int(t) for t in _texts(histogram, "count")]
    assert len(counts) == 10
    assert sum(counts) == 5
    assert counts[-1] == 1  # alice's full score


def test_summary_pass_rates_and_slowest_are_labelled():
    svgs = {_title(svg): svg for svg in _svgs(_summary())}
    rates = svgs["Pass rate per exercise"]
    assert _texts(rates, "label") == ["Encoder", "Decoder", "Model"]
    assert _texts(rates, "value") == ["60%", "40%", "60%"]
    slow = svgs["Slowest submissions (seconds)"]
    labels = _texts(slow, "label")
    assert labels[:3] == ["erin", "dave", "bob"]
    assert SCRIPT in labels  # escaped in the markup, the plain id once parsed
    assert _texts(slow, "value")[:3] == ["60.0 s", "30.0 s", "12.5 s"]


def test_summary_tables():
    page = _summary()
    assert f"<td>Encoder</td><td>{WRONG_FILTERS}</td><td>2</td>" in page
    not_graded = page[page.index('class="cvg not-graded"'):]
    assert "the worker ran out of memory" in not_graded and "-bad zip file" in not_graded
    assert "<th>learners</th><td>7</td>" in page
    assert "<th>median total</th><td>7</td>" in page
    assert 'class="cvg reproducibility"' in page


def test_summary_shows_code_spans_and_keeps_hostile_text_escaped():
    records = _records()
    records[0].result.exercises[0].feedback = "use `<script>x</script>`, not `y`"
    records.append(LearnerRecord("mal`lory<b>", None, "refused", reason="a `zip` <i>bomb</i>"))
    page = summary_html("c3w3", EXERCISES, records, RUN_INFO)
    assert "`" not in page and "<script" not in page.lower()
    assert "<td>use <code>&lt;script&gt;x&lt;/script&gt;</code>, not <code>y</code></td>" in page
    assert _svgs(page)  # the SVGs still parse as XML with the entities in them


def test_summary_of_an_empty_batch():
    page = summary_html("empty", EXERCISES, [], {})
    histogram = next(svg for svg in _svgs(page) if _title(svg).startswith("Histogram"))
    assert sum(int(t) for t in _texts(histogram, "count")) == 0
    assert "<th>mean total</th><td>-</td>" in page


# --- files -------------------------------------------------------------------------------------

def test_write_functions_produce_files(tmp_path):
    records = _records()
    write_gradebook(tmp_path / "gradebook.csv", EXERCISE_IDS, records)
    write_summary(tmp_path / "summary.html", "c3w3", EXERCISES, records, RUN_INFO)
    write_learner_report(tmp_path / "alice" / "report.html", records[1], RUN_INFO)
    assert (tmp_path / "gradebook.csv").read_bytes().decode("utf-8") == gradebook_csv(EXERCISE_IDS, records)
    assert (tmp_path / "summary.html").read_text(encoding="utf-8") == summary_html("c3w3", EXERCISES, records,
                                                                                  RUN_INFO)
    assert (tmp_path / "alice" / "report.html").read_text(encoding="utf-8") == learner_report_html(records[1],
                                                                                                  RUN_INFO)
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
