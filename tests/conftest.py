"""One warm grading server for the whole test session.

Every test that grades gets its workers forked from this server (TensorFlow imported
once), in-process and in the `pytest`, `cvgrade` and `python` processes the tests start
(they inherit CVGRADE_SERVER). Each submission is still graded in a fresh fork. Tests
about process start-up ask for `LocalProcess` themselves; the batch tests run their own
sandboxed fork servers. `CVGRADE_TEST_SERVER=off` runs the suite without it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from graders.control import warmserver

_server: dict = {}


def pytest_sessionstart(session):
    if os.environ.get("CVGRADE_TEST_SERVER") == "off" or os.environ.get(warmserver.ENVIRONMENT_VARIABLE):
        return
    folder = Path(tempfile.mkdtemp(prefix="cvgrade-tests-"))  # mode 0700
    path = folder / "grading.sock"
    # Started now, it imports TensorFlow while pytest collects.
    _server.update(process=warmserver.start_server(path, idle_seconds=600), folder=folder, path=path)
    os.environ[warmserver.ENVIRONMENT_VARIABLE] = str(path)


def pytest_sessionfinish(session):
    if not _server:
        return
    os.environ.pop(warmserver.ENVIRONMENT_VARIABLE, None)
    process: subprocess.Popen = _server["process"]
    warmserver.stop_server(_server["path"])
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for child in _server["folder"].iterdir():
        child.unlink(missing_ok=True)
    _server["folder"].rmdir()
