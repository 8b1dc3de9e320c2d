"""Reading the store's rows into values, and checking what a write is given.

A row that cannot be read (edited by hand, damaged) raises `StoreCorruptError` naming it:
a decision never rests on a row it cannot trust.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust.store._errors import StoreCorruptError
from trust.store._records import (
    AuditRecord,
    BreakerRow,
    HistoryEntry,
    PostureRow,
    PostureWrite,
)

T = TypeVar("T")

POSTURE = "SELECT agent_id, posture, version, epoch FROM trust_postures"
HISTORY = (
    "SELECT agent_id, from_posture, to_posture, kind, reason, requester_id, at, op_id, "
    "detail, version FROM trust_history"
)
BREAKER = (
    "SELECT key, state, generation, opened_at, displaced_posture, displaced_version "
    "FROM trust_breakers"
)


Decoder = Callable[[Sequence[Any]], T]

MAX_STORED = 2**63 - 2
"""The largest count (version, epoch, generation, sequence) a store holds: a BIGINT that
can still be raised by one."""


def _int(value: object) -> int:
    # Exactly an int: SQLite keeps whatever an editor typed in (1.5, '1'), and int() would
    # read 1.9 as 1; past MAX_STORED the next change could not be written.
    if type(value) is not int or not 0 <= value <= MAX_STORED:
        raise ValueError(f"a count must be an integer from 0 to {MAX_STORED}, got {value!r}")
    return value


def stored_count(row: Sequence[Any] | None, what: str) -> int:
    """The count in the first column of ``row`` (a counter, a head), checked like a row's."""
    if row is None:
        raise StoreCorruptError(f"the store lacks its {what} row: it was deleted or damaged")
    try:
        return _int(row[0])
    except ValueError as error:
        raise StoreCorruptError(
            f"the store holds a malformed {what} row {check.shown(tuple(row))}: "
            f"{check.shown(error)}"
        ) from None


def _decoded(table: str) -> Callable[[Decoder[T]], Decoder[T]]:
    """A row decoder whose failures report a corrupt store, never pass on as they are."""

    def wrap(make: Decoder[T]) -> Decoder[T]:
        def decode(row: Sequence[Any]) -> T:
            try:
                return make(row)
            except (ValueError, TypeError, IndexError) as error:
                raise StoreCorruptError(
                    f"the store holds a malformed {table} row {check.shown(tuple(row))}: "
                    f"{check.shown(error)}"
                ) from error

        return decode

    return wrap


@_decoded("trust_postures")
def posture_row(row: Sequence[Any]) -> PostureRow:
    return PostureRow(agent_id=row[0], posture=row[1], version=_int(row[2]), epoch=_int(row[3]))


@_decoded("trust_history")
def history_entry(row: Sequence[Any]) -> HistoryEntry:
    return HistoryEntry(
        agent_id=row[0],
        from_posture=row[1],
        to_posture=row[2],
        kind=row[3],
        reason=row[4],
        requester_id=row[5],
        at=datetime.fromisoformat(row[6]),
        op_id=row[7],
        detail=row[8],
        version=_int(row[9]),
    )


@_decoded("trust_audit")
def audit_record(row: Sequence[Any]) -> AuditRecord:
    return AuditRecord(sequence=_int(row[0]), previous_hash=row[1], hash=row[2], payload=row[3])


@_decoded("trust_breakers")
def breaker_row(row: Sequence[Any]) -> BreakerRow:
    return BreakerRow(
        key=row[0],
        state=row[1],
        generation=_int(row[2]),
        opened_at=None if row[3] is None else float(row[3]),
        displaced_posture=row[4],
        displaced_version=None if row[5] is None else _int(row[5]),
    )


class Stale(Exception):
    """A compare-and-set found another version: roll back, and report the row."""

    def __init__(self, row: PostureRow | None) -> None:
        super().__init__("stale")
        self.row = row


class KeyReused(Exception):
    """An op_id names another change of the same agent: this is not a retry of it."""

    def __init__(self, entry: HistoryEntry) -> None:
        super().__init__("op_id reused")
        self.entry = entry


def entry_checked(entry: object) -> HistoryEntry:
    if type(entry) is not HistoryEntry:
        raise InvalidTypeError(f"entry must be a HistoryEntry, got {check.shown(entry)}")
    return entry


def breaker_write(row: object, expected_generation: object, posture: object) -> int:
    if type(row) is not BreakerRow:
        raise InvalidTypeError(f"row must be a BreakerRow, got {check.shown(row)}")
    expected = check.non_negative_int(expected_generation, "expected_generation")
    if row.generation <= expected:
        raise InvalidValueError(
            f"row.generation must be greater than expected_generation ({expected}), "
            f"got {row.generation}"
        )
    if posture is not None and type(posture) is not PostureWrite:
        raise InvalidTypeError(
            f"posture must be a PostureWrite or None, got {check.shown(posture)}"
        )
    return expected
