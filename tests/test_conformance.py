"""Forged observations: the shape guard every check gets, tried on every exercise of every suite.

A worker that ran hostile code can answer with any plain data. These tests take each
exercise's reference observation (the solution's), forge it empty, cut to its first case, with
a key taken out and with its cases in another order, and require that none of these is judged
correct; and that a check that fails on a well-shaped observation is reported as the grader's
fault, not the learner's.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graders.judge.conformance import LEARNER_SHAPED, LEARNER_SIZED, shape_problem
from graders.judge.judging import judge
from graders.judge.references import load_reference
from graders.shared.registry import Exercise, Verdict, all_assignments
from tests.grading_helpers import identical

EXERCISES = [(a.id, e) for a in all_assignments() for e in a.exercises]


def _id(pair) -> str:
    return f"{pair[0]}.{pair[1].id}"


def skeleton(assignment_id: str, exercise: Exercise) -> dict:
    if exercise.uses_reference:
        return load_reference(assignment_id, exercise.id)
    assert exercise.observation_shape is not None, "an exercise without a reference declares its shape"
    return {"status": "ok", **exercise.observation_shape()}


def fixed_lists(value, path=()):
    """Paths to the lists whose length the probe decides (not the learner's code)."""
    found = []
    if isinstance(value, dict):
        for key, part in value.items():
            if key in LEARNER_SIZED or key in LEARNER_SHAPED:
                continue
            if isinstance(part, list) and part:
                found.append(path + (key,))
            found += fixed_lists(part, path + (key,))
    elif isinstance(value, list):
        for index, part in enumerate(value):
            found += fixed_lists(part, path + (index,))
    return found


def required_keys(value, path=()):
    """Paths to every key the guard requires."""
    found = []
    if isinstance(value, dict):
        for key, part in value.items():
            found.append(path + (key,))
            if key not in LEARNER_SHAPED and key not in LEARNER_SIZED:
                found += required_keys(part, path + (key,))
    elif isinstance(value, list):
        for index, part in enumerate(value):
            found += required_keys(part, path + (index,))
    return found


def _at(value, path):
    for step in path:
        value = value[step]
    return value


def _forged(observation, path, change):
    forged = copy.deepcopy(observation)
    parent = _at(forged, path[:-1])
    change(parent, path[-1])
    return forged


def _assert_refused(exercise, forged, reference, what):
    verdict, status = judge(exercise, forged, reference)
    assert verdict.score == 0 and status == "error", (what, verdict.message)
    assert "observation its probe never makes" in verdict.message, (what, verdict.message)


@pytest.mark.parametrize("pair", EXERCISES, ids=_id)
def test_empty_and_cut_cases_are_refused(pair):
    assignment_id, exercise = pair
    reference = skeleton(assignment_id, exercise)
    lists = fixed_lists(reference)
    for path in lists:
        empty = _forged(reference, path, lambda parent, key: parent.__setitem__(key, []))
        _assert_refused(exercise, empty, reference, f"{path} emptied")
        if len(_at(reference, path)) > 1:
            cut = _forged(reference, path, lambda parent, key: parent.__setitem__(key, parent[key][:1]))
            _assert_refused(exercise, cut, reference, f"{path} cut to its first entry")
    _assert_refused(exercise, {"status": "ok"}, reference, "no data at all")


@pytest.mark.parametrize("pair", EXERCISES, ids=_id)
def test_every_missing_key_is_refused(pair):
    assignment_id, exercise = pair
    reference = skeleton(assignment_id, exercise)
    for path in required_keys(reference):
        forged = _forged(reference, path, lambda parent, key: parent.pop(key))
        _assert_refused(exercise, forged, reference, f"{path} taken out")


def _reversed_cases(value, key=None):
    """Every list the probe makes, in reverse order (its cases, and what each case holds)."""
    if isinstance(value, dict):
        return {k: (v if k in LEARNER_SHAPED or k in LEARNER_SIZED else _reversed_cases(v, k))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_reversed_cases(v, key) for v in reversed(value)]
    return value


@pytest.mark.parametrize("pair", [p for p in EXERCISES if p[1].uses_reference], ids=_id)
def test_cases_in_another_order_are_not_correct(pair):
    assignment_id, exercise = pair
    reference = load_reference(assignment_id, exercise.id)
    reordered = _reversed_cases(reference)
    if identical(reordered, reference):
        pytest.skip("the probe makes no two cases that differ")
    verdict, _ = judge(exercise, reordered, reference)
    assert verdict.score < 1, verdict.message


def test_a_check_that_fails_on_a_well_shaped_observation_is_the_graders_fault():
    def broken_check(observation, reference):
        raise ZeroDivisionError("a bug in the check")

    exercise = Exercise("x", "X", 10, probe=lambda s, p: {}, check=broken_check, functions=("f",))
    verdict, status = judge(exercise, {"status": "ok", "value": 1.0}, {"status": "ok", "value": 2.0})
    assert status == "error" and verdict.score == 0
    assert "fault in the grader" in verdict.message and "not a mistake in your code" in verdict.message
    assert "ZeroDivisionError" in verdict.message


def test_an_unknown_status_or_a_missing_message_is_refused_not_crashed():
    exercise = Exercise("x", "X", 10, probe=lambda s, p: {}, check=lambda o, r: Verdict.passed(),
                        functions=("f",))
    for forged in ({"status": "passed"}, {"status": "failed"}, {"status": "error"},
                   {"status": "missing"}, {"status": ["ok"]}, {}, [1, 2]):
        verdict, status = judge(exercise, forged, {"status": "ok"})
        assert (verdict.score, status) == (0, "error"), forged
        assert "observation its probe never makes" in verdict.message, forged


# --- the guard itself -----------------------------------------------------------------------------------
def test_learner_sized_parts_may_differ_in_length_not_in_kind():
    reference = {"layers": [{"name": "a", "type": "Dense"}], "outputs": [np.zeros(2)], "status": "ok"}
    more_layers = {"layers": [{"name": "a", "type": "Dense"}] * 3, "outputs": [], "status": "ok"}
    assert shape_problem(more_layers, reference) is None
    assert "lacks 'type'" in shape_problem({**more_layers, "layers": [{"name": "a"}]}, reference)
    assert "is a plain value" in shape_problem({**more_layers, "outputs": [1.0]}, reference)
    assert shape_problem({"loss": {"a": "mse"}}, {"loss": "mse"}) is None  # a loss per output


def test_the_problem_names_the_place():
    reference = {"cases": [{"iou": np.zeros(3)}, {"iou": np.zeros(3)}]}
    assert shape_problem({"cases": [{"iou": np.zeros(3)}]}, reference) == (
        "the observation['cases'] has 1 entries, where the probe gives 2")
    assert shape_problem({"cases": [{"iou": np.zeros(3)}, {}]}, reference) == (
        "the observation['cases'][1] lacks 'iou'")
    assert shape_problem({"cases": [{"iou": np.zeros(3)}, {"iou": 0.5}]}, reference) == (
        "the observation['cases'][1]['iou'] is a plain value, where the probe gives an array")


plain = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))
leaves = st.one_of(plain, st.builds(np.zeros, st.integers(0, 4)))
names = st.text("abcdefgh", min_size=1, max_size=4)
shapes = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(names, inner, max_size=4)), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(shapes)
def test_every_observation_has_its_own_shape(value):
    assert shape_problem(value, value) is None


@settings(max_examples=200, deadline=None)
@given(shapes, st.data())
def test_taking_out_any_key_or_list_entry_is_seen(value, data):
    keys, lists = required_keys(value), fixed_lists(value)
    assume_some = keys or lists
    if not assume_some:
        return
    if keys and (not lists or data.draw(st.booleans())):
        path = data.draw(st.sampled_from(keys))
        forged = _forged(value, path, lambda parent, key: parent.pop(key))
    else:
        path = data.draw(st.sampled_from(lists))
        forged = _forged(value, path, lambda parent, key: parent[key].pop())
    assert shape_problem(forged, value) is not None, path
