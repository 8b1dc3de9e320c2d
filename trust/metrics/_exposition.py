"""The Prometheus text exposition format (0.0.4) of a `TrustMetricsCollector`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from trust.postures import POSTURE_LEVEL_MAP

if TYPE_CHECKING:
    from trust.metrics._collector import TrustMetricsCollector

PREFIX = "care_trust_"


def escape_label_value(value: str) -> str:
    r"""Escape a label value as the exposition format requires: ``\``, ``"`` and newline.

    >>> escape_label_value('a"b\nc')
    'a\\"b\\nc'
    """
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{escape_label_value(v)}"' for k, v in labels.items())
    return "{" + inner + "}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines.append(f"# HELP {PREFIX}{name} {help_text}")
        self.lines.append(f"# TYPE {PREFIX}{name} {kind}")

    def sample(self, name: str, value: float, **labels: str) -> None:
        self.lines.append(f"{PREFIX}{name}{_labels(labels)} {_number(value)}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(collector: TrustMetricsCollector, *, include_agents: bool) -> str:
    """Every metric of ``collector`` as exposition text, ending with a newline."""
    postures = collector.get_posture_metrics()
    constraints = collector.get_constraint_metrics()
    out = _Writer()
    out.family("agents", "gauge", "Agents tracked at each trust posture.")
    for posture, count in postures.posture_distribution.items():
        out.sample("agents", count, posture=posture)
    out.family("average_posture_level", "gauge", "Mean autonomy level (5 full, 1 blocked).")
    out.sample("average_posture_level", postures.average_posture_level)
    out.family("posture_transitions_total", "counter", "Posture transitions by kind.")
    for kind, count in sorted(postures.transitions_by_type.items()):
        out.sample("posture_transitions_total", count, type=kind)
    out.family("circuit_breaker_opens_total", "counter", "Circuit breaker trips.")
    out.sample("circuit_breaker_opens_total", postures.circuit_breaker_opens)
    out.family("emergency_downgrades_total", "counter", "Emergency downgrades.")
    out.sample("emergency_downgrades_total", postures.emergency_downgrades)
    out.family("constraint_evaluations_total", "counter", "Constraint evaluations by result.")
    out.sample("constraint_evaluations_total", constraints.evaluations_passed, result="passed")
    out.sample("constraint_evaluations_total", constraints.evaluations_failed, result="failed")
    out.family(
        "constraint_dimension_failures_total", "counter", "Failed constraint checks by dimension."
    )
    for dimension, count in sorted(constraints.dimension_failures.items()):
        out.sample("constraint_dimension_failures_total", count, dimension=dimension)
    out.family("anti_gaming_flags_total", "counter", "Anti-gaming flags by kind and dimension.")
    for flag, count in sorted(constraints.anti_gaming_flags.items()):
        out.sample("anti_gaming_flags_total", count, flag=flag)
    out.family(
        "constraint_evaluation_duration_milliseconds",
        "summary",
        "Time spent evaluating constraints.",
    )
    out.sample(
        "constraint_evaluation_duration_milliseconds_sum", constraints.total_evaluation_time_ms
    )
    out.sample("constraint_evaluation_duration_milliseconds_count", constraints.evaluations_total)
    if include_agents:
        out.family("agent_posture_level", "gauge", "Autonomy level of each tracked agent.")
        for agent_id, posture in collector.agent_postures().items():
            out.sample(
                "agent_posture_level",
                POSTURE_LEVEL_MAP[posture],
                agent_id=agent_id,
                posture=posture.value,
            )
    return "\n".join(out.lines) + "\n"
