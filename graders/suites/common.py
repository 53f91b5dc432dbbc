"""What every suite's probes and checks share: Keras models observed, compared and explained.

Probe helpers import Keras lazily (they run in the worker); check helpers use
only plain observations (they run on the trusted side).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from typing import Callable

import numpy as np

from graders.authoring import Assignment, Figure, Hint, Verdict, compare, shape_of


# --- in the worker ------------------------------------------------------------------------
def probe_seed(params) -> int:
    """The run's probe seed; 0, the one the references were observed with, when it gives none."""
    return params.get("seed", 0)


def keras():
    import keras

    return keras


def fail(message: str):
    """The exception a probe raises when the learner's code ran but returned something unusable."""
    from graders.authoring import ProbeFailure

    return ProbeFailure(message)


def keras_tensor(value, what: str):
    if not isinstance(value, keras().KerasTensor):
        shown = "None" if value is None else type(value).__name__
        raise fail(f"{what} returned {shown}; it must return the output tensor of its layers")
    return value


def observe_model(model, inputs, seed: int) -> dict:
    """Structure, then behaviour with seeded weights on fixed inputs."""
    from graders.authoring import modelprobe

    observation = modelprobe.describe(model)
    modelprobe.seed_weights(model, seed)
    observation["outputs"] = modelprobe.predict(model, inputs)
    return observation


def observe_network(model, inputs, seed: int) -> dict:
    """`observe_model` without the layer table: a pretrained backbone has hundreds of layers,
    a table nobody reads."""
    observation = observe_model(model, inputs, seed)
    observation.pop("layers")
    return observation


def require_model(value, what: str):
    if not isinstance(value, keras().Model):
        shown = "None" if value is None else type(value).__name__
        raise fail(f"{what} returned {shown}; it must return a tf.keras.Model")
    return value


def reference_parts(submission, names):
    """While a later exercise runs, the learner's `names` are the reference ones, so a broken
    earlier exercise costs only its own points."""
    stack = contextlib.ExitStack()
    for name in names:
        stack.enter_context(submission.replaced(name, submission.reference(name)))
    return stack


def seeded_normal(seed: int, index: int, shape) -> np.ndarray:
    return np.random.default_rng([seed, index]).normal(size=shape).astype(np.float32)


def losses_and_metrics(model) -> dict:
    """What `compile` was given, as names: a loss or a {output: loss} dict, and the metrics."""
    loss = getattr(model, "loss", None)
    losses = {k: name_of(v) for k, v in loss.items()} if isinstance(loss, dict) else name_of(loss)
    compiled = getattr(model, "_compile_config", None)
    metrics = (compiled.config.get("metrics") if compiled is not None else None) or []
    if isinstance(metrics, dict):
        metrics = {k: sorted(name_of(m) for m in (v if isinstance(v, (list, tuple)) else [v]))
                   for k, v in metrics.items()}
    else:
        metrics = sorted(name_of(m) for m in (metrics if isinstance(metrics, (list, tuple)) else [metrics]))
    return {"optimizer": optimizer_description(getattr(model, "optimizer", None)), "loss": losses,
            "metrics": metrics}


# A pretrained backbone from keras.applications, judged on what was asked for and on its outputs.
def probe_backbone(submission, function_name: str, input_shape: tuple, inputs: np.ndarray, seed: int) -> dict:
    from graders.authoring import pretrained

    function = submission.function(function_name)
    pretrained.take_calls()
    tensor = keras().Input(input_shape)
    output = keras_tensor(function(tensor), function_name)
    calls = pretrained.take_calls()
    observation = observe_network(keras().Model(tensor, output), inputs, seed)
    observation["networks"] = calls
    return observation


def last_network(observation) -> dict | None:
    """The learner's last keras.applications call, as the worker recorded it."""
    networks = observation.get("networks") or []
    return networks[-1] if networks else None


def asked(observation, key):
    """What the learner's last keras.applications call asked for (`network`, `weights`, ...)."""
    network = last_network(observation)
    return None if network is None else network.get(key)


