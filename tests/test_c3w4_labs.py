"""The week 4 labs C3W4-L1 and C3W4-L2 (class activation maps) and C3W4-L4 (Grad-CAM) as practice suites:
solutions full marks, stubs zero, and mutants that lose points on their own exercise only, with
their hint (every exercise at least three)."""

from __future__ import annotations

import pytest

from graders.shared.registry import assignment
from tests.grading_helpers import (
    assert_costs_its_exercise_only,
    assert_solutions_full_and_stubs_zero,
    feedback,
    grade,
    mutants_per_exercise,
    mutate,
    solution_source,
    write_submission,
)

LABS = {"c3w4_l1": "c3w4_l1_cam", "c3w4_l2": "c3w4_l2_cam", "c3w4_l4": "c3w4_l4_gradcam"}


def _mutant(lab, exercise, edits, hint, *, id, points=None):
    if isinstance(edits[0], str):
        edits = (edits,)
    return pytest.param(lab, exercise, edits, hint, points, id=id)


L1_OUTPUTS = "outputs=(features, predictions)"
L1_ZOOM = "upscaled = scipy.ndimage.zoom(features, (scale, scale, 1), order=2)"
L1_DOT = "return np.dot(upscaled, class_weights)"
L2_SCALE = "image = tf.cast(image, tf.float32) / 255"
L2_RESIZE = "image = tf.image.resize(image, (IMAGE_SIZE, IMAGE_SIZE))"
L2_DENSE = 'tf.keras.layers.Dense(1, activation="sigmoid")'
L2_RMSPROP = "optimizer=tf.keras.optimizers.RMSprop(learning_rate=0.001)"
L2_OUTPUTS = "outputs=(last_convolution.output, model.layers[-1].output)"
L2_ZOOM = "return scipy.ndimage.zoom(weighted, (scale, scale), order=2)"
L2_COURSE_MAP = ("weighted = np.dot(features, unit_weights)\n    " + L2_ZOOM,
                 "zoomed = scipy.ndimage.zoom(features, (scale, scale, 1), order=2)\n"
                 "    return np.dot(zoomed, {weights})")
L2_READ = "picture = cv2.imread(image)"
L2_SIZE = "cv2.resize(picture, (IMAGE_SIZE, IMAGE_SIZE))"
L4_OUTPUTS = "outputs=(features, model.output)"
L4_WEIGHTS = "weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)"
L4_CAM = "cam = tf.nn.relu(tf.reduce_sum(weights * activations, axis=-1))"
L4_GUARD = "    if peak > 0:\n        heatmap = heatmap / peak\n"

