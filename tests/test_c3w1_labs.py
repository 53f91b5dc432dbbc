"""The week 1 labs as practice suites: solutions full marks, stubs zero, and mutants that lose
points on their own exercise only, with their hint (every exercise at least three)."""

from __future__ import annotations

import pytest

from graders.shared.registry import assignment
from tests.grading_helpers import (
    ROOT,
    assert_costs_its_exercise_only,
    assert_solutions_full_and_stubs_zero,
    grade,
    mutants_per_exercise,
    mutate,
    run_grader_json,
    solution_source,
    write_submission,
)

LABS = {"c3w1_l1": "c3w1_l1_inception", "c3w1_l2": "c3w1_l2_resnet", "c3w1_l3": "c3w1_l3_localization"}


def _mutant(lab, exercise, edits, hint, *, id, points=None):
    if isinstance(edits[0], str):
        edits = (edits,)
    return pytest.param(lab, exercise, edits, hint, points, id=id)


L1_BASE = ("tf.keras.applications.inception_v3.InceptionV3(\n"
           "        input_shape=IMAGE_SHAPE, include_top=False, weights=None)")
L1_FREEZE = "    for layer in pre_trained_model.layers:\n        layer.trainable = False\n"
L1_COMPILE = "optimizer=tf.keras.optimizers.RMSprop(learning_rate=0.0001)"
L2_RESNET = "tf.keras.applications.resnet.ResNet50(input_shape=(224, 224, 3)"
L2_COMPILE = 'model.compile(optimizer="SGD", loss="sparse_categorical_crossentropy", metrics=["accuracy"])'
L3_COMPILE_LOSS = 'loss={"classification": "categorical_crossentropy", "bounding_box": "mse"}'

