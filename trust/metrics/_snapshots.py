"""Snapshots of what a `TrustMetricsCollector` has counted: posture and constraint metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class PostureMetrics:
    """A snapshot of posture metrics.

    Attributes:
        posture_distribution: Agents tracked at each posture (every posture listed).
        transitions_by_type: Transitions recorded, by kind value.
        circuit_breaker_opens: Circuit breaker trips recorded.
        emergency_downgrades: Emergency downgrades recorded.
        average_posture_level: Mean autonomy level of the tracked agents (0.0 if none).
        agents_tracked: How many agents the distribution covers.
        agents_evicted: How many agents were dropped to respect ``max_agents``.
        timestamp: When the snapshot was taken.
    """

    posture_distribution: dict[str, int]
    transitions_by_type: dict[str, int]
    circuit_breaker_opens: int
    emergency_downgrades: int
    average_posture_level: float
    agents_tracked: int
    agents_evicted: int
    timestamp: datetime

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "posture_distribution": dict(self.posture_distribution),
            "transitions_by_type": dict(self.transitions_by_type),
            "circuit_breaker_opens": self.circuit_breaker_opens,
            "emergency_downgrades": self.emergency_downgrades,
            "average_posture_level": self.average_posture_level,
            "agents_tracked": self.agents_tracked,
            "agents_evicted": self.agents_evicted,
            "timestamp": self.timestamp.isoformat(),
        }


@attrs.frozen(kw_only=True)
class ConstraintMetrics:
    """A snapshot of constraint-evaluation metrics.

    Attributes:
        evaluations_total: Evaluations recorded.
        evaluations_passed: Of those, how many passed.
        evaluations_failed: Of those, how many failed.
        dimension_failures: Failures by dimension name.
        anti_gaming_flags: Anti-gaming flags by ``kind:dimension``.
        average_evaluation_time_ms: Mean duration over every evaluation recorded.
        total_evaluation_time_ms: Sum of the durations recorded.
        timestamp: When the snapshot was taken.
    """

    evaluations_total: int
    evaluations_passed: int
    evaluations_failed: int
    dimension_failures: dict[str, int]
    anti_gaming_flags: dict[str, int]
    average_evaluation_time_ms: float
    total_evaluation_time_ms: float
    timestamp: datetime

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "evaluations_total": self.evaluations_total,
            "evaluations_passed": self.evaluations_passed,
            "evaluations_failed": self.evaluations_failed,
            "dimension_failures": dict(self.dimension_failures),
            "anti_gaming_flags": dict(self.anti_gaming_flags),
            "average_evaluation_time_ms": self.average_evaluation_time_ms,
            "total_evaluation_time_ms": self.total_evaluation_time_ms,
            "timestamp": self.timestamp.isoformat(),
        }
