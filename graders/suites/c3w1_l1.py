"""Lab C3W1-L1 "Transfer learning, cats vs dogs" with InceptionV3, as a practice suite.

The lab loads InceptionV3's weights from a local file. The probe writes such a
file itself (seeded weights, in the HDF5 layout of Keras' weight files), so it
can tell whether the learner's model really holds the file's weights. It
scores like an assignment but counts for nothing in a grade.
"""

from __future__ import annotations

import functools

import numpy as np

from graders.authoring import Assignment, Exercise, Hint, Verdict, compare, shape_of
from graders.suites import common

IMAGE_SHAPE = (150, 150, 3)
LAST_LAYER = "mixed7"
WEIGHTS_SEED = 1234  # with the run's seed: the weights the probe's local weights file holds
SAMPLED_WEIGHTS = 512  # values compared to tell whether the learner's model holds that file's weights


def _base(seed: int | None = None):
    """InceptionV3 as the lab builds it, frozen, with seeded weights when `seed` is given."""
    from graders.authoring import modelprobe, pretrained

    model = common.keras().applications.InceptionV3(input_shape=IMAGE_SHAPE, include_top=False, weights=None)
    pretrained.take_calls()  # the probe's own network is not the learner's
    if seed is not None:
        modelprobe.seed_weights(model, seed)
    for layer in model.layers:
        layer.trainable = False
    return model


@functools.lru_cache(maxsize=1)
def _weights_file(seed: int) -> str:
    """A local weights file for InceptionV3 without its top, with weights drawn from the run's
    seed; made once per worker (building InceptionV3 costs seconds)."""
    import os
    import tempfile

    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    path = os.path.join(tempfile.mkdtemp(prefix="cvgrade-inception-"),
                        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")
    donor = _base(WEIGHTS_SEED + seed)
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, donor)
    return path


def weight_sample(weights: list, seed: int) -> dict:
    """The model's weights as data the trusted side compares with the solution's: how many
    tensors and values, and the values at seeded places (equal samples: the file's weights)."""
    sizes = np.array([int(np.size(w)) for w in weights], dtype=np.int64)
    total = int(sizes.sum())
    places = np.random.default_rng([seed, 17]).integers(0, max(total, 1), SAMPLED_WEIGHTS)
    if not total:
        return {"weight_tensors": len(weights), "weight_values": 0,
                "weight_sample": np.zeros(SAMPLED_WEIGHTS, np.float32)}
    # Each place read in its own tensor: joining InceptionV3's 21 million values into one array
    # would copy 87 MB in a worker held to a memory limit.
    ends = np.cumsum(sizes)
    tensors = np.searchsorted(ends, places, side="right")
    within = places - (ends - sizes)[tensors]
    sample = [np.ravel(weights[t])[i] for t, i in zip(tensors, within)]
    return {"weight_tensors": len(weights), "weight_values": total,
            "weight_sample": np.asarray(sample, dtype=np.float32)}


def holds_file_weights(observation, reference) -> bool:
    return (observation["weight_tensors"] == reference["weight_tensors"]
            and observation["weight_values"] == reference["weight_values"]
            and np.array_equal(observation["weight_sample"], reference["weight_sample"]))


def _images(seed: int, count: int = 2) -> np.ndarray:
    return np.random.default_rng([seed, 11]).uniform(-1, 1, (count,) + IMAGE_SHAPE).astype(np.float32)


# --- create_pre_trained_model ----------------------------------------------------------------------
def probe_pre_trained(submission, params) -> dict:
    from graders.authoring import pretrained

    function = submission.function("create_pre_trained_model")
    path = _weights_file(common.probe_seed(params))
    pretrained.take_calls()
    model = common.require_model(function(path), "create_pre_trained_model")
    calls = pretrained.take_calls()
    return {"networks": calls, **weight_sample(model.get_weights(), common.probe_seed(params)),
            "trainable_weights": int(sum(int(np.prod(w.shape)) for w in model.trainable_weights)),
            "output_shapes": [shape_of(t.shape) for t in model.outputs]}


def check_pre_trained(observation, reference) -> Verdict:
    network = common.asked(observation, "network")
    if network is None:
        return Verdict.failed("create_pre_trained_model builds no network from tf.keras.applications; "
                              "build InceptionV3(...)")
    if network != "InceptionV3":
        return Verdict.failed(f"the network is {network}, not InceptionV3")
    if observation["output_shapes"] != reference["output_shapes"]:
        return Verdict.failed(f"the network outputs {compare.shape_text(observation['output_shapes'][0])}, "
                              f"expected {compare.shape_text(reference['output_shapes'][0])}")
    score, problems = 1.0, []
    if not holds_file_weights(observation, reference):
        score, problems = score - 0.5, problems + ["the network does not hold the weights of local_weights_file"]
    if observation["trainable_weights"]:
        score, problems = score - 0.5, problems + [
            f"{observation['trainable_weights']:,} weights are still trainable"]
    if problems:
        return Verdict(score, "; ".join(problems))
    return Verdict.passed("InceptionV3 for 150x150x3 without its top, the local weights loaded, every layer frozen")


PRE_TRAINED_HINTS = (
    Hint("build InceptionV3 for the lab's images: input_shape=(150, 150, 3)",
         lambda o, r: common.asked(o, "input_shape") not in (None, list(IMAGE_SHAPE))),
    Hint("include_top=False: the new head replaces InceptionV3's classifier",
         lambda o, r: common.asked(o, "include_top") is True),
    Hint("load the file: build with weights=None, then pre_trained_model.load_weights(local_weights_file)",
         lambda o, r: not holds_file_weights(o, r)),
    Hint("freeze every layer: for layer in pre_trained_model.layers: layer.trainable = False",
         lambda o, r: o["trainable_weights"] > 0),
)


