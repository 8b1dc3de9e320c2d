"""A trust store over a DB-API connection: the operations, written once for every engine.

An engine (`trust.store._sqlite`, `trust.store._postgres`) gives a `Dialect`: how to
connect, how to begin a write transaction, how to lock a row, and which of its errors
mean "unreachable" (raised as `StoreUnavailableError`) or "lost a race, run it again".
The statements are plain SQL that both engines accept, with ``?`` for parameters.

One connection per store, used under a lock; every operation is one transaction. A
transaction that lost a race (PostgreSQL's serialization and uniqueness conflicts) is
run again, a few times; an engine error that means the store cannot be reached closes
the connection (the next operation reconnects) and raises `StoreUnavailableError`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Protocol, TypeVar

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust.store._errors import (
    StoreCorruptError,
    StoreError,
    StoreSchemaError,
    StoreUnavailableError,
)
from trust.store._interface import DEFAULT_HISTORY_LIMIT, AuditBuilder, TrustStore
from trust.store._records import (
    AuditRecord,
    BreakerRow,
    HistoryEntry,
    PostureRow,
    PostureWrite,
    Written,
)
from trust.store._schema import META, SCHEMA_VERSION, SEED, TABLES

T = TypeVar("T")

FaultHook = Callable[[str], None]
"""Called at named points of each write transaction: ``"begun"``, ``"written"`` (every
statement run, not yet committed) and ``"committed"`` (committed, not yet returned).

For fault-injection tests: a test kills the process there to show what a crash leaves.
"""

_RETRIES = 8


class Failure(Enum):
    """What an engine error means to the store."""

    UNAVAILABLE = "unavailable"
    RETRY = "retry"
    ERROR = "error"


class Cursor(Protocol):
    """The part of a DB-API cursor the store uses."""

    rowcount: int

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The part of a DB-API connection the store uses."""

    def cursor(self) -> Any: ...
    def close(self) -> None: ...


@attrs.frozen(kw_only=True)
class Dialect:
    """What differs between engines."""

    name: str
    connect: Callable[[], Connection]
    classify: Callable[[BaseException], Failure | None]
    begin: str
    for_update: str
    real: str
    triggers: tuple[str, ...]
    schema_lock: str | None = None
    placeholder: str = "?"

    def sql(self, statement: str) -> str:
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)


_POSTURE = "SELECT agent_id, posture, version, epoch FROM trust_postures"
_HISTORY = (
    "SELECT agent_id, from_posture, to_posture, kind, reason, requester_id, at, op_id, "
    "detail, version FROM trust_history"
)
_BREAKER = (
    "SELECT key, state, generation, opened_at, displaced_posture, displaced_version "
    "FROM trust_breakers"
)


Decoder = Callable[[Sequence[Any]], T]


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
def _posture_row(row: Sequence[Any]) -> PostureRow:
    return PostureRow(agent_id=row[0], posture=row[1], version=int(row[2]), epoch=int(row[3]))


@_decoded("trust_history")
def _history_entry(row: Sequence[Any]) -> HistoryEntry:
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
        version=int(row[9]),
    )


@_decoded("trust_audit")
def _audit_record(row: Sequence[Any]) -> AuditRecord:
    return AuditRecord(sequence=int(row[0]), previous_hash=row[1], hash=row[2], payload=row[3])


@_decoded("trust_breakers")
def _breaker_row(row: Sequence[Any]) -> BreakerRow:
    return BreakerRow(
        key=row[0],
        state=row[1],
        generation=int(row[2]),
        opened_at=None if row[3] is None else float(row[3]),
        displaced_posture=row[4],
        displaced_version=None if row[5] is None else int(row[5]),
    )



