"""Properties of intersection_over_union, with boxes drawn here and evaluated in a real worker."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import SOLUTIONS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.control.session import WorkerSession
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission
from graders.suites.c3w1 import SMOOTHING, box_iou


@pytest.fixture(scope="module")
def worker():
    session = WorkerSession("c3w1", load_submission(SOLUTIONS, assignment("c3w1")))
    yield session
    session.close()


@st.composite
def box_arrays(draw, min_size=1, max_size=12):
    """(N, 4) arrays of boxes with positive width and height, as (xmin, ymin, xmax, ymax)."""
    count = draw(st.integers(min_size, max_size))
    boxes = []
    for _ in range(count):
        xmin, ymin = draw(st.floats(0, 0.9)), draw(st.floats(0, 0.9))
        width, height = draw(st.floats(0.05, 1 - xmin)), draw(st.floats(0.05, 1 - ymin))
        boxes.append([xmin, ymin, xmin + width, ymin + height])
    return np.array(boxes)


@st.composite
def box_pairs(draw):
    pred = draw(box_arrays())
    true = draw(box_arrays(len(pred), len(pred)))
    return pred, true


def _iou(worker, pred, true) -> np.ndarray:
    observation = worker.probe("intersection_over_union", {"cases": [pred, true]})
    assert observation["status"] == "ok", observation
    return np.asarray(observation["iou"], dtype=np.float64).ravel()


settings_ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(box_pairs())
def test_symmetric_and_between_zero_and_one(worker, pair):
    pred, true = pair
    forward, backward = _iou(worker, pred, true), _iou(worker, true, pred)
    assert np.allclose(forward, backward, rtol=1e-9, atol=1e-12)
    assert np.all((forward >= 0) & (forward <= 1 + 1e-9))


@settings_
@given(box_arrays())
def test_a_box_with_itself_gives_one(worker, boxes):
    assert np.allclose(_iou(worker, boxes, boxes.copy()), 1.0, atol=1e-9)


@settings_
@given(box_arrays(), st.floats(0.01, 2.0))
def test_disjoint_boxes_give_zero(worker, boxes, gap):
    moved = boxes.copy()
    moved[:, [0, 2]] += boxes[:, 2:3] - boxes[:, 0:1] + gap  # shifted right past its own width
    assert np.all(_iou(worker, boxes, moved) < 1e-6)  # the smoothing term over the union


@settings_
@given(box_pairs(), st.floats(0.5, 10.0))
def test_invariant_to_scaling_both_boxes(worker, pair, factor):
    pred, true = pair
    # Exact but for the smoothing term 1e-10, which does not scale with the areas.
    assert np.allclose(_iou(worker, pred, true), _iou(worker, pred * factor, true * factor),
                       rtol=1e-6, atol=1e-6)


@settings_
@given(box_pairs())
def test_the_trusted_side_computes_the_same_iou(worker, pair):
    """The trained-model check and the hints score with their own box_iou; it must agree with
    the course's IoU (exactly, given the smoothing term; within it, without)."""
    learner = _iou(worker, *pair)
    assert np.allclose(learner, box_iou(*pair, smoothing=SMOOTHING), rtol=1e-12, atol=1e-15)
    assert np.allclose(learner, box_iou(*pair), rtol=1e-6, atol=1e-6)
