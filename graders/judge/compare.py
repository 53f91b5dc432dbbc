"""Small pure comparisons that checks are built from; each returns (ok, one-line reason)."""

from __future__ import annotations

import difflib

import numpy as np


def shape_text(shape) -> str:
    parts = ["None" if s is None else str(int(s)) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def array_difference(actual: np.ndarray, expected: np.ndarray) -> float:
    """Largest absolute difference, relative to the largest expected magnitude (at least 1)."""
    scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
    if actual.size == 0:
        return 0.0
    with np.errstate(invalid="ignore"):
        difference = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    if not np.all(np.isfinite(difference)):
        return float("inf")
    return float(np.max(difference)) / scale


def check_array(actual, expected, name: str = "output", tolerance: float = 1e-3) -> tuple[bool, str]:
    """Same shape and values within `tolerance` of the expected scale."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        return False, f"{name} has shape {shape_text(actual.shape)}, expected {shape_text(expected.shape)}"
    difference = array_difference(actual, expected)
    if difference <= tolerance:
        return True, f"{name} matches"
    if not np.isfinite(difference):
        return False, f"{name} contains NaN or infinite values"
    return False, (f"{name} has the right shape but different values "
                   f"(largest difference {difference:.3g} of the expected scale, allowed {tolerance:g})")


def check_close(actual: float, expected: float, name: str, tolerance: float = 1e-6) -> tuple[bool, str]:
    if actual is None or not np.isfinite(actual):
        return False, f"{name} is {actual}, expected {expected:.6g}"
    if abs(actual - expected) <= tolerance * max(1.0, abs(expected)):
        return True, f"{name} matches"
    return False, f"{name} is {actual:.6g}, expected {expected:.6g}"


_SETTING_NAMES = {"kernel_size": "kernel", "pool_size": "pool", "negative_slope": "slope"}


def settings_text(row: dict) -> str:
    """The settings that tell two layers of one type apart, briefly: 'kernel (3, 3), same, relu'."""
    config = row.get("config", {})
    parts = []
    for key in ("filters", "units", "kernel_size", "pool_size", "strides", "padding", "cropping",
                "activation", "use_bias", "rate", "negative_slope", "size"):
        if key not in config or config[key] is None:
            continue
        value = config[key]
        if key == "padding" and row["type"] not in ("ZeroPadding2D",):
            parts.append(str(value))
        elif key == "activation":
            if value != "linear":
                parts.append(activation_name(value))
        elif key == "use_bias":
            parts.append("bias" if value else "no bias")
        else:
            parts.append(f"{_SETTING_NAMES.get(key, key)} {_tuple_text(value)}")
    return ", ".join(parts)


def _tuple_text(value) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(_tuple_text(v) for v in value) + ")"
    return str(value)


def _row_signature(row: dict) -> str:
    return f"{row['type']}|{row['output_shape']}|{row['params']}|{settings_text(row)}"


def layer_table_diff(actual: list[dict], expected: list[dict]) -> tuple[list[list[str]], tuple[int, ...]]:
    """Side-by-side table of two layer tables, aligned, with the differing rows marked.

    Returns the table (header first) and the 1-based indexes of marked rows.
    """
    def cells(row):
        if row is None:
            return ["", "", "", ""]
        shape = shape_text(row["output_shape"]) if row["output_shape"] else "?"
        return [row["type"], shape, str(row["params"]), settings_text(row)]

    header = ["your layer", "output shape", "params", "settings",
              "expected layer", "output shape", "params", "settings"]
    table, marked = [header], []
    matcher = difflib.SequenceMatcher(a=[_row_signature(r) for r in actual],
                                      b=[_row_signature(r) for r in expected], autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        for offset in range(max(a1 - a0, b1 - b0)):
            left = actual[a0 + offset] if a0 + offset < a1 else None
            right = expected[b0 + offset] if b0 + offset < b1 else None
            table.append(cells(left) + cells(right))
            if tag != "equal":
                marked.append(len(table) - 1)
    return table, tuple(marked)


def layers_of_type(observation: dict, *types: str) -> list[dict]:
    return [row for row in observation.get("layers", []) if row["type"] in types]


def activations(observation: dict) -> list[str]:
    """Every activation in graph order, whether a layer argument or a layer of its own."""
    found = []
    for row in observation.get("layers", []):
        config = row["config"]
        if row["type"] == "Activation":
            found.append(activation_name(config.get("activation")))
        elif row["type"] in _ACTIVATION_LAYERS:
            found.append(activation_name(row["type"]))
        elif config.get("activation") not in (None, "linear"):
            found.append(activation_name(config.get("activation")))
    return found


_ACTIVATION_LAYERS = ("ReLU", "LeakyReLU", "Softmax", "ELU", "PReLU")


def activation_name(name) -> str:
    """One spelling per activation: 'LeakyReLU' (a layer or a layer passed as activation=),
    'leaky_relu' and 'relu' stay apart only where they differ."""
    text = str(name)
    spelled = {"LeakyReLU": "leaky_relu", "ReLU": "relu", "Softmax": "softmax", "ELU": "elu",
               "PReLU": "prelu"}
    return spelled.get(text, text.lower())
