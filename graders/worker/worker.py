"""The submission worker: imports TensorFlow, then the learner's code, then answers probes.

Run as `python -m graders.worker.worker REQUEST_FD REPLY_FD` by `session.py`.
It talks only through the two pipes and only in plain data (`wire.py`): the
learner's code may print, monkeypatch or crash here without touching the
grade, which is decided in the trusted process.

The learner's module is executed one top-level statement at a time, and the
worker announces each statement's line before running it. A statement that
raises is recorded and the rest still load (a typo in a demo cell must not hide
ten correct functions); one that hangs or kills the process is reported by the
trusted side, which starts a fresh worker told to skip that line.
"""

from __future__ import annotations

import ast
import importlib.util
import linecache
import marshal
import os
import sys
import traceback
import types

from graders.shared import outcomes, wire
from graders.worker.probing import MissingFunction, OwnStandIns, ProbeFailure, Submission, exception_sentence


class _MissingModule(types.ModuleType):
    """Stands in for a package the grader lacks, failing clearly only when used."""

    def __init__(self, name: str, reason: str):
        super().__init__(name)
        self.__reason = reason

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise ImportError(f"`{self.__name__}` is not available to the grader ({self.__reason})")


def _statements(code: str, filename: str):
    tree = ast.parse(code, filename)
    for statement in tree.body:
        yield statement, compile(ast.Module([statement], type_ignores=[]), filename, "exec")


def _bind_missing_imports(statement, namespace, error) -> list[str]:
    names = []
    for alias in statement.names:
        if isinstance(statement, ast.Import):
            bound = alias.asname or alias.name.split(".")[0]
            target = alias.name
        else:
            bound = alias.asname or alias.name
            target = f"{statement.module}.{alias.name}"
        if bound != "*" and bound not in namespace:
            namespace[bound] = _MissingModule(target, str(error))
            names.append(target)
    return names


def load_module(request, emit) -> tuple[types.ModuleType, list[str]]:
    """Execute the submission statement by statement; return the module and what went wrong."""
    name, filename, code = request["module"], request["filename"], request["code"]
    skip = set(request.get("skip_lines", []))
    labels = request.get("line_labels", {})
    module = types.ModuleType(name)
    # The file's path, never the code's own name: TensorFlow's autograph reloads the lines of a
    # module whose __file__ equals a function's code filename from disk (linecache.updatecache,
    # which also searches sys.path), and for a notebook or a notebook-style script what is on
    # disk is not the code that runs; the code's lines stay in linecache under its own name.
    folder = (request.get("sys_path") or [os.getcwd()])[0]
    module.__file__ = os.path.abspath(os.path.join(folder, filename))
    sys.modules[name] = module
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    problems: list[str] = []
    try:
        statements = list(_statements(code, filename))
    except SyntaxError as error:
        raise ProbeFailure(f"{os.path.basename(filename)} does not parse: line {error.lineno}: {error.msg}") from None
    for statement, compiled in statements:
        if statement.lineno in skip:
            continue
        emit({"event": "line", "line": statement.lineno})
        line = labels.get(str(statement.lineno), f"line {statement.lineno}")
        try:
            exec(compiled, module.__dict__)
        except ImportError as error:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                for target in _bind_missing_imports(statement, module.__dict__, error):
                    problems.append(f"{line}: `{target}` cannot be imported here; "
                                    "code that uses it cannot be graded")
            else:
                problems.append(f"{line} raised {_one_line(error)}")
        except SystemExit:
            problems.append(f"{line} called sys.exit(); the rest of the file was still loaded")
        except BaseException as error:  # the learner's error, reported, never fatal here
            problems.append(f"{line} raised {_one_line(error)}")
    return module, problems


def _one_line(error: BaseException) -> str:
    return exception_sentence(error)


def _where(error: BaseException, filename: str, labels: dict) -> str | None:
    line = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename == filename:
            line = f"{labels.get(str(lineno), f'line {lineno}')}, in {frame.f_code.co_name}"
    return line


