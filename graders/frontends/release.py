"""`cvgrade release OUT/`: the learners' bundle, written from the course team's repository.

A learner gets the committed files of the top-level parts that are theirs by the project's layout
(`LEARNER_PARTS`: stubs and course code, the graders, the fixtures, the notebooks when there are
any, the set-up files) and nothing else: no solutions/, tests/, bench/, docs/ or CI, and no new
file git does not track yet (it is named, to be committed or removed). Inside those parts, what
stays out is derived from the registry and from solutions/, never from a list kept by hand:

- every file of any assignment's `hidden_data` (hidden sets, their recipes and answers);
- every reference observation of an exercise whose probe takes trusted-side inputs
  (`params_factory`: the hidden inputs, or whatever may be made from them);
- every file named as a trained model or results file (`model_files`) and every file whose bytes
  are those of a file under solutions/ (trained reference models, saliency maps, copied answers);
- every module or notebook that defines a function of solutions/ other than those the stubs hand
  out as they are (a solved notebook or a scratch file left in the repository, say).

`pyproject.toml` loses its `solutions` package and runs the graders when pytest is given no
path; `README.md` is the learner's, from `release_readme.md`. The bundle's graders score trained
models on public data (`common.scoring_set`) and stand the learner's own functions in for the
solutions (`references.reference_code`).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from string import Template

from graders.frontends.project_files import project_files, solutions_folder, uncommitted_files
from graders.judge.references import reference_path
from graders.shared import files
from graders.shared.paths import FIXTURES, ROOT, SOLUTIONS
from graders.shared.registry import Assignment, all_assignments

# The top-level parts of the layout (docs/internals.md) a learner gets; anything else stays out.
LEARNER_PARTS = ("exercises", "notebooks", "graders", "fixtures", "conftest.py", "pyproject.toml", "dev",
                 ".gitignore")
README_TEMPLATE = Path(__file__).with_name("release_readme.md")
UNCOMMITTED = "new, and git does not track it: commit it to hand it out"


class ReleaseRefused(Exception):
    """The bundle was not written; the message says why in one sentence."""


@dataclass(frozen=True)
class Plan:
    """What goes into the bundle (paths relative to the repository) and what was left out, and why."""

    copied: tuple[str, ...]
    left_out: dict[str, str]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _without_docstring(node: ast.AST) -> ast.AST:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        node.body = body[1:] or [ast.Pass()]
    return node


def function_trees(code: str) -> set[str]:
    """Every function in `code` (nested ones too), as its syntax tree without docstring or
    positions: two copies of one function agree however they are commented or spaced."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    return {ast.dump(_without_docstring(node), annotate_fields=False, include_attributes=False)
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def code_of(path: Path) -> list[str]:
    """The Python a file holds: a module, or each code cell of a notebook (IPython's `!` and `%`
    lines left out, so that the rest parses)."""
    if path.suffix == ".py":
        return [path.read_text(errors="replace")]
    if path.suffix != ".ipynb":
        return []
    try:
        cells = json.loads(path.read_text(errors="replace")).get("cells", [])
    except (ValueError, AttributeError):
        return []
    sources = ["".join(c.get("source", "")) if isinstance(c.get("source"), list) else str(c.get("source", ""))
               for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    return ["\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("!", "%")))
            for source in sources]


def answer_functions(root: Path) -> set[str]:
    """The syntax trees of the solutions' functions, but those the stub of the same name in
    exercises/ hands out as they are (the course's given code)."""
    answers = set()
    for solved in sorted((root / solutions_folder()).glob("*.py")):
        stub = root / "exercises" / solved.name
        given = function_trees(stub.read_text()) if stub.is_file() else set()
        answers |= function_trees(solved.read_text()) - given
    return answers


def plan(root: Path = ROOT, assignments: list[Assignment] | None = None) -> Plan:
    """The bundle's files and the reasons others stay out (see the module's docstring)."""
    assignments = all_assignments() if assignments is None else assignments
    hidden = {path for a in assignments for path in a.hidden_data}
    model_names = {name for a in assignments for name in a.model_files}
    trusted_inputs = {str(reference_path(a.id, e.id).relative_to(FIXTURES.parent))
                      for a in assignments for e in a.exercises if e.params_factory is not None}
    solution_bytes = {_sha256(path) for path in (root / solutions_folder()).rglob("*")
                      if path.is_file() and path.stat().st_size > 0}
    hidden_bytes = {_sha256(root / path) for path in hidden if (root / path).is_file()}
    answers = answer_functions(root)
    copied, left_out = [], {}
    for name in project_files(root):
        part = name.split("/", 1)[0]
        if part not in LEARNER_PARTS:
            left_out.setdefault(part, "the learner's README.md (written from release_readme.md) replaces it"
                                if name == "README.md" else "not a learner's part of the layout")
            continue
        digest = _sha256(root / name) if (root / name).stat().st_size > 0 else ""
        if name in hidden or digest in hidden_bytes:
            left_out[name] = "hidden data"
        elif name in trusted_inputs:
            left_out[name] = "a reference observation of inputs the trusted side supplies"
        elif Path(name).name in model_names:
            left_out[name] = "a trained model or results file"
        elif digest in solution_bytes:
            left_out[name] = "the same bytes as a file of the solutions"
        elif any(function_trees(code) & answers for code in code_of(root / name)):
            left_out[name] = "it defines a function of the solutions"
        else:
            copied.append(name)
    for name in uncommitted_files(root):
        if name.split("/", 1)[0] in LEARNER_PARTS:
            left_out[name] = UNCOMMITTED
    return Plan(tuple(copied), left_out)


def learner_pyproject(text: str) -> str:
    """The project's pyproject.toml without the solutions package, and with pytest, given no path,
    running the graders (the bundle has no tests/)."""
    text = re.sub(r'"solutions\*?",\s*', "", text)
    text = re.sub(r'testpaths\s*=\s*\[[^\]]*\]', 'testpaths = ["graders"]', text)
    settings = tomllib.loads(text)
    packages = settings["tool"]["setuptools"]["packages"]["find"]["include"]
    if any("solutions" in pattern for pattern in packages) or \
            settings["tool"]["pytest"]["ini_options"].get("testpaths") != ["graders"]:
        raise ReleaseRefused("pyproject.toml could not be adjusted for the bundle (its solutions package or "
                             "its testpaths are written in an unexpected form)")
    return text


def learner_readme(assignments: list[Assignment]) -> str:
    """The bundle's README.md, from `release_readme.md` and the registry."""
    rows = ["| id | points | kind | fill in | or the notebook | title |", "| --- | --- | --- | --- | --- | --- |"]
    for a in assignments:
        rows.append(f"| `{a.id}` | {a.max_points:g} | {'graded' if a.counts_for_grade else 'practice'} | "
                    f"`exercises/{a.module}.py` | `notebooks/{a.notebook}` | {a.title} |")
    scored = ", ".join(a.id.upper() for a in assignments if a.hidden_data)
    return Template(README_TEMPLATE.read_text()).substitute(assignments="\n".join(rows), hidden_assignments=scored)


def release(out: Path, force: bool = False, root: Path = ROOT) -> tuple[list[Path], Plan]:
    """Write the bundle into `out` (refused when `out` is not empty, unless `force`); the files
    written, and the plan they came from (what was left out, and why)."""
    out = out.resolve()
    if out == root.resolve() or any(out.is_relative_to(root.resolve() / part) for part in LEARNER_PARTS):
        raise ReleaseRefused(f"{out} is inside the repository's own files; write the bundle elsewhere")
    if out.exists() and not out.is_dir():
        raise ReleaseRefused(f"{out} is a file, not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise ReleaseRefused(f"{out} is not empty; choose an empty folder, or pass --force to write over it")
    if not SOLUTIONS.is_dir():
        raise ReleaseRefused("this copy has no solutions/, so it is a bundle already: release from the course "
                             "team's repository")
    assignments = all_assignments()
    bundle = plan(root, assignments)
    written = []
    for name in bundle.copied:
        source, target = root / name, out / name
        if name == "pyproject.toml":
            files.atomic_write_text(target, learner_pyproject(source.read_text()))
        else:
            files.atomic_write_bytes(target, source.read_bytes())
        if os.access(source, os.X_OK):
            target.chmod(target.stat().st_mode | 0o111)
        written.append(target)
    readme = out / "README.md"
    files.atomic_write_text(readme, learner_readme(assignments))
    written.append(readme)
    return written, bundle
