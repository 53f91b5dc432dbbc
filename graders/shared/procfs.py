"""What a process uses, read from /proc: memory, CPU time, its descendants, tmpfs in use.

Both sides charge a worker with these: the trusted session for a worker it started itself,
the fork server for the workers it forked.
"""

from __future__ import annotations

import os


def memory_of(pid: int) -> tuple[int, int]:
    """Resident and peak resident bytes of a process (0, 0 once it is gone)."""
    values = {"VmRSS:": 0, "VmHWM:": 0}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key = line.split(":", 1)[0] + ":"
                if key in values:
                    values[key] = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return values["VmRSS:"], values["VmHWM:"]


def cpu_seconds_of(pids) -> float:
    """User and system CPU seconds of these processes, all their threads and the children they
    have reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15])
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


def descendants(root: int, spare: frozenset[int] = frozenset()) -> list[int]:
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


def users_of_processes() -> set[int]:
    """The real user ids of every process this server can see."""
    users = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                users.add(os.stat(f"/proc/{name}").st_uid)
            except OSError:
                continue
    return users


def tmpfs_used(folder: str) -> int:
    """Bytes in use on the file system of `folder` (a tmpfs: memory)."""
    try:
        info = os.statvfs(folder)
    except OSError:
        return 0
    return (info.f_blocks - info.f_bfree) * info.f_frsize
