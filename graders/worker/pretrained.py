"""Pretrained networks without downloads: what a learner asked of `keras.applications`, recorded.

Week 1 builds on `MobileNetV2(..., weights='imagenet')`. Grading must neither
download (no network in the sandbox, nor at a learner's desk on a train) nor
fail for want of the file. So, in the worker:

- `keras.utils.get_file` serves only files already in the Keras cache; for any
  other it raises `NotCached` instead of reaching for the network;
- every constructor under `keras.applications` is wrapped: it records the call
  (which network, input shape, include_top, weights) for the probe to judge, and
  when ImageNet weights are asked for but not cached, builds the same network
  without weights and says so in the record.

Probes seed the weights themselves, so a network built without its ImageNet
weights is graded exactly like one built with them.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys

CALLS: list[dict] = []  # what the learner's code asked for since the probe last cleared it
_notes: list[str] = []  # the worker's notes, where a fallback to no weights is said (set by install)
_DEPTH = [0]  # constructors call one another (ResNet50 calls ResNet): record the outermost only
_ARGUMENTS = ("input_shape", "include_top", "weights", "pooling", "classes", "alpha")


class NotCached(OSError):
    """A file Keras would download is not in its cache, and the grader never downloads."""


def _cache_target(fname, origin, cache_subdir="datasets", cache_dir=None, **_ignored) -> str:
    from keras.src.backend import config

    base = os.path.expanduser(cache_dir or config.keras_home())
    name = fname or os.path.basename(str(origin).split("?")[0])
    return os.path.join(base, cache_subdir, name)


def _offline_get_file(original):
    @functools.wraps(original)
    def get_file(fname=None, origin=None, *args, **kwargs):
        names = ("untar", "md5_hash", "file_hash", "cache_subdir")
        where = dict(zip(names, args), **kwargs)
        target = _cache_target(fname, origin, where.get("cache_subdir", "datasets"), where.get("cache_dir"))
        if not os.path.exists(target):
            raise NotCached(f"{os.path.basename(target)} is not in the Keras cache "
                            f"({os.path.dirname(target)}) and the grader does not download files")
        return original(fname, origin, *args, **kwargs)

    get_file.cvgrade_offline = True
    return get_file


def _recording(name: str, constructor):
    signature = inspect.signature(constructor)

    @functools.wraps(constructor)
    def build(*args, **kwargs):
        if _DEPTH[0]:
            return constructor(*args, **kwargs)
        bound = signature.bind_partial(*args, **kwargs).arguments
        call = {"network": name}
        for key in _ARGUMENTS:
            value = bound.get(key, signature.parameters[key].default) if key in signature.parameters else None
            call[key] = list(value) if isinstance(value, tuple) else value
        call["weights_loaded"] = call["weights"] is not None
        call["note"] = None  # every call has every key (the trusted side requires the reference's)
        CALLS.append(call)
        _DEPTH[0] += 1
        try:
            return constructor(*args, **kwargs)
        except NotCached as missing:
            if bound.get("weights", "imagenet") != "imagenet":
                raise
            call["weights_loaded"] = False
            call["note"] = (f"ImageNet weights for {name} are not in the Keras cache here, so it was "
                            f"built without them ({missing}); probes use seeded weights either way")
            _notes.append(call["note"])
            return constructor(*args, **{**kwargs, **_without_weights(signature, args)})
        finally:
            _DEPTH[0] -= 1

    build.cvgrade_recorded = constructor
    return build


def _without_weights(signature, args) -> dict:
    """Keyword arguments that override `weights` even when it was passed by position."""
    positional = list(signature.parameters)[:len(args)]
    if "weights" in positional:
        raise NotCached("weights passed by position cannot be replaced")
    return {"weights": None}


def install(notes: list[str] | None = None) -> None:
    """Wrap `get_file` and the application constructors everywhere Keras exports them;
    a network built without the weights it asked for is said in `notes`."""
    global _notes
    if notes is not None:
        _notes = notes
    import keras  # noqa: F401  (loads the public API modules that re-export the constructors)
    from keras.src.applications import (
        convnext,
        densenet,
        efficientnet,
        efficientnet_v2,
        inception_resnet_v2,
        inception_v3,
        mobilenet,
        mobilenet_v2,
        mobilenet_v3,
        nasnet,
        resnet,
        resnet_v2,
        vgg16,
        vgg19,
        xception,
    )
    from keras.src.utils import file_utils

    replacements = {}
    if not getattr(file_utils.get_file, "cvgrade_offline", False):
        replacements[id(file_utils.get_file)] = _offline_get_file(file_utils.get_file)
    for module in (convnext, densenet, efficientnet, efficientnet_v2, inception_resnet_v2,
                   inception_v3, mobilenet, mobilenet_v2, mobilenet_v3, nasnet, resnet, resnet_v2,
                   vgg16, vgg19, xception):
        for name, value in vars(module).items():
            if (name[:1].isupper() and inspect.isfunction(value) and value.__module__ == module.__name__
                    and "include_top" in inspect.signature(value).parameters):
                replacements[id(value)] = _recording(name, value)
    _import_tf_keras_applications()
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith(("keras", "tensorflow")):
            continue
        for name, value in list(vars(module).items()):
            replacement = replacements.get(id(value))
            if replacement is not None:
                setattr(module, name, replacement)


def _import_tf_keras_applications() -> None:
    """`tf.keras.applications` re-exports lazily; load it so its names can be rebound too."""
    try:
        import keras._tf_keras.keras.applications  # noqa: F401
        import keras._tf_keras.keras.utils  # noqa: F401
    except ImportError:
        pass


def take_calls() -> list[dict]:
    """The calls recorded since the last take, and a fresh record."""
    calls = list(CALLS)
    CALLS.clear()
    return calls
