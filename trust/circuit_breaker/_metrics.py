"""The numbers a breaker reports about one agent."""

from __future__ import annotations

from typing import Any

from trust.circuit_breaker._agents import AgentRecord
from trust.circuit_breaker._config import CircuitBreakerConfig
from trust.circuit_breaker._core import CircuitState
from trust.circuit_breaker._coupling import PostureCoupling


def breaker_metrics(
    agent_id: str,
    agent: AgentRecord,
    now: float,
    config: CircuitBreakerConfig,
    coupling: PostureCoupling,
) -> dict[str, Any]:
    """The metrics `PostureCircuitBreaker.get_metrics` returns; the caller holds the lock.

    Every count comes from the agent's window pruned once, at ``now``.
    """
    circuit = agent.circuit
    agent.window.prune(now)
    probing = circuit.state is CircuitState.HALF_OPEN
    metrics: dict[str, Any] = {
        "agent_id": agent_id,
        "state": circuit.state.value,
        "failure_count": len(agent.window),
        "weighted_failures": float(config.units_to_fraction(agent.window.units)),
        "failures_by_severity": agent.window.by_severity(),
        "current_posture": coupling.machine.get_posture(agent_id).value,
        "generation": circuit.generation,
        "forced_open": circuit.forced,
        "probes_admitted": circuit.probes_admitted if probing else 0,
        "probes_succeeded": circuit.probes_succeeded if probing else 0,
        "reason": agent.reason,
        "failure_threshold": config.failure_threshold,
        "failure_window_seconds": config.failure_window_seconds,
        "recovery_timeout_seconds": config.recovery_timeout,
        "half_open_max_calls": config.half_open_max_calls,
    }
    if circuit.state is CircuitState.OPEN:
        # The reference's names too: a migrating dashboard reads these keys.
        opened = circuit.entered_at
        metrics["time_in_open_state"] = None if opened is None else max(0.0, now - opened)
        if circuit.forced or opened is None:
            metrics["time_until_half_open"] = None
        else:
            metrics["time_until_half_open"] = max(0.0, opened + config.recovery_timeout - now)
    elif probing:
        metrics["half_open_calls"] = circuit.probes_admitted
        metrics["half_open_successes"] = circuit.probes_succeeded
    hold = agent.hold
    if hold is not None and coupling.is_live(agent_id, hold):
        metrics["original_posture"] = hold.displaced.value
    return metrics
