"""A ``prometheus_client`` collector for a `TrustMetricsCollector` (extra: ``prometheus``).

>>> from prometheus_client import CollectorRegistry
>>> from trust import TrustMetricsCollector
>>> from trust.metrics.prometheus import TrustPrometheusCollector
>>> registry = CollectorRegistry()
>>> registry.register(TrustPrometheusCollector(TrustMetricsCollector()))

Importing this module needs ``pip install care-trust[prometheus]``; ``import trust`` never
loads it.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from trust.metrics._collector import TrustMetricsCollector
from trust.metrics._exposition import PREFIX
from trust.postures import POSTURE_LEVEL_MAP


class TrustPrometheusCollector(Collector):
    """Exposes a `TrustMetricsCollector` to a ``prometheus_client`` registry.

    The metric names and labels are those of `TrustMetricsCollector.to_prometheus`;
    ``prometheus_client`` escapes the label values.
    """

    def __init__(self, collector: TrustMetricsCollector, *, include_agents: bool = False) -> None:
        self._collector = collector
        self._include_agents = include_agents

    def collect(self) -> Iterator[Metric]:
        postures = self._collector.get_posture_metrics()
        constraints = self._collector.get_constraint_metrics()
        agents = GaugeMetricFamily(
            f"{PREFIX}agents", "Agents tracked at each trust posture.", labels=["posture"]
        )
        for posture, count in postures.posture_distribution.items():
            agents.add_metric([posture], count)
        yield agents
        yield GaugeMetricFamily(
            f"{PREFIX}average_posture_level",
            "Mean autonomy level (5 full, 1 blocked).",
            value=postures.average_posture_level,
        )
        transitions = CounterMetricFamily(
            f"{PREFIX}posture_transitions", "Posture transitions by kind.", labels=["type"]
        )
        for kind, count in sorted(postures.transitions_by_type.items()):
            transitions.add_metric([kind], count)
        yield transitions
        yield CounterMetricFamily(
            f"{PREFIX}circuit_breaker_opens",
            "Circuit breaker trips.",
            value=postures.circuit_breaker_opens,
        )
        yield CounterMetricFamily(
            f"{PREFIX}emergency_downgrades",
            "Emergency downgrades.",
            value=postures.emergency_downgrades,
        )
        evaluations = CounterMetricFamily(
            f"{PREFIX}constraint_evaluations",
            "Constraint evaluations by result.",
            labels=["result"],
        )
        evaluations.add_metric(["passed"], constraints.evaluations_passed)
        evaluations.add_metric(["failed"], constraints.evaluations_failed)
        yield evaluations
        failures = CounterMetricFamily(
            f"{PREFIX}constraint_dimension_failures",
            "Failed constraint checks by dimension.",
            labels=["dimension"],
        )
        for dimension, count in sorted(constraints.dimension_failures.items()):
            failures.add_metric([dimension], count)
        yield failures
        flags = CounterMetricFamily(
            f"{PREFIX}anti_gaming_flags",
            "Anti-gaming flags by kind and dimension.",
            labels=["flag"],
        )
        for flag, count in sorted(constraints.anti_gaming_flags.items()):
            flags.add_metric([flag], count)
        yield flags
        yield SummaryMetricFamily(
            f"{PREFIX}constraint_evaluation_duration_milliseconds",
            "Time spent evaluating constraints.",
            count_value=constraints.evaluations_total,
            sum_value=constraints.total_evaluation_time_ms,
        )
        if self._include_agents:
            levels = GaugeMetricFamily(
                f"{PREFIX}agent_posture_level",
                "Autonomy level of each tracked agent.",
                labels=["agent_id", "posture"],
            )
            for agent_id, posture in self._collector.agent_postures().items():
                levels.add_metric([agent_id, posture.value], POSTURE_LEVEL_MAP[posture])
            yield levels
