"""The cached reference observations agree with what solutions/ produces now."""

from __future__ import annotations

import numpy as np
import pytest

from graders.engine import compare
from graders.engine.references import load_reference, observe_solutions
from graders.engine.registry import SUITES, assignment


def _assert_same(fresh, cached, where):
    if isinstance(cached, np.ndarray):
        ok, reason = compare.check_array(fresh, cached, where, tolerance=1e-5)
        assert ok, reason
    elif isinstance(cached, dict):
        assert fresh.keys() == cached.keys(), where
        for key in cached:
            _assert_same(fresh[key], cached[key], f"{where}.{key}")
    elif isinstance(cached, list):
        assert len(fresh) == len(cached), where
        for index, (a, b) in enumerate(zip(fresh, cached)):
            _assert_same(a, b, f"{where}[{index}]")
    elif isinstance(cached, float):
        assert abs(fresh - cached) <= 1e-5 * max(1.0, abs(cached)), where
    else:
        assert fresh == cached, where


@pytest.mark.parametrize("assignment_id", SUITES)
def test_reference_cache_matches_solutions(assignment_id):
    suite = assignment(assignment_id)
    fresh = observe_solutions(suite)
    assert set(fresh) == {e.id for e in suite.exercises if e.uses_reference}
    for exercise_id, observation in fresh.items():
        _assert_same(observation, load_reference(assignment_id, exercise_id),
                     f"{exercise_id} (run `cvgrade fixtures {assignment_id}` if solutions changed on purpose)")
