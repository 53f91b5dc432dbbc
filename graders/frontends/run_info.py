"""What ran, for a report's reproducibility table: versions, fixture hashes, how a path is shown.

Both front ends fill the table from here: `cvgrade batch` (with its seed and sandbox) and the
pytest plugin's `--report` (the public seed, the warm server). Nothing secret goes in: no
environment, no hidden data, only versions, hashes and settings a regrade needs.
"""

from __future__ import annotations

import hashlib
import os
import platform
from importlib import metadata
from pathlib import Path

from graders.shared.paths import FIXTURES
from graders.shared.registry import Assignment

PACKAGES = ("cvgrade", "tensorflow", "keras", "numpy")


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """The versions a result depends on, read from package metadata (nothing is imported)."""
    return {**{package: version(package) for package in PACKAGES}, "python": platform.python_version()}


def fixture_hashes(assignment: Assignment) -> dict[str, str]:
    """Each file under fixtures/<assignment>/ (reference observations, data): its sha256, short."""
    hashes = {}
    folder = FIXTURES / assignment.id
    for path in sorted(folder.rglob("*")) if folder.exists() else []:
        if path.is_file():
            hashes[str(path.relative_to(FIXTURES))] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return hashes


def fixtures_digest(assignment: Assignment) -> str:
    """One hash of all of an assignment's fixture files (names and contents), and how many."""
    hashes = fixture_hashes(assignment)
    digest = hashlib.sha256("".join(f"{name}\0{h}\n" for name, h in hashes.items()).encode()).hexdigest()[:16]
    return f"{digest} ({len(hashes)} files)"


def shown_path(path: str | os.PathLike, cwd: str | os.PathLike | None = None) -> str:
    """`path` as a reader of a report should see it: relative to the working folder when inside
    it, else by its name alone (relative to its own folder); never the machine's absolute path."""
    base = Path(cwd or os.getcwd()).resolve()
    resolved = (base / path).resolve()  # an absolute `path` stays itself
    if resolved == base:
        return "."
    if resolved.is_relative_to(base):
        return str(resolved.relative_to(base))
    return resolved.name or str(path)
