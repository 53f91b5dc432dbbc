"""A solved course notebook, as a learner hands it in from Colab, graded as it is.

The notebook (`tests/submissions/c3w3_course_notebook/C3W3_Assignment.ipynb`,
written by `tests/submissions/make_course_notebook.py`) has everything real
submissions have at once: `%`/`!` lines, imports of packages the grader lacks,
top-level data loading, training, plotting and downloading, two-space
indentation, the older `conv_block(input, filters, strides, ...)` template,
`LeakyReLU(alpha=)` and a top-level compile cell with `SGD(lr=)`.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from grading_helpers import as_script, feedback, grade, run_grader_json, scores

SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
NOTEBOOK = SUBMISSIONS / "c3w3_course_notebook" / "C3W3_Assignment.ipynb"
FIVE = ["conv_block", "FCN8", "fcn8_decoder", "compile_model", "class_wise_metrics"]
FULL_MARKS = {"conv_block": 15, "FCN8": 15, "fcn8_decoder": 20, "compile_model": 10, "class_wise_metrics": 10}
TITLES = {
    "c3w3: Ex1 conv_block": 15,
    "c3w3: Ex2 FCN8 encoder": 15,
    "c3w3: Ex3 fcn8_decoder": 20,
    "c3w3: Ex4 compile the model": 10,
    "c3w3: Ex5 class_wise_metrics": 10,
    "c3w3: Trained model on held-out images": 30,
}

RIGHT_PADDING = "tf.keras.layers.ZeroPadding2D(padding=((0, 0), (0, 96 - input_width)))"
SYMMETRIC_PADDING = "tf.keras.layers.ZeroPadding2D(padding=(0, 6))"


def _generator():
    spec = importlib.util.spec_from_file_location("make_course_notebook", SUBMISSIONS / "make_course_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebook_is_what_the_generator_writes(tmp_path):
    written = _generator().write(tmp_path / "C3W3_Assignment.ipynb")
    assert written.read_bytes() == NOTEBOOK.read_bytes(), (
        "run `python tests/submissions/make_course_notebook.py` to regenerate the notebook")


def test_course_notebook_gets_full_marks():
    result = grade(NOTEBOOK, exercises=FIVE)
    assert scores(result) == FULL_MARKS, feedback(result)

    notes = feedback(result)
    assert "accepted the Keras 2 argument `lr=`" in notes["compile_model"]
    assert "LeakyReLU(alpha=)" in notes["conv_block"]

    left_out = "\n".join(result.left_out)
    assert "`history = model.fit(training_dataset" in left_out
    assert "shell line `!pip install -q tensorflow-addons`" in left_out
    assert "`files.download('model.h5')`" in left_out
    assert "magic line `%tensorflow_version 2.x`" in left_out
    assert "`images = np.load('/tmp/m2nist/combined.npy')`" in left_out
    assert "`model.compile(" not in left_out  # it became compile_model

    # Packages the grader lacks are reported, not fatal.
    problems = "\n".join(result.load_problems)
    for package in ("seaborn", "tensorflow_datasets", "google.colab.files"):
        assert f"`{package}` cannot be imported here" in problems
    # ... and located by cell, as the learner sees the notebook.
    assert all(p.startswith("cell ") for p in result.load_problems if "cannot be imported" in p), problems


def test_one_broken_function_costs_only_its_exercise(tmp_path):
    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    sources = [cell.source for cell in notebook.cells]
    assert sum(source.count(RIGHT_PADDING) for source in sources) == 1
    for cell in notebook.cells:
        cell.source = cell.source.replace(RIGHT_PADDING, SYMMETRIC_PADDING)
    broken = tmp_path / "C3W3_Assignment.ipynb"
    nbformat.write(notebook, str(broken))

    result = grade(broken, exercises=FIVE)
    assert scores(result) == dict(FULL_MARKS, FCN8=0), feedback(result)
    assert "padded on both sides" in feedback(result)["FCN8"]


def test_front_end_writes_gradescope_json_for_the_notebook(tmp_path):
    document, completed = run_grader_json(NOTEBOOK, tmp_path)
    assert completed.returncode == 1, completed.stdout  # the trained-model test fails
    assert "1 failed, 5 passed" in completed.stdout, completed.stdout
    assert re.search(r"^Trained model on held-out images\s+0\s+30\s", completed.stdout, re.MULTILINE), completed.stdout

    tests = {test["name"]: test for test in document["tests"]}
    assert {name: test["max_score"] for name, test in tests.items()} == TITLES
    for name, points in TITLES.items():
        test = tests[name]
        assert test["visibility"] == "visible"
        if "Trained model" in name:
            assert test["score"] == 0 and test["status"] == "failed"
            assert "no trained model" in test["output"]  # "... found" / "... file": the wording varies
        else:
            assert test["score"] == points and test["status"] == "passed", test["output"]
            assert test["output"].strip()
    assert "accepted the Keras 2 argument `lr=`" in tests["c3w3: Ex4 compile the model"]["output"]
    assert document["score"] == 70
    assert document["visibility"] == "visible"
    assert "`tensorflow_datasets` cannot be imported here" in document["output"]


def test_a_tensorflow_addons_optimizer_in_the_compile_cell_costs_nothing(tmp_path):
    """C3W3's optimizer is the learner's choice; published notebooks install tensorflow_addons and
    compile with RectifiedAdam inside Lookahead, which the grader replaces by a stand-in."""
    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    optimizer = "sgd = tf.keras.optimizers.SGD(lr=1E-2, momentum=0.9, nesterov=True)"
    assert sum(cell.source.count(optimizer) for cell in notebook.cells) == 1
    for cell in notebook.cells:
        cell.source = cell.source.replace(optimizer, "import tensorflow_addons as tfa\nsgd = tfa.optimizers."
                                          "Lookahead(tfa.optimizers.RectifiedAdam(learning_rate=1e-3))")
    changed = tmp_path / "C3W3_Assignment.ipynb"
    nbformat.write(notebook, str(changed))

    result = grade(changed, exercises=["compile_model"])
    assert scores(result) == {"compile_model": 10}, feedback(result)
    said = feedback(result)["compile_model"]
    assert "replaced by a stand-in, so the loss and metrics were graded" in said
    assert "`tfa.optimizers.Lookahead` was replaced by a stand-in" in said
    assert not any("tensorflow_addons" in p for p in result.load_problems), result.load_problems


@pytest.mark.parametrize("style", ["nbconvert", "jupytext"])
def test_the_notebook_saved_as_a_script_is_graded_like_the_notebook(tmp_path, style):
    """A course notebook exported to `.py` keeps its top-level compile cell (graded as
    compile_model), leaves out training, downloads and plots, and names cells in its messages."""
    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    script = tmp_path / "C3W3_Assignment.py"
    script.write_text(as_script(notebook, style))

    result = grade(script, exercises=FIVE)
    assert scores(result) == FULL_MARKS, feedback(result)
    assert "accepted the Keras 2 argument `lr=`" in feedback(result)["compile_model"]
    left_out = "\n".join(result.left_out)
    assert "`history = model.fit(training_dataset" in left_out
    assert "`files.download('model.h5')`" in left_out
    assert "`images = np.load('/tmp/m2nist/combined.npy')`" in left_out
    assert "`model.compile(" not in left_out  # it became compile_model
    if style == "nbconvert":
        assert "`get_ipython().system('pip install -q tensorflow-addons')`" in left_out
    problems = [p for p in result.load_problems if "cannot be imported" in p]
    assert problems and all(p.startswith("cell ") for p in problems), result.load_problems


def test_a_module_copied_cell_by_cell_without_markers_is_read_as_a_notebook(tmp_path):
    """No markers: the compile step at top level is still found, and places are lines."""
    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    code = "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    # IPython lines are not Python: whoever copies the cells into a module drops them
    code = "\n".join(line[:len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("!", "%"))
                     else line for line in code.split("\n"))
    script = tmp_path / "c3w3_segmentation.py"
    script.write_text(code)

    result = grade(script, exercises=["compile_model", "conv_block"])
    assert scores(result) == {"compile_model": 10, "conv_block": 15}, feedback(result)
    problems = [p for p in result.load_problems if "cannot be imported" in p]
    assert problems and all(p.startswith("line ") for p in problems), result.load_problems


def test_a_module_that_defines_every_step_runs_as_it_is():
    from graders.shared.registry import assignment
    from graders.submissions.notebook import in_notebook_style

    steps = assignment("c3w3").steps
    solution = (SUBMISSIONS.parent.parent / "solutions" / "c3w3_segmentation.py").read_text()
    assert not in_notebook_style(solution, steps)
    assert in_notebook_style("# %%\nx = 1\n", ())
    assert in_notebook_style("import tensorflow as tf\nmodel = tf.keras.Sequential()\n"
                             "model.compile(loss='mse')\n", steps)
    # top-level code that does no step (an attack, a print) is not a notebook's: it runs as it is
    assert not in_notebook_style("import os\nprint(os.listdir('/'))\n", steps)
