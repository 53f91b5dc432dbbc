"""Does an observation have the shape its probe gives every submission? Asked before any check.

A worker runs the learner's code, which can replace a probe and send any plain data. A check
that zips the learner's cases with the reference's, or reads a key with a default, would judge
an empty, cut or incomplete forgery as correct. So before judging, the trusted side holds the
observation against the reference's skeleton, once, for every exercise:

* every key of the reference is there (a missing key is a failure, never a default);
* lists the probe makes (its cases, its pictures) keep their length and order of kinds;
* arrays stay arrays and plain values stay plain values.

Parts whose shape depends on the learner's own code (the layers of their model, its outputs,
a shape, what `compile` was given) are free in size, not in kind: a model with one layer too
many is a wrong answer for the check to explain, not a forged observation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Keys whose list length follows the learner's code: each item must look like the reference's first.
LEARNER_SIZED = frozenset({
    "layers", "outputs", "output_shapes", "output_names", "output_layers", "networks", "weights",
    "input_shape", "input_shapes", "output_shape", "shape", "layer_shape", "upsampling",
    "kernel_size", "strides", "reads",
    "chosen", "picked", "ids", "keys", "made", "restores", "keywords", "changed", "losses",
    "entities", "signatures", "boxes_shape", "scores_shape", "masks_shape", "values", "texts", "predict_inputs",
    "initializers", "joined",
})
# Keys whose very kind follows the learner's code (a loss as a name or a {output: loss} dict,
# an optimizer's own settings, a layer's config): any plain value.
LEARNER_SHAPED = frozenset({"loss", "metrics", "optimizer", "config", "shapes"})

_PLAIN = (type(None), bool, int, float, str)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, np.ndarray):
        return "an array"
    if isinstance(value, _PLAIN):
        return "a plain value"
    return f"a {type(value).__name__}"


def shape_problem(observation: Any, skeleton: Any) -> str | None:
    """Where `observation` departs from the shape of `skeleton` (a reference observation), in one
    phrase naming the place, or None when it conforms."""
    return _problem(observation, skeleton, "the observation", None)


def _problem(value: Any, expected: Any, where: str, key: str | None) -> str | None:
    if key in LEARNER_SHAPED:
        return None
    kind, wanted = _kind(value), _kind(expected)
    if kind != wanted:
        return f"{where} is {kind}, where the probe gives {wanted}"
    if isinstance(expected, dict):
        for name, part in expected.items():
            if name not in value:
                return f"{where} lacks {name!r}"
            problem = _problem(value[name], part, f"{where}[{name!r}]", name)
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if key in LEARNER_SIZED:
            pairs = [(item, expected[0]) for item in value] if expected else []
        elif len(value) != len(expected):
            return f"{where} has {len(value)} entries, where the probe gives {len(expected)}"
        else:
            pairs = list(zip(value, expected))
        for index, (item, part) in enumerate(pairs):
            problem = _problem(item, part, f"{where}[{index}]", key)
            if problem:
                return problem
    return None
