"""Load a learner's submission and save the trained model, for the training scripts
(`python -m exercises.<week>_training`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def resolve_submission(path, filename):
    """The .py file named by PATH (a file, or a folder holding `filename`)."""
    path = Path(path).expanduser().resolve()
    if path.is_dir():
        path = path / filename
    if not path.is_file():
        raise FileNotFoundError(f"submission not found: {path}")
    if path.suffix != ".py":
        raise ValueError(f"submission must be a .py file, got {path.name}")
    return path


def load_submission(path, filename, required_functions):
    """Import the submission file as a module and check its functions exist."""
    path = resolve_submission(path, filename)
    spec = importlib.util.spec_from_file_location(f"{path.stem}_submission", path)
    module = importlib.util.module_from_spec(spec)
    # Let the submission import helper files that sit next to it.
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
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
