"""What the store-backed breaker tests run in child processes (importable under spawn).

Each child builds its own `PostureStateMachine` and `PostureCircuitBreaker` over the
shared store, as another worker process of the same service would, with a `FakeClock`
whose wall clock starts where the parent says: the stored opened-at time is wall-clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from trust.circuit_breaker import CircuitBreakerConfig, PostureCircuitBreaker
from trust.postures import PostureStateMachine
from trust.testing import FakeClock

DELTA = 1.0


def config(half_open_max_calls: int = 1) -> CircuitBreakerConfig:
    """The breaker every test and child uses: two failures trip it, 30 s to half-open."""
    return CircuitBreakerConfig(
        failure_threshold=2,
        recovery_timeout=30,
        half_open_max_calls=half_open_max_calls,
        probe_timeout=60,
    )


def pair(
    store: Any, clock: FakeClock, half_open_max_calls: int = 1
) -> tuple[PostureStateMachine, PostureCircuitBreaker]:
    """A machine and its breaker on ``store``; refreshed only when a test says so."""
    machine = PostureStateMachine(
        store=store,
        clock=clock,
        freshness=DELTA,
        auto_refresh=False,
        require_upgrade_approval=False,
    )
    breaker = PostureCircuitBreaker(machine, config(half_open_max_calls), auto_refresh=False)
    return machine, breaker


def close(machine: PostureStateMachine, breaker: PostureCircuitBreaker) -> None:
    breaker.close()
    assert machine.durable is not None
    machine.durable.close()


def trip(url: str, agent: str, wall: float, out: Any) -> None:
    """Trip ``agent``'s circuit; report the state and the posture."""
    machine, breaker = pair(url, FakeClock(datetime.fromtimestamp(wall, UTC)))
    breaker.record_failure_sync(agent, "Timeout", "upstream timed out")
    breaker.record_failure_sync(agent, "Timeout", "upstream timed out")
    out.put((breaker.get_state(agent).value, machine.get_posture(agent).value))
    close(machine, breaker)


def probe(url: str, agent: str, wall: float, max_calls: int, barrier: Any, out: Any) -> None:
    """Start at ``wall``, wait for every sibling at ``barrier``, then ask for a probe."""
    machine, breaker = pair(url, FakeClock(datetime.fromtimestamp(wall, UTC)), max_calls)
    barrier.wait()
    admission = breaker.admit_sync(agent)
    out.put((admission.allowed, admission.probe, admission.reason))
    close(machine, breaker)


def state(url: str, agent: str, wall: float, out: Any) -> None:
    """Report the circuit and the posture as a freshly started process sees them."""
    machine, breaker = pair(url, FakeClock(datetime.fromtimestamp(wall, UTC)))
    out.put((breaker.get_state(agent).value, machine.get_posture(agent).value))
    close(machine, breaker)
