"""The trusted side of a fork server: start it (sandboxed), fork workers from it, replace it.

A `ForkServer` is a `launch` for `WorkerSession`: instead of a fresh
interpreter that spends seconds importing TensorFlow, each worker is a fork of a
server that imported it once (`zygote.py`). One server serves one grading job at
a time; a batch with two jobs holds two servers.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

from graders.control.sandbox import Sandbox
from graders.control.session import WorkerFailure, log_tail
from graders.shared import channel
from graders.shared.limits import Limits, kernel_limits
from graders.shared.paths import ROOT


class ForkServerFailure(WorkerFailure):
    """The fork server could not start or stopped answering; the message says why."""


class ForkedProcess:
    """A worker forked by the server: the same questions `LocalProcess` answers, asked of it."""

    memory_check_seconds = 0.2

    def __init__(self, server: "ForkServerChannel", pid: int):
        self.server = server
        self.pid = pid  # in the server's process namespace
        self._exit: int | None = None
        self._memory = (0, 0)
        self.held: dict[str, int] = {}  # bytes it holds outside its memory, by where (see zygote.py)
        self.cpu = 0.0  # CPU seconds of the worker and its descendants

    def _status(self, op: str = "status") -> dict:
        if self._exit is not None:
            return {"exit": self._exit, "rss": 0, "peak": 0}
        try:
            status = self.server.call({"op": op, "pid": self.pid})
        except ForkServerFailure:
            status = {"exit": -9, "rss": 0, "peak": 0}  # the server and its children are gone
        self._exit = status.get("exit")
        return status

    def poll(self) -> int | None:
        return self._status()["exit"]

    def wait(self) -> int:
        deadline = time.monotonic() + 5
        while self.poll() is None:
            if time.monotonic() > deadline:
                self.kill()
                break
            time.sleep(0.01)
        return self._exit if self._exit is not None else -9

    def memory(self) -> tuple[int, int]:
        status = self._status()
        self._memory = (status.get("rss", 0), max(status.get("peak", 0), self._memory[1]))
        held = status.get("held")
        self.held = {str(k): int(v) for k, v in held.items()} if isinstance(held, dict) else {}
        self.cpu = float(status.get("cpu") or 0.0)
        return self._memory

    def kill(self) -> None:
        status = self._status("kill")
        if status.get("exit") is None:
            self._exit = -9


class ForkServerChannel:
    """The control channel to a fork server (`zygote.py`): spawn workers, ask after them.

    Subclasses say how the channel is opened and how to tell that the server still lives."""

    control: socket.socket
    start_seconds: float = Limits.start_seconds
    spawn_options: dict = {}  # extra fields of every spawn message (e.g. the worker's folder)
    learner_uids: tuple[int, int] | None = None  # (first, how many) for the server to hand out

    def __init__(self):
        self._lock = threading.Lock()
        self._ready = False
        self.hello: dict = {}

    def wait_ready(self) -> None:
        """Block until the server has imported TensorFlow. Starting does not wait, so several
        servers (and the caller) work at once."""
        if self._ready:
            return
        self.hello = self._receive(self.start_seconds)
        if not self.hello.get("ready"):
            raise ForkServerFailure(f"the fork server did not start: {self.hello!r:.200}")
        self._ready = True

    def _receive(self, seconds: float) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.control], [], [], 0.1)
            if readable:
                try:
                    data = self.control.recv(channel.MAX_MESSAGE)
                except OSError:
                    data = b""
                if data:
                    return json.loads(data)
                break
            if not self.alive:
                break
        raise ForkServerFailure(f"the fork server stopped: {self.why_stopped()}")

    def why_stopped(self) -> str:
        return "it closed its end of the connection"

    @property
    def alive(self) -> bool:
        raise NotImplementedError

    def call(self, message: dict, fds: tuple[int, ...] = ()) -> dict:
        with self._lock:
            self.wait_ready()
            if not self.alive:
                raise ForkServerFailure("the fork server has stopped")
            data = json.dumps(message).encode()
            try:
                if fds:
                    socket.send_fds(self.control, [data], list(fds))
                else:
                    self.control.send(data)
            except OSError as error:
                raise ForkServerFailure(f"the fork server is unreachable: {error}") from None
            try:
                return self._receive(60)  # a sweep after a fork bomb may take a while
            except ForkServerFailure:
                # A late reply would answer the next request: this channel is done.
                self.control.close()
                raise

    def __call__(self, limits: Limits, request_read: int, reply_write: int, log_fd: int) -> ForkedProcess:
        """Fork a worker (the `launch` signature of `WorkerSession`)."""
        reply = self.call({"op": "spawn", "rlimits": kernel_limits(limits), "uids": self.learner_uids,
                           "memory_bytes": int(limits.memory_bytes),
                           **self.spawn_options}, (request_read, reply_write, log_fd))
        if "pid" not in reply:
            raise ForkServerFailure(f"the fork server did not fork a worker: {reply!r:.200}")
        return ForkedProcess(self, reply["pid"])


class ForkServer(ForkServerChannel):
    """A fork server of one's own, started now (in `sandbox`), ended by `close`.

    Note: bubblewrap's --die-with-parent ends the server when the *thread* that started it
    ends, so start servers from a thread that lives as long as they are used."""

    def __init__(self, sandbox: Sandbox, start_seconds: float = Limits.start_seconds):
        super().__init__()
        self.sandbox = sandbox
        self.learner_uids = sandbox.learner_uids
        self.log = tempfile.TemporaryFile()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        command = sandbox.prefix + [sys.executable, "-m", "graders.worker.zygote", str(theirs.fileno())]
        if sandbox.kind == "bubblewrap":  # /tmp is the sandbox's own: the server clears it between learners
            command.append("--private-tmp")
        environment = sandbox.environment if sandbox.kind == "off" else None
        if environment is not None:
            environment = dict(environment, PATH=os.environ.get("PATH", environment["PATH"]))
        self.process = subprocess.Popen(
            command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, cwd=ROOT, env=environment, start_new_session=True)
        theirs.close()
        self.start_seconds = start_seconds

    def why_stopped(self) -> str:
        return f"({self.process.poll()}): {self.log_tail()}"

    def log_tail(self) -> str:
        return log_tail(self.log, 4)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and self.control.fileno() >= 0

    def close(self) -> None:
        if self.alive:
            try:
                self.control.send(json.dumps({"op": "exit"}).encode())
                self.process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.alive:
            self.process.kill()
            self.process.wait()
        self.control.close()
        self.log.close()
