"""The posture-aware agent wrapper and the handlers it calls out to."""

from trust.audit import AuditEntry, AuditLog, AuditOutcome, verify_audit_chain
from trust.posture_agent._agent import PostureAwareAgent
from trust.posture_agent._failures import default_severity
from trust.posture_agent._handlers import ApprovalHandler, NotificationHandler

__all__ = [
    "ApprovalHandler",
    "AuditEntry",
    "AuditLog",
    "AuditOutcome",
    "NotificationHandler",
    "PostureAwareAgent",
    "default_severity",
    "verify_audit_chain",
]
