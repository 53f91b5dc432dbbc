"""Pretrained networks in the worker: nothing is downloaded, a cached weight file is used,
and what the learner asked for is recorded. Each case runs in a fresh interpreter with its
own Keras cache (KERAS_HOME), as a worker would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from grading_helpers import ROOT

PRELUDE = """
import json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tensorflow as tf
from graders.worker import pretrained
notes = []
pretrained.install(notes)
"""


def _run(tmp_path, body: str) -> dict:
    env = dict(os.environ, KERAS_HOME=str(tmp_path / "keras-home"))
    completed = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_missing_weights_build_the_network_without_them_and_say_so(tmp_path):
    found = _run(tmp_path, """
        model = tf.keras.applications.mobilenet_v2.MobileNetV2(input_shape=(224, 224, 3),
                                                               include_top=False, weights="imagenet")
        print(json.dumps({"calls": pretrained.take_calls(), "notes": notes,
                          "params": model.count_params(), "after": pretrained.take_calls()}))
    """)
    (call,) = found["calls"]
    assert call["network"] == "MobileNetV2" and call["weights"] == "imagenet"
    assert call["include_top"] is False and call["input_shape"] == [224, 224, 3]
    assert call["weights_loaded"] is False
    assert found["params"] == 2_257_984
    assert any("not in the Keras cache" in note and "MobileNetV2" in note for note in found["notes"])
    assert found["after"] == []


def test_a_weight_file_in_the_keras_cache_is_loaded(tmp_path):
    """The cached file is written here from seeded weights, in the legacy HDF5 layout
    Keras' own weight files have; the network built with weights='imagenet' must hold them."""
    found = _run(tmp_path, """
        import numpy as np
        from keras.src.legacy.saving import legacy_h5_format
        import h5py
        donor = tf.keras.applications.MobileNetV2(input_shape=(224, 224, 3), include_top=False, weights=None)
        rng = np.random.default_rng(0)
        donor.set_weights([rng.normal(size=w.shape).astype("float32") for w in donor.weights])
        folder = os.path.join(os.environ["KERAS_HOME"], "models")
        os.makedirs(folder, exist_ok=True)
        name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
        with h5py.File(os.path.join(folder, name), "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, donor)
        pretrained.take_calls()
        model = tf.keras.applications.mobilenet_v2.MobileNetV2(input_shape=(224, 224, 3),
                                                               include_top=False, weights="imagenet")
        same = all(np.array_equal(a, b) for a, b in zip(model.get_weights(), donor.get_weights()))
        print(json.dumps({"calls": pretrained.take_calls(), "same": same, "notes": notes}))
    """)
    (call,) = found["calls"]
    assert call["weights_loaded"] is True and found["same"] is True
    assert found["notes"] == []


def test_other_networks_and_nested_constructors_are_recorded_once(tmp_path):
    found = _run(tmp_path, """
        import keras
        keras.applications.ResNet50(include_top=True, weights=None)
        tf.keras.applications.MobileNetV3Small(input_shape=(224, 224, 3), include_top=False)
        print(json.dumps({"calls": pretrained.take_calls()}))
    """)
    assert [(c["network"], c["include_top"], c["weights"]) for c in found["calls"]] == [
        ("ResNet50", True, None), ("MobileNetV3Small", False, "imagenet")]


def test_datasets_are_not_downloaded_either(tmp_path):
    found = _run(tmp_path, """
        try:
            tf.keras.datasets.mnist.load_data()
            outcome = "loaded"
        except pretrained.NotCached as error:
            outcome = str(error)
        print(json.dumps({"outcome": outcome}))
    """)
    assert "mnist.npz is not in the Keras cache" in found["outcome"]
    assert "does not download" in found["outcome"]
