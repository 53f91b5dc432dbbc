"""Keras 2 spellings with one meaning are translated, and each leaves a note."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from graders.worker import keras2  # noqa: E402


@pytest.fixture(scope="module")
def notes():
    collected: list[str] = []
    keras2.install(collected)
    keras2.install(collected)  # installing twice must not wrap twice
    return collected


def test_lr_becomes_learning_rate(notes):
    del notes[:]
    optimizer = keras.optimizers.SGD(lr=0.05, momentum=0.9)
    assert float(optimizer.learning_rate.numpy()) == pytest.approx(0.05)
    assert notes == ["accepted the Keras 2 argument `lr=`; Keras 3 calls it `learning_rate=`"]


def test_numeric_strings_become_integers(notes):
    del notes[:]
    assert keras.layers.Dense(units="4").units == 4
    assert keras.layers.Dense("8").units == 8
    assert keras.layers.Conv2D(filters="16", kernel_size=3).filters == 16
    assert len(notes) == 3 and "Dense(units='4')" in notes[0]
    with pytest.raises(ValueError):
        keras.layers.Dense(units="four")


def test_leaky_relu_alpha_and_bare_string_metrics(notes):
    del notes[:]
    assert keras.layers.LeakyReLU(alpha=0.2).negative_slope == pytest.approx(0.2)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics="accuracy")
    assert any("`metrics='accuracy'`" in n for n in notes) and any("alpha" in n for n in notes)


def test_layers_keep_their_config_after_wrapping(notes):
    layer = keras.layers.Dense(3, activation="relu")
    assert keras.layers.Dense.from_config(layer.get_config()).units == 3


def test_set_learning_phase_is_accepted_with_a_note(notes):
    import tensorflow as tf

    del notes[:]
    tf.keras.backend.set_learning_phase(True)  # the line C3W2's course notebook gives; Keras 3 removed it
    keras.backend.set_learning_phase(1)
    assert len(notes) == 2 and "set_learning_phase" in notes[0] and "Keras 3 removed" in notes[0]
