"""Properties of IoU on the paths grading takes: the trusted side's `box_iou` (which the trained-model
check and the hints score with), the cases a seed draws, and the learner's function as the probe
calls it. Each property is shown to catch a broken IoU, so none holds by construction."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import SOLUTIONS
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from graders.control.session import WorkerSession
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission
from graders.suites.c3w1 import IOU_SPECIAL, SMOOTHING, box_iou, iou_cases

seeds = st.integers(0, 2**63 - 1)


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
    return pred, draw(box_arrays(len(pred), len(pred)))


# Each property as a predicate of an IoU function and drawn boxes, so that the same statement is
# tested on box_iou and shown to fail on a broken one.
def symmetric_and_in_zero_one(iou, pair) -> bool:
    forward, backward = iou(*pair), iou(*pair[::-1])
    return bool(np.allclose(forward, backward, rtol=1e-9, atol=1e-12) and np.all((forward >= 0) & (forward <= 1 + 1e-9)))


def one_with_itself(iou, boxes) -> bool:
    return bool(np.allclose(iou(boxes, boxes.copy()), 1.0, atol=1e-9))


def zero_when_apart(iou, boxes, gap=0.01) -> bool:
    moved = boxes.copy()
    moved[:, [0, 2]] += boxes[:, 2:3] - boxes[:, 0:1] + gap  # shifted right past its own width
    return bool(np.all(np.abs(iou(boxes, moved)) < 1e-6))  # the smoothing term over the union, at most


def scale_invariant(iou, pair, factor=3.0) -> bool:
    pred, true = pair
    return bool(np.allclose(iou(pred, true), iou(pred * factor, true * factor), rtol=1e-6, atol=1e-6))


def _unclipped(pred, true):  # the overlap of boxes apart goes negative
    width = np.minimum(pred[:, 2], true[:, 2]) - np.maximum(pred[:, 0], true[:, 0])
    height = np.minimum(pred[:, 3], true[:, 3]) - np.maximum(pred[:, 1], true[:, 1])
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    return width * height / (area(pred) + area(true) - width * height)


BROKEN = {  # property -> (strategy, an IoU that breaks it)
    symmetric_and_in_zero_one: (box_pairs(), lambda pred, true: box_iou(pred, true) * (1 + true[:, 0])),
    one_with_itself: (box_arrays(), lambda pred, true: box_iou(pred, true) / 2),
    zero_when_apart: (box_arrays(), _unclipped),
    scale_invariant: (box_pairs(), lambda pred, true: box_iou(pred, true, smoothing=0.01)),
}
many = settings(max_examples=300, deadline=None)


@many
@given(box_pairs())
def test_box_iou_is_symmetric_and_between_zero_and_one(pair):
    assert symmetric_and_in_zero_one(box_iou, pair)


@many
@given(box_arrays())
def test_box_iou_of_a_box_with_itself_is_one(boxes):
    assert one_with_itself(box_iou, boxes)


@many
@given(box_arrays(), st.floats(0.01, 2.0))
def test_box_iou_of_boxes_apart_is_zero(boxes, gap):
    assert zero_when_apart(box_iou, boxes, gap)
    assert zero_when_apart(lambda p, t: box_iou(p, t, smoothing=SMOOTHING), boxes, gap)


@many
@given(box_pairs(), st.floats(0.5, 10.0))
def test_box_iou_is_invariant_to_scaling_both_boxes(pair, factor):
    assert scale_invariant(box_iou, pair, factor)


@pytest.mark.parametrize("holds", list(BROKEN), ids=lambda holds: holds.__name__)
def test_each_property_catches_a_broken_iou(holds):
    strategy, broken = BROKEN[holds]
    found = find(strategy, lambda drawn: not holds(broken, drawn), settings=settings(max_examples=500))
    assert found is not None


@many
@given(seeds)
def test_every_seed_draws_the_special_cases_and_overlapping_pairs(seed):
    pred, true = iou_cases(seed)
    special = len(IOU_SPECIAL)
    drawn = box_iou(pred[:-special], true[:-special])
    assert pred.shape == true.shape == (24 + special, 4)
    assert np.array_equal(pred[-special:], iou_cases(seed + 1)[0][-special:])  # the same special pairs
    assert np.count_nonzero(drawn) > 0  # some drawn pairs overlap


@pytest.fixture(scope="module")
def worker():
    session = WorkerSession("c3w1", load_submission(SOLUTIONS, assignment("c3w1")))
    yield session
    session.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seeds)
def test_the_course_iou_on_the_grading_cases_is_box_iou_with_its_smoothing(worker, seed):
    """What the probe observes of the solution, for any seed, is the trusted side's IoU: so the
    hints and the trained-model check, which use box_iou, judge with the course's measure."""
    exercise = assignment("c3w1").exercise("intersection_over_union")
    observation = worker.probe(exercise.id, exercise.probe_params(seed))
    assert observation["status"] == "ok", observation
    learner = np.asarray(observation["iou"], dtype=np.float64).ravel()
    assert np.allclose(learner, box_iou(observation["pred"], observation["true"], smoothing=SMOOTHING),
                       rtol=1e-12, atol=1e-15)
    assert np.all((learner >= 0) & (learner <= 1 + 1e-9))
