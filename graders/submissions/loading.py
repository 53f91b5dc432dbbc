"""From a path on disk to the one module the worker will run, for any submission form.

Accepted: a `.py` file; a folder holding the assignment's module (or a course
notebook); a course notebook (`.ipynb`). A trained model file is looked for
beside the code under the names the assignment lists. Every form passes through
`load_submission`, which holds the code to `SubmissionCaps` (bytes before
reading, statements while parsing).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from graders.shared.paths import ROOT
from graders.shared.registry import Assignment
from graders.submissions.source import (
    SubmissionCaps,
    SubmissionError,
    SubmissionRefused,
    SubmissionSource,
    count_statements,
)


@dataclass
class LoadedSubmission:
    module: str
    source: SubmissionSource
    sys_path: list[str]  # folders the learner's own imports may come from
    model_file: str | None
    origin: str  # what the learner pointed at, for messages


def _read_python(path: Path, caps: SubmissionCaps) -> SubmissionSource:
    data = path.read_bytes()
    try:
        code = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionError(
            f"{path.name} is not UTF-8 text (byte {error.start} is 0x{data[error.start]:02x}); "
            "save it as UTF-8") from None
    try:
        with warnings.catch_warnings():  # `"\d"` and the like: the worker shows them
            warnings.simplefilter("ignore")
            tree = ast.parse(code, path.name)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass  # the worker reports why it does not parse; the byte cap has bounded it
    else:
        caps.check_statements(path.name, count_statements(tree))
    return SubmissionSource(code=code, filename=str(path))


def _as_notebook_script(path: Path, source: SubmissionSource, assignment: Assignment,
                        caps: SubmissionCaps) -> SubmissionSource:
    """A course notebook saved as a `.py` is read as the notebook would be: its top-level steps
    graded, downloads, training and plots left out and listed, locations by cell where the
    script marks its cells (by line where it does not)."""
    from graders.submissions.notebook import has_cell_markers, in_notebook_style, load_script, notebook_positions

    if not in_notebook_style(source.code, assignment.steps):
        return source
    script = load_script(path, source.code, assignment.steps, caps)
    by_cell = has_cell_markers(source.code)
    for line, (cell, line_in_cell) in notebook_positions(script.code).items():
        script.line_labels[line] = f"cell {cell}, line {line_in_cell}" if by_cell else f"line {line_in_cell}"
    return script


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


def load_submission(path: str | os.PathLike, assignment: Assignment,
                    caps: SubmissionCaps = SubmissionCaps()) -> LoadedSubmission:
    """Resolve `path` to the learner's module source for `assignment`; raises
    `SubmissionRefused` for code over `caps`."""
    path = Path(path).resolve()
    if not path.exists():
        raise SubmissionError(f"{path} does not exist")
    code_file = _code_file(path, assignment) if path.is_dir() else path
    if code_file.suffix in (".ipynb", ".py"):
        try:
            size = code_file.stat().st_size
        except OSError as error:
            raise SubmissionError(f"{code_file.name} could not be read: {error.strerror or error}") from None
        caps.check_bytes(code_file.name, size)
    if code_file.suffix == ".ipynb":
        from graders.submissions.notebook import load_notebook, notebook_positions

        source = load_notebook(code_file, assignment.steps, caps)
        for line, position in notebook_positions(source.code).items():
            source.line_labels[line] = "cell {}, line {}".format(*position)
    elif code_file.suffix == ".py":
        source = _read_python(code_file, caps)
        source = _as_notebook_script(code_file, source, assignment, caps)
    else:
        raise SubmissionError(f"{code_file.name}: expected a .py file, a notebook (.ipynb) or a folder")
    folder = code_file.parent
    return LoadedSubmission(
        module=assignment.module, source=source, sys_path=[str(folder)],
        model_file=find_model_file(folder, assignment), origin=str(path))


# ---------------------------------------------------------------------------
# Loading under a time limit
# ---------------------------------------------------------------------------
def load_submission_within(path: str | os.PathLike, assignment: Assignment, seconds: float,
                           memory_bytes: int | None = None,
                           caps: SubmissionCaps = SubmissionCaps()) -> LoadedSubmission:
    """`load_submission` in a child process that is killed after `seconds` (and may map at most
    `memory_bytes` beyond what its imports took); past either, `SubmissionRefused` with status
    "error".

    Why a child process: a batch grades its learners in threads, where SIGALRM cannot be
    used (signals reach only the main thread), and neither an alarm nor a deadline checked
    in the loader's loops can stop one long call into C (`json.loads`, `ast.parse`,
    `compile`) or a slow path nobody has found yet. A process can be killed at any moment,
    its memory bounded, and a crash of a parser on crafted input costs only it. It costs a
    fresh interpreter per learner (a fraction of a second: Python, numpy for the registry,
    nbformat), small beside the seconds of grading; what comes back is plain JSON data.
    """
    request = {"path": str(path), "assignment": assignment.id, "memory_bytes": memory_bytes,
               "caps": asdict(caps)}
    environment = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "graders.submissions.loading"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, cwd=ROOT, env=environment, start_new_session=True)
    name = Path(path).name
    try:
        out, err = process.communicate(json.dumps(request).encode(), timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise SubmissionRefused(f"reading {name} took longer than the {seconds:g} s limit and was stopped; "
                                "it was not graded", status="error") from None
    finally:
        if process.poll() is None:  # an exception of this thread: never leave the child behind
            process.kill()
            process.communicate()
    try:
        reply = json.loads(out)
    except ValueError:
        log = err.decode(errors="replace")
        if "MemoryError" in log and memory_bytes:
            raise SubmissionRefused(_memory_message(name, memory_bytes), status="error") from None
        tail = log.strip().splitlines()[-1:] or [f"exit code {process.returncode}"]
        raise SubmissionRefused(f"reading {name} failed in the grader ({tail[0][:200]}); it was not graded",
                                status="error") from None
    if "error" in reply:
        if reply.get("status"):
            raise SubmissionRefused(reply["error"], status=reply["status"])
        raise SubmissionError(reply["error"])
    source = SubmissionSource(code=reply["code"], filename=reply["filename"], left_out=reply["left_out"],
                              line_labels={int(line): label for line, label in reply["line_labels"].items()})
    return LoadedSubmission(module=reply["module"], source=source, sys_path=reply["sys_path"],
                            model_file=reply["model_file"], origin=reply["origin"])


def _memory_message(name: str, memory_bytes: int | None) -> str:
    memory = f"the {memory_bytes >> 20} MiB memory limit" if memory_bytes else "the memory there is"
    return f"reading {name} needed more than {memory}; it was not graded"


def _address_space() -> int:
    """Bytes this process has mapped now (its virtual size)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _load_for_parent(request: dict) -> dict:
    """The child's side of `load_submission_within`: the loaded submission, or the error, as JSON
    data. The memory limit is set after the grader's own imports (numpy maps hundreds of MB of
    address space it never uses, and an import that runs out of memory fails as a SystemError
    rather than a MemoryError), so it bounds what reading the submission takes."""
    import nbformat  # noqa: F401 - imported before the limit, like the registry's numpy

    from graders.shared.registry import assignment as find_assignment
    from graders.submissions import notebook  # noqa: F401 - and the notebook loader

    assignment = find_assignment(request["assignment"])
    if request.get("memory_bytes"):
        from graders.shared.limits import apply_kernel_limits

        apply_kernel_limits({"RLIMIT_AS": _address_space() + int(request["memory_bytes"])})
    try:
        loaded = load_submission(request["path"], assignment, SubmissionCaps(**request["caps"]))
    except SubmissionRefused as error:
        return {"error": str(error), "status": error.status}
    except SubmissionError as error:
        return {"error": str(error)}
    except MemoryError:
        return {"error": _memory_message(Path(request["path"]).name, request.get("memory_bytes")),
                "status": "error"}
    source = loaded.source
    return {"module": loaded.module, "code": source.code, "filename": source.filename,
            "left_out": source.left_out, "line_labels": {str(k): v for k, v in source.line_labels.items()},
            "sys_path": loaded.sys_path, "model_file": loaded.model_file, "origin": loaded.origin}


if __name__ == "__main__":
    _request = json.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(json.dumps(_load_for_parent(_request)).encode())
