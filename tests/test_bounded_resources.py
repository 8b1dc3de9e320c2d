"""Bounded resources: what each per-agent structure may hold, and what it never forgets.

Idle agents at the default posture cost nothing anywhere. Every structure that grows with
agents has a cap or an eviction rule, and none of those rules weakens a decision: a
BLOCKED posture and an OPEN circuit are never evicted back to a permissive state; what
is evicted (metric series, anti-gaming windows, audit entries beyond the cap, parse
caches) only ever informs, never decides. The fleet-scale figure is in bench/memory.py.
"""

from __future__ import annotations

import gc
import logging
import tracemalloc

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
from trust.constraints.builtin import register_builtin_dimensions
from trust.postures import (
    REFUSAL_ONLY_LIMIT,
    PostureTransitionRequest,
    TransitionGuard,
    TransitionResult,
)

FLEET = [f"agent-{n:04d}" for n in range(2000)]


def refuse(machine: PostureStateMachine, agent_id: str) -> TransitionResult:
    """An upgrade with no requester: refused, and recorded."""
    result = machine.transition(
        PostureTransitionRequest(
            agent_id=agent_id,
            from_posture=machine.get_posture(agent_id),
            to_posture=TrustPosture.FULL_AUTONOMY,
        )
    )
    assert not result.success
    return result


def test_idle_agents_at_the_default_posture_cost_nothing() -> None:
    clock = FakeClock()
    machine = PostureStateMachine(clock=clock)
    breaker = PostureCircuitBreaker(machine)
    for agent_id in FLEET:
        assert machine.get_posture(agent_id) is TrustPosture.SUPERVISED
        assert machine.version(agent_id) == 0
        assert machine.get_transition_history(agent_id) == []
        assert breaker.can_proceed_sync(agent_id)
        assert breaker.get_state(agent_id) is CircuitState.CLOSED
        breaker.get_metrics(agent_id)
    assert machine.tracked_agents() == 0
    assert breaker.tracked_agents() == 0


def test_history_is_capped_per_agent_and_a_busy_agent_never_evicts_another() -> None:
    machine = PostureStateMachine(history_limit=5)
    machine.emergency_downgrade("quiet", reason="incident")
    for _ in range(100):
        machine.set_posture("busy", TrustPosture.ASSISTED)
    assert len(machine.get_transition_history("busy")) == 5
    (only,) = machine.get_transition_history("quiet")
    assert only.to_posture is TrustPosture.BLOCKED


def test_a_blocked_agent_stays_blocked_however_large_the_fleet_grows() -> None:
    machine = PostureStateMachine(history_limit=1)
    machine.emergency_downgrade("rogue", reason="exfiltration attempt")
    for agent_id in FLEET:
        machine.set_posture(agent_id, TrustPosture.FULL_AUTONOMY)
        machine.transition(
            PostureTransitionRequest(
                agent_id=agent_id,
                from_posture=TrustPosture.FULL_AUTONOMY,
                to_posture=TrustPosture.SUPERVISED,
            )
        )
    assert machine.tracked_agents() == len(FLEET) + 1
    assert machine.get_posture("rogue") is TrustPosture.BLOCKED


def test_an_open_circuit_is_kept_while_idle_closed_agents_are_dropped() -> None:
    clock = FakeClock()
    machine = PostureStateMachine(clock=clock)
    machine.set_posture("flaky", TrustPosture.FULL_AUTONOMY)
    breaker = PostureCircuitBreaker(
        machine, CircuitBreakerConfig(failure_threshold=2, failure_window_seconds=60)
    )
    for _ in range(2):
        breaker.record_failure_sync("flaky", "TimeoutError", "upstream timed out")
    for agent_id in FLEET:  # one failure each: tracked for a window, then dropped
        breaker.record_failure_sync(agent_id, "TimeoutError", "upstream timed out")
    assert breaker.tracked_agents() == len(FLEET) + 1
    clock.advance(24 * 3600)  # a day with nobody asking
    assert breaker.tracked_agents() == 1
    # Never closed on its own: it waits, HALF_OPEN, for probes that succeed.
    assert breaker.get_state("flaky") is CircuitState.HALF_OPEN
    assert machine.get_posture("flaky") is TrustPosture.HUMAN_DECIDES


