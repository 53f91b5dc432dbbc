"""The Unix sockets between a grading client and its fork server: what both ends agree on."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from pathlib import Path

MAX_MESSAGE = 1 << 16  # one control message (JSON), either way


def peer_uid(connection: socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket (SO_PEERCRED)."""
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", credentials)[1]


@contextlib.contextmanager
def short_address(path: Path):
    """`path` as an address a Unix socket takes whatever its length (the kernel allows 107
    bytes): its folder opened and named through /proc/self/fd."""
    folder = os.open(Path(path).parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{Path(path).name}"
    finally:
        os.close(folder)

