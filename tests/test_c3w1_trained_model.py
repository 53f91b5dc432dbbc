"""C3W1's trained-model grading with real models: one trained here that finds most boxes, and bad ones.

The model trained here is the training script's compact CNN (the trained-model
part accepts any model from 224x224x3 images to four box coordinates), so it
learns in under a minute on a CPU.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from grading_helpers import SOLUTIONS, grade

keras = pytest.importorskip("keras")

from exercises.c3w1_training import compact_model  # noqa: E402
from graders.data import localization  # noqa: E402

MODULE = "c3w1_bounding_boxes.py"


def _submission(folder, model=None, name="birds.keras"):
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SOLUTIONS / MODULE, folder)
    if model is not None:
        model.save(folder / name)
    return folder


def _grade_model(folder):
    (exercise,) = grade(folder, "c3w1", exercises=["trained_model"]).exercises
    return exercise


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    images, boxes = localization.load_split("train", 600)
    model = compact_model()
    model.fit(localization.preprocess(images), boxes, batch_size=32, epochs=6, verbose=0)
    return model


def test_a_trained_model_finds_the_boxes_and_the_report_draws_them(trained, tmp_path):
    exercise = _grade_model(_submission(tmp_path, trained))
    assert exercise.points == 30, exercise.output_text()
    assert "hidden boxes are found (IoU >= 0.5)" in exercise.feedback
    (figure,) = exercise.figures
    assert figure.caption.startswith("the 6 public dev images with the lowest IoU, worst first")
    assert "never shown" in figure.caption and figure.png.startswith(b"\x89PNG")


def test_an_untrained_model_scores_what_it_finds(tmp_path):
    keras.utils.set_random_seed(1)
    exercise = _grade_model(_submission(tmp_path, compact_model()))
    assert exercise.points < 30 and exercise.status in ("failed", "partial"), exercise.output_text()
    assert "full points from 50%" in exercise.feedback


def test_boxes_in_ymin_xmin_order_get_that_hint(trained, tmp_path):
    """The same trained model with its outputs reordered to (ymin, xmin, ymax, xmax)."""
    swap = keras.layers.Dense(4, use_bias=False, name="swap")
    outputs = swap(trained.outputs[0])
    swap.set_weights([np.eye(4)[[1, 0, 3, 2]].T.astype("float32")])
    swapped = keras.Model(trained.inputs, outputs)
    exercise = _grade_model(_submission(tmp_path, swapped))
    assert exercise.points < 30, exercise.output_text()
    assert "read as (ymin, xmin, ymax, xmax)" in exercise.feedback, exercise.output_text()


def test_a_model_of_the_wrong_shape_gets_a_clear_message(tmp_path):
    inputs = keras.Input((224, 224, 3))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(inputs)))
    exercise = _grade_model(_submission(tmp_path, model))
    assert exercise.points == 0
    assert "the model's output has shape (None, 2), expected (None, 4)" in exercise.feedback


def test_a_model_for_other_images_gets_a_clear_message(tmp_path):
    inputs = keras.Input((96, 96, 3))
    model = keras.Model(inputs, keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(inputs)))
    exercise = _grade_model(_submission(tmp_path, model, "birds.h5"))
    assert exercise.points == 0
    assert "the model's input has shape (None, 96, 96, 3), expected (None, 224, 224, 3)" in exercise.feedback


def test_no_model_file_says_how_to_make_one(tmp_path):
    exercise = _grade_model(_submission(tmp_path))
    assert exercise.points == 0 and "python -m exercises.c3w1_training" in exercise.feedback
