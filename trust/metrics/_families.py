"""The metric families of a `TrustMetricsCollector`, built once for every renderer.

Each family is a small frozen value: its name, kind, help text and samples. The text
exposition (`trust.metrics._exposition`) and the ``prometheus_client`` collector
(`trust.metrics.prometheus`) only render these values, so a metric's name, labels and help
text are written in one place and the two outputs cannot drift apart.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import attrs

from trust.metrics._snapshots import ConstraintMetrics, PostureMetrics
from trust.postures import TrustPosture

PREFIX = "care_trust_"
"""Every metric name starts with it."""


class MetricKind(enum.Enum):
    """The Prometheus metric types the collector exposes."""

    GAUGE = "gauge"
    COUNTER = "counter"
    SUMMARY = "summary"


@attrs.frozen(kw_only=True)
class MetricSample:
    """One sample: its full name (a counter's ends in ``_total``), labels and value."""

    name: str
    value: float
    labels: tuple[tuple[str, str], ...] = ()


@attrs.frozen(kw_only=True)
class MetricFamily:
    """One metric family. ``name`` is the family's, without a counter's ``_total``."""

    name: str
    kind: MetricKind
    help: str
    samples: tuple[MetricSample, ...]


def _family(
    name: str, kind: MetricKind, help_text: str, points: Iterable[tuple[float, Mapping[str, str]]]
) -> MetricFamily:
    full = PREFIX + name
    sample_name = f"{full}_total" if kind is MetricKind.COUNTER else full
    samples = tuple(
        MetricSample(name=sample_name, value=value, labels=tuple(labels.items()))
        for value, labels in points
    )
    return MetricFamily(name=full, kind=kind, help=help_text, samples=samples)


_GAUGE, _COUNTER = MetricKind.GAUGE, MetricKind.COUNTER
_DURATION = PREFIX + "constraint_evaluation_duration_milliseconds"


def metric_families(
    postures: PostureMetrics,
    constraints: ConstraintMetrics,
    agents: Mapping[str, TrustPosture] | None = None,
) -> tuple[MetricFamily, ...]:
    """Every family, in exposition order; per-agent levels only when ``agents`` is given."""
    families = [
        _family(
            "agents",
            _GAUGE,
            "Agents tracked at each trust posture.",
            ((n, {"posture": p}) for p, n in postures.posture_distribution.items()),
        ),
        _family(
            "average_posture_level",
            _GAUGE,
            "Mean autonomy level (5 full, 1 blocked).",
            [(postures.average_posture_level, {})],
        ),
        _family(
            "posture_transitions",
            _COUNTER,
            "Posture transitions by kind.",
            ((n, {"type": k}) for k, n in sorted(postures.transitions_by_type.items())),
        ),
        _family(
            "circuit_breaker_opens",
            _COUNTER,
            "Circuit breaker trips.",
            [(postures.circuit_breaker_opens, {})],
        ),
        _family(
            "emergency_downgrades",
            _COUNTER,
            "Emergency downgrades.",
            [(postures.emergency_downgrades, {})],
        ),
        _family(
            "constraint_evaluations",
            _COUNTER,
            "Constraint evaluations by result.",
            [
                (constraints.evaluations_passed, {"result": "passed"}),
                (constraints.evaluations_failed, {"result": "failed"}),
            ],
        ),
        _family(
            "constraint_dimension_failures",
            _COUNTER,
            "Failed constraint checks by dimension.",
            ((n, {"dimension": d}) for d, n in sorted(constraints.dimension_failures.items())),
        ),
        _family(
            "anti_gaming_flags",
            _COUNTER,
            "Anti-gaming flags by kind and dimension.",
            ((n, {"flag": f}) for f, n in sorted(constraints.anti_gaming_flags.items())),
        ),
        MetricFamily(
            name=_DURATION,
            kind=MetricKind.SUMMARY,
            help="Time spent evaluating constraints.",
            samples=(
                MetricSample(name=f"{_DURATION}_sum", value=constraints.total_evaluation_time_ms),
                MetricSample(name=f"{_DURATION}_count", value=constraints.evaluations_total),
            ),
        ),
    ]
    if agents is not None:
        families.append(
            _family(
                "agent_posture_level",
                _GAUGE,
                "Autonomy level of each tracked agent.",
                (
                    (posture.autonomy_level, {"agent_id": agent_id, "posture": posture.value})
                    for agent_id, posture in agents.items()
                ),
            )
        )
    return tuple(families)
