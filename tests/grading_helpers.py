"""Helpers for tests that grade real submissions through the engine (real workers, real TensorFlow)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graders.control.grading import Grader
from graders.control.session import Limits
from graders.judge.results import AssignmentResult
from graders.shared.registry import assignment

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"


def identical(a, b) -> bool:
    """Two observations hold the same data: keys, lengths, array shapes and every value."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(identical, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    return a == b


def solution_source(module: str = "c3w3_segmentation") -> str:
    return (SOLUTIONS / f"{module}.py").read_text()


def mutate(source: str, old: str, new: str) -> str:
    """`source` with `old` replaced by `new` exactly once (so a mutant cannot silently miss)."""
    count = source.count(old)
    assert count == 1, f"expected one occurrence of {old!r}, found {count}"
    return source.replace(old, new)


def write_submission(folder: Path, code: str, module: str = "c3w3_segmentation") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{module}.py"
    path.write_text(code)
    return path


def grade(path: os.PathLike | str, assignment_id: str = "c3w3", exercises: list[str] | None = None,
          limits: Limits = Limits(), launch=None) -> AssignmentResult:
    """Grade in this process's trusted side. The worker is a real process: forked from the
    session's grading server, or started by `launch` (e.g. `LocalProcess`, a fresh interpreter)."""
    grader = Grader(assignment(assignment_id), path, limits, launch=launch)
    try:
        for exercise in grader.assignment.exercises:
            if exercises is None or exercise.id in exercises:
                grader.grade(exercise.id)
    finally:
        grader.close()
    return grader.result


def scores(result: AssignmentResult) -> dict[str, float]:
    return {e.exercise: e.points for e in result.exercises}


def feedback(result: AssignmentResult) -> dict[str, str]:
    return {e.exercise: e.output_text() for e in result.exercises}


def run_pytest(*args: str, cwd: Path = ROOT, timeout: float = 900) -> subprocess.CompletedProcess:
    """A real `python -m pytest ...` run, as a learner types it."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def said(completed: subprocess.CompletedProcess) -> str:
    """What a run printed, its words joined by single spaces: the score table wraps its feedback
    to the terminal's width."""
    return " ".join(completed.stdout.split())


def run_grader_json(submission: os.PathLike | str, tmp_path: Path, *extra: str,
                    assignment_id: str = "c3w3") -> tuple[dict, subprocess.CompletedProcess]:
    out = tmp_path / "results.json"
    completed = run_pytest(f"graders/test_{assignment_id}.py", "--submission", str(submission),
                           "--grade-json", str(out), *extra)
    assert out.exists(), completed.stdout + completed.stderr
    return json.loads(out.read_text()), completed


def assert_costs_its_exercise_only(result: AssignmentResult, assignment_id: str, exercise: str, hint: str,
                                   points: float | None = None) -> None:
    """A mutant's verdict: fewer points on `exercise` (exactly `points` if given), full points on
    every other exercise graded, and `hint` in the first line of that exercise's feedback."""
    got, said = scores(result), feedback(result)
    full = {e.id: e.points for e in assignment(assignment_id).exercises}
    assert got[exercise] < full[exercise], said[exercise]
    if points is not None:
        assert got[exercise] == points, said[exercise]
    others = {e: got[e] for e in got if e != exercise}
    assert others == {e: full[e] for e in others}, {e: said[e] for e in others if got[e] < full[e]}
    assert hint in said[exercise].splitlines()[0], said[exercise]


def assert_solutions_full_and_stubs_zero(assignment_id: str) -> None:
    """`solutions/` gets every point, the stubs none, each exercise "not implemented"."""
    suite = assignment(assignment_id)
    solved = grade(ROOT / "solutions", assignment_id)
    assert solved.points == suite.max_points, feedback(solved)
    stubs = grade(ROOT / "exercises", assignment_id)
    assert stubs.points == 0 and all(e.status == "not_implemented" for e in stubs.exercises), feedback(stubs)


def mutant(exercise: str, edits, hint: str, *, id: str, points: float | None = None):
    """A pytest param for `assert_mutant_costs_its_exercise_only`: the solution with `edits` (one
    (old, new) pair or several) loses points on `exercise` (exactly `points` if given), with `hint`."""
    if isinstance(edits[0], str):
        edits = (edits,)
    return pytest.param(exercise, edits, hint, points, id=id)


