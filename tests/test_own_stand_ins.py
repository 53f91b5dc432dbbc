"""In a learner's copy (no solutions/), the learner's own earlier functions stand in for the
reference ones (`probing.OwnStandIns`): an earlier exercise still to be done is named as such,
never reported as the later exercise not being implemented."""

from __future__ import annotations

import types

from graders.worker.probing import OwnStandIns, Submission
from graders.worker.worker import run_probe

SOURCE = '''
def conv_block(x):
    {conv_block}

def FCN8(x):
    {fcn8}
'''
STUB = 'raise NotImplementedError("to do")'


def submission(conv_block: str, fcn8: str) -> Submission:
    module = types.ModuleType("learner")
    exec(compile(SOURCE.format(conv_block=conv_block, fcn8=fcn8), "learner.py", "exec"), module.__dict__)
    return Submission(module, "learner.py", None)


class Exercise:
    """FCN8's probe as the suites write it: the stand-in `conv_block` replaces the learner's own."""

    def probe(self, submission: Submission, params: dict) -> dict:
        with submission.replaced("conv_block", submission.reference("conv_block")):
            return {"out": submission.function("FCN8")(params["x"])}


def observe(conv_block: str, fcn8: str) -> dict:
    learner, notes = submission(conv_block, fcn8), []
    learner.stand_ins = OwnStandIns(learner, ("conv_block",), notes, ("FCN8",))
    return run_probe(Exercise(), learner, {"x": 2}, notes)


def test_an_earlier_exercise_not_yet_done_is_named_not_the_later_one():
    observation = observe(STUB, "return conv_block(x) + 1")
    assert observation["status"] == "failed", observation
    assert "your `conv_block` is not implemented yet" in observation["message"]
    assert "implement `conv_block` first" in observation["message"]
    # The note that says why an earlier function runs here goes with the failure.
    assert any("your own `conv_block`" in note for note in observation["notes"]), observation


def test_notes_go_with_every_kind_of_ending():
    for fcn8, status in (("return conv_block(x) + None", "error"), ("return undefined_name(x)", "error"),
                         ("raise NotImplementedError", "not_implemented")):
        observation = observe("return x * 10", fcn8)
        assert observation["status"] == status, observation
        assert any("your own `conv_block`" in note for note in observation["notes"]), observation


def test_the_exercise_itself_not_yet_done_is_still_not_implemented():
    assert observe("return x * 10", STUB)["status"] == "not_implemented"
    assert observe(STUB, STUB)["status"] == "not_implemented"


def test_the_learners_own_earlier_function_runs_and_the_notes_say_so():
    observation = observe("return x * 10", "return conv_block(x) + 1")
    assert observation["status"] == "ok" and observation["out"] == 21
    assert any("your own `conv_block`" in note for note in observation["notes"]), observation["notes"]


def test_an_earlier_functions_other_errors_keep_their_place():
    observation = observe("return x / 0", "return conv_block(x) + 1")
    assert observation["status"] == "error" and "ZeroDivisionError" in observation["error"], observation
    assert "conv_block" in observation["where"], observation
