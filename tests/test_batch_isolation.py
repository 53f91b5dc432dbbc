"""What one learner's worker holds or uses beyond its own memory, and what it leaves for the next
learner on the same station: SysV IPC objects, files in /tmp and /dev/shm, CPU time, its user id.

Each test grades real submissions on one sandboxed station, one after the other, so the second
learner runs on the fork server the first one ran on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graders.control.sandbox import bubblewrap_works
from graders.frontends.batch.intake import Entry
from graders.frontends.batch.station import Station
from graders.judge.references import load_reference
from graders.shared.limits import Limits, MiB
from graders.shared.registry import assignment

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = (ROOT / "solutions" / "c3w3_segmentation.py").read_text()
C3W3 = assignment("c3w3")
HONEST = {"conv_block": 15, "FCN8": 15, "fcn8_decoder": 20, "compile_model": 10,
          "class_wise_metrics": 10, "trained_model": 0}
MEMORY = 1200 * MiB
HIDDEN = [ROOT / "solutions", ROOT / ".git", ROOT / "fixtures" / "c3w3" / "m2nist_hidden.npz"]

pytestmark = pytest.mark.skipif(bubblewrap_works() is not None, reason="needs the bubblewrap sandbox")

SYSV = '''
import ctypes as _ctypes
_libc = _ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = _ctypes.c_void_p
KEY = 0x5EED0007


def hold_sysv_memory(count, mib, key=KEY):
    """SysV segments, written to (so resident) and detached: in no process's resident memory."""
    made = []
    for number in range(count):
        ident = _libc.shmget(key + number, mib << 20, 0o1666)
        if ident < 0:
            break
        address = _libc.shmat(ident, None, 0)
        _ctypes.memset(address, 1, mib << 20)
        _libc.shmdt(_ctypes.c_void_p(address))
        made.append(ident)
    return made
'''


def _references() -> dict:
    return {e.id: load_reference("c3w3", e.id) for e in C3W3.exercises if e.uses_reference}


def _entry(folder: Path, learner: str, code: str) -> Entry:
    path = folder / f"{learner}.py"
    path.write_text(code)
    return Entry(learner, (path,), "py")


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    station = Station(0, tmp_path_factory.mktemp("stations"), "bubblewrap", HIDDEN,
                      Limits(probe_seconds=20, memory_bytes=MEMORY))
    yield station
    station.close()


def _grade(station, folder, learner, code):
    record = station.grade(_entry(folder, learner, code), C3W3, _references(), 0)
    assert record.status == "graded", record.reason
    return record


def test_sysv_objects_do_not_reach_the_next_learner(station, tmp_path):
    leaver = SOLUTION + SYSV + (
        "\nLEFT = hold_sysv_memory(2, 50)\n"
        "assert len(LEFT) == 2, LEFT\n"
        "assert _libc.msgget(KEY, 0o1666) >= 0 and _libc.semget(KEY, 4, 0o1666) >= 0\n")
    finder = SOLUTION + SYSV + (
        "\nSEEN = {table: open(f'/proc/sysvipc/{table}').read().splitlines()[1:]\n"
        "        for table in ('shm', 'sem', 'msg')}\n"
        "assert SEEN == {'shm': [], 'sem': [], 'msg': []}, f'another learner left {SEEN}'\n"
        "assert _libc.shmget(KEY, 0, 0) < 0 and _libc.msgget(KEY, 0) < 0 and _libc.semget(KEY, 0, 0) < 0\n")
    first = _grade(station, tmp_path, "leaver", leaver)
    assert first.result.load_problems == []
    second = _grade(station, tmp_path, "finder", finder)
    assert second.result.load_problems == []
    assert {e.exercise: e.points for e in second.result.exercises} == HONEST


def test_memory_held_in_sysv_and_in_tmpfs_is_charged_to_the_worker(station, tmp_path):
    """Detached SysV segments, and files in /dev/shm and /tmp, are memory no process holds as
    resident: each exercise that piles them past the limit is stopped with where they were."""
    hog = SOLUTION + SYSV + '''

import os, time


