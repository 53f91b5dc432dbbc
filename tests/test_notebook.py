"""Tests of the notebook loader (graders/submissions/notebook.py). No TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from graders.shared.registry import TopLevelStep
from graders.submissions.notebook import PIPELINE, load_notebook, notebook_position
from graders.submissions.source import SubmissionError, SubmissionSource

REPO_ROOT = Path(__file__).resolve().parents[1]
COMPILE = TopLevelStep("compile_model", "compile")


def write_notebook(tmp_path: Path, *cells, name: str = "C3W3_Assignment.ipynb") -> Path:
    """A notebook file whose cells are the given sources (str) or nbformat cells."""
    nodes = [cell if isinstance(cell, dict) else new_code_cell(cell) for cell in cells]
    path = tmp_path / name
    nbformat.write(new_notebook(cells=nodes), str(path))
    return path


def load(tmp_path: Path, *cells, steps=()) -> SubmissionSource:
    source = load_notebook(write_notebook(tmp_path, *cells), steps)
    compile(source.code, source.filename, "exec")  # whatever went in, the result compiles
    return source


def run(source: SubmissionSource) -> dict:
    namespace: dict = {"__name__": "submission"}
    exec(compile(source.code, source.filename, "exec"), namespace)
    return namespace


def code_lines(source: SubmissionSource) -> list[str]:
    return [line for line in source.code.split("\n") if line.strip() and not line.startswith("# cell")]


# ---------------------------------------------------------------------------
# The pipeline and the module
# ---------------------------------------------------------------------------
def test_pipeline_is_a_tuple_of_steps_in_order():
    names = [step.__name__ for step in PIPELINE]
    assert names == ["read_notebook", "collect_code_cells", "strip_ipython", "parse_cells",
                     "select_statements", "synthesize_steps", "render_code"]


def test_module_imports_neither_tensorflow_nor_nbformat():
    code = ("import sys, graders.submissions.notebook; "
            "sys.exit(('tensorflow' in sys.modules) * 1 + ('nbformat' in sys.modules) * 2)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_filename_is_the_notebook_name(tmp_path):
    source = load(tmp_path, "x = 1")
    assert source.filename == "C3W3_Assignment.ipynb"
    assert isinstance(source, SubmissionSource)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
def test_empty_notebook(tmp_path):
    with pytest.raises(SubmissionError, match="has no code cells"):
        load_notebook(write_notebook(tmp_path))


def test_markdown_only_notebook(tmp_path):
    with pytest.raises(SubmissionError, match="has no code cells"):
        load_notebook(write_notebook(tmp_path, new_markdown_cell("# Hello")))


def test_only_empty_code_cells(tmp_path):
    with pytest.raises(SubmissionError, match="empty"):
        load_notebook(write_notebook(tmp_path, "", "   \n"))


def test_not_json(tmp_path):
    path = tmp_path / "notebook.ipynb"
    path.write_text('{\n  "cells": [\n    {"cell_type": "code",, }\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(SubmissionError) as caught:
        load_notebook(path)
    message = str(caught.value)
    assert message.startswith("notebook.ipynb is not valid JSON (line 3, column")
    assert "Expecting" in message


def test_python_file_named_ipynb(tmp_path):
    path = tmp_path / "notebook.ipynb"
    path.write_text("import tensorflow as tf\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"not valid JSON \(line 1, column 1\)"):
        load_notebook(path)


@pytest.mark.parametrize("document", [[1, 2], {"cells": []}, "text", 3])
def test_json_that_is_not_a_notebook(tmp_path, document):
    path = tmp_path / "notebook.ipynb"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SubmissionError, match="not a Jupyter notebook"):
        load_notebook(path)


def test_unsupported_notebook_format(tmp_path):
    path = tmp_path / "notebook.ipynb"
    path.write_text(json.dumps({"nbformat": 9, "nbformat_minor": 0, "cells": []}), encoding="utf-8")
    with pytest.raises(SubmissionError, match="format 9"):
        load_notebook(path)


def test_non_utf8_file(tmp_path):
    path = write_notebook(tmp_path, "name = 'café'")
    path.write_bytes(path.read_bytes().replace("é".encode("utf-8"), "é".encode("latin-1")))
    with pytest.raises(SubmissionError, match="not UTF-8"):
        load_notebook(path)


def test_missing_file(tmp_path):
    with pytest.raises(SubmissionError, match="could not be read"):
        load_notebook(tmp_path / "absent.ipynb")


def test_utf8_with_bom_and_non_ascii_code(tmp_path):
    path = write_notebook(tmp_path, "label = 'größe'  # ü\nsize = len(label)\nemoji = '🙂'")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    source = load_notebook(path)
    assert run(source)["label"] == "größe"
    assert run(source)["emoji"] == "🙂"


def test_minimal_hand_written_notebook_without_metadata(tmp_path):
    # Source as a list of strings, no metadata, no outputs, no execution_count, no ids.
    document = {
        "nbformat": 4,
        "nbformat_minor": 0,
        "cells": [
            {"cell_type": "markdown", "source": ["# Title"]},
            {"cell_type": "code", "source": ["def double(x):\n", "    return 2 * x\n", "\n", "print(double(2))"]},
            {"cell_type": "code", "source": "N = 3"},
        ],
    }
    path = tmp_path / "minimal.ipynb"
    path.write_text(json.dumps(document), encoding="utf-8")
    source = load_notebook(path)
    namespace = run(source)
    assert namespace["double"](4) == 8
    assert namespace["N"] == 3
    assert source.left_out == ["cell 2: `print(double(2))`"]


@pytest.mark.parametrize("minor", [0, 1, 2, 4, 5])
def test_any_nbformat_4_minor_version(tmp_path, minor):
    document = {"nbformat": 4, "nbformat_minor": minor, "metadata": {},
                "cells": [{"cell_type": "code", "metadata": {}, "source": "A = 1", "outputs": [],
                           "execution_count": None}]}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert run(load_notebook(path))["A"] == 1


def test_cell_source_that_is_not_text(tmp_path):
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "source": [1, 2]}, {"cell_type": "code", "source": "A = 1"},
                          "not a cell", {"source": "no type"}]}
    path = tmp_path / "odd.ipynb"
    path.write_text(json.dumps(document), encoding="utf-8")
    source = load_notebook(path)
    assert source.left_out == ["cell 1 has no readable source and was left out"]
    assert run(source)["A"] == 1


def test_source_as_list_of_strings(tmp_path):
    cell = new_code_cell()
    cell.source = ["def triple(x):\n", "    return 3 * x\n"]
    source = load(tmp_path, cell)
    assert run(source)["triple"](2) == 6


def test_windows_line_ends(tmp_path):
    source = load(tmp_path, "def f(x):\r\n    return x + 1\r\n\r\nY = 2\r\n")
    namespace = run(source)
    assert namespace["f"](1) == 2 and namespace["Y"] == 2


# ---------------------------------------------------------------------------
# IPython syntax
# ---------------------------------------------------------------------------
def test_shell_and_magic_lines_at_top_level(tmp_path):
    source = load(tmp_path,
                  "!pip install tensorflow-addons\n%matplotlib inline\nimport os\nA = 1",
                  steps=())
    assert source.left_out == [
        "cell 1: shell line `!pip install tensorflow-addons`",
        "cell 1: magic line `%matplotlib inline`",
    ]
    assert run(source)["A"] == 1
    assert "pip" not in source.code and "matplotlib" not in source.code


def test_magic_inside_try_keeps_the_block(tmp_path):
    cell = ("try:\n"
            "  # %tensorflow_version only exists in Colab.\n"
            "  %tensorflow_version 2.x\n"
            "except Exception:\n"
            "  pass\n")
    source = load(tmp_path, cell, "B = 2")
    assert source.left_out == ["cell 1: magic line `%tensorflow_version 2.x`"]
    assert "try:\n" in source.code and "  pass" in source.code
    assert run(source)["B"] == 2


def test_magic_in_indented_if_block(tmp_path):
    source = load(tmp_path, "IN_COLAB = False\nif IN_COLAB:\n    !pip install x\n    %load_ext tensorboard\n")
    assert "if IN_COLAB:" in source.code
    assert len(source.left_out) == 2


def test_shell_line_continued_with_backslash(tmp_path):
    cell = ("# download the data\n"
            "!wget --no-check-certificate \\\n"
            "    https://storage.googleapis.com/learning-datasets/m2nist.zip \\\n"
            "    -O /tmp/m2nist.zip\n"
            "\n"
            "local_zip = '/tmp/m2nist.zip'\n")
    source = load(tmp_path, cell)
    assert source.left_out == ["cell 1: shell line `!wget --no-check-certificate ...`"]
    assert run(source)["local_zip"] == "/tmp/m2nist.zip"


def test_shell_assignment_and_help_lines(tmp_path):
    source = load(tmp_path, "files = !ls /tmp\nt = %timeit -o sum([1])\nsorted?\n??len\nC = 3")
    assert source.left_out == [
        "cell 1: shell line `files = !ls /tmp`",
        "cell 1: magic line `t = %timeit -o sum([1])`",
        "cell 1: help line `sorted?`",
        "cell 1: help line `??len`",
    ]
    assert run(source)["C"] == 3


def test_percent_and_bang_inside_python_are_not_ipython(tmp_path):
    cell = ("TEXT = ('%d items'\n"
            "        % 3)\n"
            "SAME = (1\n"
            "        != 2)\n"
            "DOC = '''\n"
            "!not a shell line\n"
            "%not a magic\n"
            "'''\n"
            "QUESTION = 'why?'  # really?\n")
    source = load(tmp_path, cell)
    assert source.left_out == []
    namespace = run(source)
    assert namespace["TEXT"] == "3 items" and namespace["SAME"] is True
    assert namespace["DOC"] == "\n!not a shell line\n%not a magic\n"


@pytest.mark.parametrize("magic", ["%%capture", "%%writefile helper.py", "  %%time"])
def test_cell_magic_cells_are_left_out_whole(tmp_path, magic):
    source = load(tmp_path, f"{magic}\ndef helper():\n    return 1\n", "D = 4")
    assert "helper" not in source.code
    assert source.left_out == [f"cell 1: cell magic `{magic.strip()}` (the whole cell was left out)"]
    assert run(source)["D"] == 4


def test_long_lines_are_truncated_in_the_account(tmp_path):
    source = load(tmp_path, "!pip install " + "a-very-long-package-name " * 10)
    (note,) = source.left_out
    assert note.startswith("cell 1: shell line `!pip install a-very-long")
    assert note.endswith("...`")
    assert len(note) < 100


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------
def test_cell_with_syntax_error_among_good_cells(tmp_path):
    source = load(tmp_path,
                  "def good_one():\n    return 1\n",
                  new_markdown_cell("text"),
                  "x = 1\ny = 2\ndef broken(:\n    pass\n",
                  "def good_two():\n    return 2\n")
    assert source.left_out == ["cell 3 does not parse (line 3: invalid syntax) and was left out"]
    namespace = run(source)
    assert namespace["good_one"]() == 1 and namespace["good_two"]() == 2
    assert "x" not in namespace


def test_two_and_four_space_indentation(tmp_path):
    two = "def two(a):\n  if a:\n    return 'yes'\n  return 'no'\n"
    four = "def four(a):\n    if a:\n        return 'yes'\n    return 'no'\n"
    source = load(tmp_path, two, four)
    namespace = run(source)
    assert namespace["two"](1) == "yes" and namespace["four"](0) == "no"
    assert "  if a:\n    return 'yes'" in source.code  # left as written


def test_tabs_mixed_with_spaces_is_reported_as_not_parsing(tmp_path):
    source = load(tmp_path, "def f():\n    if True:\n\treturn 1\n        return 2\n", "E = 5")
    (note,) = source.left_out
    assert note.startswith("cell 1 does not parse (line ") and note.endswith("and was left out")
    assert run(source)["E"] == 5


def test_input_as_a_parameter_name(tmp_path):
    cell = ("def conv_block(input, filters, kernel_size, pooling_size, pool_strides):\n"
            "  x = input\n"
            "  for i in range(2):\n"
            "    x = x + filters\n"
            "  return x\n")
    source = load(tmp_path, cell)
    assert run(source)["conv_block"](1, 2, 3, 2, 2) == 5


# ---------------------------------------------------------------------------
# Keeping and leaving out
# ---------------------------------------------------------------------------
def test_kept_and_left_out_statements(tmp_path):
    source = load(
        tmp_path,
        "import os\nimport tensorflow_addons_not_installed as tfa\n"
        "from google.colab import drive\nimport tensorflow_datasets as tfds\n"
        "import matplotlib.pyplot as plt",
        "n_classes = 11\nBATCH_SIZE = 32\nclass_names = ['0', '1']\nsteps = 4000 // BATCH_SIZE\n"
        "shape: tuple = (64, 84)\nBATCH_SIZE += 0\n",
        "ds = tfds.load('mnist', split='train')\nmodel = FCN8()",
        "history = model.fit(training_dataset, steps_per_epoch=steps, epochs=70, validation_data=val)",
        "plt.show()\nprint('done')\nfor i in range(3):\n    pass\nwhile False:\n    pass\nassert True\ndel n_classes",
        "'a string constant'\n...\npass",
    )
    code = source.code
    for kept in ["import os", "import tensorflow_addons_not_installed as tfa", "from google.colab import drive",
                 "import tensorflow_datasets as tfds", "n_classes = 11", "BATCH_SIZE = 32",
                 "class_names = ['0', '1']", "steps = 4000 // BATCH_SIZE", "shape: tuple = (64, 84)",
                 "BATCH_SIZE += 0", "'a string constant'"]:
        assert kept in code
    assert source.left_out == [
        "cell 3: `ds = tfds.load('mnist', split='train')`",
        "cell 3: `model = FCN8()`",
        "cell 4: `history = model.fit(training_dataset, steps_per_epoch=ste...`",
        "cell 5: `plt.show()`",
        "cell 5: `print('done')`",
        "cell 5: `for i in range(3): ...`",
        "cell 5: `while False: ...`",
        "cell 5: `assert True`",
        "cell 5: `del n_classes`",
    ]


def test_definitions_are_kept_with_their_decorators(tmp_path):
    cell = ("import functools\n"
            "@functools.lru_cache(maxsize=None)\n"
            "def square(x):\n"
            "    return x * x\n"
            "class Box:\n"
            "    SIZE = 2\n"
            "    def area(self):\n"
            "        return square(self.SIZE)\n"
            "async def later():\n"
            "    return 1\n")
    source = load(tmp_path, cell)
    namespace = run(source)
    assert namespace["Box"]().area() == 4
    assert namespace["square"].cache_info() is not None
    assert source.left_out == []


def test_keepable_compound_statements(tmp_path):
    cell_try = "try:\n    import not_installed_module_xyz\nexcept ImportError:\n    not_installed_module_xyz = None\n"
    cell_if = "FAST = True\nif FAST:\n    EPOCHS = 1\nelse:\n    EPOCHS = 70\n"
    cell_bad_if = "if FAST:\n    model.fit(x)\n"
    cell_main = "if __name__ == '__main__':\n    EPOCHS = 3\n"
    source = load(tmp_path, cell_try, cell_if, cell_bad_if, cell_main)
    namespace = run(source)
    assert namespace["not_installed_module_xyz"] is None
    assert namespace["EPOCHS"] == 1
    assert source.left_out == ["cell 3: `if FAST: ...`", "cell 4: `if __name__ == '__main__': ...`"]


def test_assignments_using_left_out_names_are_left_out(tmp_path):
    source = load(tmp_path,
                  "BATCH_SIZE = 32\nimages = load_images()\nn_train = images.shape[0]\n"
                  "steps = n_train // BATCH_SIZE\nlabels = [BATCH_SIZE, undefined_name]\n"
                  "@undefined_decorator\ndef f():\n    return images\n"
                  "def g(x=undefined_default):\n    return x\n"
                  "def h():\n    return images  # fine: looked up only when called\n")
    assert source.left_out == [
        "cell 1: `images = load_images()`",
        "cell 1: `n_train = images.shape[0]` (uses `images`, which the kept code does not define)",
        "cell 1: `steps = n_train // BATCH_SIZE` (uses `n_train`, which the kept code does not define)",
        "cell 1: `labels = [BATCH_SIZE, undefined_name]` (uses `undefined_name`, which the kept code does not define)",
        "cell 1: `@undefined_decorator def f(): ...` (uses `undefined_decorator`, which the kept code does not define)",
        "cell 1: `def g(x=undefined_default): ...` (uses `undefined_default`, which the kept code does not define)",
    ]
    assert "h" in run(source)


def test_star_import_turns_the_name_check_off(tmp_path):
    source = load(tmp_path, "from math import *\nTAU = 2 * pi")
    assert run(source)["TAU"] > 6


def test_semicolons(tmp_path):
    source = load(tmp_path, "import math; A = 1; print(A); B = A + 1;\nC = 3")
    assert "import math; A = 1; B = A + 1" in source.code
    assert source.left_out == ["cell 1: `print(A)`"]
    namespace = run(source)
    assert namespace["B"] == 2 and namespace["C"] == 3


def test_statement_that_parses_but_does_not_compile(tmp_path):
    source = load(tmp_path, "def f(a, a):\n    return a\n", "G = 1")
    (note,) = source.left_out
    assert note.startswith("cell 1: `def f(a, a): ...` does not compile (line 1: duplicate argument")
    assert run(source)["G"] == 1


def test_future_import(tmp_path):
    source = load(tmp_path, "from __future__ import annotations\ndef f(x: Undefined) -> Undefined:\n    return x\n",
                  "from __future__ import division")
    assert run(source)["f"](1) == 1
    assert source.left_out == [
        "cell 2: `from __future__ import division` (a __future__ import must come before other code)"]


# ---------------------------------------------------------------------------
# Top-level steps
# ---------------------------------------------------------------------------
COMPILE_CELL = ("sgd = tf.keras.optimizers.SGD(lr=1E-2, momentum=0.9, nesterov=True)\n"
                "\n"
                "### START CODE HERE ###\n"
                "model.compile(loss='categorical_crossentropy',\n"
                "              optimizer=sgd,\n"
                "              metrics=['accuracy'])\n"
                "### END CODE HERE ###\n")


def test_compile_step_is_synthesized(tmp_path):
    source = load(tmp_path, "import tensorflow as tf", "model = segmentation_model()", COMPILE_CELL,
                  "model.summary()", steps=(COMPILE,))
    expected = ("def compile_model(model):  # cell 3\n"
                "    sgd = tf.keras.optimizers.SGD(lr=1E-2, momentum=0.9, nesterov=True)\n"
                "\n"
                "\n"
                "    model.compile(loss='categorical_crossentropy',\n"
                "                  optimizer=sgd,\n"
                "                  metrics=['accuracy'])\n"
                "    return model\n")
    assert source.code.endswith(expected)
    # What went into compile_model is not reported as left out.
    assert source.left_out == ["cell 2: `model = segmentation_model()`", "cell 4: `model.summary()`"]


class FakeModel:
    def compile(self, **settings):
        self.settings = settings


def test_synthesized_function_runs(tmp_path):
    source = load(tmp_path,
                  "def make_optimizer(lr):\n    return {'name': 'sgd', 'lr': lr}\n",
                  "LR = 0.5\nopt = make_optimizer(LR)\nprint(opt)\nnet.compile(optimizer=opt, loss='mse');\n"
                  "net.fit(x)",
                  steps=(COMPILE,))
    assert "def compile_model(net):" in source.code
    assert source.left_out == ["cell 2: `print(opt)`", "cell 2: `net.fit(x)`"]
    compile_model = run(source)["compile_model"]
    model = FakeModel()
    assert compile_model(model) is model
    assert model.settings == {"optimizer": {"name": "sgd", "lr": 0.5}, "loss": "mse"}


def test_receiver_is_not_rebound_in_the_function(tmp_path):
    source = load(tmp_path, "def build():\n    return None\n",
                  "my_model = build()\nmy_model.compile(loss='mse')",
                  steps=(COMPILE,))
    assert source.code.endswith("def compile_model(my_model):  # cell 2, line 2\n"
                                "    my_model.compile(loss='mse')\n"
                                "    return my_model\n")
    assert source.left_out == ["cell 2: `my_model = build()`"]
    model = FakeModel()
    assert run(source)["compile_model"](model) is model and model.settings == {"loss": "mse"}


def test_first_call_in_notebook_order_is_used(tmp_path):
    source = load(tmp_path, "a.compile(loss='first')", "b.compile(loss='second')", steps=(COMPILE,))
    assert "def compile_model(a):" in source.code
    assert "loss='second'" not in source.code
    assert source.left_out == ["cell 2: `b.compile(loss='second')`"]


def test_notebooks_own_definition_wins(tmp_path):
    own = "def compile_model(model):\n    model.compile(loss='own')\n    return model\n"
    source = load(tmp_path, COMPILE_CELL, own, steps=(COMPILE,))
    assert source.code.count("def compile_model") == 1
    assert "loss='own'" in source.code
    assert "model.compile(loss='categorical_crossentropy'" not in source.code
    assert "cell 1: `model.compile(loss='categorical_crossentropy', optimizer=...`" in source.left_out


def test_notebooks_own_definition_wins_even_when_left_out(tmp_path):
    own = "@undefined_decorator\ndef compile_model(model):\n    return model\n"
    source = load(tmp_path, own, "model.compile(loss='mse')", steps=(COMPILE,))
    assert "compile_model" not in source.code
    assert source.left_out[0].startswith("cell 1: `@undefined_decorator def compile_model(model): ...` (uses")


def test_missing_step_emits_nothing(tmp_path):
    source = load(tmp_path, "model.fit(x)\nmodel.compile = 3", steps=(COMPILE,))
    assert "def compile_model" not in source.code
    assert source.left_out == ["cell 1: `model.fit(x)`", "cell 1: `model.compile = 3` (uses `model`, "
                                                       "which the kept code does not define)"]


def test_only_plain_name_receivers_count(tmp_path):
    source = load(tmp_path, "self.model.compile(loss='x')\nmodels[0].compile(loss='y')", steps=(COMPILE,))
    assert "def compile_model" not in source.code


def test_several_steps(tmp_path):
    source = load(tmp_path, "EPOCHS = 2\nm.compile(loss='mse')\nhistory = m.fit(data, epochs=EPOCHS)\nm.fit(data)",
                  steps=(COMPILE, TopLevelStep("train_model", "fit")))
    assert "def compile_model(m):" in source.code
    # `history = m.fit(...)` is an assignment, not the call statement: the step
    # takes the later `m.fit(data)`, with the assignments before it in the cell.
    assert source.code.endswith("def train_model(m):  # cell 1\n"
                                "    EPOCHS = 2\n"
                                "\n"
                                "    history = m.fit(data, epochs=EPOCHS)\n"
                                "    m.fit(data)\n"
                                "    return m\n")
    assert source.left_out == []


# ---------------------------------------------------------------------------
# Output code and positions
# ---------------------------------------------------------------------------
def test_cell_markers_and_positions(tmp_path):
    source = load(tmp_path,
                  new_markdown_cell("intro"),
                  "import os\nA = 1\n",
                  "print('x')\nB = 2\nprint('y')\nC = 3\n" + "print('z')\n" * 10 + "D = 4\n",
                  COMPILE_CELL,
                  steps=(COMPILE,))
    lines = source.code.split("\n")
    assert lines[0] == "# cell 2"
    assert "# cell 3, line 2" in lines
    assert "# cell 3, line 15" in lines  # a long left-out stretch starts a new marker
    for number, text in enumerate(lines, start=1):
        position = notebook_position(source.code, number)
        if text.startswith(("A", "B", "C", "D")):
            expected_line = {"A": 2, "B": 2, "C": 4, "D": 15}[text[0]]
            assert position == ((2 if text[0] == "A" else 3), expected_line)
        if "sgd = tf" in text:
            assert position == (4, 1)
        if "metrics=" in text:
            assert position == (4, 6)
        if text.startswith("# cell") or text.startswith("def compile_model"):
            assert position is None
    assert notebook_position(source.code, 0) is None
    assert notebook_position(source.code, len(lines) + 5) is None


def test_traceback_line_numbers_map_to_the_cell(tmp_path):
    source = load(tmp_path, "print('skipped')\n\ndef boom():\n    x = 1\n    raise ValueError('boom')\n")
    boom = run(source)["boom"]
    with pytest.raises(ValueError) as caught:
        boom()
    traceback = caught.value.__traceback__
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    assert traceback.tb_frame.f_code.co_filename == "C3W3_Assignment.ipynb"
    assert notebook_position(source.code, traceback.tb_lineno) == (1, 5)


# ---------------------------------------------------------------------------
# A realistic notebook, end to end
# ---------------------------------------------------------------------------
def test_course_style_notebook(tmp_path):
    source = load(
        tmp_path,
        new_markdown_cell("# Week 3 Assignment: Image Segmentation of Handwritten Digits"),
        "try:\n  # %tensorflow_version only exists in Colab.\n  %tensorflow_version 2.x\nexcept Exception:\n  pass\n",
        "import os\nimport zipfile\nimport numpy as np\nimport tensorflow_not_here as tf\n"
        "from matplotlib_not_here import pyplot as plt\nprint('Tensorflow version ' + tf.__version__)",
        "# download zipped dataset\n!wget --no-check-certificate \\\n    https://example.com/m2nist.zip \\\n"
        "    -O /tmp/m2nist.zip\n\nlocal_zip = '/tmp/m2nist.zip'\nzip_ref = zipfile.ZipFile(local_zip, 'r')\n"
        "zip_ref.extractall('/tmp/training')\nzip_ref.close()",
        "BATCH_SIZE = 32\n\ndef get_dataset_slice_paths(images, labels):\n  '''Returns a pair.\n\n  Args:\n"
        "    images: list\n  '''\n  return images, labels\n",
        "n_classes = 11\nclass_names = [str(i) for i in range(10)] + ['Background']\n",
        "def conv_block(input, filters, strides, pooling_size, pool_strides):\n"
        "  ### START CODE HERE ###\n  x = input\n  for i in range(2):\n    x = x * filters\n"
        "  ### END CODE HERE ###\n  return x\n",
        "test_input = tf.keras.layers.Input(shape=(64,84, 1))\nprint(conv_block(test_input, 32, 3, 2, 2))\n"
        "del test_input",
        "model = segmentation_model()\nmodel.summary()",
        COMPILE_CELL,
        "EPOCHS = 70\nsteps_per_epoch = 4000//BATCH_SIZE\nhistory = model.fit(training_dataset,\n"
        "    steps_per_epoch=steps_per_epoch, epochs=EPOCHS)",
        "%%capture\n!zip -r model.zip model",
        steps=(COMPILE,),
    )
    assert "def get_dataset_slice_paths" in source.code
    assert "def compile_model(model):" in source.code
    assert "steps_per_epoch = 4000//BATCH_SIZE" in source.code
    assert source.left_out[:3] == [
        "cell 2: magic line `%tensorflow_version 2.x`",
        "cell 3: `print('Tensorflow version ' + tf.__version__)`",
        "cell 4: shell line `!wget --no-check-certificate ...`",
    ]
    assert source.left_out[-1] == "cell 12: cell magic `%%capture` (the whole cell was left out)"
    # Imports of packages that are not installed are kept: running it stops there.
    with pytest.raises(ImportError):
        run(source)


# ---------------------------------------------------------------------------
# Whatever the cells hold, the loader returns code that compiles
# ---------------------------------------------------------------------------
LINE_POOL = [
    "import os", "x = 1", "y = x + 1", "z = f(x)", "def f(a):", "  return a", "    return a",
    "class K:", "  pass", "try:", "except Exception:", "finally:", "if x:", "else:", "  %magic arg",
    "!shell cmd", "%%capture", "model.compile(loss='x')", "opt = make(1)", "print(x)", "'''", "s = '''",
    "x = (1,", "  2)", "\t  y = 2", "@deco", "    x = [i for i in y]", "model?", "a = !ls", "# comment",
    "", "with x:", "  import sys", "return 1", "from __future__ import annotations", "y += 1",
    "lambda q: q", "q = lambda r=1: r", "a; b = 2", "x = 1 \\", "  + 2", "def g(a, a): pass",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(LINE_POOL), max_size=8), min_size=1, max_size=5))
def test_any_cells_give_code_that_compiles(tmp_path, cells):
    sources = ["\n".join(lines) for lines in cells]
    path = write_notebook(tmp_path, *sources)
    try:
        source = load_notebook(path, (COMPILE,))
    except SubmissionError as error:
        assert "empty" in str(error)
        return
    compile(source.code, source.filename, "exec")
    cell_lines = {number: text.split("\n") for number, text in enumerate(sources, start=1)}
    in_function = False
    for number, text in enumerate(source.code.split("\n"), start=1):
        in_function = in_function or text.startswith("def compile_model(")
        position = notebook_position(source.code, number)
        if in_function or not text.strip() or position is None:
            continue
        cell, line = position
        original = cell_lines[cell][line - 1]
        first_part = text.split(";")[0].strip()
        assert first_part[:10] in original or first_part == "pass", (text, original)


STEPS = TopLevelStep("compute_steps", results=("steps_per_epoch", "validation_steps"),
                     parameters=("length_of_training_dataset", "length_of_validation_dataset", "BATCH_SIZE"))
STEPS_CELL = ("EPOCHS = 50\n"
              "### START CODE HERE ###\n"
              "BATCH_SIZE = 64\n"
              "length_of_training_dataset = len(visualization_training_dataset)\n"
              "length_of_validation_dataset = len(visualization_validation_dataset)\n"
              "steps_per_epoch = length_of_training_dataset//BATCH_SIZE\n"
              "if length_of_training_dataset % BATCH_SIZE > 0:\n"
              "    steps_per_epoch += 1\n"
              "validation_steps = length_of_validation_dataset//BATCH_SIZE\n"
              "if length_of_validation_dataset % BATCH_SIZE > 0:\n"
              "    validation_steps += 1\n"
              "### END CODE HERE ###\n"
              "history = model.fit(training_dataset, steps_per_epoch=steps_per_epoch, epochs=EPOCHS)\n"
              "print(steps_per_epoch)")


def test_results_step_becomes_a_function_of_its_parameters(tmp_path):
    source = load(tmp_path, "import math", STEPS_CELL, steps=(STEPS,))
    assert "def compute_steps(length_of_training_dataset, length_of_validation_dataset, BATCH_SIZE):" in source.code
    assert "len(visualization_training_dataset)" not in source.code  # the parameters are the probe's
    assert "model.fit" not in source.code and "print(" not in source.code
    compute_steps = run(source)["compute_steps"]
    assert compute_steps(3000, 3033, 64) == (47, 48)
    assert compute_steps(640, 64, 64) == (10, 1)


def test_results_step_keeps_the_learners_own_function(tmp_path):
    own = "def compute_steps(a, b, c):\n    return 1, 2"
    source = load(tmp_path, own, STEPS_CELL, steps=(STEPS,))
    assert run(source)["compute_steps"](3000, 3033, 64) == (1, 2)


def test_results_step_with_math_ceil_and_a_cell_of_its_own(tmp_path):
    cell = ("BATCH_SIZE = 32\n"
            "steps_per_epoch = math.ceil(length_of_training_dataset / BATCH_SIZE)\n"
            "validation_steps = math.ceil(length_of_validation_dataset / BATCH_SIZE)")
    source = load(tmp_path, "import math", "length_of_training_dataset = 3000", cell, steps=(STEPS,))
    assert run(source)["compute_steps"](3000, 3033, 64) == (47, 48)
