"""The fork server: imports TensorFlow once, then forks one fresh worker per submission.

Run as `python -m graders.engine.zygote CONTROL_FD` by `forkserver.py`, inside the
sandbox when there is one, or as `python -m graders.engine.zygote --listen PATH` by
`warmserver.py`: a server on a Unix socket that every grading run of one user and
checkout shares. It never runs learner code itself, so every child starts from
the same clean state and nothing of one learner reaches the next.

Control messages are JSON over SOCK_SEQPACKET sockets (one message per
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

PR_SET_PDEATHSIG = 1
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
    cwd = message.get("cwd")  # unsandboxed runs: the folder a fresh interpreter would start in
    uid = message.get("uid")
    if uid is not None:  # a user of its own: it cannot signal the server, and NPROC counts only it
        os.chown(workdir, uid, uid)
        _prctl(PR_SET_NO_NEW_PRIVS, 1)  # no set-uid program can hand root back
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a worker never outlives its server
    if os.getppid() != message["server_pid"]:
        os._exit(70)  # the server went before the line above took effect
    os.chdir(cwd or workdir)
    if cwd is None:
        os.environ["HOME"] = workdir
    os.environ["TMPDIR"] = workdir
    tempfile.tempdir = workdir  # the server's mkdtemp fixed it before the fork
    apply_kernel_limits(message["rlimits"], with_processes=uid is not None)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    from .worker import serve

    serve(request_fd, reply_fd, notes)


class Zygote:
    def __init__(self, notes: list[str], private_tmp: bool = False):
        self.notes = notes
        self.exits: dict[int, int] = {}  # pid -> exit code of children that ended
        self.workdirs: dict[int, str] = {}  # pid -> its empty folder, removed at kill
        # In a sandbox /tmp and /dev/shm are this server's own, and every learner graded here can
        # write to them: what they hold now is the server's; anything else a learner left.
        self.pristine = {folder: set(os.listdir(folder)) for folder in SHARED_FOLDERS
                         if private_tmp and os.path.isdir(folder)}
        self.connections: list[socket.socket] = []
        self.owners: dict[int, socket.socket] = {}  # worker pid -> the client that spawned it

    @staticmethod
    def reply(connection: socket.socket, message: dict) -> None:
        try:
            connection.send(json.dumps(message).encode())
        except OSError:
            pass  # that client went away; its workers are swept when it is noticed

    def spawn(self, connection: socket.socket, message: dict, fds: list[int]) -> None:
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            self.reply(connection, {"error": "spawn needs three descriptors"})
            return
        request_fd, reply_fd, log_fd = fds
        message["workdir"] = tempfile.mkdtemp(prefix="learner-")
        message["server_pid"] = os.getpid()
        # A SIGTERM (stop_server) between fork and the child's own handler must not run the
        # server's clean-up in the child: blocked across the fork, restored on both sides.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                for open_connection in self.connections:
                    open_connection.close()
                _run_child(request_fd, reply_fd, log_fd, message, self.notes)
            except SystemExit:
                pass
            except BaseException:  # the worker's own failure, not the learner's: leave a trace
                traceback.print_exc()
                code = 70
            finally:
                os._exit(code)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        for fd in fds:
            os.close(fd)
        self.exits.pop(pid, None)  # a reused pid: the exit on record was an earlier process's
        self.workdirs[pid] = message["workdir"]
        self.owners[pid] = connection
        self.reply(connection, {"pid": pid})

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

    def handle(self, connection: socket.socket) -> bool:
        """Answer one message of one client; False when that client is done. A malformed
        message gets an error reply, never an exception that would end the server."""
        try:
            data, fds, _, _ = socket.recv_fds(connection, MAX_MESSAGE, 4)
        except OSError:
            return False
        if not data:
            for fd in fds:
                os.close(fd)
            return False  # the client went away
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        op = message.get("op") if isinstance(message, dict) else None
        if op == "spawn" and isinstance(message.get("rlimits"), dict):
            self.spawn(connection, message, fds)
            return True
        for fd in fds:
            os.close(fd)
        pid = message.get("pid") if isinstance(message, dict) else None
        if op in ("status", "kill") and (type(pid) is not int or self.owners.get(pid) is not connection):
            self.reply(connection, {"error": f"no worker {pid!r} of this client"})
        elif op == "status":
            self.reply(connection, self.status(pid))
        elif op == "kill":
            killed = self.sweep(pid)
            self.clear_shared_folders()
            self.reply(connection, {"killed": killed, **self.status(pid)})
        elif op == "exit":
            return False
        else:
            self.reply(connection, {"error": f"unknown request {op!r}"})
        return True

    def serve(self, control: socket.socket) -> None:
        """Serve the one trusted client that started this server, until it leaves."""
        self.connections = [control]
        self.reply(control, {"ready": True, "pid": os.getpid()})
        while True:
            readable, _, _ = select.select([control], [], [], 1.0)
            if not readable:
                self.exits.update(_reap())
            elif not self.handle(control):
                self.sweep()
                return

    def listen(self, listener: socket.socket, hello: dict, idle_seconds: float, is_stale) -> None:
        """Serve every client that connects to `listener`, each with its own workers, until no
        client and no worker has been seen for `idle_seconds`, or until the code this server
        imported has changed on disk (`is_stale()`): then it says so to whoever connects,
        gives up its socket and ends once its last client has left."""
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `stop_server`: sweep, then go
        try:
            last_seen = time.monotonic()
            next_look = 0.0
            while True:
                waiting = ([listener] if listener is not None else []) + self.connections
                readable, _, _ = select.select(waiting, [], [], 1.0)
                now = time.monotonic()
                for ready in readable:
                    if ready is listener:
                        if not self._accept(listener, hello, is_stale):
                            listener = retire(listener)
                    elif not self.handle(ready):
                        self.client_left(ready)
                    last_seen = now
                if self.connections or self.live_children():
                    last_seen = now
                if listener is not None and now >= next_look:
                    next_look = now + 5.0
                    if is_stale():
                        listener = retire(listener)
                if not self.connections and not self.live_children():
                    if listener is None or now - last_seen > idle_seconds:
                        return
        finally:
            if listener is not None:
                retire(listener)  # first, so no client connects to a server that is going
            self.sweep()

    def _accept(self, listener: socket.socket, hello: dict, is_stale) -> bool:
        """Take one client; False once this server's code is stale (it tells the client so)."""
        try:
            connection, _ = listener.accept()
        except OSError:
            return True
        from .forkserver import peer_uid

        if peer_uid(connection) != os.getuid():
            connection.close()  # another user: the socket's permissions should have stopped it
            return True
        if is_stale():
            self.reply(connection, {"ready": False, "stale": True, "pid": os.getpid()})
            connection.close()
            return False
        self.connections.append(connection)
        self.reply(connection, hello)
        return True

    def client_left(self, connection: socket.socket) -> None:
        """A client went away (done, or killed): its workers and whatever its learners' code left
        running go with it; other clients' workers are spared."""
        self.connections.remove(connection)
        connection.close()
        for pid in [pid for pid, owner in self.owners.items() if owner is connection]:
            self.sweep(pid)
            del self.owners[pid]
        self.sweep_orphans()

    def sweep_orphans(self) -> None:
        spare = frozenset(self.live_children())
        for pid in _descendants(os.getpid(), spare):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.exits.update(_reap())
        for pid in [pid for pid in self.owners if pid in self.exits]:
            del self.owners[pid]
        self.clear_shared_folders()


