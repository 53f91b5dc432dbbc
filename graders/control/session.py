"""The trusted side of a submission worker: start it, feed it probes, survive it.

A `WorkerSession` grades one submission of one assignment. It starts the worker
as early as possible (TensorFlow's import is the slowest part of grading, so it
overlaps with whatever the caller does next), enforces a time limit per probe
and a memory limit, and when the worker hangs, dies or is killed it answers
that probe with a clear failure and starts a fresh worker for the next one.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from graders.shared import procfs, wire
from graders.shared.limits import Limits, MiB, apply_kernel_limits, kernel_limits
from graders.shared.paths import ROOT
from graders.submissions.loading import LoadedSubmission


class WorkerFailure(Exception):
    """The worker did not answer: the message says why, in words for the learner."""


@dataclass
class LoadReport:
    problems: list[str] = field(default_factory=list)  # statements that raised, hung or were skipped
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the submission could not be loaded at all


def over_memory(limits: Limits, resident: int, held: dict[str, int]) -> str | None:
    """Why a worker is over its memory limit, counting what it holds in files in memory and
    SysV objects besides its resident memory; None while it is within it."""
    charged = resident + sum(held.values())
    if charged <= limits.memory_bytes:
        return None
    parts = [f"{resident / MiB:.0f} MiB resident"] + [
        f"{size / MiB:.0f} MiB in {where}" for where, size in sorted(held.items(), key=lambda kv: -kv[1])
        if size >= MiB]
    return (f"used more than the {limits.memory_bytes // MiB} MiB memory limit ({', '.join(parts)}) "
            "and was stopped")


def over_cpu(limits: Limits, used: float, wall: float, seconds: float) -> str | None:
    """Why a worker used more CPU than one probe may: `seconds` of time limit times
    `limits.cpu_cores` cores. A worker with many busy threads reaches it that many times sooner."""
    budget = seconds * limits.cpu_cores
    if used <= budget:
        return None
    return (f"used {used:.0f} s of CPU time in {wall:.0f} s (more than {limits.cpu_cores:g} busy "
            f"core{'s' if limits.cpu_cores != 1 else ''} for the {seconds:g} s limit) and was stopped")


def log_tail(log, lines: int) -> str:
    """The last lines a process printed to its log file, on one line for a message."""
    log.seek(0)
    text = log.read()[-4000:].decode(errors="replace").strip().splitlines()
    return " | ".join(text[-lines:])


def worker_environment() -> dict[str, str]:
    """The environment a worker process (or a fork server, for its workers) starts with."""
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONDONTWRITEBYTECODE="1",
                PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="")


class LocalProcess:
    """A worker started as a fresh interpreter: it imports TensorFlow itself (seconds)."""

    memory_check_seconds = 0.05

    def __init__(self, limits: Limits, request_read: int, reply_write: int, log_fd: int):
        values = kernel_limits(limits)
        env = worker_environment()
        self._popen = subprocess.Popen(
            [sys.executable, "-m", "graders.worker.worker", str(request_read), str(reply_write)],
            pass_fds=(request_read, reply_write), stdin=subprocess.DEVNULL, stdout=log_fd,
            stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True,
            preexec_fn=lambda: apply_kernel_limits(values, with_processes=False))
        self.pid = self._popen.pid
        self.held: dict[str, int] = {}  # a fresh interpreter shares the machine's /tmp: not charged
        self.cpu = 0.0

    def poll(self) -> int | None:
        return self._popen.poll()

    def wait(self) -> int:
        return self._popen.wait()

    def memory(self) -> tuple[int, int]:
        self.cpu = procfs.cpu_seconds_of([self.pid])  # all its threads and reaped children (a /proc scan
        return procfs.memory_of(self.pid)  # for the rest, 20 times a second, would cost more than it finds)

    def kill(self) -> None:
        if self._popen.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._popen.wait()


class _Worker:
    """One worker process and its two pipes."""

    def __init__(self, limits: Limits, launch):
        self.limits = limits
        request_read, self.request_fd = os.pipe()
        self.reply_fd, reply_write = os.pipe()
        self.log = tempfile.TemporaryFile()
        try:
            self.process = launch(limits, request_read, reply_write, self.log.fileno())
        finally:
            os.close(request_read)
            os.close(reply_write)
        self.ready = False
        self.last_line: int | None = None
        self.peak_memory = 0
        self._memory_checked = 0.0

    def send(self, message) -> None:
        try:
            wire.send(self.request_fd, message)
        except (BrokenPipeError, OSError):
            raise WorkerFailure(self._death_reason()) from None

    def receive(self, seconds: float, on_event=None):
        """The next reply that is not an event, waiting at most `seconds`."""
        started = time.monotonic()
        deadline = started + seconds
        cpu_at_start = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise WorkerFailure(f"took longer than the {seconds:g} s limit and was stopped")
            readable, _, _ = select.select([self.reply_fd], [], [], min(remaining, 0.05))
            if readable:
                try:
                    message = wire.receive(self.reply_fd, deadline)
                except TimeoutError:
                    self.kill()
                    raise WorkerFailure(f"took longer than the {seconds:g} s limit and was stopped") from None
                except EOFError:
                    raise WorkerFailure(self._death_reason()) from None
                except wire.WireError as error:
                    self.kill()
                    raise WorkerFailure(f"sent something that is not plain data ({error})") from None
                except Exception as error:  # crafted bytes: what zipfile, numpy or json raise on them
                    self.kill()
                    raise WorkerFailure(f"sent something that is not plain data ({type(error).__name__}: "
                                        f"{str(error)[:200]})") from None
                if isinstance(message, dict) and "event" in message:
                    line = message.get("line")
                    if message["event"] == "line" and type(line) is int:  # learner code can forge events
                        self.last_line = line
                    if on_event:
                        on_event(message)
                    continue
                if not isinstance(message, dict):
                    self.kill()
                    raise WorkerFailure("answered with something that is not a reply")
                return message
            now = time.monotonic()
            if now - self._memory_checked >= self.process.memory_check_seconds:
                self._memory_checked = now
                resident, peak = self.process.memory()
                held = getattr(self.process, "held", {})
                self.peak_memory = max(self.peak_memory, peak, resident + sum(held.values()))
                reason = over_memory(self.limits, resident, held)
                cpu = getattr(self.process, "cpu", 0.0)
                if cpu_at_start is None:
                    cpu_at_start = cpu
                elif reason is None:
                    reason = over_cpu(self.limits, cpu - cpu_at_start, now - started, seconds)
                if reason:
                    self.kill()
                    raise WorkerFailure(reason)
                if self.process.poll() is not None:
                    raise WorkerFailure(self._death_reason())

    def _death_reason(self) -> str:
        code = self.process.wait()
        if code < 0:
            name = signal.Signals(-code).name
            if -code == signal.SIGKILL:
                return "was killed (SIGKILL), most likely for using too much memory"
            if -code == signal.SIGXCPU:
                return f"used more than its {self.limits.cpu_seconds} s of CPU time and was stopped"
            if -code == signal.SIGXFSZ:
                return f"wrote a file larger than the {self.limits.file_bytes // MiB} MiB limit"
            return f"crashed with signal {name}"
        if code == 0:
            return "ended the grading process (a call of os._exit or exit() from inside the code)"
        tail = self.log_tail()
        return f"ended the grading process with exit code {code}" + (f": {tail}" if tail else "")

    def log_tail(self, lines: int = 3) -> str:
        return log_tail(self.log, lines)

    def wait_ready(self) -> None:
        if not self.ready:
            message = self.receive(self.limits.start_seconds)
            self.ready = True
            if not message.get("ready"):
                raise WorkerFailure(f"did not start properly: {message!r:.200}")

    def kill(self) -> None:
        self.process.kill()

    def close(self) -> None:
        self.kill()
        for fd in (self.request_fd, self.reply_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()


def _sentences(value) -> list[str]:
    """Lines of text from a worker's reply. The learner's code runs in the worker and can rewrite
    its replies; whatever arrives is shown as text, never trusted to be a list of strings."""
    return [item if isinstance(item, str) else repr(item) for item in value] if isinstance(value, list) else []


class WorkerSession:
    """Probes for one submission of one assignment, with a worker that is replaced when it fails."""

    MAX_RESTARTS_AT_LOAD = 3

    def __init__(self, assignment_id: str, submission: LoadedSubmission, limits: Limits = Limits(),
                 launch=None, path_map=None):
        self.assignment_id = assignment_id
        self.submission = submission
        self.limits = limits
        self.stand_ins_sent: set[str] = set()  # solution functions this worker has seen
        if launch is None:  # the grading server the environment names, else a fresh interpreter
            from graders.control.warmserver import launch_for_session

            launch = launch_for_session()
        self.launch = launch  # LocalProcess, or a fork server's spawn
        self.path_map = path_map or (lambda path: path)  # host path -> the worker's view of it
        self.peak_memory = 0
        self.skip_lines: set[int] = set()
        self.load_report = LoadReport()
        self._worker: _Worker | None = None
        self._loaded = False

    def start(self) -> None:
        """Start the worker now; it imports TensorFlow while the caller goes on."""
        if self._worker is None:
            self._worker = _Worker(self.limits, self.launch)

    def _load(self) -> None:
        for _ in range(self.MAX_RESTARTS_AT_LOAD + 1):
            self.start()
            worker = self._worker
            worker.wait_ready()
            worker.send({
                "op": "load", "assignment": self.assignment_id, "module": self.submission.module,
                "filename": self.submission.source.filename, "code": self.submission.source.code,
                "skip_lines": sorted(self.skip_lines),
                "line_labels": {str(k): v for k, v in self.submission.source.line_labels.items()},
                "sys_path": [self.path_map(p) for p in self.submission.sys_path],
                "model_file": self.submission.model_file and self.path_map(self.submission.model_file),
            })
            try:
                reply = worker.receive(self.limits.load_seconds)
            except WorkerFailure as failure:
                line = worker.last_line
                self._discard_worker()
                if line is None or line in self.skip_lines:
                    raise
                self.skip_lines.add(line)
                self.load_report.problems.append(
                    f"{self.submission.source.where(line)} {failure}; "
                    "it was skipped and the rest of the file loaded")
                continue
            if not reply.get("ok"):
                self.load_report.error = str(reply.get("error", "the submission could not be loaded"))
                raise WorkerFailure(self.load_report.error)
            self.load_report.problems.extend(_sentences(reply.get("problems")))
            self.load_report.notes.extend(_sentences(reply.get("notes")))
            self._loaded = True
            return
        raise WorkerFailure("the submission could not be loaded after several tries")

    def probe(self, exercise_id: str, params: dict | None = None, reference_code: bytes = b"",
              functions: tuple[str, ...] = (), stand_ins: tuple[str, ...] = ()) -> dict:
        """The observation of one exercise; raises WorkerFailure when the worker fails.

        `reference_code` (compiled, `references.reference_code`) defines the solution functions
        `stand_ins` for this probe only. A
        worker that has seen a solution function never grades the learner's own version of
        it: a fresh worker does."""
        if self.stand_ins_sent & set(functions):
            self._discard_worker()
        if not self._loaded:
            try:
                self._load()
            except WorkerFailure as failure:
                self._discard_worker()
                self.load_report.error = self.load_report.error or f"loading the submission {failure}"
                raise WorkerFailure(self.load_report.error) from None
        worker = self._worker
        worker.send({"op": "probe", "exercise": exercise_id, "params": params or {},
                     "reference_code": np.frombuffer(reference_code, dtype=np.uint8) if reference_code else ""})
        if reference_code:  # without solutions nothing is sent, and the learner's own functions stand in
            self.stand_ins_sent.update(stand_ins)
        try:
            reply = worker.receive(self.limits.probe_seconds)
        except WorkerFailure:
            self._discard_worker()
            raise
        observation = reply.get("observation")
        if not isinstance(observation, dict):
            raise WorkerFailure("answered with something that is not an observation")
        if "notes" in observation:
            observation["notes"] = _sentences(observation["notes"])
        return observation

    def _discard_worker(self) -> None:
        self.stand_ins_sent.clear()
        if self._worker is not None:
            self.peak_memory = max(self.peak_memory, self._worker.peak_memory)
            self._worker.close()
        self._worker = None
        self._loaded = False

    def close(self) -> None:
        if self._worker is not None:
            try:
                self._worker.send({"op": "exit"})
            except WorkerFailure:
                pass
        self._discard_worker()
