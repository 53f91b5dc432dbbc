"""A local stand-in for the TF Hub InceptionV3 classifier of lab C3W4-L3, and no downloads.

The lab loads `https://tfhub.dev/google/tf2-preview/inception_v3/classification/4`,
which cannot be reached here (nor inside the grader's sandbox). So the grader
writes a SavedModel of its own that the learner's code loads with the real
`tensorflow_hub.load(handle)`; only the handle (a local folder) differs.

It has the hub model's signature, not its size: float32 images (batch, 299,
299, 3) in [0, 1] -> (batch, 1001) class *logits*, like the hub model (the lab
adds the softmax itself). Inside is a compact CNN (three strided convolutions,
global average pooling, a dense layer of 1001) with weights drawn from a fixed
seed, so every worker writes the same model in about a second, and real
gradients flow through it. It is not InceptionV3 and knows no ImageNet classes:
the probes judge the learner's code against the same model, never against
"the right class".

`refuse_downloads()` makes `tensorflow_hub` fail at once, and clearly, on any
handle that is not a local path, instead of reaching for the network.
"""

from __future__ import annotations

import contextlib
import functools
import os

import numpy as np

IMAGE_SIZE = 299
CLASSES = 1001
SEED = 20240  # the weights of the local classifier
LAYERS = ((5, 3, 16), (3, 16, 32), (3, 32, 48))  # (kernel, in, out) of the stride-2 convolutions
LOCAL_HINT = ("the grader works offline: load the classifier from the `handle` it passes "
              "(hub.load(handle)), not from a URL")


def weights(seed: int = SEED) -> list[np.ndarray]:
    """He-scaled normal kernels and small biases, the same on every machine."""
    rng = np.random.default_rng(seed)
    arrays = []
    for kernel, channels_in, channels_out in LAYERS:
        fan_in = kernel * kernel * channels_in
        arrays.append(rng.normal(0, np.sqrt(2 / fan_in), (kernel, kernel, channels_in, channels_out)))
        arrays.append(rng.normal(0, 0.05, channels_out))
    features = LAYERS[-1][2]
    arrays.append(rng.normal(0, np.sqrt(1 / features) * 4, (features, CLASSES)))
    arrays.append(rng.normal(0, 0.1, CLASSES))
    return [a.astype(np.float32) for a in arrays]


def _module(seed: int):
    import tensorflow as tf

    class Classifier(tf.Module):
        """(batch, 299, 299, 3) images in [0, 1] -> (batch, 1001) logits."""

        def __init__(self):
            super().__init__(name="local_inception_stand_in")
            self.variables_ = [tf.Variable(a, trainable=False) for a in weights(seed)]

        @tf.function(input_signature=[tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 3], tf.float32)])
        def __call__(self, images):
            x = images * 2.0 - 1.0
            for index in range(len(LAYERS)):
                kernel, bias = self.variables_[2 * index], self.variables_[2 * index + 1]
                x = tf.nn.relu(tf.nn.conv2d(x, kernel, strides=2, padding="SAME") + bias)
            x = tf.reduce_mean(x, axis=[1, 2])
            return tf.matmul(x, self.variables_[-2]) + self.variables_[-1]

    return Classifier()


def save(directory: str, seed: int = SEED) -> str:
    """Write the classifier as a SavedModel in `directory` (made if missing); return the handle."""
    import tensorflow as tf

    module = _module(seed)
    tf.saved_model.save(module, directory, signatures={"serving_default": module.__call__})
    return directory


@functools.lru_cache(maxsize=1)
def local_handle() -> str:
    """The folder of the local classifier, written once per process (a worker)."""
    import tempfile

    return save(os.path.join(tempfile.mkdtemp(prefix="cvgrade-hub-"), "inception_v3_classification"))


def logits(images: np.ndarray, seed: int = SEED) -> np.ndarray:
    """What the SavedModel computes, without loading it (for tests of the loader)."""
    return _module(seed)(np.asarray(images, dtype=np.float32)).numpy()


# --- no downloads ------------------------------------------------------------------------------
class OfflineHandle(RuntimeError):
    """A hub handle that would need the network; the grader never downloads."""


def _is_remote(handle) -> bool:
    text = str(handle)
    return "://" in text and not text.startswith("file://")


class _RefuseRemote:
    """A `tensorflow_hub` resolver tried before all others: remote handles fail at once."""

    cvgrade_offline = True

    def is_supported(self, handle):
        return _is_remote(handle)

    def __call__(self, handle):
        raise OfflineHandle(f"{handle} cannot be downloaded: {LOCAL_HINT}")


def refuse_downloads() -> None:
    """Register the refusing resolver with `tensorflow_hub` (imports it: seconds, once)."""
    from tensorflow_hub import registry

    if not any(getattr(impl, "cvgrade_offline", False) for impl in registry.resolver._impls):
        registry.resolver.add_implementation(_RefuseRemote())  # the last added is tried first


class _RefuseOnImport:
    """A meta-path finder that calls `refuse_downloads` right after `tensorflow_hub` is first
    imported, so even a learner's top-level `hub.load(URL)` fails clearly; it imports nothing
    itself."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow_hub.config":
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        original = spec.loader.exec_module

        def exec_module(module):
            original(module)
            module._run = _after(module._run)

        spec.loader.exec_module = exec_module
        return spec


def _after(run):
    def run_then_refuse():
        run()
        refuse_downloads()

    return run_then_refuse


def refuse_downloads_on_import() -> None:
    """Install `_RefuseOnImport` once; when `tensorflow_hub` is already imported, refuse now."""
    import sys

    if "tensorflow_hub" in sys.modules:
        refuse_downloads()
    elif not any(isinstance(finder, _RefuseOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RefuseOnImport())


@contextlib.contextmanager
def saved_model_reads():
    """Yield a list that collects the folder of every SavedModel read meanwhile, however it is
    loaded (`hub.load`, `tf.saved_model.load`, ...)."""
    from tensorflow.python.saved_model import loader_impl

    folders: list[str] = []
    original = loader_impl.parse_saved_model_with_debug_info

    def recording(export_dir):
        folders.append(os.path.realpath(os.fsdecode(export_dir)))
        return original(export_dir)

    loader_impl.parse_saved_model_with_debug_info = recording
    try:
        yield folders
    finally:
        loader_impl.parse_saved_model_with_debug_info = original
