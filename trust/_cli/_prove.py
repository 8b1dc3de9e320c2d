"""``care-trust prove`` (also ``python -m trust.proofs``): the library's own proofs.

A header with the number of properties prints at once; each property's row prints as it
finishes (in the order of the report, whichever worker finishes first), and on a terminal
a progress line ``[37/97] subject: property ... proved (12 ms)`` stands under the rows.
Nothing but the rows and the report is written when the output is not a terminal. Text
fits the terminal's width, or 100 columns when the output is not a terminal.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from trust._cli._outputs import FINDING, OK, USAGE_ERROR, Outputs, add_output_options, write_files
from trust._clock import SYSTEM_CLOCK

if TYPE_CHECKING:
    from trust.proofs._property import Outcome, Property, Settings

ONLY_RULE = (
    'Each PATTERN is matched against "subject: property" ignoring case: as a glob over the '
    "whole text when it holds *, ? or [, else as a substring. Repeat --only to run the "
    "properties any of them matches; a PATTERN that matches nothing is an error."
)

_EPILOG = f"""\
--only: {ONLY_RULE}
examples:
  --only rate_limit                 every property of the rate_limit dimension
  --only 'posture lifecycle: *'     the posture lifecycle's properties (a glob)
  --only breaker --only 'modes'     the breaker's properties and the interaction modes'
  --list --only conformance         show what --only selects, without running it

