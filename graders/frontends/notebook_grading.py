"""Grade a notebook from inside it: the last cell of every notebook `cvgrade notebooks` writes.

`grade_notebook("c3w3")` grades the notebook's saved file (the kernel's memory is not what is
handed in, the file is) with the same `Grader` as `pytest graders/test_c3w3.py`, on the warm
grading server, and shows the score table, each exercise's feedback and its pictures: as HTML
in a notebook, as the terminal table anywhere else. The learner's code runs in a worker, as
for every front end; this module is trusted-side and imports neither TensorFlow nor the
worker. The loader leaves the grading cell itself out of the run (`GRADING_MODULE` in
graders/submissions/notebook.py names this module), so grading never grades again inside.
"""

from __future__ import annotations

import hashlib
import html
import os
import sys
import time
from pathlib import Path

from graders import render
from graders.control.grading import Grader
from graders.control.warmserver import learner_launch
from graders.judge.results import AssignmentResult
from graders.render.html import exercise_html, html_summary
from graders.shared.registry import Assignment, assignment

SAVE_REMINDER_SECONDS = 10  # a file saved longer ago than this may not hold the latest edits
_graded_digests: dict[str, str] = {}  # notebook path -> digest of the bytes last graded in this kernel


class NotebookNotFound(Exception):
    """The notebook to grade is not where it was looked for; the message says where and what to do."""




def _running_notebook() -> Path | None:
    """The file of the notebook this kernel runs, where the front end says it: VS Code sets
    `__vsc_ipynb_file__` in the user's namespace, Jupyter Server `JPY_SESSION_NAME`."""
    candidates = []
    shell = _ipython_shell()
    if shell is not None:
        candidates.append(getattr(shell, "user_ns", {}).get("__vsc_ipynb_file__"))
    candidates.append(os.environ.get("JPY_SESSION_NAME"))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.endswith(".ipynb") and Path(candidate).is_file():
            return Path(candidate).resolve()
    return None


def find_notebook(suite: Assignment, path: str | os.PathLike | None = None) -> Path:
    """The notebook file to grade: `path` (a notebook, or a folder holding the assignment's),
    else the running notebook's own file when the front end names it, else the assignment's
    notebook in the current folder (where Jupyter starts a notebook's kernel)."""
    name = suite.notebook
    call = f'grade_notebook("{suite.id}", "path/to/{name}")'
    if path is not None:
        candidate = Path(path).expanduser()
        if candidate.is_dir():
            candidate = candidate / name
        if not candidate.exists():
            raise NotebookNotFound(f"{candidate} does not exist; pass the path of your saved notebook: {call}")
        if candidate.suffix != ".ipynb":
            raise NotebookNotFound(f"{candidate.name} is not a notebook (.ipynb); "
                                   f"`cvgrade check {suite.id} {candidate}` grades any other submission")
        return candidate.resolve()
    running = _running_notebook()
    if running is not None:
        return running
    candidate = Path.cwd() / name
    if not candidate.is_file():
        raise NotebookNotFound(f"{name} is not in {Path.cwd()} (the folder this code runs in), and the notebook "
                               f"front end does not say where the notebook is; pass its path: {call}")
    return candidate


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def save_reminder(path: Path, digest: str, now: float | None = None) -> str | None:
    """A reminder to save, when the file on disk may not hold the learner's latest edits: it
    is the very file graded last time in this kernel, or it was saved a while ago."""
    if _graded_digests.get(str(path)) == digest:
        return (f"{path.name} has not changed since it was last graded here: save the notebook "
                "(Ctrl-S, or File > Save) if you have edited it since, then run this cell again")
    age = (time.time() if now is None else now) - path.stat().st_mtime
    if age > SAVE_REMINDER_SECONDS:
        return (f"{path.name} was last saved {_age(age)} ago, and what is graded is the saved file: "
                "save the notebook (Ctrl-S, or File > Save) if you have edited it since")
    return None


def grade_notebook_file(suite: Assignment, path: Path, launch=None) -> tuple[AssignmentResult | None, str]:
    """Grade the notebook at `path`: (the result, or None when it cannot be read; the one line
    that says how it was graded, or why it was not)."""
    if launch is None:
        launch, how = learner_launch()
    else:
        how = "graded"
    grader = Grader(suite, path, launch=launch)
    try:
        if grader.unreadable:
            return None, f"{path.name} was not graded: {grader.unreadable}"
        return grader.grade_all(), how
    finally:
        grader.close()


def _ipython_shell():
    """The running IPython shell, or None (not installed, or not running in a kernel)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def result_html(result: AssignmentResult) -> str:
    """The score table, then each exercise's feedback, notes and figures: the HTML report's parts."""
    sections = "".join(f"<h4>{html.escape(e.title)}</h4>{exercise_html(e)}" for e in result.exercises)
    return html_summary(result) + sections


def show(result: AssignmentResult, out=None) -> None:
    """As HTML in a notebook (IPython's display), else as the terminal table on `out`."""
    if _ipython_shell() is not None:
        from IPython.display import HTML, display

        display(HTML(result_html(result)))
    else:
        print(render.terminal_table(result), file=out or sys.stdout)


def grade_notebook(assignment_id: str, path: str | os.PathLike | None = None) -> None:
    """Grade this notebook's saved file and show the points, feedback and pictures.

    Args:
        assignment_id: the assignment or lab, e.g. "c3w3" (any case; `cvgrade list` shows them).
        path: the notebook file (or its folder), when it is not the running notebook or not
            in the current folder under its usual name (`C3W3.ipynb`).

    Prints one sentence instead when the notebook cannot be found or read.
    """
    try:
        suite = assignment(assignment_id)
        notebook = find_notebook(suite, path)
    except (KeyError, NotebookNotFound) as error:
        print(f"grade_notebook: {error.args[0]}")
        return
    data = notebook.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    reminder = save_reminder(notebook, digest)
    if reminder:
        print(f"reminder: {reminder}")
    print(f"grading {notebook} as {suite.id} ...", flush=True)
    result, how = grade_notebook_file(suite, notebook)
    if result is None:
        print(f"grade_notebook: {render.visible(how)}")
        return
    _graded_digests[str(notebook)] = digest
    print(f"cvgrade: {how}")
    show(result)
