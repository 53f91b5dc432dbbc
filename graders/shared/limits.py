"""What a learner's worker may use, and how those limits become kernel resource limits.

The trusted side watches wall time per probe, CPU time per probe (so many busy
threads reach their limit sooner) and memory itself; the
kernel limits set here are the backstops that hold even when the worker stops
answering: CPU seconds, address space, processes, file size and open files.
They are applied in the worker's own process (after fork, before any learner
code), so the same function serves a fresh interpreter and a fork-server child.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

MiB = 1024 * 1024
TENSORFLOW_ADDRESS_SPACE = 8192 * MiB  # reserved, not used: RLIMIT_AS must leave room for it


@dataclass(frozen=True)
class Limits:
    probe_seconds: float = 120.0
    load_seconds: float = 120.0
    # turning the submission into code (reading a notebook) in a batch, before any worker
    read_seconds: float = 60.0
    start_seconds: float = 180.0  # importing TensorFlow on a cold machine
    memory_bytes: int = 4096 * MiB
    cpu_seconds: int = 1800  # the whole submission; a busy loop with threads hits this
    cpu_cores: float = 1.0  # CPU time per probe: its time limit on this many busy cores (trusted side)
    processes: int = 256  # threads count too (TensorFlow starts dozens)
    file_bytes: int = 256 * MiB
    open_files: int = 1024


def kernel_limits(limits: Limits) -> dict[str, int]:
    """The rlimits of a worker, by resource name (plain data: it crosses a pipe)."""
    return {
        "RLIMIT_AS": limits.memory_bytes + TENSORFLOW_ADDRESS_SPACE,
        "RLIMIT_CPU": int(limits.cpu_seconds),
        "RLIMIT_NPROC": int(limits.processes),
        "RLIMIT_FSIZE": int(limits.file_bytes),
        "RLIMIT_NOFILE": int(limits.open_files),
        "RLIMIT_CORE": 0,
    }


def apply_kernel_limits(values: dict[str, int], with_processes: bool = True) -> None:
    """Lower this process's limits (never raise them). The process limit is per user, so it is
    only meaningful where the worker has a user of its own (`with_processes`)."""
    for name, value in values.items():
        if name == "RLIMIT_NPROC" and not with_processes:
            continue
        which = getattr(resource, name)
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
