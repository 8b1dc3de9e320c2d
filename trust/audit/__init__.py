"""The audit trail: bounded, hash-chained records of every decision an agent wrapper made."""

from trust.audit._entry import (
    GENESIS_HASH,
    MIN_KEY_BYTES,
    AuditEntry,
    AuditOutcome,
    ChainVerification,
    verify_audit_chain,
)
from trust.audit._log import AuditLog
from trust.audit._sink import AuditSink, JsonLinesSink
from trust.audit._snapshot import (
    MAX_SNAPSHOT_BYTES,
    MAX_SNAPSHOT_DEPTH,
    MAX_SNAPSHOT_INT_DIGITS,
    MAX_SNAPSHOT_ITEMS,
    MAX_SNAPSHOT_TEXT,
    snapshot,
)

__all__ = [
    "GENESIS_HASH",
    "MAX_SNAPSHOT_BYTES",
    "MAX_SNAPSHOT_DEPTH",
    "MAX_SNAPSHOT_INT_DIGITS",
    "MAX_SNAPSHOT_ITEMS",
    "MAX_SNAPSHOT_TEXT",
    "MIN_KEY_BYTES",
    "AuditEntry",
    "AuditLog",
    "AuditOutcome",
    "AuditSink",
    "ChainVerification",
    "JsonLinesSink",
    "snapshot",
    "verify_audit_chain",
]
