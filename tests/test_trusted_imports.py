"""While a model file loads, imports come only from the grader's environment (no TensorFlow here)."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import types

import pytest

from graders.worker.trusted_imports import only_environment_imports


@pytest.fixture
def planted(tmp_path):
    """A learner's `keras_hub/` that records it ran, and the learner's folder on the path."""
    package = tmp_path / "keras_hub"
    package.mkdir()
    (package / "__init__.py").write_text("import builtins\nbuiltins.KERAS_HUB_RAN = True\n")
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n.split(".")[0] == "keras_hub"]:
        del sys.modules[name]
    import builtins

    builtins.__dict__.pop("KERAS_HUB_RAN", None)


def test_the_submissions_folder_is_off_the_path_while_loading(planted):
    with only_environment_imports() as guard:
        with pytest.raises(ImportError):
            importlib.import_module("keras_hub")
    assert "keras_hub" in guard.missing
    import builtins

    assert not hasattr(builtins, "KERAS_HUB_RAN")
    importlib.import_module("keras_hub")  # afterwards the path is as it was
    assert builtins.KERAS_HUB_RAN


def test_a_finder_planted_by_learner_code_is_refused(planted):
    class LearnersFinder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name == "keras_hub":
                return importlib.machinery.PathFinder.find_spec(name, [str(planted)])
            return None

    sys.meta_path.insert(0, LearnersFinder)
    try:
        with only_environment_imports() as guard:
            with pytest.raises(ImportError, match="not part of the grader's environment"):
                importlib.import_module("keras_hub")
    finally:
        sys.meta_path.remove(LearnersFinder)
    assert guard.refused == ["keras_hub"]
    import builtins

    assert not hasattr(builtins, "KERAS_HUB_RAN")


def test_a_module_planted_in_sys_modules_is_out_of_reach(planted):
    fake = types.ModuleType("keras_hub")  # no file: made by learner code
    fake.layers = "forged"
    sys.modules["keras_hub"] = fake
    with only_environment_imports():
        assert "keras_hub" not in sys.modules
        with pytest.raises(ImportError):
            importlib.import_module("keras_hub")
    assert sys.modules["keras_hub"] is fake  # restored for the code that made it


def test_the_environments_own_modules_still_import():
    sys.modules.pop("colorsys", None)
    with only_environment_imports() as guard:
        assert importlib.import_module("colorsys").__name__ == "colorsys"  # the standard library
        assert importlib.import_module("numpy").__name__ == "numpy"  # an installed package
        assert importlib.import_module("graders.judge.compare")  # the grader's own
    assert not guard.refused
