"""Properties of Grad-CAM heat maps, with images drawn here and grad_cam run in a real worker."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import SOLUTIONS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.control.session import WorkerSession
from graders.judge.references import reference_code
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission
from graders.suites.c3w4_l4 import CLASSES, CONVOLUTIONS, IMAGE_SHAPE


@pytest.fixture(scope="module")
def worker():
    session = WorkerSession("c3w4_l4", load_submission(SOLUTIONS, assignment("c3w4_l4")))
    yield session
    session.close()


@st.composite
def images(draw):
    """Images in [0, 1] at the network's size: noise, or patches of colour, at any brightness."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    height, width, channels = IMAGE_SHAPE
    if draw(st.booleans()):
        picture = rng.uniform(0, 1, IMAGE_SHAPE)
    else:
        patches = rng.uniform(0, 1, (height // 8, width // 8, channels))
        picture = np.kron(patches, np.ones((8, 8, 1)))
    return (picture * draw(st.floats(0.0, 1.0))).astype(np.float32)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(images(), st.sampled_from(CONVOLUTIONS)), min_size=1, max_size=3))
def test_every_heat_map_has_the_image_size_and_lies_in_zero_one(worker, drawn):
    suite = assignment("c3w4_l4")
    stand_ins = suite.exercise("grad_cam").stand_ins  # grad_cam calls the reference gradient_model
    observation = worker.probe("grad_cam", {"images": [picture for picture, _ in drawn],
                                            "layers": [layer for _, layer in drawn]},
                               reference_code(suite, stand_ins), ("grad_cam",), stand_ins)
    assert observation["status"] == "ok", observation
    for (picture, _), case in zip(drawn, observation["cases"]):
        heat = np.asarray(case["maps"])
        assert heat.shape == (CLASSES,) + IMAGE_SHAPE[:2]
        assert np.all(np.isfinite(heat)) and heat.min() >= 0 and heat.max() <= 1 + 1e-6
        for one in heat:  # normalised by its maximum, or all zero
            assert np.isclose(one.max(), 1, atol=1e-5) or one.max() == 0
        if picture.std() > 0.05:  # an image with something in it: some class finds evidence there
            assert any(np.isclose(one.max(), 1, atol=1e-5) for one in heat), "every map is all zero"
