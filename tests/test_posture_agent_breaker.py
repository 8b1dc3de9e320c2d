"""PostureAwareAgent with the library's own PostureCircuitBreaker, end to end."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.fakes import FakeClock, RecordingAgent
from trust import (
    AuditOutcome,
    CircuitBreakerConfig,
    CircuitState,
    PostureAwareAgent,
    PostureCircuitBreaker,
    PostureStateMachine,
    TrustMetricsCollector,
    TrustPosture,
)

AGENT = "agent-001"


class FlakyAgent:
    """Fails while ``failing`` is set, succeeds otherwise."""

    def __init__(self) -> None:
        self.failing = True
        self.calls = 0

    async def run(self, **kwargs: Any) -> str:
        self.calls += 1
        if self.failing:
            raise ConnectionError("upstream down")
        return "ok"


class Approver:
    def __init__(self) -> None:
        self.asked = 0

    async def request_approval(
        self, agent_id: str, action_description: str, kwargs: dict[str, Any]
    ) -> bool:
        self.asked += 1
        return True


def setup(
    threshold: int = 3, **config: Any
) -> tuple[FakeClock, PostureStateMachine, PostureCircuitBreaker, TrustMetricsCollector]:
    clock = FakeClock()
    metrics = TrustMetricsCollector(clock=clock)
    machine = PostureStateMachine(clock=clock, metrics=metrics)
    machine.set_posture(AGENT, TrustPosture.FULL_AUTONOMY)
    breaker = PostureCircuitBreaker(
        machine,
        CircuitBreakerConfig(
            failure_threshold=threshold,
            recovery_timeout=30,
            half_open_max_calls=1,
            downgrade_on_open="human_decides",
            **config,
        ),
        metrics=metrics,
    )
    return clock, machine, breaker, metrics


def test_failures_trip_the_breaker_which_lowers_the_posture_and_recovery_restores_it() -> None:
    clock, machine, breaker, metrics = setup()
    base, approver = FlakyAgent(), Approver()
    agent = PostureAwareAgent(
        base, AGENT, machine, circuit_breaker=breaker, approval_handler=approver
    )

    async def scenario() -> None:
        for _ in range(3):  # ConnectionError maps to "low" (0.5): six make three
            with pytest.raises(ConnectionError):
                await agent.run()
        assert breaker.get_state(AGENT) is CircuitState.CLOSED
        for _ in range(3):
            with pytest.raises(ConnectionError):
                await agent.run()
        assert breaker.get_state(AGENT) is CircuitState.OPEN
        assert machine.get_posture(AGENT) is TrustPosture.HUMAN_DECIDES

        # Open: the approval is asked (the posture says so), then the breaker refuses.
        with pytest.raises(PermissionError, match="circuit breaker refused"):
            await agent.run()
        assert base.calls == 6

        clock.advance(30)
        base.failing = False
        assert await agent.run() == "ok"  # the probe, approved and admitted
        assert breaker.get_state(AGENT) is CircuitState.CLOSED
        assert machine.get_posture(AGENT) is TrustPosture.FULL_AUTONOMY

    asyncio.run(scenario())
    outcomes = [e.outcome for e in agent.audit_log]
    assert outcomes == [AuditOutcome.FAILED] * 6 + [AuditOutcome.REFUSED, AuditOutcome.EXECUTED]
    assert approver.asked == 2
    assert metrics.get_posture_metrics().circuit_breaker_opens == 1
    history = machine.get_transition_history(AGENT)
    assert [(r.protective, r.requester_id, r.to_posture) for r in history[1:]] == [
        (True, "circuit_breaker", TrustPosture.HUMAN_DECIDES),
        (False, "circuit_breaker", TrustPosture.FULL_AUTONOMY),
    ]


def test_emergency_while_open_is_never_undone_by_recovery() -> None:
    clock, machine, breaker, _ = setup(threshold=1)
    base = FlakyAgent()
    agent = PostureAwareAgent(base, AGENT, machine, circuit_breaker=breaker)

    async def scenario() -> None:
        with pytest.raises(ConnectionError):
            await agent.run()
        with pytest.raises(ConnectionError):
            await agent.run()
        assert breaker.get_state(AGENT) is CircuitState.OPEN
        machine.emergency_downgrade(AGENT, reason="incident")
        clock.advance(30)
        assert breaker.get_state(AGENT) is CircuitState.HALF_OPEN
        with pytest.raises(PermissionError, match="BLOCKED"):
            await agent.run()

    asyncio.run(scenario())
    # A probe admitted directly succeeds: the circuit closes, but the posture stays BLOCKED.
    admission = breaker.admit_sync(AGENT)
    assert admission.allowed
    breaker.record_success_sync(AGENT, admission)
    assert breaker.get_state(AGENT) is CircuitState.CLOSED
    assert machine.get_posture(AGENT) is TrustPosture.BLOCKED


def test_unknown_severity_for_this_breaker_counts_as_its_heaviest() -> None:
    _, machine, breaker, _ = setup(threshold=5, severity_weights={"minor": 1, "major": 5})
    agent = PostureAwareAgent(
        RecordingAgent(error=ValueError("bad")), AGENT, machine, circuit_breaker=breaker
    )
    with pytest.raises(ValueError, match="bad"):
        asyncio.run(agent.run())
    assert breaker.get_state(AGENT) is CircuitState.OPEN  # counted as "major" (5)
