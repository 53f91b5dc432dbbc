"""A stand-in for `tensorflow_addons`' optimizers, which the grader does not have.

Learners compile C3W3's model with `tfa.optimizers.RectifiedAdam(...)`, often inside
`tfa.optimizers.Lookahead(...)`. TensorFlow Addons is discontinued and does not install with
Keras 3, so `import tensorflow_addons as tfa` would fail and cost the exercise although the
optimizer there is the learner's choice. In the worker, `import tensorflow_addons` finds this
stand-in instead: each optimizer is built from Keras' nearest one with the learning rate given,
under its own class, marked as a stand-in (`STAND_IN`), and a note says so.

What the stand-in is not:
- an optimizer that passes for another: its class is named after the Addons one
  (`common.optimizer_description` reports `tensorflow_addons.optimizers.RectifiedAdam`), so an
  exercise that prescribes SGD or RMSprop does not take it for one;
- importable by any other name, or anywhere but the worker: it is served by a finder the
  worker installs, only as `tensorflow_addons` and `tensorflow_addons.optimizers`, and a model
  file that names it is refused while it loads (`trusted_imports`);
- the rest of Addons: any other name fails when it is used, saying it is not available.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import inspect
import sys
import types

STAND_IN = "cvgrade_stand_in"  # class attribute: the Addons name this class stands in for
PACKAGE = "tensorflow_addons"

# Addons name -> (the Keras optimizer it is built from, Addons' own positional parameters).
OPTIMIZERS = {
    "RectifiedAdam": ("Adam", ("learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay", "amsgrad")),
    "LazyAdam": ("Adam", ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad")),
    "AdaBelief": ("Adam", ("learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay", "amsgrad")),
    "NovoGrad": ("Adam", ("learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay")),
    "Yogi": ("Adam", ("learning_rate",)),
    "LAMB": ("Lamb", ("learning_rate", "beta_1", "beta_2", "epsilon", "weight_decay")),
    "AdamW": ("AdamW", ("weight_decay", "learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad")),
    "SGDW": ("SGD", ("weight_decay", "learning_rate", "momentum", "nesterov")),
    "ProximalAdagrad": ("Adagrad", ("learning_rate", "initial_accumulator_value")),
    "ConditionalGradient": ("SGD", ("learning_rate",)),
}
# Addons' wrappers of another optimizer: the stand-in keeps the wrapped optimizer's settings.
WRAPPERS = ("Lookahead", "MovingAverage", "SWA")


def _keras_base(cls):
    """The Keras optimizer class under a (possibly stand-in) class."""
    for klass in cls.__mro__:
        if STAND_IN not in klass.__dict__:
            return klass
    return cls


def _stand_in_class(name: str, base, positional: tuple[str, ...], notes: list[str]):
    accepted = set(inspect.signature(base.__init__).parameters) - {"self", "args", "kwargs"}

    def __init__(self, *args, **kwargs):
        given = dict(zip(positional, args))
        given.update(kwargs)
        if "lr" in given and "learning_rate" not in given:  # Addons took Keras 2's `lr=` too
            given["learning_rate"] = given.pop("lr")
        given.setdefault("name", name)
        base.__init__(self, **{k: v for k, v in given.items() if k in accepted and v is not None})
        notes.append(f"`{PACKAGE}` is not available to the grader: `tfa.optimizers.{name}` was replaced "
                     f"by a stand-in built on Keras' `{base.__name__}` with the learning rate given")

    return type(name, (base,), {"__init__": __init__, "__module__": f"{PACKAGE}.optimizers",
                                STAND_IN: f"{PACKAGE}.optimizers.{name}",
                                "__doc__": f"Stand-in for {PACKAGE}.optimizers.{name}."})


def _wrapper(name: str, notes: list[str]):
    def wrap(optimizer, *args, **kwargs):
        import keras

        inner = keras.optimizers.get(optimizer)
        base = _keras_base(type(inner))
        cls = type(name, (base,), {"__module__": f"{PACKAGE}.optimizers", STAND_IN: f"{PACKAGE}.optimizers.{name}",
                                   "__doc__": f"Stand-in for {PACKAGE}.optimizers.{name}."})
        notes.append(f"`{PACKAGE}` is not available to the grader: `tfa.optimizers.{name}` was replaced by "
                     f"a stand-in that keeps the optimizer it wraps ({type(inner).__name__})")
        return cls.from_config(inner.get_config())

    wrap.__name__ = wrap.__qualname__ = name
    return wrap


class _Unavailable(types.ModuleType):
    """A part of the stand-in package: names it does not stand in for fail when used."""

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise ImportError(f"`{self.__name__}.{attribute}` is not available to the grader "
                          f"(`{PACKAGE}` is not installed; only its optimizers have stand-ins)")


def _build(name: str, notes: list[str]) -> types.ModuleType:
    if name == PACKAGE:
        module = _Unavailable(PACKAGE, "A stand-in for tensorflow_addons (optimizers only).")
        module.__path__ = []  # a package, so that `tensorflow_addons.optimizers` can be imported
        # Addons' own __init__ imports its optimizers: `tfa.optimizers` works after `import tfa`.
        optimizers = sys.modules.get(f"{PACKAGE}.optimizers") or _build(f"{PACKAGE}.optimizers", notes)
        sys.modules[optimizers.__name__] = optimizers
        module.optimizers = optimizers
        return module
    import keras

    module = _Unavailable(name, "Stand-ins for tensorflow_addons' optimizers, built on Keras' own.")
    for addons_name, (keras_name, positional) in OPTIMIZERS.items():
        base = getattr(keras.optimizers, keras_name, None)
        if base is not None:
            setattr(module, addons_name, _stand_in_class(addons_name, base, positional, notes))
    for wrapper in WRAPPERS:
        setattr(module, wrapper, _wrapper(wrapper, notes))
    return module


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the stand-in under its two names only, and only when nothing real is found."""

    def __init__(self, notes: list[str]):
        self.notes = notes

    def find_spec(self, name, path=None, target=None):
        if name not in (PACKAGE, f"{PACKAGE}.optimizers"):
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=name == PACKAGE)

    def create_module(self, spec):
        return _build(spec.name, self.notes)

    def exec_module(self, module):
        parent = sys.modules.get(PACKAGE)
        if module.__name__ != PACKAGE and parent is not None:
            parent.optimizers = module


def install(notes: list[str]) -> None:
    """Append the finder (after every real one) to the worker's import system, once."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.append(_Finder(notes))