MUTANTS = [
    # --- C3W1-L1 -------------------------------------------------------------------------
    _mutant("c3w1_l1", "create_pre_trained_model", (L1_FREEZE, ""),
            "freeze every layer", id="l1-not-frozen", points=15),
    _mutant("c3w1_l1", "create_pre_trained_model", ("    pre_trained_model.load_weights(local_weights_file)\n", ""),
            "load the file", id="l1-weights-not-loaded", points=15),
    # Patching numpy in the worker does not make random weights look loaded: the trusted side compares.
    _mutant("c3w1_l1", "create_pre_trained_model",
            (("    pre_trained_model.load_weights(local_weights_file)\n", ""),
             ("import tensorflow as tf\n", "import tensorflow as tf\nimport numpy\n"
                                           "numpy.array_equal = lambda *args, **kwargs: True\n")),
            "load the file", id="l1-weights-not-loaded-numpy-patched", points=15),
    _mutant("c3w1_l1", "create_pre_trained_model", (L1_BASE, L1_BASE.replace("include_top=False", "include_top=True")),
            "Layer count mismatch when loading weights", id="l1-top-kept"),
    _mutant("c3w1_l1", "create_pre_trained_model", (L1_BASE, L1_BASE.replace("input_shape=IMAGE_SHAPE",
                                                                            "input_shape=(224, 224, 3)")),
            "input_shape=(150, 150, 3)", id="l1-input-224"),
    _mutant("c3w1_l1", "output_of_last_layer", ('LAST_LAYER = "mixed7"', 'LAST_LAYER = "mixed10"'),
            "get_layer('mixed7')", id="l1-mixed10"),
    _mutant("c3w1_l1", "output_of_last_layer", ("last_output = last_desired_layer.output",
                                                "last_output = pre_trained_model.output"),
            "get_layer('mixed7')", id="l1-model-output"),
    _mutant("c3w1_l1", "output_of_last_layer", ('LAST_LAYER = "mixed7"', 'LAST_LAYER = "mixed6"'),
            "get_layer('mixed7')", id="l1-mixed6"),
    _mutant("c3w1_l1", "create_final_model", ("tf.keras.layers.Dropout(0.2)", "tf.keras.layers.Dropout(0.5)"),
            "dropout rate is 0.2", id="l1-dropout-0.5"),
    _mutant("c3w1_l1", "create_final_model", (L1_COMPILE, "optimizer=tf.keras.optimizers.Adam(learning_rate=0.0001)"),
            "RMSprop(learning_rate=0.0001)", id="l1-adam", points=41.67),
    _mutant("c3w1_l1", "create_final_model", ('Dense(1, activation="sigmoid")', 'Dense(2, activation="softmax")'),
            "Dense(1024, relu), Dropout(0.2) and Dense(1, sigmoid)", id="l1-two-softmax-units"),
    _mutant("c3w1_l1", "create_final_model", ('loss="binary_crossentropy"', 'loss="mse"'),
            "loss='binary_crossentropy'", id="l1-mse-loss", points=41.67),
    # --- C3W1-L2 -------------------------------------------------------------------------
    _mutant("c3w1_l2", "preprocess_image_input",
            ("output_ims = tf.keras.applications.resnet50.preprocess_input(input_images)",
             "output_ims = input_images / 255.0"),
            "not take images scaled to [0, 1]", id="l2-scaled-to-unit"),
    _mutant("c3w1_l2", "preprocess_image_input",
            ("output_ims = tf.keras.applications.resnet50.preprocess_input(input_images)",
             "output_ims = tf.keras.applications.mobilenet_v2.preprocess_input(input_images)"),
            "resnet50.preprocess_input", id="l2-mobilenet-preprocessing"),
    _mutant("c3w1_l2", "preprocess_image_input",
            ("output_ims = tf.keras.applications.resnet50.preprocess_input(input_images)",
             "output_ims = input_images"),
            "resnet50.preprocess_input", id="l2-no-preprocessing"),
    _mutant("c3w1_l2", "feature_extractor", (L2_RESNET, "tf.keras.applications.ResNet101(input_shape=(224, 224, 3)"),
            "not ResNet101", id="l2-resnet101"),
    _mutant("c3w1_l2", "feature_extractor", ("include_top=False,", "include_top=True,"),
            "include_top=True keeps", id="l2-top-kept"),
    _mutant("c3w1_l2", "feature_extractor", ('weights="imagenet")(inputs)', "weights=None)(inputs)"),
            "pass weights='imagenet'", id="l2-random-weights", points=12.5),
    _mutant("c3w1_l2", "classifier", ("    x = tf.keras.layers.GlobalAveragePooling2D()(inputs)\n"
                                      "    x = tf.keras.layers.Flatten()(x)\n",
                                      "    x = tf.keras.layers.Flatten()(inputs)\n"),
            "GlobalAveragePooling2D() before Flatten()", id="l2-no-pooling"),
    _mutant("c3w1_l2", "classifier", ('activation="softmax", name="classification"', 'name="classification"'),
            "softmax over the ten", id="l2-no-softmax"),
    _mutant("c3w1_l2", "classifier", ('name="classification"', 'name="predictions"'),
            "name='classification'", id="l2-unnamed", points=10),
    _mutant("c3w1_l2", "final_model", ("UpSampling2D(size=(7, 7))(inputs)", "UpSampling2D(size=(2, 2))(inputs)"),
            "found shape=(None, 64, 64, 3)", id="l2-upsample-2"),
    _mutant("c3w1_l2", "final_model", ("resize = tf.keras.layers.UpSampling2D(size=(7, 7))(inputs)",
                                       "resize = tf.keras.layers.Resizing(224, 224)(inputs)"),
            "UpSampling2D(size=(7, 7))", id="l2-resizing-layer"),
    _mutant("c3w1_l2", "final_model", ("resnet_feature_extractor = feature_extractor(resize)",
                                       "resnet_feature_extractor = feature_extractor(inputs)"),
            "expected shape=(None, 224, 224, 3), found shape=(None, 32, 32, 3)", id="l2-no-upsampling"),
    _mutant("c3w1_l2", "define_compile_model", (L2_COMPILE, L2_COMPILE.replace('loss="sparse_categorical_crossentropy"',
                                                                                 'loss="categorical_crossentropy"')),
            "class numbers (0-9), not one-hot", id="l2-categorical"),
    _mutant("c3w1_l2", "define_compile_model", (L2_COMPILE, L2_COMPILE.replace('optimizer="SGD"', 'optimizer="adam"')),
            "optimizer='SGD'", id="l2-adam", points=13.33),
    _mutant("c3w1_l2", "define_compile_model", ("tf.keras.layers.Input(shape=(32, 32, 3))", "tf.keras.layers.Input(shape=(224, 224, 3))"),
            "found shape=(None, 1568, 1568, 3)", id="l2-input-224"),
    # --- C3W1-L3 -------------------------------------------------------------------------
    _mutant("c3w1_l3", "feature_extractor", ("Conv2D(32, kernel_size=3", "Conv2D(16, kernel_size=3"),
            "16, 32 and 64 filters", id="l3-filters"),
    _mutant("c3w1_l3", "feature_extractor", ("    x = tf.keras.layers.AveragePooling2D((2, 2))(x)\n    return x",
                                             "    x = tf.keras.layers.MaxPooling2D((2, 2))(x)\n    return x"),
            "not max pooling", id="l3-max-pooling"),
    _mutant("c3w1_l3", "feature_extractor", ('Conv2D(64, kernel_size=3, activation="relu")',
                                             'Conv2D(64, kernel_size=3, activation="sigmoid")'),
            "activation='relu'", id="l3-sigmoid-conv"),
    _mutant("c3w1_l3", "dense_layers", ('Dense(128, activation="relu")(x)', 'Dense(64, activation="relu")(x)'), "one Dense layer of 128", id="l3-dense-64"),
    _mutant("c3w1_l3", "dense_layers", ('Dense(128, activation="relu")', "Dense(128)"),
            "activation='relu'", id="l3-dense-linear"),
    _mutant("c3w1_l3", "dense_layers", ('    x = tf.keras.layers.Dense(128, activation="relu")(x)\n',
                                        '    x = tf.keras.layers.Dense(128, activation="relu")(x)\n'
                                        '    x = tf.keras.layers.Dense(128, activation="relu")(x)\n'),
            "one Dense layer of 128", id="l3-two-dense"),
    _mutant("c3w1_l3", "classifier", ('activation="softmax", name="classification"', 'name="classification"'),
            "ends in activation='softmax'", id="l3-no-softmax"),
    _mutant("c3w1_l3", "classifier", ("Dense(units=10,", "Dense(units=11,"), "ten classes", id="l3-eleven-classes"),
    _mutant("c3w1_l3", "classifier", ('name="classification"', 'name="digits"'),
            "name='classification'", id="l3-classifier-unnamed", points=7.5),
    _mutant("c3w1_l3", "bounding_box_regression", ('Dense(units=4, name="bounding_box")',
                                                   'Dense(units=4, activation="relu", name="bounding_box")'),
            "no activation", id="l3-box-relu"),
    _mutant("c3w1_l3", "bounding_box_regression", ('Dense(units=4, name="bounding_box")',
                                                   'Dense(units=2, name="bounding_box")'),
            "four units", id="l3-box-2-units"),
    _mutant("c3w1_l3", "bounding_box_regression", ('Dense(units=4, name="bounding_box")', "Dense(units=4)"),
            "name='bounding_box'", id="l3-box-unnamed", points=7.5),
    _mutant("c3w1_l3", "final_model", ("bounding_box_output = bounding_box_regression(dense_output)",
                                       "bounding_box_output = bounding_box_regression(feature_cnn)"),
            "both heads read the output of dense_layers", id="l3-box-on-features"),
    _mutant("c3w1_l3", "final_model", ("outputs=[classification_output, bounding_box_output]",
                                       "outputs=[bounding_box_output, classification_output]"),
            "in the order [classification_output, bounding_box_output]", id="l3-heads-swapped"),
    _mutant("c3w1_l3", "final_model", ("outputs=[classification_output, bounding_box_output]",
                                       "outputs=[classification_output]"),
            "the model has two outputs", id="l3-one-head"),
    _mutant("c3w1_l3", "define_and_compile_model", (L3_COMPILE_LOSS, 'loss="mse"'),
            "its own loss by output name", id="l3-one-loss"),
    _mutant("c3w1_l3", "define_and_compile_model",
            (L3_COMPILE_LOSS, L3_COMPILE_LOSS.replace('"categorical_crossentropy"', '"sparse_categorical_crossentropy"')),
            "'categorical_crossentropy'", id="l3-sparse"),
    _mutant("c3w1_l3", "define_and_compile_model", ('optimizer="adam"', 'optimizer="sgd"'),
            "optimizer='adam'", id="l3-sgd", points=10),
]


@pytest.mark.parametrize("lab, exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, lab, exercise, edits, hint, points):
    code = solution_source(LABS[lab])
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, LABS[lab]), lab)
    assert_costs_its_exercise_only(result, lab, exercise, hint, points)


@pytest.mark.parametrize("lab", LABS)
def test_every_lab_exercise_has_at_least_three_mutants(lab):
    counts = mutants_per_exercise(MUTANTS, lab)
    assert all(count >= 3 for count in counts.values()), counts


@pytest.mark.parametrize("lab", LABS)
def test_solutions_full_marks_and_stubs_zero(lab):
    assert not assignment(lab).counts_for_grade and assignment(lab).max_points == 100
    assert_solutions_full_and_stubs_zero(lab)


def test_a_practice_lab_counts_for_nothing_in_the_gradescope_score(tmp_path):
    document, completed = run_grader_json(ROOT / "solutions", tmp_path, assignment_id="c3w1_l3")
    assert completed.returncode == 0, completed.stdout[-2000:]
    assert "practice: does not count for a grade" in completed.stdout
    assert document["score"] == 0 and all(t["score"] == t["max_score"] for t in document["tests"])
