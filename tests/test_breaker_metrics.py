"""`PostureCircuitBreaker.get_metrics`: the keys a migrating dashboard reads.

kaizen.trust 1.2.5 reports ``time_in_open_state`` while open and ``half_open_calls`` /
``half_open_successes`` while half-open; care-trust reports them too, from its own clock.
"""

from __future__ import annotations

from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustPosture
from trust.circuit_breaker import CircuitBreakerConfig, CircuitState, PostureCircuitBreaker

A = "agent-001"


def make() -> tuple[PostureCircuitBreaker, FakeClock]:
    clock = FakeClock()
    machine = PostureStateMachine(clock=clock)
    machine.set_posture(A, TrustPosture.FULL_AUTONOMY)
    config = CircuitBreakerConfig(
        failure_threshold=2, recovery_timeout=10, half_open_max_calls=3, probe_timeout=5
    )
    return PostureCircuitBreaker(machine, config), clock


def trip(breaker: PostureCircuitBreaker) -> None:
    for _ in range(2):
        breaker.record_failure_sync(A, "ConnectionError", "refused")


def test_time_in_open_state_counts_from_the_trip() -> None:
    breaker, clock = make()
    trip(breaker)
    metrics = breaker.get_metrics(A)
    assert metrics["time_in_open_state"] == 0.0
    assert metrics["time_until_half_open"] == 10.0
    clock.advance(7.5)
    metrics = breaker.get_metrics(A)
    assert metrics["state"] == "open"
    assert metrics["time_in_open_state"] == 7.5
    assert metrics["time_in_open_state"] + metrics["time_until_half_open"] == 10.0


def test_time_in_open_state_grows_while_forced_open() -> None:
    breaker, clock = make()
    breaker.force_open(A, "maintenance")
    clock.advance(3600)
    metrics = breaker.get_metrics(A)
    assert metrics["forced_open"] is True
    assert metrics["time_in_open_state"] == 3600.0
    assert metrics["time_until_half_open"] is None  # only a reset releases it


def test_time_in_open_state_restarts_when_a_probe_fails() -> None:
    breaker, clock = make()
    trip(breaker)
    clock.advance(10)
    probe = breaker.admit_sync(A)
    clock.advance(1)
    breaker.record_failure_sync(A, "ConnectionError", "refused", admission=probe)
    clock.advance(2)
    metrics = breaker.get_metrics(A)
    assert metrics["state"] == "open"
    assert metrics["time_in_open_state"] == 2.0


def test_half_open_counters_follow_the_probes() -> None:
    breaker, clock = make()
    trip(breaker)
    clock.advance(10)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN
    metrics = breaker.get_metrics(A)
    assert (metrics["half_open_calls"], metrics["half_open_successes"]) == (0, 0)
    first, second = breaker.admit_sync(A), breaker.admit_sync(A)
    breaker.record_success_sync(A, first)
    metrics = breaker.get_metrics(A)
    assert (metrics["half_open_calls"], metrics["half_open_successes"]) == (2, 1)
    assert metrics["half_open_calls"] == metrics["probes_admitted"]
    assert metrics["half_open_successes"] == metrics["probes_succeeded"]
    assert metrics["half_open_max_calls"] == 3
    assert "time_in_open_state" not in metrics
    breaker.record_success_sync(A, second)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN


def test_a_closed_circuit_reports_neither_open_time_nor_half_open_counters() -> None:
    breaker, _ = make()
    breaker.record_failure_sync(A, "ConnectionError", "refused")
    metrics = breaker.get_metrics(A)
    assert metrics["state"] == "closed"
    assert not {"time_in_open_state", "half_open_calls", "half_open_successes"} & set(metrics)
