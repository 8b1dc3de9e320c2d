"""What the proof run shows: a row per property as it finishes, counterexamples, bounds and
a summary that fit a 100-column terminal; JSON with a summary object and JSON values; JUnit
XML; and the failures as `Finding` values (for SARIF).
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from trust.policy import Finding, Level, Location
from trust.proofs._property import Outcome
from trust.proofs._verdict import Proved, Refuted, Unknown

WIDTH = 100
"""The columns a report fits in when the terminal's own width is not known."""

MAX_LITERAL = 10_000
"""Counterexample texts longer than this stay text in JSON (a bound on the literal parse)."""

MAX_NESTING = 100
"""Literals nested deeper than this stay text in JSON."""


def row(outcome: Outcome, *, width: int = WIDTH, times: bool = True) -> list[str]:
    """One property's lines: ``ok`` or ``FAIL``, its time, and ``name: result [method]``,
    wrapped under the name to fit ``width``."""
    mark = "ok" if outcome.ok else "FAIL"
    prefix = f"  {mark:<4}  {duration(outcome.seconds):>7}  " if times else f"  {mark:<4}  "
    text = f"{outcome.prop.name}: {outcome.result} [{outcome.prop.method}]"
    return _hanging(prefix, text, width)


def heading(subject: str, *, width: int = WIDTH) -> list[str]:
    """The line that starts a subject's rows."""
    return _wrap(subject, width, indent="  ")


def rows(outcomes: Iterable[Outcome], *, width: int = WIDTH, times: bool = True) -> list[str]:
    """Every outcome's row, each subject under its heading (outcomes come subject by subject)."""
    lines: list[str] = []
    subject = None
    for o in outcomes:
        if o.prop.subject != subject:
            subject = o.prop.subject
            lines += heading(subject, width=width)
        lines += row(o, width=width, times=times)
    return lines


def duration(seconds: float) -> str:
    """``12 ms`` up to ten seconds, ``12.3 s`` beyond."""
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def tail(
    outcomes: Sequence[Outcome],
    *,
    width: int = WIDTH,
    times: bool = True,
    wall: float | None = None,
) -> list[str]:
    """What follows the rows: counterexamples, why a property is not proved, the bounds,
    and the summary line ``N properties, F failed``."""
    out: list[str] = []
    for o in outcomes:
        if isinstance(o.verdict, Refuted):
            title = "expected counterexample" if o.ok else "COUNTEREXAMPLE"
            out += ["", *_wrap(f"{title} for {o.prop.key}:", width, indent="  ")]
            for text in o.verdict.explain().splitlines():
                out += _wrap(f"  {text}", width, indent="      ")
        elif isinstance(o.verdict, Proved) and not o.ok:
            text = f"NOT REFUTED {o.prop.key}: proved, but a refutation was expected"
            out += ["", *_wrap(text, width, indent="  ")]
        elif not o.ok:
            out += ["", *_wrap(f"NOT PROVED {o.prop.key}: {o.verdict}", width, indent="  ")]
    # Properties of one subject often share a bound (the size every law is proved at):
    # each bound is listed once, with the properties it holds for.
    bounds: dict[tuple[str, str], list[str]] = {}
    for o in outcomes:
        if o.prop.bound:
            bounds.setdefault((o.prop.subject, o.prop.bound), []).append(o.prop.name)
    if bounds:
        out += ["", "bounds (what a check covers, where it is bounded):"]
        for (subject, bound), names in bounds.items():
            which = names[0] if len(names) == 1 else f"{len(names)} properties"
            out += _wrap(f"  {subject}: {which}: {bound}", width, indent="      ")
    failed = sum(not o.ok for o in outcomes)
    total = sum(o.seconds for o in outcomes)
    spent = ""
    if times:
        spent = f", {total:.2f} s" if wall is None else f", {wall:.2f} s ({total:.2f} s of checks)"
    out += ["", f"{len(outcomes)} properties, {failed} failed{spent}"]
    return out


def table(
    outcomes: Sequence[Outcome],
    *,
    times: bool = True,
    wall: float | None = None,
    width: int = WIDTH,
) -> str:
    """The whole report as one text: the rows, then `tail`.

    Without ``times`` the times are left out, so that the same outcomes always print the
    same text (a report a CI compares). ``wall`` is the run's elapsed time, when checks ran
    in parallel (the summary then gives it and the checks' total).
    """
    lines = rows(outcomes, width=width, times=times)
    return "\n".join([*lines, *tail(outcomes, width=width, times=times, wall=wall)])


def summary(outcomes: Sequence[Outcome], *, wall: float | None = None) -> dict[str, Any]:
    """The counts of a run: properties, failed, each kind of result, and the seconds spent
    (the wall time when known, else the checks' total)."""
    checks = sum(o.seconds for o in outcomes)
    kinds = {"proved": 0, "passed": 0, "refuted": 0, "unknown": 0}
    for o in outcomes:
        kind = o.result.split(" ", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "properties": len(outcomes),
        "failed": sum(not o.ok for o in outcomes),
        **kinds,
        "seconds": round(checks if wall is None else wall, 3),
        "check_seconds": round(checks, 3),
    }


def to_json(outcomes: Sequence[Outcome], *, wall: float | None = None) -> str:
    """``{"summary": {...}, "properties": [...]}``; counterexample values as `json_value`."""
    return json.dumps(
        {
            "summary": summary(outcomes, wall=wall),
            "properties": [
                {
                    "subject": o.prop.subject,
                    "property": o.prop.name,
                    "key": o.prop.key,
                    "method": o.prop.method,
                    "result": o.result,
                    "ok": o.ok,
                    "expect_refuted": o.prop.expect_refuted,
                    "bound": o.prop.bound or None,
                    "reason": o.verdict.reason if isinstance(o.verdict, Unknown) else None,
                    "seconds": round(o.seconds, 6),
                    "counterexample": _counterexample(o),
                }
                for o in outcomes
            ],
        },
        indent=2,
    )


