"""Properties of the class-wise metrics on the paths grading takes: the trusted side's
`class_wise_scores` (which scores the trained model on the hidden set), and the learner's
`class_wise_metrics` as the probe calls it, on the cases a seed draws. Each property is shown to
catch a broken metric, so none holds by construction."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import SOLUTIONS
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graders.control.session import WorkerSession
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission
from graders.suites.c3w3 import _metric_cases, class_wise_scores

N_CLASSES = 11
label_maps = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=12).flatmap(
    lambda shape: st.tuples(*(hnp.arrays(np.int64, shape, elements=st.integers(0, N_CLASSES - 1))
                              for _ in range(2))))


def bounded_and_iou_at_most_dice(scores, maps) -> bool:
    iou, dice = scores(*maps)
    return bool(iou.shape == dice.shape == (N_CLASSES,) and np.all((0 <= iou) & (iou <= 1))
                and np.all((0 <= dice) & (dice <= 1)) and np.all(iou <= dice + 1e-12))


def one_for_present_classes_when_perfect(scores, maps) -> bool:
    truth = maps[0]
    iou, dice = scores(truth, truth.copy())
    present = np.isin(np.arange(N_CLASSES), truth)
    return bool(np.allclose(iou[present], 1, atol=1e-4) and np.allclose(dice[present], 1, atol=1e-4)
                and np.all(iou[~present] == 0) and np.all(dice[~present] == 0))


def symmetric(scores, maps) -> bool:
    forward, backward = scores(*maps), scores(maps[1], maps[0])
    return bool(np.allclose(forward[0], backward[0]) and np.allclose(forward[1], backward[1]))


def _dice_as_iou(truth, prediction):
    iou, _ = class_wise_scores(truth, prediction)
    return iou, iou * 0.9


BROKEN = {  # property -> a metric that breaks it
    bounded_and_iou_at_most_dice: _dice_as_iou,
    one_for_present_classes_when_perfect: lambda t, p: tuple(s * 0.5 for s in class_wise_scores(t, p)),
    symmetric: lambda t, p: (class_wise_scores(t, p)[0] * (1 + (t.ravel()[0] == 0)) / 2, class_wise_scores(t, p)[1]),
}
many = settings(max_examples=300, deadline=None)


@many
@given(label_maps)
def test_scores_are_bounded_and_iou_is_at_most_dice(maps):
    assert bounded_and_iou_at_most_dice(class_wise_scores, maps)


@many
@given(label_maps)
def test_a_perfect_prediction_scores_one_for_every_present_class(maps):
    assert one_for_present_classes_when_perfect(class_wise_scores, maps)


@many
@given(label_maps)
def test_scores_are_symmetric_in_truth_and_prediction(maps):
    assert symmetric(class_wise_scores, maps)


@pytest.mark.parametrize("holds", list(BROKEN), ids=lambda holds: holds.__name__)
def test_each_property_catches_a_broken_metric(holds):
    assert find(label_maps, lambda maps: not holds(BROKEN[holds], maps), settings=settings(max_examples=500))


@pytest.fixture(scope="module")
def worker():
    session = WorkerSession("c3w3", load_submission(SOLUTIONS, assignment("c3w3")))
    yield session
    session.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**63 - 1))
def test_the_course_metrics_on_the_grading_cases_are_the_trusted_scores(worker, seed):
    """For any seed, what the probe observes of the solution is the trusted side's measure per
    case, and the cases hold a class absent from both maps (where the smoothing shows)."""
    exercise = assignment("c3w3").exercise("class_wise_metrics")
    observation = worker.probe(exercise.id, exercise.probe_params(seed))
    assert observation["status"] == "ok", observation
    cases = _metric_cases(seed)
    assert any(not np.isin(label, np.concatenate([t.ravel(), p.ravel()])) for t, p in cases
               for label in range(N_CLASSES))
    for (truth, prediction), case in zip(cases, observation["cases"]):
        iou, dice = class_wise_scores(truth, prediction)
        assert np.allclose(case["iou"], iou, rtol=1e-9, atol=1e-12)
        assert np.allclose(case["dice"], dice, rtol=1e-9, atol=1e-12)
