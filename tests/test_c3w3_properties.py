"""Properties of class_wise_metrics, with inputs drawn here and evaluated in a real worker."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import SOLUTIONS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graders.control.session import WorkerSession
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission

N_CLASSES = 11


@pytest.fixture(scope="module")
def worker():
    session = WorkerSession("c3w3", load_submission(SOLUTIONS, assignment("c3w3")))
    yield session
    session.close()


label_maps = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=12).flatmap(
    lambda shape: st.tuples(*(hnp.arrays(np.int64, shape, elements=st.integers(0, N_CLASSES - 1))
                              for _ in range(2))))


def _evaluate(worker, y_true, y_pred):
    observation = worker.probe("class_wise_metrics", {"cases": [[y_true, y_pred]]})
    assert observation["status"] == "ok", observation
    case = observation["cases"][0]
    return case["iou"], case["dice"]


settings_ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings_
@given(label_maps)
def test_bounds_and_iou_at_most_dice(worker, maps):
    iou, dice = _evaluate(worker, *maps)
    assert iou.shape == dice.shape == (N_CLASSES,)
    assert np.all((0 <= iou) & (iou <= 1)) and np.all((0 <= dice) & (dice <= 1))
    assert np.all(iou <= dice + 1e-12)


@settings_
@given(label_maps)
def test_perfect_prediction_scores_one_for_every_present_class(worker, maps):
    y_true, _ = maps
    iou, dice = _evaluate(worker, y_true, y_true.copy())
    present = np.isin(np.arange(N_CLASSES), y_true)
    assert np.allclose(iou[present], 1, atol=1e-6) and np.allclose(dice[present], 1, atol=1e-6)
    assert np.all(iou[~present] == 0) and np.all(dice[~present] == 0)


@settings_
@given(label_maps)
def test_symmetric_in_truth_and_prediction(worker, maps):
    forward = _evaluate(worker, *maps)
    backward = _evaluate(worker, maps[1], maps[0])
    assert np.allclose(forward[0], backward[0]) and np.allclose(forward[1], backward[1])
