"""Trained-model grading with real models: one trained here that clears the pass mark, and bad ones."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from grading_helpers import SOLUTIONS, feedback, grade, scores

keras = pytest.importorskip("keras")

from graders.data import m2nist  # noqa: E402

EPOCHS = 5


def _small_segmenter():
    """A compact network that learns M2NIST in a few CPU minutes (not the FCN-8 of the exercise:
    the trained-model part accepts any model with the right input and output)."""
    layers = keras.layers
    image = keras.Input((64, 84, 1))
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(image)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    for dilation in (1, 2, 4):  # a receptive field as wide as a digit
        x = layers.Conv2D(64, 3, padding="same", dilation_rate=dilation, activation="relu")(x)
    x = layers.UpSampling2D(4, interpolation="bilinear")(x)
    x = layers.Concatenate()([x, image])
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    return keras.Model(image, layers.Conv2D(11, 1, activation="softmax")(x))


def _submission(folder, model=None, name="c3w3_model.keras"):
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SOLUTIONS / "c3w3_segmentation.py", folder)
    if model is not None:
        model.save(folder / name)
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    keras.utils.set_random_seed(0)
    images, labels = m2nist.load_split("train")
    model = _small_segmenter()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="categorical_crossentropy")
    model.fit(images[..., None].astype("float32") / 127.5 - 1, m2nist.label_maps_to_one_hot(labels).astype("float32"),
              batch_size=32, epochs=EPOCHS, verbose=0)
    return model


def test_a_trained_model_clears_the_pass_mark(trained, tmp_path):
    result = grade(_submission(tmp_path / "keras", trained), exercises=["trained_model"])
    (exercise,) = result.exercises
    assert exercise.points == 30, exercise.output_text()
    assert "mean IoU of the 10 digit classes on 500 hidden images" in exercise.feedback
    captions = [f.caption for f in exercise.figures]
    assert "IoU and Dice per class on the hidden set" in captions
    assert any(c.startswith("the six public dev images your model gets most wrong") for c in captions), captions
    assert any(f.png and f.png.startswith(b"\x89PNG") for f in exercise.figures)


def test_an_h5_file_is_graded_the_same_way(trained, tmp_path):
    result = grade(_submission(tmp_path / "h5", trained, "c3w3_model.h5"), exercises=["trained_model"])
    assert scores(result) == {"trained_model": 30}, feedback(result)


def test_an_untrained_model_does_not_pass(tmp_path):
    keras.utils.set_random_seed(1)
    result = grade(_submission(tmp_path, _small_segmenter()), exercises=["trained_model"])
    assert scores(result) == {"trained_model": 0}
    assert "pass above 60" in feedback(result)["trained_model"]


def test_wrong_output_shape_is_explained(tmp_path):
    image = keras.Input((64, 84, 1))
    model = keras.Model(image, keras.layers.Conv2D(10, 1, activation="softmax")(image))
    result = grade(_submission(tmp_path, model), exercises=["trained_model"])
    assert scores(result) == {"trained_model": 0}
    assert "output has shape (None, 64, 84, 10), expected (None, 64, 84, 11)" in feedback(result)["trained_model"]


def test_wrong_input_shape_is_explained(tmp_path):
    image = keras.Input((64, 96, 1))
    model = keras.Model(image, keras.layers.Conv2D(11, 1, activation="softmax")(image))
    result = grade(_submission(tmp_path, model), exercises=["trained_model"])
    assert "input has shape (None, 64, 96, 1), expected (None, 64, 84, 1)" in feedback(result)["trained_model"]


def test_corrupt_file_is_explained(tmp_path):
    folder = _submission(tmp_path)
    (folder / "c3w3_model.keras").write_bytes(b"PK\x03\x04 this is not a model" + bytes(range(256)))
    result = grade(folder, exercises=["trained_model", "class_wise_metrics"])
    assert scores(result) == {"trained_model": 0, "class_wise_metrics": 10}
    assert "the model file could not be loaded" in feedback(result)["trained_model"]


def test_lambda_layer_is_refused_without_running_it(tmp_path):
    image = keras.Input((64, 84, 1))
    x = keras.layers.Lambda(lambda t: t * 2.0)(image)
    model = keras.Model(image, keras.layers.Conv2D(11, 1, activation="softmax")(x))
    result = grade(_submission(tmp_path, model), exercises=["trained_model"])
    assert scores(result) == {"trained_model": 0}
    assert "Lambda layer" in feedback(result)["trained_model"]


def test_hidden_labels_never_reach_the_worker():
    from graders.suites.c3w3 import trained_model_params

    params = trained_model_params()
    assert set(params) == {"images"} and params["images"].dtype == np.uint8


def test_a_model_file_naming_a_package_of_the_submission_is_refused(tmp_path):
    """Keras imports the module a layer's config names (safe mode allows `keras_hub`); with
    the learner's folder on the path that would run the learner's own `keras_hub/`."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_batch_hostile", SOLUTIONS.parent / "tests" / "submissions" / "make_batch_hostile.py")
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    folder = corpus.forged_module_model(tmp_path / "learner")
    result = grade(folder, exercises=["trained_model", "class_wise_metrics"])
    assert scores(result) == {"trained_model": 0, "class_wise_metrics": 10}, feedback(result)
    said = feedback(result)["trained_model"]
    assert "asks for module `keras_hub`" in said and "from the submission ran" not in said, said


@pytest.mark.parametrize("assignment_id, module, course_file", [
    ("c3w1", "c3w1_bounding_boxes", "birds.h5"), ("c3w3", "c3w3_segmentation", "model.h5"),
    ("c3w4", "c3w4_saliency", None)])
def test_without_a_model_file_the_feedback_says_what_was_looked_for(tmp_path, assignment_id, module, course_file):
    """No model file: still 'not implemented yet', but naming the files looked for, the course
    notebook's own file name where the course names one, and how to make one."""
    from graders.shared.registry import assignment

    shutil.copy(SOLUTIONS / f"{module}.py", tmp_path / f"{module}.py")
    result = grade(tmp_path, assignment_id, exercises=["trained_model"])
    said = feedback(result)["trained_model"].splitlines()[0]
    assert scores(result) == {"trained_model": 0}
    assert said.startswith("not implemented yet: no trained model file"), said
    assert "looked for " + ", ".join(assignment(assignment_id).model_files) in said, said
    assert f"python -m exercises.{assignment_id}_training" in said, said
    if course_file:
        assert f"the course notebook saves {course_file}" in said, said
    else:
        assert "course notebook saves" not in said, said
