"""Turn a learner's course notebook (.ipynb) into a `SubmissionSource`.

The course notebooks were written for Google Colab: they download data, train,
plot and save at top level, and mix in IPython syntax (`!pip ...`,
`%tensorflow_version 2.x`, `%%capture`). The grader runs only the graded
definitions, so the loader keeps imports, function and class definitions and
call-free assignments (constants), leaves everything else out of the run and
says what it left out.

The work is a pipeline of small steps, stated in order in `PIPELINE`; each step
takes the one `NotebookWork` and fills in its part of it:

1. `read_notebook`      bytes -> UTF-8 text -> JSON -> nbformat v4 notebook
2. `collect_code_cells` code cells only, in notebook order
3. `strip_ipython`      `!`/`%` lines -> `pass`, `%%` cells left out whole
4. `parse_cells`        `ast` per cell; a cell that does not parse is left out;
                        the statements are counted against `SubmissionCaps`
5. `select_statements`  keep or leave out each top-level statement (the grading
                        cell of a notebook `cvgrade notebooks` wrote: out, unlisted)
6. `synthesize_steps`   top-level code such as `model.compile(...)` as functions
7. `render_code`        the code to run and the account of what was left out

Cells are numbered by their position in the notebook, from 1, markdown cells
included (what a learner counts when scrolling). Lines are numbered within
their cell, from 1.

Line numbers of the generated code map back to the notebook: every run of code
from a cell is preceded by a marker comment `# cell N` (the run starts at the
cell's line 1) or `# cell N, line K`, and the lines after the marker are the
cell's lines K, K+1, ... in order (a line left out of the run stays as a blank
line, or a new marker starts where a long stretch was left out). A synthesized
function carries its marker on its `def` line, and one more before the part of
each further cell it takes (a span crosses cells). `notebook_position` reads the
markers back.

This module runs in the trusted process: it must not import TensorFlow, and
imports nbformat only when a notebook is read.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from graders.shared.registry import TopLevelStep
from graders.submissions.source import SubmissionCaps, SubmissionError, SubmissionSource, count_statements

__all__ = [
    "PIPELINE",
    "NotebookWork",
    "load_notebook",
    "notebook_position",
    "notebook_positions",
]

# How much of a statement or line the account of left-out code quotes.
QUOTE_CHARS = 60
# A stretch of left-out lines longer than this inside a cell starts a new
# marker comment instead of blank lines.
MAX_BLANK_GAP = 3

_BUILTIN_NAMES = frozenset(dir(builtins))
# The module of the cell that grades a notebook from inside it (`cvgrade notebooks` writes it
# last in each notebook): that cell is the grader's, not the learner's code, so its import and
# its calls are left out of the run without a word (run, it would grade inside the grading).
GRADING_MODULE = "graders.frontends.notebook_grading"
_STAR = "*"  # in a set of bound names: a star import may bind any name


# ---------------------------------------------------------------------------
# The data the steps work on
# ---------------------------------------------------------------------------
@dataclass(eq=False)
class Statement:
    """One top-level statement of a cell and what became of it."""

    node: ast.stmt
    kept: bool = False
    note: str | None = None  # why it was left out, shown to the learner
    in_function: bool = False  # went into a synthesized step function


@dataclass(eq=False)
class Cell:
    """A code cell: its number in the notebook and its (Python-only) source."""

    number: int
    source: str
    tree: ast.Module | None = None
    statements: list[Statement] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return self.source.split("\n")


@dataclass(eq=False)
class SynthesizedFunction:
    """A `TopLevelStep` turned into a function: its statements by cell, in notebook order
    (one cell, but for a span, which may cross cells)."""

    step: TopLevelStep
    parameters: tuple[str, ...]
    returns: tuple[str, ...]
    parts: list[tuple[Cell, list[ast.stmt]]]


@dataclass(eq=False)
class NotebookWork:
    """Everything the pipeline steps read and write, for one notebook."""

    path: Path
    steps: tuple[TopLevelStep, ...] = ()
    caps: SubmissionCaps = SubmissionCaps()
    notebook: object | None = None  # nbformat.NotebookNode, v4
    cells: list[Cell] = field(default_factory=list)
    # (cell number, line in the cell, message); statement notes are added at the end
    notes: list[tuple[int, int, str]] = field(default_factory=list)
    bound: set[str] = field(default_factory=set)  # names the kept code binds
    future_annotations: bool = False
    functions: list[SynthesizedFunction] = field(default_factory=list)
    code: str = ""
    left_out: list[str] = field(default_factory=list)
    script: str = ""  # the text of a notebook saved as a script (read by the loader)
    unmarked_script: bool = False  # a script without cell markers: the whole file is one cell

    @property
    def filename(self) -> str:
        return self.path.name


Step = Callable[[NotebookWork], None]


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
def _quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """First line of `text`, stripped and cut to about `limit` characters."""
    lines = text.strip().split("\n")
    first = lines[0].strip() if lines else ""
    if len(first) > limit:
        return first[: limit - 3].rstrip() + "..."
    if len(lines) > 1:
        return first + " ..."
    return first


def _statement_text(node: ast.stmt) -> str:
    """A short one-line rendering of a statement (a decorated definition shows
    its decorators and its `def` line)."""
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - ast.unparse handles what ast.parse makes
        return type(node).__name__
    decorators = len(getattr(node, "decorator_list", ()))
    if decorators:
        lines = text.split("\n")
        text = " ".join(lines[: decorators + 1]) + ("\n..." if len(lines) > decorators + 1 else "")
    return _quote(text)


def _quietly(function, *args, **kwargs):
    """Call `function` (ast.parse, compile) without printing SyntaxWarnings
    (`"\\d"`, `1if x else 2`) in the grader's process; the run shows them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


