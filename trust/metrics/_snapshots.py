"""The metric snapshots: `PostureMetrics` and `ConstraintMetrics`, frozen and validated.

Every field has a default, as the reference's dataclasses have, so that code building a
snapshot by hand (an exporter's tests, a migration) names only what it cares about; the
defaults describe a collector that has recorded nothing, read now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from trust import _validators as check
from trust._clock import SYSTEM_CLOCK
from trust._errors import InvalidTypeError
from trust._exact import exact_str, snapshot
from trust.postures import TrustPosture


def _counts(value: object, name: str) -> dict[str, int]:
    """A plain-dict copy of a ``{label: count}`` mapping, each count a non-negative int."""
    read = snapshot(value)
    if read is None:
        raise InvalidTypeError(f"{name} must be a mapping, got {check.shown(value)}")
    counts: dict[str, int] = {}
    for label, count in read.items():
        key = exact_str(label)
        if key is None:
            raise InvalidTypeError(f"{name} keys must be strings, got {check.shown(label)}")
        counts[key] = check.non_negative_int(count, f"{name}[{key!r}]")
    return counts


def _stamp(value: object) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidTypeError(f"timestamp must be an aware datetime, got {check.shown(value)}")
    return value


def _no_agents() -> dict[str, int]:
    return dict.fromkeys((p.value for p in TrustPosture), 0)


# Named converters, one per field, so that each error names its field (and mypy's attrs
# plugin reads their types).


def _posture_distribution(value: object) -> dict[str, int]:
    return _counts(value, "posture_distribution")


def _transitions_by_type(value: object) -> dict[str, int]:
    return _counts(value, "transitions_by_type")


def _circuit_breaker_opens(value: object) -> int:
    return check.non_negative_int(value, "circuit_breaker_opens")


def _emergency_downgrades(value: object) -> int:
    return check.non_negative_int(value, "emergency_downgrades")


def _average_posture_level(value: object) -> float:
    return check.finite_number(value, "average_posture_level", minimum=0.0)


def _agents_tracked(value: object) -> int:
    return check.non_negative_int(value, "agents_tracked")


def _agents_evicted(value: object) -> int:
    return check.non_negative_int(value, "agents_evicted")


@attrs.frozen(kw_only=True)
class PostureMetrics:
    """A snapshot of posture metrics.

    Every field has a default: the snapshot of a collector that has recorded nothing,
    taken now.

    Attributes:
        posture_distribution: Agents tracked at each posture (every posture listed; by
            default each at 0).
        transitions_by_type: Transitions recorded, by kind value.
        circuit_breaker_opens: Circuit breaker trips recorded.
        emergency_downgrades: Emergency downgrades recorded.
        average_posture_level: Mean autonomy level of the tracked agents (0.0 if none).
        agents_tracked: How many agents the distribution covers.
        agents_evicted: How many agents were dropped to respect ``max_agents``.
        timestamp: When the snapshot was taken (aware; by default now, in UTC).

    Raises:
        ValueError: a count is negative or not an int, the mean is negative or not
            finite, a mapping has a label that is not a string, or the timestamp is
            naive. The message names the field and the value.
    """

    posture_distribution: dict[str, int] = attrs.field(
        factory=_no_agents, converter=_posture_distribution
    )
    transitions_by_type: dict[str, int] = attrs.field(factory=dict, converter=_transitions_by_type)
    circuit_breaker_opens: int = attrs.field(default=0, converter=_circuit_breaker_opens)
    emergency_downgrades: int = attrs.field(default=0, converter=_emergency_downgrades)
    average_posture_level: float = attrs.field(default=0.0, converter=_average_posture_level)
    agents_tracked: int = attrs.field(default=0, converter=_agents_tracked)
    agents_evicted: int = attrs.field(default=0, converter=_agents_evicted)
    timestamp: datetime = attrs.field(factory=SYSTEM_CLOCK.now, converter=_stamp)

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


def _evaluations_total(value: object) -> int:
    return check.non_negative_int(value, "evaluations_total")


def _evaluations_passed(value: object) -> int:
    return check.non_negative_int(value, "evaluations_passed")


def _evaluations_failed(value: object) -> int:
    return check.non_negative_int(value, "evaluations_failed")


def _dimension_failures(value: object) -> dict[str, int]:
    return _counts(value, "dimension_failures")


def _anti_gaming_flags(value: object) -> dict[str, int]:
    return _counts(value, "anti_gaming_flags")


def _average_evaluation_time_ms(value: object) -> float:
    return check.finite_number(value, "average_evaluation_time_ms", minimum=0.0)


def _total_evaluation_time_ms(value: object) -> float:
    return check.finite_number(value, "total_evaluation_time_ms", minimum=0.0)


@attrs.frozen(kw_only=True)
class ConstraintMetrics:
    """A snapshot of constraint-evaluation metrics.

    Every field has a default: the snapshot of a collector that has recorded nothing,
    taken now.

    Attributes:
        evaluations_total: Evaluations recorded.
        evaluations_passed: Of those, how many passed.
        evaluations_failed: Of those, how many failed.
        dimension_failures: Failures by dimension name.
        anti_gaming_flags: Anti-gaming flags by ``kind:dimension``.
        average_evaluation_time_ms: Mean duration over every evaluation recorded.
        total_evaluation_time_ms: Sum of the durations recorded.
        timestamp: When the snapshot was taken (aware; by default now, in UTC).

    Raises:
        ValueError: as for `PostureMetrics`.
    """

    evaluations_total: int = attrs.field(default=0, converter=_evaluations_total)
    evaluations_passed: int = attrs.field(default=0, converter=_evaluations_passed)
    evaluations_failed: int = attrs.field(default=0, converter=_evaluations_failed)
    dimension_failures: dict[str, int] = attrs.field(factory=dict, converter=_dimension_failures)
    anti_gaming_flags: dict[str, int] = attrs.field(factory=dict, converter=_anti_gaming_flags)
    average_evaluation_time_ms: float = attrs.field(
        default=0.0, converter=_average_evaluation_time_ms
    )
    total_evaluation_time_ms: float = attrs.field(default=0.0, converter=_total_evaluation_time_ms)
    timestamp: datetime = attrs.field(factory=SYSTEM_CLOCK.now, converter=_stamp)

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