MUTANTS = [
    # --- C3W4-L1 -------------------------------------------------------------------------
    _mutant("c3w4_l1", "build_classifier", ("tf.keras.layers.GlobalAveragePooling2D(),", "tf.keras.layers.Flatten(),"),
            "GlobalAveragePooling2D, not Flatten", id="l1-flatten"),
    _mutant("c3w4_l1", "build_classifier", ("Conv2D(128, kernel_size=3", "Conv2D(64, kernel_size=3"),
            "16, 32, 64 and 128 filters", id="l1-last-conv-64"),
    _mutant("c3w4_l1", "build_classifier", ('Dense(10, activation="softmax")', "Dense(10)"),
            "Dense(10, activation='softmax')", id="l1-no-softmax"),
    _mutant("c3w4_l1", "build_classifier", ("tf.keras.layers.GlobalAveragePooling2D(),",
                                            "tf.keras.layers.MaxPooling2D(pool_size=2),\n"
                                            "        tf.keras.layers.GlobalAveragePooling2D(),"),
            "none after the last", id="l1-fourth-pooling"),
    _mutant("c3w4_l1", "build_classifier", ('loss="sparse_categorical_crossentropy"', 'loss="categorical_crossentropy"'),
            "not one-hot", id="l1-categorical", points=20),
    _mutant("c3w4_l1", "build_classifier", ('optimizer="adam"', 'optimizer="sgd"'),
            "optimizer='adam'", id="l1-sgd", points=33.33),
    _mutant("c3w4_l1", "cam_model", (L1_OUTPUTS, "outputs=(predictions, features)"),
            "in the order (features, predictions)", id="l1-outputs-swapped"),
    _mutant("c3w4_l1", "cam_model", ("model.layers[-3].output", "model.layers[-4].output"),
            "model.layers[-3].output", id="l1-pooled-features"),
    _mutant("c3w4_l1", "cam_model", ("model.layers[-3].output", "model.layers[-2].output"),
            "model.layers[-3].output", id="l1-averaged-features"),
    _mutant("c3w4_l1", "cam_model", (L1_OUTPUTS, "outputs=features"),
            "two outputs", id="l1-one-output"),
    _mutant("c3w4_l1", "class_activation_map", (L1_DOT, L1_DOT + " + dense_weights[1][class_index]"),
            "leave the bias out", id="l1-bias-added"),
    _mutant("c3w4_l1", "class_activation_map", ("kernel[:, class_index]", "kernel[:, 0]"),
            "the given class's column", id="l1-class-0"),
    _mutant("c3w4_l1", "class_activation_map", ("kernel[:, class_index]", "kernel[:, np.argmax(dense_weights[1])]"),
            "the given class's column", id="l1-argmax-class"),
    _mutant("c3w4_l1", "class_activation_map", ("kernel[:, class_index]", "kernel[class_index]"),
            "not aligned", id="l1-kernel-row"),
    _mutant("c3w4_l1", "class_activation_map", (L1_ZOOM, L1_ZOOM.replace("order=2", "order=0")),
            "not nearest neighbour", id="l1-nearest"),
    _mutant("c3w4_l1", "class_activation_map", (L1_ZOOM, L1_ZOOM.replace("order=2", "order=1")),
            "not linear interpolation (order=1)", id="l1-linear"),
    _mutant("c3w4_l1", "class_activation_map", (L1_ZOOM, "upscaled = features"),
            "upscale the 3x3 feature maps to 28x28", id="l1-not-upscaled"),
    # --- C3W4-L2 -------------------------------------------------------------------------
    _mutant("c3w4_l2", "augmentimages", (L2_SCALE, "image = tf.cast(image, tf.float32)"),
            "divide by 255", id="l2-augment-unscaled"),
    _mutant("c3w4_l2", "augmentimages", (L2_SCALE, L2_SCALE + " * 2 - 1"), "not [-1, 1]", id="l2-augment-symmetric"),
    _mutant("c3w4_l2", "augmentimages", (L2_RESIZE, L2_RESIZE.replace("(IMAGE_SIZE, IMAGE_SIZE)", "(150, 150)")),
            "resize every picture to 300x300", id="l2-augment-150"),
    _mutant("c3w4_l2", "augmentimages", (L2_RESIZE, L2_RESIZE.replace("))", "), method='nearest')")),
            "not nearest neighbour", id="l2-augment-nearest"),
    _mutant("c3w4_l2", "augmentimages", (L2_RESIZE, L2_RESIZE.replace("))", "), antialias=True)")),
            "without antialias", id="l2-augment-antialias"),
    _mutant("c3w4_l2", "augmentimages", ("return image, label", "return image, tf.one_hot(label, 2)"),
            "return the label as it was given", id="l2-augment-one-hot-label"),
    _mutant("c3w4_l2", "build_classifier", ("tf.keras.layers.GlobalAveragePooling2D()", "tf.keras.layers.Flatten()"),
            "GlobalAveragePooling2D, not Flatten", id="l2-flatten"),
    _mutant("c3w4_l2", "build_classifier", (L2_DENSE, 'tf.keras.layers.Dense(2, activation="softmax")'),
            "Dense(1, activation='sigmoid')", id="l2-two-softmax-units"),
    _mutant("c3w4_l2", "build_classifier", ("if filters != 128:", "if True:"), "none after the last",
            id="l2-fourth-pooling"),
    _mutant("c3w4_l2", "build_classifier", ('activation="relu", ', ""), "activation='relu'", id="l2-no-relu"),
    _mutant("c3w4_l2", "build_classifier", ('loss="binary_crossentropy"', 'loss="mse"'),
            "loss='binary_crossentropy'", id="l2-mse", points=25),
    _mutant("c3w4_l2", "build_classifier", (L2_RMSPROP, 'optimizer="adam"'), "RMSprop(learning_rate=0.001)",
            id="l2-adam", points=25),
    _mutant("c3w4_l2", "build_classifier", (L2_RMSPROP, L2_RMSPROP.replace("0.001", "0.0001")),
            "RMSprop(learning_rate=0.001)", id="l2-learning-rate", points=25),
    _mutant("c3w4_l2", "cam_model", (L2_OUTPUTS, "outputs=(model.layers[-1].output, last_convolution.output)"),
            "in the order (features, results)", id="l2-outputs-swapped"),
    _mutant("c3w4_l2", "cam_model", ("last_convolution = model.layers[-3]", "last_convolution = model.layers[-4]"),
            "model.layers[-3].output", id="l2-pooled-features"),
    _mutant("c3w4_l2", "cam_model", ("last_convolution = model.layers[-3]", "last_convolution = model.layers[-2]"),
            "model.layers[-3].output", id="l2-averaged-features"),
    _mutant("c3w4_l2", "cam_model", (L2_OUTPUTS, "outputs=last_convolution.output"), "two outputs",
            id="l2-one-output"),
    _mutant("c3w4_l2", "class_activation_map", (L2_ZOOM, L2_ZOOM.replace("order=2", "order=1")),
            "not linear interpolation (order=1)", id="l2-linear"),
    _mutant("c3w4_l2", "class_activation_map", (L2_ZOOM, L2_ZOOM.replace(", order=2", "")),
            "its default is cubic (order=3)", id="l2-default-order"),
    _mutant("c3w4_l2", "class_activation_map", (L2_ZOOM, L2_ZOOM.replace("order=2", "order=0")),
            "not nearest neighbour", id="l2-nearest"),
    _mutant("c3w4_l2", "class_activation_map",
            ("scale = IMAGE_SIZE / FEATURE_SIZE", "scale = IMAGE_SIZE // FEATURE_SIZE"),
            "300 // 37 is 8", id="l2-floor-division"),
    _mutant("c3w4_l2", "class_activation_map", (L2_ZOOM, "return weighted"), "upscale the 37x37 feature maps",
            id="l2-not-upscaled"),
    _mutant("c3w4_l2", "class_activation_map", (L2_COURSE_MAP[0], L2_COURSE_MAP[1].format(weights="gap_weights")),
            "gap_weights[:, 0] (128 weights)", id="l2-kernel-not-its-column", points=10),
    _mutant("c3w4_l2", "class_activation_map", (L2_ZOOM, "cam = " + L2_ZOOM[len("return "):] +
                                                "\n    return cam / np.max(np.abs(cam))"),
            "return the map as it is", id="l2-normalised"),
    _mutant("c3w4_l2", "class_activation_map", (L2_ZOOM, "return np.maximum(" + L2_ZOOM[len("return "):] + ", 0)"),
            "keep the negative values", id="l2-relu"),
    _mutant("c3w4_l2", "convert_and_classify",
            (L2_READ, "picture = cv2.cvtColor(cv2.imread(image), cv2.COLOR_BGR2RGB)"),
            "do not convert it to RGB", id="l2-rgb"),
    _mutant("c3w4_l2", "convert_and_classify", (L2_SIZE + " / 255.0", L2_SIZE), "scale the picture to [0, 1]",
            id="l2-read-unscaled"),
    _mutant("c3w4_l2", "convert_and_classify", (L2_SIZE, L2_SIZE.replace("))", "), interpolation=cv2.INTER_AREA)")),
            "not INTER_AREA", id="l2-inter-area"),
    _mutant("c3w4_l2", "convert_and_classify", ("float(results[0][0])", "float(round(results[0][0]))"),
            "not the rounded class", id="l2-rounded-prediction"),
    _mutant("c3w4_l2", "convert_and_classify", (L2_SIZE + " / 255.0", L2_SIZE + " / 127.5 - 1"), "not [-1, 1]",
            id="l2-read-symmetric"),
    _mutant("c3w4_l2", "convert_and_classify",
            (L2_SIZE, "tf.image.resize(picture, (IMAGE_SIZE, IMAGE_SIZE)).numpy()"),
            "tf.image.resize keeps the fractions", id="l2-tf-resize"),
    # --- C3W4-L4 -------------------------------------------------------------------------
    _mutant("c3w4_l4", "gradient_model", (L4_OUTPUTS, "outputs=(model.output, features)"),
            "in the order (feature maps, predictions)", id="l4-outputs-swapped"),
    _mutant("c3w4_l4", "gradient_model", ("model.get_layer(layer_name).output", "model.layers[-3].output"),
            "model.get_layer(layer_name).output", id="l4-last-conv-always"),
    _mutant("c3w4_l4", "gradient_model", (L4_OUTPUTS, "outputs=features"), "two outputs", id="l4-one-output"),
    _mutant("c3w4_l4", "gradient_model", (L4_OUTPUTS, "outputs=(features, model.layers[-2].output)"),
            "model.output", id="l4-pooled-second-output"),
    _mutant("c3w4_l4", "grad_cam", (L4_CAM, "cam = tf.reduce_sum(weights * activations, axis=-1)"),
            "apply relu", id="l4-no-relu"),
    _mutant("c3w4_l4", "grad_cam", (L4_WEIGHTS, "weights = gradients"),
            "not by the gradients themselves (you used each pixel's own gradient as its weight)",
            id="l4-raw-gradients"),
    _mutant("c3w4_l4", "grad_cam", (L4_WEIGHTS, L4_WEIGHTS.replace("axis=(1, 2)", "axis=-1")),
            "not over the feature maps (you used the mean over the channels, axis=-1)",
            id="l4-averaged-over-channels"),
    _mutant("c3w4_l4", "grad_cam", ("predictions[:, class_index]", "predictions[:, 0]"),
            "the given class's score", id="l4-class-0"),
    _mutant("c3w4_l4", "grad_cam", ("predictions[:, class_index]", "tf.reduce_max(predictions, axis=-1)"),
            "the given class's score", id="l4-top-class"),
    _mutant("c3w4_l4", "grad_cam", (L4_GUARD, ""), "divide the map by its maximum", id="l4-not-normalised"),
    _mutant("c3w4_l4", "grad_cam", ('method="bilinear"', 'method="nearest"'), "resize bilinearly",
            id="l4-nearest"),
    _mutant("c3w4_l4", "grad_cam", ("(height, width), method", "(width, height), method"),
            "height and width are swapped", id="l4-size-swapped"),
    _mutant("c3w4_l4", "grad_cam", (L4_GUARD, "    heatmap = heatmap / peak\n"),
            "return it as it is", id="l4-zero-divided", points=35),
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


EQUIVALENTS = [
    # The dot product commutes with the (linear) spline zoom; Keras 3 spellings the course uses.
    pytest.param("c3w4_l1", (
        (L1_ZOOM + "\n    " + L1_DOT, "small = np.dot(features, kernel.T[class_index])\n"
                                      "    return scipy.ndimage.zoom(small, (scale, scale), order=2)"),
        ("inputs=model.inputs, outputs=(features, predictions)", "model.input, [features, model.output]"),
        ('metrics=["accuracy"]', 'metrics=["acc"]')), id="l1-dot-then-zoom"),
    # The course's own code: its map (all 128 maps zoomed, then weighed), Keras 2's `lr=`, a
    # Sequential built with model.add, `model.input`, the augmentation in three steps, `predict`
    # with its progress bar and the (1, 1) results returned as they are.
    pytest.param("c3w4_l2", (
        (L2_COURSE_MAP[0], L2_COURSE_MAP[1].format(weights="gap_weights[:, 0]")),
        (L2_RMSPROP, L2_RMSPROP.replace("learning_rate=", "lr=")),
        ('metrics=["accuracy"]', "metrics=['acc']"),
        ("inputs=model.inputs", "inputs=model.input"),
        (L2_SCALE, "image = tf.cast(image, tf.float32)\n    image = (image/255)"),
        ("features, results = cam_model.predict(batch, verbose=0)", "features, results = cam_model.predict(batch)"),
        ("return cam, float(results[0][0])", "return cam, results")), id="l2-course-code"),
    # Summed gradients and a channel mean scale the map by a positive factor, which the
    # normalisation removes; cv2.resize (width, height) is the same bilinear resize; an epsilon
    # in the division keeps a zero map zero.
    pytest.param("c3w4_l4", (
        ("import numpy as np", "import cv2\nimport numpy as np"),
        (L4_WEIGHTS, L4_WEIGHTS.replace("reduce_mean", "reduce_sum")),
        (L4_CAM, L4_CAM.replace("reduce_sum", "reduce_mean")),
        ('tf.image.resize(cam[..., tf.newaxis], (height, width), method="bilinear")[0, ..., 0]',
         "tf.constant(cv2.resize(cam[0].numpy(), (width, height)))"),
        (L4_GUARD, "    heatmap = heatmap / (peak + 1e-10)\n")), id="l4-course-style"),
]


@pytest.mark.parametrize("lab, edits", EQUIVALENTS)
def test_equivalent_solutions_get_full_marks(tmp_path, lab, edits):
    code = solution_source(LABS[lab])
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, LABS[lab]), lab)
    assert result.points == 100, feedback(result)
