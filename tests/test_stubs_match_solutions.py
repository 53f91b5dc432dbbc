"""The learner stubs and the solutions agree everywhere except inside the code-here regions."""

from __future__ import annotations

import ast

import pytest
from grading_helpers import ROOT

MODULES = ["c3w1_bounding_boxes", "c3w1_l1_inception", "c3w1_l2_resnet", "c3w1_l3_localization",
           "c3w3_segmentation", "c3w3_l2_unet", "c3w3_l1_fcn8", "c3w4_saliency", "c3w4_l1_cam", "c3w4_l3_hub_saliency",
           "c3w4_l4_gradcam", "c3w4_l2_cam", "c3w2_zombie_detection", "c3w2_l1_hub_detection", "c3w2_l3_tf2_zoo"]


def _parts(path):
    tree = ast.parse(path.read_text())
    functions, others = {}, []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions[node.name] = node
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            others.append(ast.dump(node))  # imports and constants; the module docstring may differ
    return functions, others


@pytest.mark.parametrize("module", MODULES)
def test_stubs_keep_the_solutions_signatures_docstrings_and_constants(module):
    stubs, stub_others = _parts(ROOT / "exercises" / f"{module}.py")
    solutions, solution_others = _parts(ROOT / "solutions" / f"{module}.py")
    assert stub_others == solution_others
    assert list(stubs) == list(solutions)
    for name, stub in stubs.items():
        solution = solutions[name]
        assert ast.dump(stub.args) == ast.dump(solution.args), name
        assert ast.get_docstring(stub) == ast.get_docstring(solution), name
        body = [ast.unparse(statement) for statement in stub.body[1:]]
        given = body[:-1]  # code the course gives before the learner's part (C3W2's detect)
        assert body[-1:] == [f"raise NotImplementedError({name!r})"], name
        assert given == [ast.unparse(statement) for statement in solution.body[1:1 + len(given)]], name
        lines = (ROOT / "exercises" / f"{module}.py").read_text().splitlines()
        source = "\n".join(lines[stub.lineno - 1:stub.end_lineno + 1])  # the END marker follows the body
        assert "### START CODE HERE ###" in source and "### END CODE HERE ###" in source
