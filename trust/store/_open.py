"""Choosing a store by URL."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from trust import _validators as check
from trust._errors import InvalidTypeError
from trust._exact import exact_str
from trust.store._engine import FaultHook
from trust.store._errors import StoreURLError
from trust.store._interface import TrustStore

DEFAULT_TIMEOUT = 5.0
"""Seconds any store operation may wait (a lock, a connection, a statement)."""


def open_store(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, fault: FaultHook | None = None
) -> TrustStore:
    """Open (and on first use create) the store at ``url``.

    URLs:
        ``memory://``: in this process only, gone when it ends (for tests and examples).
        ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``: an SQLite file,
        shared by the processes of one machine (the SQLAlchemy convention: the path is
        what follows the third slash).
        ``postgresql://user:password@host:port/dbname``: a PostgreSQL database, shared by
        a fleet (needs ``pip install 'care-trust[postgres]'``).

    Args:
        url: Where the store is.
        timeout: Seconds any one wait may last before the store counts as unavailable.
        fault: Fault-injection hook, for crash tests only.

    Raises:
        StoreURLError: ``url`` is malformed or names an unknown engine.
        StoreSchemaError: the store was written by another schema version (a newer one).
        StoreUnavailableError: the store cannot be reached.
    """
    text = exact_str(url)
    if text is None:
        raise InvalidTypeError(f"store must be a URL string, got {check.shown(url)}")
    seconds = check.positive_finite(timeout, "timeout")
    scheme, _, rest = text.partition("://")
    if scheme == "memory" and rest == "":
        from trust.store._sqlite import SqliteStore

        return SqliteStore(":memory:", timeout=seconds, fault=fault)
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise StoreURLError(
                f"store must be sqlite:///relative/path.db or sqlite:////absolute/path.db, "
                f"got {check.shown(text)}"
            )
        from trust.store._sqlite import SqliteStore

        return SqliteStore(rest[1:], timeout=seconds, fault=fault)
    if scheme in {"postgresql", "postgres"}:
        from trust.store._postgres import PostgresStore

        return PostgresStore(text, shown_url=redacted(text), timeout=seconds, fault=fault)
    raise StoreURLError(
        "store must be memory://, sqlite:///<path> or postgresql://<host>/<db>, "
        f"got {check.shown(redacted(text))}"
    )


def redacted(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rpartition("@")
        user = netloc[0].partition(":")[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[2]}"))
    except ValueError:
        return "<a malformed URL>"


def resolve_store(store: TrustStore | str | None) -> TrustStore | None:
    """What an engine's ``store=`` means: None (memory only), a store, or a URL to open."""
    if store is None or isinstance(store, TrustStore):
        return store
    return open_store(store)
