"""`cvgrade`: the command line. Each verb is a thin wrapper around one engine module."""

from __future__ import annotations

import argparse
import sys


def _fixtures(args) -> int:
    from graders.control.observe import regenerate
    from graders.shared.registry import SUITES, assignment

    for name in args.assignments or SUITES:
        for path in regenerate(assignment(name)):
            print(f"wrote {path}")
    return 0


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


def _watch(args) -> int:
    from pathlib import Path

    from graders.control.session import LocalProcess
    from graders.control.warmserver import learner_server
    from graders.frontends.watch import watch
    from graders.shared.paths import EXERCISES
    from graders.shared.registry import assignment

    try:
        suite = assignment(args.assignment.lower())
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
    parser = argparse.ArgumentParser(prog="cvgrade", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    fixtures = verbs.add_parser("fixtures", help="regenerate reference observations from solutions/")
    fixtures.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    fixtures.set_defaults(run=_fixtures)
    batch = verbs.add_parser("batch", help="grade a folder of submissions (one entry per learner)")
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
    watch = verbs.add_parser("watch", help="grade again every time you save (uses the warm grading server)")
    watch.add_argument("assignment", help="assignment id, e.g. c3w3")
    watch.add_argument("path", nargs="?", help="what to grade (default: exercises/)")
    watch.add_argument("--no-server", action="store_true", help="grade in a fresh interpreter each time")
    watch.set_defaults(run=_watch)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
