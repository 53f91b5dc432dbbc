"""Every hint names a mistake: no rule of any hint table holds for the solution's own observation.

A rule that holds for the reference (a catch-all such as `lambda o, r: True`, or one that holds
for any wrong answer) would replace the check's precise sentence with a guess. Checked on the
committed reference observations, in the trusted process (no TensorFlow)."""

from __future__ import annotations

import pytest

from graders.judge.references import load_reference
from graders.shared.registry import all_assignments

EXERCISES = [pytest.param(a, e, id=f"{a.id}-{e.id}") for a in all_assignments() for e in a.exercises
             if e.hints and e.uses_reference]


@pytest.mark.parametrize("suite, exercise", EXERCISES)
def test_no_hint_rule_holds_for_the_solution(suite, exercise):
    reference = load_reference(suite.id, exercise.id)
    holding = []
    for hint in exercise.hints:
        try:
            if hint.applies(reference, reference):
                holding.append(hint.message)
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    assert not holding, holding
    assert exercise.hint_for(reference, reference) is None


def test_every_exercise_with_hints_is_checked():
    assert {e.values[1].id for e in EXERCISES} >= {"fcn8_decoder", "grad_cam", "class_activation_map",
                                                    "saliency_map", "compute_steps", "do_salience"}
