"""`cvgrade notebooks [OUT]`: one Jupyter notebook per assignment and lab, made from its exercise module.

The exercise module (exercises/<module>.py) is the one source: it is read as text and parsed,
never imported, and cut into cells in its own order:

- the module docstring becomes the notebook's title and introduction (markdown), followed by
  how to work in the notebook;
- a `# ----` banner comment (`# Exercise 1: one encoder block` between two rules) becomes a
  markdown heading;
- consecutive imports become one code cell, consecutive other top-level statements (the
  constants) another, each function or class its own: a graded function's stub with its
  docstring (the instructions) and its `### START CODE HERE ###` part as they are, preceded by
  the exercises that grade it; a function the course provides, by a line that says so;
- the last cells say how a trained model is graded, where the assignment grades one, and
  grade the notebook from inside it (`notebook_grading.grade_notebook`).

The output is the same bytes for the same modules (no timestamps; cell ids are made from
the cell's position and kind), so a test can tell a stale notebook from a fresh one.
A notebook edited since it was written (its cells' text no longer has the digest recorded in
its metadata: a learner's work) is not overwritten without `force`.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from graders.shared.files import atomic_write_text
from graders.shared.paths import EXERCISES, ROOT
from graders.shared.registry import Assignment, all_assignments

DEFAULT_OUT = ROOT / "notebooks"
_RULE = re.compile(r"^#\s*[-=#*]{4,}\s*$")  # a banner's rule line: `# ------...`
_KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


@dataclass
class Chunk:
    """A run of the module's top-level code: its kind and its text (comments above it included)."""

    kind: str  # "import", "code", "def", "heading" (a banner's title), "comment"
    text: str
    name: str = ""  # the function's or class's name
    first: int = 0  # its first and last line in the module
    last: int = 0


def _banner_title(block: list[str]) -> str | None:
    """The title of a `# ----` / `# Title` / `# ----` comment block, or None."""
    if len(block) < 3 or not (_RULE.match(block[0]) and _RULE.match(block[-1])):
        return None
    words = [line.lstrip("#").strip() for line in block[1:-1]]
    return " ".join(w for w in words if w) or None


def _comment_blocks(lines: list[str]) -> list[list[str]]:
    """The comment blocks (separated by blank lines) of the text between two statements."""
    blocks, current = [], []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _kind(node: ast.stmt) -> str:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return "def"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return "import"
    return "code"


def _block_end(lines: list[str], node: ast.stmt) -> int:
    """The statement's last line, with the indented comments after its last inner statement
    (a stub's `### END CODE HERE ###`), which the parser leaves outside it."""
    end = node.end_lineno
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.While,
                             ast.With, ast.Try)):
        return end
    line = end
    while line < len(lines) and (not lines[line].strip() or lines[line][:1] in " \t"):
        line += 1
        if lines[line - 1].strip():
            end = line
    return end


def read_module(source: str) -> tuple[str, list[Chunk]]:
    """The module's docstring and its top-level code in order, as chunks."""
    tree = ast.parse(source)
    lines = source.split("\n")
    body = list(tree.body)
    docstring = ast.get_docstring(tree, clean=True) or ""
    if body and docstring and isinstance(body[0], ast.Expr):
        body = body[1:]
        previous_end = tree.body[0].end_lineno
    else:
        previous_end = 0
    chunks: list[Chunk] = []
    for node in body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        gap = lines[previous_end:start - 1]
        blocks = _comment_blocks(gap)
        attached: list[str] = []  # the comment block right above the statement belongs to it
        if blocks and gap and gap[-1].strip():
            attached = blocks.pop()
            if _banner_title(attached):
                blocks.append(attached)
                attached = []
        line = previous_end + 1
        for block in blocks:
            while not lines[line - 1].strip():
                line += 1
            title = _banner_title(block)
            chunk = Chunk("heading", title) if title else Chunk("comment", "\n".join(block))
            chunk.first, chunk.last = line, line + len(block) - 1
            chunks.append(chunk)
            line += len(block)
        end = _block_end(lines, node)
        text = "\n".join(attached + lines[start - 1:end])
        chunks.append(Chunk(_kind(node), text, getattr(node, "name", ""), start - len(attached), end))
        previous_end = end
    line = previous_end + 1
    for block in _comment_blocks(lines[previous_end:]):
        while not lines[line - 1].strip():
            line += 1
        chunks.append(Chunk("comment", "\n".join(block), "", line, line + len(block) - 1))
        line += len(block)
    return docstring, chunks


