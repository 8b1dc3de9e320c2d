"""Generate the runtime's transition tables from the declared lifecycles.

``python -m trust.model.codegen`` writes ``trust/_generated/<name>.py`` for every lifecycle in
`model.LIFECYCLES`; ``--check`` writes nothing and exits 1 when a committed table differs
from a fresh generation. The output depends only on the spec, so it is byte-stable.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from trust.model.spec import LifecycleSpec


def render(spec: LifecycleSpec) -> str:
    """The source of ``trust/_generated/<spec.name>.py``."""
    lines = [
        f"# Generated from {spec.declared_in} by `python -m trust.model.codegen`. Do not edit.",
        f'"""The {spec.name} lifecycle, as plain data for the runtime.',
        "",
        f"Generated from {spec.declared_in}, do not edit: change the model and regenerate.",
        '"""',
        "",
        "from typing import Final",
        "",
        f"NAME: Final = {_str(spec.name)}",
        *_fitted("STATES: Final = ", spec.states, ""),
        f"INITIAL: Final = {_str(spec.initial)}",
        *_fitted("EVENTS: Final = ", spec.events, ""),
        *_fitted("GUARDS: Final = ", spec.guards, ""),
        "",
        "# (source, event, target, guards): the transition fires only if every guard holds.",
        "TRANSITIONS: Final[tuple[tuple[str, str, str, tuple[str, ...]], ...]] = (",
    ]
    for t in spec.transitions:
        fields = [*map(_str, (t.source, t.event, t.target)), _tuple(t.guards)]
        row = f"    ({', '.join(fields)}),"
        if len(row) <= LINE_LENGTH:
            lines.append(row)
        else:
            lines += ["    (", *(f"        {field}," for field in fields), "    ),"]
    lines.append(")")
    return "\n".join(lines) + "\n"


LINE_LENGTH = 100
"""The project's line length: longer lines are split the way ``ruff format`` splits them."""


def _fitted(prefix: str, items: Sequence[str], suffix: str) -> list[str]:
    line = f"{prefix}{_tuple(items)}{suffix}"
    if len(line) <= LINE_LENGTH:
        return [line]
    return [f"{prefix}(", *(f"    {_str(item)}," for item in items), f"){suffix}"]


def _str(text: str) -> str:
    # Double-quoted, as ruff format writes them, so the generated file needs no reformatting.
    return json.dumps(text)


def _tuple(items: Sequence[str]) -> str:
    if len(items) == 1:
        return f"({_str(items[0])},)"
    return "(" + ", ".join(map(_str, items)) + ")"


def target_path(root: Path, spec: LifecycleSpec) -> Path:
    """Where the table of ``spec`` lives under the project ``root``."""
    return root / "trust" / "_generated" / f"{spec.name}.py"


def _package_root() -> Path:
    """The folder that holds the ``trust`` package, found without importing it."""
    spec = importlib.util.find_spec("trust")
    if spec is None or not spec.submodule_search_locations:
        return Path.cwd()
    return Path(next(iter(spec.submodule_search_locations))).resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    from trust.model import LIFECYCLES

    parser = argparse.ArgumentParser(prog="python -m trust.model.codegen", description=__doc__)
    # The tables live beside the runtime that reads them: in a checkout, trust/_generated
    # of the repository; in an installed copy, the installed package's.
    default_root = _package_root()
    parser.add_argument(
        "--root",
        type=Path,
        default=default_root,
        help=f"the folder holding the trust package (default: {default_root})",
    )
    parser.add_argument("--check", action="store_true", help="fail if a table is out of date")
    args = parser.parse_args(argv)
    stale = []
    for spec in LIFECYCLES:
        path = target_path(args.root, spec)
        text = render(spec)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        print("out of date: " + ", ".join(map(str, stale)) + "; run python -m trust.model.codegen")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