def _counterexample(o: Outcome) -> dict[str, Any] | None:
    if not isinstance(o.verdict, Refuted):
        return None
    return {name: json_value(text) for name, text in o.verdict.counterexample.items()}


def json_value(text: str) -> Any:
    """The JSON value a counterexample's text denotes, or the text itself.

    The rule: a text that is a literal becomes its value, an integer (``2``, ``-7``), a
    finite decimal (``0.5``), a boolean (``True``, ``False``: Python's and z3's spelling),
    null (``None``), a quoted string (``'1/second'`` is ``"1/second"``), or a list (from a
    list or tuple) or object (string keys) of those. Any other text stays a string: a
    description (``no count reported``), names (``[c1, p1]``), an expression or a rational
    (``1/3``), a non-finite number, a set, bytes, a literal nested past `MAX_NESTING` or
    longer than `MAX_LITERAL`. The text is parsed as a literal only (`ast.literal_eval`),
    never evaluated.
    """
    if len(text) > MAX_LITERAL:
        return text
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text
    plain = _plain(value, 0)
    return text if plain is _NOT_PLAIN else plain


_NOT_PLAIN = object()


def _plain(value: Any, depth: int) -> Any:
    if depth > MAX_NESTING:
        return _NOT_PLAIN
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else _NOT_PLAIN
    if type(value) in (list, tuple):
        items = [_plain(v, depth + 1) for v in value]
        return _NOT_PLAIN if any(i is _NOT_PLAIN for i in items) else items
    if type(value) is dict and all(type(k) is str for k in value):
        entries = {k: _plain(v, depth + 1) for k, v in value.items()}
        return _NOT_PLAIN if any(v is _NOT_PLAIN for v in entries.values()) else entries
    return _NOT_PLAIN  # sets, bytes, complex numbers: no JSON value says the same


def write_junit(outcomes: Sequence[Outcome], path: Path) -> None:
    """Write the outcomes as a JUnit XML test suite, one test case per property."""
    suite = ElementTree.Element(
        "testsuite",
        name="care-trust proofs",
        tests=str(len(outcomes)),
        failures=str(sum(not o.ok for o in outcomes)),
        errors="0",
        skipped="0",
        time=f"{sum(o.seconds for o in outcomes):.3f}",
    )
    for o in outcomes:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=o.prop.subject,
            name=o.prop.name,
            time=f"{o.seconds:.3f}",
        )
        if not o.ok:
            failure = ElementTree.SubElement(case, "failure", message=o.result)
            if isinstance(o.verdict, Refuted):
                failure.text = o.verdict.explain()
        elif isinstance(o.verdict, Refuted):
            # An expected refutation passes; its counterexample is still the point of it.
            ElementTree.SubElement(case, "system-out").text = o.verdict.explain()
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


RULES: Mapping[str, str] = {
    "prove.refuted": "A property of the library does not hold: it has a counterexample.",
    "prove.unknown": "A property of the library could not be decided (a timeout or an error).",
    "prove.not-refuted": "A property shown not to hold on purpose is no longer refuted.",
}
"""The rules of the proof run's findings, with what each means."""


def findings(outcomes: Iterable[Outcome]) -> tuple[Finding, ...]:
    """A finding for each outcome that fails the run, placed at its check's source."""
    found = []
    for o in outcomes:
        if o.ok:
            continue
        if isinstance(o.verdict, Refuted):
            rule = "prove.refuted"
        elif isinstance(o.verdict, Unknown):
            rule = "prove.unknown"
        else:
            rule = "prove.not-refuted"
        counterexample = _counterexample(o)
        found.append(
            Finding(
                rule=rule,
                level=Level.ERROR,
                message=f"{o.prop.key}: {o.result}",
                location=_source(o),
                witness=counterexample,
            )
        )
    return tuple(found)


def _source(o: Outcome) -> Location:
    """Where the property's check is defined: its file (relative to the working directory
    when under it, as code scanning expects) and the line it starts on."""
    check: Any = o.prop.check
    while isinstance(check, functools.partial):
        check = check.func
    code = getattr(inspect.unwrap(check), "__code__", None)
    if code is None:  # a callable object: where its __call__ is defined
        code = getattr(vars(type(check)).get("__call__"), "__code__", None)
    if code is None:
        return Location(file=o.prop.subject, key_path=(o.prop.name,))
    path = Path(code.co_filename).resolve()
    try:
        shown = path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        shown = str(path)
    return Location(file=shown, line=code.co_firstlineno, key_path=(o.prop.subject, o.prop.name))


def _hanging(prefix: str, text: str, width: int) -> list[str]:
    lines = textwrap.wrap(
        text, max(width - len(prefix), 20), break_on_hyphens=False, break_long_words=True
    ) or [""]
    return [prefix + lines[0], *(" " * len(prefix) + line for line in lines[1:])]


def _wrap(text: str, width: int, *, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        width,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=True,
        drop_whitespace=True,
    ) or [""]


__all__ = [
    "RULES",
    "WIDTH",
    "duration",
    "findings",
    "heading",
    "json_value",
    "row",
    "rows",
    "summary",
    "table",
    "tail",
    "to_json",
    "write_junit",
]
