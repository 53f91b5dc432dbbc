"""The batch machinery itself: stations, fork servers, the sandbox, the Dask executor, progress."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graders.control.sandbox import SandboxUnavailable, bubblewrap_works, make_sandbox
from graders.frontends.batch.intake import Entry
from graders.frontends.batch.progress import clock, progress_line
from graders.frontends.batch.station import Station
from graders.judge.references import load_reference
from graders.shared.limits import Limits
from graders.shared.registry import assignment

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = (ROOT / "solutions" / "c3w3_segmentation.py").read_text()
STUBS = (ROOT / "exercises" / "c3w3_segmentation.py").read_text()
C3W3 = assignment("c3w3")
HONEST = {"conv_block": 15, "FCN8": 15, "fcn8_decoder": 20, "compile_model": 10,
          "class_wise_metrics": 10, "trained_model": 0}
needs_bubblewrap = pytest.mark.skipif(bubblewrap_works() is not None, reason="bubblewrap is not usable here")
SANDBOX = ("--sandbox", "bubblewrap" if bubblewrap_works() is None else "off")  # off only where it must be


def _entry(folder: Path, learner: str, code: str) -> Entry:
    path = folder / f"{learner}.py"
    path.write_text(code)
    return Entry(learner, (path,), "py")


def _references() -> dict:
    return {e.id: load_reference("c3w3", e.id) for e in C3W3.exercises if e.uses_reference}


def _processes_by_uid() -> dict[int, list[str]]:
    out = subprocess.run(["ps", "-eo", "uid=,pid=,args="], capture_output=True, text=True).stdout
    found: dict[int, list[str]] = {}
    for line in out.splitlines():
        found.setdefault(int(line.split()[0]), []).append(line)
    return found


def _uid_processes(uid: int) -> list[str]:
    return _processes_by_uid().get(uid, [])


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    hidden = [ROOT / "solutions", ROOT / ".git", ROOT / "fixtures" / "c3w3" / "m2nist_hidden.npz"]
    choice = "bubblewrap" if bubblewrap_works() is None else "off"  # off only where it must be
    station = Station(0, tmp_path_factory.mktemp("stations"), choice, hidden, Limits(probe_seconds=30))
    yield station
    station.close()


def test_no_state_reaches_the_next_learner(station, tmp_path):
    """A learner who breaks Keras and numpy for the whole process is followed by an honest one on
    the same fork server: the honest one is graded from a clean fork."""
    saboteur = STUBS + (
        "\nimport numpy, tensorflow\n"
        "tensorflow.keras.layers.Conv2D = None\n"
        "numpy.concatenate = lambda *a, **k: 1 / 0\n"
        "import graders.worker.modelprobe as mp\nmp.seed_weights = lambda *a, **k: None\n")
    first = station.grade(_entry(tmp_path, "saboteur", saboteur), C3W3, _references(), 0)
    second = station.grade(_entry(tmp_path, "honest", SOLUTION), C3W3, _references(), 0)
    assert first.status == "graded" and first.result.points == 0
    assert {e.exercise: e.points for e in second.result.exercises} == HONEST


@needs_bubblewrap
def test_what_a_learner_leaves_running_is_swept(station, tmp_path):
    """A daemon (double fork, new session) started at import does not outlive its learner."""
    daemon = SOLUTION + (
        "\nimport os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(600)\n"
        "    os._exit(0)\n")
    record = station.grade(_entry(tmp_path, "daemon", daemon), C3W3, _references(), 0)
    assert record.status == "graded"
    if station.sandbox.learner_uids is not None:
        first, count = station.sandbox.learner_uids
        for uid in range(first, first + count):
            assert _uid_processes(uid) == []


@needs_bubblewrap
def test_sandbox_hides_the_answers_and_the_network(station, tmp_path):
    """Honest code that happens to look around: the solutions folder is empty, the hidden set
    unreadable, the network unreachable, the repository read-only."""
    probe = SOLUTION + (
        "\nimport os, socket\n"
        f"SEEN_SOLUTIONS = os.listdir({str(ROOT / 'solutions')!r})\n"
        f"HIDDEN_SIZE = os.path.getsize({str(ROOT / 'fixtures/c3w3/m2nist_hidden.npz')!r})\n"
        "try:\n"
        "    socket.create_connection(('pypi.org', 443), timeout=3)\n"
        "    NETWORK = True\n"
        "except OSError:\n"
        "    NETWORK = False\n"
        "try:\n"
        f"    open({str(ROOT / 'graders' / 'sandbox-was-here')!r}, 'w')\n"
        "    WROTE = True\n"
        "except OSError:\n"
        "    WROTE = False\n"
        "assert SEEN_SOLUTIONS == [] and HIDDEN_SIZE == 0 and not NETWORK and not WROTE, "
        "(SEEN_SOLUTIONS, HIDDEN_SIZE, NETWORK, WROTE)\n")
    record = station.grade(_entry(tmp_path, "looker", probe), C3W3, _references(), 0)
    assert record.result.load_problems == []
    assert not (ROOT / "graders" / "sandbox-was-here").exists()


def test_without_bubblewrap_only_an_explicit_off_grades(monkeypatch, tmp_path):
    """`off`, asked for, says every protection is off; `auto` and `bubblewrap` refuse, saying why
    and how to grade without the sandbox, instead of falling back to it."""
    off = make_sandbox("off", [], None, None)
    assert off.kind == "off" and off.describe().startswith("off")
    assert all(line.startswith("OFF") for line in off.report())
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on this PATH
    for choice in ("auto", "bubblewrap"):
        with pytest.raises(SandboxUnavailable, match="not installed.*pass --sandbox off"):
            make_sandbox(choice, [], None, (2_100_000_000, 16))


def _flaky_bwrap(folder: Path, failures: int) -> Path:
    """A `bwrap` on PATH that fails its first `failures` calls (as a loaded machine made the real
    one fail), then runs the real one."""
    real = subprocess.run(["sh", "-c", "command -v bwrap"], capture_output=True, text=True).stdout.strip()
    script = folder / "bwrap"
    script.write_text(f"#!/bin/sh\nn=$(cat {folder}/calls 2>/dev/null || echo 0)\necho $((n + 1)) > {folder}/calls\n"
                      f"if [ $n -lt {failures} ]; then echo 'bwrap: too busy' >&2; exit 1; fi\n"
                      f'exec {real} "$@"\n')
    script.chmod(0o755)
    return script


@needs_bubblewrap
def test_auto_tries_bubblewrap_again_then_refuses_with_every_reason(monkeypatch, tmp_path):
    from graders.control import sandbox

    monkeypatch.setattr(sandbox, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    _flaky_bwrap(tmp_path, failures=2)
    assert make_sandbox("auto", [], None, None).kind == "bubblewrap"
    assert (tmp_path / "calls").read_text().strip() == "3"
    (tmp_path / "calls").write_text("0")
    _flaky_bwrap(tmp_path, failures=99)
    with pytest.raises(SandboxUnavailable, match="4 attempts failed.*too busy.*pass --sandbox off"):
        make_sandbox("auto", [], None, None)


def test_a_batch_without_its_sandbox_grades_nothing_and_says_why(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "ada.py").write_text(SOLUTION)
    environment = dict(os.environ, PATH=str(tmp_path / "no-bwrap-here"))
    done = subprocess.run([sys.executable, "-m", "graders.frontends.cli", "batch", str(submissions),
                           "--assignment", "c3w3", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=ROOT, env=environment, timeout=300)
    assert done.returncode != 0
    assert "nothing was graded" in done.stderr and "pass --sandbox off" in done.stderr, done.stderr
    assert not (tmp_path / "out" / "learners").exists() and not (tmp_path / "out" / "gradebook.csv").exists()


def test_progress_line():
    assert clock(3725) == "1:02:05"
    line = progress_line(done=10, total=40, refused=1, errors=2, elapsed=20.0, graded_now=10, width=8)
    assert line.startswith("[##......] 10/40 done (1 refused, 2 errors)")
    assert "about 0:01:00 left" in line
    assert "left" not in progress_line(40, 40, 0, 0, 80.0, 40)


# --- Dask: a scheduler and a worker on loopback, as the README starts them -----------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _batch(submissions: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders.frontends.cli", "batch", str(submissions),
                           "--assignment", "c3w3", "--out", str(out), "--seed", "11", *SANDBOX, *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)


def _gradebook(out: Path) -> list[dict]:
    with open(out / "gradebook.csv", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    logs = tmp_path_factory.mktemp("dask")
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    scheduler = subprocess.Popen(dask + ["--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                 env=env, stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://127.0.0.1:{port}",
                               "--nthreads", "2", "--nworkers", "1", "--no-dashboard"],
                              env=env, stdout=open(logs / "worker.log", "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "Registered to" not in (logs / "worker.log").read_text():
        time.sleep(0.5)
    yield f"tcp://127.0.0.1:{port}"
    for process in (worker, scheduler):
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_dask_cluster_grades_like_a_local_run(dask_cluster, tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "ada.py").write_text(SOLUTION)
    (submissions / "ben.py").write_text(STUBS)
    (submissions / "cy.pdf").write_bytes(b"%PDF-1.4")
    (submissions / "dee").mkdir()
    (submissions / "dee" / "c3w3_segmentation.py").write_text(SOLUTION.replace(
        "return tf.keras.layers.BatchNormalization()(x)", "return x"))
    local = _batch(submissions, tmp_path / "local", "--jobs", "2")
    assert local.returncode == 0, local.stderr[-2000:]
    ran = json.loads((tmp_path / "local" / "run.json").read_text())["sandbox"]
    assert ran.startswith(f"{SANDBOX[1]} (") and ran in local.stdout.splitlines()[-1], (ran, local.stdout)
    spread = _batch(submissions, tmp_path / "dask", "--executor", "dask", "--scheduler", dask_cluster)
    assert spread.returncode == 0, spread.stderr[-2000:]
    assert _gradebook(tmp_path / "dask") == _gradebook(tmp_path / "local")
    rows = {row["learner"]: row for row in _gradebook(tmp_path / "local")}
    assert rows["ada"]["total"] == "70" and rows["ben"]["total"] == "0"
    assert rows["cy"]["status"] == "refused" and "not a submission" in rows["cy"]["reason"]
    assert rows["dee"]["conv_block"] == "0" and rows["dee"]["FCN8"] == "15"
    for out in ("local", "dask"):
        for name in ("ada", "ben", "cy", "dee"):
            folder = tmp_path / out / "learners" / name
            assert {p.name for p in folder.iterdir()} == {"record.json", "report.html", "results.json"}
        assert json.loads((tmp_path / out / "run.json").read_text())["seed"] == "11"
        official = json.loads((tmp_path / out / "learners" / "ada" / "results.json").read_text())["extra_data"]
        assert official["official"] is True and official["grading"].startswith("graded by cvgrade batch")
        assert "<svg" in (tmp_path / out / "summary.html").read_text()


def test_each_run_draws_its_own_secret_seed(tmp_path):
    from graders.frontends.batch.runner import BatchOptions, BatchRun

    options = BatchOptions(tmp_path, "c3w3", tmp_path / "out")
    seeds = {BatchRun(options).seed for _ in range(5)}
    assert len(seeds) == 5


def test_a_worker_that_saw_a_stand_in_never_grades_the_learners_own_version(tmp_path):
    """The reference conv_block reaches the worker only with the FCN8 probe. Learner code that
    hunts for it (here through gc) and grades conv_block after FCN8 finds nothing: the grader
    uses a fresh worker for conv_block."""
    from graders.control.grading import Grader

    thief = SOLUTION.replace("def conv_block(", "def _honest_conv_block(", 1) + (
        "\nimport gc, types\n"
        "STOLEN = []\n"
        "def _steal():\n"
        "    for thing in gc.get_objects():\n"
        "        if isinstance(thing, types.ModuleType) and getattr(thing, '__name__', '') == "
        "'cvgrade_reference' and hasattr(thing, 'conv_block'):\n"
        "            STOLEN.append(thing)\n"
        "def conv_block(*args, **kwargs):\n"
        "    if STOLEN:\n"
        "        return STOLEN[0].conv_block(*args, **kwargs)\n"
        "    raise RuntimeError('no reference in this process')\n"
        "_fcn8 = FCN8\n"
        "def FCN8(*args, **kwargs):\n"
        "    _steal()\n"
        "    return _fcn8(*args, **kwargs)\n")
    (tmp_path / "c3w3_segmentation.py").write_text(thief)
    grader = Grader(C3W3, tmp_path, Limits(probe_seconds=60))
    try:
        fcn8 = grader.grade("FCN8")
        conv_block = grader.grade("conv_block")
    finally:
        grader.close()
    assert fcn8.points == 15
    assert conv_block.points == 0 and "no reference in this process" in conv_block.feedback


def test_pending_references_wait_for_the_observation_and_pass_on_its_failure():
    import threading

    from graders.frontends.batch.runner import PendingReferences, ReferencesFailed

    release = threading.Event()

    def slow():
        release.wait(10)
        return {"conv_block": {"status": "ok"}}

    pending = PendingReferences(slow)
    read: list = []
    reader = threading.Thread(target=lambda: read.append(pending["conv_block"]))
    reader.start()
    reader.join(0.2)
    assert reader.is_alive() and not read  # judging waits; nothing else did
    release.set()
    reader.join(10)
    assert read == [{"status": "ok"}] and set(pending) == {"conv_block"}

    def broken():
        raise OSError("solutions/ is unreadable")

    failed = PendingReferences(broken)
    with pytest.raises(ReferencesFailed, match="solutions/ is unreadable"):
        failed["conv_block"]


def test_a_learner_whose_files_cannot_be_written_costs_only_that_learner(tmp_path, monkeypatch):
    from graders.frontends.batch import runner
    from graders.frontends.batch.intake import Entry
    from graders.judge.results import AssignmentResult
    from graders.render import LearnerRecord

    batch = runner.BatchRun(runner.BatchOptions(tmp_path, "c3w3", tmp_path / "out"))
    real_write = runner.render.write_learner_report

    def failing_for_bob(path, record, info):
        if record.learner == "bob":
            raise OSError(28, "No space left on device")
        return real_write(path, record, info)

    monkeypatch.setattr(runner.render, "write_learner_report", failing_for_bob)
    for learner in ("alice", "bob", "carol"):
        result = AssignmentResult("c3w3", "C3W3", learner)
        batch.finished(Entry(learner, (tmp_path / f"{learner}.py",), "py"), "digest",
                       LearnerRecord(learner, result, "graded"), {"assignment": "c3w3"})
    assert batch.records["bob"].status == "error" and "No space left" in batch.records["bob"].reason
    assert {batch.records[name].status for name in ("alice", "carol")} == {"graded"}
    assert not (tmp_path / "out" / "learners" / "bob" / "record.json").exists()  # graded again next run
    assert (tmp_path / "out" / "learners" / "carol" / "record.json").exists()
    batch.write_class_files()
    assert "bob" in (tmp_path / "out" / "gradebook.csv").read_text()
