"""care-trust: verified trust postures, circuit breakers and constraint checks for AI agents.

The names the user guide imports from ``kaizen.trust`` are importable from ``trust``.
Importing this package loads neither z3 nor python-statemachine: those serve the proofs
and the model, not the runtime.
"""

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
