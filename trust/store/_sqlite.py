"""The SQLite engine: one file shared by the processes of one machine.

WAL mode lets readers go on while one process writes; ``synchronous=FULL`` makes every
commit durable (fsync'd) before it returns, which an emergency downgrade promises; the
busy timeout bounds how long a write waits for another process's: past it the store is
unavailable (`StoreUnavailableError`), never hung.
"""

from __future__ import annotations

import sqlite3
import threading

from trust._clock import SYSTEM_CLOCK
from trust.store._engine import Connection, Dialect, Failure, FaultHook
from trust.store._schema import SQLITE_TRIGGERS
from trust.store._sql import SqlStore


def _classify(error: BaseException) -> Failure | None:
    # OperationalError: busy past the timeout, cannot open, disk I/O. Any other engine
    # error (integrity, a corrupt file) is not cured by waiting.
    if isinstance(error, sqlite3.OperationalError):
        return Failure.UNAVAILABLE
    if isinstance(error, sqlite3.Error):
        return Failure.ERROR
    return None


def _enter_wal(connection: sqlite3.Connection, path: str, timeout: float) -> None:
    # Putting a new file in WAL mode takes its exclusive lock. Two processes opening the
    # same new file at once can each hold a shared lock and want the exclusive one: SQLite
    # then answers "database is locked" at once, without waiting on the busy timeout (it
    # would deadlock). So retry, within that timeout, as the busy handler would have.
    deadline = SYSTEM_CLOCK.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            break
        except sqlite3.OperationalError:
            if SYSTEM_CLOCK.monotonic() + pause >= deadline:
                raise
            threading.Event().wait(pause)  # the other opener's switch takes a moment
            pause = min(2 * pause, 0.05)
    if str(mode).lower() != "wal":
        # A file system without shared memory, say: WAL's reads beside a writer, and
        # several processes on one file, are what this engine promises.
        raise sqlite3.DatabaseError(f"cannot put {path} in WAL mode: it stays in {mode!r}")


class SqliteStore(SqlStore):
    """A trust store in an SQLite file (or in memory, for ``path=":memory:"``).

    Args:
        path: The database file; created, with the schema, if missing.
        timeout: Seconds a write waits for another process's lock before the store counts
            as unavailable.
        fault: Fault-injection hook for crash tests (see `FaultHook`).
    """

    def __init__(self, path: str, *, timeout: float = 5.0, fault: FaultHook | None = None) -> None:
        self.path = path
        self.timeout = timeout

        def connect() -> Connection:
            connection = sqlite3.connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if path != ":memory:":
                _enter_wal(connection, path, timeout)
            connection.execute("PRAGMA synchronous = FULL")
            return connection

        dialect = Dialect(
            name="sqlite",
            connect=connect,
            classify=_classify,
            begin="BEGIN IMMEDIATE",
            for_update="",
            real="REAL",
            triggers=SQLITE_TRIGGERS,
            tables="SELECT name FROM sqlite_master WHERE type = 'table'",
        )
        url = "memory://" if path == ":memory:" else f"sqlite:///{path}"
        super().__init__(dialect, url, fault=fault)
