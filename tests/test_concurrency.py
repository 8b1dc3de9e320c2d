"""Shared structures under real threads (and asyncio tasks): nothing is lost or miscounted.

Each test releases its workers together through a `threading.Barrier` and shortens the
interpreter's switch interval so that threads interleave as often as possible. Each was
run once with the lock it relies on removed, and failed (see the closing note of the
hardening issue).
"""

from __future__ import annotations

import asyncio
import random
import sys
import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import pytest

from tests.fakes import FakeClock
from trust import (
    CircuitBreakerConfig,
    CircuitState,
    ConstraintDimensionRegistry,
    MultiDimensionEvaluator,
    PostureCircuitBreaker,
    PostureStateMachine,
    TrustMetricsCollector,
    TrustPosture,
)
from trust.constraints.builtin import CostLimitDimension, register_builtin_dimensions
from trust.postures import PostureTransition, PostureTransitionRequest

THREADS = 8


@pytest.fixture(autouse=True)
def interleave_often() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def together(work: Callable[[int], object], parties: int = THREADS) -> None:
    barrier = threading.Barrier(parties)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as error:  # surfaced below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_posture_machine_under_eight_threads_and_a_hundred_agents() -> None:
    machine = PostureStateMachine(require_upgrade_approval=False, history_limit=100_000)
    agents = [f"agent-{i:03d}" for i in range(100)]
    operations = [0] * THREADS
    emergencies: list[list[tuple[str, int]]] = [[] for _ in range(THREADS)]

    def work(n: int) -> None:
        rng = random.Random(n)
        for _ in range(600):
            agent = rng.choice(agents)
            if rng.random() < 0.2:
                result = machine.emergency_downgrade(agent, reason=f"thread {n}")
                # Right after it returns, the agent is BLOCKED at this version or later.
                assert result.version is not None
                emergencies[n].append((agent, result.version))
            else:
                current = machine.get_posture(agent)
                machine.transition(
                    PostureTransitionRequest(
                        agent_id=agent,
                        from_posture=current,
                        to_posture=rng.choice(list(TrustPosture)),
                    )
                )
            operations[n] += 1

    together(work)
    histories = {agent: machine.get_transition_history(agent) for agent in agents}
    assert sum(len(h) for h in histories.values()) == sum(operations)
    for agent, history in histories.items():
        last = history[-1] if history else None
        expected = (
            TrustPosture.SUPERVISED
            if last is None
            else (last.to_posture if last.success else last.from_posture)
        )
        assert machine.get_posture(agent) is expected
        # Entries chain: each starts from where the one before left the agent.
        held = TrustPosture.SUPERVISED
        for entry in history:
            assert entry.from_posture is held
            held = entry.to_posture if entry.success else entry.from_posture
    for recorded in emergencies:
        for agent, version in recorded:
            (entry,) = [e for e in histories[agent] if e.success and e.version == version]
            assert entry.transition_type is PostureTransition.EMERGENCY_DOWNGRADE
            # No emergency is lost: the next successful change starts from BLOCKED.
            later = [e for e in histories[agent] if e.success and (e.version or 0) > version]
            if later:
                assert later[0].from_posture is TrustPosture.BLOCKED


