"""Choosing a store by URL."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit, urlunsplit

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_str
from trust.store._engine import FaultHook
from trust.store._errors import StoreURLError
from trust.store._interface import TrustStore

DEFAULT_TIMEOUT = 5.0
"""Seconds any store operation may wait (a lock, a connection, a statement)."""

MAX_TIMEOUT = 3_600.0
"""The longest timeout a store takes: an hour. Longer ones failed as outages (Linux caps
the keepalive idle time at 32,767 s, PostgreSQL the statement timeout at 2**31 - 1 ms,
and SQLite's busy timeout overflows), and a decision is BLOCKED after Δ anyway."""


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
        timeout: Seconds any one wait may last before the store counts as unavailable
            (at most `MAX_TIMEOUT`, an hour).
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
    if seconds > MAX_TIMEOUT:
        raise InvalidValueError(
            f"timeout must be at most {MAX_TIMEOUT:g} seconds, got {check.shown(timeout)}"
        )
    scheme, _, rest = text.partition("://")
    if scheme == "memory" and rest == "":
        from trust.store._sqlite import SqliteStore

        return SqliteStore(":memory:", timeout=seconds, fault=fault)
    if scheme == "sqlite":
        from trust.store._sqlite import SqliteStore

        return SqliteStore(_sqlite_path(text, rest), timeout=seconds, fault=fault)
    if scheme in {"postgresql", "postgres"}:
        from trust.store._postgres import PostgresStore

        return PostgresStore(text, shown_url=redacted(text), timeout=seconds, fault=fault)
    raise StoreURLError(
        "store must be memory://, sqlite:///<path> or postgresql://<host>/<db>, "
        f"got {check.shown(redacted(text))}"
    )


def _sqlite_path(url: str, rest: str) -> str:
    """The file an ``sqlite:///`` URL names, or `StoreURLError` if it names none plainly.

    Every process must map one URL to one file, or they keep apart what they must share:
    so a query or fragment (read as part of the file name, ``trust.db?mode=ro``), ``:memory:``
    (a private store, not a durable one), a NUL byte and a directory are refused.
    """
    path = rest[1:]
    rule = "sqlite:///relative/path.db or sqlite:////absolute/path.db"
    if not rest.startswith("/") or path == "":
        raise StoreURLError(f"store must be {rule}, got {check.shown(url)}")
    if "?" in path or "#" in path or "\x00" in path:
        raise StoreURLError(
            f"store must be {rule}, without a query (?), fragment (#) or NUL: a file name "
            f"holding one is not supported, got {check.shown(url)}"
        )
    if path == ":memory:":
        raise StoreURLError(
            f"store must be {rule}: for a store kept in this process only, use memory://, "
            f"got {check.shown(url)}"
        )
    if os.path.isdir(path):
        raise StoreURLError(f"store must name a file, not a directory, got {check.shown(url)}")
    return path


# libpq parameters that hold a secret, in a URL's query or a key=value string.
_SECRETS = frozenset({"password", "sslpassword"})
_SECRET = re.compile(r"(?i)(?<![\w%])(password|sslpassword)(\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)")


def _masked(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    # libpq decodes a query's names too: pass%77ord is a password.
    return f"{name}=***" if equals and unquote(name).strip().lower() in _SECRETS else pair


def redacted(url: str) -> str:
    """``url`` with its passwords (in the user part or as parameters) replaced by ``***``."""
    text = _SECRET.sub(r"\1\2***", url)
    try:
        parts = urlsplit(text)
        netloc = parts.netloc
        if parts.password is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.partition(':')[0]}:***@{host}"
        query = "&".join(_masked(pair) for pair in parts.query.split("&"))
        if (netloc, query) == (parts.netloc, parts.query):
            return text
        return urlunsplit(parts._replace(netloc=netloc, query=query))
    except ValueError:
        return "<a malformed URL>"


def resolve_store(store: TrustStore | str | None) -> TrustStore | None:
    """What an engine's ``store=`` means: None (memory only), a store, or a URL to open."""
    if store is None or isinstance(store, TrustStore):
        return store
    return open_store(store)