class SqlStore(TrustStore):
    """The operations of `TrustStore` over one connection of an SQL engine."""

    def __init__(self, dialect: Dialect, url: str, *, fault: FaultHook | None = None) -> None:
        self.url = url
        self._dialect = dialect
        self._fault = fault
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._closed = False
        try:
            self._run(self._create_schema, write=True)
        except BaseException:
            self.close()  # a store that cannot be used keeps no connection open
            raise

    # -- transactions ------------------------------------------------------------------

    def _point(self, name: str) -> None:
        if self._fault is not None:
            self._fault(name)

    def _connected(self) -> Connection:
        if self._closed:
            raise StoreError(f"the store {self.url} is closed")
        if self._connection is None:
            try:
                self._connection = self._dialect.connect()
            except Exception as error:
                raise self._translate(error, "connect to") from error
        return self._connection

    def _translate(self, error: BaseException, doing: str) -> StoreError:
        failure = self._dialect.classify(error)
        if failure is Failure.UNAVAILABLE or (failure is None and isinstance(error, OSError)):
            return StoreUnavailableError(
                f"cannot {doing} the store {self.url}: {check.shown(error)}"
            )
        return StoreError(f"the store {self.url} failed: {check.shown(error)}")

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to release
                connection.close()

    def _run(self, work: Callable[[Cursor], T], *, write: bool) -> T:
        """Run ``work`` in one transaction and commit it, retrying lost races."""
        dialect = self._dialect
        with self._lock:
            for attempt in range(_RETRIES):
                cursor = self._connected().cursor()
                try:
                    cursor.execute(dialect.begin if write else "BEGIN")
                    if write:
                        self._point("begun")
                    result = work(cursor)
                    if write:
                        self._point("written")
                    cursor.execute("COMMIT")
                except BaseException as error:
                    self._rollback(cursor)
                    failure = Failure.RETRY if type(error) is _Retry else dialect.classify(error)
                    if failure is Failure.RETRY and attempt + 1 < _RETRIES:
                        continue
                    if failure is None and not isinstance(error, OSError):
                        raise  # not the engine's: a bug, or the caller's own exception
                    if failure is not Failure.ERROR:
                        self._drop()
                    raise self._translate(error, "write to" if write else "read") from error
                if write:
                    self._point("committed")
                return result
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _rollback(self, cursor: Cursor) -> None:
        try:
            cursor.execute("ROLLBACK")
        except Exception:  # the connection is gone; the transaction went with it
            self._drop()

    def _x(self, cursor: Cursor, statement: str, params: Sequence[Any] = ()) -> Cursor:
        cursor.execute(self._dialect.sql(statement), params)
        return cursor

    def _create_schema(self, cursor: Cursor) -> None:
        dialect = self._dialect
        if dialect.schema_lock is not None:
            cursor.execute(dialect.schema_lock)
        cursor.execute(META)
        found = self._x(
            cursor, "SELECT value FROM trust_meta WHERE name = 'schema_version'"
        ).fetchone()
        if found is not None:
            version = str(found[0])
            if version != str(SCHEMA_VERSION):
                newer = version.isdigit() and int(version) > SCHEMA_VERSION
                raise StoreSchemaError(
                    f"the store {self.url} has schema version {version}, "
                    + (
                        f"newer than this care-trust's {SCHEMA_VERSION}: upgrade care-trust"
                        if newer
                        else f"which this care-trust (schema {SCHEMA_VERSION}) cannot read"
                    )
                )
            return
        for table in TABLES:
            cursor.execute(table.format(real=dialect.real))
        for trigger in dialect.triggers:
            cursor.execute(trigger)
        for statement, params in SEED:
            self._x(cursor, statement, params)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()

    # -- postures ----------------------------------------------------------------------

    def read_posture(self, agent_id: str) -> PostureRow | None:
        agent_id = check.identifier(agent_id)

        def read(cursor: Cursor) -> PostureRow | None:
            row = self._x(cursor, _POSTURE + " WHERE agent_id = ?", (agent_id,)).fetchone()
            return None if row is None else _posture_row(row)

        return self._run(read, write=False)

    def changes_since(self, epoch: int) -> tuple[int, list[PostureRow]]:
        epoch = check.non_negative_int(epoch, "epoch")

        def read(cursor: Cursor) -> tuple[int, list[PostureRow]]:
            now = self._x(cursor, "SELECT value FROM trust_counters WHERE name = 'epoch'")
            current = int(now.fetchone()[0])
            if current == epoch:
                return current, []
            rows = self._x(cursor, _POSTURE + " WHERE epoch > ? ORDER BY epoch", (epoch,))
            return current, [_posture_row(r) for r in rows.fetchall()]

        return self._run(read, write=False)

    def _applied(self, cursor: Cursor, op_id: str | None) -> HistoryEntry | None:
        if op_id is None:
            return None
        row = self._x(cursor, _HISTORY + " WHERE op_id = ?", (op_id,)).fetchone()
        return None if row is None else _history_entry(row)

    def _next_epoch(self, cursor: Cursor) -> int:
        self._x(cursor, "UPDATE trust_counters SET value = value + 1 WHERE name = 'epoch'")
        found = self._x(cursor, "SELECT value FROM trust_counters WHERE name = 'epoch'")
        return int(found.fetchone()[0])

    def _record(
        self, cursor: Cursor, entry: HistoryEntry, version: int, limit: int
    ) -> HistoryEntry:
        stored = attrs.evolve(entry, version=version)
        self._x(
            cursor,
            "INSERT INTO trust_history (agent_id, version, from_posture, to_posture, kind, "
            "reason, requester_id, at, op_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.agent_id,
                version,
                entry.from_posture.value,
                entry.to_posture.value,
                entry.kind,
                entry.reason,
                entry.requester_id,
                entry.at.isoformat(),
                entry.op_id,
                entry.detail,
            ),
        )
        # Versions rise by one per entry, so this keeps exactly the newest ``limit``.
        self._x(
            cursor,
            "DELETE FROM trust_history WHERE agent_id = ? AND version <= ?",
            (entry.agent_id, version - limit),
        )
        return stored

    def _cas(self, cursor: Cursor, entry: HistoryEntry, expected: int, limit: int) -> Written:
        applied = self._applied(cursor, entry.op_id)
        if applied is not None:
            return Written(committed=True, row=self._row(cursor, entry.agent_id), entry=applied)
        epoch = self._next_epoch(cursor)
        if expected == 0:
            changed = self._x(
                cursor,
                "INSERT INTO trust_postures (agent_id, posture, version, epoch) "
                "VALUES (?, ?, 1, ?) ON CONFLICT (agent_id) DO NOTHING",
                (entry.agent_id, entry.to_posture.value, epoch),
            ).rowcount
        else:
            changed = self._x(
                cursor,
                "UPDATE trust_postures SET posture = ?, version = version + 1, epoch = ? "
                "WHERE agent_id = ? AND version = ?",
                (entry.to_posture.value, epoch, entry.agent_id, expected),
            ).rowcount
        if changed != 1:
            raise _Stale(self._row(cursor, entry.agent_id))
        stored = self._record(cursor, entry, expected + 1, limit)
        return Written(committed=True, row=self._row(cursor, entry.agent_id), entry=stored)

    def _row(self, cursor: Cursor, agent_id: str) -> PostureRow | None:
        row = self._x(cursor, _POSTURE + " WHERE agent_id = ?", (agent_id,)).fetchone()
        return None if row is None else _posture_row(row)

    def transition(
        self,
        entry: HistoryEntry,
        *,
        expected_version: int,
        history_limit: int = DEFAULT_HISTORY_LIMIT,
    ) -> Written:
        entry = _entry(entry)
        expected = check.non_negative_int(expected_version, "expected_version")
        limit = check.positive_int(history_limit, "history_limit")
        try:
            return self._run(lambda c: self._cas(c, entry, expected, limit), write=True)
        except _Stale as stale:  # rolled back: nothing was written
            return Written(committed=False, row=stale.row)

    def emergency(
        self, entry: HistoryEntry, *, history_limit: int = DEFAULT_HISTORY_LIMIT
    ) -> Written:
        entry = _entry(entry)
        if entry.op_id is None:
            raise InvalidValueError(
                "an emergency entry must carry an op_id (its idempotency key), got None"
            )
        limit = check.positive_int(history_limit, "history_limit")

        def write(cursor: Cursor) -> Written:
            applied = self._applied(cursor, entry.op_id)
            if applied is not None:
                return Written(committed=True, row=self._row(cursor, entry.agent_id), entry=applied)
            # The epoch row first, as every posture write takes it: one lock order.
            epoch = self._next_epoch(cursor)
            before = self._x(
                cursor,
                "SELECT posture, version FROM trust_postures WHERE agent_id = ?"
                + self._dialect.for_update,
                (entry.agent_id,),
            ).fetchone()
            if before is None:
                # Another writer may create the row first: then run again, and lock it.
                version = 1
                if (
                    self._x(
                        cursor,
                        "INSERT INTO trust_postures (agent_id, posture, version, epoch) "
                        "VALUES (?, ?, 1, ?) ON CONFLICT (agent_id) DO NOTHING",
                        (entry.agent_id, entry.to_posture.value, epoch),
                    ).rowcount
                    != 1
                ):
                    raise _Retry
            else:
                version = int(before[1]) + 1
                self._x(
                    cursor,
                    "UPDATE trust_postures SET posture = ?, version = ?, epoch = ? "
                    "WHERE agent_id = ?",
                    (entry.to_posture.value, version, epoch, entry.agent_id),
                )
            row = self._row(cursor, entry.agent_id)
            held = entry if before is None else attrs.evolve(entry, from_posture=before[0])
            stored = self._record(cursor, held, int(version), limit)
            return Written(committed=True, row=row, entry=stored)

        return self._run(write, write=True)

    def history(self, agent_id: str, limit: int | None = None) -> list[HistoryEntry]:
        agent_id = check.identifier(agent_id)
        newest = None if limit is None else check.positive_int(limit, "limit")

        def read(cursor: Cursor) -> list[HistoryEntry]:
            if newest is None:
                rows = self._x(
                    cursor, _HISTORY + " WHERE agent_id = ? ORDER BY version", (agent_id,)
                )
                return [_history_entry(r) for r in rows.fetchall()]
            rows = self._x(
                cursor,
                _HISTORY + " WHERE agent_id = ? ORDER BY version DESC LIMIT ?",
                (agent_id, newest),
            )
            return [_history_entry(r) for r in reversed(rows.fetchall())]

        return self._run(read, write=False)

    # -- the breaker -------------------------------------------------------------------

    def read_breaker(self, key: str) -> BreakerRow | None:
        key = check.identifier(key, "key")

        def read(cursor: Cursor) -> BreakerRow | None:
            row = self._x(cursor, _BREAKER + " WHERE key = ?", (key,)).fetchone()
            return None if row is None else _breaker_row(row)

        return self._run(read, write=False)

    def write_breaker(
        self, row: BreakerRow, *, expected_generation: int, posture: PostureWrite | None = None
    ) -> bool:
        expected = _breaker_write(row, expected_generation, posture)
        fields = (
            row.state,
            row.generation,
            row.opened_at,
            None if row.displaced_posture is None else row.displaced_posture.value,
            row.displaced_version,
        )

        def write(cursor: Cursor) -> bool:
            if expected == 0:
                changed = self._x(
                    cursor,
                    "INSERT INTO trust_breakers (state, generation, opened_at, "
                    "displaced_posture, displaced_version, key) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    (*fields, row.key),
                ).rowcount
            else:
                changed = self._x(
                    cursor,
                    "UPDATE trust_breakers SET state = ?, generation = ?, opened_at = ?, "
                    "displaced_posture = ?, displaced_version = ? "
                    "WHERE key = ? AND generation = ?",
                    (*fields, row.key, expected),
                ).rowcount
            if changed != 1:
                raise _Stale(None)
            if posture is not None:
                self._cas(cursor, posture.entry, posture.expected_version, DEFAULT_HISTORY_LIMIT)
            return True

        try:
            return self._run(write, write=True)
        except _Stale:
            return False

    def acquire_probe(
        self, key: str, *, generation: int, max_calls: int, holder: str, now: float, ttl: float
    ) -> int | None:
        key = check.identifier(key, "key")
        generation = check.non_negative_int(generation, "generation")
        slots = check.positive_int(max_calls, "max_calls")
        holder = check.identifier(holder, "holder")
        now = check.finite_number(now, "now")
        ttl = check.positive_finite(ttl, "ttl")

        def write(cursor: Cursor) -> int | None:
            self._x(
                cursor,
                "DELETE FROM trust_probes WHERE key = ? AND (generation < ? OR expires_at <= ?)",
                (key, generation, now),
            )
            for slot in range(slots):
                taken = self._x(
                    cursor,
                    "INSERT INTO trust_probes (key, generation, slot, holder, expires_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key, generation, slot) DO NOTHING",
                    (key, generation, slot, holder, now + ttl),
                ).rowcount
                if taken == 1:
                    return slot
            return None

        return self._run(write, write=True)

    def release_probe(self, key: str, *, generation: int, slot: int, holder: str) -> None:
        params = (
            check.identifier(key, "key"),
            check.non_negative_int(generation, "generation"),
            check.non_negative_int(slot, "slot"),
            check.identifier(holder, "holder"),
        )
        self._run(
            lambda c: self._x(
                c,
                "DELETE FROM trust_probes WHERE key = ? AND generation = ? AND slot = ? "
                "AND holder = ?",
                params,
            ),
            write=True,
        )

    # -- the audit chain ---------------------------------------------------------------

    def append_audit(self, build: AuditBuilder) -> AuditRecord:
        def write(cursor: Cursor) -> AuditRecord:
            head = self._x(
                cursor,
                "SELECT next_sequence, head FROM trust_audit_head WHERE id = 1"
                + self._dialect.for_update,
            ).fetchone()
            sequence, previous = int(head[0]), str(head[1])
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
            return int(row[0]), str(row[1])

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
            return [_audit_record(r) for r in rows]

        return self._run(read, write=False)


class _Retry(Exception):
    """A write lost a race it cannot settle in its transaction: run the transaction again."""


class _Stale(Exception):
    """A compare-and-set found another version: roll back, and report the row."""

    def __init__(self, row: PostureRow | None) -> None:
        super().__init__("stale")
        self.row = row


def _entry(entry: object) -> HistoryEntry:
    if type(entry) is not HistoryEntry:
        raise InvalidTypeError(f"entry must be a HistoryEntry, got {check.shown(entry)}")
    return entry


def _breaker_write(row: object, expected_generation: object, posture: object) -> int:
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
