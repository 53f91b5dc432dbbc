"""Tests of submission loading (graders/submissions/loading.py): the caps on a submission's size and
statements, big notebooks under the caps read in full, and reading under a time limit. No
TensorFlow; how fast loading is lives in bench/bench_loading.py, not here."""

from __future__ import annotations

import ast
import json
import os
import zipfile
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from graders.control.grading import Grader
from graders.frontends.batch.intake import Entry, stage
from graders.shared.limits import Limits
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission, load_submission_within
from graders.submissions.notebook import load_notebook
from graders.submissions.source import SubmissionCaps, SubmissionError, SubmissionRefused

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTION = (REPO_ROOT / "solutions" / "c3w3_segmentation.py").read_text()
C3W3 = assignment("c3w3")
CAPS = SubmissionCaps()
COMPILE_CELL = "model = None\nsgd = 1\nmodel.compile(loss='categorical_crossentropy', optimizer=sgd)"


def statements(first: int, last: int) -> list[str]:
    return [f"x{i} = {i}" for i in range(first, last + 1)]


def write_notebook(path: Path, *cells: str) -> Path:
    """A notebook of a markdown cell and code cells, written as JSON without nbformat's schema
    check (which takes longer than reading it back for a notebook of 20,000 cells)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nodes = [new_markdown_cell("# C3W3", id="md")] + [new_code_cell(cell, id=f"c{i}") for i, cell in enumerate(cells)]
    path.write_text(json.dumps(new_notebook(cells=nodes)))
    return path


def sparse_file(path: Path, size: int) -> Path:
    """A file of `size` bytes that takes no disk: only its size is ever looked at."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


def refusal(path: Path, caps: SubmissionCaps = CAPS) -> SubmissionRefused:
    with pytest.raises(SubmissionRefused) as caught:
        load_submission(path, C3W3, caps)
    assert caught.value.status == "refused"
    return caught.value


# ---------------------------------------------------------------------------
# The caps, for every form
# ---------------------------------------------------------------------------
def test_the_caps_leave_room_for_real_course_notebooks():
    assert CAPS.max_bytes == 32 << 20 and CAPS.max_statements == 50_000
    course = REPO_ROOT / "tests" / "submissions" / "c3w3_course_notebook" / "C3W3_Assignment.ipynb"
    assert load_submission(course, C3W3).source.code  # a few hundred statements, 24 KB


@pytest.mark.parametrize("name", ["c3w3_segmentation.py", "C3W3_Assignment.ipynb"])
def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path, name):
    path = sparse_file(tmp_path / name, CAPS.max_bytes + 1)
    message = str(refusal(path))
    assert message == (f"{name} is 33,554,433 bytes, more than the 33,554,432 bytes (32 MiB) "
                       "a submission may be; it was not read")


def test_a_file_at_the_size_cap_is_read(tmp_path):
    code = SOLUTION + "\n" + "#" * 100 + "\n"
    path = tmp_path / "c3w3_segmentation.py"
    path.write_text(code)
    caps = SubmissionCaps(max_bytes=len(code.encode()))
    assert load_submission(path, C3W3, caps).source.code == code
    with pytest.raises(SubmissionRefused, match=r"more than the 6,\d\d\d bytes \(6.\d+ KiB\)"):
        load_submission(path, C3W3, SubmissionCaps(max_bytes=len(code.encode()) - 1))


def test_a_folder_and_a_staged_zip_are_held_to_the_same_caps(tmp_path):
    notebook = sparse_file(tmp_path / "folder" / "C3W3_Assignment.ipynb", CAPS.max_bytes + 10)
    assert "C3W3_Assignment.ipynb is 33,554,442 bytes" in str(refusal(notebook.parent))
    archive = tmp_path / "learner.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("c3w3_segmentation.py", SOLUTION + "\n".join(statements(1, 200)) + "\n")
    staged = stage(Entry("learner", (archive,), "zip"), C3W3, tmp_path / "stage")
    message = str(refusal(staged, SubmissionCaps(max_statements=100)))
    assert message == ("c3w3_segmentation.py has 255 statements, more than the 100 a submission may have; "
                       "it was not graded")


def test_a_python_file_over_the_statement_cap_is_refused(tmp_path):
    path = tmp_path / "c3w3_segmentation.py"
    path.write_text(SOLUTION + "\n" + "\n".join(statements(1, CAPS.max_statements)))
    message = str(refusal(path))
    assert message == ("c3w3_segmentation.py has 50,055 statements, more than the 50,000 a submission "
                       "may have; it was not graded")


