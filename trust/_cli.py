"""``care-trust``: the command-line entry point.

Each command imports what it needs only when it runs, so ``care-trust --help`` works on a
runtime-only install, and a command whose extra is missing says which extra to install in
one line instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

USAGE_ERROR = 2
"""Exit code of a usage or file error (0 is ok, 1 a finding)."""

_EXTRAS = {
    "z3": "verify",
    "statemachine": "verify",
    "graphviz": "diagrams",
    "graphviz_pure": "diagrams",
}


def _prove(argv: Sequence[str]) -> int:
    from trust.proofs.__main__ import main

    return main(argv, prog="care-trust prove")


def _diagrams(argv: Sequence[str]) -> int:
    from trust.model.diagrams import main

    return main(argv, prog="care-trust diagrams")


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "prove": (_prove, "prove the library's own properties and conformance (the proof run)"),
    "diagrams": (_diagrams, "draw the lifecycle diagrams (.dot, .svg, .mmd)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``care-trust COMMAND [ARGS]``; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="care-trust",
        description="Verified trust postures, circuit breakers and constraint checks.",
        epilog="Run 'care-trust COMMAND --help' for a command's options.",
    )
    parser.add_argument("command", choices=sorted(COMMANDS), help="; ".join(
        f"{name}: {text}" for name, (_, text) in sorted(COMMANDS.items())
    ))
    if not args or args[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if args else USAGE_ERROR
    if args[0] not in COMMANDS:
        parser.print_usage(sys.stderr)
        print(f"care-trust: unknown command {args[0]!r}", file=sys.stderr)
        return USAGE_ERROR
    run, _ = COMMANDS[args[0]]
    try:
        return run(args[1:])
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


if __name__ == "__main__":
    sys.exit(main())