# --- output_of_last_layer ----------------------------------------------------------------------------
def probe_last_layer(submission, params) -> dict:
    from graders.authoring import modelprobe

    function = submission.function("output_of_last_layer")
    seed = common.probe_seed(params)
    base = _base(seed)
    output = common.keras_tensor(function(base), "output_of_last_layer")
    layer = output._keras_history[0]
    # The layer's values on seeded images: what a replayed observation of another seed cannot match.
    values = modelprobe.predict(common.keras().Model(base.inputs, output), _images(seed, 1))[0]
    return {"layer": layer.name, "shape": shape_of(output.shape), "values": values}


def check_last_layer(observation, reference) -> Verdict:
    if observation["layer"] != reference["layer"] or observation["shape"] != reference["shape"]:
        return Verdict.failed(f"the output of layer {observation['layer']!r}, shape "
                              f"{compare.shape_text(observation['shape'])}; expected '{LAST_LAYER}', "
                              f"{compare.shape_text(reference['shape'])}")
    ok, reason = compare.check_array(observation["values"], reference["values"], "the layer's output", 1e-3)
    if not ok:
        return Verdict.failed(f"{reason} on seeded images (the layer's own output, unchanged)")
    return Verdict.passed(f"the output of '{LAST_LAYER}', 7x7x768")


LAST_LAYER_HINTS = (
    Hint("the head goes on layer 'mixed7': pre_trained_model.get_layer('mixed7').output",
         lambda o, r: o["layer"] != LAST_LAYER),
)


# --- create_final_model ----------------------------------------------------------------------------------
def probe_final_model(submission, params) -> dict:
    from graders.authoring import modelprobe

    function = submission.function("create_final_model")
    seed = common.probe_seed(params)
    base = _base(seed)
    model = common.require_model(function(base, base.get_layer(LAST_LAYER).output), "create_final_model")
    base_names = {layer.name for layer in base.layers}
    observation = common.observe_network(model, _images(seed), seed)
    observation["layers"] = [row for row in modelprobe.layer_table(model) if row["name"] not in base_names]
    observation["input_is_base"] = model.inputs[0] is base.inputs[0]
    observation.update(common.losses_and_metrics(model))
    observation.update(common.NOT_EVALUATED)
    if observation["optimizer"].get("class") is not None:
        observation.update(common.evaluated_loss(model, _images(seed), np.array([0.0, 1.0], dtype=np.float32)))
    return observation


def check_final_model(observation, reference) -> Verdict:
    figure = common.layer_figure(observation, reference, "the head on mixed7: your layers and the expected ones")
    details = [f"optimizer {observation['optimizer']}, loss {observation['loss']!r}, metrics {observation['metrics']}"]
    if not observation["input_is_base"]:
        return Verdict.failed("the model must start at the pre-trained model's input: "
                              "Model(inputs=pre_trained_model.input, outputs=x)", figures=[figure])
    if observation["output_shapes"] != reference["output_shapes"]:
        return Verdict.failed(f"the model outputs {compare.shape_text(observation['output_shapes'][0])}, "
                              f"expected {compare.shape_text(reference['output_shapes'][0])}", figures=[figure])
    ok, reason = common.check_outputs(observation, reference, ["the probability of 'dog'"])
    if not ok:
        return Verdict.failed(f"{reason} with seeded weights", figures=[figure])
    if observation["optimizer"].get("class") is None:
        return Verdict(0.5, "the model is not compiled: call model.compile(...)", figures=[figure])
    fatal, problems = common.compile_settings(observation, reference, "a batch of cats and dogs", metrics=False)
    # dropout and the like change training only, so no output shows them: a setting of its own
    problems = [("the head's layers differ from the lab's (marked in the table)" if figure.marked_rows
                 else None)] + problems
    return common.settings_verdict(fatal, problems, "the head, its outputs with seeded weights and the "
                                   "compile settings match", base=0.5, scale=0.5, details=details,
                                   figures=[figure])


FINAL_HINTS = (
    Hint("Flatten the 7x7x768 features, then Dense(1024, relu), Dropout(0.2) and Dense(1, sigmoid)",
         lambda o, r: common.dense_units(o) != [1024, 1]),
    Hint("the dropout rate is 0.2",
         lambda o, r: [row["config"].get("rate") for row in compare.layers_of_type(o, "Dropout")] != [0.2]),
    Hint("one output for two classes: Dense(1, activation='sigmoid')",
         lambda o, r: compare.activations(o)[-1:] != ["sigmoid"]),
    Hint("compile with tf.keras.optimizers.RMSprop(learning_rate=0.0001)",
         lambda o, r: o["optimizer"].get("class") != "RMSprop"
         or not np.isclose(o["optimizer"].get("learning_rate", -1), 1e-4, rtol=1e-4)),
    Hint("two classes and a sigmoid: loss='binary_crossentropy'",
         lambda o, r: o["loss"] != "binary_crossentropy"),
)


ASSIGNMENT = Assignment(
    id="c3w1_l1",
    title="C3W1-L1 Transfer learning with InceptionV3, cats vs dogs (practice)",
    module="c3w1_l1_inception",
    notebook_glob="C3W1*L1*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("create_pre_trained_model", "create_pre_trained_model", 30, probe_pre_trained,
                 check_pre_trained, PRE_TRAINED_HINTS, functions=("create_pre_trained_model",)),
        Exercise("output_of_last_layer", "output_of_last_layer", 20, probe_last_layer, check_last_layer,
                 LAST_LAYER_HINTS, functions=("output_of_last_layer",)),
        Exercise("create_final_model", "create_final_model", 50, probe_final_model, check_final_model,
                 FINAL_HINTS, functions=("create_final_model",)),
    ),
)
