"""One Gradescope submission graded by the batch machinery: what `run_autograder` runs.

Gradescope puts the learner's upload in `ROOT/submission/` and reads
`ROOT/results/results.json` (ROOT is `/autograder`, or `$CVGRADE_AUTOGRADER_ROOT`).
The upload becomes the one entry of a batch run (`SingleSubmissionRun`), so it is
staged, sandboxed, limited, seeded with a secret seed and judged exactly as
`cvgrade batch` judges a learner, and its results.json is the batch's. Whatever
goes wrong, results.json is written: 0 points and the sentence why.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from graders import render
from graders.control.sandbox import SandboxUnavailable
from graders.frontends.batch.intake import MODEL_SUFFIXES, SKIPPED_NAMES, Entry
from graders.frontends.batch.progress import Progress
from graders.frontends.batch.runner import BatchOptions, BatchRun, ReferencesFailed, learner_folder
from graders.shared.files import atomic_write_text
from graders.shared.limits import Limits, MiB
from graders.shared.registry import assignment as find_assignment

ROOT_VARIABLE = "CVGRADE_AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
LEARNER = "submission"  # the learner's id in the run: Gradescope grades one learner at a time


def autograder_root() -> Path:
    return Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT)


def submission_entry(folder: Path) -> Entry:
    """The upload as a batch entry: a learner's folder (code, notebook, model file, saliency
    maps, helpers, all kept), or the zip when the upload is a zip with nothing beside it but
    model files. Model files at the top level go with it as a batch groups `alice.keras` with
    `alice.py`: when none has a name the assignment looks for, one is copied under that name."""
    names = sorted(name for name in os.listdir(folder)
                   if name not in SKIPPED_NAMES and not name.startswith("."))
    paths = [folder / name for name in names]
    models = tuple(path for path in paths if path.suffix.lower() in MODEL_SUFFIXES
                   and path.is_file() and not path.is_symlink())
    others = [path for path in paths if path not in models]
    if len(others) == 1 and others[0].suffix.lower() == ".zip" and others[0].is_file() \
            and not others[0].is_symlink():
        return Entry(LEARNER, (others[0], *models), "zip")
    return Entry(LEARNER, (folder, *models), "folder")


class SingleSubmissionRun(BatchRun):
    """A batch of one: the upload, not the entries of a submissions folder."""

    def __init__(self, options: BatchOptions, entry: Entry, progress: Progress | None = None):
        super().__init__(options, progress)
        self.entry = entry

    def entries(self) -> list[Entry]:
        return [self.entry]


def grade(root: Path, assignment_id: str, limits: Limits, sandbox: str) -> dict:
    """Grade `root/submission`; write and return `root/results/results.json`'s document."""
    results = root / "results"
    started = time.monotonic()
    try:
        document = _graded_document(root, assignment_id, limits, sandbox, results)
    except SandboxUnavailable as error:
        document = render.not_graded_document(f"the autograder could not start its sandbox, so nothing was "
                                              f"graded; tell your instructor: {error}")
    except ReferencesFailed as error:
        document = render.not_graded_document(f"the autograder could not observe its reference solutions; "
                                              f"tell your instructor: {error}")
    except Exception as error:  # noqa: BLE001 - Gradescope must always get a results.json
        document = render.not_graded_document(f"the autograder failed ({type(error).__name__}: "
                                              f"{str(error)[:300]}); tell your instructor")
    document["execution_time"] = round(time.monotonic() - started)
    atomic_write_text(results / "results.json", json.dumps(document, indent=2))
    return document


def _graded_document(root: Path, assignment_id: str, limits: Limits, sandbox: str, results: Path) -> dict:
    submission = root / "submission"
    if not submission.is_dir():
        return render.not_graded_document(f"there is no submission folder at {submission}")
    suite = find_assignment(assignment_id)
    entry = submission_entry(submission)
    with tempfile.TemporaryDirectory(prefix="cvgrade-gradescope-") as work:
        out = Path(work)
        options = BatchOptions(submission, suite.id, out, jobs=1, limits=limits, sandbox=sandbox, redo=True)
        run = SingleSubmissionRun(options, entry, Progress(stream=sys.stdout))
        run.run()
        folder = learner_folder(out, LEARNER)
        document = json.loads((folder / "results.json").read_text())
        report = folder / "report.html"
        if report.exists():  # for the course team's debugging session; Gradescope shows results.json only
            results.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(report, results / "report.html")
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.frontends.gradescope_run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--memory-limit", type=int, default=4096)
    parser.add_argument("--sandbox", choices=("auto", "bubblewrap", "off"), default="auto")
    args = parser.parse_args(argv)
    limits = Limits(probe_seconds=args.time_limit, memory_bytes=args.memory_limit * MiB)
    root = autograder_root()
    document = grade(root, args.assignment, limits, args.sandbox)
    total = sum(test.get("max_score", 0) for test in document.get("tests", []))
    print(f"score {document['score']:g} of {total:g}; results: {root / 'results' / 'results.json'}")
    for line in str(document.get("output", "")).splitlines()[:5]:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
