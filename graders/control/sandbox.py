"""Where a fork server runs: inside bubblewrap when it is there, and what that protects.

With bubblewrap the server (and every learner's worker it forks) sees the
machine read-only, has no network, its own process, IPC and host-name
namespaces, an empty `/tmp` and `/dev/shm` of a bounded size, no environment of
the instructor's shell, and no view of the answers: `solutions/`, the git
history, the tests, the hidden data sets, the submissions folder and the output
folder are covered up. When the grader runs as root, each worker also gets a
user id of its own, fresh for every worker (see `zygote.py`), so it can neither
signal the server nor touch what an earlier learner left running.

A batch never grades without the sandbox unless the instructor asked for that
(`--sandbox off`): `auto` and `bubblewrap` try a few times (a loaded machine can
make bubblewrap slow to start) and then refuse with the reason.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from graders.shared.paths import ROOT

SUBMISSION_MOUNT = "/tmp/submission"  # where a station's current learner folder appears
UNCOVERED = ("solutions", ".git", "tests", "bench")  # parts of the project learner code must not see
TMP_BYTES = 2 << 30  # the size of /tmp and of /dev/shm when no memory limit is given
TRIES = 4  # attempts to start bubblewrap before a batch refuses to run
TRY_SECONDS = 30.0  # one attempt may take this long
BACKOFF_SECONDS = 2.0  # the wait after the first failed attempt; doubled after each further one

PROTECTIONS = {
    "network": "no network for learner code",
    "filesystem": "read-only file system, writes only to the learner's own empty folder",
    "answers": "solutions/, hidden data sets, other learners' files and the output folder are hidden",
    "environment": "no environment variables of the instructor's shell",
    "user": "each worker runs as a user id of its own, fresh for every worker (cannot signal the "
            "fork server or an earlier learner's processes; process limit enforced)",
    "ipc": "SysV shared memory, semaphores and message queues: counted against the learner's memory "
           "and removed before the next learner",
    "tmpfs": "/tmp and /dev/shm are bounded in size, counted against the learner's memory and "
             "emptied before the next learner",
}


def refusal(reason: str) -> str:
    return f"{reason}; pass --sandbox off to grade without the sandbox (learner code then runs unconfined)"


class SandboxUnavailable(Exception):
    """The sandbox was asked for (`auto` or `bubblewrap`) and cannot be had; the message says why
    and how to grade without it."""


@dataclass
class Sandbox:
    kind: str  # "bubblewrap" | "off"
    prefix: list[str] = field(default_factory=list)  # command words before the server's own
    learner_uids: tuple[int, int] | None = None  # (first, how many): a uid per worker, when root
    stage: Path | None = None  # the host folder shown at SUBMISSION_MOUNT
    environment: dict[str, str] = field(default_factory=dict)
    on: tuple[str, ...] = ()

    def report(self) -> list[str]:
        """One line per protection, saying plainly whether it is on."""
        return [f"{'on ' if name in self.on else 'OFF'}  {text}" for name, text in PROTECTIONS.items()]

    def describe(self) -> str:
        """What ran, in one line: the sandbox and the protections that were on."""
        if self.kind == "off":
            return "off (--sandbox off: no protection of the sandbox was on)"
        off = [name for name in PROTECTIONS if name not in self.on]
        return f"{self.kind} (on: {', '.join(self.on)}" + (f"; off: {', '.join(off)})" if off else ")")

    def path_in_sandbox(self, path: str) -> str:
        if self.stage is None:
            return path
        relative = os.path.relpath(path, self.stage)
        if relative.startswith(".."):
            return path
        return os.path.normpath(os.path.join(SUBMISSION_MOUNT, relative))


def _untraversable_ancestor(path: Path) -> Path | None:
    """The highest folder above `path` that other users cannot enter (e.g. /root)."""
    for ancestor in reversed(path.parents):
        try:
            if not os.stat(ancestor).st_mode & stat.S_IXOTH:
                return ancestor
        except OSError:
            return None
    return None


def _runtime_paths() -> list[Path]:
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent, ROOT}
    paths.update(Path(p) for p in sys.path if p and os.path.isdir(p))
    return sorted({Path(os.path.realpath(p)) for p in paths})


def bubblewrap_command(hidden: list[Path], stage: Path | None, drops_user: bool,
                       tmpfs_bytes: int = TMP_BYTES) -> list[str]:
    """`tmpfs_bytes` bounds /tmp and /dev/shm each (in memory: the worker is charged for what it
    holds there as well, see `zygote.py`)."""
    command = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
               "--perms", "1777", "--size", str(tmpfs_bytes), "--tmpfs", "/tmp",
               "--perms", "1777", "--size", str(tmpfs_bytes), "--tmpfs", "/dev/shm",
               "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
               "--die-with-parent", "--new-session", "--clearenv", "--chdir", "/tmp"]
    if os.geteuid() != 0:
        command.append("--unshare-user")
    runtime = _runtime_paths()
    made: set[Path] = set()
    for path in runtime:  # a project or interpreter that lives under /tmp stays visible
        if Path("/tmp") in path.parents:
            # The folders on the way exist only in the new /tmp; bubblewrap would make them 0700,
            # which a worker running as another user could not pass.
            for folder in reversed(path.parents):
                if Path("/tmp") in folder.parents and folder not in made:
                    made.add(folder)
                    command += ["--perms", "0755", "--dir", str(folder)]
            command += ["--ro-bind", str(path), str(path)]
    if drops_user:
        # Workers drop to another user: re-open the way to the interpreter and the project
        # where a private folder such as /root stands in it, and nothing else of that folder.
        covers = sorted({a for a in map(_untraversable_ancestor, runtime) if a is not None})
        reopened = set()
        for path in runtime:
            for cover in covers:
                if cover in path.parents:  # bind the whole entry below the cover, so the folders
                    depth = len(cover.parts)  # on the way keep their own permissions
                    reopened.add(Path(*path.parts[:depth + 1]))
        for cover in covers:
            command += ["--tmpfs", str(cover)]
        for path in sorted(reopened):
            command += ["--ro-bind", str(path), str(path)]
    for path in hidden:
        if path.is_dir():
            command += ["--tmpfs", str(path)]
        elif path.exists():
            command += ["--ro-bind", "/dev/null", str(path)]
    if stage is not None:
        command += ["--ro-bind", str(stage), SUBMISSION_MOUNT]
    return command


def bubblewrap_works(seconds: float = TRY_SECONDS) -> str | None:
    """None when bubblewrap can start a sandbox here, else the reason it cannot (one attempt)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed; on Debian or Ubuntu: apt-get install bubblewrap"
    trial = bubblewrap_command([], None, False) + ["true"]
    try:
        done = subprocess.run(trial, capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        return f"bubblewrap did not start a sandbox within {seconds:g} s"
    except OSError as error:
        return f"bubblewrap could not be run: {error}"
    if done.returncode != 0:
        return f"bubblewrap cannot start a sandbox here: {done.stderr.strip()[:300]}"
    return None


def bubblewrap_with_retries(tries: int = TRIES, backoff: float = BACKOFF_SECONDS) -> str | None:
    """None once bubblewrap has started a sandbox, else every attempt's reason. Not installed is
    final; a failure to start is tried again after a growing pause."""
    reasons = []
    for attempt in range(tries):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        reason = bubblewrap_works()
        if reason is None:
            return None
        reasons.append(reason)
        if shutil.which("bwrap") is None:
            break
    if len(reasons) == 1:
        return reasons[0]
    unique = list(dict.fromkeys(reasons))
    return f"{len(reasons)} attempts failed: " + " / ".join(unique)


def make_sandbox(choice: str, hidden: list[Path], stage: Path | None,
                 learner_uids: tuple[int, int] | None, tmpfs_bytes: int = TMP_BYTES) -> Sandbox:
    """`choice` is auto, bubblewrap or off. auto and bubblewrap both need bubblewrap (tried a few
    times) and raise `SandboxUnavailable` without it: only `off`, asked for, grades unconfined."""
    environment = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
                   "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1",
                   "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    if choice == "off":
        return Sandbox("off", environment=environment)
    if choice not in ("auto", "bubblewrap"):
        raise ValueError(f"unknown sandbox {choice!r}: auto, bubblewrap or off")
    problem = bubblewrap_with_retries()
    if problem:
        raise SandboxUnavailable(refusal(f"no sandbox for learner code: {problem}"))
    uids = learner_uids if os.geteuid() == 0 else None
    on = ("network", "filesystem", "answers", "environment") + (("user",) if uids is not None else ())
    on += ("ipc", "tmpfs")
    prefix = bubblewrap_command(hidden, stage, uids is not None, tmpfs_bytes)
    for name, value in environment.items():
        prefix += ["--setenv", name, value]
    return Sandbox("bubblewrap", prefix + ["--"], uids, stage, environment, on)
