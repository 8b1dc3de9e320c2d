"""Prometheus exposition: well-formed text, escaped labels, a prometheus_client collector."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from trust import TrustPosture
from trust.metrics import TrustMetricsCollector, escape_label_value
from trust.metrics.prometheus import TrustPrometheusCollector

HOSTILE_IDS = [
    'quote"d',
    "brace}",
    'all"} 1 # TYPE evil counter',
    "back\\slash",
]


def populated() -> TrustMetricsCollector:
    collector = TrustMetricsCollector()
    for agent_id in HOSTILE_IDS:
        collector.record_posture(agent_id, TrustPosture.ASSISTED)
    collector.record_transition("upgrade")
    collector.record_constraint_evaluation(
        passed=False,
        failed_dimensions=["cost_limit"],
        gaming_flags=["boundary_pushing:cost_limit (usage_ratio=0.96)"],
        duration_ms=2.5,
    )
    return collector


def test_text_parses_and_agent_ids_cannot_inject_lines() -> None:
    text = populated().to_prometheus(include_agents=True)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert "evil" not in families
    samples = families["care_trust_agent_posture_level"].samples
    assert sorted(s.labels["agent_id"] for s in samples) == sorted(HOSTILE_IDS)
    assert all(s.value == 4 for s in samples)
    assert not any(line.startswith("evil") for line in text.splitlines())
    assert families["care_trust_agents"].samples[1].labels == {"posture": "assisted"}


def test_text_values() -> None:
    text = populated().to_prometheus()
    assert 'care_trust_posture_transitions_total{type="upgrade"} 1' in text
    assert 'care_trust_anti_gaming_flags_total{flag="boundary_pushing:cost_limit"} 1' in text
    assert "care_trust_constraint_evaluation_duration_milliseconds_sum 2.5" in text
    assert 'care_trust_constraint_evaluations_total{result="failed"} 1' in text
    assert "agent_posture_level" not in text  # per-agent series are opt-in


def test_an_id_that_breaks_a_line_never_reaches_the_text() -> None:
    collector = TrustMetricsCollector()
    with pytest.raises(ValueError, match="control or invisible characters"):
        collector.record_posture('all"}\n# TYPE evil counter\nevil 1', TrustPosture.ASSISTED)
    assert "evil" not in collector.to_prometheus(include_agents=True)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [('a"b', 'a\\"b'), ("a\nb", "a\\nb"), ("a\\b", "a\\\\b"), ("plain", "plain")],
)
def test_escape_label_value(raw: str, escaped: str) -> None:
    assert escape_label_value(raw) == escaped


def test_prometheus_client_collector() -> None:
    registry = CollectorRegistry()
    registry.register(TrustPrometheusCollector(populated(), include_agents=True))
    text = generate_latest(registry).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert "evil" not in families
    assert families["care_trust_posture_transitions"].samples[0].value == 1
    assert sorted(
        s.labels["agent_id"] for s in families["care_trust_agent_posture_level"].samples
    ) == sorted(HOSTILE_IDS)
