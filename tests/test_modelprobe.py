"""Seeded weights depend on graph position, not on the order layers were created in."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from graders.worker import modelprobe  # noqa: E402


def _two_branch(creation_order):
    inputs = [keras.Input((4, 4, 3)), keras.Input((4, 4, 5))]
    layers = {}
    for name in creation_order:
        layers[name] = keras.layers.Conv2D(2, 1, name=name) if name != "mix" else keras.layers.Conv2D(2, 3, padding="same", name=name)
    a = layers["a"](inputs[0])
    b = layers["b"](inputs[1])
    return keras.Model(inputs, layers["mix"](keras.layers.Add()([a, b])))


def test_creation_order_does_not_change_outputs():
    x = [np.random.default_rng(0).normal(size=(1, 4, 4, c)).astype("float32") for c in (3, 5)]
    outputs = []
    for order in (["a", "b", "mix"], ["mix", "b", "a"]):
        model = _two_branch(order)
        modelprobe.seed_weights(model, 7)
        outputs.append(modelprobe.predict(model, x)[0])
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-6)


def test_separate_activation_layers_and_sequential_blocks_key_alike():
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 1)).astype("float32")
    inputs = keras.Input((6, 6, 1))
    functional = keras.Model(inputs, keras.layers.Conv2D(3, 3, activation="relu")(inputs))
    inputs = keras.Input((6, 6, 1))
    block = keras.Sequential([keras.layers.Conv2D(3, 3), keras.layers.ReLU()])
    nested = keras.Model(inputs, block(inputs))
    results = []
    for model in (functional, nested):
        modelprobe.seed_weights(model, 3)
        results.append(modelprobe.predict(model, x)[0])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_batch_norm_scale_has_both_signs():
    inputs = keras.Input((4, 4, 64))
    model = keras.Model(inputs, keras.layers.BatchNormalization()(inputs))
    modelprobe.seed_weights(model, 0)
    gamma = model.layers[-1].get_weights()[0]
    assert (gamma < 0).any() and (gamma > 0).any()


def test_layer_table_rows():
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.MaxPool2D()(keras.layers.Conv2D(4, 3, padding="same")(inputs)))
    rows = modelprobe.layer_table(model)
    assert [r["type"] for r in rows] == ["InputLayer", "Conv2D", "MaxPooling2D"]
    assert rows[1]["params"] == 40 and rows[2]["output_shape"] == [None, 4, 4, 4]
