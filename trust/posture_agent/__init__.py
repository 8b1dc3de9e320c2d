"""The posture-aware agent wrapper and the handlers it calls out to.

The audit trail's names live in `trust.audit`. ``AuditEntry`` is importable from here too,
because the reference's guide imports it from ``kaizen.trust.posture_agent``; it is not
in ``__all__``: its one home is `trust.audit`.
"""

from trust.audit import AuditEntry  # noqa: F401  (the guide's path; home: trust.audit)
from trust.posture_agent._agent import PostureAwareAgent
from trust.posture_agent._failures import default_severity
from trust.posture_agent._handlers import ApprovalHandler, NotificationHandler

__all__ = [
    "ApprovalHandler",
    "NotificationHandler",
    "PostureAwareAgent",
    "default_severity",
]
