"""The project's own files, as git lists them: what `cvgrade release` and `cvgrade gradescope`
choose from. Only what is committed (tracked) goes out: what a build leaves behind (caches, an
editable install's egg-info, models and saliency maps trained beside the stubs: .gitignore names
them) and whatever a course team member has not committed yet (a scratch file, a learner's
submission copied in to look at) go into neither; the release names the latter."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from graders.shared.paths import ROOT, SOLUTIONS

SKIPPED_NAMES = ("__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints")  # when there is no git


def _git_listed(root: Path, *which: str) -> list[str] | None:
    """`git ls-files` of `root` with options `which`, or None when `root` is not a checkout."""
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", *which],
                                capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return sorted({name for name in listed.decode().split("\0") if name})


def _files_only(root: Path, names: list[str]) -> list[str]:
    return [name for name in names if (root / name).is_file() and not (root / name).is_symlink()]


def project_files(root: Path = ROOT) -> list[str]:
    """The project's files, relative to `root`: the files git tracks when `root` is a checkout,
    else every file but caches and dot-folders."""
    names = _git_listed(root, "--cached")
    if names is None:
        names = []
        for folder, subfolders, found in os.walk(root):
            subfolders[:] = [d for d in subfolders if d not in SKIPPED_NAMES and not d.startswith(".")
                             and not d.endswith(".egg-info")]
            names += [os.path.relpath(os.path.join(folder, name), root) for name in found
                      if not name.endswith(".pyc")]
        names.sort()
    return _files_only(root, names)


def uncommitted_files(root: Path = ROOT) -> list[str]:
    """New files git neither tracks nor ignores (none when `root` is not a checkout): left out of
    what goes to learners until they are committed."""
    return _files_only(root, _git_listed(root, "--others", "--exclude-standard") or [])


def solutions_folder() -> Path:
    """solutions/, relative to the repository."""
    return SOLUTIONS.relative_to(ROOT) if SOLUTIONS.is_relative_to(ROOT) else Path("solutions")
