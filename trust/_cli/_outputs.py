"""What every command shares: the exit codes and the output options.

Exit codes: 0 ok, 1 a finding (the command's rule says which findings fail it), 2 a usage
or file error (argparse's own errors are 2 too). ``--json`` prints JSON instead of text on
standard output; ``--junit FILE`` and ``--sarif FILE`` also write those formats.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from trust._cli._formats import Fails, junit, text, to_json
from trust._cli._sarif import sarif

if TYPE_CHECKING:
    from trust.policy import Report

OK = 0
FINDING = 1
USAGE_ERROR = 2
BROKEN_PIPE = 141
"""The reader of standard output went away (``... | head``): what a shell reports for a
process SIGPIPE ended, without a traceback."""


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """``--json``, ``--junit FILE`` and ``--sarif FILE``."""
    group = parser.add_argument_group("output")
    group.add_argument(
        "--json",
        action="store_true",
        help="print JSON (a summary object and the results, plain JSON values) instead of text",
    )
    group.add_argument("--junit", metavar="FILE", type=Path, help="also write JUnit XML to FILE")
    group.add_argument(
        "--sarif",
        metavar="FILE",
        type=Path,
        help="also write SARIF 2.1.0 to FILE (for code-scanning annotations)",
    )


@attrs.frozen(kw_only=True)
class Outputs:
    """Where a command's results go.

    Attributes:
        json: JSON on standard output instead of text.
        junit: The JUnit XML file to write, if any.
        sarif: The SARIF file to write, if any.
    """

    json: bool = False
    junit: Path | None = None
    sarif: Path | None = None

    @classmethod
    def of(cls, args: argparse.Namespace, parser: argparse.ArgumentParser) -> Outputs:
        """The parsed options; a file whose folder does not exist is a usage error now,
        before any work, rather than after it."""
        for option, path in (("--junit", args.junit), ("--sarif", args.sarif)):
            if path is not None and not path.parent.is_dir():
                parser.error(f"{option} FILE must be in an existing folder, got {str(path)!r}")
        return cls(json=args.json, junit=args.junit, sarif=args.sarif)


def exit_code(report: Report, fails: Fails) -> int:
    """1 when a finding fails the command, else 0."""
    return FINDING if any(fails(f) for f in report.findings) else OK


def emit(
    report: Report,
    outputs: Outputs,
    fails: Fails,
    code: int,
    *,
    prog: str,
    descriptions: Mapping[str, str] | None = None,
) -> int:
    """Show ``report`` (text or JSON on standard output) and write the requested files.

    Returns:
        ``code``, or 2 when a file could not be written (a CI must not miss its report).
    """
    print(to_json(report, fails, code) if outputs.json else text(report, fails), flush=True)
    return write_files(report, outputs, fails, code, prog=prog, descriptions=descriptions)


def write_files(
    report: Report,
    outputs: Outputs,
    fails: Fails,
    code: int,
    *,
    prog: str,
    descriptions: Mapping[str, str] | None = None,
) -> int:
    """Write ``--junit`` and ``--sarif``; ``code``, or 2 when a file could not be written."""
    files: list[tuple[str, Path | None, bytes]] = [
        ("--junit", outputs.junit, junit(report, fails) if outputs.junit else b""),
        (
            "--sarif",
            outputs.sarif,
            sarif(report, code, descriptions).encode() if outputs.sarif else b"",
        ),
    ]
    return max(code, *(write(option, path, data, prog) for option, path, data in files))


def broken_pipe() -> int:
    """Stop writing to a reader that went away, quietly: `BROKEN_PIPE`."""
    # Python flushes standard output again at exit; point it at nothing so that flush
    # cannot raise a second time.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return BROKEN_PIPE


def write(option: str, path: Path | None, data: bytes, prog: str) -> int:
    """Write one output file: 0, or 2 (after saying why) when it cannot be written."""
    if path is None:
        return OK
    try:
        path.write_bytes(data)
    except OSError as error:
        print(f"{prog}: cannot write {option} {str(path)!r}: {error.strerror}", file=sys.stderr)
        return USAGE_ERROR
    return OK


__all__ = [
    "BROKEN_PIPE",
    "FINDING",
    "OK",
    "USAGE_ERROR",
    "Outputs",
    "add_output_options",
    "broken_pipe",
    "emit",
    "exit_code",
    "write",
    "write_files",
]