def test_breaker_under_threads_and_a_hundred_tasks() -> None:
    clock = FakeClock()
    machine = PostureStateMachine(clock=clock, history_limit=10_000)
    machine.set_posture("agent", TrustPosture.FULL_AUTONOMY)
    metrics = TrustMetricsCollector()
    breaker = PostureCircuitBreaker(
        machine,
        CircuitBreakerConfig(failure_threshold=1000, recovery_timeout=10, half_open_max_calls=5),
        metrics=metrics,
    )
    weights = {"low": Fraction(1, 2), "medium": Fraction(1), "high": Fraction(2)}
    per_thread = [[] for _ in range(THREADS + 1)]  # type: list[list[str]]

    def record(n: int) -> None:
        if n == THREADS:  # the asyncio party: 100 tasks on one loop

            async def tasks() -> None:
                async def one(i: int) -> None:
                    severity = ("low", "medium", "high")[i % 3]
                    await breaker.record_failure("agent", "E", "m", severity=severity)
                    per_thread[n].append(severity)

                await asyncio.gather(*(one(i) for i in range(100)))

            asyncio.run(tasks())
            return
        rng = random.Random(n)
        for _ in range(60):
            severity = rng.choice(list(weights))
            breaker.record_failure_sync("agent", "E", "m", severity=severity)
            per_thread[n].append(severity)

    together(record, THREADS + 1)
    recorded = [s for thread in per_thread for s in thread]
    total = sum(weights[s] for s in recorded)
    snapshot = breaker.get_metrics("agent")
    # The counts add up: every failure is in the window, weighed exactly.
    assert snapshot["failure_count"] == len(recorded) == 8 * 60 + 100
    assert Fraction(str(snapshot["weighted_failures"])) == total
    assert breaker.get_state("agent") is (
        CircuitState.OPEN if total >= 1000 else CircuitState.CLOSED
    )

    # Trip it: exactly one open and one downgrade, however many threads push it over.
    together(
        lambda n: [breaker.record_failure_sync("agent", "E", "m", "x", "high") for _ in range(100)]
    )
    assert breaker.get_state("agent") is CircuitState.OPEN
    assert metrics.get_posture_metrics().circuit_breaker_opens == 1
    protective = [e for e in machine.get_transition_history("agent") if e.protective]
    assert len(protective) == 1

    # Each half-open period admits exactly half_open_max_calls probes.
    for _ in range(3):
        clock.advance(10)
        admitted: list[bool] = []
        lock = threading.Lock()

        # Bound as defaults: each round's threads must fill that round's list.
        def admit(n: int, admitted: list[bool] = admitted, lock: Any = lock) -> None:
            if n == THREADS:

                async def tasks() -> list[bool]:
                    found = await asyncio.gather(*(breaker.admit("agent") for _ in range(100)))
                    return [a.allowed for a in found]

                outcome = asyncio.run(tasks())
            else:
                outcome = [breaker.admit_sync("agent").allowed for _ in range(20)]
            with lock:
                admitted.extend(outcome)

        together(admit, THREADS + 1)
        assert admitted.count(True) == 5
        assert breaker.get_metrics("agent")["probes_admitted"] == 5
        breaker.record_failure_sync("agent", "E", "probe failed")  # reopens
        assert breaker.get_state("agent") is CircuitState.OPEN
    # Each reopening is an OPEN transition too, but the posture is lowered only once.
    assert metrics.get_posture_metrics().circuit_breaker_opens == 1 + 3
    assert len([e for e in machine.get_transition_history("agent") if e.protective]) == 1


def test_evaluator_registry_and_collector_shared_across_threads() -> None:
    registry = ConstraintDimensionRegistry(allow_unreviewed=False)
    metrics = TrustMetricsCollector()
    evaluator = MultiDimensionEvaluator(registry, metrics=metrics)

    class Tokens(CostLimitDimension):
        @property
        def name(self) -> str:
            return self._name

        def __init__(self, name: str) -> None:
            super().__init__()
            self._name = name

    def work(n: int) -> None:
        register_builtin_dimensions(registry)  # idempotent from every thread
        registry.register(Tokens(f"tokens_{n}"), requires_review=True)
        for i in range(300):
            used = 50 if i % 3 else 500
            evaluator.evaluate(
                {"cost_limit": 100, "rate_limit": "100/minute"},
                {"cost_used": used, "requests_in_period": 1},
                agent_id=f"agent-{n}",
            )

    together(work)
    assert sorted(registry.pending_review()) == sorted(f"tokens_{n}" for n in range(THREADS))
    assert len(registry.all()) == 6 + THREADS
    constraint = metrics.get_constraint_metrics()
    assert constraint.evaluations_total == THREADS * 300
    assert constraint.evaluations_failed == THREADS * 100
    assert constraint.dimension_failures == {"cost_limit": THREADS * 100}
