"""From a path on disk to the one module the worker will run, for any submission form.

Accepted: a `.py` file; a folder holding the assignment's module (or a course
notebook); a course notebook (`.ipynb`). A trained model file is looked for
beside the code under the names the assignment lists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .registry import Assignment
from .source import SubmissionError, SubmissionSource


@dataclass
class LoadedSubmission:
    module: str
    source: SubmissionSource
    sys_path: list[str]  # folders the learner's own imports may come from
    model_file: str | None
    origin: str  # what the learner pointed at, for messages


def _read_python(path: Path) -> SubmissionSource:
    data = path.read_bytes()
    try:
        code = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionError(
            f"{path.name} is not UTF-8 text (byte {error.start} is 0x{data[error.start]:02x}); "
            "save it as UTF-8") from None
    return SubmissionSource(code=code, filename=str(path))


def _code_file(folder: Path, assignment: Assignment) -> Path:
    module_file = folder / f"{assignment.module}.py"
    if module_file.is_file():
        return module_file
    notebooks = sorted(folder.glob(assignment.notebook_glob)) or sorted(folder.glob("*.ipynb"))
    if len(notebooks) == 1:
        return notebooks[0]
    if len(notebooks) > 1:
        raise SubmissionError(f"{folder} holds several notebooks ({', '.join(n.name for n in notebooks)}); "
                              f"keep one, or name the code {assignment.module}.py")
    scripts = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
    if len(scripts) == 1:
        return scripts[0]
    raise SubmissionError(f"{folder} has no {assignment.module}.py and no notebook to grade")


def find_model_file(folder: Path, assignment: Assignment) -> str | None:
    for name in assignment.model_files:
        candidate = folder / name
        if candidate.is_file():
            return str(candidate)
    return None


def load_submission(path: str | os.PathLike, assignment: Assignment) -> LoadedSubmission:
    """Resolve `path` to the learner's module source for `assignment`."""
    path = Path(path).resolve()
    if not path.exists():
        raise SubmissionError(f"{path} does not exist")
    code_file = _code_file(path, assignment) if path.is_dir() else path
    if code_file.suffix == ".ipynb":
        from .notebook import load_notebook, notebook_positions

        source = load_notebook(code_file, assignment.steps)
        for line, position in notebook_positions(source.code).items():
            source.line_labels[line] = "cell {}, line {}".format(*position)
    elif code_file.suffix == ".py":
        source = _read_python(code_file)
    else:
        raise SubmissionError(f"{code_file.name}: expected a .py file, a notebook (.ipynb) or a folder")
    folder = code_file.parent
    return LoadedSubmission(
        module=assignment.module, source=source, sys_path=[str(folder)],
        model_file=find_model_file(folder, assignment), origin=str(path))
