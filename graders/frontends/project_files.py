"""The project's own files, as git lists them: what `cvgrade release` and `cvgrade gradescope`
choose from, so that what a build leaves behind (caches, an editable install's egg-info, models
and saliency maps trained beside the stubs: .gitignore names them) goes into neither."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from graders.shared.paths import ROOT, SOLUTIONS

SKIPPED_NAMES = ("__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints")  # when there is no git


def project_files(root: Path = ROOT) -> list[str]:
    """The project's files, relative to `root`: git's list (tracked, and new files it does not
    ignore) when `root` is a checkout, else every file but caches and dot-folders."""
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
                                 "--exclude-standard"], capture_output=True, check=True).stdout
        names = sorted({name for name in listed.decode().split("\0") if name})
    except (OSError, subprocess.CalledProcessError):
        names = []
        for folder, subfolders, found in os.walk(root):
            subfolders[:] = [d for d in subfolders if d not in SKIPPED_NAMES and not d.startswith(".")
                          and not d.endswith(".egg-info")]
            names += [os.path.relpath(os.path.join(folder, name), root) for name in found
                      if not name.endswith(".pyc")]
        names.sort()
    return [name for name in names if (root / name).is_file() and not (root / name).is_symlink()]


def solutions_folder() -> Path:
    """solutions/, relative to the repository."""
    return SOLUTIONS.relative_to(ROOT) if SOLUTIONS.is_relative_to(ROOT) else Path("solutions")
