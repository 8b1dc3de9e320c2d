"""What a ``care-trust`` command found: findings with a place in a file, and a report.

Part of the runtime (no z3), in `trust.policy` because `PolicyError` carries findings;
the proof layer and the command line import them from there.

`care-trust check` and `care-trust diff` (and the proof run, for its failures) report
`Finding` values; the command-line layer renders a `Report` as text, JSON, JUnit XML or
SARIF and chooses the exit code from it. Nothing here knows how a finding was made.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs


class Level(enum.Enum):
    """How serious a finding is (SARIF's levels): an error fails a command by default."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


def _frozen(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if value is None else MappingProxyType(dict(value))


def _summary(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class Location:
    """Where in which file a finding points: a line (1-based, 0 if unknown) and a key path.

    Attributes:
        file: The file as the user named it.
        line: The line of the key (or of its table), 0 when it cannot be placed.
        key_path: The TOML keys from the top, e.g. ``("agents", "researcher",
            "constraints", "cost_limt")``.
    """

    file: str
    line: int = 0
    key_path: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {'.'.join(self.key_path)}" if self.key_path else where


@attrs.frozen(kw_only=True)
class Finding:
    """One thing a command found.

    Attributes:
        rule: A stable id for the kind of finding (``"policy.unknown-key"``,
            ``"delegation.widens"``, ``"diff.looser"``), for SARIF rules and suppression.
        level: How serious it is.
        message: What is wrong and, where there is one, the fix.
        location: Where it is.
        witness: A context that shows it (the child allows it, the parent refuses it; the
            new policy allows it, the old refuses it), confirmed by the runtime; None when
            the finding has none.
    """

    rule: str
    level: Level
    message: str
    location: Location
    witness: Mapping[str, Any] | None = attrs.field(default=None, converter=_frozen)


@attrs.frozen(kw_only=True)
class Report:
    """What one command run found, and a summary of what it covered.

    Attributes:
        command: ``"check"``, ``"diff"`` or ``"prove"``.
        findings: Every finding, in the order the command made them.
        summary: Counts and verdicts for the JSON summary object (plain JSON values).
    """

    command: str
    findings: tuple[Finding, ...] = ()
    summary: Mapping[str, Any] = attrs.field(factory=dict, converter=_summary)

    def count(self, level: Level) -> int:
        return sum(1 for f in self.findings if f.level is level)


__all__ = ["Finding", "Level", "Location", "Report"]
