"""Audit entries: immutable, hash-chained records of each decision an agent wrapper made.

Each entry stores bounded, JSON-safe snapshots (see `snapshot`) of the action's arguments,
result and error, taken when it was recorded, and the SHA-256 of its own canonical JSON
(HMAC-SHA256 under a key, if the log has one), which covers the hash of the entry before
it. `verify_audit_chain` recomputes the chain: editing an entry changes its hash, and
inserting or deleting one breaks the link or the sequence numbers.

What a plain chain cannot show on its own: anyone can recompute SHA-256, so an entry
edited with every hash after it recomputed is a valid chain again, and so is a chain cut
short at either end. Both are caught only against something kept out of the editor's
reach: the ``anchor`` before the first entry and the ``head`` after the last (the log's
`AuditLog.head_hash`, kept elsewhere), or a key the editor does not hold.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_int, exact_str
from trust.postures import TrustPosture

GENESIS_HASH = "0" * 64
"""The ``previous_hash`` of the first entry of a log."""

MIN_KEY_BYTES = 16
"""The shortest key a keyed chain accepts (128 bits)."""


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
        hash: SHA-256 of this entry's canonical JSON, ``previous_hash`` included
            (HMAC-SHA256 under the log's key, if it has one).
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

    def computed_hash(self, key: bytes | None = None) -> str:
        """The hash this entry's content implies (equal to ``hash`` unless edited).

        Args:
            key: The log's key, if it is keyed (`AuditLog` ``key``).
        """
        return digest(self.payload(), chain_key(key))


def canonical_json(payload: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8: the same content always gives the same text."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(payload: Mapping[str, Any], key: bytes | None = None) -> str:
    """SHA-256 hex of the canonical JSON of ``payload`` (HMAC-SHA256 under ``key``)."""
    data = canonical_json(payload).encode("utf-8")
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def chain_key(key: object) -> bytes | None:
    """``key`` as exact `bytes`, checked: None, or at least `MIN_KEY_BYTES` bytes.

    The message never quotes the key: it is a secret.
    """
    if key is None:
        return None
    if not isinstance(key, bytes | bytearray):
        raise InvalidTypeError(f"key must be bytes, got a {type(key).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise InvalidValueError(
            f"key must be at least {MIN_KEY_BYTES} bytes (a random secret), got {len(key)} bytes"
        )
    return bytes(key)


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
    entries: Sequence[AuditEntry],
    *,
    anchor: str | None = None,
    head: str | None = None,
    key: bytes | None = None,
) -> ChainVerification:
    """Check that ``entries`` are unedited and consecutive, from ``anchor`` to ``head``.

    Every entry's hash must match its content, link to the previous entry's hash, and
    carry the next sequence number. That alone catches an edit, an insertion, a deletion
    or a reordering inside ``entries``, but not an edit made by someone who then
    recomputed every hash after it, nor entries cut from either end: those are caught
    only against what you kept out of the editor's reach.

    Args:
        entries: The entries, oldest first.
        anchor: The hash the first entry must link to: `GENESIS_HASH` for a log's very
            first entry, or a hash you kept from earlier. Without it the first entry is
            trusted as the start.
        head: The hash the last entry must have: `AuditLog.head_hash`, read when the
            entries were read and kept elsewhere. An edit followed by recomputing every
            later hash changes the last hash, and so does cutting entries off the end.
            With no entries, the head must be the anchor (`GENESIS_HASH` without one).
        key: The log's key, for a keyed log (`AuditLog` ``key``); only a holder of it can
            recompute the chain, so an edit is caught even without ``head``.

    Raises:
        InvalidTypeError: ``entries`` is not a sequence of `AuditEntry` (exactly that
            class: a subclass could answer with any hash), or ``anchor``, ``head`` or
            ``key`` has the wrong type.
    """
    if isinstance(entries, str | bytes) or not isinstance(entries, Iterable):
        raise InvalidTypeError(
            f"entries must be a sequence of AuditEntry, got {check.shown(entries)}"
        )
    anchor = _hash_text(anchor, "anchor")
    head = _hash_text(head, "head")
    secret = chain_key(key)
    previous_hash: str | None = None  # None until the first entry is checked
    previous_sequence = 0
    count = 0
    for index, entry in enumerate(entries):
        if type(entry) is not AuditEntry:
            raise InvalidTypeError(
                f"entries[{index}] must be an AuditEntry, got {check.shown(entry)}"
            )
        count = index + 1
        # Exact copies: a str or int subclass in a forged entry could compare equal to
        # anything.
        stored, link = exact_str(entry.hash), exact_str(entry.previous_hash)
        sequence = exact_int(entry.sequence)
        if stored is None or link is None or sequence is None:
            return _broken(index, f"entry {index} holds a hash or sequence of the wrong type")
        try:
            computed = entry.computed_hash(secret)
        except Exception as error:  # a forged entry whose content cannot be serialised
            return _broken(index, f"entry {sequence} cannot be hashed: {check.shown(error)}")
        if computed != stored:
            return _broken(index, f"entry {sequence} was edited: its hash does not match")
        if previous_hash is None:
            if anchor is not None and link != anchor:
                return _broken(index, "first entry does not link to the anchor")
        elif link != previous_hash:
            return _broken(index, f"entry {sequence} does not link to the entry before it")
        elif sequence != previous_sequence + 1:
            return _broken(index, f"sequence jumps from {previous_sequence} to {sequence}")
        previous_hash, previous_sequence = stored, sequence
    if head is not None:
        last = previous_hash if previous_hash is not None else (anchor or GENESIS_HASH)
        if last != head:
            where = "the anchor (there are no entries)" if count == 0 else "the last entry"
            return ChainVerification(
                valid=False,
                broken_at=max(count - 1, 0),
                reason=f"{where} is not the expected head: entries were edited and "
                "re-chained, or cut from the end",
                entries=count,
            )
    return ChainVerification(valid=True, entries=count)


def _hash_text(value: object, name: str) -> str | None:
    if value is None:
        return None
    text = exact_str(value)
    if text is None:
        raise InvalidTypeError(f"{name} must be a hash string, got {check.shown(value)}")
    return text


def _broken(index: int, reason: str) -> ChainVerification:
    return ChainVerification(valid=False, broken_at=index, reason=reason, entries=index + 1)
