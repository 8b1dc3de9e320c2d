"""Metric families: one description per family, rendered as text and for prometheus_client."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from trust import TrustPosture
from trust.metrics import MetricFamily, MetricKind, MetricSample, TrustMetricsCollector
from trust.metrics.prometheus import TrustPrometheusCollector

PINNED_TEXT = """\
# HELP care_trust_agents Agents tracked at each trust posture.
# TYPE care_trust_agents gauge
care_trust_agents{posture="full_autonomy"} 0
care_trust_agents{posture="assisted"} 1
care_trust_agents{posture="supervised"} 0
care_trust_agents{posture="human_decides"} 1
care_trust_agents{posture="blocked"} 0
# HELP care_trust_average_posture_level Mean autonomy level (5 full, 1 blocked).
# TYPE care_trust_average_posture_level gauge
care_trust_average_posture_level 3
# HELP care_trust_posture_transitions_total Posture transitions by kind.
# TYPE care_trust_posture_transitions_total counter
care_trust_posture_transitions_total{type="emergency_downgrade"} 1
care_trust_posture_transitions_total{type="upgrade"} 2
# HELP care_trust_circuit_breaker_opens_total Circuit breaker trips.
# TYPE care_trust_circuit_breaker_opens_total counter
care_trust_circuit_breaker_opens_total 1
# HELP care_trust_emergency_downgrades_total Emergency downgrades.
# TYPE care_trust_emergency_downgrades_total counter
care_trust_emergency_downgrades_total 0
# HELP care_trust_constraint_evaluations_total Constraint evaluations by result.
# TYPE care_trust_constraint_evaluations_total counter
care_trust_constraint_evaluations_total{result="passed"} 1
care_trust_constraint_evaluations_total{result="failed"} 1
# HELP care_trust_constraint_dimension_failures_total Failed constraint checks by dimension.
# TYPE care_trust_constraint_dimension_failures_total counter
care_trust_constraint_dimension_failures_total{dimension="cost_limit"} 1
# HELP care_trust_anti_gaming_flags_total Anti-gaming flags by kind and dimension.
# TYPE care_trust_anti_gaming_flags_total counter
care_trust_anti_gaming_flags_total{flag="boundary_pushing:cost_limit"} 1
# HELP care_trust_constraint_evaluation_duration_milliseconds Time spent evaluating constraints.
# TYPE care_trust_constraint_evaluation_duration_milliseconds summary
care_trust_constraint_evaluation_duration_milliseconds_sum 2.625
care_trust_constraint_evaluation_duration_milliseconds_count 2
# HELP care_trust_agent_posture_level Autonomy level of each tracked agent.
# TYPE care_trust_agent_posture_level gauge
care_trust_agent_posture_level{agent_id="a",posture="assisted"} 4
care_trust_agent_posture_level{agent_id="b",posture="human_decides"} 2
"""


def populated() -> TrustMetricsCollector:
    collector = TrustMetricsCollector()
    collector.record_posture("a", TrustPosture.ASSISTED)
    collector.record_posture("b", TrustPosture.HUMAN_DECIDES)
    collector.record_transition("upgrade")
    collector.record_transition("upgrade")
    collector.record_transition("emergency_downgrade")
    collector.record_circuit_breaker_open()
    collector.record_constraint_evaluation(
        passed=False,
        failed_dimensions=["cost_limit"],
        gaming_flags=["boundary_pushing:cost_limit (usage_ratio=0.96)"],
        duration_ms=2.5,
    )
    collector.record_constraint_evaluation(passed=True, duration_ms=0.125)
    return collector


def test_the_text_exposition_is_pinned_byte_for_byte() -> None:
    # Dashboards and alert rules read these exact names, labels and help texts.
    assert populated().to_prometheus(include_agents=True) == PINNED_TEXT


def test_both_exporters_render_the_same_families() -> None:
    collector = populated()
    registry = CollectorRegistry()
    registry.register(TrustPrometheusCollector(collector, include_agents=True))

    def parsed(text: str) -> list[tuple[object, ...]]:
        return [
            (f.name, f.type, f.documentation, sorted(_key(s) for s in f.samples))
            for f in text_string_to_metric_families(text)
        ]

    client_text = generate_latest(registry).decode()
    assert parsed(client_text) == parsed(collector.to_prometheus(include_agents=True))


def _key(sample: Sample) -> tuple[str, list[tuple[str, str]], float]:
    return sample.name, sorted(sample.labels.items()), sample.value


def test_the_client_collector_yields_the_collectors_families() -> None:
    collector = populated()
    families = collector.metric_families(include_agents=True)
    metrics = list(TrustPrometheusCollector(collector, include_agents=True).collect())
    assert [(m.name, m.type, m.documentation) for m in metrics] == [
        (f.name, f.kind.value, f.help) for f in families
    ]
    assert [[(s.name, s.labels, s.value) for s in m.samples] for m in metrics] == [
        [(s.name, dict(s.labels), s.value) for s in f.samples] for f in families
    ]


def test_families_are_frozen_values_with_full_sample_names() -> None:
    families = {f.name: f for f in populated().metric_families()}
    transitions = families["care_trust_posture_transitions"]
    assert transitions.kind is MetricKind.COUNTER
    assert transitions.samples[1] == MetricSample(
        name="care_trust_posture_transitions_total", value=2, labels=(("type", "upgrade"),)
    )
    assert "care_trust_agent_posture_level" not in families  # per-agent series are opt-in
    assert all(type(f) is MetricFamily for f in families.values())
