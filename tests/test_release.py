"""`cvgrade release`: the learners' bundle holds no answer, and its own graders still grade.

One bundle is built per module (into a temporary folder) and searched for every solution
function's text and syntax tree, every hidden file's bytes and arrays, the solutions' files
and the harness's own parts. Then the bundle's graders are run as a learner runs them (a real
pytest session with the bundle's own code, its own warm grading server): on its stubs, every
assignment, nothing scored and nothing crashing; on the solutions copied into its exercises/
with the trained model files, full marks on every assignment and lab.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest
from grading_helpers import ROOT, SOLUTIONS

from graders.control import warmserver
from graders.frontends.release import UNCOMMITTED, ReleaseRefused, plan, release
from graders.shared.registry import SUITES, all_assignments, assignment

# The full-marks run grades these (all of them twice would take about 6 minutes here): a trained
# model file scored on boxes (c3w1), label maps (c3w3) and accuracy with saliency maps (c3w4), a
# fine-tuning run of the learner's own steps (c3w2_l4, a lab), and the learner's own functions
# standing in for solutions (c3w1, c3w1_l3, c3w2_l4, c3w3, c3w4).
SOLVED = tuple(SUITES)  # every assignment and lab of the registry
TRAINED = {"c3w1": "trained_model", "c3w2": "fine_tuned", "c3w2_l4": "fine_tuned", "c3w3": "trained_model",
           "c3w4": "trained_model"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    release(out)
    return out


def bundle_files(bundle: Path) -> list[Path]:
    return sorted(path for path in bundle.rglob("*") if path.is_file())


def _without_docstring(node: ast.AST) -> ast.AST:
    body = getattr(node, "body", None)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        node.body = body[1:] or [ast.Pass()]
    return node


def function_dumps(code: str) -> dict[str, str]:
    """Every function in `code` (nested ones too): its normalized syntax tree (no docstring, no
    positions) -> its name."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return {}
    return {ast.dump(_without_docstring(node), annotate_fields=False, include_attributes=False): node.name
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def code_of(path: Path) -> list[str]:
    """The Python code a bundle file holds: a module, or a notebook's code cells."""
    if path.suffix == ".py":
        return [path.read_text(errors="replace")]
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text()).get("cells", [])
        return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                for c in cells if c.get("cell_type") == "code"]
    return []


