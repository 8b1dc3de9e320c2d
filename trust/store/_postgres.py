"""The PostgreSQL engine, for fleets on many hosts (psycopg 3: ``care-trust[postgres]``).

Every wait is bounded by the store's timeout: connecting (``connect_timeout``), a
statement (``statement_timeout``), a row lock (``lock_timeout``) and an idle transaction
(``idle_in_transaction_session_timeout``); TCP keepalives notice a dead peer. Past any of
them the store is unavailable (`StoreUnavailableError`), never hung.
"""

from __future__ import annotations

import math
from typing import Any

from trust.store._engine import Connection, Dialect, Failure, FaultHook
from trust.store._errors import StoreError
from trust.store._schema import POSTGRES_TRIGGERS
from trust.store._sql import SqlStore

# Any fixed number: it serialises schema creation between processes opening a new store.
_SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(7263915504)"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as error:
        raise StoreError(
            "a postgresql:// store needs psycopg 3: pip install 'care-trust[postgres]'"
        ) from error
    return psycopg


def _classify(error: BaseException) -> Failure | None:
    psycopg = _psycopg()
    errors = psycopg.errors
    if isinstance(
        error, errors.SerializationFailure | errors.DeadlockDetected | errors.UniqueViolation
    ):
        return Failure.RETRY
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return Failure.UNAVAILABLE
    if isinstance(error, psycopg.Error):
        return Failure.ERROR
    return None


class PostgresStore(SqlStore):
    """A trust store in a PostgreSQL database.

    Args:
        conninfo: A libpq URL or connection string.
        shown_url: The URL to show in messages (its password hidden).
        timeout: Seconds any wait may last (see the module's docstring).
        fault: Fault-injection hook for crash tests (see `FaultHook`).
    """

    def __init__(
        self,
        conninfo: str,
        *,
        shown_url: str,
        timeout: float = 5.0,
        fault: FaultHook | None = None,
    ) -> None:
        psycopg = _psycopg()
        self.timeout = timeout
        millis = max(1, int(timeout * 1000))

        def connect() -> Connection:
            connection: Connection = psycopg.connect(
                conninfo,
                autocommit=True,
                connect_timeout=max(1, math.ceil(timeout)),
                keepalives=1,
                keepalives_idle=max(1, math.ceil(timeout)),
                keepalives_interval=1,
                keepalives_count=3,
                options=(
                    f"-c statement_timeout={millis} -c lock_timeout={millis} "
                    f"-c idle_in_transaction_session_timeout={millis}"
                ),
            )
            return connection

        dialect = Dialect(
            name="postgresql",
            connect=connect,
            classify=_classify,
            begin="BEGIN",
            for_update=" FOR UPDATE",
            real="DOUBLE PRECISION",
            triggers=POSTGRES_TRIGGERS,
            schema_lock=_SCHEMA_LOCK,
            placeholder="%s",
        )
        super().__init__(dialect, shown_url, fault=fault)
