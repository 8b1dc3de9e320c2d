"""A command's `Report` as text, JSON and JUnit XML (SARIF is `trust._cli._sarif`).

Every format shows the same findings; which of them fail the command is the command's
rule (``fails``), so that the exit code, JUnit's failures and the JSON summary agree.
"""

from __future__ import annotations

import datetime
import enum
import json
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import attrs

from trust._exact import exact_number, exact_str, snapshot

if TYPE_CHECKING:
    from trust.policy import Finding, Report

Fails = Callable[["Finding"], bool]
"""Whether a finding fails the command (sets exit code 1)."""

MAX_DEPTH = 32
"""Nesting past which a value is shown as its text instead of as JSON structure."""


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as a plain JSON value, never a Python repr inside a string.

    None, booleans, integers and strings are themselves (exact builtin copies); a finite
    float is itself, a non-finite one the string ``"NaN"``, ``"Infinity"`` or
    ``"-Infinity"``; a mapping is an object with string keys; a list, tuple, set or
    frozenset is an array (a set's items sorted by their JSON text); an enum member is its
    value; a date, time or datetime is its ISO 8601 text; an attrs instance is the object
    of its fields. Anything else is its ``str``.
    """
    if depth > MAX_DEPTH:
        return _text(value)
    kind = type(value)
    if value is None or kind is bool:
        return value
    if issubclass(kind, enum.Enum):
        return plain(value.value, depth + 1)
    number = exact_number(value)
    if number is not None:
        if math.isfinite(number):
            return number
        return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
    string = exact_str(value)
    if string is not None:
        return string
    mapping = snapshot(value)
    if mapping is not None:
        return {_key(k): plain(v, depth + 1) for k, v in mapping.items()}
    if issubclass(kind, list | tuple):
        return [plain(v, depth + 1) for v in value]
    if issubclass(kind, set | frozenset):
        items = [plain(v, depth + 1) for v in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if issubclass(kind, datetime.date | datetime.time):
        return value.isoformat()
    if attrs.has(kind):
        return {f.name: plain(getattr(value, f.name), depth + 1) for f in attrs.fields(kind)}
    return _text(value)


def _key(key: Any) -> str:
    string = exact_str(key)
    return string if string is not None else json.dumps(plain(key))


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception as error:  # a value that cannot say what it is still gets a line
        return f"<unprintable {type(value).__name__}: {type(error).__name__}>"


def shown(value: Any) -> str:
    """A value as its JSON text (strings quoted, so ``"5"`` and ``5`` differ)."""
    return json.dumps(plain(value), ensure_ascii=False)


def witness_text(witness: Mapping[str, Any]) -> str:
    """``key=value, ...`` with JSON values."""
    return ", ".join(f"{key}={shown(value)}" for key, value in witness.items())


def counts(report: Report, fails: Fails) -> dict[str, int]:
    """How many findings of each level, and how many fail the command."""
    levels = [f.level.value for f in report.findings]
    return {
        "errors": levels.count("error"),
        "warnings": levels.count("warning"),
        "notes": levels.count("note"),
        "failed": sum(1 for f in report.findings if fails(f)),
    }


def text(report: Report, fails: Fails) -> str:
    """One line per finding, ``file:line: key.path: level: message [rule]`` (the form
    editors and CI log matchers read), its witness under it, then a summary line."""
    lines = []
    for f in report.findings:
        lines.append(f"{f.location}: {f.level.value}: {f.message} [{f.rule}]")
        if f.witness:
            lines.append(f"    witness: {witness_text(f.witness)}")
    found = counts(report, fails)
    outcome = "fails" if found["failed"] else "passes"
    tally = ", ".join(_count(found[kind], kind) for kind in ("errors", "warnings", "notes"))
    lines.append(f"care-trust {report.command}: {tally}; {outcome}")
    return "\n".join(lines)


def _count(number: int, plural: str) -> str:
    return f"{number} {plural if number != 1 else plural[:-1]}"


def to_json(report: Report, fails: Fails, exit_code: int) -> str:
    """``{"command", "summary", "findings"}``: the report's own summary with the counts and
    the exit code added, every value plain JSON (`plain`)."""
    summary = {**plain(dict(report.summary)), **counts(report, fails), "exit_code": exit_code}
    return json.dumps(
        {
            "command": report.command,
            "summary": summary,
            "findings": [
                {
                    "rule": f.rule,
                    "level": f.level.value,
                    "fails": fails(f),
                    "message": f.message,
                    "location": {
                        "file": f.location.file,
                        "line": f.location.line or None,
                        "key_path": list(f.location.key_path),
                    },
                    "witness": None if f.witness is None else plain(f.witness),
                }
                for f in report.findings
            ],
        },
        indent=2,
    )


def junit(report: Report, fails: Fails) -> bytes:
    """A JUnit XML test suite: a test case per finding (failed when it fails the command),
    or one passing case when there is none, so that a CI counts the run."""
    found = counts(report, fails)
    name = f"care-trust {report.command}"
    suite = ElementTree.Element(
        "testsuite",
        name=name,
        tests=str(max(1, len(report.findings))),
        failures=str(found["failed"]),
        errors="0",
        skipped="0",
    )
    for f in report.findings:
        case = ElementTree.SubElement(suite, "testcase", classname=f.rule, name=str(f.location))
        detail = f.message + (f"\nwitness: {witness_text(f.witness)}" if f.witness else "")
        if fails(f):
            failure = ElementTree.SubElement(case, "failure", message=f.message, type=f.rule)
            failure.text = detail
        else:
            ElementTree.SubElement(case, "system-out").text = f"{f.level.value}: {detail}"
    if not report.findings:
        ElementTree.SubElement(suite, "testcase", classname=name, name="no findings")
    return bytes(ElementTree.tostring(suite, encoding="utf-8", xml_declaration=True))


__all__ = ["Fails", "counts", "junit", "plain", "shown", "text", "to_json", "witness_text"]
