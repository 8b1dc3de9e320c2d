"""Trust postures and the state machine that moves agents between them."""

import logging

from trust.postures._core import UPGRADE_APPROVAL_GUARD
from trust.postures._machine import PostureStateMachine
from trust.postures._mapper import (
    PostureConstraints,
    PostureResult,
    TrustPostureMapper,
    get_posture_for_action,
    map_verification_to_posture,
)
from trust.postures._posture import POSTURE_LEVEL_MAP, TrustPosture
from trust.postures._reports import PostureMetricsSink
from trust.postures._store import REFUSAL_ONLY_LIMIT
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
    "get_posture_for_action",
    "map_verification_to_posture",
]

# A library's logger has only a NullHandler: where its records go is the application's
# choice, and without one Python would print the WARNINGs to stderr on its own.
logging.getLogger("trust.postures").addHandler(logging.NullHandler())
