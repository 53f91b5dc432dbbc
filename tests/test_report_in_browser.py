"""The learner's report and the class summary, opened in a real browser (headless Chromium).

The pages come from real gradings (C3W3 on a mutant that loses an exercise, C3W3 and C3W4 on
solutions/, with their pictures), rendered by the same functions the front ends call. A copy
of each page gets a small script that measures what a reader would see: every picture
decoded and shown at a visible size, none hidden behind a closed <details> or display:none,
the tables of an exercise short of full points open, and nothing wider than the window, at a
laptop's width and at a narrow one. Chromium writes the DOM back out (`--dump-dom`) with the
measurements in it. Skipped when Chromium is not installed (`.ci/run` installs it).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest
from grading_helpers import SOLUTIONS, grade, mutate, solution_source, write_submission

from graders.render import LearnerRecord, report_html, summary_html
from graders.shared.registry import assignment

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install "
                                                         "chromium; .ci/run installs it)")

WIDTHS = (1280, 800)
SMALLEST = 40  # pixels: a picture narrower or lower than this is not seen
RUN_INFO = {"assignment": "c3w3", "seed": "public", "submission": "sub"}

# Measures the page once it has loaded and writes the facts, as JSON, into the page.
PROBE = """<pre id="cvgrade-facts"></pre><script>
window.addEventListener("load", () => {
  const hidden = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.display === "none" || style.visibility === "hidden") return true;
      const parent = node.parentElement;
      if (parent && parent.tagName === "DETAILS" && !parent.open && node.tagName !== "SUMMARY") return true;
    }
    return false;
  };
  const box = (el) => { const r = el.getBoundingClientRect(); return {width: r.width, height: r.height}; };
  const section = (el) => { const s = el.closest("section.exercise"); return s ? s.id : ""; };
  const failed = (el) => {
    const s = el.closest("section.exercise");
    const badge = s && s.querySelector("h2 .status, h3 .status");
    return !!badge && !badge.classList.contains("status-passed");
  };
  const facts = {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    wider: [...document.body.querySelectorAll("*")].filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .filter(el => !el.closest(".scroll")).map(el => el.tagName + "." + el.className).slice(0, 10),
    images: [...document.images].map(img => ({section: section(img), natural: img.naturalWidth, ...box(img),
                                              hidden: hidden(img), complete: img.complete})),
    svgs: [...document.querySelectorAll("svg")].map(svg => ({...box(svg), hidden: hidden(svg)})),
    failedTables: [...document.querySelectorAll("section.exercise table")].filter(failed)
      .map(t => ({section: section(t), ...box(t), hidden: hidden(t)})),
  };
  document.getElementById("cvgrade-facts").textContent = JSON.stringify(facts);
});
</script>"""


def measure(page: str, width: int, folder) -> dict:
    """What Chromium sees of `page` in a window `width` pixels wide."""
    path = folder / f"page-{width}.html"
    path.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    completed = subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--window-size={width},900",
         "--virtual-time-budget=5000", "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="cvgrade-facts">(.*?)</pre>', completed.stdout, re.S)
    assert found and found.group(1), f"Chromium did not measure the page: {completed.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def assert_reads_well(page: str, folder, pictures: int = 0, svgs: int = 0, failed_tables: int = 0) -> None:
    for width in WIDTHS:
        facts = measure(page, width, folder)
        assert facts["innerWidth"] == width
        assert facts["scrollWidth"] <= facts["innerWidth"], (width, facts["wider"])
        assert len(facts["images"]) == pictures
        for image in facts["images"]:
            assert image["complete"] and image["natural"] > 0, image  # decoded
            assert not image["hidden"], image  # not display:none, not behind a closed <details>
            assert image["width"] >= SMALLEST and image["height"] >= SMALLEST, (width, image)
        assert len(facts["svgs"]) == svgs
        for svg in facts["svgs"]:
            assert not svg["hidden"] and svg["width"] >= SMALLEST and svg["height"] >= SMALLEST, (width, svg)
        assert len(facts["failedTables"]) >= failed_tables
        for table in facts["failedTables"]:
            assert not table["hidden"] and table["width"] >= SMALLEST and table["height"] >= SMALLEST, table


def _pictures(*records: LearnerRecord) -> int:
    return sum(f.png is not None for r in records for e in r.result.exercises for f in e.figures)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, LearnerRecord]:
    """Real gradings: C3W3 on a mutant whose encoder pads both sides, C3W3 and C3W4 on solutions/."""
    folder = tmp_path_factory.mktemp("mutant") / "sub"
    code = mutate(solution_source(), "padding=((0, 0), (0, 96 - input_width))", "padding=(0, 6)")
    write_submission(folder, code)
    shutil.copy(SOLUTIONS / "c3w3_model.keras", folder)
    records = {"mutant": LearnerRecord("sub", grade(folder, "c3w3"), "graded", seconds=9.0),
               "c3w3": LearnerRecord("solutions", grade(SOLUTIONS, "c3w3"), "graded", seconds=8.0),
               "c3w4": LearnerRecord("solutions", grade(SOLUTIONS, "c3w4"), "graded", seconds=6.0)}
    assert records["mutant"].result.points < records["c3w3"].result.points == assignment("c3w3").max_points
    assert records["c3w4"].result.points == assignment("c3w4").max_points
    return records


def test_a_failed_exercise_and_its_pictures_read_well(graded, tmp_path):
    record = graded["mutant"]
    assert _pictures(record) >= 1
    assert any(not e.passed and any(f.table for f in e.figures) for e in record.result.exercises)
    assert_reads_well(report_html("sub", [record], RUN_INFO), tmp_path, pictures=_pictures(record), failed_tables=1)


def test_a_page_of_several_assignments_reads_well(graded, tmp_path):
    records = [graded["c3w3"], graded["c3w4"], LearnerRecord("solutions", None, "refused",
                                                            reason="no c3w1_bounding_boxes.py in the folder")]
    pictures = _pictures(*records[:2])
    assert pictures >= 2
    assert_reads_well(report_html("solutions", records, RUN_INFO), tmp_path, pictures=pictures)


def test_the_class_summary_reads_well(graded, tmp_path):
    suite = assignment("c3w3")
    records = [graded["mutant"], graded["c3w3"],
               LearnerRecord("a-learner-with-a-very-long-name-" + "x" * 80, None, "refused",
                             reason="the zip holds a path outside its folder: ../../etc/passwd"),
               LearnerRecord("erin", None, "error", reason="the worker ran out of memory", seconds=60.0)]
    page = summary_html(suite.title, [(e.id, e.title, e.points) for e in suite.exercises], records, RUN_INFO)
    assert_reads_well(page, tmp_path, svgs=3)

