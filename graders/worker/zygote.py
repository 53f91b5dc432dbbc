"""The fork server: imports TensorFlow once, then forks one fresh worker per submission.

Run as `python -m graders.worker.zygote CONTROL_FD` by `forkserver.py`, inside the
sandbox when there is one, or as `python -m graders.worker.zygote --listen PATH` by
`warmserver.py`: a server on a Unix socket that every grading run of one user and
checkout shares. It never runs learner code itself, so every child starts from
the same clean state and nothing of one learner reaches the next.

Control messages are JSON over SOCK_SEQPACKET sockets (one message per
packet); `spawn` carries the child's pipe and log descriptors with SCM_RIGHTS.
The server is a child subreaper, so whatever a learner's code forks, double
forks or daemonizes stays its descendant and `kill` can sweep it all away
before the next learner's child starts.

What a worker holds outside its own memory is charged to it as well (`status`):
files in `/tmp` and `/dev/shm` (in a sandbox, this server's own) and SysV
shared memory and message queues. Where the server may (root in bubblewrap),
each worker gets an IPC namespace of its own, bounded to the memory limit, that
goes away with it; in any case the SysV objects learners made in the server's
namespace are removed before the next learner. Each worker gets a user id of
its own from the block the client hands over, and runs at a low priority.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback

from graders.shared import channel, procfs
from graders.shared.fingerprint import code_fingerprint
from graders.shared.limits import apply_kernel_limits
from graders.worker import ipc

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
SWEEP_SECONDS = 30.0
SHARED_FOLDERS = ("/tmp", "/dev/shm")  # in a sandbox: private to the server, writable by all its learners
# Learner code yields to the trusted side and the fork servers; mildly, as honest learners
# must still finish within their time limit on a machine that is busy with other work.
WORKER_NICE = 3


def _prctl(option: int, value: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


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


def _lower_priority() -> None:
    """Nice the worker, and its session's autogroup (on kernels that group by session, nice
    within the group alone would not lower its share against other sessions)."""
    os.setpriority(os.PRIO_PROCESS, 0, WORKER_NICE)
    try:
        with open("/proc/self/autogroup", "w") as group:
            group.write(str(WORKER_NICE))
    except OSError:
        pass  # no autogroups here: the nice value alone applies


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
    if message.get("own_ipc"):
        ipc.own_ipc_namespace(int(message["memory_bytes"]))
    _lower_priority()
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
    from graders.worker.worker import serve

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
        self.pristine_bytes = {folder: procfs.tmpfs_used(folder) for folder in self.pristine}
        # So is its IPC namespace (bubblewrap's --unshare-ipc): the same holds for SysV objects.
        self.private_ipc = private_tmp
        self.pristine_sysv = set(ipc.sysv_objects()) if private_tmp else set()
        self.ipc_problem = ipc.own_ipc_namespace_possible()
        if self.ipc_problem and private_tmp:
            notes.append(f"workers share the sandbox's IPC namespace ({self.ipc_problem}); "
                         "SysV objects are removed between learners")
        self.uid_block: tuple[int, int] | None = None
        self.next_uid = 0
        self.uids: dict[int, int] = {}  # worker pid -> its user id
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
        message["uid"] = self.fresh_uid(message.get("uids"))
        message["own_ipc"] = self.ipc_problem is None and type(message.get("memory_bytes")) is int
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
        if message["uid"] is not None:
            self.uids[pid] = message["uid"]
        self.reply(connection, {"pid": pid})

    def fresh_uid(self, block) -> int | None:
        """The next user id of the client's block that no live process uses, so no worker shares
        a user with an earlier one (whose leftovers it could signal or count against)."""
        if not (isinstance(block, list) and len(block) == 2 and all(type(v) is int for v in block)):
            return None
        first, count = block
        if first < 1 or not 0 < count <= 1 << 16:
            return None
        if self.uid_block != (first, count):
            self.uid_block, self.next_uid = (first, count), 0
        busy = set(self.uids.values()) | procfs.users_of_processes()
        for _ in range(count):
            uid = first + self.next_uid % count
            self.next_uid += 1
            if uid not in busy:
                return uid
        raise RuntimeError(f"every user id of {first}..{first + count - 1} has a live process")

    def held(self, pid: int) -> dict[str, int]:
        """What the learner holds outside the worker's resident memory, by where: the shared
        folders (one learner at a time per sandbox: all they gained since the server started)
        and SysV objects (the worker's own namespace, or what is new in the server's)."""
        held = {folder: max(0, procfs.tmpfs_used(folder) - base) for folder, base in self.pristine_bytes.items()}
        if self.ipc_problem is None:
            objects = ipc.sysv_objects_of(pid) or {}
        elif self.private_ipc:
            objects = {key: size for key, size in ipc.sysv_objects().items() if key not in self.pristine_sysv}
        else:
            objects = {}
        held["SysV shared memory and message queues"] = sum(objects.values())
        return held

    def status(self, pid: int) -> dict:
        self.exits.update(_reap())
        resident = peak = 0
        held: dict[str, int] = {}
        cpu = 0.0
        if pid not in self.exits:
            resident, peak = procfs.memory_of(pid)
            held = self.held(pid)
            cpu = procfs.cpu_seconds_of([pid] + procfs.descendants(pid))
        return {"exit": self.exits.get(pid), "rss": resident, "peak": peak, "held": held, "cpu": cpu}

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
            victims = procfs.descendants(os.getpid(), spare)
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
        self.uids.clear()
        if self.private_ipc:
            ipc.remove_sysv_objects(self.pristine_sysv)
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
            data, fds, _, _ = socket.recv_fds(connection, channel.MAX_MESSAGE, 4)
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
        if channel.peer_uid(connection) != os.getuid():
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
        for pid in procfs.descendants(os.getpid(), spare):
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
    from graders.worker.worker import prepare

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
    umask = os.umask(0o077)  # the socket is born the owner's only
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # Bound and listening before TensorFlow's import, so clients connect and wait for the hello
    # meanwhile; made under another name and renamed, so the path never refuses a connection.
    making = f"{path}.{os.getpid()}"
    with channel.short_address(making) as address:
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
