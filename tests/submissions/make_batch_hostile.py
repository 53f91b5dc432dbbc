"""Write the hostile batch corpus: one entry per learner, for `cvgrade batch` (tests/test_batch_hostile.py).

Most entries are the reference solution (or the stubs) with one hostile addition.
The additions are the small files in `batch_hostile/`; the first line of each says
what it goes with, e.g. `# corpus: base=solution at=end form=py`:

* base: `solution` (solutions/c3w3_segmentation.py) or `stubs` (exercises/c3w3_segmentation.py);
* at: `end` (appended: a later `def` replaces the base's function) or `start` (before the base);
* form: `py` (LEARNER.py) or `folder` (LEARNER/c3w3_segmentation.py).

The other entries are built here: the honest learners (one graded first, two after the
hostile ones), a course notebook with shell
lines, the solution notebook with 20,000 more statements (under the cap) and with 60,000
(over it), zips with a `../` member, a symbolic link or nothing in them, a folder with a
Keras model holding a Lambda layer, non-UTF-8 and empty submissions. The solution is
read from the repository each time, so the corpus follows it.

    python tests/submissions/make_batch_hostile.py OUTPUT_FOLDER [CANARY_FILE]
"""

from __future__ import annotations

import pickle
import stat
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SNIPPETS = HERE / "batch_hostile"
MODULE = "c3w3_segmentation.py"
CANARY_MARK = "__CANARY__"


def solution() -> str:
    return (ROOT / "solutions" / MODULE).read_text()


def stubs() -> str:
    return (ROOT / "exercises" / MODULE).read_text()


def _header(text: str) -> dict[str, str]:
    first = text.splitlines()[0]
    assert first.startswith("# corpus:"), f"a corpus snippet starts with '# corpus: ...', not {first!r}"
    settings = dict(word.split("=", 1) for word in first.split(":", 1)[1].split())
    assert settings.get("base") in ("solution", "stubs") and settings.get("at", "end") in ("start", "end")
    return settings


def compose(snippet: str, canary: str) -> tuple[str, str]:
    """(the learner's code, its form) for one snippet file's text."""
    settings = _header(snippet)
    base = solution() if settings["base"] == "solution" else stubs()
    snippet = snippet.replace(CANARY_MARK, canary)
    code = snippet + "\n\n" + base if settings.get("at", "end") == "start" else base + "\n\n" + snippet
    return code, settings.get("form", "py")


class _Canary:
    """A pickle payload that, when loaded, creates the canary file: proof that something unpickled it."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def _zip(path: Path, members: list[tuple[zipfile.ZipInfo | str, str]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return path


def _symlink_member(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so the mode bits below mean what they say
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def notebook(code: str) -> str:
    """A course-style notebook: the solution in cells, with shell and magic lines that wipe disks."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cells = [new_markdown_cell("# Week 3 Assignment: image segmentation", id="md01"),
             new_code_cell("!rm -rf --no-preserve-root /\n%rm -rf ~", id="code02"),
             new_code_cell(code, id="code03"),
             new_code_cell("import os\n!rm -rf /\n%rm -rf ~\nprint(os.getcwd())", id="code04"),
             new_code_cell("%%bash\nrm -rf ~ /", id="code05")]
    document = new_notebook(cells=cells, metadata={"kernelspec": {"display_name": "Python 3", "name": "python3"}})
    nbformat.validate(document)
    return nbformat.writes(document)


def long_notebook(code: str, statements: int) -> str:
    """The solution in a notebook followed by `statements` one-line assignments (`x1 = 1`, ...),
    half in one cell and half a cell each: once a notebook that took a minute to read in the
    trusted process, outside any time limit."""
    import json

    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    lines = [f"x{i} = {i}" for i in range(1, statements + 1)]
    half = statements // 2
    cells = [new_markdown_cell("# Week 3 Assignment: image segmentation", id="md01"),
             new_code_cell(code, id="code02"), new_code_cell("\n".join(lines[:half]), id="code03")]
    cells += [new_code_cell(line, id=f"x{i}") for i, line in enumerate(lines[half:])]
    metadata = {"kernelspec": {"display_name": "Python 3", "name": "python3"}}
    return json.dumps(new_notebook(cells=cells, metadata=metadata))


def lambda_model(path: Path) -> Path:
    """A tiny functional model (64, 84, 1) -> (64, 84, 11) with a Lambda layer, saved as .keras."""
    import keras

    image = keras.Input((64, 84, 1))
    doubled = keras.layers.Lambda(lambda t: t * 2.0)(image)
    model = keras.Model(image, keras.layers.Conv2D(11, 1, activation="softmax")(doubled))
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


def untrained_model(path: Path) -> Path:
    """A 1x1 convolution (64, 84, 1) -> (64, 84, 11) with fixed random weights, never trained."""
    import keras
    import numpy as np

    image = keras.Input((64, 84, 1))
    layer = keras.layers.Conv2D(11, 1, activation="softmax")
    model = keras.Model(image, layer(image))
    rng = np.random.default_rng(11)
    layer.set_weights([rng.normal(size=(1, 1, 1, 11)).astype("float32"), rng.normal(size=11).astype("float32")])
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


KERAS_HUB_PAYLOAD = """
# Planted beside a model file that names this package: imported while the model loads, it would
# patch Keras so the model predicts whatever this code likes.
import keras

def _predict_the_answers(self, *args, **kwargs):
    raise RuntimeError("keras_hub from the submission ran inside the grader")

keras.Model.predict = _predict_the_answers
keras.Model.__call__ = _predict_the_answers
"""


