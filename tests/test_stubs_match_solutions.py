"""The learner stubs and the solutions agree everywhere except inside the code-here regions;
a function no exercise grades is the course's own code, the same in both."""

from __future__ import annotations

import ast

import pytest
from grading_helpers import ROOT

from graders.shared.registry import all_assignments

MODULES = sorted({suite.module for suite in all_assignments()})  # every suite's stub and solution


def _graded(module: str) -> set[str]:
    return {name for suite in all_assignments() if suite.module == module for e in suite.exercises
            for name in e.functions}


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
    graded = _graded(module)
    assert graded and graded <= set(stubs), (graded, list(stubs))
    for name, stub in stubs.items():
        solution = solutions[name]
        if name not in graded:  # given by the course (a helper it calls): the same code in both
            assert ast.dump(stub) == ast.dump(solution), name
            continue
        assert ast.dump(stub.args) == ast.dump(solution.args), name
        assert ast.get_docstring(stub) == ast.get_docstring(solution), name
        body = [ast.unparse(statement) for statement in stub.body[1:]]
        given = body[:-1]  # code the course gives before the learner's part (C3W2's detect)
        assert body[-1:] == [f"raise NotImplementedError({name!r})"], name
        assert given == [ast.unparse(statement) for statement in solution.body[1:1 + len(given)]], name
        lines = (ROOT / "exercises" / f"{module}.py").read_text().splitlines()
        source = "\n".join(lines[stub.lineno - 1:stub.end_lineno + 1])  # the END marker follows the body
        assert "### START CODE HERE ###" in source and "### END CODE HERE ###" in source
