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


def remove_tree(path: str | os.PathLike) -> list[str]:
    """Remove a folder and everything in it, however deep (no recursion: a learner's tree of
    thousands of nested folders cannot raise RecursionError), never following links, never
    raising; returns what could not be removed, for a log line."""
    left: list[str] = []
    try:
        top = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return left
    except OSError:
        try:
            os.unlink(path)  # a file or a link where a folder was expected
        except OSError as error:
            left.append(f"{path}: {error.strerror}")
        return left
    stack = [(top, None, None, set())]  # (folder fd, its parent's fd, its name there, names to pass over)
    while stack:
        fd, parent, name, passed = stack[-1]
        descended = False
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    if entry.name in passed:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        try:
                            child = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                        except OSError as error:
                            passed.add(entry.name)
                            left.append(f"{entry.name}: {error.strerror}")
                            continue
                        stack.append((child, fd, entry.name, set()))
                        descended = True
                        break
                    try:
                        os.unlink(entry.name, dir_fd=fd)
                    except OSError as error:
                        passed.add(entry.name)
                        left.append(f"{entry.name}: {error.strerror}")
        except OSError as error:
            left.append(f"{name or path}: {error.strerror}")
        if descended:
            continue
        stack.pop()
        os.close(fd)
        try:
            if parent is None:
                os.rmdir(path)
            else:
                os.rmdir(name, dir_fd=parent)
        except OSError as error:
            left.append(f"{name or path}: {error.strerror}")
            if stack:
                stack[-1][3].add(name)
    return left


def reproducible_npz(path: str | os.PathLike, arrays: dict) -> Path:
    """Write `arrays` as np.savez_compressed would, but with fixed zip timestamps (and atomically):
    equal arrays give equal bytes, so a committed fixture rebuilt from its recipe is unchanged."""
    import io
    import zipfile

    import numpy as np

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue(), compresslevel=9)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