def check_backbone(observation, reference, network: str, input_shape: tuple) -> Verdict:
    asked_for = last_network(observation)
    if asked_for is None:
        return Verdict.failed(f"builds no network from tf.keras.applications; call {network}(...) on the inputs")
    details = [f"you built {asked_for['network']}(input_shape={asked_for['input_shape']}, include_top="
               f"{asked_for['include_top']}, weights={asked_for['weights']!r})"]
    mine, theirs = observation["output_shapes"][0], reference["output_shapes"][0]
    if mine != theirs:
        return Verdict.failed(f"the features have shape {compare.shape_text(mine)}, expected "
                              f"{compare.shape_text(theirs)}", details=details)
    if asked_for["network"] != network:
        return Verdict.failed(f"the features come from {asked_for['network']}, not {network}", details=details)
    ok, reason = check_outputs(observation, reference, ["the features"])
    if not ok:
        return Verdict.failed(reason + " with seeded weights", details=details)
    if asked_for["weights"] != "imagenet":
        return Verdict(FORM_SHARE, f"weights={asked_for['weights']!r}: the network starts from random weights",
                       details=details)
    if asked_for["input_shape"] not in (None, list(input_shape)):
        return Verdict(FORM_SHARE, f"{network} was built for input_shape={tuple(asked_for['input_shape'])}",
                       details=details)
    return Verdict.passed(f"{network} without its top, with ImageNet weights; the "
                          f"{'x'.join(map(str, theirs[1:]))} features match with seeded weights", details=details)


def backbone_hints(network: str, qualified: str, input_shape: tuple, features: str,
                   wrong_networks: dict[str, str]) -> tuple[Hint, ...]:
    """The hints of a backbone exercise: each wrong network by name (prefix -> what to say), the
    top left on, random weights, another input shape."""
    hints = [Hint(f"the backbone is {network} ({qualified}), not {said}",
                  lambda o, r, prefix=prefix: (asked(o, "network") or "").startswith(prefix))
             for prefix, said in wrong_networks.items()]
    hints += [
        Hint(f"include_top=True keeps {network}'s ImageNet classifier (1000 class scores); pass "
             f"include_top=False to get the {features} feature maps",
             lambda o, r: asked(o, "include_top") is True),
        Hint("pass weights='imagenet': transfer learning starts from the weights learned on ImageNet",
             lambda o, r: bool(o.get("networks")) and asked(o, "weights") != "imagenet"),
        Hint(f"build {network} for the images the model sees: input_shape={input_shape}",
             lambda o, r: asked(o, "input_shape") not in (None, list(input_shape))),
        Hint(f"use {qualified}",
             lambda o, r: bool(o.get("networks")) and asked(o, "network") != network),
    ]
    return tuple(hints)


def check_layers(observation, reference, what: str, caption: str) -> Verdict:
    """Shape, then outputs with seeded weights, with the layer tables side by side."""
    figure = layer_figure(observation, reference, caption)
    mine, theirs = observation["output_shapes"], reference["output_shapes"]
    if mine != theirs:
        return Verdict.failed(f"the output has shape {', '.join(map(compare.shape_text, mine))}, expected "
                              f"{', '.join(map(compare.shape_text, theirs))}", figures=[figure])
    ok, reason = check_outputs(observation, reference, [f"output {i + 1}" if len(theirs) > 1 else "the output"
                                                         for i in range(len(theirs))])
    if not ok:
        return Verdict.failed(f"{reason} with seeded weights", figures=[figure])
    return Verdict.passed(f"{what} match in shape and values with seeded weights", figures=[figure])


def layer_probe(function_name: str, input_shape: tuple, inputs):
    """A probe that calls `function_name` on an Input of `input_shape` and observes the layers with
    seeded weights on `inputs(seed)`, and the name of the layer that makes the output."""
    def probe(submission, params) -> dict:
        function = submission.function(function_name)
        tensor = keras().Input(input_shape)
        output = keras_tensor(function(tensor), function_name)
        seed = probe_seed(params)
        observation = observe_model(keras().Model(tensor, output), inputs(seed), seed)
        observation["output_name"] = output._keras_history[0].name
        return observation

    return probe


