"""The audit chain's operations over an SQL engine, for `trust.store._sql.SqlStore`.

The chain is append-only: each record is built from the head it links to, in the
transaction that reads that head (``FOR UPDATE`` on PostgreSQL, the write lock on
SQLite), so processes sharing a store extend one chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trust import _validators as check
from trust._errors import InvalidValueError
from trust.store._engine import Cursor, SqlEngine
from trust.store._errors import StoreCorruptError
from trust.store._interface import AuditBuilder
from trust.store._records import AuditRecord
from trust.store._rows import audit_record, stored_count


class AuditChain(SqlEngine):
    """`TrustStore`'s audit operations (``append_audit``, ``audit_head``, ``audit_records``)."""

    def append_audit(self, build: AuditBuilder) -> AuditRecord:
        def write(cursor: Cursor) -> AuditRecord:
            head = self._x(
                cursor,
                "SELECT next_sequence, head FROM trust_audit_head WHERE id = 1"
                + self._dialect.for_update,
            ).fetchone()
            sequence, previous = _audit_head(head)
            record = build(sequence, previous)
            if type(record) is not AuditRecord or (record.sequence, record.previous_hash) != (
                sequence,
                previous,
            ):
                raise InvalidValueError(
                    f"the audit builder must return an AuditRecord at sequence {sequence} "
                    f"linked to {previous}, got {check.shown(record)}"
                )
            self._x(
                cursor,
                "INSERT INTO trust_audit (sequence, previous_hash, hash, payload) "
                "VALUES (?, ?, ?, ?)",
                (record.sequence, record.previous_hash, record.hash, record.payload),
            )
            self._x(
                cursor,
                "UPDATE trust_audit_head SET next_sequence = ?, head = ? WHERE id = 1",
                (sequence + 1, record.hash),
            )
            return record

        return self._run(write, write=True)

    def audit_head(self) -> tuple[int, str]:
        def read(cursor: Cursor) -> tuple[int, str]:
            row = self._x(
                cursor, "SELECT next_sequence, head FROM trust_audit_head WHERE id = 1"
            ).fetchone()
            return _audit_head(row)

        return self._run(read, write=False)

    def audit_records(self, start: int = 0, limit: int | None = None) -> list[AuditRecord]:
        first = check.non_negative_int(start, "start")
        count = -1 if limit is None else check.positive_int(limit, "limit")

        def read(cursor: Cursor) -> list[AuditRecord]:
            statement = (
                "SELECT sequence, previous_hash, hash, payload FROM trust_audit "
                "WHERE sequence >= ? ORDER BY sequence"
            )
            params: tuple[int, ...] = (first,)
            if count >= 0:
                statement += " LIMIT ?"
                params = (first, count)
            rows = self._x(cursor, statement, params).fetchall()
            return [audit_record(r) for r in rows]

        return self._run(read, write=False)


def _audit_head(row: Sequence[Any] | None) -> tuple[int, str]:
    sequence = stored_count(row, "trust_audit_head")
    assert row is not None  # stored_count refused a missing row
    if type(row[1]) is not str:
        raise StoreCorruptError(
            f"the store holds a malformed trust_audit_head row {check.shown(tuple(row))}: "
            f"its head must be a hash, got {check.shown(row[1])}"
        )
    return sequence, row[1]