class _Columns:
    """Character indexes of UTF-8 byte offsets in the lines of one cell (ast offsets are
    bytes). Each line is measured at most once, so a line holding thousands of statements
    (`a1 = 1; a2 = 2; ...`) costs its length once, not once per statement."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self._tables: dict[int, list[int]] = {}  # line index -> character index of each byte

    def char(self, index: int, col: int) -> int:
        """The character index in line `index` (from 0) of byte offset `col`; an offset
        inside a character counts as that character's start."""
        line = self.lines[index]
        if line.isascii():
            return min(col, len(line))
        table = self._tables.get(index)
        if table is None:
            table = []
            for position, char in enumerate(line):
                table.extend([position] * len(char.encode("utf-8", errors="surrogatepass")))
            self._tables[index] = table
        return table[col] if col < len(table) else len(line)


def _start(node: ast.stmt) -> tuple[int, int]:
    """(line, byte column) where a top-level statement starts, decorators included."""
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        return min(d.lineno for d in decorators), 0  # the `@` of a top-level def is at column 0
    return node.lineno, node.col_offset


def _segment(columns: _Columns, node: ast.stmt) -> tuple[int, list[str]]:
    """The source lines of a top-level statement: (first line number, lines).

    The first line starts where the statement starts (after a `;` when it shares
    a line); the last line ends where it ends (without a trailing `;` or comment).
    Only the statement's own text is copied, however long the lines it shares.
    """
    first, col = _start(node)
    last, end_col = node.end_lineno, node.end_col_offset
    lines = columns.lines
    start, end = columns.char(first - 1, col), columns.char(last - 1, end_col)
    if first == last:
        return first, [lines[first - 1][start:end]]
    return first, [lines[first - 1][start:], *lines[first : last - 1], lines[last - 1][:end]]


def _string_interior_lines(node: ast.AST) -> set[int]:
    """Lines that begin inside a multi-line string literal (must not be re-indented)."""
    inside: set[int] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.JoinedStr) or (
            isinstance(sub, ast.Constant) and isinstance(sub.value, (str, bytes))
        ):
            if sub.end_lineno is not None and sub.end_lineno > sub.lineno:
                inside.update(range(sub.lineno + 1, sub.end_lineno + 1))
    return inside


# ---------------------------------------------------------------------------
# What a statement executes, loads and binds
# ---------------------------------------------------------------------------
def _annotations(args: ast.arguments) -> list[ast.expr]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return [a.annotation for a in every if a is not None and a.annotation is not None]


def _defaults(args: ast.arguments) -> list[ast.expr]:
    return [*args.defaults, *(d for d in args.kw_defaults if d is not None)]


