"""Which code and environment a warm server imported: when they change, the server is stale."""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
from pathlib import Path

from graders.shared.paths import ROOT

WATCHED_FOLDERS = ("graders", "exercises")  # what a server imports before any learner code
_FINGERPRINT_ENVIRONMENT = ("KERAS_HOME", "TF_ENABLE_ONEDNN_OPTS", "OMP_NUM_THREADS")


def learner_modules() -> set[str]:
    """File names under exercises/ that are the learner's own (edited between runs): an edit
    there must not end the server, whose workers load them afresh anyway."""
    from graders.shared.registry import all_assignments

    return {f"{suite.module}.py" for suite in all_assignments()}


def environment_key() -> str:
    """The interpreter, its installed packages (their folders change on every install) and the
    variables Keras and TensorFlow read at import: runs that differ here get servers of their own."""
    digest = hashlib.sha256(os.path.realpath(sys.executable).encode())
    for name in _FINGERPRINT_ENVIRONMENT:
        digest.update(f"{name}={os.environ.get(name)}".encode())
    for folder in sorted({sysconfig.get_paths()[key] for key in ("purelib", "platlib")}):
        try:
            digest.update(f"{folder}:{os.stat(folder).st_mtime_ns}".encode())
        except OSError:
            continue
    return digest.hexdigest()[:12]


def code_fingerprint(root: Path = ROOT) -> str:
    """What a server's imports depend on: every engine, suite, data and provided course file
    (by size and modification time), and the environment (`environment_key`)."""
    skip = learner_modules()
    digest = hashlib.sha256(environment_key().encode())
    for folder in WATCHED_FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            if folder == "exercises" and path.name in skip:
                continue
            try:
                info = path.stat()
            except OSError:
                continue
            digest.update(f"{path.relative_to(root)}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
