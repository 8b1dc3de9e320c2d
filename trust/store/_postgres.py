"""The PostgreSQL engine, for fleets on many hosts (psycopg 3: ``care-trust[postgres]``).

Every wait is bounded by the store's timeout: connecting (``connect_timeout``), a
statement (``statement_timeout``), a row lock (``lock_timeout``) and an idle transaction
(``idle_in_transaction_session_timeout``); TCP keepalives notice a dead peer. Past any of
them the store is unavailable (`StoreUnavailableError`), never hung.
"""

from __future__ import annotations

import math
import os
import socket
from typing import Any

from trust import _validators as check
from trust.store._engine import Connection, Dialect, Failure, FaultHook
from trust.store._errors import StoreError, StoreURLError
from trust.store._schema import POSTGRES_TRIGGERS
from trust.store._sql import SqlStore

# Any fixed number: it serialises schema creation between processes opening a new store.
_SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(7263915504)"


_DEADLINE_FACTOR = 3


def _break(connection: Any) -> None:
    # Shut the socket down under the waiting call (a cancel request would go unheard by
    # a server that does not run): its wait returns, and psycopg raises OperationalError.
    with socket.socket(fileno=os.dup(connection.pgconn.socket)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


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


def _own_options(psycopg: Any, conninfo: str, shown_url: str) -> str:
    """The server options the URL (or else ``PGOPTIONS``) gives, which ours must extend.

    Raises:
        StoreURLError: libpq cannot parse the URL (its message, which quotes the URL with
            its password, is not passed on as it is).
    """
    try:
        given = psycopg.conninfo.conninfo_to_dict(conninfo).get("options")
    except psycopg.Error as error:
        why = str(error).replace(conninfo, shown_url)
        raise StoreURLError(
            f"store must be a PostgreSQL URL libpq can read, got {check.shown(shown_url)}: {why}"
        ) from None
    if given is None:
        given = os.environ.get("PGOPTIONS", "")
    return str(given)


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
        # Ours go last, so they win over a URL's (or PGOPTIONS') own -c of the same
        # setting, and the rest of those (a search_path) is kept, not dropped.
        options = (
            f"{_own_options(psycopg, conninfo, shown_url)} -c statement_timeout={millis} "
            f"-c lock_timeout={millis} -c idle_in_transaction_session_timeout={millis}"
        ).strip()

        def connect() -> Connection:
            connection: Connection = psycopg.connect(
                conninfo,
                autocommit=True,
                connect_timeout=max(1, math.ceil(timeout)),
                keepalives=1,
                keepalives_idle=max(1, math.ceil(timeout)),
                keepalives_interval=1,
                keepalives_count=3,
                options=options,
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
            # Where CREATE TABLE puts them: the first schema of the search_path.
            tables="SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()",
            schema_lock=_SCHEMA_LOCK,
            placeholder="%s",
            interrupt=_break,
            # Each of the server's waits is bounded by the timeout; a transaction has a
            # few (a lock, its statements, the commit): past this, the server is not there.
            deadline=_DEADLINE_FACTOR * timeout + 1.0,
        )
        super().__init__(dialect, shown_url, fault=fault)
