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

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from trust.metrics._collector import TrustMetricsCollector
from trust.metrics._families import MetricFamily


class TrustPrometheusCollector(Collector):
    """Exposes a `TrustMetricsCollector` to a ``prometheus_client`` registry.

    The metric families are `TrustMetricsCollector.metric_families`, the very values
    `TrustMetricsCollector.to_prometheus` renders; ``prometheus_client`` escapes the label
    values.
    """

    def __init__(self, collector: TrustMetricsCollector, *, include_agents: bool = False) -> None:
        self._collector = collector
        self._include_agents = include_agents

    def collect(self) -> Iterator[Metric]:
        for family in self._collector.metric_families(include_agents=self._include_agents):
            yield client_metric(family)


def client_metric(family: MetricFamily) -> Metric:
    """``family`` as a ``prometheus_client`` metric."""
    metric = Metric(family.name, family.help, family.kind.value)
    for sample in family.samples:
        metric.add_sample(sample.name, dict(sample.labels), sample.value)
    return metric
