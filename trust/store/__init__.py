"""Durable, shared trust state, chosen by URL behind one small interface.

``memory://`` keeps it in the process; ``sqlite:///path.db`` in a file the processes of
one machine share; ``postgresql://...`` in a database a fleet shares. Each operation is
one transaction; posture changes are compare-and-set on a version; an emergency downgrade
is an unconditional write, idempotent by its key; the audit chain is append-only. A store
that cannot be reached raises `StoreUnavailableError`, within its timeout, and the
engines fail closed on it.
"""

from trust.store._async import AsyncTrustStore
from trust.store._cache import (
    DEFAULT_FRESHNESS,
    CachedRead,
    EmergencyOutcome,
    PostureCache,
)
from trust.store._errors import (
    StoreCorruptError,
    StoreError,
    StoreSchemaError,
    StoreUnavailableError,
    StoreURLError,
)
from trust.store._interface import DEFAULT_HISTORY_LIMIT, AuditBuilder, TrustStore
from trust.store._open import DEFAULT_TIMEOUT, open_store, resolve_store
from trust.store._records import (
    AuditRecord,
    BreakerRow,
    HistoryEntry,
    PostureRow,
    PostureWrite,
    Written,
)
from trust.store._schema import SCHEMA_VERSION

__all__ = [
    "DEFAULT_FRESHNESS",
    "DEFAULT_HISTORY_LIMIT",
    "DEFAULT_TIMEOUT",
    "SCHEMA_VERSION",
    "AsyncTrustStore",
    "AuditBuilder",
    "AuditRecord",
    "BreakerRow",
    "CachedRead",
    "EmergencyOutcome",
    "HistoryEntry",
    "PostureCache",
    "PostureRow",
    "PostureWrite",
    "StoreCorruptError",
    "StoreError",
    "StoreSchemaError",
    "StoreURLError",
    "StoreUnavailableError",
    "TrustStore",
    "Written",
    "open_store",
    "resolve_store",
]
