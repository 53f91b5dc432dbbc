"""`judge`: statuses become clear sentences; hints explain only complete observations."""

from __future__ import annotations

from graders.engine.grading import judge
from graders.engine.registry import Exercise, Hint, Verdict


def _exercise(check=lambda o, r: Verdict.failed("values differ")):
    return Exercise("ex", "Ex", 10, probe=lambda s, p: {}, check=check, functions=("f",),
                    hints=(Hint("the layer is missing", lambda o, r: not o.get("layers")),))


def test_statuses():
    assert judge(_exercise(), {"status": "not_implemented"}, None)[0].message == "`f` is not implemented yet"
    assert judge(_exercise(), {"status": "missing", "function": "f"}, None)[0].message == \
        "`f` is not defined in your submission"
    verdict, status = judge(_exercise(), {"status": "error", "error": "TypeError: bad", "where": "line 3, in f"}, None)
    assert (verdict.message, status) == ("`f` raised TypeError: bad (line 3, in f)", "error")


def test_hints_replace_the_message_only_for_complete_observations():
    verdict, status = judge(_exercise(), {"status": "ok", "layers": []}, {})
    assert verdict.message == "the layer is missing" and verdict.details == ["values differ"]
    verdict, _ = judge(_exercise(), {"status": "failed", "message": "FCN8 must return ((f3, f4, f5), img_input)"}, {})
    assert verdict.message.startswith("FCN8 must return")


def test_full_marks_keep_the_check_message():
    verdict, status = judge(_exercise(lambda o, r: Verdict.passed("fine")), {"status": "ok"}, {})
    assert (verdict.message, status, verdict.score) == ("fine", "passed", 1.0)


def test_an_observation_the_check_cannot_read_costs_only_its_exercise():
    """Learner code runs beside the probe and can send a forged observation of any plain shape."""
    from graders.engine.registry import assignment

    exercise = assignment("c3w3").exercise("conv_block")
    for forged in ({"status": "ok"}, {"status": "ok", "cases": "all correct"}, {"status": "failed"}):
        verdict, status = judge(exercise, forged, None)
        assert verdict.score == 0 and status == "error"
        assert "cannot be judged" in verdict.message
