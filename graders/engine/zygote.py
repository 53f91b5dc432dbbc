"""The fork server: imports TensorFlow once, then forks one fresh worker per submission.

Run as `python -m graders.engine.zygote CONTROL_FD` by `forkserver.py`, inside the
sandbox when there is one. It never runs learner code itself, so every child
starts from the same clean state and nothing of one learner reaches the next.

Control messages are JSON over a SOCK_SEQPACKET socket (one message per
packet); `spawn` carries the child's pipe and log descriptors with SCM_RIGHTS.
The server is a child subreaper, so whatever a learner's code forks, double
forks or daemonizes stays its descendant and `kill` can sweep it all away
before the next learner's child starts.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import shutil
import socket
import sys
import tempfile
import time
import traceback

from .limits import apply_kernel_limits

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
MAX_MESSAGE = 1 << 16
SWEEP_SECONDS = 30.0
SHARED_FOLDERS = ("/tmp", "/dev/shm")  # in a sandbox: private to the server, writable by all its learners


def _prctl(option: int, value: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _descendants(root: int, spare: frozenset[int] = frozenset()) -> list[int]:
    """Every live process under `root`, read from /proc (children of children included),
    except the children `spare` and whatever runs under them."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                parents[int(name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in spare]
        found += children
        frontier += children
    return found


def _reap() -> dict[int, int]:
    """Collect exited children; return pid -> exit code (negative: killed by that signal)."""
    codes = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return codes
        if pid == 0:
            return codes
        codes[pid] = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _run_child(request_fd: int, reply_fd: int, log_fd: int, message: dict, notes: list[str]) -> None:
    """In the forked child: a new session, an empty folder, kernel limits, then the worker loop."""
    os.setsid()
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    low, high = sorted((request_fd, reply_fd))
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, 1 << 16)
    workdir = message["workdir"]
    uid = message.get("uid")
    if uid is not None:  # a user of its own: it cannot signal the server, and NPROC counts only it
        os.chown(workdir, uid, uid)
        _prctl(PR_SET_NO_NEW_PRIVS, 1)  # no set-uid program can hand root back
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.chdir(workdir)
    os.environ["HOME"] = workdir
    os.environ["TMPDIR"] = workdir
    apply_kernel_limits(message["rlimits"], with_processes=uid is not None)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    from .worker import serve

    serve(request_fd, reply_fd, notes)


class Zygote:
    def __init__(self, control: socket.socket, notes: list[str], private_tmp: bool = False):
        self.control = control
        self.notes = notes
        self.exits: dict[int, int] = {}  # pid -> exit code of children that ended
        self.workdirs: dict[int, str] = {}  # pid -> its empty folder, removed at kill
        # In a sandbox /tmp and /dev/shm are this server's own, and every learner graded here can
        # write to them: what they hold now is the server's; anything else a learner left.
        self.pristine = {folder: set(os.listdir(folder)) for folder in SHARED_FOLDERS
                         if private_tmp and os.path.isdir(folder)}

    def reply(self, message: dict) -> None:
        self.control.send(json.dumps(message).encode())

    def spawn(self, message: dict, fds: list[int]) -> None:
        request_fd, reply_fd, log_fd = fds
        message["workdir"] = tempfile.mkdtemp(prefix="learner-")
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                self.control.close()
                _run_child(request_fd, reply_fd, log_fd, message, self.notes)
            except SystemExit:
                pass
            except BaseException:  # the worker's own failure, not the learner's: leave a trace
                traceback.print_exc()
                code = 70
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        self.workdirs[pid] = message["workdir"]
        self.reply({"pid": pid})

    def status(self, pid: int) -> dict:
        self.exits.update(_reap())
        resident = peak = 0
        if pid not in self.exits:
            from .session import memory_of

            resident, peak = memory_of(pid)
        return {"exit": self.exits.get(pid), "rss": resident, "peak": peak}

    def live_children(self) -> set[int]:
        self.exits.update(_reap())
        return {pid for pid in self.workdirs if pid not in self.exits}

    def sweep(self, target: int | None = None) -> int:
        """SIGKILL `target` and everything under it, and every orphan a learner left (a
        subreaper inherits them), until none is left: a fork bomb keeps forking meanwhile.
        Other live workers (the same learner's, e.g. the one judging a model file) are spared."""
        spare = frozenset(self.live_children() - {target}) if target is not None else frozenset()
        killed = 0
        deadline = time.monotonic() + SWEEP_SECONDS
        while time.monotonic() < deadline:
            victims = _descendants(os.getpid(), spare)
            if not victims:
                break
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
            self.exits.update(_reap())
            # Killed processes count against the process limit until they have exited and been
            # reaped, which takes a while on a loaded machine: wait for that, or the next
            # learner's worker could not start its threads.
            time.sleep(0.005)
        self.exits.update(_reap())
        return killed

    def clear_shared_folders(self) -> None:
        """Once no worker is left: remove every worker's folder and whatever learners left in
        the shared folders, so the next learner finds nothing of this one's (no file to read,
        no module on the import path)."""
        if self.live_children():
            return  # the same learner's other worker still runs; cleared when it ends
        for workdir in self.workdirs.values():
            shutil.rmtree(workdir, ignore_errors=True)
        self.workdirs.clear()
        for folder, kept in self.pristine.items():
            for name in set(os.listdir(folder)) - kept:
                path = os.path.join(folder, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass

    def serve(self) -> None:
        self.reply({"ready": True, "pid": os.getpid()})
        while True:
            readable, _, _ = select.select([self.control], [], [], 1.0)
            if not readable:
                self.exits.update(_reap())
                continue
            try:
                data, fds, _, _ = socket.recv_fds(self.control, MAX_MESSAGE, 4)
            except OSError:
                return
            if not data:
                return  # the trusted side went away
            message = json.loads(data)
            op = message.get("op")
            if op == "spawn":
                self.spawn(message, fds)
            elif op == "status":
                self.reply(self.status(message["pid"]))
            elif op == "kill":
                killed = self.sweep(message["pid"])
                self.clear_shared_folders()
                self.reply({"killed": killed, **self.status(message["pid"])})
            else:
                self.sweep()
                return


def main(control_fd: int, private_tmp: bool = False) -> None:
    if private_tmp:
        # `python -m` put the working folder first on the import path, and in the sandbox that is
        # /tmp, which learners can write: a module planted there would be imported by a later
        # learner's code (or by this server) instead of the real one.
        here = os.path.realpath(os.getcwd())
        sys.path[:] = [path for path in sys.path if os.path.realpath(path or os.curdir) != here]
    from .worker import prepare

    notes = prepare()
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_DUMPABLE, 0)  # a learner's child cannot ptrace or read the server's memory
    control = socket.socket(fileno=control_fd)
    Zygote(control, notes, private_tmp).serve()


if __name__ == "__main__":
    main(int(sys.argv[1]), "--private-tmp" in sys.argv[2:])
