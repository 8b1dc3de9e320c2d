"""The SQLite engine: one file shared by the processes of one machine.

WAL mode lets readers go on while one process writes; ``synchronous=FULL`` makes every
commit durable (fsync'd) before it returns, which an emergency downgrade promises; the
busy timeout bounds how long a write waits for another process's: past it the store is
unavailable (`StoreUnavailableError`), never hung.
"""

from __future__ import annotations

import sqlite3

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
                connection.execute("PRAGMA journal_mode = WAL")
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