def solution_functions() -> list[tuple[str, str, str, str]]:
    """(module, name, source text, normalized dump) of every solution function of three or more
    statements, but those the stubs give as they are (course code the learner is handed)."""
    found = []
    for path in sorted(SOLUTIONS.glob("*.py")):
        code = path.read_text()
        stub = ROOT / "exercises" / path.name
        given = set(function_dumps(stub.read_text())) if stub.exists() else set()
        for node in ast.walk(ast.parse(code)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            text = ast.get_source_segment(code, node)
            node = _without_docstring(node)
            if len(node.body) < 3:
                continue
            dump = ast.dump(node, annotate_fields=False, include_attributes=False)
            if dump not in given:
                found.append((path.stem, node.name, text, dump))
    return found


def test_the_bundle_holds_the_learners_parts_and_none_of_the_harness(bundle):
    tops = {path.name for path in bundle.iterdir()}
    assert {"exercises", "graders", "fixtures", "conftest.py", "pyproject.toml", "dev", "README.md"} <= tops
    assert not tops & {"solutions", "tests", "bench", "docs", ".ci", ".git"}, tops
    assert (bundle / "exercises/object_detection/test_data/checkpoint/ckpt-0.index").is_file()
    assert (bundle / "exercises/object_detection/configs/tf2").is_dir()
    assert sorted((bundle / "exercises/c3w4_pictures").iterdir())
    for name in ("c3w1_training.py", "c3w2_training.py", "c3w3_training.py", "c3w4_training.py"):
        assert (bundle / "exercises" / name).is_file()
    assert sorted(p.name for p in (bundle / "graders").glob("test_*.py")) == \
        sorted(p.name for p in (ROOT / "graders").glob("test_*.py"))
    assert (bundle / "notebooks").is_dir() == (ROOT / "notebooks").is_dir()
    assert not [p for p in bundle_files(bundle) if p.suffix in (".pyc", ".keras", ".h5") or p.name == "results.data"]
    assert os.access(bundle / "dev", os.X_OK)
    settings = tomllib.loads((bundle / "pyproject.toml").read_text())
    assert not [p for p in settings["tool"]["setuptools"]["packages"]["find"]["include"] if "solutions" in p]
    assert settings["tool"]["pytest"]["ini_options"]["testpaths"] == ["graders"]
    readme = (bundle / "README.md").read_text()
    assert "./dev setup" in readme and "./dev grade" in readme and "$" not in readme.replace("$ ", "")


def test_no_solution_function_is_in_the_bundle(bundle):
    functions = solution_functions()
    assert len(functions) > 50, "the solutions' functions were found"
    texts, dumps = [], set()
    for path in bundle_files(bundle):
        if path.suffix in (".py", ".ipynb", ".md", ".txt", ".cfg", ".toml", ".json", ".config", ""):
            texts.append(path.read_text(errors="replace"))
        for code in code_of(path):
            dumps.update(function_dumps(code))
    leaks = [f"{module}.{name}" for module, name, text, dump in functions
             if dump in dumps or any(text in t for t in texts)]
    assert not leaks, leaks


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _npz_arrays(data: bytes) -> list[np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            return [stored[key] for key in stored.files]
    except (ValueError, OSError, zipfile.BadZipFile):
        return []


def test_no_hidden_byte_and_no_solution_file_is_in_the_bundle(bundle):
    hidden = [ROOT / p for a in all_assignments() for p in a.hidden_data]
    assert hidden and all(p.is_file() for p in hidden)
    hidden_arrays = [a for p in hidden for a in _npz_arrays(p.read_bytes())]
    assert len(hidden_arrays) >= len(hidden)
    secret = {_sha(p.read_bytes()) for p in hidden}
    secret |= {_sha(p.read_bytes()) for p in SOLUTIONS.rglob("*") if p.is_file() and p.stat().st_size}
    for path in bundle_files(bundle):
        data = path.read_bytes()
        assert _sha(data) not in secret, path
        for array in hidden_arrays:
            assert array.tobytes() not in data, path
        for array in _npz_arrays(data) if path.suffix == ".npz" else []:
            assert not any(array.shape == h.shape and np.array_equal(array, h) for h in hidden_arrays), path


def test_release_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ReleaseRefused, match="not empty"):
        release(tmp_path)
    with pytest.raises(ReleaseRefused, match="inside the repository"):
        release(ROOT / "exercises" / "bundle")
    assert (tmp_path / "notes.txt").read_text() == "mine" and not (tmp_path / "README.md").exists()



def test_a_solved_notebook_or_scratch_file_left_in_the_repository_stays_out(tmp_path):
    """Outside a git checkout every file is a candidate: one that defines a solution's function,
    whatever its name and however it is commented, stays out; the stub, whose given functions the
    solution repeats, goes in."""
    solved = (SOLUTIONS / "c3w4_saliency.py").read_text()
    for name in ("solutions/c3w4_saliency.py", "exercises/c3w4_saliency.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "exercises" / "scratch.py").write_text("# trying things out\n\n" + solved)
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": ["%matplotlib inline\n", solved]}]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "C3W4-solved.ipynb").write_text(json.dumps(notebook))
    bundle = plan(tmp_path, [assignment("c3w4")])
    assert bundle.left_out["exercises/scratch.py"] == "it defines a function of the solutions"
    assert bundle.left_out["notebooks/C3W4-solved.ipynb"] == "it defines a function of the solutions"
    assert "exercises/c3w4_saliency.py" in bundle.copied


def test_in_a_checkout_only_committed_files_go_out_and_new_ones_are_named(tmp_path):
    """A course team member's new file (a learner's submission copied in to look at, notes) stays
    out until it is committed, and is named; ignored files are not even named."""
    for name in ("solutions/c3w4_saliency.py", "exercises/c3w4_saliency.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".gitignore").write_text("*.keras\n")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=cvgrade", "-c", "user.email=cvgrade@example.org"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "course"], check=True)
    (tmp_path / "exercises" / "anna_submission.py").write_text("def helper():\n    return 1\n")
    (tmp_path / "exercises" / "cat_or_not.keras").write_bytes(b"trained here")
    bundle = plan(tmp_path, [assignment("c3w4")])
    assert "exercises/c3w4_saliency.py" in bundle.copied and ".gitignore" in bundle.copied
    assert "exercises/anna_submission.py" not in bundle.copied
    assert bundle.left_out["exercises/anna_submission.py"] == UNCOMMITTED
    assert "exercises/cat_or_not.keras" not in bundle.copied and "exercises/cat_or_not.keras" not in bundle.left_out
    subprocess.run(git + ["add", "exercises/anna_submission.py"], check=True)
    assert "exercises/anna_submission.py" in plan(tmp_path, [assignment("c3w4")]).copied

# --- the bundle's graders, run in the bundle -------------------------------------------------------
def run_in(bundle: Path, *args: str, server: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """A process in the bundle with the bundle's own code (and its own warm grading server)."""
    env = dict(os.environ, PYTHONPATH=f"{bundle}{os.pathsep}{bundle / 'exercises'}")
    env.pop(warmserver.ENVIRONMENT_VARIABLE, None)
    if server is not None:
        env[warmserver.ENVIRONMENT_VARIABLE] = str(server)
    return subprocess.run([sys.executable, *args], cwd=bundle, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def bundle_server():
    """A warm grading server for the bundle's runs, started by the first of them from the bundle's
    code (the test session's server runs the repository's), and stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix="cvgrade-bundle-"))
    path = folder / "grading.sock"
    yield path
    warmserver.stop_server(path)
    shutil.rmtree(folder, ignore_errors=True)


def graded(bundle: Path, server: Path, files: list[str], name: str) -> tuple[dict, subprocess.CompletedProcess]:
    out = bundle.parent / f"{name}.json"
    completed = run_in(bundle, "-m", "pytest", "-p", "no:cacheprovider", *files, "--grade-json", str(out),
                       server=server)
    assert out.exists(), completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(out.read_text()), completed


def test_the_bundle_grades_its_stubs_zero_without_a_crash(bundle, bundle_server):
    document, completed = graded(bundle, bundle_server, ["graders"], "stubs")
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    tests = document["tests"]
    assert len(tests) == sum(len(a.exercises) for a in all_assignments())
    assert all(t["score"] == 0 for t in tests), [t for t in tests if t["score"]]
    assert all("not implemented yet" in t["output"] for t in tests), [t for t in tests if "not impl" not in t["output"]]
    assert "Traceback" not in completed.stdout + completed.stderr


def test_the_bundle_gives_the_solutions_full_marks_on_public_data(bundle, bundle_server):
    exercises = bundle / "exercises"
    for suite in SOLVED:
        shutil.copy(SOLUTIONS / f"{assignment(suite).module}.py", exercises)
    for path in SOLUTIONS.iterdir():  # the trained model files, results file and saliency maps
        if path.suffix != ".py":
            shutil.copy(path, exercises)
    try:
        document, completed = graded(bundle, bundle_server, [f"graders/test_{s}.py" for s in SOLVED], "solved")
    finally:
        for suite in SOLVED:
            shutil.copy(ROOT / "exercises" / f"{assignment(suite).module}.py", exercises)
    tests = {t["name"]: t for t in document["tests"]}
    assert len(tests) == sum(len(assignment(s).exercises) for s in SOLVED)
    short = {name: t["output"][:300] for name, t in tests.items() if t["score"] != t["max_score"]}
    assert not short, short
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert set(TRAINED) == {a.id for a in all_assignments() if a.hidden_data}
    for suite, exercise in TRAINED.items():
        said = tests[f"{suite}: {assignment(suite).exercise(exercise).title}"]["output"]
        assert "scored on the public dev set" in said and "the course team's hidden set" in said, said
    stood_in = tests[f"c3w3: {assignment('c3w3').exercise('FCN8').title}"]["output"]
    assert "this part also runs your own `conv_block`" in stood_in, stood_in


def test_the_bundle_refuses_what_needs_the_solutions(bundle, tmp_path):
    for verb in (["fixtures", "c3w3"], ["batch", str(tmp_path), "--assignment", "c3w3", "--out", str(tmp_path / "out")]):
        completed = run_in(bundle, "-m", "graders.frontends.cli", *verb, timeout=120)
        assert completed.returncode == 2, completed.stdout + completed.stderr
        assert "needs the solutions, and this copy of the graders has none" in completed.stderr, completed.stderr
        assert "Traceback" not in completed.stderr
    assert not (bundle / "solutions").exists()


def test_the_bundle_installs_without_the_solutions_package(bundle, tmp_path):
    """The bundle's pyproject.toml builds (what `pip install -e .` does, without the download): its
    packages are the graders, the exercises and the detection API, with its checkpoint."""
    copy = shutil.copytree(bundle, tmp_path / "bundle")  # the build writes build/ and egg-info beside it
    completed = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                                str(copy), "-w", str(tmp_path / "wheel")], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    [wheel] = (tmp_path / "wheel").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"graders", "exercises", "object_detection"} <= {name.split("/")[0] for name in names}
    assert "object_detection/test_data/checkpoint/ckpt-0.index" in names
    assert not [name for name in names if name.startswith("solutions")]
