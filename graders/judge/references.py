"""Reference observations: what each probe observes of `solutions/`, cached under `fixtures/`.

The trusted side judges a learner's observation against these files, so it
never needs to import the solutions or TensorFlow. `observe.regenerate` rebuilds
them (`cvgrade fixtures ASSIGNMENT`); a test fails when they and the solutions disagree.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import io
import marshal
import re
import tokenize
from pathlib import Path

from graders.shared import wire
from graders.shared.paths import FIXTURES, REFERENCE_FILENAME, SOLUTIONS
from graders.shared.registry import Assignment


def reference_path(assignment_id: str, exercise_id: str) -> Path:
    return FIXTURES / assignment_id / "reference" / f"{exercise_id}.npz"


def load_reference(assignment_id: str, exercise_id: str):
    path = reference_path(assignment_id, exercise_id)
    if not path.exists():
        raise FileNotFoundError(
            f"no reference observation at {path}; run `cvgrade fixtures {assignment_id}`")
    return wire.load(path)


class NoSolutions(FileNotFoundError):
    """This copy has no solutions/ (a learner's bundle, made by `cvgrade release`)."""


def solutions_here() -> bool:
    return SOLUTIONS.is_dir()


def require_solutions(what: str) -> None:
    """Refuse `what` (a sentence's subject, e.g. "regenerating the reference observations")
    where there are no solutions to observe."""
    if not solutions_here():
        raise NoSolutions(f"{what} needs the solutions, and this copy of the graders has none ({SOLUTIONS} "
                          "is missing: a learner's copy); do it in the course team's repository")


def reference_code(assignment: Assignment, names: tuple[str, ...]) -> bytes:
    """The imports, constants and the functions `names` of the solution module, compiled.

    Only these travel to a learner's worker, with the one probe that stands them in for a
    broken earlier exercise; the rest of the solution stays on the trusted side. They travel as
    a code object (marshal bytes behind the interpreter's magic number), never as source: no
    docstring, no comment, every line number 1, so learner code that finds them can disassemble
    them but cannot print the solution's text.

    Without solutions/ (a learner's bundle) nothing is sent, and the worker stands the learner's
    own functions of those names in (`probing.OwnStandIns`), saying so in the exercise's notes."""
    if not names or not solutions_here():
        return b""
    return _solution_code(assignment.module, tuple(names))


def _solution_nodes(module: str, names: tuple[str, ...]) -> tuple[list[ast.stmt], str]:
    path = SOLUTIONS / f"{module}.py"
    code = path.read_text()
    kept, found = [], set()
    for node in ast.parse(code, str(path)).body:
        constant = isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        wanted = isinstance(node, ast.FunctionDef) and node.name in names
        if isinstance(node, (ast.Import, ast.ImportFrom)) or constant or wanted:
            kept.append(node)
            found.update([node.name] if wanted else [])
    missing = set(names) - found
    if missing:
        raise LookupError(f"{path} defines no {', '.join(sorted(missing))}")
    return kept, code


def _without_docstrings_or_positions(tree: ast.Module) -> ast.Module:
    """Docstrings dropped (an empty body gets `pass`) and every node placed at line 1, column 0,
    so the compiled code carries neither the solution's prose nor its layout."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    for node in ast.walk(tree):
        if "lineno" in node._attributes:
            node.lineno = node.end_lineno = 1
            node.col_offset = node.end_col_offset = 0
    return tree


@functools.lru_cache(maxsize=None)
def _solution_code(module: str, names: tuple[str, ...]) -> bytes:
    """Compiled once per process: a batch sends it with every learner's probe."""
    nodes, _ = _solution_nodes(module, names)
    tree = _without_docstrings_or_positions(ast.Module(body=nodes, type_ignores=[]))
    compiled = compile(tree, REFERENCE_FILENAME, "exec", dont_inherit=True)
    return importlib.util.MAGIC_NUMBER + marshal.dumps(compiled)


@functools.lru_cache(maxsize=None)
def solution_lines(min_length: int = 12) -> tuple[str, ...]:
    """The distinctive lines of every solution function some exercise stands in (stripped, without
    comments or docstrings, at least `min_length` characters): text results must never show."""
    from graders.shared.registry import all_assignments

    lines: set[str] = set()
    for assignment in all_assignments():
        names = tuple(sorted({n for e in assignment.exercises for n in e.stand_ins}))
        if not names:
            continue
        nodes, code = _solution_nodes(assignment.module, names)
        text = _without_comments(code).splitlines()
        for node in nodes:
            if not isinstance(node, ast.FunctionDef):
                continue
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring: prose, not the solution's code
            for statement in body:
                for line in text[statement.lineno - 1:statement.end_lineno]:
                    if len(line.strip()) >= min_length:
                        lines.add(line.strip())
    # A line the grader itself prints in a hint (the wiring of two parts, say) is no secret.
    published = [h.message for a in all_assignments() for e in a.exercises for h in e.hints]
    return tuple(sorted(line for line in lines
                        if not any(re.search(line_pattern(line), text) for text in published)))


def line_pattern(line: str) -> str:
    """A regular expression for one line of code, token by token: any spacing between tokens,
    either quote character."""
    tokens = re.findall(r"\w+|\S", line)
    return r"\s*".join("[\"']" if token in "\"'" else re.escape(token) for token in tokens)


def _without_comments(code: str) -> str:
    """`code` with every comment blanked, lines kept where they were."""
    lines = code.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT:
            row, column = token.start
            lines[row - 1] = lines[row - 1][:column]
    return "\n".join(lines)