exit codes: 0 every property proved (or refuted where a refutation is expected), 1 a
property failed (refuted, unknown or no longer refuted), 2 a usage or file error."""

MIN_WIDTH = 60


def _parser(prog: str) -> argparse.ArgumentParser:
    from trust.proofs._solver import DEFAULT_TIMEOUT_MS

    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Prove the library's own properties (the lifecycles, their product, the constraint "
            "dimensions and the interaction modes) and check that the runtime conforms to them."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only",
        metavar="PATTERN",
        action="append",
        help="run only the properties PATTERN matches (repeatable; see below)",
    )
    parser.add_argument("--list", action="store_true", help="list the selected properties and exit")
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
        default=None,
        help="worker processes (default: one per available core)",
    )
    add_output_options(parser)
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "care-trust prove") -> int:
    """Run the proofs; the exit code is 0, 1 (a property failed) or 2 (a usage error)."""
    parser = _parser(prog)
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error(f"--timeout must be a positive number of ms, got {args.timeout}")
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be a positive number of processes, got {args.jobs}")
    outputs = Outputs.of(args, parser)

    from trust import proofs
    from trust.proofs._property import Settings
    from trust.proofs._runner import default_jobs, select, unmatched, workers

    every = proofs.all_properties()
    missing = unmatched(every, args.only)
    if missing:
        subjects = ", ".join(dict.fromkeys(p.subject for p in every))
        parser.error(
            f"--only {', '.join(map(repr, missing))} matches no property "
            f"(subjects: {subjects}; --list shows the properties)"
        )
    chosen = select(every, args.only)
    if args.list:
        print("\n".join(p.key for p in chosen))
        return OK
    jobs = default_jobs() if args.jobs is None else args.jobs
    settings = Settings(timeout_ms=args.timeout, deep=args.deep)
    out, err = sys.stdout, sys.stderr
    width = _width(out)
    processes = workers(jobs, len(chosen))
    header = (
        f"{prog}: {len(chosen)} properties, {processes} worker "
        f"process{'es' if processes > 1 else ''}, solver timeout {args.timeout} ms per query"
        + (", deep profile" if args.deep else "")
    )
    if not outputs.json:
        print(header, end="\n\n", file=out, flush=True)
    elif err.isatty():
        print(header, file=err, flush=True)
    progress = _Progress(err, _width(err), len(chosen)) if err.isatty() else None
    try:
        outcomes, wall = _stream(chosen, settings, jobs, out, width, outputs.json, progress)
    except KeyboardInterrupt:
        if progress is not None:
            progress.clear()
        print(f"{prog}: interrupted", file=err)
        return 130
    return _finish(outcomes, wall, outputs, processes, out, width, prog)


def _stream(
    chosen: Sequence[Property],
    settings: Settings,
    jobs: int,
    out: TextIO,
    width: int,
    quiet: bool,
    progress: _Progress | None,
) -> tuple[list[Outcome], float]:
    """Run, showing each row as its outcome arrives; the outcomes and the wall time."""
    from trust.proofs._report import heading, row
    from trust.proofs._runner import run_each

    started = SYSTEM_CLOCK.monotonic()
    outcomes: list[Outcome] = []
    subject = None
    for outcome in run_each(chosen, settings, jobs):
        outcomes.append(outcome)
        if progress is not None:
            progress.clear()
        if not quiet:
            lines = []
            if outcome.prop.subject != subject:
                subject = outcome.prop.subject
                lines += heading(subject, width=width)
            lines += row(outcome, width=width)
            print("\n".join(lines), file=out, flush=True)
        if progress is not None:
            progress.show(outcome)
    if progress is not None:
        progress.clear()
    return outcomes, SYSTEM_CLOCK.monotonic() - started


def _finish(
    outcomes: list[Outcome],
    wall: float,
    outputs: Outputs,
    processes: int,
    out: TextIO,
    width: int,
    prog: str,
) -> int:
    from trust.policy import Report
    from trust.proofs._report import RULES, findings, summary, tail, to_json, write_junit

    shown_wall = wall if processes > 1 else None
    if outputs.json:
        print(to_json(outcomes, wall=wall), file=out, flush=True)
    else:
        print("\n".join(tail(outcomes, width=width, wall=shown_wall)), file=out, flush=True)
    code = OK if all(o.ok for o in outcomes) else FINDING
    if outputs.junit is not None:
        try:
            write_junit(outcomes, outputs.junit)
        except OSError as error:
            code = USAGE_ERROR
            print(f"{prog}: cannot write --junit {str(outputs.junit)!r}: {error}", file=sys.stderr)
    # Any: the converter of Report.summary (MappingProxyType) leaves its type unbound.
    counts: Any = summary(outcomes, wall=wall)
    report = Report(command="prove", findings=findings(outcomes), summary=counts)
    sarif_only = Outputs(sarif=outputs.sarif)
    return write_files(report, sarif_only, lambda _: True, code, prog=prog, descriptions=RULES)


class _Progress:
    """The line under the rows on a terminal: ``[k/N] subject: property ... result (time)``."""

    def __init__(self, stream: TextIO, width: int, total: int) -> None:
        self.stream, self.width, self.total, self.done = stream, width, total, 0
        self.shown = False

    def show(self, outcome: Outcome) -> None:
        from trust.proofs._report import duration

        self.done += 1
        # The last column stays empty: a terminal wraps a line that fills it.
        room = self.width - 1
        count = f"[{self.done}/{self.total}] "
        verdict = f" ... {outcome.result} ({duration(outcome.seconds)})"
        key = outcome.prop.key
        keep = room - len(count) - len(verdict) - 3
        if len(count) + len(key) + len(verdict) > room and keep >= 10:
            # The key gives way first, so a short verdict stays in view.
            key = key[:keep] + "..."
        line = count + key + verdict
        if len(line) > room:
            line = line[: room - 3] + "..."
        self.stream.write(f"\r\x1b[K{line}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def _width(stream: TextIO) -> int:
    """The terminal's columns when ``stream`` is one, else ``COLUMNS`` if set, else 100."""
    from trust.proofs._report import WIDTH

    if not stream.isatty():
        # A CI log or a pipe: 100 columns, unless the caller asked for a width.
        columns = os.environ.get("COLUMNS", "")
        return max(MIN_WIDTH, int(columns)) if columns.isascii() and columns.isdigit() else WIDTH
    return max(MIN_WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns)


__all__ = ["ONLY_RULE", "main"]
