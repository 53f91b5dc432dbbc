"""`cvgrade`: the command line. Each verb is a thin wrapper around one engine module.

For learners: `list` the assignments, `check` one (points and feedback per exercise, the same
run as `pytest graders/test_<id>.py`), `watch` it while you edit. For instructors: `batch`
grades a class; `release` writes the learners' bundle (no solutions, no hidden data);
`gradescope` writes an assignment's Gradescope autograder. For course teams: `notebooks` writes
the learners' notebooks from exercises/; `fixtures` rebuilds the reference observations from
solutions/.
"""

from __future__ import annotations

import argparse
import sys


def _fixtures(args) -> int:
    from graders.control.observe import regenerate
    from graders.judge.references import NoSolutions
    from graders.shared.registry import SUITES, assignment

    try:
        for name in args.assignments or SUITES:
            for path in regenerate(assignment(name)):
                print(f"wrote {path}")
    except NoSolutions as error:
        print(f"cvgrade fixtures: {error}", file=sys.stderr)
        return 2
    return 0


def _release(args) -> int:
    from pathlib import Path

    from graders.frontends.release import ReleaseRefused, release

    try:
        written, bundle = release(Path(args.out), force=args.force)
    except ReleaseRefused as error:
        print(f"cvgrade release: {error}", file=sys.stderr)
        return 2
    print(f"wrote the learners' bundle: {len(written)} files in {Path(args.out).resolve()} "
          f"(its README.md says how to set up and grade)")
    for name, why in sorted(bundle.left_out.items()):
        print(f"  left out {name}: {why}")
    return 0


def _list(args) -> int:
    from graders.shared.registry import all_assignments

    rows = [("id", "points", "kind", "fill in", "or the notebook", "title")]
    for suite in all_assignments():
        rows.append((suite.id, f"{suite.max_points:g}", "graded" if suite.counts_for_grade else "practice",
                     f"exercises/{suite.module}.py", f"notebooks/{suite.notebook}", suite.title))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[5])
    print("\ncvgrade check ID [PATH]  grades one (PATH: a .py, a folder or a notebook; default exercises/)")
    return 0


def _check(args, extra: list[str]) -> int:
    from pathlib import Path

    import pytest

    from graders.shared.paths import ROOT
    from graders.shared.registry import assignment

    try:
        suite = assignment(args.assignment)
    except KeyError as error:
        print(f"cvgrade check: {error.args[0]}", file=sys.stderr)
        return 2
    command = [str(ROOT / "graders" / f"test_{suite.id}.py"), "-p", "no:cacheprovider", "--rootdir", str(ROOT)]
    if args.path:
        command += ["--submission", str(Path(args.path).resolve())]
    return int(pytest.main(command + extra))


def _notebooks(args) -> int:
    from pathlib import Path

    from graders.frontends.notebooks import DEFAULT_OUT, write_notebooks

    written, kept = write_notebooks(Path(args.out) if args.out else DEFAULT_OUT, force=args.force)
    for path in written:
        print(f"wrote {path}")
    for path in kept:
        print(f"kept {path}: its cells were changed after it was written (your work?); "
              "--force overwrites it", file=sys.stderr)
    return 1 if kept else 0


def _batch(args) -> int:
    from pathlib import Path

    from graders.control.sandbox import SandboxUnavailable
    from graders.frontends.batch.progress import Progress
    from graders.frontends.batch.runner import BatchOptions, BatchRun
    from graders.shared.limits import Limits, MiB

    if args.executor == "dask" and not args.scheduler:
        print("cvgrade batch: --executor dask needs --scheduler tcp://HOST:PORT", file=sys.stderr)
        return 2
    limits = Limits(probe_seconds=args.time_limit, memory_bytes=args.memory_limit * MiB)
    options = BatchOptions(Path(args.submissions), args.assignment, Path(args.out), jobs=args.jobs,
                           limits=limits, sandbox=args.sandbox, executor=args.executor,
                           scheduler=args.scheduler, redo=args.redo, seed=args.seed)
    run = BatchRun(options, Progress())
    try:
        records = run.run()
    except (FileNotFoundError, KeyError) as error:
        print(f"cvgrade batch: {error}", file=sys.stderr)
        return 2
    except SandboxUnavailable as error:
        print(f"cvgrade batch: nothing was graded: {error}", file=sys.stderr)
        return 2
    graded = sum(r.status == "graded" for r in records)
    print(f"{graded} of {len(records)} learners graded; gradebook: {Path(args.out) / 'gradebook.csv'}, "
          f"class summary: {Path(args.out) / 'summary.html'}; sandbox: {run.sandbox}")
    return 0


def _gradescope(args) -> int:
    from pathlib import Path

    from graders.frontends.gradescope_export import ExportRefused, export
    from graders.shared.limits import Limits, MiB
    from graders.shared.registry import assignment

    try:
        suite = assignment(args.assignment)
        limits = Limits(probe_seconds=args.time_limit, memory_bytes=args.memory_limit * MiB)
        names = export(suite, Path(args.out), limits, args.sandbox)
    except (KeyError, ExportRefused) as error:
        print(f"cvgrade gradescope: {error.args[0]}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {suite.title}, {len(names)} files (setup.sh, run_autograder and the grader); "
          "upload it as the autograder of a Gradescope programming assignment")
    return 0


