"""The audit trail: bounded, hash-chained records of every decision an agent wrapper made."""

from trust.audit._entry import (
    GENESIS_HASH,
    AuditEntry,
    AuditOutcome,
    ChainVerification,
    snapshot,
    verify_audit_chain,
)
from trust.audit._log import AuditLog, AuditSink, JsonLinesSink

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditLog",
    "AuditOutcome",
    "AuditSink",
    "ChainVerification",
    "JsonLinesSink",
    "snapshot",
    "verify_audit_chain",
]
