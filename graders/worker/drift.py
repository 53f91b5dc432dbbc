"""Accept names NumPy 2 removed, with a note instead of a failure.

Course notebooks were written for NumPy 1.x. NumPy 2 removed `np.math` (learners write
`np.math.ceil(...)` for the steps per epoch), the aliases of Python's types (`np.float`,
`np.int`, ...) and a set of old spellings (`np.product`, `np.NaN`, ...). Each has one plain
meaning, so the worker gives it back to learner code and the feedback names the modern
spelling; a removed name costs no points.

Only code outside the grader's environment (the learner's) sees the old names: a library that
asks NumPy for one (`hasattr(np, "float_")`) keeps getting NumPy 2's answer, so its own
behaviour does not change. Installed in the worker only, before the learner's code is loaded.
"""

from __future__ import annotations

import math
import os
import sys
import types

import numpy as np


def _asfarray(a, dtype=np.float64):
    """NumPy 1's asfarray: an array of `a`, of a floating type (float64 unless `dtype` is one)."""
    dtype = np.dtype(dtype)
    return np.asarray(a, dtype=dtype if np.issubdtype(dtype, np.inexact) else np.float64)


def _in1d(ar1, ar2, assume_unique=False, invert=False, **kwargs):
    """NumPy 1's in1d: `isin` on the flattened first array."""
    return np.isin(np.asarray(ar1).ravel(), ar2, assume_unique=assume_unique, invert=invert, **kwargs)


def _msort(a):
    return np.sort(a, axis=0)


# name -> (what the old name meant, how NumPy 2 (or Python) spells it)
REMOVED = {
    "float": (float, "float"), "int": (int, "int"), "object": (object, "object"),
    "str": (str, "str"), "complex": (complex, "complex"), "unicode": (str, "str"),
    "bool": (bool, "bool"),
    "product": (np.prod, "np.prod"), "cumproduct": (np.cumprod, "np.cumprod"),
    "alltrue": (np.all, "np.all"), "sometrue": (np.any, "np.any"), "round_": (np.round, "np.round"),
    "asfarray": (_asfarray, "np.asarray(x, dtype=float)"), "in1d": (_in1d, "np.isin"),
    "trapz": (getattr(np, "trapezoid", None), "np.trapezoid"), "msort": (_msort, "np.sort(a, axis=0)"),
    "mat": (np.asmatrix, "np.asmatrix"), "issubclass_": (issubclass, "issubclass"),
    "NaN": (np.nan, "np.nan"), "NAN": (np.nan, "np.nan"), "Inf": (np.inf, "np.inf"),
    "Infinity": (np.inf, "np.inf"), "infty": (np.inf, "np.inf"), "PINF": (np.inf, "np.inf"),
    "NINF": (-np.inf, "-np.inf"), "PZERO": (0.0, "0.0"), "NZERO": (-0.0, "-0.0"),
    "float_": (np.float64, "np.float64"), "complex_": (np.complex128, "np.complex128"),
    "cfloat": (np.complex128, "np.complex128"), "singlecomplex": (np.complex64, "np.complex64"),
    "longfloat": (np.longdouble, "np.longdouble"), "longcomplex": (np.clongdouble, "np.clongdouble"),
    "clongfloat": (np.clongdouble, "np.clongdouble"), "unicode_": (np.str_, "np.str_"),
    "string_": (np.bytes_, "np.bytes_"), "int0": (np.intp, "np.intp"), "uint0": (np.uintp, "np.uintp"),
    "bool8": (np.bool_, "np.bool_"), "object0": (np.object_, "np.object_"), "str0": (np.str_, "np.str_"),
    "bytes0": (np.bytes_, "np.bytes_"), "void0": (np.void, "np.void"),
}


def _note(notes: list[str], old: str, new: str) -> None:
    notes.append(f"`np.{old}` was removed in NumPy 2; accepted, but use `{new}`")


class _RemovedMath(types.ModuleType):
    """`np.math` as NumPy 1 had it (Python's `math`); each name used is noted with its spelling."""

    def __init__(self, notes: list[str]):
        super().__init__("numpy.math")
        self._notes = notes

    def __getattr__(self, name):
        value = getattr(math, name)  # AttributeError for a name math lacks, as NumPy 1 gave
        if not name.startswith("__"):
            _note(self._notes, f"math.{name}", f"math.{name}")
        return value

    def __dir__(self):
        return dir(math)


def _from_learner_code(folders: tuple[str, ...], depth: int = 2) -> bool:
    """Whether the code asking for a name lies outside the grader's environment (`folders`:
    the standard library, the installed packages, the grader), that is, the learner's."""
    try:
        filename = sys._getframe(depth).f_code.co_filename
    except ValueError:
        return False
    if filename.startswith("<"):  # code made from strings: the learner's, unless frozen
        return not filename.startswith("<frozen")
    return not (os.path.realpath(filename) + os.sep).startswith(folders)


def install(notes: list[str]) -> None:
    """Wrap NumPy's module `__getattr__` (PEP 562: asked only for names NumPy lacks)."""
    from graders.worker.trusted_imports import environment_folders

    original = np.__dict__.get("__getattr__")
    if getattr(original, "_drift_wrapped", False):
        return
    folders = environment_folders()
    removed = {name: entry for name, entry in REMOVED.items()
               if name not in np.__dict__ and entry[0] is not None}
    math_proxy = _RemovedMath(notes)

    def __getattr__(name):
        if (name == "math" or name in removed) and _from_learner_code(folders):
            if name == "math":
                return math_proxy
            value, spelling = removed[name]
            _note(notes, name, spelling)
            return value
        if original is None:
            raise AttributeError(f"module 'numpy' has no attribute {name!r}")
        return original(name)

    __getattr__._drift_wrapped = True
    np.__getattr__ = __getattr__