def test_statements_inside_functions_count(tmp_path):
    body = "\n".join(f"    y{i} = {i}" for i in range(150))
    path = tmp_path / "c3w3_segmentation.py"
    path.write_text(f"def f():\n{body}\n")
    assert "has 151 statements, more than the 100" in str(refusal(path, SubmissionCaps(max_statements=100)))
    assert load_submission(path, C3W3, SubmissionCaps(max_statements=151)).source.code.startswith("def f")


def test_a_python_file_that_does_not_parse_is_left_to_the_worker(tmp_path):
    path = tmp_path / "c3w3_segmentation.py"
    path.write_text("def broken(:\n" + "\n".join(statements(1, 500)))
    assert load_submission(path, C3W3, SubmissionCaps(max_statements=10)).source.code.startswith("def broken")


def test_a_notebook_over_the_statement_cap_in_one_cell_is_refused_with_the_count(tmp_path):
    path = write_notebook(tmp_path / "C3W3_Assignment.ipynb", SOLUTION, "\n".join(statements(1, 50_000)))
    message = str(refusal(path))
    assert message == ("C3W3_Assignment.ipynb has 50,055 statements, more than the 50,000 a submission "
                       "may have; it was not graded")


def test_a_notebook_over_the_statement_cap_stops_counting_at_the_first_cell_over(tmp_path):
    path = write_notebook(tmp_path / "C3W3_Assignment.ipynb", SOLUTION, *["\n".join(statements(1, 30))] * 10)
    message = str(refusal(path, SubmissionCaps(max_statements=100)))
    assert message == ("C3W3_Assignment.ipynb has at least 115 statements (counted in cells 1 to 4 of 12), "
                       "more than the 100 a submission may have; it was not graded")
    with pytest.raises(SubmissionRefused, match="counted in cells 1 to 4 of 12"):
        load_notebook(path, caps=SubmissionCaps(max_statements=100))  # the notebook loader's own check


def test_cells_left_out_whole_do_not_count(tmp_path):
    path = write_notebook(tmp_path / "C3W3_Assignment.ipynb", "import os\n!ls\n%pwd", "%%bash\nls\nls\nls",
                          "def broken(:\n  pass\n  pass")
    source = load_submission(path, C3W3, SubmissionCaps(max_statements=3)).source  # import + 2 `pass`
    assert "import os" in source.code
    with pytest.raises(SubmissionRefused, match=r"has at least 3 statements \(counted in cells 1 to 2 of 4\), "
                                                "more than the 2"):
        load_submission(path, C3W3, SubmissionCaps(max_statements=2))


# ---------------------------------------------------------------------------
# Big notebooks under the caps are read in full
# ---------------------------------------------------------------------------
def _run(code: str) -> dict:
    """Run code that imports nothing (the solution imports TensorFlow: `_kept` is for that)."""
    namespace: dict = {"__name__": "submission"}
    exec(compile(code, "C3W3_Assignment.ipynb", "exec"), namespace)
    return namespace


def _kept(code: str) -> set[str]:
    """What code that compiles binds at top level."""
    compile(code, "C3W3_Assignment.ipynb", "exec")
    names = set()
    for node in ast.parse(code).body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


SOLUTION_NAMES = {"conv_block", "FCN8", "fcn8_decoder", "compile_model", "class_wise_metrics", "N_CLASSES"}
X_NAMES = {f"x{i}" for i in range(1, 20_001)}


def _line_of(code: str, text: str) -> int:
    (number,) = [n for n, line in enumerate(code.split("\n"), 1) if line == text]
    return number


def test_the_solution_with_20000_statements_in_one_cell_loads_in_full(tmp_path):
    path = write_notebook(tmp_path / "C3W3_Assignment.ipynb", SOLUTION, "\n".join(statements(1, 20_000)))
    source = load_submission(path, C3W3).source
    assert source.left_out == []
    kept = _kept(source.code)
    assert kept == SOLUTION_NAMES | X_NAMES
    assert source.where(_line_of(source.code, "x12345 = 12345")) == "cell 3, line 12345"
    assert source.where(_line_of(source.code, "x20000 = 20000")) == "cell 3, line 20000"


def test_the_solution_with_20000_one_statement_cells_loads_in_full(tmp_path):
    path = write_notebook(tmp_path / "C3W3_Assignment.ipynb", SOLUTION, *statements(1, 20_000))
    source = load_submission(path, C3W3).source
    assert source.left_out == []
    kept = _kept(source.code)
    assert kept == SOLUTION_NAMES | X_NAMES
    assert source.where(_line_of(source.code, "x7 = 7")) == "cell 9, line 1"
    assert source.where(_line_of(source.code, "x20000 = 20000")) == "cell 20002, line 1"