def _fill(folder, mib):
    for number in range(mib // 64):
        try:
            with open(os.path.join(folder, f"pile-{number}"), "wb") as pile:
                os.posix_fallocate(pile.fileno(), 0, 64 << 20)  # memory of the tmpfs, at once
        except OSError:
            break


def conv_block(input, filters, kernel_size, pooling_size, pool_strides):
    _fill("/dev/shm", 1600)
    time.sleep(60)


def FCN8(input_height=64, input_width=84):
    _fill("/tmp", 1600)
    time.sleep(60)


def fcn8_decoder(convs, n_classes):
    hold_sysv_memory(3, 300, KEY + 100)
    time.sleep(60)
'''
    record = _grade(station, tmp_path, "hog", hog)
    feedback = {e.exercise: e.feedback for e in record.result.exercises}
    points = {e.exercise: e.points for e in record.result.exercises}
    assert points == {**HONEST, "conv_block": 0, "FCN8": 0, "fcn8_decoder": 0}, feedback
    for exercise, where in (("conv_block", "/dev/shm"), ("FCN8", "/tmp"),
                            ("fcn8_decoder", "SysV shared memory")):
        assert re.search(rf"memory limit \(\d+ MiB resident, \d+ MiB in {re.escape(where)}", feedback[exercise]), \
            feedback[exercise]
    after = _grade(station, tmp_path, "after_the_hog", SOLUTION)
    assert {e.exercise: e.points for e in after.result.exercises} == HONEST


def test_busy_threads_use_up_the_cpu_time_of_their_exercise_sooner(tmp_path):
    """An exercise's CPU time counts every thread of the worker. The station grants a twentieth of
    a core per exercise, so the test holds on a machine busy with other work too (a real batch
    grants one core: `Limits.cpu_cores`)."""
    busy = SOLUTION + '''

import threading


def _spin():
    while True:
        pass


def compile_model(model):
    for _ in range(16):
        threading.Thread(target=_spin, daemon=True).start()
    _spin()
'''
    station = Station(1, tmp_path / "stations", "bubblewrap", HIDDEN,
                      Limits(probe_seconds=20, memory_bytes=MEMORY, cpu_cores=0.05))
    try:
        record = _grade(station, tmp_path, "busy", busy)
    finally:
        station.close()
    feedback = {e.exercise: e.feedback for e in record.result.exercises}["compile_model"]
    assert re.search(r"used \d+ s of CPU time in \d+ s \(more than 0.05 busy cores for the 20 s limit\)",
                     feedback), feedback


def test_each_worker_runs_as_a_user_of_its_own(station, tmp_path):
    """Two learners in a row (and the fresh worker after a failure) never share a user id."""
    if station.sandbox.learner_uids is None:
        pytest.skip("workers keep the grader's user when it is not root")
    tell = SOLUTION + "\nimport os\nraise RuntimeError(f'uid={os.getuid()}')\n"
    seen = []
    for learner in ("first", "second"):
        record = _grade(station, tmp_path, learner, tell)
        seen += [int(uid) for uid in re.findall(r"uid=(\d+)", " ".join(record.result.load_problems))]
    first, count = station.sandbox.learner_uids
    assert len(seen) >= 2 and len(set(seen)) == len(seen), seen
    assert all(first <= uid < first + count for uid in seen), seen


def test_the_server_hands_out_a_uid_no_live_process_has(monkeypatch):
    from graders.shared import procfs
    from graders.worker import zygote

    server = zygote.Zygote.__new__(zygote.Zygote)
    server.uid_block, server.next_uid, server.uids = None, 0, {}
    monkeypatch.setattr(procfs, "users_of_processes", lambda: {0, 5001})
    assert [server.fresh_uid([5000, 3]) for _ in range(2)] == [5000, 5002]
    server.uids = {11: 5000, 12: 5002}
    with pytest.raises(RuntimeError, match="every user id of 5000..5002 has a live process"):
        server.fresh_uid([5000, 3])
    assert server.fresh_uid(None) is None and server.fresh_uid([0, 3]) is None
