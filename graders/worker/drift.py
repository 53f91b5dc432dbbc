"""Accept names NumPy 2 and Pillow 10 removed, with a note instead of a failure.

Course notebooks were written for NumPy 1.x. NumPy 2 removed `np.math` (learners write
`np.math.ceil(...)` for the steps per epoch), the aliases of Python's types (`np.float`,
`np.int`, ...) and a set of old spellings (`np.product`, `np.NaN`, ...). Each has one plain
meaning, so the worker gives it back to learner code and the feedback names the modern
spelling; a removed name costs no points.

Pillow 10 removed `Image.ANTIALIAS` (with `Image.LINEAR` and `Image.CUBIC`), the fonts'
`getsize` and `ImageDraw.textsize`, which the course's drawing and resizing helpers use. They
too have one plain meaning (a resampling filter; the size of a text, which `getbbox` and
`textbbox` now give as a box) and are given back in the same way.

Only code outside the grader's environment (the learner's) sees the old names: a library that
asks NumPy for one (`hasattr(np, "float_")`) keeps getting NumPy 2's answer, so its own
behaviour does not change (a font's `getsize` is there for the learner's code only, so
`hasattr(font, "getsize")` in a library stays False). Installed in the worker only, before the learner's code is loaded.
"""

from __future__ import annotations

import math
import os
import sys
import types

import numpy as np

from graders.shared.paths import REFERENCE_FILENAME


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


def _caller_file(depth: int = 2) -> str:
    """The file of the code `depth` frames above this function's caller ("" when there is none)."""
    try:
        return sys._getframe(depth).f_code.co_filename
    except ValueError:
        return ""


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
    """Wrap NumPy's module `__getattr__` (PEP 562: asked only for names NumPy lacks), then
    Pillow's (`install_pillow`)."""
    from graders.worker.trusted_imports import environment_folders

    install_pillow(notes, environment_folders())

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


# --- Pillow 10 ---------------------------------------------------------------------------------
# Image.<name> -> (the Resampling member it meant, how Pillow 10 spells it)
PILLOW_REMOVED = {
    "ANTIALIAS": ("LANCZOS", "`Image.LANCZOS` (or `Image.Resampling.LANCZOS`)"),
    "LINEAR": ("BILINEAR", "`Image.BILINEAR` (or `Image.Resampling.BILINEAR`)"),
    "CUBIC": ("BICUBIC", "`Image.BICUBIC` (or `Image.Resampling.BICUBIC`)"),
}
GETSIZE_SPELLING = "`font.getbbox(text)` (its right and bottom) or `draw.textbbox((0, 0), text, font=font)`"
TEXTSIZE_SPELLING = "`draw.textbbox((0, 0), text, font=font)` (its right and bottom)"


def _pillow_note(notes: list[str], old: str, new: str) -> None:
    notes.append(f"`{old}` was removed in Pillow 10; accepted, but use {new}")


def _font_getsize(font, text, *args, stroke_width=0, **kwargs):
    """Pillow 9's `getsize`: the text's width and height from the origin, which are the right and
    bottom of `getbbox` (plus the stroke once more on each, as Pillow 9 counted it)."""
    if stroke_width:
        kwargs["stroke_width"] = stroke_width
    box = font.getbbox(text, *args, **kwargs)
    return box[2] + stroke_width, box[3] + stroke_width


def _draw_textsize(draw, text, font=None, *args, **kwargs):
    """Pillow 9's `ImageDraw.textsize`: the right and bottom of the text's box drawn at (0, 0)."""
    box = draw.textbbox((0, 0), text, font, *args, **kwargs)
    return box[2], box[3]


class _LearnerOnlyMethod:
    """A method Pillow removed, on a class of Pillow's, visible to the learner's code only: asked
    from anywhere else, the attribute does not exist (AttributeError, as in Pillow 10)."""

    def __init__(self, function, old: str, new: str, notes: list[str], folders: tuple[str, ...]):
        self.function, self.old, self.new, self.notes, self.folders = function, old, new, notes, folders
        self._drift_wrapped = True

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if not _from_learner_code(self.folders):
            raise AttributeError(f"{(owner or type(instance)).__name__!r} object has no attribute {self.name!r}")
        # The solution code a probe stands in for a learner's broken function is written as the
        # course is; its old names are not the learner's, so they leave no note.
        notes = [] if _caller_file() == REFERENCE_FILENAME else self.notes
        old, new, function = self.old, self.new, self.function
        bound = () if instance is None else (instance,)  # `Class.getsize(font, text)` works too

        def method(*args, **kwargs):
            _pillow_note(notes, old, new)
            return function(*bound, *args, **kwargs)

        return method


def install_pillow(notes: list[str], folders: tuple[str, ...]) -> None:
    """`Image.ANTIALIAS` and friends through a module `__getattr__` on `PIL.Image`; `getsize` on
    each font class and `textsize` on `ImageDraw.ImageDraw`, where Pillow lacks them."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:  # no Pillow, nothing to accept
        return
    original = Image.__dict__.get("__getattr__")
    if not getattr(original, "_drift_wrapped", False):
        removed = {name: entry for name, entry in PILLOW_REMOVED.items() if name not in Image.__dict__}

        def __getattr__(name):
            if name in removed and _from_learner_code(folders):
                member, spelling = removed[name]
                if _caller_file() != REFERENCE_FILENAME:
                    _pillow_note(notes, f"Image.{name}", spelling)
                return Image.Resampling[member]
            if original is None:
                raise AttributeError(f"module 'PIL.Image' has no attribute {name!r}")
            return original(name)

        __getattr__._drift_wrapped = True
        Image.__getattr__ = __getattr__
    for font_class in (ImageFont.ImageFont, ImageFont.FreeTypeFont, ImageFont.TransposedFont):
        if "getsize" not in font_class.__dict__ and not hasattr(font_class, "getsize"):
            method = _LearnerOnlyMethod(_font_getsize, "font.getsize(text)", GETSIZE_SPELLING, notes, folders)
            method.__set_name__(font_class, "getsize")
            font_class.getsize = method
    if "textsize" not in ImageDraw.ImageDraw.__dict__:
        method = _LearnerOnlyMethod(_draw_textsize, "draw.textsize(text)", TEXTSIZE_SPELLING, notes, folders)
        method.__set_name__(ImageDraw.ImageDraw, "textsize")
        ImageDraw.ImageDraw.textsize = method