def layer_check(what: str, caption: str, name: str | None = None):
    """`check_layers`, and half the points when the output layer does not bear the `name` asked for."""
    def check(observation, reference) -> Verdict:
        verdict = check_layers(observation, reference, what, caption)
        if name and verdict.score >= 1 and observation["output_name"] != name:
            return Verdict(FORM_SHARE, f"the output layer is named {observation['output_name']!r}, not {name!r}",
                           figures=verdict.figures)
        return verdict

    return check


# Both keys are always there (the shape guard requires the reference's keys): a model that is
# not compiled has neither a loss value nor an error.
NOT_EVALUATED = {"loss_value": None, "loss_error": None}


def evaluated_loss(model, inputs, targets) -> dict:
    """The compiled loss on one batch, or the first line of the error a loss that does not fit
    the targets raises."""
    try:
        values = model.evaluate(inputs, targets, batch_size=len(inputs), verbose=0, return_dict=True)
        return {"loss_value": float(values["loss"]), "loss_error": None}
    except Exception as error:  # noqa: BLE001 - the learner's loss, whatever it raises
        return {"loss_value": None,
                "loss_error": f"{type(error).__name__}: {str(error).strip().splitlines()[0][:200]}"}


def dense_units(observation) -> list:
    return [row["config"].get("units") for row in compare.layers_of_type(observation, "Dense")]


