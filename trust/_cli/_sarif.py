"""A command's `Report` as SARIF 2.1.0, the format code scanning reads for annotations.

One run, whose ``tool.driver`` lists a rule per finding kind; one result per finding with
its rule, level, message (the witness appended, since a reviewer sees only the message)
and location: the file as a URI reference relative to the working directory where it lies
under it (what code scanning resolves against the repository), the line as the region's
``startLine`` when known, and the key path as a logical location. Only properties the
SARIF 2.1.0 schema defines are written (its objects admit no others); the witness as a
JSON value goes into the result's property bag.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from trust._cli._formats import plain, witness_text
from trust._version import __version__

if TYPE_CHECKING:
    from trust.policy import Finding, Location, Report

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
"""The SARIF 2.1.0 schema's own id."""

INFORMATION_URI = "https://pypi.org/project/care-trust/"


def sarif(report: Report, exit_code: int, descriptions: Mapping[str, str] | None = None) -> str:
    """The SARIF log of ``report``; ``descriptions`` names what each rule id means (a rule
    without one is described by its id)."""
    rules: dict[str, int] = {}
    for f in report.findings:
        rules.setdefault(f.rule, len(rules))
    described = descriptions or {}
    driver: dict[str, Any] = {
        "name": "care-trust",
        "version": __version__,
        "informationUri": INFORMATION_URI,
    }
    driver["rules"] = [
        {"id": rule, "shortDescription": {"text": described.get(rule) or _described(rule)}}
        for rule in rules
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                # Exit code 2 is a usage or file error: the command could not do its work.
                "invocations": [{"executionSuccessful": exit_code != 2}],
                "results": [_result(f, rules[f.rule]) for f in report.findings],
            }
        ],
    }
    return json.dumps(log, indent=2)


def _result(f: Finding, index: int) -> dict[str, Any]:
    message = f.message + (f" Witness: {witness_text(f.witness)}." if f.witness else "")
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": f.level.value,
        "message": {"text": message},
    }
    if f.location.file:
        result["locations"] = [_location(f.location)]
    if f.witness is not None:
        result["properties"] = {"witness": plain(f.witness)}
    return result


def _location(where: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri(where.file)}}
    if where.line >= 1:
        physical["region"] = {"startLine": where.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if where.key_path:
        location["logicalLocations"] = [{"fullyQualifiedName": ".".join(where.key_path)}]
    return location


def uri(file: str) -> str:
    """``file`` as a URI reference: relative (forward slashes, percent-encoded) when it is
    relative or under the working directory, else an absolute ``file:`` URI."""
    path = PurePath(file)
    if path.is_absolute():
        try:
            path = Path(file).resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return Path(file).resolve().as_uri()
    return quote(path.as_posix(), safe="/")


def _described(rule: str) -> str:
    """``policy.unknown-key`` reads as ``policy: unknown key``."""
    family, _, kind = rule.partition(".")
    return f"{family}: {kind.replace('-', ' ')}" if kind else rule


__all__ = ["SCHEMA", "sarif", "uri"]
