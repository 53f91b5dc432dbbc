"""What a probe may use in the worker: the learner's functions, the reference, and two errors.

Kept apart from `worker.py` because the worker runs as `__main__`: exception
classes defined there would not be the ones a suite imports.
"""

from __future__ import annotations

import contextlib
import functools
import types


class MissingFunction(Exception):
    """The learner's module does not define a function a probe needs."""


class ProbeFailure(Exception):
    """The learner's code ran but produced something the probe cannot use; the message says what."""


class Submission:
    """What a probe sees of the learner's code."""

    def __init__(self, module: types.ModuleType, filename: str, model_file: str | None,
                 line_labels: dict | None = None):
        self.module = module
        self.line_labels = line_labels or {}  # "12" -> "cell 5, line 7" for notebooks
        self.filename = filename
        self.model_file = model_file
        self.stand_ins: types.ModuleType | None = None  # set by the worker for one probe

    def function(self, name: str):
        value = self.module.__dict__.get(name)
        if value is None:
            raise MissingFunction(name)
        if not callable(value):
            raise ProbeFailure(f"`{name}` is a {type(value).__name__}, not a function")
        return value

    def reference(self, name: str):
        """A solution function this probe's exercise declares in `Exercise.stand_ins`."""
        if self.stand_ins is None or not hasattr(self.stand_ins, name):
            raise ProbeFailure(f"the grader sent no reference `{name}` with this probe "
                               "(declare it in the exercise's stand_ins)")
        return getattr(self.stand_ins, name)

    @contextlib.contextmanager
    def replaced(self, name: str, stand_in):
        """Let the learner's code call `stand_in` instead of its own `name`, so one broken
        exercise does not cost the points of the exercises built on it."""
        namespace = self.module.__dict__
        had, old = name in namespace, namespace.get(name)
        namespace[name] = stand_in
        try:
            yield
        finally:
            if had:
                namespace[name] = old
            else:
                namespace.pop(name, None)


class OwnStandIns:
    """The stand-ins of a probe for which no reference functions came: a learner's bundle holds no
    solutions (`references.reference_code` sends nothing there), so the learner's own functions of
    those names stand in, and the exercise's notes say once that an earlier mistake can show here."""

    def __init__(self, submission: Submission, names: tuple[str, ...], notes: list[str],
                 graded: tuple[str, ...] = ()):
        self._submission, self._names, self._notes = submission, names, notes
        self._earlier = tuple(n for n in names if n not in graded)  # the exercise's own function is no news

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self._names:
            raise AttributeError(name)
        if self._earlier:
            earlier = ", ".join(f"`{n}`" for n in self._earlier)
            self._notes.append(f"this part also runs your own {earlier} (this copy of the graders has no reference "
                               "solutions to stand in), so a mistake in an earlier exercise can show here too")
        function = self._submission.function(name)
        return function if name not in self._earlier else _unfinished_said(name, function)


def _unfinished_said(name: str, function):
    """`function`, an earlier exercise's, except that its NotImplementedError (the stub, not yet
    filled in) becomes a sentence naming it: left alone, it would read as this exercise's."""
    @functools.wraps(function)
    def stand_in(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except NotImplementedError:
            raise ProbeFailure(f"your `{name}` is not implemented yet, and this part runs it: "
                               f"implement `{name}` first") from None  # the note says why it runs
    return stand_in


def exception_sentence(error: BaseException, limit: int = 300) -> str:
    """`Type: message` of a learner's exception in one line. TensorFlow's errors from inside a
    traced function (@tf.function) start with "in user code:" and a traceback of the learner's
    lines; what went wrong is their last line."""
    name = type(error).__name__
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return name
    text = lines[0]
    if text == "in user code:" and len(lines) > 1:
        text = lines[-1]
        text = text[len(name) + 2:] if text.startswith(f"{name}: ") else text
    return f"{name}: {text[:limit]}"
