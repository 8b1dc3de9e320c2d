"""The values a store reads and writes: rows as frozen, validated values.

Times cross the store as aware UTC `datetime` for stamps (history, audit) and as wall-clock
seconds (``float``) for leases and the breaker's opened-at time, so that every process on
every host compares them on one scale.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError
from trust._exact import exact_str
from trust.postures._posture import TrustPosture


def _posture(value: object) -> TrustPosture:
    return TrustPosture.coerce(value)


def _optional_posture(value: object) -> TrustPosture | None:
    return None if value is None else TrustPosture.coerce(value)


def _aware(value: object) -> datetime:
    if type(value) is not datetime or value.tzinfo is None:
        raise InvalidTypeError(f"at must be an aware datetime, got {check.shown(value)}")
    return value.astimezone(UTC)


def _exact_text(value: object, name: str) -> str:
    copied = exact_str(value)
    if copied is None:
        raise InvalidTypeError(f"{name} must be a string, got {check.shown(value)}")
    return copied


MAX_TEXT = 16_384
"""The longest free text (a reason, a requester, a detail) a history entry keeps, in chars."""

# What one engine or the other cannot keep: PostgreSQL refuses NUL in text, and neither
# can encode a lone surrogate in UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _escaped(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def storable(value: object, name: str) -> str:
    """Free text as every engine can keep it: NUL and lone surrogates as their escapes
    (``\\u0000``, ``\\ud800``), and at most `MAX_TEXT` chars (``... (N chars)`` ends a
    cut).

    Unescaped, one such character failed the write with an unrelated exception, on one
    engine and not the other, for every retry of an emergency. Applying it again changes
    nothing, so a row read back is kept as it is.
    """
    text = _exact_text(value, name)
    if not text.isascii() or "\x00" in text:
        text = _UNSTORABLE.sub(_escaped, text)
    if len(text) > MAX_TEXT:
        cut = f"... ({len(text)} chars)"
        text = text[: MAX_TEXT - len(cut)] + cut
    return text


def _kind(value: object) -> str:
    return storable(value, "kind")


def _reason(value: object) -> str:
    return storable(value, "reason")


def _requester_id(value: object) -> str | None:
    return None if value is None else storable(value, "requester_id")


def _op_id(value: object) -> str | None:
    return None if value is None else _exact_text(value, "op_id")


def _detail(value: object) -> str:
    return storable(value, "detail")


def _state(value: object) -> str:
    return _exact_text(value, "state")


def _previous_hash(value: object) -> str:
    return _exact_text(value, "previous_hash")


def _hash(value: object) -> str:
    return _exact_text(value, "hash")


def _payload(value: object) -> str:
    return _exact_text(value, "payload")


def _key(value: object) -> str:
    return check.identifier(value, "key")


def _generation(value: object) -> int:
    return check.non_negative_int(value, "generation")


def _sequence(value: object) -> int:
    return check.non_negative_int(value, "sequence")


def _opened_at(value: object) -> float | None:
    return None if value is None else check.finite_number(value, "opened_at")


def _displaced_version(value: object) -> int | None:
    return None if value is None else check.non_negative_int(value, "displaced_version")


def _optional_version(value: object) -> int | None:
    return None if value is None else _version(value)


def _version(value: object) -> int:
    return check.non_negative_int(value, "version")


@attrs.frozen(kw_only=True)
class PostureRow:
    """An agent's stored posture.

    Attributes:
        agent_id: The agent.
        posture: Its posture.
        version: Grows by one with every change; a compare-and-set names the one it read.
        epoch: The store-wide change counter at the change (see `TrustStore.changes_since`).
    """

    agent_id: str = attrs.field(converter=check.identifier)
    posture: TrustPosture = attrs.field(converter=_posture)
    version: int = attrs.field(converter=_version)
    epoch: int = attrs.field(default=0, converter=_version)


@attrs.frozen(kw_only=True)
class HistoryEntry:
    """One stored posture change, written in the same transaction as the change.

    Attributes:
        agent_id: The agent.
        from_posture: Its posture before.
        to_posture: Its posture after.
        kind: The kind of change (a `trust.postures.PostureTransition` value).
        reason: Why.
        requester_id: Who asked (None: nobody named).
        at: When (aware, UTC).
        op_id: Idempotency key: a store applies an entry with a given key at most once
            (None: no key).
        detail: Canonical JSON of whatever else the engine keeps (metadata, guard names).
        version: The version the change produced; set by the store.
    """

    agent_id: str = attrs.field(converter=check.identifier)
    from_posture: TrustPosture = attrs.field(converter=_posture)
    to_posture: TrustPosture = attrs.field(converter=_posture)
    kind: str = attrs.field(converter=_kind)
    reason: str = attrs.field(default="", converter=_reason)
    requester_id: str | None = attrs.field(default=None, converter=_requester_id)
    at: datetime = attrs.field(converter=_aware)
    op_id: str | None = attrs.field(default=None, converter=_op_id)
    detail: str = attrs.field(default="{}", converter=_detail)
    version: int | None = attrs.field(default=None, converter=_optional_version)


@attrs.frozen(kw_only=True)
class Written:
    """The outcome of a compare-and-set: whether it committed, and the row as it stands.

    Attributes:
        committed: True when the change and its history entry were committed.
        row: The agent's row after the attempt (None: never written, at the default).
        entry: The stored entry, its version set, when committed.
    """

    committed: bool
    row: PostureRow | None
    entry: HistoryEntry | None = None

    def __bool__(self) -> bool:
        return self.committed


@attrs.frozen(kw_only=True)
class PostureWrite:
    """A compare-and-set posture change to commit together with a breaker write.

    Attributes:
        expected_version: The version the change was decided against (0: never written).
        entry: The change and its history entry.
    """

    expected_version: int = attrs.field(converter=_version)
    entry: HistoryEntry


@attrs.frozen(kw_only=True)
class BreakerRow:
    """A circuit's stored state: what must survive a restart.

    Attributes:
        key: The circuit (the agent id, or a breaker-scoped name).
        state: The circuit state (a `trust.circuit_breaker.CircuitState` value).
        generation: Fencing token; every stored change raises it.
        opened_at: When the circuit opened, wall-clock seconds (None: not open).
        displaced_posture: The posture the opening displaced (None: none held).
        displaced_version: The version the displaced posture was held at.
    """

    key: str = attrs.field(converter=_key)
    state: str = attrs.field(converter=_state)
    generation: int = attrs.field(converter=_generation)
    opened_at: float | None = attrs.field(
        default=None,
        converter=_opened_at,
    )
    displaced_posture: TrustPosture | None = attrs.field(default=None, converter=_optional_posture)
    displaced_version: int | None = attrs.field(
        default=None,
        converter=_displaced_version,
    )


@attrs.frozen(kw_only=True)
class AuditRecord:
    """One stored audit entry: its place in the chain and its canonical JSON.

    Attributes:
        sequence: Position in the stored chain, from 0.
        previous_hash: The hash of the record before it.
        hash: This record's hash (over ``payload``).
        payload: The entry's canonical JSON (`trust.audit.AuditEntry.to_json`).
    """

    sequence: int = attrs.field(converter=_sequence)
    previous_hash: str = attrs.field(converter=_previous_hash)
    hash: str = attrs.field(converter=_hash)
    payload: str = attrs.field(converter=_payload)
