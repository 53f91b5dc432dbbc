"""The cached reference observations agree with what solutions/ produces now."""

from __future__ import annotations

import numpy as np

from graders.engine import compare
from graders.engine.references import load_reference, observe_solutions
from graders.engine.registry import assignment


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


def test_reference_cache_matches_solutions():
    c3w3 = assignment("c3w3")
    fresh = observe_solutions(c3w3)
    assert set(fresh) == {e.id for e in c3w3.exercises if e.uses_reference}
    for exercise_id, observation in fresh.items():
        _assert_same(observation, load_reference("c3w3", exercise_id),
                     f"{exercise_id} (run `cvgrade fixtures c3w3` if solutions changed on purpose)")
