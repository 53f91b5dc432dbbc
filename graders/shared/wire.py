"""Plain data across the trust boundary: JSON values plus numpy arrays, never pickles.

A message is an ordinary `.npz` archive: the JSON document sits in the member
`__json__` with every array replaced by a `{"__array__": "a<N>"}` marker, and
the arrays sit beside it. Reading uses `allow_pickle=False` and admits only
numeric and boolean arrays, so a hostile worker can send wrong numbers but
never code. The same format stores reference observations under `fixtures/`.
"""

from __future__ import annotations

import io
import json
import math
import os
import select
import struct
import time
import zipfile

import numpy as np

ARRAY_KEY = "__array__"
MAX_MESSAGE_BYTES = 512 * 1024 * 1024
_ALLOWED_KINDS = "biufc"  # bool, signed, unsigned, float, complex


class WireError(ValueError):
    """A message that is not well-formed plain data."""


def _flatten(value, arrays: dict):
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ALLOWED_KINDS:
            raise WireError(f"arrays of dtype {value.dtype} cannot be sent")
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {ARRAY_KEY: key}
    if isinstance(value, np.generic):
        return _flatten(value.item(), arrays)
    if isinstance(value, dict):
        return {str(k): _flatten(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, arrays) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise WireError(f"{type(value).__name__} values cannot be sent; use plain data")


def _restore(value, arrays):
    if isinstance(value, dict):
        if set(value) == {ARRAY_KEY}:
            try:
                return arrays[value[ARRAY_KEY]]
            except KeyError:
                raise WireError(f"message refers to a missing array {value[ARRAY_KEY]!r}") from None
        if set(value) == {"__float__"}:
            return float(value["__float__"])
        return {k: _restore(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, arrays) for v in value]
    return value


def dumps(value, compress: bool = False) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    doc = _flatten(value, arrays)
    header = np.frombuffer(json.dumps(doc, allow_nan=False).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buffer, __json__=header, **arrays)
    return buffer.getvalue()


def _check_unpacked_size(data: bytes) -> None:
    """A small compressed message must not unpack to gigabytes in the trusted process."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise WireError(f"not a plain-data message: {error}") from None
    if declared > MAX_MESSAGE_BYTES:
        raise WireError(f"message unpacks to {declared} bytes, over the {MAX_MESSAGE_BYTES} byte limit")


def loads(data: bytes):
    _check_unpacked_size(data)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            members = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise WireError(f"not a plain-data message: {error}") from None
    header = members.pop("__json__", None)
    if header is None or header.dtype != np.uint8:
        raise WireError("message has no JSON header")
    for name, array in members.items():
        if array.dtype.kind not in _ALLOWED_KINDS:
            raise WireError(f"array {name} has dtype {array.dtype}, which is not plain data")
    try:
        doc = json.loads(header.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"message header is not JSON: {error}") from None
    return _restore(doc, members)


def save(path: str | os.PathLike, value) -> None:
    """Write `value` to `path` atomically (a reader never sees half a file)."""
    from graders.shared.files import atomic_write_bytes

    atomic_write_bytes(path, dumps(value, compress=True))


def load(path: str | os.PathLike):
    with open(path, "rb") as handle:
        return loads(handle.read())


# --- framing over a pipe -----------------------------------------------------
_LENGTH = struct.Struct("!Q")


def send(fd: int, value) -> None:
    payload = dumps(value)
    data = _LENGTH.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exactly(fd: int, count: int, deadline: float | None = None) -> bytes:
    """`count` bytes from `fd`; with a `deadline` (time.monotonic) raise TimeoutError past it,
    so a writer that sends half a message and stops cannot hold the reader."""
    chunks, remaining = [], count
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            readable, _, _ = select.select([fd], [], [], min(left, 0.05))
            if not readable:
                continue
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def receive(fd: int, deadline: float | None = None):
    (length,) = _LENGTH.unpack(read_exactly(fd, _LENGTH.size, deadline))
    if length > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {length} bytes is over the {MAX_MESSAGE_BYTES} byte limit")
    return loads(read_exactly(fd, length, deadline))
