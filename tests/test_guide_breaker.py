"""Every circuit breaker example of the user guide, run unchanged apart from the import.

Each guide code block is its own test; where a block uses names an earlier block defined
(``machine``, ``breaker``), the test repeats only that set-up. Blocks with top-level
``await`` run inside ``asyncio.run``. The names come from ``trust.circuit_breaker`` (the
module the reference's ``kaizen.trust.circuit_breaker`` mirrors) until ``trust`` re-exports
them; `test_guide_imports_from_trust` checks that re-export once it exists.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import trust
from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustMetricsCollector, TrustPosture
from trust.circuit_breaker import (
    CircuitBreakerConfig,
    CircuitState,
    FailureEvent,
    PostureCircuitBreaker,
)

GUIDE_NAMES = ["PostureCircuitBreaker", "CircuitBreakerConfig", "CircuitState", "FailureEvent"]


@pytest.mark.skipif(
    not hasattr(trust, "PostureCircuitBreaker"), reason="trust does not re-export them yet"
)
def test_guide_imports_from_trust() -> None:
    import trust.circuit_breaker as module

    for name in GUIDE_NAMES:
        assert getattr(trust, name) is getattr(module, name)
        assert name in trust.__all__


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def machine(clock: FakeClock) -> PostureStateMachine:
    machine = PostureStateMachine(default_posture=TrustPosture.SUPERVISED, clock=clock)
    machine.set_posture("agent-001", TrustPosture.FULL_AUTONOMY)
    return machine


@pytest.fixture
def breaker(machine: PostureStateMachine) -> PostureCircuitBreaker:
    return PostureCircuitBreaker(posture_machine=machine, config=CircuitBreakerConfig())


def test_configuration(machine: PostureStateMachine) -> None:
    config = CircuitBreakerConfig(
        failure_threshold=5,  # Weighted failures to open circuit
        recovery_timeout=60,  # Seconds before testing recovery
        half_open_max_calls=3,  # Test calls allowed in half-open
        failure_window_seconds=300,  # Window for counting failures
        severity_weights={  # Weight multipliers by severity
            "low": 0.5,
            "medium": 1.0,
            "high": 2.0,
            "critical": 5.0,
        },
        downgrade_on_open="human_decides",  # Posture when circuit opens
    )

    breaker = PostureCircuitBreaker(
        posture_machine=machine,
        config=config,
    )

    assert breaker.config.downgrade_on_open is TrustPosture.HUMAN_DECIDES
    assert breaker.get_state("agent-001") is CircuitState.CLOSED


def test_recording_failures(breaker: PostureCircuitBreaker) -> None:
    executed: list[str] = []

    async def block() -> None:
        # Record a failure (severity affects weighted count)
        await breaker.record_failure(
            agent_id="agent-001",
            error_type="ConnectionError",
            error_message="Failed to connect to upstream API",
            action="api_call",
            severity="medium",  # low, medium, high, critical
        )

        # Check if agent can proceed
        if await breaker.can_proceed("agent-001"):
            # Execute action
            executed.append("api_call")
            await breaker.record_success("agent-001")
        else:
            # Circuit is open - action blocked
            pass

    asyncio.run(block())
    assert executed == ["api_call"]
    assert breaker.get_metrics("agent-001")["failure_count"] == 1
    (failure,) = breaker.get_failures("agent-001")
    assert isinstance(failure, FailureEvent)
    assert failure.error_type == "ConnectionError"
    assert failure.action == "api_call"


@pytest.mark.parametrize("failures", [0, 5])
def test_circuit_states(breaker: PostureCircuitBreaker, failures: int) -> None:
    for _ in range(failures):
        breaker.record_failure_sync("agent-001", "E", "m", "act", "medium")
    seen = []

    state = breaker.get_state("agent-001")

    if state == CircuitState.CLOSED:
        # Normal operation - failures are counted
        seen.append("closed")
    elif state == CircuitState.OPEN:
        # Failures exceeded threshold - executions blocked
        # Posture has been downgraded
        seen.append("open")
    elif state == CircuitState.HALF_OPEN:
        # Testing recovery - limited calls allowed
        seen.append("half_open")

    assert seen == (["open"] if failures else ["closed"])


def test_state_lifecycle(
    breaker: PostureCircuitBreaker, machine: PostureStateMachine, clock: FakeClock
) -> None:
    """CLOSED -> OPEN -> HALF_OPEN -> (failure) OPEN -> HALF_OPEN -> (successes) CLOSED."""
    agent = "agent-001"
    for _ in range(5):
        breaker.record_failure_sync(agent, "E", "m")  # weighted failures >= threshold
    assert breaker.get_state(agent) is CircuitState.OPEN
    assert machine.get_posture(agent) is TrustPosture.HUMAN_DECIDES
    clock.advance(60)  # recovery_timeout elapsed
    assert breaker.get_state(agent) is CircuitState.HALF_OPEN
    breaker.record_failure_sync(agent, "E", "m", admission=breaker.admit_sync(agent))
    assert breaker.get_state(agent) is CircuitState.OPEN  # any failure
    clock.advance(60)
    for _ in range(3):  # half_open_max_calls successes
        assert breaker.can_proceed_sync(agent)
        breaker.record_success_sync(agent)
    assert breaker.get_state(agent) is CircuitState.CLOSED
    assert machine.get_posture(agent) is TrustPosture.FULL_AUTONOMY


@pytest.mark.parametrize("failures", [0, 5])
def test_metrics(
    breaker: PostureCircuitBreaker, failures: int, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(failures):
        breaker.record_failure_sync("agent-001", "E", "m")

    metrics = breaker.get_metrics("agent-001")

    print(f"State: {metrics['state']}")
    print(f"Failure count: {metrics['failure_count']}")
    print(f"Weighted failures: {metrics['weighted_failures']}")
    print(f"Current posture: {metrics['current_posture']}")

    if metrics["state"] == "open":
        print(f"Time until half-open: {metrics['time_until_half_open']}s")

    if "original_posture" in metrics:
        print(f"Original posture: {metrics['original_posture']}")

    out = capsys.readouterr().out.splitlines()
    if failures:
        assert out == [
            "State: open",
            "Failure count: 5",
            "Weighted failures: 5.0",
            "Current posture: human_decides",
            "Time until half-open: 60.0s",
            "Original posture: full_autonomy",
        ]
    else:
        assert out == [
            "State: closed",
            "Failure count: 0",
            "Weighted failures: 0.0",
            "Current posture: full_autonomy",
        ]


def test_breaker_trips_are_collected_as_the_metrics_section_shows(
    machine: PostureStateMachine,
) -> None:
    collector = TrustMetricsCollector()
    breaker = PostureCircuitBreaker(machine, CircuitBreakerConfig(failure_threshold=1))
    breaker.attach_metrics(collector)
    breaker.record_failure_sync("agent-001", "E", "m")
    posture_metrics = collector.get_posture_metrics()
    assert posture_metrics.circuit_breaker_opens == 1


def test_complete_example_breaker_part(clock: FakeClock) -> None:
    """Steps 1, 2 and the breaker half of step 6 of "Posture + Constraints + Circuit Breaker".

    The agent and the constraint evaluator are stood in for by a callable that fails on
    demand; the breaker calls are the guide's, unchanged.
    """
    # 1. Setup posture management
    machine = PostureStateMachine(default_posture=TrustPosture.SUPERVISED, clock=clock)
    machine.set_posture("agent-001", TrustPosture.ASSISTED)

    # 2. Setup circuit breaker
    breaker = PostureCircuitBreaker(
        posture_machine=machine,
        config=CircuitBreakerConfig(
            failure_threshold=3,
            recovery_timeout=30,
            downgrade_on_open="human_decides",
        ),
    )

    async def run(query: str) -> Any:
        if query == "fail":
            raise TimeoutError("upstream timed out")
        return f"answer to {query}"

    async def execute_with_governance(query: str, context: dict[str, Any]) -> Any:
        # Check circuit breaker
        if not await breaker.can_proceed("agent-001"):
            raise PermissionError("Circuit breaker open")

        try:
            result = await run(query=query)
            await breaker.record_success("agent-001")
            return result
        except Exception as e:
            await breaker.record_failure(
                agent_id="agent-001",
                error_type=type(e).__name__,
                error_message=str(e),
                action="run",
                severity="medium",
            )
            raise

    async def scenario() -> list[str]:
        outcomes = []
        for query in ["q1", "fail", "fail", "fail", "q2"]:
            try:
                outcomes.append(await execute_with_governance(query, {}))
            except (TimeoutError, PermissionError) as error:
                outcomes.append(type(error).__name__)
        return outcomes

    assert asyncio.run(scenario()) == [
        "answer to q1",
        "TimeoutError",
        "TimeoutError",
        "TimeoutError",
        "PermissionError",
    ]
    assert machine.get_posture("agent-001") is TrustPosture.HUMAN_DECIDES
