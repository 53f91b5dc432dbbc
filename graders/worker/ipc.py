"""SysV IPC of learners' workers: what they hold, a namespace of their own, and clean-up.

A worker's SysV shared memory and message queues live outside its resident memory, so the
fork server charges them to it, gives each worker an IPC namespace of its own where it may,
and removes what learners left in a shared one before the next learner.
"""

from __future__ import annotations

import ctypes
import os
import threading

CLONE_NEWIPC = 0x08000000
IPC_RMID = 0
SYSV_TABLES = ("shm", "sem", "msg")
SEMAPHORE_BYTES = 64  # what one semaphore costs the kernel, roughly


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def sysv_objects() -> dict[tuple[str, int], int]:
    """The SysV objects of the calling thread's IPC namespace: (table, id) -> bytes they hold
    (shared memory: resident and swapped; queues: the messages in them)."""
    found = {}
    for table in SYSV_TABLES:
        try:
            with open(f"/proc/sysvipc/{table}") as listing:
                header = listing.readline().split()
                for line in listing:
                    row = dict(zip(header, line.split()))
                    if table == "shm":
                        held = int(row["rss"]) + int(row["swap"])
                    elif table == "msg":
                        held = int(row["cbytes"])
                    else:
                        held = int(row["nsems"]) * SEMAPHORE_BYTES
                    found[(table, int(row[header[1]]))] = held
        except (OSError, KeyError, ValueError):
            continue
    return found


def sysv_objects_of(pid: int) -> dict[tuple[str, int], int] | None:
    """The SysV objects in the IPC namespace of process `pid`, read from a short-lived thread
    that enters it (setns changes only the calling thread); None when it cannot be entered."""
    found: list = []

    def look() -> None:
        try:
            fd = os.open(f"/proc/{pid}/ns/ipc", os.O_RDONLY)
        except OSError:
            return
        try:
            if _libc().setns(fd, CLONE_NEWIPC) != 0:
                return
        finally:
            os.close(fd)
        found.append(sysv_objects())

    thread = threading.Thread(target=look, name="sysv-look")
    thread.start()
    thread.join()
    return found[0] if found else None


def remove_sysv_objects(keep) -> int:
    """IPC_RMID every SysV object of this namespace but those in `keep`; how many went."""
    libc = _libc()
    removed = 0
    for table, ident in set(sysv_objects()) - set(keep):
        if table == "shm":
            done = libc.shmctl(ident, IPC_RMID, None)
        elif table == "sem":
            done = libc.semctl(ident, 0, IPC_RMID)
        else:
            done = libc.msgctl(ident, IPC_RMID, None)
        removed += done == 0
    return removed


def own_ipc_namespace_possible() -> str | None:
    """None when a forked worker can be given an IPC namespace of its own here, else why not
    (tried in a thread, whose new namespace ends with it)."""
    outcome: list = []

    def attempt() -> None:
        libc = _libc()
        outcome.append(None if libc.unshare(CLONE_NEWIPC) == 0 else os.strerror(ctypes.get_errno()))

    thread = threading.Thread(target=attempt, name="ipc-probe")
    thread.start()
    thread.join()
    return None if outcome and outcome[0] is None else f"unshare(CLONE_NEWIPC) failed: {outcome[0]}"


def own_ipc_namespace(memory_bytes: int) -> None:
    """In the forked child, still privileged: a new, empty IPC namespace, its SysV limits set
    so all of its shared memory fits the memory limit (the child cannot raise them later)."""
    if _libc().unshare(CLONE_NEWIPC) != 0:
        raise OSError(ctypes.get_errno(), "the worker's own IPC namespace could not be made")
    pages = max(1, memory_bytes // os.sysconf("SC_PAGE_SIZE"))
    for name, value in (("shmall", pages), ("shmmax", memory_bytes), ("shmmni", 64),
                        ("msgmni", 16), ("sem", "250 4000 32 16")):
        with open(f"/proc/sys/kernel/{name}", "w") as setting:
            setting.write(str(value))

