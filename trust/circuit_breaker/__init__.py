"""The posture circuit breaker: trips on weighted failures and holds the posture down.

Trips, closes and refused restores are logged on the ``trust.circuit_breaker`` logger; like
any library, it prints nothing until the application configures logging.
"""

import logging

from trust.circuit_breaker._admission import Admission
from trust.circuit_breaker._breaker import BreakerMetricsSink, PostureCircuitBreaker
from trust.circuit_breaker._config import DEFAULT_SEVERITY_WEIGHTS, CircuitBreakerConfig
from trust.circuit_breaker._core import CircuitState
from trust.circuit_breaker._coupling import REQUESTER
from trust.circuit_breaker._failures import FailureEvent

__all__ = [
    "DEFAULT_SEVERITY_WEIGHTS",
    "REQUESTER",
    "Admission",
    "BreakerMetricsSink",
    "CircuitBreakerConfig",
    "CircuitState",
    "FailureEvent",
    "PostureCircuitBreaker",
]

logging.getLogger("trust.circuit_breaker").addHandler(logging.NullHandler())
