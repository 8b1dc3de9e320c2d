"""``care-trust``: the command-line entry point.

``care-trust check POLICY...``, ``care-trust diff OLD NEW``, ``care-trust prove`` and
``care-trust diagrams``. Exit codes: 0 ok, 1 a finding, 2 a usage or file error (argparse's
errors included). Every command but ``diagrams`` takes ``--json``, ``--junit FILE`` and
``--sarif FILE`` (`trust._cli._outputs`).

Each command imports what it needs only when it runs, so ``care-trust --help`` works on a
runtime-only install, and a command whose extra is missing says which extra to install in
one line instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from trust._cli._outputs import FINDING, OK, USAGE_ERROR, broken_pipe
from trust._version import __version__

_EXTRAS = {
    "z3": "verify",
    "statemachine": "verify",
    "graphviz": "diagrams",
    "graphviz_pure": "diagrams",
}
"""The extra that installs each optional top-level module a command may import."""


def _check(argv: Sequence[str]) -> int:
    from trust._cli._policy import check_main

    return check_main(argv, prog="care-trust check")


def _diff(argv: Sequence[str]) -> int:
    from trust._cli._policy import diff_main

    return diff_main(argv, prog="care-trust diff")


def _prove(argv: Sequence[str]) -> int:
    from trust._cli._prove import main

    return main(argv, prog="care-trust prove")


def _diagrams(argv: Sequence[str]) -> int:
    from trust.proofs._review import main

    return main(argv, prog="care-trust diagrams")


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "check": (_check, "validate, prove and lint policy files"),
    "diff": (_diff, "compare two policy files: equivalent, tighter, looser or incomparable"),
    "prove": (_prove, "prove the library's own properties and conformance (the proof run)"),
    "diagrams": (
        _diagrams,
        "draw the lifecycle diagrams (.dot, .svg, .mmd) and the review page (README.md)",
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``care-trust COMMAND [ARGS]``; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="care-trust",
        description="Verified trust postures, circuit breakers and constraint checks.",
        epilog=(
            "Run 'care-trust COMMAND --help' for a command's options. Exit codes: 0 ok, "
            "1 a finding, 2 a usage or file error."
        ),
    )
    parser.add_argument(
        "command",
        choices=list(COMMANDS),
        help="; ".join(f"{name}: {text}" for name, (_, text) in COMMANDS.items()),
    )
    if not args or args[0] in ("-h", "--help"):
        parser.print_help(None if args else sys.stderr)
        return OK if args else USAGE_ERROR
    if args[0] == "--version":
        print(f"care-trust {__version__}")
        return OK
    if args[0] not in COMMANDS:
        parser.print_usage(sys.stderr)
        print(f"care-trust: unknown command {args[0]!r}", file=sys.stderr)
        return USAGE_ERROR
    run, _ = COMMANDS[args[0]]
    try:
        return run(args[1:])
    except SystemExit as done:  # argparse: --help is 0, a usage error 2
        return _code(done.code)
    except BrokenPipeError:
        return broken_pipe()
    except ModuleNotFoundError as missing:
        extra = _EXTRAS.get((missing.name or "").split(".")[0])
        if extra is None:
            raise
        print(
            f"care-trust {args[0]}: needs the {extra} extra (missing module {missing.name!r}); "
            f"install it with: pip install 'care-trust[{extra}]'",
            file=sys.stderr,
        )
        return USAGE_ERROR


def _code(code: object) -> int:
    if code is None:
        return OK
    if type(code) is int:
        return code
    print(code, file=sys.stderr)
    return USAGE_ERROR


__all__ = ["COMMANDS", "FINDING", "OK", "USAGE_ERROR", "main"]


if __name__ == "__main__":  # pragma: no cover - the console script calls main
    sys.exit(main())
