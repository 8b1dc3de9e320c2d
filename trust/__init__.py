"""care-trust: verified trust postures, circuit breakers and constraint checks for AI agents.

The names the user guide imports from ``kaizen.trust`` are importable from ``trust``.
Importing this package loads neither z3 nor python-statemachine: those serve the proofs
and the model, not the runtime.

Each public name is loaded on first use (PEP 562): ``import trust`` itself loads nothing
but this table, and ``from trust import PostureStateMachine`` loads the posture machine
without the agent wrapper, its audit log, asyncio or the policy loader. After the first
read a name is an ordinary module attribute.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from trust._version import __version__ as __version__

if TYPE_CHECKING:  # what type checkers see; _WHERE (checked equal by a test) is what runs
    from trust._clock import Clock, SystemClock
    from trust._errors import InvalidTypeError, InvalidValueError, TrustError
    from trust.audit import AuditEntry, AuditLog, AuditOutcome, verify_audit_chain
    from trust.circuit_breaker import (
        Admission,
        CircuitBreakerConfig,
        CircuitState,
        FailureEvent,
        PostureCircuitBreaker,
    )
    from trust.constraints import (
        Comparison,
        ConstraintCheckResult,
        ConstraintDimension,
        ConstraintDimensionRegistry,
        ConstraintValue,
        EvaluationResult,
        InteractionMode,
        MultiDimensionEvaluator,
    )
    from trust.metrics import ConstraintMetrics, PostureMetrics, TrustMetricsCollector
    from trust.policy import Policy, PolicyError, load_policy
    from trust.posture_agent import ApprovalHandler, NotificationHandler, PostureAwareAgent
    from trust.postures import (
        POSTURE_LEVEL_MAP,
        PostureConstraints,
        PostureResult,
        PostureStateMachine,
        PostureTransition,
        PostureTransitionRequest,
        TransitionGuard,
        TransitionResult,
        TrustPosture,
        TrustPostureMapper,
    )

_WHERE: dict[str, str] = {
    **dict.fromkeys(("Clock", "SystemClock"), "trust._clock"),
    **dict.fromkeys(("InvalidTypeError", "InvalidValueError", "TrustError"), "trust._errors"),
    **dict.fromkeys(
        ("AuditEntry", "AuditLog", "AuditOutcome", "verify_audit_chain"), "trust.audit"
    ),
    **dict.fromkeys(
        (
            "Admission",
            "CircuitBreakerConfig",
            "CircuitState",
            "FailureEvent",
            "PostureCircuitBreaker",
        ),
        "trust.circuit_breaker",
    ),
    **dict.fromkeys(
        (
            "Comparison",
            "ConstraintCheckResult",
            "ConstraintDimension",
            "ConstraintDimensionRegistry",
            "ConstraintValue",
            "EvaluationResult",
            "InteractionMode",
            "MultiDimensionEvaluator",
        ),
        "trust.constraints",
    ),
    **dict.fromkeys(
        ("ConstraintMetrics", "PostureMetrics", "TrustMetricsCollector"), "trust.metrics"
    ),
    **dict.fromkeys(("Policy", "PolicyError", "load_policy"), "trust.policy"),
    **dict.fromkeys(
        ("ApprovalHandler", "NotificationHandler", "PostureAwareAgent"), "trust.posture_agent"
    ),
    **dict.fromkeys(
        (
            "POSTURE_LEVEL_MAP",
            "PostureConstraints",
            "PostureResult",
            "PostureStateMachine",
            "PostureTransition",
            "PostureTransitionRequest",
            "TransitionGuard",
            "TransitionResult",
            "TrustPosture",
            "TrustPostureMapper",
        ),
        "trust.postures",
    ),
}
"""Where each public name lives: the module `__getattr__` imports on its first read."""

_SUBPACKAGES = frozenset(
    {
        "audit",
        "circuit_breaker",
        "constraints",
        "metrics",
        "policy",
        "posture_agent",
        "postures",
        "testing",
    }
)
"""Subpackages reachable as attributes (``trust.postures``) before anyone imported them.

Not ``model`` and ``proofs``: they need the ``verify`` extra, and reading an attribute
(``hasattr``, an IDE's completion) must never load z3.
"""


# Hidden from type checkers: they see the names through the imports above, and a module
# __getattr__ would make them accept any misspelt name as well.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        where = _WHERE.get(name)
        if where is not None:
            value = getattr(import_module(where), name)
        elif name in _SUBPACKAGES:
            value = import_module(f"trust.{name}")
        else:
            raise AttributeError(f"module 'trust' has no attribute {name!r}")
        globals()[name] = value  # the next read is a plain module attribute
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "POSTURE_LEVEL_MAP",
    "Admission",
    "ApprovalHandler",
    "AuditEntry",
    "AuditLog",
    "AuditOutcome",
    "CircuitBreakerConfig",
    "CircuitState",
    "Clock",
    "Comparison",
    "ConstraintCheckResult",
    "ConstraintDimension",
    "ConstraintDimensionRegistry",
    "ConstraintMetrics",
    "ConstraintValue",
    "EvaluationResult",
    "FailureEvent",
    "InteractionMode",
    "InvalidTypeError",
    "InvalidValueError",
    "MultiDimensionEvaluator",
    "NotificationHandler",
    "Policy",
    "PolicyError",
    "PostureAwareAgent",
    "PostureCircuitBreaker",
    "PostureConstraints",
    "PostureMetrics",
    "PostureResult",
    "PostureStateMachine",
    "PostureTransition",
    "PostureTransitionRequest",
    "SystemClock",
    "TransitionGuard",
    "TransitionResult",
    "TrustError",
    "TrustMetricsCollector",
    "TrustPosture",
    "TrustPostureMapper",
    "load_policy",
    "verify_audit_chain",
]
