"""Load a learner's submission and save the trained model, for the training scripts
(`python -m exercises.<week>_training`). A submission is the exercise module (`.py`) or a
notebook (`.ipynb`, such as notebooks/C3W3.ipynb): a notebook's code is what the grader runs
of it (imports, definitions, constants), read by the grader's own notebook loader."""

from __future__ import annotations

import functools
import importlib.util
import sys
import types
from pathlib import Path


def resolve_submission(path, filename):
    """The .py file or notebook named by PATH (a file, or a folder holding `filename`)."""
    path = Path(path).expanduser().resolve()
    if path.is_dir():
        path = path / filename
    if not path.is_file():
        raise FileNotFoundError(f"submission not found: {path}")
    if path.suffix not in (".py", ".ipynb"):
        raise ValueError(f"submission must be a .py file or a notebook (.ipynb), got {path.name}")
    return path


def _notebook_code(path, filename):
    """The code of a notebook as the grader runs it, the assignment's top-level steps (such as
    C3W3's `model.compile(...)` cell) made into its functions."""
    from graders.shared.registry import all_assignments
    from graders.submissions.notebook import load_notebook

    module = Path(filename).stem
    steps = next((suite.steps for suite in all_assignments() if suite.module == module), ())
    return load_notebook(path, steps).code


def load_submission(path, filename, required_functions):
    """Import the submission file as a module and check its functions exist."""
    path = resolve_submission(path, filename)
    if path.suffix == ".ipynb":
        module = types.ModuleType(f"{path.stem}_submission")
        module.__file__ = str(path)
        code = compile(_notebook_code(path, filename), str(path), "exec")
        run = functools.partial(exec, code, module.__dict__)
    else:
        spec = importlib.util.spec_from_file_location(f"{path.stem}_submission", path)
        module = importlib.util.module_from_spec(spec)
        run = functools.partial(spec.loader.exec_module, module)
    # Let the submission import helper files that sit next to it.
    sys.path.insert(0, str(path.parent))
    try:
        run()
    finally:
        sys.path.remove(str(path.parent))
    missing = [name for name in required_functions if not callable(getattr(module, name, None))]
    if missing:
        raise AttributeError(f"{path.name} must define {', '.join(missing)}")
    return module


def save_for_grading(model, out):
    """Save an uncompiled copy of `model` at `out`: the optimizer's state (Adam keeps two values
    per weight) would triple the file, and grading only needs the weights."""
    import tensorflow as tf

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    inference_model = tf.keras.models.clone_model(model)
    inference_model.set_weights(model.get_weights())
    inference_model.save(out)
    print(f"saved the model to {out}")