def _watch(args) -> int:
    from pathlib import Path

    from graders.control.session import LocalProcess
    from graders.control.warmserver import learner_server
    from graders.frontends.watch import watch
    from graders.shared.paths import EXERCISES
    from graders.shared.registry import assignment

    try:
        suite = assignment(args.assignment)
    except KeyError as error:
        print(f"cvgrade watch: {error.args[0]}", file=sys.stderr)
        return 2
    path = Path(args.path) if args.path else EXERCISES
    if not path.exists():
        print(f"cvgrade watch: {path} does not exist", file=sys.stderr)
        return 2
    if args.no_server:
        return watch(suite, path, lambda: LocalProcess)
    print(f"cvgrade: grading with {learner_server().describe()}")
    return watch(suite, path, learner_server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cvgrade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="the assignments and labs, with their points and files")
    listing.set_defaults(run=_list)
    check = verbs.add_parser("check", help="grade one assignment: points and feedback per exercise",
                             epilog="Other options go to pytest, e.g. --report report.html (pictures, layer tables, "
                                    "what ran), --grade-json results.json, -k compile.")
    check.add_argument("assignment", help="assignment id, e.g. c3w3 (any case; see cvgrade list)")
    check.add_argument("path", nargs="?", help="a .py file, a folder or a notebook (default: exercises/)")
    check.set_defaults(run=_check, passes_on=True)
    watch = verbs.add_parser("watch", help="grade again every time you save (uses the warm grading server)")
    watch.add_argument("assignment", help="assignment id, e.g. c3w3")
    watch.add_argument("path", nargs="?", help="what to grade (default: exercises/)")
    watch.add_argument("--no-server", action="store_true", help="grade in a fresh interpreter each time")
    watch.set_defaults(run=_watch)
    batch = verbs.add_parser("batch", help="(instructors) grade a folder of submissions, one entry per learner")
    batch.add_argument("submissions", help="folder with one .py, .ipynb, folder or .zip per learner")
    batch.add_argument("--assignment", required=True, help="assignment id, e.g. c3w3")
    batch.add_argument("--out", required=True, help="folder for the gradebook, reports and summary")
    batch.add_argument("--jobs", type=int, default=2, help="learners graded at once (default 2)")
    batch.add_argument("--time-limit", type=float, default=120.0, help="seconds per exercise (default 120)")
    batch.add_argument("--memory-limit", type=int, default=4096, help="MiB per learner (default 4096)")
    batch.add_argument("--sandbox", choices=("auto", "bubblewrap", "off"), default="auto",
                       help="auto (default) or bubblewrap: grade in the bubblewrap sandbox, tried a "
                            "few times, else refuse to grade; off: grade without it (only when asked)")
    batch.add_argument("--executor", choices=("local", "dask"), default="local")
    batch.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    batch.add_argument("--redo", "--force", dest="redo", action="store_true",
                       help="grade everyone again (default: only learners without a result for "
                            "their current files)")
    batch.add_argument("--seed", type=int, help="probe seed (default: a secret one per run; the "
                                                  "reports record it, so a regrade can reuse it)")
    batch.set_defaults(run=_batch)
    publish = verbs.add_parser("release", help="(instructors) write the learners' bundle: stubs, course code and "
                                                "public graders, without solutions or hidden data")
    publish.add_argument("out", help="an empty (or new) folder for the bundle")
    publish.add_argument("--force", action="store_true", help="write into OUT even if it is not empty (the "
                                                               "bundle's files replace what is there)")
    publish.set_defaults(run=_release)
    gradescope = verbs.add_parser("gradescope", help="(instructors) write an assignment's Gradescope autograder zip")
    gradescope.add_argument("assignment", help="assignment id, e.g. c3w4 (graded assignments only)")
    gradescope.add_argument("out", help="the zip to write, e.g. c3w4_autograder.zip")
    gradescope.add_argument("--time-limit", type=float, default=120.0, help="seconds per exercise (default 120)")
    gradescope.add_argument("--memory-limit", type=int, default=4096, help="MiB per learner (default 4096)")
    gradescope.add_argument("--sandbox", choices=("auto", "bubblewrap", "off"), default="auto",
                            help="as for batch: auto (default) grades only in bubblewrap's sandbox; off "
                                 "grades without it (only when asked)")
    gradescope.set_defaults(run=_gradescope)
    notebooks = verbs.add_parser("notebooks", help="(course team) write one Jupyter notebook per assignment "
                                                   "and lab from exercises/")
    notebooks.add_argument("out", nargs="?", help="folder to write them in (default: notebooks/)")
    notebooks.add_argument("--force", action="store_true",
                           help="overwrite notebooks whose cells were changed after they were written")
    notebooks.set_defaults(run=_notebooks)
    fixtures = verbs.add_parser("fixtures", help="(course team) regenerate reference observations from solutions/")
    fixtures.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    fixtures.set_defaults(run=_fixtures)
    args, extra = parser.parse_known_args(argv)
    if getattr(args, "passes_on", False):
        return args.run(args, extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
