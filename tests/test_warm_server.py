"""The warm grading server: each submission in a fresh fork, nothing carried from one to the next."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest
from grading_helpers import ROOT, grade, scores, solution_source, write_submission

from graders.control import warmserver
from graders.shared import fingerprint


def test_the_suite_grades_on_the_warm_server():
    if os.environ.get("CVGRADE_TEST_SERVER") == "off":
        pytest.skip("the suite runs without the warm server")
    assert isinstance(warmserver.launch_for_session(), warmserver.WarmServer)
    assert warmserver.launch_for_session() is warmserver.launch_for_session()  # one connection


HOSTILE = '''
import keras, numpy, tensorflow as tf
import builtins
builtins.CVGRADE_LEFTOVER = "from the previous learner"
numpy.cvgrade_leftover = True
keras.layers.Conv2D.__call__ = lambda self, *a, **k: tf.zeros((1, 1, 1, 1))
_real_sum = numpy.sum
numpy.sum = lambda *a, **k: _real_sum(*a, **k) * 0 + 7
keras.utils.set_random_seed(1234)
import os
os.environ["CVGRADE_LEFTOVER"] = "1"
'''

CODE_EXERCISES = ["conv_block", "FCN8", "fcn8_decoder", "compile_model", "class_wise_metrics"]

CHECKS_THE_WORLD = '''
import builtins, os, numpy
assert not hasattr(builtins, "CVGRADE_LEFTOVER"), "a global of the previous learner"
assert not hasattr(numpy, "cvgrade_leftover"), "a module attribute of the previous learner"
assert "CVGRADE_LEFTOVER" not in os.environ, "an environment variable of the previous learner"
'''


def test_a_submission_that_patches_keras_changes_nothing_for_the_next(tmp_path):
    honest = write_submission(tmp_path / "honest", CHECKS_THE_WORLD + solution_source())
    before = grade(honest, exercises=CODE_EXERCISES)
    assert not before.load_problems, before.load_problems
    assert before.points == 70, before.exercises
    hostile = write_submission(tmp_path / "hostile", HOSTILE + solution_source())
    patched = grade(hostile, exercises=CODE_EXERCISES)
    assert patched.points < 70  # the patches did take effect in the hostile learner's own worker
    after = grade(honest, exercises=CODE_EXERCISES)
    assert not after.load_problems, after.load_problems
    assert scores(after) == scores(before)


def test_the_same_submission_edited_is_seen_at_once(tmp_path):
    path = write_submission(tmp_path, solution_source())
    assert scores(grade(path, exercises=["class_wise_metrics"])) == {"class_wise_metrics": 10}
    path.write_text(solution_source().replace("    smoothing = 1e-5\n", "    smoothing = 1e-5\n    raise ValueError('edited')\n"))
    assert scores(grade(path, exercises=["class_wise_metrics"])) == {"class_wise_metrics": 0}


def _private_server(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    return folder / "s.sock"


def test_the_socket_is_the_owners_only_and_the_server_ends_when_idle(tmp_path):
    path = _private_server(tmp_path)
    process = warmserver.start_server(path, idle_seconds=2)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        server = warmserver.connect(path, start=False)
        assert server.hello["ready"] and server.hello["fingerprint"] == fingerprint.code_fingerprint()
        server.close()
        process.wait(120)  # TensorFlow imported, no client for 2 s: it goes by itself
        assert not path.exists()
    finally:
        process.kill()


def test_a_server_whose_code_changed_steps_aside(tmp_path, monkeypatch):
    path = _private_server(tmp_path)
    process = warmserver.start_server(path)
    try:
        first = warmserver.connect(path, start=False)
        first.close()
        # The server notices an edit of the engine by the files' sizes and times.
        engine_file = ROOT / "graders" / "shared" / "paths.py"
        stamp = engine_file.stat()
        os.utime(engine_file, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
        try:
            second = warmserver.connect(path)
            assert second.hello["pid"] != first.hello["pid"] and second.started_here
            second.close()
            warmserver.stop_server(path)
        finally:
            os.utime(engine_file, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        process.wait(30)
    finally:
        process.kill()


def test_learner_runs_start_and_then_reuse_their_own_server(tmp_path):
    """What a learner sees: the first run starts a server, the second says it used it."""
    env = {k: v for k, v in os.environ.items() if k != warmserver.ENVIRONMENT_VARIABLE}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "graders/test_c3w3.py",
               "--submission", "solutions", "-k", "conv_block or class_wise"]
    try:
        first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert first.returncode == 0, first.stdout[-3000:]
        assert "graded with the warm grading server" in first.stdout, first.stdout[-2000:]
        assert "started now" in first.stdout, first.stdout[-2000:]
        started = time.monotonic()
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert second.returncode == 0, second.stdout[-3000:]
        assert "graded with the warm grading server" in second.stdout and "started now" not in second.stdout
        assert time.monotonic() - started < 60
        without = subprocess.run(command + ["--no-server"], cwd=ROOT, env=env, capture_output=True,
                                 text=True, timeout=600)
        assert without.returncode == 0, without.stdout[-2000:]
        assert "graded without the warm grading server (--no-server)" in without.stdout
    finally:
        for socket_file in (tmp_path / "cvgrade").glob("*.sock"):
            warmserver.stop_server(socket_file)


def test_watch_grades_again_on_every_save(tmp_path):
    path = write_submission(tmp_path / "learner", solution_source())
    # Ctrl-C as a terminal gives it: a suite started as a background job (`cmd &` in a script)
    # hands its children SIGINT ignored, and Python then never raises KeyboardInterrupt.
    watcher = subprocess.Popen([sys.executable, "-m", "graders.frontends.cli", "watch", "C3W3", str(path.parent)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(watcher.stdout.readline, "")), daemon=True)
    reader.start()

    def wait_for_tables(count: int) -> str:
        deadline = time.monotonic() + 300
        while sum(line.startswith("graded at") for line in lines) < count:
            assert watcher.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        return "".join(lines)

    try:
        first = wait_for_tables(1)
        assert "grading with the warm grading server" in first
        assert re.search(r"Ex5 class_wise_metrics +10 +10 ", first), first
        path.write_text(solution_source().replace(
            "    smoothing = 1e-5\n", "    smoothing = 1e-5\n    raise ValueError('edited')\n"))
        second = wait_for_tables(2)[len(first):]
        assert re.search(r"Ex5 class_wise_metrics +0 +10 ", second), second
        assert re.search(r"Ex1 conv_block +15 +15 ", second), second
    finally:
        watcher.send_signal(signal.SIGINT)
        try:
            watcher.wait(30)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()
            raise AssertionError("Ctrl-C did not stop the watcher within 30 s:\n" + "".join(lines)) from None
    assert watcher.returncode == 0, "".join(lines)
    assert sum(line.startswith("graded at") for line in lines) == 2, "".join(lines)  # one grading per save


def test_a_save_in_progress_is_graded_once_it_has_settled(tmp_path, monkeypatch):
    """An editor's save truncates the file, then writes it: the watcher grades what the file
    settles as, once, never the half-written state in between."""
    import io

    from graders.frontends import watch as watching

    states = iter(["saved", "saved", "truncated", "written", "written", "written", "written"])
    now = {}

    def snapshot(path):
        now["state"] = next(states)
        return {"file": now["state"]}

    graded = []
    monkeypatch.setattr(watching, "snapshot", snapshot)
    monkeypatch.setattr(watching.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(watching, "grade_once", lambda assignment, path, launch, out: graded.append(now["state"]))
    watching.watch(None, tmp_path, lambda: None, out=io.StringIO(), rounds=2)
    assert graded == ["saved", "written"]


def test_a_bad_message_or_a_stranger_pid_leaves_the_server_serving(tmp_path):
    import json
    import socket as sockets

    from graders.shared.limits import Limits

    path = _private_server(tmp_path)
    process = warmserver.start_server(path)
    try:
        first, second = warmserver.connect(path, start=False), warmserver.connect(path, start=False)
        for junk in (b"not json", b"[1, 2]", json.dumps({"op": "status"}).encode(),
                     json.dumps({"op": "spawn"}).encode()):
            first.control.send(junk)
            assert "error" in json.loads(first.control.recv(1 << 16))
        read, write = os.pipe()
        sockets.send_fds(first.control, [json.dumps({"op": "status", "pid": 1}).encode()], [read])
        assert "error" in json.loads(first.control.recv(1 << 16))
        os.close(read), os.close(write)
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        log = tmp_path / "worker.log"
        with open(log, "wb") as log_file:
            worker = first(Limits(), request_read, reply_write, log_file.fileno())
        for fd in (request_read, reply_write):
            os.close(fd)
        assert worker.poll() is None
        # Another client may neither ask after nor kill that worker.
        assert "error" in second.call({"op": "kill", "pid": worker.pid})
        assert worker.poll() is None
        first.close()  # the client goes: its worker goes with it
        deadline = time.monotonic() + 30
        while os.path.exists(f"/proc/{worker.pid}") and _state(worker.pid) != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert second.call({"op": "status", "pid": 12345678}).get("error")  # still serving
        second.close()
        for fd in (request_write, reply_read):
            os.close(fd)
    finally:
        warmserver.stop_server(path)
        process.wait(30)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
