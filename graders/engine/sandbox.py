"""Where a fork server runs: inside bubblewrap when it is there, and what that protects.

With bubblewrap the server (and every learner's worker it forks) sees the
machine read-only, has no network, its own process, IPC and host-name
namespaces, an empty `/tmp`, no environment of the instructor's shell, and no
view of the answers: `solutions/`, the git history, the tests, the hidden data
sets, the submissions folder and the output folder are covered up. When the
grader runs as root, each learner's worker also gets a user id of its own
(see `zygote.py`), so it can neither signal the server nor escape the process
limit. Without bubblewrap the run says which of these protections are off.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .paths import ROOT

SUBMISSION_MOUNT = "/tmp/submission"  # where a station's current learner folder appears
UNCOVERED = ("solutions", ".git", "tests", "bench")  # parts of the project learner code must not see
TMP_BYTES = 2 << 30

PROTECTIONS = {
    "network": "no network for learner code",
    "filesystem": "read-only file system, writes only to the learner's own empty folder",
    "answers": "solutions/, hidden data sets, other learners' files and the output folder are hidden",
    "environment": "no environment variables of the instructor's shell",
    "user": "each learner's worker runs as a user id of its own (cannot signal the fork server; "
            "process limit enforced)",
}


class SandboxUnavailable(Exception):
    """`--sandbox bubblewrap` was asked for and cannot be had; the message says why."""


@dataclass
class Sandbox:
    kind: str  # "bubblewrap" | "off"
    prefix: list[str] = field(default_factory=list)  # command words before the server's own
    learner_uid: int | None = None  # a user id of its own for the workers, when root
    stage: Path | None = None  # the host folder shown at SUBMISSION_MOUNT
    environment: dict[str, str] = field(default_factory=dict)
    on: tuple[str, ...] = ()

    def report(self) -> list[str]:
        """One line per protection, saying plainly whether it is on."""
        return [f"{'on ' if name in self.on else 'OFF'}  {text}" for name, text in PROTECTIONS.items()]

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


def bubblewrap_command(hidden: list[Path], stage: Path | None, learner_uid: int | None) -> list[str]:
    command = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
               "--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
               "--perms", "1777", "--tmpfs", "/dev/shm",
               "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
               "--die-with-parent", "--new-session", "--clearenv", "--chdir", "/tmp"]
    if os.geteuid() != 0:
        command.append("--unshare-user")
    runtime = _runtime_paths()
    for path in runtime:  # a project or interpreter that lives under /tmp stays visible
        if Path("/tmp") in path.parents:
            command += ["--ro-bind", str(path), str(path)]
    if learner_uid is not None:
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


def bubblewrap_works() -> str | None:
    """None when bubblewrap can start a sandbox here, else the reason it cannot."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed; on Debian or Ubuntu: apt-get install bubblewrap"
    import subprocess

    trial = bubblewrap_command([], None, None) + ["true"]
    done = subprocess.run(trial, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        return f"bubblewrap cannot start a sandbox here: {done.stderr.strip()[:300]}"
    return None


def make_sandbox(choice: str, hidden: list[Path], stage: Path | None, learner_uid: int | None) -> Sandbox:
    """`choice` is auto, bubblewrap or off; auto takes bubblewrap when it works."""
    environment = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
                   "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1",
                   "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    if choice == "off":
        return Sandbox("off", environment=environment)
    problem = bubblewrap_works()
    if problem:
        if choice == "bubblewrap":
            raise SandboxUnavailable(problem)
        return Sandbox("off", environment=environment)
    uid = learner_uid if os.geteuid() == 0 else None
    on = ("network", "filesystem", "answers", "environment") + (("user",) if uid is not None else ())
    prefix = bubblewrap_command(hidden, stage, uid)
    for name, value in environment.items():
        prefix += ["--setenv", name, value]
    return Sandbox("bubblewrap", prefix + ["--"], uid, stage, environment, on)