def _executed(node: ast.AST, eager_annotations: bool = True, class_bodies: bool = True) -> Iterator[ast.AST]:
    """The nodes evaluated when `node` runs: function and lambda bodies are skipped,
    their decorators, defaults and (unless postponed) annotations are not."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
            children = [*current.decorator_list, *_defaults(current.args)]
            if eager_annotations:
                children += _annotations(current.args)
                if current.returns is not None:
                    children.append(current.returns)
        elif isinstance(current, ast.Lambda):
            children = _defaults(current.args)
        elif isinstance(current, ast.ClassDef):
            children = [*current.decorator_list, *current.bases, *current.keywords]
            if class_bodies:
                children += current.body
        elif isinstance(current, ast.AnnAssign) and not eager_annotations:
            children = [current.target] + ([current.value] if current.value else [])
        else:
            children = list(ast.iter_child_nodes(current))
        stack.extend(reversed(children))


def _calls_something(node: ast.AST | None) -> bool:
    return node is not None and any(isinstance(n, ast.Call) for n in _executed(node))


def _bound_names(node: ast.AST) -> set[str]:
    """Names that running `node` at module level binds ('*' for a star import)."""
    names: set[str] = set()
    for sub in _executed(node, class_bodies=False):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            for alias in sub.names:
                if alias.name == "*":
                    names.add(_STAR)
                else:
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(sub.name)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            names.add(sub.name)
    return names


def _loaded_names(node: ast.AST, eager_annotations: bool) -> set[str]:
    """Names that running `node` looks up, less those it binds for itself in
    comprehensions and class bodies (an approximation that errs on the side of keeping)."""
    loaded: set[str] = set()
    local: set[str] = set()
    for sub in _executed(node, eager_annotations):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Load, ast.Del)):
            loaded.add(sub.id)
        elif isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            loaded.add(sub.target.id)
        elif isinstance(sub, ast.comprehension):
            local |= _bound_names(sub.target)
        elif isinstance(sub, ast.NamedExpr):
            local.add(sub.target.id)
        elif isinstance(sub, ast.ClassDef) and sub is not node:
            local.add(sub.name)
    if isinstance(node, ast.ClassDef):
        for statement in node.body:
            local |= _bound_names(statement)
    return loaded - local


def _compound_parts(node: ast.stmt) -> tuple[list[ast.expr], list[list[ast.stmt]]] | None:
    """(expressions the statement itself evaluates, its nested bodies) for the
    compound statements that may be kept (if/try/with); None for others."""
    if isinstance(node, ast.If):
        return [node.test], [node.body, node.orelse]
    if isinstance(node, (ast.Try, ast.TryStar)):
        types = [h.type for h in node.handlers if h.type is not None]
        return types, [node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.context_expr for item in node.items], [node.body]
    return None


def _missing_names(node: ast.stmt, bound: set[str], eager_annotations: bool,
                   inner: tuple[set[str], ...] = ()) -> set[str]:
    """Names `node` would look up that neither `bound`, the `inner` sets (names bound
    earlier inside the enclosing if/try/with) nor the builtins provide. `bound` is never
    copied: a notebook of thousands of `if`s costs each one its own names only."""

    def unbound(names: set[str]) -> set[str]:
        return {name for name in names - bound - _BUILTIN_NAMES if not any(name in s for s in inner)}

    if _STAR in bound or any(_STAR in s for s in inner):
        return set()
    parts = _compound_parts(node)
    if parts is None:
        return unbound(_loaded_names(node, eager_annotations))
    expressions, bodies = parts
    missing: set[str] = set()
    for expression in expressions:
        missing |= unbound(_loaded_names(expression, eager_annotations))
    local = _header_bound_names(node)
    scopes = (*inner, local)
    for body in bodies:
        for statement in body:
            missing |= _missing_names(statement, bound, eager_annotations, scopes)
            local |= _bound_names(statement)
    return missing


def _header_bound_names(node: ast.stmt) -> set[str]:
    """What a with/try binds for its bodies: `with ... as name`, `except ... as name`."""
    names: set[str] = set()
    if isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if item.optional_vars is not None:
                names |= _bound_names(item.optional_vars)
    if isinstance(node, (ast.Try, ast.TryStar)):
        names |= {h.name for h in node.handlers if h.name}
    return names


def _is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == '__main__':` (either way round)."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main


def _keepable(node: ast.stmt) -> bool:
    """Whether a statement is of a kind the grader runs: a definition, an import,
    a call-free assignment, `pass`, a constant, or if/try/with made only of those."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef, ast.Pass)):
        return True
    if isinstance(node, ast.Assign):
        return not any(_calls_something(n) for n in [node.value, *node.targets])
    if isinstance(node, ast.AugAssign):
        return not _calls_something(node.value) and not _calls_something(node.target)
    if isinstance(node, ast.AnnAssign):
        return not any(_calls_something(n) for n in (node.value, node.target, node.annotation))
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Constant)
    if _is_main_guard(node):
        return False
    parts = _compound_parts(node)
    if parts is None:
        return False
    expressions, bodies = parts
    if any(_calls_something(e) for e in expressions):
        return False
    return all(_keepable(s) for body in bodies for s in body)


def _grading_import(node: ast.stmt) -> set[str]:
    """The names an import of `GRADING_MODULE` binds (empty for any other statement)."""
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == GRADING_MODULE:
        return {alias.asname or alias.name for alias in node.names}
    if isinstance(node, ast.Import) and all(alias.name == GRADING_MODULE for alias in node.names):
        return {alias.asname or alias.name.split(".")[0] for alias in node.names}
    return set()


def _grading_call(node: ast.stmt, names: set[str]) -> bool:
    """`grade_notebook(...)` (or `result = grade_notebook(...)`) of a name the grading import bound."""
    value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    if not isinstance(value, ast.Call):
        return False
    function = value.func
    while isinstance(function, ast.Attribute):
        function = function.value
    return isinstance(function, ast.Name) and function.id in names


