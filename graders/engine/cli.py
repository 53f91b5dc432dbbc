"""`cvgrade`: the command line. Each verb is a thin wrapper around one engine module."""

from __future__ import annotations

import argparse
import sys


def _fixtures(args) -> int:
    from .references import regenerate
    from .registry import SUITES, assignment

    for name in args.assignments or SUITES:
        for path in regenerate(assignment(name)):
            print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cvgrade", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    fixtures = verbs.add_parser("fixtures", help="regenerate reference observations from solutions/")
    fixtures.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    fixtures.set_defaults(run=_fixtures)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
