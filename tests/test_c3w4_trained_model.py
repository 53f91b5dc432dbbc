"""C3W4's trained-model grading with real model files and real saliency maps on disk.

The grader judges two things: the model's accuracy on hidden pictures, and whether
the submitted maps (salientcat1.jpg, ...) are the maps that very model gives.
"""

from __future__ import annotations

import shutil

import pytest
from grading_helpers import SOLUTIONS, grade

keras = pytest.importorskip("keras")

from exercises.c3w4_training import save_maps  # noqa: E402
from graders.data import cat_or_not  # noqa: E402
from graders.worker import modelprobe  # noqa: E402
from solutions.c3w4_saliency import build_classifier, do_salience  # noqa: E402

MODULE = "c3w4_saliency.py"
MAP_FILES = [f"salient{name}" for name in cat_or_not.PICTURES]


def _grade_model(folder):
    (exercise,) = grade(folder, "c3w4", exercises=["trained_model"]).exercises
    return exercise


def _untrained(seed=3):
    model = build_classifier()
    modelprobe.seed_weights(model, seed)
    return model


def _folder(tmp_path, model=None, maps_from=None):
    """A submission: the solution's code, `model` (or the reference model) and the maps of
    `maps_from` ('solutions': the reference maps; 'model': made from `model` here; None: none)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(SOLUTIONS / MODULE, tmp_path)
    if model is None:
        shutil.copy(SOLUTIONS / "cat_or_not.keras", tmp_path)
    else:
        model.save(tmp_path / "cat_or_not.keras")
    if maps_from == "solutions":
        for name in MAP_FILES:
            shutil.copy(SOLUTIONS / name, tmp_path)
    elif maps_from == "model":
        save_maps(do_salience, keras.models.load_model(tmp_path / "cat_or_not.keras"), tmp_path)
    return tmp_path


@pytest.mark.parametrize("accuracy, score", [(0.5, 0.0), (0.55, 0.0), (0.575, 0.5), (0.6, 1.0), (0.85, 1.0)])
def test_the_accuracy_points_ramp_from_an_untrained_models_luck_to_the_recipes_lowest(accuracy, score):
    """The marks bench/calibrate_marks.py set: nothing up to 55%, full from 60%."""
    from graders.suites import c3w4

    assert c3w4.accuracy_score(accuracy) == pytest.approx(score)


def test_the_reference_model_and_its_maps_get_full_points():
    exercise = _grade_model(SOLUTIONS)
    assert exercise.points == 30, exercise.output_text()
    assert "5 of 5 saliency maps are what this model gives" in exercise.feedback
    assert [figure.png[:4] for figure in exercise.figures] == [b"\x89PNG"] * 2


def test_a_real_grading_with_the_hidden_set_draws_only_public_dev_pictures(monkeypatch):
    """Through a real Grader and worker: the probe runs on the 64 hidden pictures then 24 public dev
    ones, the accuracy is the hidden set's, and the mistakes figure is drawn from public dev pictures."""
    import hashlib

    import numpy as np

    from graders.control.grading import Grader
    from graders.judge import pictures
    from graders.shared.registry import assignment
    from graders.suites import c3w4

    suite = assignment("c3w4")
    assert suite.hidden_data_here
    drawn, resized, mistakes_figure = [], pictures.resized, c3w4._mistakes_figure

    def recording(*args):  # the pictures the mistakes figure resizes into its cells
        monkeypatch.setattr(pictures, "resized", lambda image, *a, **k: drawn.append(image) or resized(image, *a, **k))
        try:
            return mistakes_figure(*args)
        finally:
            monkeypatch.setattr(pictures, "resized", resized)

    monkeypatch.setattr(c3w4, "_mistakes_figure", recording)
    grader = Grader(suite, SOLUTIONS)
    try:
        exercise = grader.grade("trained_model")
        observation = grader.observations["trained_model"]
    finally:
        grader.close()
    hidden_images, hidden_labels = cat_or_not.load_split("hidden")
    dev_images, _ = cat_or_not.load_split("dev")
    assert exercise.points == 30, exercise.output_text()
    assert observation["probabilities"].shape == (len(hidden_labels) + 24, 2)
    assert f"on {len(hidden_labels)} hidden pictures" in exercise.feedback
    caption = exercise.figures[-1].caption
    assert caption.startswith("the public dev pictures your model is least sure of") and "never shown" in caption
    digest = lambda a: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()  # noqa: E731
    mistakes = [digest(image) for image in drawn]
    assert len(mistakes) == 6
    assert set(mistakes) <= {digest(image) for image in dev_images[:24]}
    assert not set(mistakes) & {digest(image) for image in hidden_images}


def test_maps_made_by_another_model_are_caught(tmp_path):
    exercise = _grade_model(_folder(tmp_path, _untrained(), maps_from="solutions"))
    assert "0 of 5 saliency maps are what this model gives" in exercise.feedback, exercise.output_text()
    assert any("salientcat1.jpg: differs from the expected map: correlation" in d for d in exercise.details)
    assert exercise.points <= 15


def test_an_untrained_model_with_its_own_maps_gets_the_maps_half(tmp_path):
    exercise = _grade_model(_folder(tmp_path, _untrained(), maps_from="model"))
    assert "5 of 5 saliency maps are what this model gives" in exercise.feedback, exercise.output_text()
    assert exercise.points == 15  # near chance on the hidden pictures: none of the other 15
    assert "(no points up to 55%, full from 60%)" in exercise.feedback


def test_a_model_without_maps_is_told_how_to_make_them(tmp_path):
    exercise = _grade_model(_folder(tmp_path))
    assert "no maps were submitted" in exercise.feedback and "--maps-only" in exercise.feedback
    assert exercise.points <= 15


def test_a_model_for_other_pictures_gets_a_clear_message(tmp_path):
    small = keras.Sequential([keras.Input((150, 150, 3)), keras.layers.Conv2D(4, 3),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    exercise = _grade_model(_folder(tmp_path, small))
    assert exercise.points == 0
    assert "the model's input has shape (None, 150, 150, 3), expected (None, 300, 300, 3)" in exercise.feedback
