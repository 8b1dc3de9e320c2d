"""The SQL engine under every trust store: one connection, one transaction per operation.

An engine (`trust.store._sqlite`, `trust.store._postgres`) gives a `Dialect`: how to
connect, how to begin a write transaction, how to lock a row, and which of its errors
mean "unreachable" (raised as `StoreUnavailableError`) or "lost a race, run it again".

One connection per store, used under a lock; every operation is one transaction. A
transaction that lost a race (PostgreSQL's serialization and uniqueness conflicts) is
run again, a few times; an engine error that means the store cannot be reached closes
the connection (the next operation reconnects) and raises `StoreUnavailableError`. The
schema is created, or its version checked, when the engine is built.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, Protocol, TypeVar

import attrs

from trust import _validators as check
from trust._clock import SYSTEM_CLOCK, Clock
from trust.store._errors import StoreError, StoreSchemaError, StoreUnavailableError
from trust.store._schema import META, SCHEMA_VERSION, SEED, TABLE_NAMES, TABLES

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
    tables: str
    schema_lock: str | None = None
    placeholder: str = "?"
    interrupt: Callable[[Connection], None] | None = None
    """Breaks a connection from another thread, so that a call waiting on it returns."""
    deadline: float | None = None
    """Seconds a transaction may wait for the server before `interrupt` breaks it."""

    def sql(self, statement: str) -> str:
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)


class SqlEngine:
    """One connection of an SQL engine, its transactions and its schema."""

    def __init__(self, dialect: Dialect, url: str, *, fault: FaultHook | None = None) -> None:
        self.url = url
        self._dialect = dialect
        self._fault = fault
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._closed = False
        self._watchdog = (
            None
            if dialect.interrupt is None or dialect.deadline is None
            else Watchdog(dialect.deadline, dialect.interrupt)
        )
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
        watchdog = self._watchdog
        with self._lock:
            for attempt in range(_RETRIES):
                connection = self._connected()
                cursor = connection.cursor()
                if watchdog is not None:
                    watchdog.arm(connection)
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
                    if watchdog is not None and watchdog.disarm():
                        self._drop()
                        raise StoreUnavailableError(
                            f"the store {self.url} did not answer within "
                            f"{watchdog.seconds:g} s: the connection was closed"
                        ) from error
                    failure = Failure.RETRY if type(error) is Retry else dialect.classify(error)
                    if failure is Failure.RETRY and attempt + 1 < _RETRIES:
                        continue
                    if failure is None and not isinstance(error, OSError):
                        raise  # not the engine's: a bug, or the caller's own exception
                    if failure is not Failure.ERROR:
                        self._drop()
                    raise self._translate(error, "write to" if write else "read") from error
                if watchdog is not None and watchdog.disarm():
                    self._drop()  # broken just after the commit: the next call reconnects
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
        present = {str(row[0]) for row in self._x(cursor, dialect.tables).fetchall()}
        if found is None and present & TABLE_NAMES:
            raise StoreSchemaError(
                f"the store {self.url} holds trust tables but no schema version: it was "
                "damaged, or not made by care-trust; restore it from a backup"
            )
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
            missing = sorted(TABLE_NAMES - present)
            if missing:
                # Found now, not as an "unavailable" store retried forever at the first write.
                raise StoreSchemaError(
                    f"the store {self.url} lacks the tables {', '.join(missing)}: it was "
                    "damaged; restore it from a backup"
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
        if self._watchdog is not None:
            self._watchdog.close()


class Watchdog:
    """Breaks a transaction the server has not answered within ``seconds``.

    The server bounds each of its own waits (PostgreSQL's statement and lock timeouts),
    but a server that does not run at all (stopped, or behind a network that drops every
    packet while the kernel still acknowledges keepalives) answers nothing, and the call
    would wait for ever, holding the store's lock and the engine's above it: an emergency
    downgrade in the same process would then never even BLOCK locally. One daemon thread
    per store, armed around each transaction: arming and disarming is a lock and a flag.
    """

    def __init__(
        self,
        seconds: float,
        interrupt: Callable[[Connection], None],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.seconds = seconds
        self._interrupt = interrupt
        self._monotonic = clock.monotonic
        self._wake = threading.Condition()
        self._armed: tuple[float, Connection] | None = None
        self._fired = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def arm(self, connection: Connection) -> None:
        with self._wake:
            self._armed = (self._monotonic() + self.seconds, connection)
            self._fired = False
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="trust-store-watchdog", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def disarm(self) -> bool:
        """Stop watching; whether the connection was broken meanwhile."""
        with self._wake:
            self._armed = None
            return self._fired

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()

    def _watch(self) -> None:
        with self._wake:
            while not self._closed:
                if self._armed is None:
                    self._wake.wait()
                    continue
                deadline, connection = self._armed
                left = deadline - self._monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                self._armed, self._fired = None, True
                with contextlib.suppress(Exception):  # already broken: that is the goal
                    self._interrupt(connection)


class Retry(Exception):
    """A write lost a race it cannot settle in its transaction: run the transaction again."""