def retire(listener: socket.socket) -> None:
    """Stop taking clients: close the socket and remove its path, unless a newer server has
    bound that path since (told apart by the file's inode, noted at bind)."""
    path, inode = _bound.pop(listener.fileno(), (None, None))
    try:
        if path is not None and os.stat(path).st_ino == inode:
            os.unlink(path)
    except OSError:
        pass
    listener.close()
    return None


_bound: dict[int, tuple[str, int]] = {}  # listening descriptor -> (its path, the file's inode)


def _prepare_server() -> list[str]:
    from .worker import prepare

    notes = prepare()
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_DUMPABLE, 0)  # a learner's child cannot ptrace or read the server's memory
    return notes


def main(control_fd: int, private_tmp: bool = False) -> None:
    if private_tmp:
        # `python -m` put the working folder first on the import path, and in the sandbox that is
        # /tmp, which learners can write: a module planted there would be imported by a later
        # learner's code (or by this server) instead of the real one.
        here = os.path.realpath(os.getcwd())
        sys.path[:] = [path for path in sys.path if os.path.realpath(path or os.curdir) != here]
    notes = _prepare_server()
    Zygote(notes, private_tmp).serve(socket.socket(fileno=control_fd))


def main_listen(path: str, idle_seconds: float) -> None:
    """A warm server on the Unix socket `path` (its folder must be the user's own)."""
    from .warmserver import code_fingerprint, short_address

    umask = os.umask(0o077)  # the socket is born the owner's only
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # Bound and listening before TensorFlow's import, so clients connect and wait for the hello
    # meanwhile; made under another name and renamed, so the path never refuses a connection.
    making = f"{path}.{os.getpid()}"
    with short_address(making) as address:
        listener.bind(address)
    os.chmod(making, 0o600)
    listener.listen(16)
    _bound[listener.fileno()] = (path, os.stat(making).st_ino)
    os.rename(making, path)
    os.umask(umask)  # what learners' workers write keeps the user's usual permissions
    started_with = code_fingerprint()
    notes = _prepare_server()
    hello = {"ready": True, "pid": os.getpid(), "fingerprint": started_with, "started": time.time()}
    Zygote(notes).listen(listener, hello, idle_seconds, lambda: code_fingerprint() != started_with)


if __name__ == "__main__":
    if sys.argv[1] == "--listen":
        main_listen(sys.argv[2], float(sys.argv[3]))
    else:
        main(int(sys.argv[1]), "--private-tmp" in sys.argv[2:])