def test_thousands_of_statements_on_one_line_and_in_ifs_keep_their_positions(tmp_path):
    one_line = "; ".join(f"s{i} = '\u00e9{i}'" for i in range(5000))  # non-ASCII: bytes are not characters
    ifs = "\n".join(f"if True:\n    t{i} = {i}" for i in range(5000))
    path = write_notebook(tmp_path / "C3W3_Assignment.ipynb", one_line, ifs, *statements(1, 5000), COMPILE_CELL)
    source = load_submission(path, C3W3).source
    assert source.left_out == []
    namespace = _run(source.code)
    assert namespace["s4999"] == "\u00e94999" and namespace["t4999"] == 4999
    assert namespace["compile_model"] is not None
    assert source.code.split("\n")[1] == one_line
    assert source.where(_line_of(source.code, "    t4999 = 4999")) == "cell 3, line 10000"


def test_a_compile_cell_after_20000_assignments_becomes_the_step(tmp_path):
    cell = "\n".join(statements(1, 20_000)) + "\n" + COMPILE_CELL  # no compile_model of its own
    path = write_notebook(tmp_path / "C3W3_Assignment.ipynb", cell)
    source = load_submission(path, C3W3).source
    assert source.left_out == []
    assert "def compile_model(model):  # cell 2" in source.code

    class Model:
        def compile(self, **kwargs):
            self.kwargs = kwargs

    model = _run(source.code)["compile_model"](Model())
    assert model.kwargs == {"loss": "categorical_crossentropy", "optimizer": 1}


# ---------------------------------------------------------------------------
# Reading under a time limit, in a child process
# ---------------------------------------------------------------------------
def test_reading_in_a_child_gives_what_reading_here_gives(tmp_path):
    course = REPO_ROOT / "tests" / "submissions" / "c3w3_course_notebook" / "C3W3_Assignment.ipynb"
    for path in (course, REPO_ROOT / "solutions"):
        assert load_submission_within(path, C3W3, 120, 1024 << 20) == load_submission(path, C3W3)


def test_the_child_refuses_and_errs_as_the_loader_does(tmp_path):
    big = sparse_file(tmp_path / "C3W3_Assignment.ipynb", CAPS.max_bytes + 1)
    with pytest.raises(SubmissionRefused, match="33,554,433 bytes, more than") as caught:
        load_submission_within(big, C3W3, 120)
    assert caught.value.status == "refused"
    latin = tmp_path / "latin" / "c3w3_segmentation.py"
    latin.parent.mkdir()
    latin.write_bytes("# K\u00f6ln\n".encode("latin-1"))
    with pytest.raises(SubmissionError, match="is not UTF-8 text") as caught:
        load_submission_within(latin, C3W3, 120)
    assert not isinstance(caught.value, SubmissionRefused)  # graded as before: every exercise says why


def test_a_read_past_the_time_limit_is_stopped_with_the_reason(tmp_path):
    path = write_notebook(tmp_path / "C3W3_Assignment.ipynb", SOLUTION)
    with pytest.raises(SubmissionRefused) as caught:
        load_submission_within(path, C3W3, 0.001)  # an interpreter alone takes longer to start
    assert caught.value.status == "error"
    assert str(caught.value) == ("reading C3W3_Assignment.ipynb took longer than the 0.001 s limit and was "
                                 "stopped; it was not graded")


def test_a_read_past_the_memory_limit_is_stopped_with_the_reason(tmp_path):
    path = write_notebook(tmp_path / "C3W3_Assignment.ipynb", SOLUTION, *statements(1, 20_000))
    assert load_submission_within(path, C3W3, 120, 1024 << 20).source.code  # it loads with room
    with pytest.raises(SubmissionRefused) as caught:
        load_submission_within(path, C3W3, 120, 16 << 20)
    assert caught.value.status == "error"
    assert str(caught.value) == ("reading C3W3_Assignment.ipynb needed more than the 16 MiB memory limit; "
                                 "it was not graded")


def test_a_grader_reading_with_a_time_limit_reports_a_refusal(tmp_path):
    path = sparse_file(tmp_path / "C3W3_Assignment.ipynb", CAPS.max_bytes + 1)
    grader = Grader(C3W3, path, Limits(read_seconds=120), read_with_time_limit=True)
    try:
        assert grader.session is None and grader.refusal.status == "refused"
        result = grader.grade("conv_block")
        assert result.status == "error" and "a submission may be; it was not read" in result.feedback
    finally:
        grader.close()
    assert not os.path.exists(tmp_path / "stage")
