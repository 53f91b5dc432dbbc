"""The learners' notebooks (notebooks/, written by `cvgrade notebooks` from exercises/): fresh,
valid, loadable, graded as the modules are, and graded from inside by their last cell."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import nbformat
import pytest
from grading_helpers import ROOT, feedback, grade, scores, solution_notebook

from graders.frontends import notebook_grading
from graders.frontends.cli import main as cvgrade
from graders.frontends.notebook_grading import find_notebook, grade_notebook
from graders.frontends.notebooks import build_notebook, notebook_cells, write_notebooks
from graders.shared.registry import all_assignments, assignment
from graders.submissions.loading import load_submission
from graders.submissions.notebook import GRADING_MODULE, load_notebook

NOTEBOOKS = ROOT / "notebooks"
SUITES = [suite.id for suite in all_assignments()]
# Graded whole, stubs and solutions: the four assignments (C3W2's course steps written as
# functions, as its module writes them) and two labs.
GRADED = ["c3w1", "c3w2", "c3w3", "c3w4", "c3w1_l3", "c3w4_l4"]


def _committed(suite_id: str) -> Path:
    return NOTEBOOKS / assignment(suite_id).notebook


# ---------------------------------------------------------------------------
# Written from the modules: fresh, deterministic, valid
# ---------------------------------------------------------------------------
def test_committed_notebooks_are_what_cvgrade_notebooks_writes(tmp_path):
    written, kept = write_notebooks(tmp_path)
    assert kept == []
    fresh = {path.name: path.read_bytes() for path in written}
    committed = {path.name: path.read_bytes() for path in NOTEBOOKS.glob("*.ipynb")}
    stale = sorted(name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name))
    assert not stale, (f"notebooks/ is out of date with exercises/ ({', '.join(stale)}): "
                       "run `cvgrade notebooks` and commit notebooks/")


def test_writing_twice_gives_the_same_bytes(tmp_path):
    write_notebooks(tmp_path / "a")
    write_notebooks(tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


@pytest.mark.parametrize("suite_id", SUITES)
def test_each_notebook_is_valid_and_loads_as_the_module(suite_id):
    suite = assignment(suite_id)
    path = _committed(suite_id)
    notebook = nbformat.read(str(path), as_version=4)
    nbformat.validate(notebook)
    assert (notebook.nbformat, notebook.nbformat_minor) == (4, 5)
    ids = [cell.id for cell in notebook.cells]
    assert len(set(ids)) == len(ids)

    loaded = load_submission(path, suite)
    assert loaded.source.left_out == []  # the grading cell is left out without a word
    assert "grade_notebook" not in loaded.source.code and "notebook_grading" not in loaded.source.code
    tree = ast.parse(loaded.source.code)
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    module = ast.parse((ROOT / "exercises" / f"{suite.module}.py").read_text())
    assert defined == {n.name for n in module.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}

    last = notebook.cells[-1]
    assert last.cell_type == "code" and f'grade_notebook("{suite.id}")' in last.source


def test_cells_follow_the_module():
    suite = assignment("c3w3")
    cells = notebook_cells(suite, (ROOT / "exercises" / "c3w3_segmentation.py").read_text())
    kinds = [(kind, slug) for kind, slug, _ in cells]
    assert kinds[:4] == [("markdown", "intro"), ("markdown", "how-to"), ("code", "imports"), ("code", "constants")]
    assert kinds[-2:] == [("markdown", "grade-heading"), ("code", "grade")]
    texts = {slug: text for _, slug, text in cells}
    assert texts["intro"].startswith("# C3W3: image segmentation")
    # The `# ----` banners became headings, in order, each before its graded function.
    headings = [text for kind, slug, text in cells if slug == "heading"]
    assert headings[0] == "## Exercise 1: one encoder block" and len(headings) == 5
    block = texts["conv_block"]
    assert block.startswith("def conv_block(") and "### START CODE HERE ###" in block
    assert block.rstrip().endswith("### END CODE HERE ###")
    assert "Ex1 conv_block (15 points)" in cells[kinds.index(("code", "conv_block")) - 1][2]
    assert "c3w3_model.keras" in texts["model"] and "--submission notebooks/C3W3.ipynb" in texts["model"]


def test_a_provided_function_says_so():
    cells = notebook_cells(assignment("c3w2_l2"), (ROOT / "exercises" / "c3w2_l2_drawing.py").read_text())
    index = [slug for _, slug, _ in cells].index("resize_image")
    assert cells[index - 1][2].startswith("**Provided by the course:** `resize_image`")


def test_a_learners_edited_notebook_is_not_overwritten(tmp_path, capsys):
    assert cvgrade(["notebooks", str(tmp_path)]) == 0
    path = tmp_path / "C3W3.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    notebook.cells[6].source = notebook.cells[6].source.replace('raise NotImplementedError("conv_block")', "pass")
    nbformat.write(notebook, str(path))
    edited = path.read_bytes()
    capsys.readouterr()

    assert cvgrade(["notebooks", str(tmp_path)]) == 1
    assert path.read_bytes() == edited
    assert "C3W3.ipynb: its cells were changed after it was written" in capsys.readouterr().err

    # Outputs and run counts are not edits: such a notebook is written again.
    (tmp_path / "C3W1.ipynb").write_text((tmp_path / "C3W1.ipynb").read_text().replace(
        '"execution_count": null', '"execution_count": 3'))
    assert cvgrade(["notebooks", str(tmp_path), "--force"]) == 0
    assert path.read_bytes() == _committed("c3w3").read_bytes()
    assert (tmp_path / "C3W1.ipynb").read_bytes() == _committed("c3w1").read_bytes()


def test_the_grading_cell_is_left_out_of_the_run_without_a_note(tmp_path):
    assert GRADING_MODULE == notebook_grading.__name__
    cells = ["import numpy as np\nN = 3",
             f"from {GRADING_MODULE} import grade_notebook\n\ngrade_notebook('c3w3')",
             f"import {GRADING_MODULE} as grading\nresult = grading.grade_notebook('c3w3', 'x.ipynb')",
             "print(N)"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = tmp_path / "C3W3.ipynb"
    nbformat.write(notebook, str(path))
    source = load_notebook(path)
    assert "grade" not in source.code and "N = 3" in source.code
    assert source.left_out == ["cell 4: `print(N)`"]


def test_build_is_a_valid_notebook_for_every_module():
    for suite in all_assignments():
        notebook = build_notebook(suite, (ROOT / "exercises" / f"{suite.module}.py").read_text())
        nbformat.validate(notebook)
        assert notebook.metadata["cvgrade"]["assignment"] == suite.id


# ---------------------------------------------------------------------------
# Graded as the modules are
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("suite_id", GRADED)
def test_stub_notebook_scores_zero_without_a_harness_error(suite_id):
    result = grade(_committed(suite_id), suite_id)
    assert result.points == 0
    said = feedback(result)
    for graded in result.exercises:
        needs_model_file = assignment(suite_id).exercise(graded.exercise).needs_model_file
        assert graded.status == ("failed" if needs_model_file else "not_implemented"), said[graded.exercise]
        assert "not implemented yet" in said[graded.exercise].splitlines()[0], said[graded.exercise]
    assert result.load_problems == [] and result.left_out == []


@pytest.mark.parametrize("suite_id", GRADED)
def test_solution_notebook_gets_full_marks(suite_id, tmp_path):
    suite = assignment(suite_id)
    wanted = [e.id for e in suite.exercises if not e.needs_model_file]
    result = grade(solution_notebook(suite_id, tmp_path), suite_id, exercises=wanted)
    assert scores(result) == {e.id: e.points for e in suite.exercises if e.id in wanted}, feedback(result)


# ---------------------------------------------------------------------------
# The last cell: grade_notebook
# ---------------------------------------------------------------------------
def test_grade_notebook_reports_the_score_without_ipython(tmp_path):
    path = solution_notebook("c3w1_l3", tmp_path)
    code = ("import sys; sys.modules['IPython'] = None\n"  # no IPython: the terminal table
            "from graders.frontends.notebook_grading import grade_notebook\n"
            "grade_notebook('c3w1_l3')\n"
            "heavy = {'tensorflow', 'keras', 'tensorflow_hub', 'exercises', 'solutions'} & set(sys.modules)\n"
            "print('trusted process holds:', sorted(heavy))\n")
    completed = subprocess.run([sys.executable, "-c", code], cwd=path.parent, capture_output=True, text=True,
                               timeout=600, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    out = completed.stdout
    assert completed.returncode == 0, completed.stderr
    total = assignment("c3w1_l3").max_points
    assert any(line.split()[:3] == ["total", f"{total:g}", f"{total:g}"] for line in out.splitlines()), out
    assert f"grading {path}" in out and "cvgrade: graded with the warm grading server" in out
    assert "reminder" not in out  # just written: saved seconds ago
    assert "trusted process holds: []" in out  # the learner's code and TensorFlow ran in the worker


def test_grade_notebook_shows_html_in_a_notebook(tmp_path, monkeypatch, capsys):
    shown = []
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: types.SimpleNamespace(user_ns={})
    display = types.ModuleType("IPython.display")
    display.HTML = lambda text: ("html", text)
    display.display = shown.append
    fake.display = display
    monkeypatch.setitem(sys.modules, "IPython", fake)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    path = solution_notebook("c3w4_l4", tmp_path)
    monkeypatch.chdir(tmp_path)

    grade_notebook("C3W4_L4")
    assert len(shown) == 1 and shown[0][0] == "html", capsys.readouterr().out
    page = shown[0][1]
    max_points = assignment("c3w4_l4").max_points
    assert f"<td>total</td><td>{max_points:g}</td><td>{max_points:g}</td>" in page
    assert "<img src=\"data:image/png;base64," in page  # the exercises' pictures, inline
    for exercise in assignment("c3w4_l4").exercises:
        assert f"<h4>{exercise.title}</h4>" in page

    # Run again without saving: the same bytes graded again, and the learner is told.
    os.utime(path, (time.time() - 300, time.time() - 300))
    capsys.readouterr()
    grade_notebook("c3w4_l4", path)
    out = capsys.readouterr().out
    assert "reminder: C3W4_L4.ipynb has not changed since it was last graded here: save the notebook" in out


def test_an_old_file_gets_a_reminder_to_save(tmp_path):
    path = tmp_path / "C3W3.ipynb"
    path.write_text("{}")
    os.utime(path, (time.time() - 600, time.time() - 600))
    reminder = notebook_grading.save_reminder(path, "digest-never-graded")
    assert reminder.startswith("C3W3.ipynb was last saved 10 min ago, and what is graded is the saved file")
    os.utime(path, None)
    assert notebook_grading.save_reminder(path, "digest-never-graded") is None


def test_grade_notebook_refuses_clearly_when_the_notebook_is_not_found(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    grade_notebook("c3w3")
    out = capsys.readouterr().out
    assert out == (f"grade_notebook: C3W3.ipynb is not in {tmp_path} (the folder this code runs in), and the "
                   "notebook front end does not say where the notebook is; pass its path: "
                   'grade_notebook("c3w3", "path/to/C3W3.ipynb")\n')

    grade_notebook("c3w3", tmp_path / "elsewhere" / "mine.ipynb")
    assert capsys.readouterr().out.startswith(f"grade_notebook: {tmp_path / 'elsewhere' / 'mine.ipynb'} does not exist")

    (tmp_path / "c3w3_segmentation.py").write_text("")
    grade_notebook("c3w3", tmp_path / "c3w3_segmentation.py")
    assert "c3w3_segmentation.py is not a notebook (.ipynb); `cvgrade check c3w3" in capsys.readouterr().out

    grade_notebook("c9w9")
    assert capsys.readouterr().out.startswith("grade_notebook: unknown assignment 'c9w9'")

    (tmp_path / "C3W3.ipynb").write_text("not json")
    grade_notebook("c3w3")
    out = capsys.readouterr().out
    assert "grade_notebook: C3W3.ipynb was not graded: C3W3.ipynb is not valid JSON" in out


def test_the_running_notebook_is_found_where_the_front_end_says(tmp_path, monkeypatch):
    copy = tmp_path / "work" / "C3W3 copy.ipynb"
    copy.parent.mkdir()
    copy.write_bytes(_committed("c3w3").read_bytes())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(copy))
    assert find_notebook(assignment("c3w3")) == copy.resolve()
    assert find_notebook(assignment("c3w3"), copy.parent / "C3W3 copy.ipynb") == copy.resolve()


# ---------------------------------------------------------------------------
# The model file: made from the notebook by the course's entry point, graded beside it
# ---------------------------------------------------------------------------
def test_a_model_trained_from_the_notebook_is_graded_beside_it(tmp_path):
    path = solution_notebook("c3w4", tmp_path)
    trained = subprocess.run([sys.executable, "-m", "exercises.c3w4_training", "--submission", str(path),
                              "--epochs", "1", "--train-size", "16"], cwd=ROOT, capture_output=True, text=True,
                             timeout=600)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert f"saved the model to {tmp_path / 'cat_or_not.keras'}" in trained.stdout
    result = grade(path, "c3w4", exercises=["trained_model"])
    (graded,) = result.exercises
    assert graded.status != "error" and "no trained model file" not in graded.feedback, graded.feedback
    assert any(figure.png for figure in graded.figures)  # its saliency maps, judged and shown


def test_a_training_entry_point_refuses_other_files(tmp_path):
    from exercises import submission_files

    (tmp_path / "C3W3.txt").write_text("")
    with pytest.raises(ValueError, match=r"must be a \.py file or a notebook \(\.ipynb\), got C3W3\.txt"):
        submission_files.resolve_submission(tmp_path / "C3W3.txt", "c3w3_segmentation.py")
