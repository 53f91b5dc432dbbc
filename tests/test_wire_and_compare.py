"""Pure parts of the engine: the plain-data wire format and the comparison helpers."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graders.judge import compare
from graders.shared import wire

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53), st.text(max_size=20),
                    st.floats(allow_nan=False))
arrays = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int32, np.uint8, np.bool_]),
                    hnp.array_shapes(max_dims=3, max_side=4))
values = st.recursive(st.one_of(scalars, arrays),
                      lambda inner: st.one_of(st.lists(inner, max_size=4),
                                              st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or (a != a and b != b)


@given(values)
def test_wire_round_trip(value):
    assert _same(wire.loads(wire.dumps(value)), value)


def test_wire_keeps_infinities_and_tuples_become_lists():
    assert wire.loads(wire.dumps({"x": float("inf"), "t": (1, 2)})) == {"x": float("inf"), "t": [1, 2]}


def test_wire_refuses_objects_and_pickles():
    with pytest.raises(wire.WireError):
        wire.dumps({"f": object()})
    with pytest.raises(wire.WireError):
        wire.dumps(np.array([object()], dtype=object))
    with pytest.raises(wire.WireError):
        wire.loads(pickle.dumps({"score": 100}))
    buffer = io.BytesIO()
    np.savez(buffer, __json__=np.frombuffer(b'{"a": 1}', dtype=np.uint8), evil=np.array([{"x": 1}], dtype=object))
    with pytest.raises(wire.WireError):
        wire.loads(buffer.getvalue())


def test_wire_save_is_atomic_and_loads_back(tmp_path):
    path = tmp_path / "obs.npz"
    wire.save(path, {"outputs": [np.arange(6).reshape(2, 3)]})
    assert [p.name for p in tmp_path.iterdir()] == ["obs.npz"]
    assert np.array_equal(wire.load(path)["outputs"][0], np.arange(6).reshape(2, 3))


def test_check_array_explains_shape_and_values():
    ok, reason = compare.check_array(np.zeros((2, 64, 84, 32)), np.zeros((2, 32, 42, 32)))
    assert not ok and reason == "output has shape (2, 64, 84, 32), expected (2, 32, 42, 32)"
    ok, reason = compare.check_array(np.ones(3), np.zeros(3))
    assert not ok and "different values" in reason
    ok, _ = compare.check_array(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    assert not ok


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=5),
                  elements=st.floats(-1e6, 1e6)))
def test_an_array_matches_itself_and_scaling_is_relative(array):
    assert compare.check_array(array, array)[0]
    assert compare.array_difference(array * 1.00001, array) <= 1e-4


def test_shape_text():
    assert compare.shape_text([None, 32, 42, 32]) == "(None, 32, 42, 32)"
    assert compare.shape_text([5]) == "(5,)"


def test_layer_table_diff_marks_only_differing_rows():
    def row(kind, shape, params):
        return {"type": kind, "output_shape": shape, "params": params, "config": {}}

    expected = [row("Conv2D", [None, 8, 8, 4], 40), row("LeakyReLU", [None, 8, 8, 4], 0),
                row("MaxPooling2D", [None, 4, 4, 4], 0)]
    actual = [row("Conv2D", [None, 8, 8, 4], 40), row("ReLU", [None, 8, 8, 4], 0),
              row("MaxPooling2D", [None, 4, 4, 4], 0)]
    table, marked = compare.layer_table_diff(actual, expected)
    assert table[0][0] == "your layer" and marked == (2,)
    assert table[2][0] == "ReLU" and table[2][4] == "LeakyReLU"


def test_settings_tell_layers_of_one_type_apart():
    crop = {"type": "Cropping2D", "config": {"cropping": [[0, 0], [0, 12]]}}
    conv = {"type": "Conv2D", "config": {"filters": 32, "kernel_size": [3, 3], "padding": "same",
                                          "activation": "LeakyReLU", "use_bias": True}}
    assert compare.settings_text(crop) == "cropping ((0, 0), (0, 12))"
    assert compare.settings_text(conv) == "filters 32, kernel (3, 3), same, leaky_relu, bias"


def test_a_message_that_unpacks_to_too_much_is_refused(monkeypatch):
    """A compressed bomb from a worker must not fill the trusted process's memory."""
    monkeypatch.setattr(wire, "MAX_MESSAGE_BYTES", 1 << 20)
    bomb = wire.dumps({"zeros": np.zeros(1 << 22, dtype=np.uint8)}, compress=True)
    assert len(bomb) < 1 << 16
    with pytest.raises(wire.WireError, match="unpacks to"):
        wire.loads(bomb)
    assert wire.loads(wire.dumps({"small": np.zeros(10)}))["small"].shape == (10,)