def test_evicted_metrics_and_anti_gaming_windows_never_change_a_decision() -> None:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    metrics = TrustMetricsCollector(max_agents=10)
    evaluator = MultiDimensionEvaluator(registry, metrics=metrics)
    constraints = {"cost_limit": 100}
    for agent_id in FLEET:
        metrics.record_posture(agent_id, TrustPosture.BLOCKED)
        assert not evaluator.evaluate(constraints, {"cost_used": 101}, agent_id=agent_id).satisfied
    assert metrics.get_posture_metrics().agents_tracked == 10
    # The first agent's window and series are long gone; its decisions are unchanged.
    assert not evaluator.evaluate(constraints, {"cost_used": 101}, agent_id=FLEET[0]).satisfied
    assert evaluator.evaluate(constraints, {"cost_used": 99}, agent_id=FLEET[0]).satisfied


def test_refusals_for_ever_new_agent_ids_keep_no_record_and_a_bounded_store() -> None:
    machine = PostureStateMachine()
    results = [refuse(machine, f"new-{n}") for n in range(3 * REFUSAL_ONLY_LIMIT)]
    assert machine.tracked_agents() == 0
    assert "agents=0" in repr(machine)
    # The latest refusals are still each agent's history; the oldest are forgotten.
    assert machine.get_transition_history(f"new-{3 * REFUSAL_ONLY_LIMIT - 1}") == [results[-1]]
    assert machine.get_transition_history(f"new-{2 * REFUSAL_ONLY_LIMIT}") == [
        results[2 * REFUSAL_ONLY_LIMIT]
    ]
    assert machine.get_transition_history(f"new-{2 * REFUSAL_ONLY_LIMIT - 1}") == []
    assert (results[-1].version, machine.version("new-0")) == (0, 0)


def test_refusals_for_new_agent_ids_keep_memory_bounded() -> None:
    """The DoS case: 20,000 refusals for new ids kept ~20 MiB before; now ~1 MiB."""
    requests = [
        PostureTransitionRequest(
            agent_id=f"new-{n:06d}",
            from_posture=TrustPosture.SUPERVISED,
            to_posture=TrustPosture.FULL_AUTONOMY,
        )
        for n in range(20_000)
    ]
    machine = PostureStateMachine()
    gc.collect()
    tracemalloc.start()
    try:
        for request in requests:
            machine.transition(request)
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 4 * 2**20


def test_the_agent_refused_least_recently_is_forgotten_first() -> None:
    machine = PostureStateMachine()
    refuse(machine, "keep")
    for n in range(REFUSAL_ONLY_LIMIT - 1):
        refuse(machine, f"other-{n}")
    refuse(machine, "keep")  # the store is full: the oldest refused agent goes
    assert len(machine.get_transition_history("keep")) == 2
    assert machine.get_transition_history("other-0") == []
    assert len(machine.get_transition_history("other-1")) == 1


def test_one_agent_refused_again_and_again_keeps_at_most_history_limit_entries() -> None:
    machine = PostureStateMachine(history_limit=5)
    refuse(machine, "other")
    for _ in range(5 * REFUSAL_ONLY_LIMIT):
        last = refuse(machine, "pest")
    assert machine.get_transition_history("pest")[-1] is last
    assert len(machine.get_transition_history("pest")) == 5
    assert len(machine.get_transition_history("other")) == 1  # never crowded out
    assert machine.tracked_agents() == 0


def test_refusals_become_the_start_of_the_history_once_the_posture_changes() -> None:
    machine = PostureStateMachine(history_limit=3)
    first, second = refuse(machine, "agent-1"), refuse(machine, "agent-1")
    granted = machine.set_posture("agent-1", TrustPosture.ASSISTED)
    assert machine.get_transition_history("agent-1") == [first, second, granted]
    assert machine.tracked_agents() == 1
    later = refuse(machine, "agent-1")
    assert machine.get_transition_history("agent-1") == [second, granted, later]
    assert later.version == 1