def _markdown_docstring(docstring: str) -> str:
    """The module docstring as markdown: its first line the title, an indented block a code block."""
    title, _, rest = docstring.partition("\n")
    out: list[str] = [f"# {title.strip()}", ""]
    previous = ""
    for line in rest.strip("\n").split("\n"):
        if line.startswith("    ") and previous.strip() and not previous.startswith("    "):
            out.append("")  # markdown needs a blank line before an indented code block
        out.append(line)
        previous = line
    return "\n".join(out).rstrip() + "\n" if rest.strip() else out[0] + "\n"


def _graded_functions(suite: Assignment) -> dict[str, list[str]]:
    """Function name -> the exercises that grade it, as "Ex1 conv_block (15 points)"."""
    graded: dict[str, list[str]] = {}
    for exercise in suite.exercises:
        for function in exercise.functions:
            graded.setdefault(function, []).append(_points(exercise))
    for step in suite.steps:
        graded.setdefault(step.function, [])
    return graded


def _how_to(suite: Assignment, name: str) -> str:
    return (
        "## Working in this notebook\n\n"
        "Fill in each `### START CODE HERE ###` part in the cells below, save the notebook "
        "(Ctrl-S, or File > Save), and run the last cell: it grades the saved file and shows your "
        "points, the feedback on each exercise and its pictures here.\n\n"
        "What is graded is the code the exercises ask for: imports, the functions and the constants. "
        "Code you add at top level to try things out (calls, plots, training) is left out of the "
        "grading run, and the report lists it.\n\n"
        f"The same file can be graded from a terminal: `cvgrade check {suite.id} notebooks/{name}` or "
        f"`pytest graders/test_{suite.id}.py --submission notebooks/{name}`.\n\n"
        f"*This notebook is written from `exercises/{suite.module}.py` by `cvgrade notebooks`.*\n")


def _points(exercise) -> str:
    return f"{exercise.title} ({exercise.points:g} points)" if exercise.points else exercise.title


def _usage(training: Path, name: str) -> str | None:
    """The entry point's usage line from its docstring (`python -m exercises.c3w3_training
    --submission PATH --epochs N ...`), for this notebook's path."""
    docstring = ast.get_docstring(ast.parse(training.read_text(encoding="utf-8"))) or ""
    lines = docstring.split("\n")
    for index, line in enumerate(lines):
        if line.strip().startswith(f"python -m exercises.{training.stem} "):
            usage = line.strip()
            while usage.endswith("\\") and index + 1 < len(lines):
                index += 1
                usage = usage[:-1].rstrip() + " " + lines[index].strip()
            return usage.replace("--submission PATH", f"--submission notebooks/{name}")
    return None


def _model_cell(suite: Assignment, name: str) -> str | None:
    """How a trained model (or a results file) is graded, when the assignment grades one."""
    exercises = [e for e in suite.exercises if e.needs_model_file]
    if not exercises:
        return None
    names = ", ".join(f"`{n}`" for n in suite.model_files)
    graded = "; ".join(_points(e) for e in exercises)
    text = (f"## Graded from a file\n\n{graded}: read from a file beside this notebook "
            f"(the first of {names} found there), not from the cells.")
    training = EXERCISES / f"{suite.id}_training.py"
    usage = _usage(training, name) if training.is_file() else None
    if usage:
        text += (f" The course's entry point makes it with this notebook's functions and saves it "
                 f"beside the notebook (run from the project's folder):\n\n    {usage}\n\n"
                 f"`python -m exercises.{training.stem} --help` says more.")
    return text + "\n"


def _grading_cell(suite: Assignment) -> str:
    return ("# Grades this notebook's saved file: save it first (Ctrl-S), then run this cell.\n"
            "from graders.frontends.notebook_grading import grade_notebook\n"
            "\n"
            f'grade_notebook("{suite.id}")')


def _joined(chunks: list[Chunk]) -> str:
    """Chunks' text with the blank lines the module has between them (at most two)."""
    text = chunks[0].text
    for previous, chunk in zip(chunks, chunks[1:]):
        text += "\n" * (1 + min(2, max(0, chunk.first - previous.last - 1))) + chunk.text
    return text.strip("\n")


