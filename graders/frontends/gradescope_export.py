"""`cvgrade gradescope ASSIGNMENT OUT.zip`: the assignment as a Gradescope autograder.

Gradescope unpacks the zip into `/autograder/source`, runs its `setup.sh` once as
root to build the grading image, then runs `run_autograder` for every submission
(`gradescope_run.py`: one learner graded by the batch machinery). The zip holds
the two scripts and the project's grading parts (`paths.GRADING_PARTS`), with the
registry deciding what of the answers goes in: every other assignment's hidden
set and trained reference model stay out. Practice labs are refused: a Gradescope
assignment is a grade, and a lab's score counts for none (learners check labs
themselves with `cvgrade check`).
"""

from __future__ import annotations

import io
import shlex
import stat
import zipfile
from pathlib import Path

from graders.frontends.batch.intake import MODEL_SUFFIXES
from graders.frontends.project_files import project_files, solutions_folder
from graders.shared.files import atomic_write_bytes
from graders.shared.limits import Limits, MiB
from graders.shared.paths import GRADING_PARTS, ROOT
from graders.shared.registry import Assignment, all_assignments

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, on its Ubuntu image: Python 3.11 or newer, bubblewrap (the
# sandbox learner code runs in), and a virtual environment with this project installed from the
# copy beside this script. Only Ubuntu's packages and PyPI are used.
set -euo pipefail
root="${CVGRADE_AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends bubblewrap
python=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null \\
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        python="$candidate"
        break
    fi
done
if [ -z "$python" ]; then
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
    python=python3.11
fi
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    apt-get install -y --no-install-recommends \\
        "python$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"
fi
"$python" -m venv "$root/venv"
"$root/venv/bin/python" -m pip install --upgrade pip
"$root/venv/bin/python" -m pip install -e "$root/source"
chmod -R a+rX "$root/source" "$root/venv"
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: the upload in $root/submission/ is graded as
# `cvgrade batch` grades one learner, and $root/results/results.json written, whatever happens.
set -uo pipefail
root="${CVGRADE_AUTOGRADER_ROOT:-/autograder}"
results="$root/results/results.json"
rm -f "$results"
export PYTHONPATH="$root/source:$root/source/exercises"
cd "$root/source"
"$root/venv/bin/python" -m graders.frontends.gradescope_run {arguments}
status=$?
if [ ! -s "$results" ]; then
    mkdir -p "$root/results"
    why="the autograder stopped (status $status) before it could write its results; tell your instructor"
    printf '{"score": 0, "tests": [], "output": "not graded: %s"}\\n' "$why" > "$results"
fi
exit 0
"""


class ExportRefused(Exception):
    """The assignment cannot be exported; the message says why in one sentence."""


def _left_out(suite: Assignment) -> set[str]:
    """What the registry says this assignment's installation must not hold: the other
    assignments' hidden sets and the solutions' trained models they alone use."""
    own_models = set(suite.model_files)
    solutions = solutions_folder()
    left = set()
    for other in all_assignments():
        if other.id == suite.id:
            continue
        left.update(path for path in other.hidden_data if path not in suite.hidden_data)
        left.update((solutions / name).as_posix() for name in other.model_files if name not in own_models)
    return left


def _learner_leftover(name: str) -> bool:
    """A model a learner trained beside the stubs: the provided code holds none at its top level."""
    path = Path(name)
    return path.parent == Path("exercises") and path.suffix.lower() in MODEL_SUFFIXES


def source_files(suite: Assignment, root: Path = ROOT) -> list[Path]:
    """Every file of the project the zip holds for `suite` (`project_files`: what git lists), sorted."""
    left_out = _left_out(suite)
    return [root / name for name in project_files(root)
            if name.split("/", 1)[0] in GRADING_PARTS and name not in left_out and not _learner_leftover(name)]


def scripts(suite: Assignment, limits: Limits, sandbox: str) -> dict[str, str]:
    arguments = [suite.id, "--time-limit", f"{limits.probe_seconds:g}",
                 "--memory-limit", str(limits.memory_bytes // MiB), "--sandbox", sandbox]
    return {"setup.sh": SETUP, "run_autograder": RUN.replace("{arguments}", shlex.join(arguments))}


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # the same zip for the same files
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
    archive.writestr(info, data)


def export(suite: Assignment, out: Path, limits: Limits = Limits(), sandbox: str = "auto",
           root: Path = ROOT) -> list[str]:
    """Write the autograder zip to `out`; return the names it holds."""
    if not suite.counts_for_grade:
        graded = ", ".join(a.id for a in all_assignments() if a.counts_for_grade)
        raise ExportRefused(f"{suite.id} is a practice lab, which counts for no grade: learners check it "
                            f"themselves with `cvgrade check {suite.id}`; export a graded assignment ({graded})")
    names = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in scripts(suite, limits, sandbox).items():
            _add(archive, name, text.encode(), executable=True)
            names.append(name)
        for path in source_files(suite, root):
            name = path.relative_to(root).as_posix()
            _add(archive, name, path.read_bytes(), executable=False)
            names.append(name)
    atomic_write_bytes(out, buffer.getvalue())
    return names
