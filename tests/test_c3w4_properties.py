"""Properties of saliency maps, with pictures drawn here and do_salience run in a real worker.

The pictures travel as PNG files (lossless), so each property holds exactly, not
up to a JPEG's rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import SOLUTIONS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.control.session import WorkerSession
from graders.judge import maps
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission
from graders.suites.c3w4 import MAP_SHAPE


@pytest.fixture(scope="module")
def worker():
    session = WorkerSession("c3w4", load_submission(SOLUTIONS, assignment("c3w4")))
    yield session
    session.close()


def _maps(worker, images, model="seeded", labels=None) -> list[np.ndarray]:
    params = {"images": [np.asarray(image, dtype=np.uint8) for image in images], "model": model}
    if labels is not None:
        params["labels"] = labels
    observation = worker.probe("do_salience", params)
    assert observation["status"] == "ok", observation
    return [np.asarray(made) for made in observation["maps"]]


@st.composite
def pictures(draw, min_side=24, max_side=480):
    """RGB pictures of any size, their pixels from a drawn seed (hypothesis shrinks the size)."""
    height, width = draw(st.integers(min_side, max_side)), draw(st.integers(min_side, max_side))
    seed = draw(st.integers(0, 2**32 - 1))
    smooth = draw(st.booleans())
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (height, width, 3))
    if smooth:  # large patches of colour, not only noise
        image = np.kron(rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3)), np.ones((8, 8, 1)))[:height, :width]
    return image.astype(np.uint8)


@st.composite
def objects_on_black(draw):
    """A textured object at a random box on a black picture, and the box in the 300x300 map's
    coordinates (the map is of the resized picture)."""
    height, width = draw(st.integers(120, 420)), draw(st.integers(120, 420))
    box_h, box_w = draw(st.integers(height // 5, height // 2)), draw(st.integers(width // 5, width // 2))
    top, left = draw(st.integers(0, height - box_h)), draw(st.integers(0, width - box_w))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[top:top + box_h, left:left + box_w] = rng.integers(1, 256, (box_h, box_w, 3))
    rows, columns = MAP_SHAPE[0] / height, MAP_SHAPE[1] / width
    box = (top * rows, left * columns, (top + box_h) * rows, (left + box_w) * columns)
    return image, box


settings_ = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(st.lists(pictures(), min_size=1, max_size=3))
def test_every_map_is_a_300x300_uint8_picture_of_the_resized_image(worker, images):
    for made in _maps(worker, images):
        assert made.shape == MAP_SHAPE and made.dtype == np.uint8
        assert made.min() == 0 and made.max() == 255  # stretched to the full range


@settings_
@given(objects_on_black(), st.floats(0.2, 4.0))
def test_scaling_the_contrast_keeps_the_strongest_pixel_on_the_object(worker, drawn, contrast):
    """With a classifier whose first kernels sum to zero, a black region has no gradient: the
    weight of the map must lie on the object, however bright or dim it is."""
    image, (top, left, bottom, right) = drawn
    dimmed = np.clip(image.astype(np.float64) * contrast, 0, 255).astype(np.uint8)
    margin = 3  # the first 3x3 kernel and the resize's interpolation reach past the object's edge
    for made in _maps(worker, [image, dimmed], model="edges"):
        row, column = np.unravel_index(np.argmax(made), made.shape)
        assert top - margin <= row <= bottom + margin and left - margin <= column <= right + margin


@settings_
@given(st.lists(pictures(), min_size=1, max_size=2))
def test_a_classifier_that_ignores_its_input_gives_a_flat_map(worker, images):
    for made in _maps(worker, images, model="constant"):
        assert maps.is_flat(made)


@settings_
@given(pictures())
def test_the_label_does_not_change_the_map_of_a_two_class_softmax(worker, image):
    """The gradients for label 0 and for label 1 differ by a positive factor only."""
    for_cat, for_other = _maps(worker, [image, image], labels=[0, 1])
    assert np.max(np.abs(for_cat.astype(int) - for_other.astype(int))) <= 1