KEEPS_THE_POSTURE = {
    "maintain": (
        TrustPosture.SUPERVISED,
        lambda machine, agent_id: machine.transition(
            PostureTransitionRequest(
                agent_id=agent_id,
                from_posture=TrustPosture.SUPERVISED,
                to_posture=TrustPosture.SUPERVISED,
                reason="noop",
                requester_id="x",
            )
        ),
    ),
    "set_posture to the default": (
        TrustPosture.SUPERVISED,
        lambda machine, agent_id: machine.set_posture(agent_id, TrustPosture.SUPERVISED),
    ),
    "emergency on a BLOCKED default": (
        TrustPosture.BLOCKED,
        lambda machine, agent_id: machine.emergency_downgrade(agent_id),
    ),
}


@pytest.mark.parametrize("case", sorted(KEEPS_THE_POSTURE))
def test_requests_that_keep_the_posture_of_new_agent_ids_keep_memory_bounded(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The DoS case: 20,000 MAINTAIN requests for new ids kept 20,000 records, ~21 MiB."""
    # What is measured is the machine: pytest's own log capture would keep every record
    # it is given (an emergency is logged at WARNING).
    caplog.set_level(logging.ERROR, logger="trust.postures")
    default, keep = KEEPS_THE_POSTURE[case]
    agent_ids = [f"new-{n:06d}" for n in range(20_000)]
    machine = PostureStateMachine(default_posture=default)
    gc.collect()
    tracemalloc.start()
    try:
        for agent_id in agent_ids:
            last = keep(machine, agent_id)
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 4 * 2**20
    assert machine.tracked_agents() == 0
    assert (last.success, last.from_posture, last.to_posture) == (True, default, default)
    # Recorded all the same, in the bounded store: the latest are each agent's history.
    assert machine.get_transition_history(agent_ids[-1]) == [last]
    assert machine.get_transition_history(agent_ids[0]) == []
    assert machine.get_posture(agent_ids[-1]) is default


def test_a_maintain_for_an_agent_without_a_record_changes_no_version() -> None:
    machine = PostureStateMachine()
    kept = KEEPS_THE_POSTURE["maintain"][1](machine, "new")
    assert (kept.version, machine.version("new"), machine.version("other")) == (0, 0, 0)
    granted = machine.set_posture("new", TrustPosture.ASSISTED)
    assert machine.get_transition_history("new") == [kept, granted]
    assert (granted.version, machine.tracked_agents()) == (1, 1)


def test_an_operator_keeping_a_posture_still_fences_every_agent_without_a_record() -> None:
    machine = PostureStateMachine()
    before = machine.version("new")
    kept = machine.set_posture("other", TrustPosture.SUPERVISED, reason="confirmed")
    assert (kept.administrative, kept.version) == (True, before + 1)
    # Nothing to say which agent it was about once it is evicted: every fence set before
    # it refuses, which is the fail-closed side.
    stale = machine.transition(
        PostureTransitionRequest(
            agent_id="new",
            from_posture=TrustPosture.SUPERVISED,
            to_posture=TrustPosture.HUMAN_DECIDES,
        ),
        expected_version=before,
    )
    assert not stale.success
    assert "changed since version" in stale.reason
    # A record starts from that version: no agent's version ever goes back.
    assert machine.set_posture("new", TrustPosture.BLOCKED).version == before + 2


def test_an_emergency_on_an_agent_without_a_record_refuses_a_transition_checked_before_it() -> None:
    machine = PostureStateMachine(
        default_posture=TrustPosture.BLOCKED, require_upgrade_approval=False
    )

    def emergency_meanwhile(request: PostureTransitionRequest) -> bool:
        machine.emergency_downgrade("agent-1", reason="incident while the guard ran")
        return True

    machine.add_guard(TransitionGuard(name="slow", check_fn=emergency_meanwhile))
    result = machine.transition(
        PostureTransitionRequest(
            agent_id="agent-1",
            from_posture=TrustPosture.BLOCKED,
            to_posture=TrustPosture.FULL_AUTONOMY,
        )
    )
    assert not result.success
    assert result.reason == "posture changed to blocked while the transition was checked"
    assert machine.get_posture("agent-1") is TrustPosture.BLOCKED
    assert machine.tracked_agents() == 0
