"""``python -m trust.proofs``: prove every property; exit 1 on any failure."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from trust.proofs import all_properties
from trust.proofs._property import Settings
from trust.proofs._runner import default_jobs, run, select, table, to_json, write_junit
from trust.proofs._solver import DEFAULT_TIMEOUT_MS


def main(argv: Sequence[str] | None = None, prog: str = "python -m trust.proofs") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("--only", metavar="PATTERN", help="run properties matching PATTERN")
    parser.add_argument(
        "--timeout",
        metavar="MS",
        type=int,
        default=DEFAULT_TIMEOUT_MS,
        help=f"per-query solver timeout in ms (default {DEFAULT_TIMEOUT_MS})",
    )
    parser.add_argument(
        "--deep",
        action="store_true",
        help="the deep profile: conformance checks explore larger bounds (minutes)",
    )
    parser.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=default_jobs(),
        help=f"worker processes (default {default_jobs()}: one per available core)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--junit", metavar="FILE", type=Path, help="also write JUnit XML")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error(f"--timeout must be a positive number of ms, got {args.timeout}")
    chosen = select(all_properties(), args.only)
    if not chosen:
        parser.error(f"no property matches {args.only!r}")
    if args.jobs < 1:
        parser.error(f"--jobs must be a positive number of processes, got {args.jobs}")
    started = time.perf_counter()
    outcomes = run(chosen, Settings(timeout_ms=args.timeout, deep=args.deep), args.jobs)
    wall = time.perf_counter() - started
    print(to_json(outcomes) if args.json else table(outcomes, wall=wall if args.jobs > 1 else None))
    if args.junit:
        write_junit(outcomes, args.junit)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
