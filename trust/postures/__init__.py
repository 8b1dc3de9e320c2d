"""Trust postures and the state machine that moves agents between them."""

from trust.postures._machine import (
    REFUSAL_ONLY_LIMIT,
    UPGRADE_APPROVAL_GUARD,
    PostureMetricsSink,
    PostureStateMachine,
)
from trust.postures._mapper import PostureConstraints, PostureResult, TrustPostureMapper
from trust.postures._posture import POSTURE_LEVEL_MAP, TrustPosture
from trust.postures._transition import (
    PostureTransition,
    PostureTransitionRequest,
    TransitionGuard,
    TransitionResult,
)

__all__ = [
    "POSTURE_LEVEL_MAP",
    "REFUSAL_ONLY_LIMIT",
    "UPGRADE_APPROVAL_GUARD",
    "PostureConstraints",
    "PostureMetricsSink",
    "PostureResult",
    "PostureStateMachine",
    "PostureTransition",
    "PostureTransitionRequest",
    "TransitionGuard",
    "TransitionResult",
    "TrustPosture",
    "TrustPostureMapper",
]
