"""`cvgrade gradescope`: the zip, and its run_autograder run as Gradescope runs it.

The zip is unpacked into a fake `/autograder` (source/, submission/, results/) and its own
run_autograder is run in a subprocess with `CVGRADE_AUTOGRADER_ROOT` pointing there. Only the
virtual environment differs from Gradescope: instead of running setup.sh (which installs
packages), `venv/` is made from this interpreter with this environment's packages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import pytest

from graders.control.sandbox import bubblewrap_works
from graders.frontends.batch.intake import Entry
from graders.frontends.gradescope_export import ExportRefused, export, source_files
from graders.shared.limits import Limits
from graders.shared.registry import all_assignments, assignment

ROOT = Path(__file__).resolve().parents[1]
C3W4 = assignment("c3w4")
SANDBOX = "bubblewrap" if bubblewrap_works() is None else "off"  # off only where it must be


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export") / "c3w4_autograder.zip"
    export(C3W4, path, Limits(probe_seconds=120), SANDBOX)
    return path


@pytest.fixture(scope="module")
def autograder(autograder_zip) -> Path:
    """A fake /autograder: the zip in source/, run_autograder copied beside it, a venv/. Like
    /autograder, and unlike pytest's own temporary folders (0700), every user may pass through
    the folders above it: the learner's workers run as users of their own."""
    top = Path(tempfile.mkdtemp(prefix="cvgrade-gradescope-test-"))
    os.chmod(top, 0o755)
    yield from _autograder(top / "autograder", autograder_zip)
    shutil.rmtree(top)


def _autograder(root: Path, autograder_zip: Path):
    for name in ("source", "submission", "results"):
        (root / name).mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    purelib = Path(sysconfig.get_paths(vars={"base": str(root / "venv"), "platbase": str(root / "venv")})["purelib"])
    shutil.rmtree(purelib)
    purelib.symlink_to(sysconfig.get_paths()["purelib"], target_is_directory=True)
    yield root


