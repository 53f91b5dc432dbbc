"""A learner's notebook run in a real Jupyter kernel (ipykernel, driven by nbclient): every cell
runs as the learner runs it, top to bottom, and the last cell grades the saved notebook and
shows the score table and the pictures below itself."""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest

from graders.shared.registry import assignment
from tests.grading_helpers import ROOT, solution_notebook

nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

LAB = "c3w4_l4"  # small and quick: two exercises, with pictures


def _run(path):
    notebook = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return notebook


def _html_of(cell) -> str:
    return "".join(output.get("data", {}).get("text/html", "") for output in cell.get("outputs", []))


def test_the_last_cell_grades_the_saved_notebook_in_a_real_kernel(tmp_path):
    path = solution_notebook(LAB, tmp_path)
    notebook = _run(path)
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.get("output_type") == "error"]
    assert not errors, errors
    page = _html_of(notebook.cells[-1])
    suite = assignment(LAB)
    assert f"<td>total</td><td>{suite.max_points:g}</td><td>{suite.max_points:g}</td>" in page, page[:3000]
    assert '<img src="data:image/png;base64,' in page  # the heat maps, inline
    for exercise in suite.exercises:
        assert f"<h4>{exercise.title}</h4>" in page


def test_a_stub_notebook_shows_what_is_missing_in_a_real_kernel(tmp_path):
    suite = assignment(LAB)
    path = tmp_path / suite.notebook
    shutil.copy(ROOT / "notebooks" / suite.notebook, path)  # as the learner gets it
    page = _html_of(_run(path).cells[-1])
    assert re.search(rf"<td>total</td><td>0</td><td>{suite.max_points:g}</td>", page), page[:3000]
    for exercise in suite.exercises:
        assert f"`{exercise.functions[0]}` is not implemented yet" in page or \
            f"<code>{exercise.functions[0]}</code> is not implemented yet" in page, page[:3000]