def _is_future_import(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__" and node.level == 0


# ---------------------------------------------------------------------------
# Step 1: read
# ---------------------------------------------------------------------------
def read_notebook(work: NotebookWork) -> None:
    """Read the file as UTF-8 JSON and convert it to an nbformat v4 notebook,
    without validating it against the schema (course notebooks often lack
    optional metadata)."""
    name = work.filename
    try:
        data = work.path.read_bytes()
    except OSError as error:
        raise SubmissionError(f"{name} could not be read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SubmissionError(
            f"{name} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "a notebook is a UTF-8 JSON file: save it again from Jupyter or Colab"
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(
            f"{name} is not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise SubmissionError(f"{name} is not valid JSON: {error}") from None
    if not isinstance(document, dict) or "nbformat" not in document:
        raise SubmissionError(f"{name} is JSON but not a Jupyter notebook (it has no \"nbformat\" field)")
    major = document.get("nbformat")
    if not isinstance(major, int) or isinstance(major, bool) or major not in (3, 4):
        raise SubmissionError(
            f"{name} has notebook format {major!r}; only format 4 (and 3, converted) can be graded"
        )
    if major == 4 and not isinstance(document.get("cells", []), list):
        raise SubmissionError(f"{name} is not a Jupyter notebook (its \"cells\" is not a list)")

    import nbformat  # here, not at module level: it pulls in jsonschema (~0.2 s)

    try:
        notebook = nbformat.convert(nbformat.from_dict(document), 4)
    except MemoryError:
        raise  # the reader's limit, not a malformed notebook
    except Exception as error:  # nbformat raises many kinds on malformed input
        raise SubmissionError(f"{name} could not be read as a notebook: {error}") from None
    work.notebook = notebook


# ---------------------------------------------------------------------------
# Step 2: code cells
# ---------------------------------------------------------------------------
def collect_code_cells(work: NotebookWork) -> None:
    """Code cells in notebook order; their source (a string or a list of
    strings) joined, with line ends made `\\n`."""
    raw_cells = work.notebook.get("cells") if isinstance(work.notebook, dict) else None
    if not isinstance(raw_cells, list):
        raw_cells = []
    any_code_cell = False
    for number, raw in enumerate(raw_cells, start=1):
        if not isinstance(raw, dict) or raw.get("cell_type") != "code":
            continue
        any_code_cell = True
        source = raw.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            work.notes.append((number, 0, f"cell {number} has no readable source and was left out"))
            continue
        source = source.replace("\r\n", "\n").replace("\r", "\n")
        if source.strip():
            work.cells.append(Cell(number, source))
    if not any_code_cell:
        raise SubmissionError(f"{work.filename} has no code cells")
    if not work.cells:
        raise SubmissionError(f"{work.filename} has no code: all its code cells are empty")


# ---------------------------------------------------------------------------
# Step 3: IPython syntax
# ---------------------------------------------------------------------------
_ESCAPED_ASSIGNMENT = re.compile(r"[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*([!%])")
_HELP = re.compile(r"\?{1,2}\s*[\w.]+|[\w.]+\s*\?{1,2}")


class _LineScanner:
    """Follows brackets, strings and backslash continuations from line to line,
    enough to tell whether a line starts a new logical line (where IPython looks
    for `!`, `%` and `?`)."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None  # the delimiter of a string still open
        self.continued = False

    @property
    def at_logical_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        self.continued = False
        i, n = 0, len(line)
        while i < n:
            if self.quote is not None:
                k = i
                while k < n:
                    if line[k] == "\\":
                        k += 2
                    elif line.startswith(self.quote, k):
                        break
                    else:
                        k += 1
                if k >= n:  # still open at the end of the line
                    if len(self.quote) == 1 and not line.endswith("\\"):
                        self.quote = None  # unterminated: the parser will say so
                    return
                i = k + len(self.quote)
                self.quote = None
                continue
            char = line[i]
            if char == "#":
                return
            if char in "\"'":
                self.quote = line[i : i + 3] if line[i : i + 3] in ('"""', "'''") else char
                i += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            elif char == "\\" and i == n - 1:
                self.continued = True
            i += 1


def _ipython_kind(stripped: str) -> str | None:
    """What IPython would make of a logical line: 'shell', 'magic', 'help' or None (Python)."""
    if stripped.startswith("!"):
        return "shell"
    if stripped.startswith("%"):
        return "magic"
    match = _ESCAPED_ASSIGNMENT.match(stripped)
    if match:
        return "shell" if match.group(1) == "!" else "magic"
    if "?" in stripped and _HELP.fullmatch(stripped):
        return "help"
    return None


def strip_ipython(work: NotebookWork) -> None:
    """Replace IPython lines by `pass` at the same indentation (so blocks stay
    valid); leave `%%` cell-magic cells out whole."""
    cells: list[Cell] = []
    for cell in work.cells:
        lines = cell.lines
        first = next(line for line in lines if line.strip())
        if first.lstrip().startswith("%%"):
            work.notes.append((cell.number, 0,
                               f"cell {cell.number}: cell magic `{_quote(first)}` (the whole cell was left out)"))
            continue
        scanner = _LineScanner()
        escaped_continues = False  # the previous line was an escaped line ending in `\`
        for index, line in enumerate(lines):
            if escaped_continues:
                lines[index] = ""
                escaped_continues = line.endswith("\\")
                continue
            stripped = line.strip()
            kind = _ipython_kind(stripped) if scanner.at_logical_start and stripped else None
            if kind is None:
                scanner.feed(line)
                continue
            indent = line[: len(line) - len(line.lstrip())]
            lines[index] = indent + "pass"
            escaped_continues = kind != "help" and line.endswith("\\")
            if escaped_continues:  # a command continued on the next lines
                stripped = stripped[:-1].rstrip() + " ..."
            work.notes.append((cell.number, index + 1, f"cell {cell.number}: {kind} line `{_quote(stripped)}`"))
        cell.source = "\n".join(lines)
        cells.append(cell)
    work.cells = cells


# ---------------------------------------------------------------------------
# Step 4: parse
# ---------------------------------------------------------------------------
def parse_cells(work: NotebookWork) -> None:
    """Parse each cell on its own; one that does not parse is left out and the
    others go on. The statements are counted as the cells are parsed, and the
    notebook is refused at the first cell that takes the count over the cap."""
    parsed: list[Cell] = []
    statements = 0
    for index, cell in enumerate(work.cells):
        try:
            cell.tree = _quietly(ast.parse, cell.source, filename=work.filename)
        except SyntaxError as error:
            where = f"line {error.lineno}: {error.msg}" if error.lineno else error.msg
            work.notes.append((cell.number, 0, f"cell {cell.number} does not parse ({where}) and was left out"))
            continue
        except (ValueError, UnicodeError, RecursionError, MemoryError) as error:
            work.notes.append((cell.number, 0, f"cell {cell.number} does not parse ({error}) and was left out"))
            continue
        statements += count_statements(cell.tree)
        if statements > work.caps.max_statements and index + 1 < len(work.cells):
            work.caps.check_statements(work.filename, statements, f"counted in cells 1 to {cell.number} "
                                       f"of {work.cells[-1].number}")
        cell.statements = [Statement(node) for node in cell.tree.body]
        parsed.append(cell)
    work.caps.check_statements(work.filename, statements)
    work.cells = parsed


# ---------------------------------------------------------------------------
# Step 5: keep or leave out
# ---------------------------------------------------------------------------
def _left_out(cell: Cell, node: ast.stmt) -> str:
    """How the account names a statement left out (made only for those: it unparses the node)."""
    return f"cell {cell.number}: `{_statement_text(node)}`"


def select_statements(work: NotebookWork) -> None:
    """Keep definitions, imports, call-free assignments, `pass`, constants and
    if/try/with made only of those; leave out the rest. A statement that would
    look up a name the kept code does not define (say `steps = n_train // 32`
    where `n_train = len(images)` was left out) is left out too, so that running
    the kept code does not stop at a NameError."""
    bound = set(_BUILTIN_NAMES)
    kept_count = 0
    kept_other = False  # kept something a __future__ import may not follow
    grading_names: set[str] = set()  # what an import of GRADING_MODULE bound
    for cell in work.cells:
        for statement in cell.statements:
            node = statement.node
            imported = _grading_import(node)
            if imported or _grading_call(node, grading_names):
                grading_names |= imported
                continue  # the grading cell: not the learner's code, and not worth a note
            if not _keepable(node):
                statement.note = _left_out(cell, node)
                continue
            if _is_future_import(node) and kept_other:
                statement.note = f"{_left_out(cell, node)} (a __future__ import must come before other code)"
                continue
            try:
                _quietly(compile, ast.Module(body=[node], type_ignores=[]), work.filename, "exec", dont_inherit=True)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
                line = getattr(error, "lineno", None)
                message = getattr(error, "msg", None) or str(error)
                where = f"line {line}: {message}" if line else message
                statement.note = f"{_left_out(cell, node)} does not compile ({where})"
                continue
            missing = _missing_names(node, bound, not work.future_annotations)
            if missing:
                names = ", ".join(f"`{name}`" for name in sorted(missing))
                statement.note = f"{_left_out(cell, node)} (uses {names}, which the kept code does not define)"
                continue
            statement.kept = True
            names = _bound_names(node)
            bound |= names
            work.bound |= names
            if _is_future_import(node):
                work.future_annotations |= any(a.name == "annotations" for a in node.names)
            elif not (kept_count == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                      and isinstance(node.value.value, str)):
                kept_other = True  # anything but a module docstring
            kept_count += 1


# ---------------------------------------------------------------------------
# Step 6: top-level steps as functions
# ---------------------------------------------------------------------------
def _method_call_receiver(node: ast.stmt, method: str) -> str | None:
    """`name` when `node` is the expression statement `name.<method>(...)`."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        if isinstance(func, ast.Attribute) and func.attr == method and isinstance(func.value, ast.Name):
            return func.value.id
    return None


def _assigned_names(node: ast.stmt) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names: set[str] = set()
    for target in targets:
        names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names


_DEFINING = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom,
             ast.Assign, ast.AnnAssign)


def synthesize_steps(work: NotebookWork) -> None:
    """Each `TopLevelStep` becomes a function made of top-level statements (see
    `TopLevelStep` for the three shapes), unless the notebook defines
    `function` itself (at top level, even where that definition was left out:
    the learner's own attempt is what gets graded)."""
    defined = set(work.bound)  # what the notebook defines, kept or not
    for cell in work.cells:
        for statement in cell.statements:
            if isinstance(statement.node, _DEFINING):
                defined |= _bound_names(statement.node)
    emitted: set[str] = set()
    for step in work.steps:
        if step.function in defined or step.function in emitted:
            continue
        if step.span_from:
            found = _span(work, step)
        else:
            found = _results_cell(work, step) if step.results else _method_cell(work, step)
        if found is None:
            continue
        function, last = found
        cell = function.parts[-1][0]  # the cell of `last`
        try:
            _quietly(compile, _render_function(function), work.filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            work.notes.append((cell.number, last.node.lineno,
                               f"cell {cell.number}: the code up to `{_statement_text(last.node)}` "
                               f"could not be made into `{step.function}` ({getattr(error, 'msg', error)})"))
            continue
        for part_cell, nodes in function.parts:
            in_body = {id(node) for node in nodes}
            for statement in part_cell.statements:
                if id(statement.node) in in_body:
                    statement.in_function = True
        work.functions.append(function)
        emitted.add(step.function)


def _is_assignment(node: ast.stmt) -> bool:
    return isinstance(node, (ast.Assign, ast.AugAssign)) or (isinstance(node, ast.AnnAssign) and node.value is not None)


def _needed(assignments: list[Statement], call: ast.stmt) -> list[Statement]:
    """The assignments `call` needs, directly or through one another: a script without cell
    markers is one long cell, whose data loading must not move into the step's function."""
    wanted = _loaded_names(call, True)
    needed: list[Statement] = []
    for statement in reversed(assignments):
        if _assigned_names(statement.node) & wanted:
            needed.append(statement)
            wanted |= _loaded_names(statement.node, True)
    return needed[::-1]


def _method_cell(work: NotebookWork, step: TopLevelStep):
    """The first `<name>.<method>(...)` and the assignments before it in its cell (in a script
    without cell markers, only those it needs)."""
    for cell in work.cells:
        for index, statement in enumerate(cell.statements):
            receiver = _method_call_receiver(statement.node, step.method)
            if receiver is None:
                continue
            used = [s for s in cell.statements[:index]
                    if _is_assignment(s.node) and receiver not in _assigned_names(s.node)]  # not rebound
            if work.unmarked_script:
                used = _needed(used, statement.node)
            body = [s.node for s in used] + [statement.node]
            return SynthesizedFunction(step, (receiver,), (receiver,), [(cell, body)]), statement
    return None


def _binds_only(node: ast.stmt) -> set[str] | None:
    """The names an assignment, or an `if` made only of assignments, binds; None for anything else."""
    if _is_assignment(node):
        return _bound_names(node) if not isinstance(node, ast.AugAssign) else {
            n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    if isinstance(node, ast.If):
        names: set[str] = set()
        for inner in node.body + node.orelse:
            bound = _binds_only(inner)
            if bound is None:
                return None
            names |= bound
        return names
    return None


_BUILDING_METHODS = ("add", "build")  # calls that finish a result in place: `model.add(Conv2D(...))`


def _builds_result(node: ast.stmt, results: tuple[str, ...]) -> bool:
    return any(_method_call_receiver(node, method) in results for method in _BUILDING_METHODS)


def _results_cell(work: NotebookWork, step: TopLevelStep):
    """The first cell that assigns the step's first result: its assignments (and `if`s of
    assignments) up to the last that sets or builds a result (`model.add(...)`), without those
    that set a parameter."""
    for cell in work.cells:
        bound = [_binds_only(s.node) for s in cell.statements]
        if not any(names and step.results[0] in names for names in bound):
            continue
        builds = [_builds_result(s.node, step.results) for s in cell.statements]
        last = max(i for i, names in enumerate(bound) if (names and names & set(step.results)) or builds[i])
        body = [s.node for s, names, built in zip(cell.statements[:last + 1], bound, builds)
                if built or (names is not None and not names & set(step.parameters))]
        return SynthesizedFunction(step, step.parameters, step.results, [(cell, body)]), cell.statements[last]
    return None


# A span: top-level statements over consecutive cells (C3W2). See `TopLevelStep`.
_STAYS_AT_TOP = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def _starts_span(node: ast.stmt, step: TopLevelStep) -> bool:
    """A statement (not a definition or import) that binds one of `span_from`."""
    return not isinstance(node, _STAYS_AT_TOP) and bool(_bound_names(node) & set(step.span_from))


def _step_starts(node: ast.stmt, step: TopLevelStep) -> bool:
    """Where a step of any shape starts: a span's start, the first binding of a results step's
    first result (as `_results_cell` finds it), a method step's call."""
    if step.span_from:
        return _starts_span(node, step)
    if step.results:
        names = _binds_only(node)
        return bool(names) and step.results[0] in names
    return bool(step.method) and _method_call_receiver(node, step.method) is not None


def _root_name(expression: ast.expr) -> str | None:
    """`a` for `a`, `a.b.c`, `a[0].b`, `a.b().c`."""
    while isinstance(expression, (ast.Attribute, ast.Subscript, ast.Call)):
        expression = expression.func if isinstance(expression, ast.Call) else expression.value
    return expression.id if isinstance(expression, ast.Name) else None


def _span_relevant(node: ast.stmt, step: TopLevelStep) -> bool:
    """Whether a statement can end a span: it binds a result, changes one (an attribute or
    item assignment or deletion on it, a method call on it), calls `.<until_call>(...)`, or is
    a compound statement that holds such a statement."""
    results = set(step.results)
    if _bound_names(node) & results:
        return True
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            if _root_name(sub) in results:
                return True
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            if (step.until_call and sub.func.attr == step.until_call) or _root_name(sub.func.value) in results:
                return True
    return False


def _free_names(nodes: list[ast.stmt], bound: set[str]) -> set[str]:
    """Names the statements, run in order, look up before they bind them (and `bound` lacks).
    Loops and if/try/with are followed into; in other statements every load counts."""
    free: set[str] = set()
    local = set(bound)
    for node in nodes:
        if isinstance(node, (ast.For, ast.AsyncFor)):
            free |= _loaded_names(node.iter, True) - local
            free |= _free_names(node.body + node.orelse, local | _bound_names(node.target))
        elif isinstance(node, ast.While):
            free |= _loaded_names(node.test, True) - local
            free |= _free_names(node.body + node.orelse, local)
        elif (parts := _compound_parts(node)) is not None:
            expressions, bodies = parts
            for expression in expressions:
                free |= _loaded_names(expression, True) - local
            inner = local | _header_bound_names(node)
            for body in bodies:
                free |= _free_names(body, inner)
        else:
            free |= _loaded_names(node, True) - local
        local |= _bound_names(node)
    return free


def _supplied(work: NotebookWork, order: list[tuple[Cell, Statement]], step: TopLevelStep,
              start: int, body: list[int]) -> set[int]:
    """The earlier top-level assignments that the span's body needs (positions in `order`): for
    each name it reads that neither the parameters, the body itself, the kept code nor the
    builtins provide, the last assignment to it before the start, and what that one needs in
    turn. One that binds a parameter is never taken: the probe passes the parameters."""
    if _STAR in work.bound:
        return set()
    parameters = set(step.parameters)
    known = work.bound | parameters | _BUILTIN_NAMES
    wanted = [(name, start) for name in _free_names([order[i][1].node for i in body], known)]
    chosen: set[int] = set()
    while wanted:
        name, before = wanted.pop()
        found = next((i for i in range(before - 1, -1, -1)
                      if _is_assignment(order[i][1].node) and name in _bound_names(order[i][1].node)), None)
        if found is None or found in chosen:
            continue
        statement = order[found][1]
        if statement.kept or _bound_names(statement.node) & parameters:
            continue
        chosen.add(found)
        wanted.extend((needed, found) for needed in _free_names([statement.node], known))
    return chosen


def _span(work: NotebookWork, step: TopLevelStep):
    """The span of top-level statements that make up the step, from the first statement
    binding one of `span_from` to the last relevant one (`_span_relevant`) before a stop: the
    next top-level `def`/`class`, or where another step starts. Imports, `pass` (what an IPython
    line became) and assignments to the parameters are not part of the function."""
    order = [(cell, statement) for cell in work.cells for statement in cell.statements]
    start = next((i for i, (_, s) in enumerate(order) if _starts_span(s.node, step)), None)
    if start is None:
        return None
    others = [other for other in work.steps if other is not step]
    stop = next((i for i in range(start + 1, len(order))
                 if isinstance(order[i][1].node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                 or any(_step_starts(order[i][1].node, other) for other in others)), len(order))
    relevant = [i for i in range(start, stop) if _span_relevant(order[i][1].node, step)]
    if not relevant:
        return None  # nothing in it sets a result or makes the call: not this step's code
    end = relevant[-1]
    parameters = set(step.parameters)
    body = [i for i in range(start, end + 1)
            if not isinstance(order[i][1].node, (*_STAYS_AT_TOP, ast.Pass))
            and not _bound_names(order[i][1].node) & parameters]
    parts: list[tuple[Cell, list[ast.stmt]]] = []
    for i in sorted(set(body) | _supplied(work, order, step, start, body)):
        cell, statement = order[i]
        if parts and parts[-1][0] is cell:
            parts[-1][1].append(statement.node)
        else:
            parts.append((cell, [statement.node]))
    return SynthesizedFunction(step, step.parameters, step.results, parts), order[end][1]


# ---------------------------------------------------------------------------
# Step 7: render
# ---------------------------------------------------------------------------
def _marker(cell: int, line: int) -> str:
    return f"# cell {cell}" if line == 1 else f"# cell {cell}, line {line}"


def _render_aligned(cell: Cell, nodes: list[ast.stmt], header: str | None = None) -> list[tuple[str, bool]]:
    """Lines for `nodes` (statements of `cell`, in order), each line the cell line
    that its marker says it is. Returns (text, may be indented) pairs; with a
    `header`, the first marker goes on the header line."""
    columns = _Columns(cell.lines)
    # Each output line as its parts, joined with "; " at the end: statements sharing one line
    # are collected, not concatenated one by one (which costs the square of the line's length).
    out: list[tuple[list[str], bool]] = []
    next_line: int | None = None  # the cell line that the next output line shows
    for node in nodes:
        start, segment = _segment(columns, node)
        interior = _string_interior_lines(node)
        if next_line is not None and start < next_line:  # shares a line with the previous statement
            out[-1][0].append(segment[0])
            segment, start = segment[1:], start + 1
        elif next_line is None or start - next_line > MAX_BLANK_GAP:
            if header is not None and next_line is None:
                out.append(([f"{header}  {_marker(cell.number, start)}"], False))
            else:
                out.append(([_marker(cell.number, start)], True))
        else:
            out.extend(([""], False) for _ in range(start - next_line))
        for offset, text in enumerate(segment):
            out.append(([text], start + offset not in interior))
        next_line = start + len(segment)
    return [("; ".join(parts), indentable) for parts, indentable in out]


def _render_function(function: SynthesizedFunction) -> str:
    """The function's source: the first cell's part behind a marker on the `def` line, each
    further cell's part behind a marker of its own (so a span's lines map to their cells)."""
    header = f"def {function.step.function}({', '.join(function.parameters)}):"
    lines = []
    for index, (cell, nodes) in enumerate(function.parts):
        for text, indentable in _render_aligned(cell, nodes, header=header if index == 0 else None):
            lines.append("    " + text if indentable and text else text)
    lines.append(f"    return {', '.join(function.returns) or 'None'}")
    return "\n".join(lines) + "\n"


def render_code(work: NotebookWork) -> None:
    """The kept statements in notebook order behind `# cell N` markers, then the
    synthesized functions; and the account of what was left out, in notebook order."""
    blocks: list[str] = []
    for cell in work.cells:
        # A top-level `pass` (often what an IPython line became) does nothing: not shown.
        kept = [s.node for s in cell.statements if s.kept and not isinstance(s.node, ast.Pass)]
        if kept:
            blocks.append("\n".join(text for text, _ in _render_aligned(cell, kept)) + "\n")
    blocks.extend(_render_function(function) for function in work.functions)
    work.code = "\n".join(blocks)

    notes = list(work.notes)
    for cell in work.cells:
        for statement in cell.statements:
            if statement.note and not statement.in_function:
                notes.append((cell.number, _start(statement.node)[0], statement.note))
    notes.sort(key=lambda note: (note[0], note[1]))
    work.left_out = [message for _, _, message in notes]


PIPELINE: tuple[Step, ...] = (
    read_notebook,
    collect_code_cells,
    strip_ipython,
    parse_cells,
    select_statements,
    synthesize_steps,
    render_code,
)


# ---------------------------------------------------------------------------
# A course notebook saved as a script
# ---------------------------------------------------------------------------
# nbconvert's `# In[3]:` before each code cell; jupytext's and editors' `# %%` (with `[markdown]`
# for a text cell, whose lines are comments anyway).
_SCRIPT_CELL = re.compile(r"^# (?:In\[[ \d]*\]:|%%)(.*)$")


def _script_cells(code: str) -> list[Cell]:
    """The code cells of a script in a notebook's style, numbered as they stand (a text cell
    counts: it is a cell of the notebook); without markers, the whole file is cell 1. What comes
    before the first marker (nbconvert's `# coding: utf-8` header) is a cell 0 of its own."""
    cells: list[Cell] = []
    number, lines, is_code = 0, [], True
    for line in code.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        marker = _SCRIPT_CELL.match(line)
        if marker is None:
            lines.append(line)
            continue
        if is_code and "\n".join(lines).strip():
            cells.append(Cell(number, "\n".join(lines)))
        number, lines = number + 1, []
        is_code = "[markdown]" not in marker.group(1) and "[md]" not in marker.group(1)
    if is_code and "\n".join(lines).strip():
        cells.append(Cell(number if number else 1, "\n".join(lines)))
    return cells


def has_cell_markers(code: str) -> bool:
    return any(_SCRIPT_CELL.match(line) for line in code.split("\n"))


def in_notebook_style(code: str, steps: tuple[TopLevelStep, ...]) -> bool:
    """Whether a `.py` is a course notebook in script form, to be read as the notebook would be:
    it has cell markers, or it does a top-level step (such as `model.compile(...)` for
    `compile_model`) in top-level code instead of defining the step's function. Any other
    module is run as it is."""
    if has_cell_markers(code):
        return True
    if not steps:
        return False
    try:
        tree = _quietly(ast.parse, code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, _DEFINING):
            defined |= _bound_names(node)
    return any(step.function not in defined and _top_level_step(tree.body, step) for step in steps)


def _top_level_step(body: list[ast.stmt], step: TopLevelStep) -> bool:
    """The code does at top level what the step's function would: calls `.<method>(...)`,
    starts its span (binds a name in `span_from`), or assigns one of its results."""
    if step.span_from:
        return any(_starts_span(node, step) for node in body)
    if step.method:
        return any(_method_call_receiver(node, step.method) is not None for node in body)
    return any(_is_assignment(node) and _bound_names(node) & set(step.results) for node in body)


def collect_script_cells(work: NotebookWork) -> None:
    """The cells of a script in a notebook's style (read and decoded by the loader)."""
    work.cells = _script_cells(work.script)
    work.unmarked_script = not has_cell_markers(work.script)
    if not work.cells:
        raise SubmissionError(f"{work.filename} has no code")


SCRIPT_PIPELINE: tuple[Step, ...] = (collect_script_cells,) + PIPELINE[2:]


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------
def load_script(path: str | os.PathLike[str], code: str, steps: tuple[TopLevelStep, ...] = (),
                caps: SubmissionCaps = SubmissionCaps()) -> SubmissionSource:
    """The gradable code of a course notebook exported as a script (`jupyter nbconvert --to
    script`, jupytext, or copied cell by cell), and what was left out: the same account as
    `load_notebook`, cells taken from the script's markers."""
    work = NotebookWork(Path(path), tuple(steps), caps, script=code)
    for step in SCRIPT_PIPELINE:
        step(work)
    return SubmissionSource(code=work.code, filename=work.filename, left_out=list(work.left_out))


def load_notebook(path: str | os.PathLike[str], steps: tuple[TopLevelStep, ...] = (),
                  caps: SubmissionCaps = SubmissionCaps()) -> SubmissionSource:
    """The gradable code of a course notebook, and what was left out of it.

    Raises `SubmissionError` (with a message for the learner) when the file is
    not a readable UTF-8 JSON Jupyter notebook with code cells, and
    `SubmissionRefused` when it has more statements than `caps` allow (its size
    in bytes is checked by `load_submission`, before it is read).
    """
    work = NotebookWork(Path(path), tuple(steps), caps)
    for step in PIPELINE:
        step(work)
    return SubmissionSource(code=work.code, filename=work.filename, left_out=list(work.left_out))


_MARKER = re.compile(r"^\s*(?:def\s.*:\s*)?# cell (\d+)(?:, line (\d+))?\s*$")


def notebook_positions(code: str) -> dict[int, tuple[int, int]]:
    """(cell number, line in the cell) of every line of code made by `load_notebook` that
    has one, by line number (from 1): one pass over the code, so that labelling every line
    of a long notebook costs as much as reading it once."""
    positions: dict[int, tuple[int, int]] = {}
    current: tuple[int, int] | None = None  # the position of the line after the last marker
    for lineno, line in enumerate(code.split("\n"), start=1):
        match = _MARKER.match(line)
        if match:
            current = int(match.group(1)), int(match.group(2) or 1)
        elif current is not None:
            positions[lineno] = current
            current = current[0], current[1] + 1
    return positions


def notebook_position(code: str, lineno: int) -> tuple[int, int] | None:
    """(cell number, line in the cell) of line `lineno` (from 1) of code made by
    `load_notebook`; None for a marker line (a synthesized `def` line included)
    or a line before any marker."""
    lines = code.split("\n")
    if not 1 <= lineno <= len(lines) or _MARKER.match(lines[lineno - 1]):
        return None
    for index in range(lineno - 2, -1, -1):
        match = _MARKER.match(lines[index])
        if match:
            cell, first = int(match.group(1)), int(match.group(2) or 1)
            return cell, first + (lineno - 2 - index)
    return None
