"""Accept Keras 2 spellings whose meaning is unambiguous, with a note instead of a failure.

Course notebooks were written for TensorFlow 2.6 / Keras 2. Keras 3 rejects
`SGD(lr=0.01)`, `Dense(units='4')` and `compile(metrics='accuracy')`; their
meaning is plain, so the worker translates them and the feedback says so.
Installed in the worker only, before the learner's code is loaded.
"""

from __future__ import annotations

import functools
import inspect

_OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl")
_INTEGER_ARGUMENTS = {"Dense": "units", "Conv2D": "filters", "Conv2DTranspose": "filters"}


def _wrap_init(cls, translate):
    original = cls.__init__
    if getattr(original, "_keras2_wrapped", False):
        return

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        args, kwargs = translate(args, kwargs)
        original(self, *args, **kwargs)

    # Keras reads __init__'s argument names (getfullargspec) to record the layer's
    # config; the wrapper must show the original signature, not (*args, **kwargs).
    __init__.__signature__ = inspect.signature(original)
    __init__._keras2_wrapped = True
    cls.__init__ = __init__


def install(notes: list[str]) -> None:
    import keras

    def learning_rate(args, kwargs):
        if "lr" in kwargs and "learning_rate" not in kwargs:
            kwargs["learning_rate"] = kwargs.pop("lr")
            notes.append("accepted the Keras 2 argument `lr=`; Keras 3 calls it `learning_rate=`")
        return args, kwargs

    for name in _OPTIMIZERS:
        cls = getattr(keras.optimizers, name, None)
        if cls is not None:
            _wrap_init(cls, learning_rate)

    for layer_name, argument in _INTEGER_ARGUMENTS.items():
        def integer(args, kwargs, argument=argument, layer_name=layer_name):
            value = kwargs.get(argument, args[0] if args else None)
            if isinstance(value, str) and value.strip().isdigit():
                notes.append(f"accepted `{layer_name}({argument}='{value}')` as the number "
                             f"{int(value)}; Keras 3 needs an integer")
                if argument in kwargs:
                    kwargs[argument] = int(value)
                else:
                    args = (int(value),) + tuple(args[1:])
            return args, kwargs

        _wrap_init(getattr(keras.layers, layer_name), integer)

    def leaky_alpha(args, kwargs):
        if "alpha" in kwargs:
            kwargs["negative_slope"] = kwargs.pop("alpha")
            notes.append("accepted the Keras 2 argument `LeakyReLU(alpha=)`; Keras 3 calls it "
                         "`negative_slope=`")
        return args, kwargs

    _wrap_init(keras.layers.LeakyReLU, leaky_alpha)

    original_compile = keras.Model.compile
    if not getattr(original_compile, "_keras2_wrapped", False):
        @functools.wraps(original_compile)
        def compile(self, *args, **kwargs):
            metrics = kwargs.get("metrics")
            if isinstance(metrics, str):
                kwargs["metrics"] = [metrics]
                notes.append(f"accepted `metrics='{metrics}'` as the list ['{metrics}']; "
                             "Keras 3 needs a list")
            return original_compile(self, *args, **kwargs)

        compile._keras2_wrapped = True
        keras.Model.compile = compile

    def set_learning_phase(value):
        notes.append("accepted `tf.keras.backend.set_learning_phase(...)`, which Keras 3 removed: it does "
                     "nothing now (a training step says it trains by calling the model under a GradientTape)")

    import importlib

    for name in ("keras.backend", "keras._tf_keras.keras.backend"):  # keras.backend and tf.keras.backend
        try:
            backend = importlib.import_module(name)
        except ImportError:
            continue
        if not hasattr(backend, "set_learning_phase"):
            backend.set_learning_phase = set_learning_phase
