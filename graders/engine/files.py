"""Atomic file writes: a reader (or a rerun after a kill) sees the old file or the new, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


_MODE = 0o666 & ~_umask()  # what open() would have given; mkstemp's 0600 would hide reports


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _MODE)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """UTF-8, and any string a learner's code can make is written: a lone surrogate (which
    UTF-8 cannot hold) is written as its escape, `\\ud800`, rather than failing the file."""
    atomic_write_bytes(path, text.encode("utf-8", errors="backslashreplace"))
