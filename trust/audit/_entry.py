"""Audit entries: immutable, hash-chained records of each decision an agent wrapper made.

Each entry stores bounded, JSON-safe snapshots (see `snapshot`) of the action's arguments,
result and error, taken when it was recorded, and the SHA-256 of its own canonical JSON,
which covers the hash of the entry before it. `verify_audit_chain` recomputes the chain:
editing an entry changes its hash, and inserting or deleting one breaks the link or the
sequence numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError
from trust.postures import TrustPosture

GENESIS_HASH = "0" * 64
"""The ``previous_hash`` of the first entry of a log."""


class AuditOutcome(StrEnum):
    """What became of an action."""

    EXECUTED = "executed"
    REFUSED = "refused"
    DENIED = "denied"
    CANCELLED = "cancelled"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class AuditEntry:
    """One audited decision.

    Attributes:
        sequence: Position in its log, from 0; consecutive entries differ by 1.
        agent_id: The agent.
        posture: The posture the decision was taken under.
        action: What was attempted (``"run"``, or ``"notify"`` for a failed notification).
        kwargs: Snapshot of the action's arguments.
        outcome: Executed, refused, denied, cancelled or failed.
        result: Snapshot of what the action returned, when it ran.
        error: Why it did not run, or what it raised.
        duration_ms: From the start of the call to the decision.
        timestamp: When the entry was recorded (aware, UTC).
        run_id: The call the entry belongs to.
        previous_hash: The ``hash`` of the entry before it (`GENESIS_HASH` for the first).
        hash: SHA-256 of this entry's canonical JSON, ``previous_hash`` included.
    """

    sequence: int
    agent_id: str
    posture: TrustPosture
    action: str
    kwargs: Mapping[str, Any]
    outcome: AuditOutcome
    result: Any = None
    error: str | None = None
    duration_ms: float
    timestamp: datetime
    run_id: int | None = None
    previous_hash: str
    hash: str

    def payload(self) -> dict[str, Any]:
        """Every field but ``hash``, as JSON-ready values: what the hash covers."""
        return {
            "sequence": self.sequence,
            "agent_id": self.agent_id,
            "posture": self.posture.value,
            "action": self.action,
            "kwargs": self.kwargs,
            "outcome": self.outcome.value,
            "result": self.result,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "timestamp": self.timestamp.isoformat(),
            "run_id": self.run_id,
            "previous_hash": self.previous_hash,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, ``hash`` included."""
        return {**self.payload(), "hash": self.hash}

    def to_json(self) -> str:
        """One line of canonical JSON (what the JSON-lines sink writes)."""
        return canonical_json(self.to_dict())

    def computed_hash(self) -> str:
        """The hash this entry's content implies (equal to ``hash`` unless edited)."""
        return digest(self.payload())


def canonical_json(payload: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8: the same content always gives the same text."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(payload: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of ``payload``."""
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@attrs.frozen(kw_only=True)
class ChainVerification:
    """The verdict of `verify_audit_chain`; true when the chain is intact.

    Attributes:
        valid: Whether every entry is unedited and linked to the one before.
        broken_at: Index (in the given sequence) of the first entry that fails.
        reason: What is wrong there; empty when valid.
        entries: How many entries were checked.
    """

    valid: bool
    broken_at: int | None = None
    reason: str = ""
    entries: int = 0

    def __bool__(self) -> bool:
        return self.valid


def verify_audit_chain(
    entries: Sequence[AuditEntry], *, anchor: str | None = None
) -> ChainVerification:
    """Check that ``entries`` are unedited and consecutive.

    Every entry's hash must match its content, link to the previous entry's hash, and
    carry the next sequence number. The first entry links to ``anchor`` when given (a
    hash you kept from earlier, or `GENESIS_HASH` for a log's very first entry);
    otherwise it is trusted as the start. Deleting entries from the end can only be seen
    against a count or head hash kept elsewhere (`AuditLog.head_hash`).
    """
    if isinstance(entries, str | bytes) or not isinstance(entries, Iterable):
        raise InvalidTypeError(
            f"entries must be a sequence of AuditEntry, got {check.shown(entries)}"
        )
    if anchor is not None and not isinstance(anchor, str):
        raise InvalidTypeError(f"anchor must be a hash string, got {check.shown(anchor)}")
    previous: AuditEntry | None = None
    for index, entry in enumerate(entries):
        if not isinstance(entry, AuditEntry):
            raise InvalidTypeError(
                f"entries[{index}] must be an AuditEntry, got {check.shown(entry)}"
            )
        if entry.computed_hash() != entry.hash:
            return _broken(index, f"entry {entry.sequence} was edited: its hash does not match")
        if previous is None:
            if anchor is not None and entry.previous_hash != anchor:
                return _broken(index, "first entry does not link to the anchor")
        elif entry.previous_hash != previous.hash:
            return _broken(index, f"entry {entry.sequence} does not link to the entry before it")
        elif entry.sequence != previous.sequence + 1:
            return _broken(index, f"sequence jumps from {previous.sequence} to {entry.sequence}")
        previous = entry
    return ChainVerification(valid=True, entries=len(entries))


def _broken(index: int, reason: str) -> ChainVerification:
    return ChainVerification(valid=False, broken_at=index, reason=reason, entries=index + 1)