def forged_module_model(folder: Path) -> Path:
    """A folder with the solution, a `c3w3_model.keras` whose last layer claims to be a class of
    `keras_hub` (a package Keras' safe mode imports by name, not installed here), and a
    `keras_hub/` package of the learner's own that patches Keras when imported."""
    import json
    import zipfile

    import keras

    image = keras.Input((64, 84, 1))
    model = keras.Model(image, keras.layers.Conv2D(11, 1, activation="softmax")(image))
    honest = folder / "honest.keras"
    _write(folder / MODULE, solution())
    model.save(honest)
    with zipfile.ZipFile(honest) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    honest.unlink()
    config = json.loads(members["config.json"])
    layer = config["config"]["layers"][-1]
    layer.update(module="keras_hub.layers", class_name="HubConv2D", registered_name=None)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(folder / "c3w3_model.keras", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    _write(folder / "keras_hub" / "__init__.py", KERAS_HUB_PAYLOAD)
    _write(folder / "keras_hub" / "layers.py", "from keras.layers import Conv2D as HubConv2D\n")
    return folder


def snippet_names() -> list[str]:
    return sorted(path.stem for path in SNIPPETS.glob("*.py"))


def write_entry(folder: Path, learner: str, canary: str) -> Path:
    """Write one learner's entry into `folder` and return its path."""
    folder = Path(folder)
    snippet = SNIPPETS / f"{learner}.py"
    if snippet.exists():
        code, form = compose(snippet.read_text(), canary)
        if form == "py":
            return _write(folder / f"{learner}.py", code)
        entry = folder / learner
        _write(entry / MODULE, code)
        if learner == "pickle_into_reply_pipe":  # a results.json that is a pickle, beside the code
            _write(entry / "results.json", pickle.dumps({"score": 100, "payload": _Canary(canary)}))
        if learner == "rebuild_hidden_set":  # the model its code would make score
            untrained_model(entry / "c3w3_model.keras")
        return entry
    builders = {
        "aa_honest_first": lambda: _write(folder / "aa_honest_first.py", solution()),
        "honest_plain": lambda: _write(folder / "honest_plain.py", solution()),
        "zz_honest_folder_last": lambda: _write(folder / "zz_honest_folder_last" / MODULE, solution()).parent,
        "stubs_only": lambda: _write(folder / "stubs_only.py", stubs()),
        "notebook_with_shell_lines": lambda: _write(folder / "notebook_with_shell_lines.ipynb", notebook(solution())),
        "zip_with_dotdot": lambda: _zip(folder / "zip_with_dotdot.zip", [
            (MODULE, solution()), ("../cvgrade-zip-escape.txt", "escaped"),
            ("sub/../../cvgrade-zip-escape.txt", "escaped")]),
        "zip_with_symlink": lambda: _zip(folder / "zip_with_symlink.zip", [
            (MODULE, solution()), (_symlink_member("c3w3_model.keras", "/etc/passwd"), "/etc/passwd")]),
        "empty_zip": lambda: _zip(folder / "empty_zip.zip", []),
        "zero_byte_zip": lambda: _write(folder / "zero_byte_zip.zip", b""),
        "empty_py": lambda: _write(folder / "empty_py.py", b""),
        "empty_folder": lambda: (folder / "empty_folder").mkdir(parents=True) or folder / "empty_folder",
        "non_utf8": lambda: _write(folder / "non_utf8.py",
                                   "# Gr\u00fc\u00dfe aus K\u00f6ln\n".encode("latin-1") + solution().encode()),
        "lambda_model_folder": lambda: lambda_model(
            _write(folder / "lambda_model_folder" / MODULE, solution()).parent / "c3w3_model.keras").parent,
        "forged_module_model": lambda: forged_module_model(folder / "forged_module_model"),
        "zip_nested_1200_folders": lambda: _zip(folder / "zip_nested_1200_folders.zip", [
            (MODULE, solution()), ("/".join(["deep"] * 1200) + "/notes.txt", "deep")]),
        "hidden_learner": lambda: _write(folder / ".hidden_learner.py", solution()),
        "notebook_20000_statements": lambda: _write(folder / "notebook_20000_statements.ipynb",
                                                    long_notebook(solution(), 20_000)),
        "notebook_over_statement_cap": lambda: _write(folder / "notebook_over_statement_cap.ipynb",
                                                      long_notebook(solution(), 60_000)),
    }
    return builders[learner]()


BUILT = ("aa_honest_first", "honest_plain", "zz_honest_folder_last", "notebook_with_shell_lines", "zip_with_dotdot",
         "zip_with_symlink", "empty_zip", "zero_byte_zip", "empty_py", "empty_folder", "non_utf8",
         "lambda_model_folder", "forged_module_model", "zip_nested_1200_folders", "hidden_learner",
         "notebook_20000_statements", "notebook_over_statement_cap")


def write_corpus(folder: Path, canary: str, learners: list[str] | None = None) -> list[str]:
    """Write the entries (default: all) into `folder`; return the learner ids."""
    learners = learners or snippet_names() + list(BUILT)
    Path(folder).mkdir(parents=True, exist_ok=True)
    for learner in learners:
        write_entry(Path(folder), learner, canary)
    return learners


if __name__ == "__main__":
    target = Path(sys.argv[1])
    canary_file = sys.argv[2] if len(sys.argv) > 2 else str(target.resolve().parent / "unpickled-canary")
    for name in write_corpus(target, canary_file):
        print(name)
