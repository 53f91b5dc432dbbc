"""The solution functions a probe stands in reach the learner's worker as bytecode, never as
source, and no line of them survives into a result (results.withheld, applied by `bounded`)."""

from __future__ import annotations

import ast
import importlib.util
import marshal
import types
from pathlib import Path

import pytest
from grading_helpers import ROOT, SOLUTIONS, mutate, solution_source, write_submission

from graders.control.grading import Grader
from graders.judge.references import reference_code, solution_lines
from graders.judge.results import WITHHELD, ExerciseResult, bounded, withheld
from graders.shared.registry import all_assignments, assignment

C3W3 = assignment("c3w3")
SNIPPET = ROOT / "tests" / "submissions" / "batch_hostile" / "capture_reference_conv_block.py"


def conv_block_lines() -> list[str]:
    source = solution_source()
    (node,) = [n for n in ast.parse(source).body if getattr(n, "name", "") == "conv_block"]
    lines = source.splitlines()[node.body[1].lineno - 1:node.end_lineno]
    return [line.strip() for line in lines if len(line.strip()) >= 12 and not line.strip().startswith("#")]


def _code_objects(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


@pytest.mark.parametrize("suite", [a.id for a in all_assignments() if any(e.stand_ins for e in a.exercises)])
def test_stand_ins_travel_as_code_without_text_or_layout(suite):
    suite_assignment = assignment(suite)
    source = solution_source(suite_assignment.module)
    for exercise in suite_assignment.exercises:
        if not exercise.stand_ins:
            continue
        data = reference_code(suite_assignment, exercise.stand_ins)
        magic = importlib.util.MAGIC_NUMBER
        assert data.startswith(magic)
        code = marshal.loads(data[len(magic):])
        for inner in _code_objects(code):
            assert inner.co_filename == "<reference>"
            assert {line for _, _, line in inner.co_lines() if line is not None} <= {0, 1}
            assert all(p[2] in (0, None) for p in inner.co_positions())  # no column either
        for node in ast.walk(ast.parse(source)):  # no docstring, no comment of the solution
            if isinstance(node, ast.FunctionDef) and node.name in exercise.stand_ins and ast.get_docstring(node):
                assert ast.get_docstring(node).splitlines()[0].encode() not in data
        assert all(comment.encode() not in data for comment in _comments(source))
        module: dict = {}
        exec(code, module)
        assert all(callable(module[name]) for name in exercise.stand_ins)


def _comments(source: str) -> list[str]:
    return [line.split("#", 1)[1].strip() for line in source.splitlines()
            if "#" in line and len(line.split("#", 1)[1].strip()) > 8]


def test_withheld_replaces_solution_lines_however_they_are_spaced_or_quoted():
    line = 'x = tf.keras.layers.Conv2D(filters, kernel_size, padding="same")(x)'
    assert line in solution_lines()
    for variant in (line, line.replace('"', "'"), line.replace(", ", ",").replace(" = ", "="),
                    "x  =  tf.keras.layers.Conv2D( filters , kernel_size, padding = 'same' ) ( x )"):
        assert withheld(f"got: {variant} !") == f"got: {WITHHELD} !", variant
    text = "\n".join(conv_block_lines())
    assert all(piece.strip() == WITHHELD for piece in withheld(text).splitlines())


def test_bounding_withholds_and_stays_idempotent():
    line = conv_block_lines()[1]
    once = bounded(("pad " * 600) + line + (" tail" * 600))
    assert line not in once and len(once) <= 2000 and bounded(once) == once
    assert bounded(line) == WITHHELD
    result = ExerciseResult("c3w3", "FCN8", "t", 0, 15, f"raised {line}", "error", details=[line],
                            notes=[line, "fine"])
    assert line not in repr(result) and "fine" in result.notes


def test_the_grader_s_own_hints_are_not_withheld():
    for suite in all_assignments():
        for exercise in suite.exercises:
            for hint in exercise.hints:
                assert withheld(hint.message) == hint.message, (suite.id, exercise.id, hint.message)


def _capturing_submission(tmp_path, through_solutions_folder: bool) -> Path:
    snippet = SNIPPET.read_text()
    if not through_solutions_folder:  # the folder route aside: what the worker itself holds
        snippet = mutate(snippet, '    _grab("solutions folder",', '    0 and _grab("solutions folder",')
    # On the stubs, as in the hostile corpus: the learner's own module holds no solution text, so
    # whatever solution line the snippet finds came from the grader.
    return write_submission(tmp_path, (ROOT / "exercises" / "c3w3_segmentation.py").read_text() + "\n\n" + snippet)


def test_the_worker_never_holds_the_reference_source(tmp_path):
    """The raw observation of the capturing FCN8 (before any scrubbing): every route it tries
    inside the worker yields bytecode, names and constants, never a line of the solution."""
    grader = Grader(C3W3, _capturing_submission(tmp_path, through_solutions_folder=False))
    try:
        exercise = C3W3.exercise("FCN8")
        observation = grader.session.probe("FCN8", exercise.probe_params(),
                                           reference_code(C3W3, exercise.stand_ins), exercise.functions,
                                           exercise.stand_ins)
    finally:
        grader.close()
    assert observation["status"] == "ok", observation
    raw = "\n".join(observation["notes"]) + "\n".join(str(row) for row in observation["layers"])
    assert "dis conv_block" in raw and "LOAD_" in raw  # it found the reference and disassembled it
    assert "getsource conv_block: OSError" in raw
    for line in conv_block_lines():
        assert line not in raw, line


def test_solution_text_that_does_reach_an_observation_is_withheld(tmp_path):
    """Outside a sandbox the learner's code can read solutions/ itself: whatever it copies into
    notes, layer names or messages is withheld where the result is made."""
    grader = Grader(C3W3, _capturing_submission(tmp_path, through_solutions_folder=True))
    try:
        results = [grader.grade(name) for name in ("FCN8", "fcn8_decoder")]
    finally:
        grader.close()
    assert results[0].points == 15, results[0].output_text()
    text = "\n".join(r.output_text() + repr(r.figures) for r in results)
    assert WITHHELD in text
    for line in conv_block_lines():
        assert line not in text, line
    assert (SOLUTIONS / "c3w3_segmentation.py").exists()
