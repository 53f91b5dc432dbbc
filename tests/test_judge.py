"""`judge`: statuses become clear sentences; hints explain only complete observations."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from graders.judge.judging import judge
from graders.shared.registry import Exercise, Hint, Verdict


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
    from graders.judge.references import load_reference
    from graders.shared.registry import assignment

    exercise = assignment("c3w3").exercise("conv_block")
    reference = load_reference("c3w3", "conv_block")
    for forged in ({"status": "ok"}, {"status": "ok", "cases": "all correct"}, {"status": "failed"}):
        verdict, status = judge(exercise, forged, reference)
        assert verdict.score == 0 and status == "error"
        assert "observation its probe never makes" in verdict.message


def test_learner_strings_and_lists_are_bounded_wherever_a_result_is_made():
    """50 MB of forged feedback, a 10 MB note, 5000 problems and a 5000-row layer table: every
    report, results.json and summary made from the result stays small, and says it was cut."""
    from graders import render
    from graders.judge.judging import exercise_result
    from graders.judge.results import AssignmentResult, result_from_dict, result_to_dict
    from graders.render import LearnerRecord
    from graders.shared.registry import Figure, assignment

    suite = assignment("c3w3")
    exercise = suite.exercise("conv_block")
    verdict, status = judge(exercise, {"status": "failed", "message": "x" * 50_000_000}, None)
    verdict.figures.append(Figure("layers", table=[["layer", "type"]] + [[f"l{i}" * 100, "Conv2D"]
                                                                          for i in range(5000)]))
    result = exercise_result(suite, exercise, verdict, status, ["n" * 10_000_000])
    assert len(result.feedback) <= 2000 and result.feedback.endswith("(cut: 49998040 more characters)")
    assert len(result.notes[0]) <= 2000 and "cut" in result.notes[0]
    table = result.figures[0].table
    assert len(table) == 1001 and table[-1][0] == "... (cut: 4001 more rows)" and len(table[1][0]) <= 200
    whole = AssignmentResult("c3w3", "C3W3", "mallory", exercises=[result])
    for index in range(5000):
        whole.add_load_problem(f"problem {index} " + "p" * 100_000)
    assert len(whole.load_problems) == 100 and "cut" in whole.load_problems[-1]
    assert result_from_dict(result_to_dict(whole)).load_problems == whole.load_problems
    page = render.learner_report_html(LearnerRecord("mallory", whole, "graded"), {"assignment": "c3w3"})
    assert len(page) < 2_000_000


@given(st.text(max_size=5000), st.integers(41, 3000))
def test_bounding_keeps_short_texts_and_is_idempotent(text, limit):
    from graders.judge.results import bounded

    once = bounded(text, limit)
    assert len(once) <= limit and bounded(once, limit) == once
    assert once == text if len(text) <= limit else once.startswith(text[:limit - 40])


def test_an_error_from_a_traced_function_is_said_by_its_cause_not_its_traceback():
    from graders.worker.probing import exception_sentence

    traced = RuntimeError('in user code:\n\n    File "c3w2.py", line 12, in train_step_fn  *\n'
                          "        losses = model.loss(prediction_dict, shapes)\n\n"
                          "    RuntimeError: call provide_groundtruth(...) before loss(...)\n")
    assert exception_sentence(traced) == "RuntimeError: call provide_groundtruth(...) before loss(...)"
    assert exception_sentence(ValueError("first line\nsecond")) == "ValueError: first line"
    assert exception_sentence(KeyError()) == "KeyError"
