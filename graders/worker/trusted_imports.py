"""While a learner's model file is loaded, only the grader's own environment can be imported.

Keras' safe mode refuses Lambda layers, but a layer's config still names the module
its class comes from, and Keras imports it. A file naming a module that the grader
lacks, next to a folder of that name in the submission, would run the learner's code
inside the judging of the model. So during loading, imports resolve only to the
standard library, the installed packages and the grader's own packages, and modules
already imported from anywhere else are out of reach.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import sys
import sysconfig

from graders.shared.paths import ROOT

# Packages a layer's config may name. None is installed; tensorflow_addons exists in a worker only
# as the stand-in for its optimizers (addons.py), which a model file must not reach either.
KERAS_IMPORTS_BY_NAME = {"keras_hub", "keras_cv", "keras_nlp", "tensorflow_addons"}


def environment_folders() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    folders = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    folders.add(str(ROOT / "graders"))
    return tuple(os.path.realpath(folder) + os.sep for folder in folders)


def _inside(origin: str | None, folders: tuple[str, ...]) -> bool:
    if origin in ("built-in", "frozen"):
        return True
    return origin is not None and (os.path.realpath(origin) + os.sep).startswith(folders)


def _trusted_spec(spec, folders: tuple[str, ...]) -> bool:
    if spec.origin is None:  # a namespace package: trusted when all its folders are
        locations = list(spec.submodule_search_locations or [])
        return bool(locations) and all(_inside(folder, folders) for folder in locations)
    return _inside(spec.origin, folders)


def _trusted_module(name: str, module, folders: tuple[str, ...]) -> bool:
    """A module already imported may stay visible while the file loads: it came from the
    environment, or it is one of the many the environment makes without a file, unless its
    name is one Keras imports by name from a model's config (none of those is installed)."""
    if name.split(".")[0] in KERAS_IMPORTS_BY_NAME:
        return False
    path = getattr(module, "__file__", None)
    return path is None or _inside(path, folders)


class _OnlyEnvironment(importlib.abc.MetaPathFinder):
    """Finds a module as the other finders would, and refuses it when it lies elsewhere."""

    def __init__(self, folders: tuple[str, ...]):
        self.folders = folders
        self.refused: list[str] = []  # found outside the environment; the caller words the failure
        self.missing: list[str] = []  # found nowhere the environment looks

    def find_spec(self, name, path=None, target=None):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is None:
                continue
            if not _trusted_spec(spec, self.folders):
                self.refused.append(name)
                raise ImportError(f"the model file asks for module `{name}`, which is not part of "
                                  "the grader's environment; only installed packages are loaded")
            return spec  # the very spec checked: no finder is asked twice
        self.missing.append(name)
        return None


@contextlib.contextmanager
def only_environment_imports():
    folders = environment_folders()
    hidden = {name: module for name, module in list(sys.modules.items())
              if not _trusted_module(name, module, folders)}
    for name in hidden:
        del sys.modules[name]
    saved_path = list(sys.path)
    sys.path[:] = [p for p in sys.path if _inside(p or os.curdir, folders) or
                   os.path.realpath(p or os.curdir) == os.path.realpath(ROOT)]
    guard = _OnlyEnvironment(folders)
    sys.meta_path.insert(0, guard)
    try:
        yield guard
    finally:
        sys.meta_path.remove(guard)
        sys.path[:] = saved_path
        sys.modules.update(hidden)
