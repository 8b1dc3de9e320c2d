"""The breaker under real threads and asyncio tasks at once.

Every round releases all callers together through a `threading.Barrier`, with a tiny
thread switch interval so that the interpreter interleaves them as often as it can.
Without the breaker's lock these tests fail: more probes than ``half_open_max_calls`` are
admitted, and one trip is seen as several.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustPosture
from trust.circuit_breaker import (
    REQUESTER,
    CircuitBreakerConfig,
    CircuitState,
    PostureCircuitBreaker,
)

A = "agent-001"
THREADS = 12
TASKS = 12
ROUNDS = 100
MAX_CALLS = 3


@pytest.fixture(autouse=True)
def interleave_often() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


class Counter:
    def __init__(self) -> None:
        self.opens = 0
        self._lock = threading.Lock()

    def record_circuit_breaker_open(self) -> None:
        with self._lock:
            self.opens += 1


def build() -> tuple[PostureCircuitBreaker, PostureStateMachine, FakeClock, Counter]:
    clock = FakeClock()
    machine = PostureStateMachine(clock=clock, history_limit=10_000)
    machine.set_posture(A, TrustPosture.FULL_AUTONOMY)
    counter = Counter()
    config = CircuitBreakerConfig(
        failure_threshold=THREADS // 2,
        recovery_timeout=10,
        half_open_max_calls=MAX_CALLS,
    )
    return PostureCircuitBreaker(machine, config, metrics=counter), machine, clock, counter


def all_at_once(
    call: Callable[[], object], tasks: Callable[[], object] | None = None
) -> list[object]:
    """Run ``call`` in THREADS threads, plus ``tasks`` on an event loop, released together."""
    parties = THREADS + (tasks is not None)
    barrier = threading.Barrier(parties)
    results: list[object] = []
    lock = threading.Lock()

    def worker(run: Callable[[], object]) -> None:
        barrier.wait()
        outcome = run()
        with lock:
            results.extend(outcome if isinstance(outcome, list) else [outcome])

    threads = [threading.Thread(target=worker, args=(call,)) for _ in range(THREADS)]
    if tasks is not None:
        threads.append(threading.Thread(target=worker, args=(tasks,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_half_open_admits_exactly_max_calls_across_threads_and_tasks() -> None:
    breaker, _, clock, _ = build()

    def event_loop_tasks() -> list[object]:
        async def many() -> list[object]:
            admissions = await asyncio.gather(*(breaker.admit(A) for _ in range(TASKS)))
            return [a.allowed for a in admissions]

        return asyncio.run(many())

    for _ in range(ROUNDS):
        for _ in range(THREADS // 2):
            breaker.record_failure_sync(A, "E", "m")
        clock.advance(10)
        assert breaker.get_state(A) is CircuitState.HALF_OPEN
        allowed = all_at_once(lambda: breaker.admit_sync(A).allowed, event_loop_tasks)
        assert len(allowed) == THREADS + TASKS
        assert allowed.count(True) == MAX_CALLS
        assert breaker.get_metrics(A)["probes_admitted"] == MAX_CALLS
        breaker.reset(A)


def test_one_trip_is_one_open_transition_and_one_downgrade() -> None:
    breaker, machine, _, counter = build()
    for round_ in range(ROUNDS):
        all_at_once(lambda: breaker.record_failure_sync(A, "E", "m", severity="medium"))
        assert breaker.get_state(A) is CircuitState.OPEN
        assert counter.opens == round_ + 1
        downgrades = [
            e
            for e in machine.get_transition_history(A)
            if e.requester_id == REQUESTER and e.protective
        ]
        assert len(downgrades) == round_ + 1
        breaker.reset(A)  # closes and restores, ready for the next round
        assert machine.get_posture(A) is TrustPosture.FULL_AUTONOMY