def notebook_cells(suite: Assignment, source: str) -> list[tuple[str, str, str]]:
    """The notebook's cells as (cell type, id slug, text), in order."""
    name = suite.notebook
    docstring, chunks = read_module(source)
    graded = _graded_functions(suite)
    cells: list[tuple[str, str, str]] = []
    if docstring:
        cells.append(("markdown", "intro", _markdown_docstring(docstring)))
    cells.append(("markdown", "how-to", _how_to(suite, name)))
    pending: list[Chunk] = []  # consecutive imports, or consecutive other statements

    def trailing_comments() -> list[Chunk]:
        """The loose comments at the end of `pending`: they go with the code after them."""
        moved = []
        while pending and pending[-1].kind == "comment":
            moved.insert(0, pending.pop())
        return moved

    def flush() -> None:
        if pending:
            kind = "imports" if any(c.kind == "import" for c in pending) else "constants"
            cells.append(("code", kind, _joined(pending)))
            pending.clear()

    for chunk in chunks:
        if chunk.kind == "heading":
            flush()
            cells.append(("markdown", "heading", f"## {chunk.text}"))
        elif chunk.kind == "def":
            comments = trailing_comments()
            flush()
            if chunk.name in graded:
                where = ", ".join(graded[chunk.name]) or "a step of the assignment"
                cells.append(("markdown", "graded", f"**Graded:** `{chunk.name}`, in {where}."))
            else:
                cells.append(("markdown", "provided",
                              f"**Provided by the course:** `{chunk.name}`; run this cell, there is nothing to fill in."))
            cells.append(("code", chunk.name, _joined(comments + [chunk])))
        elif chunk.kind == "comment":
            pending.append(chunk)
        else:  # imports in one cell, the other statements (constants) in the next
            group = next((c.kind for c in pending if c.kind != "comment"), chunk.kind)
            if group != chunk.kind:
                comments = trailing_comments()
                flush()
                pending.extend(comments)
            pending.append(chunk)
    flush()
    model = _model_cell(suite, name)
    if model:
        cells.append(("markdown", "model", model))
    cells.append(("markdown", "grade-heading", "## Grade this notebook"))
    cells.append(("code", "grade", _grading_cell(suite)))
    return cells


def _cell_id(index: int, slug: str) -> str:
    """A stable id (nbformat 4.5: 1-64 letters, digits, `-` and `_`): position and kind."""
    clean = re.sub(r"[^A-Za-z0-9_-]", "-", slug)
    return f"{index:02d}-{clean}"[:64]


def _sources_digest(cells) -> str:
    """What the written cells said, for telling a learner's edits from a stale notebook."""
    digest = hashlib.sha256()
    for cell in cells:
        digest.update(f"{cell['cell_type']}\0{cell['source']}\0".encode())
    return digest.hexdigest()


def build_notebook(suite: Assignment, source: str):
    """The nbformat v4 notebook of `suite` from its exercise module's source text."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cells = []
    for index, (kind, slug, text) in enumerate(notebook_cells(suite, source), start=1):
        make = new_code_cell if kind == "code" else new_markdown_cell
        cells.append(make(text, id=_cell_id(index, slug)))
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": dict(_KERNEL),
        "language_info": {"name": "python"},
        "cvgrade": {"assignment": suite.id, "written_from": f"exercises/{suite.module}.py",
                    "cells_sha256": _sources_digest(cells)},
    })
    nbformat.validate(notebook)
    return notebook


def notebook_text(suite: Assignment, exercises: Path = EXERCISES) -> str:
    import nbformat

    source = (exercises / f"{suite.module}.py").read_text(encoding="utf-8")
    return nbformat.writes(build_notebook(suite, source)) + "\n"


def edited_since_written(path: Path) -> bool:
    """Whether the notebook at `path` has cells changed since `cvgrade notebooks` wrote it (or
    was never written by it): a learner's work, not a stale copy."""
    import nbformat

    try:
        notebook = nbformat.read(str(path), as_version=4)
        recorded = notebook.metadata["cvgrade"]["cells_sha256"]
    except Exception:  # not a notebook, or not one of ours: someone's file
        return True
    return _sources_digest(notebook.cells) != recorded


def write_notebooks(out: Path = DEFAULT_OUT, force: bool = False, exercises: Path = EXERCISES,
                    suites: list[Assignment] | None = None) -> tuple[list[Path], list[Path]]:
    """Write each assignment's notebook into `out`: (written or unchanged paths, paths kept
    because they were edited since they were written)."""
    out = Path(out)
    written, kept = [], []
    for suite in suites if suites is not None else all_assignments():
        path = out / suite.notebook
        text = notebook_text(suite, exercises)
        if path.exists():
            if path.read_text(encoding="utf-8", errors="replace") == text:
                written.append(path)
                continue
            if not force and edited_since_written(path):
                kept.append(path)
                continue
        atomic_write_text(path, text)
        written.append(path)
    return written, kept
