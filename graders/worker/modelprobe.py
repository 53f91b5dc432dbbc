"""Probe-side helpers for Keras models: a layer table, seeded weights, outputs.

Runs in the submission worker only (it imports Keras). Everything it returns is
plain data for the trusted side.

Why seeded weights are keyed by graph position and not by creation order:
learners create layers in many orders (helpers of their own, projections made
before they are used), so `model.weights` of two equivalent networks can come
in different orders. Each weighted layer is keyed by its *weighted depth* (the
number of weighted layers on the longest path from the input up to and
including it), its type and its weight shapes; the same key always gets the
same weights. Layers without weights (activations, dropout, cropping, pooling,
add) do not change the depth, so `activation='relu'` and a separate `ReLU()`
layer key identically.
"""

from __future__ import annotations

import zlib

import numpy as np

_CONFIG_KEYS = (
    "filters", "kernel_size", "strides", "padding", "activation", "use_bias", "units",
    "pool_size", "cropping", "rate", "negative_slope", "size", "data_format", "axis",
)


def _is_model(operation) -> bool:
    import keras

    return isinstance(operation, keras.Model)


def weighted_layers(model) -> list[tuple[object, int]]:
    """(layer, weighted depth) for every layer with weights, nested models flattened."""
    found: dict[int, tuple[object, int]] = {}

    def record(layer, depth):
        key = id(layer)
        if key not in found or found[key][1] < depth:
            found[key] = (layer, depth)

    def walk(m, input_depths: list[int]) -> list[int]:
        import keras

        if isinstance(m, keras.Sequential):
            depth = max(input_depths, default=0)
            for layer in m.layers:
                if _is_model(layer):
                    depth = walk(layer, [depth])[0]
                elif layer.weights:
                    depth += 1
                    record(layer, depth)
            return [depth]
        memo = {id(t): d for t, d in zip(m.inputs, input_depths)}

        def depth_of(tensor) -> int:
            if id(tensor) in memo:
                return memo[id(tensor)]
            operation, node_index, tensor_index = tensor._keras_history
            node = operation._inbound_nodes[node_index]
            inputs = [depth_of(t) for t in node.input_tensors]
            if _is_model(operation):
                depth = walk(operation, inputs)[tensor_index]
            else:
                depth = max(inputs, default=0)
                if getattr(operation, "weights", None):  # ops such as `x + 3` have no weights
                    depth += 1
                    record(operation, depth)
            memo[id(tensor)] = depth
            return depth

        return [depth_of(t) for t in m.outputs]

    walk(model, [0] * len(model.inputs))
    return sorted(found.values(), key=lambda pair: pair[1])


def _weight_role(variable) -> str:
    return variable.name.rsplit("/", 1)[-1].split(":")[0]


def _draw(role: str, shape: tuple[int, ...], layer_type: str, rng: np.random.Generator) -> np.ndarray:
    if role in ("kernel", "depthwise_kernel", "pointwise_kernel", "embeddings"):
        if layer_type.endswith("Transpose"):
            fan_in = shape[-1]  # (h, w, out, in): each output pixel sees about `in` values
        else:
            fan_in = int(np.prod(shape[:-1])) or 1
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    if role == "gamma":
        # Random signs make batch norm non-monotone, so normalising before pooling
        # gives different outputs from normalising after it.
        return rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    if role == "moving_variance":
        return rng.uniform(0.5, 1.5, size=shape)
    return rng.normal(0.0, 0.2, size=shape)  # bias, beta, moving_mean and the rest


def seed_weights(model, seed: int) -> None:
    """Give `model` weights that depend only on `seed` and each layer's graph position."""
    seen: dict[tuple, int] = {}
    for layer, depth in weighted_layers(model):
        layer_type = type(layer).__name__
        shapes = tuple(tuple(int(s) for s in w.shape) for w in layer.weights)
        signature = (depth, layer_type, shapes)
        duplicate = seen.get(signature, 0)
        seen[signature] = duplicate + 1
        tag = zlib.crc32(f"{layer_type}|{shapes}".encode())
        rng = np.random.default_rng([seed, depth, tag, duplicate])
        layer.set_weights([
            _draw(_weight_role(w), tuple(w.shape), layer_type, rng).astype(w.dtype)
            for w in layer.weights
        ])


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, dict):  # serialized objects, e.g. an activation layer
        return value.get("class_name", str(value))
    return str(value)


def shape_of(shape) -> list:
    """A Keras shape as plain data: ints, None for an unknown size."""
    return [None if s is None else int(s) for s in shape]


def layer_table(model) -> list[dict]:
    """One row per layer in graph order: type, output shape, parameters, key config."""
    rows = []

    def add(layer, prefix=""):
        if _is_model(layer):
            for inner in layer.layers:
                add(inner, prefix + layer.name + "/")
            return
        config = layer.get_config()
        try:
            output_shape = layer.output.shape
        except (AttributeError, ValueError):
            output_shape = None
        rows.append({
            "name": prefix + layer.name,
            "type": type(layer).__name__,
            "output_shape": None if output_shape is None else shape_of(output_shape),
            "params": int(layer.count_params()) if layer.built else 0,
            "weights": [shape_of(w.shape) for w in layer.weights],
            "config": {k: _plain(config[k]) for k in _CONFIG_KEYS if k in config},
        })

    for layer in model.layers:
        add(layer)
    return rows


def describe(model) -> dict:
    """The structural part of an observation: layer table and parameter counts."""
    return {
        "layers": layer_table(model),
        "params": int(model.count_params()),
        "trainable_params": int(sum(int(np.prod(w.shape)) for w in model.trainable_weights)),
        "output_shapes": [shape_of(t.shape) for t in model.outputs],
    }


def as_list(outputs) -> list:
    if isinstance(outputs, dict):
        return [outputs[k] for k in sorted(outputs)]
    if isinstance(outputs, (list, tuple)):
        return list(outputs)
    return [outputs]


def predict(model, inputs, batch_size: int = 32) -> list[np.ndarray]:
    """Inference-mode outputs (dropout off, batch norm on moving statistics).

    Probe inputs are a handful of samples: one eager call costs a fraction of
    `model.predict`, which traces a new function for every fresh model."""
    size = len(inputs[0] if isinstance(inputs, (list, tuple)) else inputs)
    if size > batch_size:
        outputs = model.predict(inputs, batch_size=batch_size, verbose=0)
    else:
        outputs = model(inputs, training=False)
    return [np.asarray(o) for o in as_list(outputs)]
