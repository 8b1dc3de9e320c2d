"""Generate the runtime's transition tables from the declared lifecycles.

``python -m trust.model.codegen`` writes ``trust/_generated/<name>.py`` for every lifecycle in
`model.LIFECYCLES` and for the breaker-posture coupling (`model.COUPLING_SPEC`): every one
of `model.TABLES`. ``--check`` writes nothing and exits 1 when a committed table differs
from a fresh generation. The output depends only on the spec, so it is byte-stable.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from trust.model.coupling_lifecycle import CouplingSpec
from trust.model.spec import LifecycleSpec

Table = LifecycleSpec | CouplingSpec
"""What codegen writes a table for: a lifecycle, or the coupling of two."""


def render(table: Table) -> str:
    """The source of ``trust/_generated/<table.name>.py``."""
    if isinstance(table, CouplingSpec):
        return _render_coupling(table)
    return _render_lifecycle(table)


def _render_lifecycle(spec: LifecycleSpec) -> str:
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
    lines += _rows(
        [[*map(_str, (t.source, t.event, t.target)), _tuple(t.guards)] for t in spec.transitions]
    )
    return "\n".join(lines) + "\n"


def _render_coupling(coupling: CouplingSpec) -> str:
    spec = coupling.lifecycle
    lines = [
        f"# Generated from {spec.declared_in} by `python -m trust.model.codegen`. Do not edit.",
        '"""The breaker-posture coupling, as plain data for the runtime.',
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
        *_fitted("ACTIONS: Final = ", spec.actions, ""),
        *_fitted("RESTORE_FENCES: Final = ", coupling.restore_fences, ""),
        "",
        "# (source, event, target, guards, actions): the first transition of (source, event)",
        "# whose guards all hold fires, and its actions are carried out in order.",
        "TRANSITIONS: Final[tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...]]"
        " = (",
    ]
    lines += _rows(
        [
            [*map(_str, (t.source, t.event, t.target)), _tuple(t.guards), _tuple(t.actions)]
            for t in spec.transitions
        ]
    )
    lines += [
        "",
        "# (breaker source, breaker event, breaker target, coupling event): what each breaker",
        "# transition sends; a breaker transition not listed sends nothing.",
        "TRIGGERS: Final[tuple[tuple[str, str, str, str], ...]] = (",
    ]
    lines += _rows(
        [list(map(_str, (t.source, t.event, t.target, t.sends))) for t in coupling.triggers]
    )
    return "\n".join(lines) + "\n"


def _rows(rows: Sequence[Sequence[str]]) -> list[str]:
    lines = []
    for fields in rows:
        row = f"    ({', '.join(fields)}),"
        if len(row) <= LINE_LENGTH:
            lines.append(row)
        else:
            lines += ["    (", *(f"        {field}," for field in fields), "    ),"]
    lines.append(")")
    return lines


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
    if not items:
        return "()"
    if len(items) == 1:
        return f"({_str(items[0])},)"
    return "(" + ", ".join(map(_str, items)) + ")"


def target_path(root: Path, spec: Table) -> Path:
    """Where the table of ``spec`` lives under the project ``root``."""
    return root / "trust" / "_generated" / f"{spec.name}.py"


def _package_root() -> Path:
    """The folder that holds the ``trust`` package, found without importing it."""
    spec = importlib.util.find_spec("trust")
    if spec is None or not spec.submodule_search_locations:
        return Path.cwd()
    return Path(next(iter(spec.submodule_search_locations))).resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    from trust.model import TABLES

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
    for spec in TABLES:
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