def run_autograder(root: Path, files: dict[str, Path]) -> dict:
    """Upload `files` (name in submission/: file to copy), run run_autograder, read results.json."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder)
        (root / folder).mkdir()
    for name, path in files.items():
        shutil.copyfile(path, root / "submission" / name)
    done = subprocess.run(["bash", str(root / "run_autograder")], capture_output=True, text=True, timeout=900,
                          cwd=root, env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                                         "CVGRADE_AUTOGRADER_ROOT": str(root)})
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    assert_gradescope_schema(document)
    return document


def assert_gradescope_schema(document: dict) -> None:
    assert isinstance(document["score"], (int, float))
    assert isinstance(document["output"], str) and document["output"]
    assert document.get("visibility", "visible") in ("visible", "hidden", "after_due_date", "after_published")
    for test in document["tests"]:
        assert {"name", "score", "max_score", "output"} <= test.keys(), test
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert 0 <= test["score"] <= test["max_score"]
    assert document["score"] == pytest.approx(sum(test["score"] for test in document["tests"]))


def _names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def test_the_zip_holds_the_scripts_and_the_grader_without_other_answers(autograder_zip):
    names = _names(autograder_zip)
    with zipfile.ZipFile(autograder_zip) as archive:
        for script in ("setup.sh", "run_autograder"):
            assert stat.S_IMODE(archive.getinfo(script).external_attr >> 16) == 0o755
    assert {"pyproject.toml", "conftest.py", "solutions/c3w4_saliency.py", "solutions/cat_or_not.keras",
            "fixtures/c3w4/cat_or_not_hidden.npz", "exercises/c3w4_training.py",
            "graders/frontends/gradescope_run.py"} <= names
    assert not any(name.split("/")[0] in ("tests", "bench", "docs", ".git", ".venv") for name in names)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    others = [a for a in all_assignments() if a.id != "c3w4"]
    assert not names & {path for a in others for path in a.hidden_data}
    assert not names & {f"solutions/{model}" for a in others for model in a.model_files}
    # every solution module is there: stand-ins are compiled from them, and no line of them may show
    assert {f"solutions/{a.module}.py" for a in all_assignments()} <= names


def test_the_scripts_parse_and_name_only_what_the_zip_holds(autograder, autograder_zip):
    names = _names(autograder_zip)
    for script in ("setup.sh", "run_autograder"):
        text = (autograder / "source" / script).read_text()
        subprocess.run(["bash", "-n", str(autograder / "source" / script)], check=True)
        assert not re.search(r"\b(curl|wget|git)\b", text), script  # only apt-get and pip fetch anything
        for module in re.findall(r"-m (graders[\w.]+)", text):
            assert module.replace(".", "/") + ".py" in names
        for path in re.findall(r'"\$root/source/([^"$]+)"', text):
            assert path in names, path
    setup = (autograder / "source" / "setup.sh").read_text()
    assert 'pip install -e "$root/source"' in setup and "pyproject.toml" in names
    assert "bubblewrap" in setup



def test_the_zip_takes_the_files_git_lists_as_the_bundle_does(tmp_path):
    """What .gitignore names (saliency maps and models trained beside the stubs, build leftovers)
    stays out, and so does a new file until git tracks it; the other assignments' answers stay out."""
    names = ["graders/engine.py", "exercises/helper_new.py", "exercises/salientcat1.jpg", "exercises/model.keras",
             "graders/build/cache.bin", "solutions/birds.keras", "fixtures/c3w3/m2nist_hidden.npz", "notes/todo.md"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / ".gitignore").write_text("/exercises/salient*.jpg\n/exercises/*.keras\nbuild/\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "graders/engine.py"], check=True)
    held = {path.relative_to(tmp_path).as_posix() for path in source_files(assignment("c3w4"), tmp_path)}
    assert held == {"graders/engine.py"}, held
    subprocess.run(["git", "-C", str(tmp_path), "add", "exercises/helper_new.py"], check=True)
    held = {path.relative_to(tmp_path).as_posix() for path in source_files(assignment("c3w4"), tmp_path)}
    assert held == {"graders/engine.py", "exercises/helper_new.py"}, held

def test_a_practice_lab_is_refused(tmp_path):
    with pytest.raises(ExportRefused, match="practice lab"):
        export(assignment("c3w4_l1"), tmp_path / "lab.zip")
    assert not (tmp_path / "lab.zip").exists()


def test_the_solution_with_its_trained_model_gets_full_marks(autograder):
    """Uploaded under names of the learner's own: the model file is found all the same."""
    files = {"my_saliency.py": ROOT / "solutions" / "c3w4_saliency.py",
             "trained.keras": ROOT / "solutions" / "cat_or_not.keras"}
    files.update({path.name: path for path in (ROOT / "solutions").glob("salient*.jpg")})
    document = run_autograder(autograder, files)
    assert document["score"] == C3W4.max_points == sum(test["max_score"] for test in document["tests"])
    assert [test["name"] for test in document["tests"]] == [f"c3w4: {e.title}" for e in C3W4.exercises]
    assert document["extra_data"]["official"] is True
    assert f"sandbox {SANDBOX}" in document["output"]
    assert (autograder / "results" / "report.html").stat().st_size > 0


def test_the_stubs_get_zero(autograder):
    document = run_autograder(autograder, {"c3w4_saliency.py": ROOT / "exercises" / "c3w4_saliency.py"})
    assert document["score"] == 0 and len(document["tests"]) == len(C3W4.exercises)


def test_an_upload_without_code_gets_zero_and_the_reason(autograder, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my answers are in my head\n")
    document = run_autograder(autograder, {"notes.txt": notes})
    assert document["score"] == 0 and document["tests"] == []
    assert document["output"].startswith("not graded: ") and "no .py file or notebook" in document["output"]


def test_an_upload_becomes_the_batch_entry_of_its_shape(tmp_path):
    """A zip alone is graded as a zip, anything else as the learner's folder; model files at the
    top level go with either, as the batch groups `alice.keras` with `alice.py`."""
    from graders.frontends.gradescope_run import submission_entry

    upload = tmp_path / "submission"
    upload.mkdir()
    (upload / "work.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    assert submission_entry(upload) == Entry("submission", (upload / "work.zip",), "zip")
    (upload / "mine.keras").write_bytes(b"model")
    assert submission_entry(upload) == Entry("submission", (upload / "work.zip", upload / "mine.keras"), "zip")
    (upload / "salientcat1.jpg").write_bytes(b"jpeg")
    assert submission_entry(upload) == Entry("submission", (upload, upload / "mine.keras"), "folder")
    for path in upload.iterdir():
        path.unlink()
    (upload / "c3w4_saliency.py").write_text("")
    (upload / ".DS_Store").write_bytes(b"")
    assert submission_entry(upload) == Entry("submission", (upload,), "folder")


def test_the_command_line_refuses_with_one_sentence(tmp_path, capsys):
    from graders.frontends.cli import main

    assert main(["gradescope", "c3w4_l1", str(tmp_path / "lab.zip")]) == 2
    assert capsys.readouterr().err.startswith("cvgrade gradescope: c3w4_l1 is a practice lab")
    assert main(["gradescope", "c9w9", str(tmp_path / "x.zip")]) == 2
    assert "unknown assignment 'c9w9'" in capsys.readouterr().err
    assert main(["gradescope", "C3W4", str(tmp_path / "c3w4.zip")]) == 0
    assert "wrote" in capsys.readouterr().out and zipfile.is_zipfile(tmp_path / "c3w4.zip")