def name_of(value) -> str | None:
    """A loss, metric or optimizer as a lower-case name, however it was given."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower()
    for attribute in ("name", "__name__"):
        name = getattr(value, attribute, None)
        if isinstance(name, str):
            return name.lower()
    return type(value).__name__.lower()


def optimizer_description(optimizer) -> dict:
    """The optimizer's class and main settings. A stand-in for a package the grader lacks
    (`graders.worker.addons`) is named after what it stands in for, never after the Keras class
    it is built on, so an exercise that prescribes an optimizer does not take it for that one;
    `stand_in` says which it is."""
    if optimizer is None:
        return {"class": None, "stand_in": False}
    from graders.authoring import STAND_IN

    stand_in = getattr(type(optimizer), STAND_IN, None)
    config = {}
    for key in ("learning_rate", "momentum", "nesterov"):
        value = getattr(optimizer, key, None)
        try:
            value = float(value.numpy()) if hasattr(value, "numpy") else value
        except (TypeError, ValueError):
            value = str(value)
        if isinstance(value, (bool, int, float, str)):
            config[key] = value
    return {"class": stand_in if isinstance(stand_in, str) else type(optimizer).__name__,
            "stand_in": isinstance(stand_in, str), **config}


def load_trained_model(path: str | None, looked_for: tuple[str, ...], how_to_train: str,
                       course_saves: str | None = None):
    """The learner's saved model, loaded with Keras' safe mode (no code from the file runs) and
    with imports only from the grader's environment (none from the submission's folder).

    Without one, say which names were looked for, the name the course notebook saves (when it is
    known; that file is graded as it is) and how to make one."""
    if path is None:
        course = (f"; the course notebook saves {course_saves} (model.save('{course_saves}')): put that "
                  "file next to your code" if course_saves else "")
        raise fail(f"not implemented yet: no trained model file next to your code (looked for "
                   f"{', '.join(looked_for)}){course}; or {how_to_train}")
    from graders.authoring import KERAS_IMPORTS_BY_NAME, only_environment_imports

    guard = None
    try:
        with only_environment_imports() as guard:
            return keras().models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:
        asked = [] if guard is None else guard.refused + [
            name for name in guard.missing if name.split(".")[0] in KERAS_IMPORTS_BY_NAME]
        if asked:
            raise fail(f"the model file asks for module `{asked[0]}`, which is not part of the "
                       "grader's environment, so it was not loaded; save a model built from Keras' own "
                       "layers") from None
        text = str(error)
        if "Lambda" in text:
            raise fail("the model file contains a Lambda layer, which cannot be loaded safely "
                       "(it would run arbitrary code); rebuild the model without Lambda layers") from None
        raise fail(f"the model file could not be loaded: {type(error).__name__}: "
                   f"{text.strip().splitlines()[0][:200] if text.strip() else ''}") from None


def require_shapes(model, input_shape: tuple, output_shape: tuple) -> None:
    """One input and one output of the given shapes (without the batch axis), or a clear failure."""
    from graders.authoring import shape_of

    given, made = shape_of(model.inputs[0].shape), shape_of(model.outputs[0].shape)
    if len(model.inputs) != 1 or given[1:] != list(input_shape):
        raise fail(f"the model's input has shape {compare.shape_text(given)}, expected "
                   f"{compare.shape_text([None, *input_shape])}")
    if len(model.outputs) != 1 or made[1:] != list(output_shape):
        raise fail(f"the model's output has shape {compare.shape_text(made)}, "
                   f"expected {compare.shape_text([None, *output_shape])}")


# --- on the trusted side ----------------------------------------------------------------------
def layer_figure(observation: dict, reference: dict, caption: str) -> Figure:
    table, marked = compare.layer_table_diff(observation["layers"], reference["layers"])
    return Figure(caption=caption, table=table, marked_rows=marked)


def check_outputs(observation, reference, names, tolerance=1e-3) -> tuple[bool, str]:
    for name, actual, expected in zip(names, observation["outputs"], reference["outputs"]):
        ok, reason = compare.check_array(actual, expected, name, tolerance)
        if not ok:
            return False, reason
    if len(observation["outputs"]) != len(reference["outputs"]):
        return False, f"{len(observation['outputs'])} outputs, expected {len(reference['outputs'])}"
    return True, "outputs match"



ACCURACY_NAMES = ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy")


def measures_accuracy(observation) -> bool:
    return bool(set(ACCURACY_NAMES) & set(observation["metrics"]))


# --- the set a trained model is scored on -------------------------------------------------------------
SHOWN_COUNT = 24  # public dev examples a report's pictures are drawn from when the hidden set is scored


@dataclass(frozen=True)
class ScoringSet:
    """The inputs a trained model (or a fine-tuning run) is scored on and their answers: the hidden
    set where its file is (the course team's copy), else the public dev set. A learner's bundle
    (`cvgrade release`) holds no hidden file, so its graders score on public data and say so.

    A learner's report takes its pictures home, so pictures never show a hidden input or answer:
    with the hidden set scored, the probe also runs on `extra_inputs`, the first public dev examples,
    and pictures are drawn from those (`shown_*`); with the public dev set scored, they are drawn
    from the scored set itself and nothing is added. Scores, messages and details come from the
    scored part only (`scored`)."""

    inputs: np.ndarray
    answers: np.ndarray
    hidden: bool
    noun: str  # what one input is called in feedback: "images", "frames", "pictures"
    extra_inputs: np.ndarray | None = None  # public dev examples run beside a hidden set, for pictures
    extra_answers: np.ndarray | None = None

    @property
    def name(self) -> str:
        """How feedback names the set: "hidden" or "public dev"."""
        return "hidden" if self.hidden else "public dev"

    # what the probe runs on: the scored inputs, then the extra public ones
    @property
    def probe_inputs(self) -> np.ndarray:
        if self.extra_inputs is None or not len(self.extra_inputs):
            return self.inputs
        return np.concatenate([self.inputs, self.extra_inputs])

    @property
    def probe_count(self) -> int:
        """How many outputs the probe gives: one per scored input, then one per extra one."""
        return len(self.inputs) + (0 if self.extra_inputs is None else len(self.extra_inputs))

    def scored(self, outputs):
        """The part of the probe's outputs (one per probe input) the score is computed on."""
        return outputs[:len(self.inputs)]

    def shown(self, outputs):
        """The part of the probe's outputs pictures may show: the extra public examples' beside a
        hidden set, else the scored set's own."""
        return outputs[len(self.inputs):] if self.hidden else outputs[:len(self.inputs)]

    @property
    def shown_inputs(self) -> np.ndarray:
        return self.extra_inputs if self.hidden else self.inputs

    @property
    def shown_answers(self) -> np.ndarray:
        return self.extra_answers if self.hidden else self.answers

    @property
    def shown_name(self) -> str:
        """How a picture's caption names the examples it shows: always public ones."""
        return "public dev"

    @property
    def shown_note(self) -> str:
        """What a picture's caption adds beside a hidden set: its examples are not the scored ones."""
        return f"; your score comes from the hidden {self.noun}, which are never shown" if self.hidden else ""

    def told(self, verdict: Verdict) -> Verdict:
        """`verdict`, saying plainly when its score is not the official one."""
        if not self.hidden:
            verdict.message += (f"; scored on the public dev set ({len(self.answers)} {self.noun}): your official "
                                "score comes from the course team's hidden set")
        return verdict


def scoring_set(assignment: Assignment, hidden: Callable[[], tuple], public: Callable[[], tuple],
                noun: str, shown: int = SHOWN_COUNT) -> ScoringSet:
    """The hidden set (`hidden()`: inputs, answers) when `assignment.hidden_data` is here, with the
    first `shown` examples of the public one (`public()`) for pictures; else the public one alone.
    Trusted side only: the worker gets `probe_inputs` as probe params."""
    if assignment.hidden_data_here:
        inputs, answers = hidden()
        public_inputs, public_answers = public()
        return ScoringSet(inputs, answers, True, noun, np.array(public_inputs[:shown]),  # copies: the rest is freed
                          np.array(public_answers[:shown]))
    inputs, answers = public()
    return ScoringSet(inputs, answers, False, noun)


# --- partial credit (docs/internals.md, "Partial credit"): one policy for every suite ----------------------
FORM_SHARE = 0.5  # a result right in value but off in form (a dtype, a name, an argument ignored)


def settings_verdict(fatal: str | None, problems: list, passed: str, *, base: float = 0.0,
                     scale: float = 1.0, **kw) -> Verdict:
    """Independent settings (compile's loss, optimizer, metric; a head's layers) each earn an equal
    share of `scale` when right on their own, on top of `base` (what the exercise earned before
    them). A `fatal` mistake, one that makes training impossible (model.fit would raise), earns
    none of them: the other settings are never used."""
    if fatal:
        return Verdict(base, fatal, **kw)
    wrong = [problem for problem in problems if problem]
    if not wrong:
        return Verdict(base + scale, passed, **kw)
    return Verdict(base + scale * (1 - len(wrong) / len(problems)), "; ".join(wrong), **kw)


def loss_problem(observation, reference, what: str) -> str | None:
    """Why the compiled loss's value differs from the reference's on the same batch; None if not."""
    ok, reason = compare.check_close(observation["loss_value"], reference["loss_value"], what, 1e-4)
    return None if ok else reason


def compile_settings(observation, reference, batch: str, metrics: bool = True) -> tuple[str | None, list]:
    """What a compiled model's settings get wrong against the reference's, for `settings_verdict`:
    the fatal mistake (evaluating on `batch` raises), then one entry per setting, None when right:
    the loss (judged by its value on `batch`, so any spelling of the right loss passes), the
    optimizer and its learning rate, and (with `metrics`) an accuracy metric."""
    if observation["loss_error"] is not None:
        return f"evaluating the compiled model on {batch} fails: {observation['loss_error']}", []
    problems = [loss_problem(observation, reference, f"the loss on {batch}")]
    mine, theirs = observation["optimizer"], reference["optimizer"]
    problems.append(None if mine.get("class") == theirs["class"] and np.isclose(
        float(mine.get("learning_rate", np.nan)), theirs["learning_rate"], rtol=1e-4) else
        f"the optimizer is {mine.get('class')} with learning rate {mine.get('learning_rate')}, "
        f"expected {theirs['class']} with {theirs['learning_rate']:g}")
    if metrics:
        problems.append(None if measures_accuracy(observation) else
                        f"the metrics are {observation['metrics']}, expected ['accuracy']")
    return None, problems


# --- a model of a classifier's own outputs: (the last convolution's output, the classifier's output) ---
def observe_output_model(model, classifier, seed: int, predict) -> dict:
    """What the learner's two-output model is made of: its output shapes, which of the
    classifier's layers make each output (as an index from the end; None: a layer not of the
    classifier), and `predict(model)` with the classifier's weights seeded again."""
    from graders.authoring import modelprobe

    positions = {id(layer): index - len(classifier.layers) for index, layer in enumerate(classifier.layers)}
    made_by = [t._keras_history[0] for t in model.outputs]
    modelprobe.seed_weights(classifier, seed)  # the same weights, whatever the learner's code did to them
    return {"output_shapes": [shape_of(t.shape) for t in model.outputs],
            "output_layers": [positions.get(id(layer)) for layer in made_by],
            "outputs": predict(model)}


def shares_layers(observation) -> bool:
    """Every output is made by a layer of the classifier (a new layer has no position)."""
    return all(position is not None for position in observation["output_layers"])


def output_model_check(expected: str, second: str, features: str):
    """The check of a two-output model: `expected` its output shapes as said, `second` what its
    second output is, `features` the shape of the last convolution's maps."""
    def check(observation, reference) -> Verdict:
        shapes = ", ".join(map(compare.shape_text, observation["output_shapes"]))
        if observation["output_shapes"] != reference["output_shapes"]:
            return Verdict.failed(f"the model's outputs are {shapes}, expected {expected}: "
                                  f"(the last convolution's output, {second})")
        if not shares_layers(observation):
            return Verdict.failed("the outputs must come from the classifier's own layers (with its weights), "
                                  "not from new ones")
        ok, reason = check_outputs(observation, reference, ["the feature maps", second])
        if not ok:
            return Verdict.failed(f"{reason} with seeded weights")
        return Verdict.passed(f"the last convolution's {features} feature maps and {second} match")
    return check


def output_model_hints(features: str, second_name: str, second: str) -> tuple[Hint, ...]:
    return (
        Hint("the model has two outputs: (the last convolution's output, the classifier's output)",
             lambda o, r: len(o["output_shapes"]) != 2),
        Hint(f"the outputs come in the order (features, {second_name})",
             lambda o, r: o["output_shapes"] == r["output_shapes"][::-1]),
        Hint(f"the features are the output of the last Conv2D layer ({features}): model.layers[-3].output",
             lambda o, r: o["output_layers"][0] != r["output_layers"][0]),
        Hint(f"{second}: model.layers[-1].output", lambda o, r: o["output_layers"][1] != r["output_layers"][1]),
        Hint("build the model on the classifier itself: Model(inputs=model.inputs, outputs=(..., ...))",
             lambda o, r: not shares_layers(o)),
    )


# --- the course's CAM classifier: four 3x3 convolutions, pooled between, then global average pooling ---
def conv_config(observation, key) -> list:
    """One setting of every Conv2D layer, in order."""
    return [row["config"].get(key) for row in compare.layers_of_type(observation, "Conv2D")]


def cam_stack_hints(sizes: str) -> tuple[Hint, ...]:
    """The hints on the convolution stack C3W4's labs share; `sizes` is the side after each
    pooling, e.g. '28 -> 14 -> 7 -> 3'."""
    return (
        Hint("four Conv2D layers with 16, 32, 64 and 128 filters of size 3",
             lambda o, r: conv_config(o, "filters") != [16, 32, 64, 128]
             or conv_config(o, "kernel_size") != [[3, 3]] * 4),
        Hint("global average pooling after the last convolution (GlobalAveragePooling2D, not Flatten): "
             "one number per feature map is what makes the class activation map",
             lambda o, r: len(compare.layers_of_type(o, "GlobalAveragePooling2D")) != 1),
        Hint(f"MaxPooling2D(2) after each of the first three convolutions, none after the last ({sizes})",
             lambda o, r: len(compare.layers_of_type(o, "MaxPooling2D")) != 3),
        Hint("padding='same' in every convolution", lambda o, r: set(conv_config(o, "padding")) != {"same"}),
        Hint("the convolutions use activation='relu'", lambda o, r: compare.activations(o)[:4] != ["relu"] * 4),
    )


@contextlib.contextmanager
def scratch_folder(prefix: str, files: dict[str, bytes] | None = None):
    """A fresh working folder, holding `files`, for learner code that reads and writes file names
    relative to where it runs; the worker's own folder is back afterwards."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        for name, data in (files or {}).items():
            with open(os.path.join(folder, name), "wb") as file:
                file.write(data)
        os.chdir(folder)
        try:
            yield folder
        finally:
            os.chdir(here)
