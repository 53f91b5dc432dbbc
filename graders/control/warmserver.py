"""One warm TensorFlow for every grading run: a fork server on a Unix socket.

Importing TensorFlow costs seconds, grading an assignment about as much. So the
first run starts a fork server (`zygote.py --listen`) that imports it once and
stays; later runs connect and fork a fresh worker per submission from it, so
each learner's code is still loaded anew in a clean process. The server belongs
to one user and one checkout (a socket with owner-only permissions in the
user's runtime or cache folder), and it ends by itself after 15 idle minutes or
once the engine, suite or provided course code it imported changes on disk.

`CVGRADE_SERVER=PATH` names the server every grading run in this process and
its children uses (the test suite starts one per session); a learner's run finds
its own (`learner_server`). `launch_for_session` is what a `WorkerSession`
without an explicit launch uses.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from graders.control.forkserver import ForkServerChannel, ForkServerFailure
from graders.control.session import worker_environment
from graders.shared.channel import peer_uid, short_address
from graders.shared.fingerprint import code_fingerprint, environment_key
from graders.shared.paths import ROOT

IDLE_SECONDS = 15 * 60
ENVIRONMENT_VARIABLE = "CVGRADE_SERVER"


def private_folder() -> Path:
    """The user's own folder for the socket: $XDG_RUNTIME_DIR/cvgrade, else ~/.cache/cvgrade.
    Refused (ForkServerFailure) when it is anyone else's or open to others."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        base = Path(runtime)
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "cvgrade"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = folder.stat()
    if info.st_uid != os.getuid():
        raise ForkServerFailure(f"{folder} belongs to another user")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(folder, 0o700)
    return folder


def learner_socket_path(root: Path = ROOT) -> Path:
    """One server per user, checkout and environment."""
    checkout = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return private_folder() / f"grading-{checkout}-{environment_key()}.sock"


class WarmServer(ForkServerChannel):
    """A connection to a listening fork server; its workers start where a fresh interpreter
    would (the project root) and keep the user's home, as `LocalProcess` does."""

    spawn_options = {"cwd": str(ROOT)}

    def __init__(self, path: Path, start_seconds: float):
        super().__init__()
        self.path = Path(path)
        self.start_seconds = start_seconds
        self.started_here = False
        self.control = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with short_address(self.path) as address:
                self.control.connect(address)
            owner = peer_uid(self.control)
        except OSError:
            self.control.close()
            raise
        if owner != os.getuid():
            self.control.close()
            raise ForkServerFailure(f"the grading server at {self.path} is another user's (uid {owner})")

    @property
    def alive(self) -> bool:
        if self.control.fileno() < 0:
            return False
        try:  # a server sends nothing unasked: anything readable now is its end closing
            return self.control.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
        except BlockingIOError:
            return True
        except OSError:
            return False

    def describe(self) -> str:
        age = max(0.0, time.time() - float(self.hello.get("started", time.time())))
        when = "started now" if self.started_here else f"up {age / 60:.0f} min"
        return f"the warm grading server (pid {self.hello.get('pid')}, {when})"

    def close(self) -> None:
        self.control.close()


def start_server(path: Path, idle_seconds: float = IDLE_SECONDS) -> subprocess.Popen:
    """Start a listening server at `path`, detached from this process; it binds the socket
    within a fraction of a second and imports TensorFlow after that."""
    path = Path(path)
    log = open(path.with_suffix(".log"), "ab")
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "graders.worker.zygote", "--listen", str(path), str(idle_seconds)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            env=worker_environment(), start_new_session=True)
    finally:
        log.close()
    deadline = time.monotonic() + 30
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise ForkServerFailure(f"the grading server did not start (see {path.with_suffix('.log')})")
        time.sleep(0.02)
    return process


def connect(path: Path, start: bool = True, start_seconds: float = 180.0,
            idle_seconds: float = IDLE_SECONDS) -> WarmServer:
    """A ready connection to the server at `path`, started first when there is none (or the one
    there runs code that has changed since)."""
    path = Path(path)
    for _ in range(3):
        lock = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        with open(lock, "rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one run starts it; the others wait and connect
            started = False
            try:
                server = WarmServer(path, start_seconds)
            except OSError:
                if not start:
                    raise ForkServerFailure(f"no grading server answers at {path}") from None
                path.unlink(missing_ok=True)  # a server that died left its socket behind
                start_server(path, idle_seconds)
                started = True
                server = WarmServer(path, start_seconds)
            server.started_here = started
        try:
            server.wait_ready()
        except ForkServerFailure:
            server.close()
            if server.hello and not server.hello.get("stale"):
                raise
            # It runs older code (or was just giving up its socket for that, or going idle):
            # it has left the path, so the next try starts a new one.
            continue
        if server.hello.get("fingerprint") == code_fingerprint():
            return server
        server.close()  # an edit it has not noticed yet (it looks every few seconds), or another
        time.sleep(1)   # environment at a path named by hand: never stopped from here, it may be in use
    raise ForkServerFailure(f"the grading server at {path} runs other code or another environment "
                            "than this run")


def stop_server(path: Path) -> None:
    """End the server at `path` now (its workers are swept), if there is one."""
    try:
        server = WarmServer(Path(path), 5)
    except OSError:
        return
    try:
        server.wait_ready()
        pid = int(server.hello["pid"])
    except (ForkServerFailure, KeyError, ValueError):
        return
    finally:
        server.close()
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        pass


_connections: dict[tuple[int, str], WarmServer] = {}
_connections_lock = threading.Lock()


def shared_connection(path: Path, start: bool = True) -> WarmServer:
    """This process's one connection to the server at `path` (made again when it has closed)."""
    key = (os.getpid(), str(path))
    with _connections_lock:
        server = _connections.get(key)
        if server is None or not server.alive:
            server = _connections[key] = connect(path, start=start)
        return server


def learner_server() -> WarmServer:
    """The server a learner's run uses: $CVGRADE_SERVER's, else this user's and checkout's."""
    named = os.environ.get(ENVIRONMENT_VARIABLE)
    return shared_connection(Path(named) if named else learner_socket_path())


def learner_launch(no_server: bool = False) -> tuple[object, str]:
    """How a learner's run starts its workers, and the one line that says so: the warm grading
    server (started on the first run), unless `no_server` or it cannot be used."""
    from graders.control.session import LocalProcess, WorkerFailure

    if no_server:
        return LocalProcess, "graded without the warm grading server (--no-server)"
    try:
        server = learner_server()
    except (WorkerFailure, OSError) as failure:
        return LocalProcess, f"graded without the warm grading server, which could not be used: {failure}"
    return server, f"graded with {server.describe()}"


def launch_for_session():
    """What a `WorkerSession` started without a launch uses: the server $CVGRADE_SERVER names
    (the test suite's), else a fresh interpreter."""
    from graders.control.session import LocalProcess

    named = os.environ.get(ENVIRONMENT_VARIABLE)
    if not named:
        return LocalProcess
    try:
        return shared_connection(Path(named))
    except (ForkServerFailure, OSError) as failure:
        print(f"cvgrade: the grading server at {named} cannot be used ({failure}); "
              "starting a fresh interpreter instead", file=sys.stderr)
        return LocalProcess
