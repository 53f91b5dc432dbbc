"""The trust boundary in the layout: kept at run time, and checked by contracts that can fail.

The import-linter contracts in pyproject.toml (run by `./dev test`) say which package may
import which; these tests show that grading really keeps TensorFlow out of the trusted
process, and that the contracts reject the imports they exist to stop.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Grades a whole assignment and renders every form of its result, in a fresh interpreter, and
# reports which heavy modules the trusted process ended up holding.
GRADE_IN_A_FRESH_TRUSTED_PROCESS = """
import json, sys
from graders.control.grading import Grader
from graders.frontends.run_info import fixtures_digest, versions
from graders.render import LearnerRecord, gradescope_document, html_summary, report_html, terminal_table
from graders.shared.paths import SOLUTIONS
from graders.shared.registry import all_assignments, assignment

all_assignments()  # every suite imported, as the front ends do
grader = Grader(assignment(sys.argv[1]), SOLUTIONS)
try:
    result = grader.grade_all()
finally:
    grader.close()
terminal_table(result), html_summary(result), gradescope_document([result])
report_html("solutions", [LearnerRecord("solutions", result, "graded")],
            {**versions(), "fixtures": fixtures_digest(grader.assignment)})
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"tensorflow", "keras", "tf_keras",
                                                               "tensorflow_hub", "exercises", "solutions"})
print(json.dumps({"points": result.points, "max": result.max_points, "heavy": heavy}))
"""


@pytest.mark.parametrize("assignment_id", ["c3w4_l1", "c3w1"])
def test_grading_leaves_tensorflow_and_learner_code_out_of_the_trusted_process(assignment_id):
    done = subprocess.run([sys.executable, "-c", GRADE_IN_A_FRESH_TRUSTED_PROCESS, assignment_id],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["points"] == report["max"] > 0, report  # it graded, and the solutions earned it all
    assert report["heavy"] == [], report


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    linter = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(linter), "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(root)})


@pytest.fixture(scope="module")
def copy_of_the_project(tmp_path_factory):
    if not Path(sys.executable).with_name("lint-imports").exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    copy = tmp_path_factory.mktemp("layout") / "project"
    shutil.copytree(ROOT / "graders", copy / "graders", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy)
    return copy


def test_the_contracts_hold_for_the_project(copy_of_the_project):
    done = _lint_imports(copy_of_the_project)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("judge/compare.py", "import tensorflow", "Trusted side"),
    ("render/terminal.py", "from graders.worker import modelprobe", "Trusted side"),
    ("shared/registry.py", "from graders.control import session", "Layers"),
    ("worker/probing.py", "from graders.judge import compare", "Worker side"),
    ("suites/c3w1_l1.py", "from graders.control.grading import Grader", "Suites"),
    ("data/m2nist.py", "from graders.judge import results", "Data builders"),
])
def test_each_contract_rejects_the_import_it_exists_to_stop(copy_of_the_project, module, line, contract):
    path = copy_of_the_project / "graders" / module
    original = path.read_text()
    try:
        path.write_text(original + f"\n\ndef _crossing():\n    {line}\n")  # inside a function counts too
        done = _lint_imports(copy_of_the_project)
    finally:
        path.write_text(original)
    assert done.returncode != 0, done.stdout[-3000:]
    broken = [line for line in done.stdout.splitlines() if line.rstrip().endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), done.stdout[-3000:]  # others may break too