def assert_mutant_costs_its_exercise_only(tmp_path: Path, lab: str, module: str, exercise: str, edits, hint: str,
                                          points: float | None, graded: list[str] | None = None) -> None:
    """The mutant graded (on `graded` exercises only, when given: the others are then not shown
    to keep their points) loses points on `exercise` alone, with `hint`."""
    code = solution_source(module)
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, module), lab, exercises=graded)
    assert_costs_its_exercise_only(result, lab, exercise, hint, points)


def exercises_with_fewer_mutants(mutants, lab: str, least: int = 3) -> dict[str, int]:
    """The lab's exercises with fewer than `least` of `mutants` (params made by `mutant`)."""
    counts = {e.id: sum(1 for m in mutants if m.values[0] == e.id) for e in assignment(lab).exercises}
    return {name: count for name, count in counts.items() if count < least}


def mutants_per_exercise(mutants, lab: str) -> dict[str, int]:
    """How many of `mutants` (pytest params whose first two values are lab and exercise) each of
    the lab's exercises has."""
    return {e.id: sum(1 for m in mutants if tuple(m.values[:2]) == (lab, e.id)) for e in assignment(lab).exercises}


def _python_line(line: str) -> str:
    """One IPython line as nbconvert's script exporter writes it."""
    body = line.lstrip()
    indent = line[:len(line) - len(body)]
    if body.startswith("!"):
        return f"{indent}get_ipython().system({body[1:]!r})"
    if body.startswith("%"):
        name, _, argument = body[1:].partition(" ")
        return f"{indent}get_ipython().run_line_magic({name!r}, {argument!r})"
    return line


def as_script(notebook, style: str) -> str:
    """The notebook as `jupyter nbconvert --to script` writes it (a `# In[n]:` marker before each
    code cell, text cells as comments, IPython lines as `get_ipython()` calls) or as jupytext's
    percent format does (`# %%` cells, `# %% [markdown]` text cells, IPython lines commented)."""
    if style == "nbconvert":
        parts, count = ["#!/usr/bin/env python\n# coding: utf-8\n"], 0
        for cell in notebook.cells:
            if cell.cell_type == "code":
                count += 1
                parts.append(f"# In[{count}]:\n\n\n" + "\n".join(map(_python_line, cell.source.split("\n"))))
            else:
                parts.append("\n".join(f"# {line}" for line in cell.source.split("\n")))
        return "\n\n\n".join(parts) + "\n"
    parts = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            lines = [f"# {line}" if line.lstrip().startswith(("!", "%")) else line for line in cell.source.split("\n")]
            parts.append("# %%\n" + "\n".join(lines))
        else:
            parts.append("# %% [markdown]\n" + "\n".join(f"# {line}" for line in cell.source.split("\n")))
    return "\n\n".join(parts) + "\n"


def saved_as_script(notebook: Path, folder: Path, style: str) -> Path:
    """`notebook` written into `folder` as a script of `style` (see `as_script`), under its own name."""
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"{notebook.stem}.py"
    script.write_text(as_script(nbformat.read(str(notebook), as_version=4), style))
    return script


def solution_notebook(suite_id: str, folder: Path) -> Path:
    """The committed notebook (notebooks/) with each function cell's stub replaced by the solution's function."""
    import nbformat

    suite = assignment(suite_id)
    text = (SOLUTIONS / f"{suite.module}.py").read_text()
    lines = text.split("\n")
    functions = {}
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            functions[node.name] = "\n".join(lines[start - 1:node.end_lineno])
    notebook = nbformat.read(str(ROOT / "notebooks" / suite.notebook), as_version=4)
    replaced = set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        definitions = [n for n in ast.parse(cell.source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        if len(definitions) == 1 and definitions[0].name in functions:
            cell.source = functions[definitions[0].name]
            replaced.add(definitions[0].name)
    graded = {f for e in suite.exercises for f in e.functions}
    assert graded <= replaced, f"no cell for {sorted(graded - replaced)}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / suite.notebook
    nbformat.write(notebook, str(path))
    return path