def run_probe(exercise, submission: Submission, params: dict, notes: list[str]) -> dict:
    """Run one probe and turn whatever happens into a plain observation. The notes the probe
    gathered go with it whichever way it ended: a note such as "this part also runs your own
    `conv_block`" matters most when the part fails."""
    del notes[:]
    try:
        observation = exercise.probe(submission, params)
    except MissingFunction as missing:
        observation = outcomes.missing(str(missing))
    except NotImplementedError:
        observation = outcomes.not_implemented()
    except ProbeFailure as failure:
        observation = outcomes.failed(str(failure))
    except Exception as error:  # the learner's code raised
        observation = outcomes.raised(_one_line(error), _where(error, submission.filename, submission.line_labels))
    observation.setdefault("status", "ok")
    observation["notes"] = sorted(set(notes))
    return observation


def prepare() -> list[str]:
    """Everything a worker needs before learner code: TensorFlow, the shims that accept library
    drift with a note (Keras 2 spellings, names NumPy 2 and Pillow 10 removed, a stand-in for
    tensorflow_addons' optimizers), the no-download pretrained networks, the suites.
    A fork server runs this once; each child it forks starts from here."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow  # noqa: F401  (imported before any learner code runs)

    from graders.shared.registry import all_assignments
    from graders.worker import addons, drift, keras2, pretrained

    notes: list[str] = []
    keras2.install(notes)
    drift.install(notes)
    addons.install(notes)
    pretrained.install(notes)
    all_assignments()
    return notes


def reference_module(code: bytes) -> types.ModuleType:
    """The solution functions one probe may stand in, sent with that probe by the trusted side
    as a compiled code object (see `references.reference_code`), never as source: the worker
    needs no view of `solutions/`, learner code loaded earlier finds no solution in the process
    when its own version of that function is graded, and what learner code can find during the
    probe is bytecode without the solution's text."""
    magic = importlib.util.MAGIC_NUMBER
    if code[:len(magic)] != magic:
        raise ProbeFailure("the grader's reference code was compiled by another Python version; "
                           "grade with the same interpreter on both sides")
    module = types.ModuleType("cvgrade_reference")
    exec(marshal.loads(code[len(magic):]), module.__dict__)
    return module


def _reference_bytes(value) -> bytes:
    """The code bytes of a probe request (a uint8 array on the wire), b"" when none were sent."""
    import numpy as np

    return np.asarray(value, dtype=np.uint8).tobytes() if isinstance(value, np.ndarray) else b""


def serve(request_fd: int, reply_fd: int, notes: list[str]) -> None:
    from graders.shared.registry import assignment

    wire.send(reply_fd, {"ready": True})
    submission = suite = None
    while True:
        try:
            request = wire.receive(request_fd)
        except EOFError:
            return
        op = request.get("op")
        if op == "load":
            suite = assignment(request["assignment"])
            for path in request.get("sys_path", []):
                if path not in sys.path:
                    sys.path.append(path)
            del notes[:]
            try:
                module, problems = load_module(request, lambda m: wire.send(reply_fd, m))
            except ProbeFailure as failure:
                wire.send(reply_fd, {"ok": False, "error": str(failure)})
                continue
            submission = Submission(module, request["filename"], request.get("model_file"),
                                    request.get("line_labels", {}))
            wire.send(reply_fd, {"ok": True, "problems": problems, "notes": sorted(set(notes))})
        elif op == "probe":
            exercise = suite.exercise(request["exercise"])
            code = _reference_bytes(request.pop("reference_code", None))
            try:
                if code:
                    submission.stand_ins = reference_module(code)
                elif exercise.stand_ins:  # no solutions here: the learner's own functions stand in
                    submission.stand_ins = OwnStandIns(submission, exercise.stand_ins, notes,
                                                         exercise.functions)
                else:
                    submission.stand_ins = None
            except ProbeFailure as failure:
                observation = outcomes.failed(str(failure))
            else:
                observation = run_probe(exercise, submission, request.get("params", {}), notes)
            submission.stand_ins = None
            del code
            try:
                wire.send(reply_fd, {"ok": True, "observation": observation})
            except wire.WireError as error:
                wire.send(reply_fd, {"ok": True, "observation": outcomes.failed(
                    f"the probe's result could not be sent: {error}")})
        else:
            return


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]), prepare())
