"""PostureCircuitBreaker: every behaviour the issue decides, one test per rule."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

import trust.circuit_breaker as circuit_breaker
from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustPosture
from trust.circuit_breaker import (
    REQUESTER,
    Admission,
    CircuitBreakerConfig,
    CircuitState,
    FailureEvent,
    PostureCircuitBreaker,
)
from trust.postures import PostureTransition, TransitionGuard

A = "agent-001"


class Counter:
    def __init__(self) -> None:
        self.opens = 0

    def record_circuit_breaker_open(self) -> None:
        self.opens += 1


def make(
    posture: TrustPosture = TrustPosture.FULL_AUTONOMY, **config: Any
) -> tuple[PostureCircuitBreaker, PostureStateMachine, FakeClock]:
    clock = FakeClock()
    machine = PostureStateMachine(clock=clock)
    machine.set_posture(A, posture)
    settings: dict[str, Any] = {
        "failure_threshold": 3,
        "recovery_timeout": 10,
        "half_open_max_calls": 2,
        "failure_window_seconds": 60,
        "probe_timeout": 5,
    }
    breaker = PostureCircuitBreaker(machine, CircuitBreakerConfig(**{**settings, **config}))
    return breaker, machine, clock


def fail(breaker: PostureCircuitBreaker, n: int = 1, severity: str = "medium", **kw: Any) -> None:
    for _ in range(n):
        breaker.record_failure_sync(A, "ConnectionError", "refused", "call", severity, **kw)


def trip(breaker: PostureCircuitBreaker) -> None:
    fail(breaker, 3)
    assert breaker.get_state(A) is CircuitState.OPEN


def half_open(breaker: PostureCircuitBreaker, clock: FakeClock) -> None:
    trip(breaker)
    clock.advance(10)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN


def breaker_entries(machine: PostureStateMachine) -> list[Any]:
    return [e for e in machine.get_transition_history(A) if e.requester_id == REQUESTER]


# Trip rule.


def test_opens_when_weighted_failures_reach_the_threshold() -> None:
    breaker, _, _ = make()
    fail(breaker, 2)
    assert breaker.get_state(A) is CircuitState.CLOSED
    fail(breaker)
    assert breaker.get_state(A) is CircuitState.OPEN


def test_severity_weights_count_toward_the_threshold() -> None:
    breaker, _, _ = make(failure_threshold=5)
    fail(breaker, 1, "high")
    fail(breaker, 5, "low")
    assert breaker.get_metrics(A)["weighted_failures"] == 4.5
    assert breaker.get_state(A) is CircuitState.CLOSED
    fail(breaker, 1, "low")
    assert breaker.get_state(A) is CircuitState.OPEN


def test_ten_failures_of_weight_one_tenth_reach_a_threshold_of_one() -> None:
    breaker, _, _ = make(failure_threshold=1, severity_weights={"minor": 0.1})
    fail(breaker, 9, "minor")
    assert breaker.get_state(A) is CircuitState.CLOSED
    fail(breaker, 1, "minor")
    assert breaker.get_state(A) is CircuitState.OPEN
    assert breaker.get_metrics(A)["weighted_failures"] == 1.0


def test_failures_outside_the_window_never_count() -> None:
    breaker, _, clock = make()
    fail(breaker, 2)
    clock.advance(59.5)
    assert breaker.get_metrics(A)["failure_count"] == 2
    clock.advance(0.5)  # exactly a window after them: they have left
    assert breaker.get_metrics(A)["failure_count"] == 0
    fail(breaker)
    assert breaker.get_state(A) is CircuitState.CLOSED
    assert breaker.get_metrics(A)["weighted_failures"] == 1.0


def test_fractional_window_seconds_work() -> None:
    breaker, _, clock = make(failure_window_seconds=0.2)
    fail(breaker, 2)
    clock.advance(0.25)
    fail(breaker)
    assert breaker.get_state(A) is CircuitState.CLOSED


def test_unknown_severity_is_a_value_error_and_records_nothing() -> None:
    breaker, _, _ = make()
    with pytest.raises(ValueError, match=r"severity must be one of low, medium, high, critical"):
        fail(breaker, 1, "fatal")
    assert breaker.get_metrics(A)["failure_count"] == 0
    assert breaker.tracked_agents() == 0


# State over time.


def test_get_state_and_metrics_report_half_open_as_soon_as_the_timeout_elapses() -> None:
    breaker, _, clock = make()
    trip(breaker)
    clock.advance(9.75)
    assert breaker.get_metrics(A)["time_until_half_open"] == 0.25
    clock.advance(0.25)  # exactly the recovery timeout, nobody asked to proceed
    assert breaker.get_state(A) is CircuitState.HALF_OPEN
    metrics = breaker.get_metrics(A)
    assert metrics["state"] == "half_open"
    assert "time_until_half_open" not in metrics


def test_half_open_admits_at_most_max_calls_probes() -> None:
    breaker, _, clock = make(half_open_max_calls=3)
    half_open(breaker, clock)
    admissions = [breaker.admit_sync(A) for _ in range(5)]
    assert [a.allowed for a in admissions] == [True, True, True, False, False]
    assert all(a.probe for a in admissions[:3])
    assert "all 3 probe(s) admitted" in admissions[3].reason
    assert breaker.get_metrics(A)["probes_admitted"] == 3


def test_a_success_counts_only_for_an_admitted_probe() -> None:
    breaker, _, clock = make()
    half_open(breaker, clock)
    breaker.record_success_sync(A)  # no probe admitted: ignored
    breaker.record_success_sync(A)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN
    assert breaker.get_metrics(A)["probes_succeeded"] == 0
    probe = breaker.admit_sync(A)
    breaker.record_success_sync(A)  # without its admission: counts against that probe
    breaker.record_success_sync(A, probe)  # that probe has already reported
    assert breaker.get_metrics(A)["probes_succeeded"] == 1


def test_successes_in_closed_change_nothing() -> None:
    breaker, _, _ = make()
    fail(breaker, 2)
    breaker.record_success_sync(A)
    assert breaker.get_metrics(A)["failure_count"] == 2


def test_the_circuit_closes_after_max_calls_successful_probes() -> None:
    breaker, _, clock = make()
    half_open(breaker, clock)
    probes = [breaker.admit_sync(A), breaker.admit_sync(A)]
    breaker.record_success_sync(A, probes[0])
    assert breaker.get_state(A) is CircuitState.HALF_OPEN
    breaker.record_success_sync(A, probes[1])
    assert breaker.get_state(A) is CircuitState.CLOSED
    assert breaker.get_metrics(A)["failure_count"] == 0


@pytest.mark.parametrize("with_admission", [True, False])
def test_any_failure_in_half_open_reopens(with_admission: bool) -> None:
    breaker, _, clock = make()
    half_open(breaker, clock)
    probe = breaker.admit_sync(A)
    fail(breaker, 1, "low", admission=probe if with_admission else None)
    assert breaker.get_state(A) is CircuitState.OPEN
    assert breaker.get_metrics(A)["time_until_half_open"] == 10


def test_unreported_probes_reopen_the_circuit_after_the_probe_timeout() -> None:
    breaker, _, clock = make()
    half_open(breaker, clock)
    breaker.admit_sync(A)
    clock.advance(4)
    breaker.admit_sync(A)  # the wait counts from the latest admission
    clock.advance(4.75)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN
    clock.advance(0.25)  # exactly probe_timeout after the latest admission
    assert breaker.get_state(A) is CircuitState.OPEN
    # It reopened at the deadline, not when looked at: half-open again 10s after it.
    clock.advance(10)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN


def test_half_open_without_probes_waits_for_one() -> None:
    breaker, _, clock = make()
    half_open(breaker, clock)
    clock.advance(1000)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN
    assert breaker.admit_sync(A).probe


def test_open_refuses_calls_and_says_why() -> None:
    breaker, _, clock = make()
    trip(breaker)
    clock.advance(4)
    admission = breaker.admit_sync(A)
    assert not admission
    assert admission.state is CircuitState.OPEN
    assert "half-open in 6s" in admission.reason
    assert "weighted failures 3 >= threshold 3" in admission.reason


# Late outcomes are fenced.


def test_late_failures_from_before_a_trip_cannot_reopen_after_recovery() -> None:
    breaker, _, clock = make()
    slow_calls = [breaker.admit_sync(A) for _ in range(3)]
    trip(breaker)
    clock.advance(10)
    probes = [breaker.admit_sync(A), breaker.admit_sync(A)]
    for late in slow_calls:  # they fail while the circuit is half-open
        fail(breaker, 1, "critical", admission=late)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN
    for probe in probes:
        breaker.record_success_sync(A, probe)
    assert breaker.get_state(A) is CircuitState.CLOSED
    for late in slow_calls:  # and again once it closed
        fail(breaker, 1, "critical", admission=late)
    assert breaker.get_state(A) is CircuitState.CLOSED
    assert breaker.get_metrics(A)["failure_count"] == 0


def test_a_probe_from_an_earlier_half_open_cannot_close_the_next_one() -> None:
    breaker, _, clock = make(half_open_max_calls=1)
    half_open(breaker, clock)
    old_probe = breaker.admit_sync(A)
    clock.advance(5)  # probe timeout: reopened
    clock.advance(10)  # half-open again
    assert breaker.get_state(A) is CircuitState.HALF_OPEN
    breaker.admit_sync(A)
    breaker.record_success_sync(A, old_probe)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN


def test_a_stale_probe_failure_cannot_reopen_the_next_half_open() -> None:
    breaker, _, clock = make()
    half_open(breaker, clock)
    old_probe = breaker.admit_sync(A)
    clock.advance(15)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN
    fail(breaker, 1, "critical", admission=old_probe)
    assert breaker.get_state(A) is CircuitState.HALF_OPEN


def test_outcomes_admitted_before_a_reset_are_fenced() -> None:
    breaker, _, _ = make()
    before = [breaker.admit_sync(A) for _ in range(3)]
    breaker.reset(A)
    for admission in before:
        fail(breaker, 1, "critical", admission=admission)
    assert breaker.get_state(A) is CircuitState.CLOSED


def test_outcomes_of_the_current_closed_state_count() -> None:
    breaker, _, _ = make()
    calls = [breaker.admit_sync(A) for _ in range(3)]
    for admission in calls:
        fail(breaker, admission=admission)
    assert breaker.get_state(A) is CircuitState.OPEN


def test_admissions_must_match_the_agent_and_have_allowed_the_call() -> None:
    breaker, _, _ = make()
    other = breaker.admit_sync("agent-002")
    with pytest.raises(ValueError, match="admission must be for agent 'agent-001'"):
        breaker.record_success_sync(A, other)
    trip(breaker)
    refused = breaker.admit_sync(A)
    with pytest.raises(ValueError, match="allowed the call"):
        fail(breaker, admission=refused)
    with pytest.raises(TypeError, match="admission must be an Admission"):
        breaker.record_success_sync(A, True)  # type: ignore[arg-type]


# Posture coupling on open.


def test_opening_lowers_the_posture_by_a_recorded_protective_downgrade() -> None:
    breaker, machine, _ = make()
    trip(breaker)
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES
    (entry,) = breaker_entries(machine)
    assert entry.success
    assert entry.protective
    assert not entry.administrative
    assert entry.transition_type is PostureTransition.DOWNGRADE
    assert entry.from_posture is TrustPosture.FULL_AUTONOMY
    assert "weighted failures 3 >= threshold 3" in entry.reason


def test_opening_never_raises_the_posture() -> None:
    breaker, machine, _ = make(posture=TrustPosture.BLOCKED)
    trip(breaker)
    assert machine.get_posture(A) is TrustPosture.BLOCKED
    assert breaker_entries(machine) == []
    assert "original_posture" not in breaker.get_metrics(A)


def test_guards_cannot_veto_the_downgrade_on_open() -> None:
    breaker, machine, _ = make()
    machine.add_guard(
        TransitionGuard(
            name="deny",
            check_fn=lambda r: False,
            applies_to={PostureTransition.DOWNGRADE, PostureTransition.UPGRADE},
        )
    )
    trip(breaker)
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES


def test_one_trip_is_one_open_and_one_downgrade() -> None:
    breaker, machine, _ = make()
    counter = Counter()
    breaker.attach_metrics(counter)
    trip(breaker)
    fail(breaker, 5)  # failures while open change nothing
    assert counter.opens == 1
    assert len(breaker_entries(machine)) == 1


# Posture coupling on close.


def close(breaker: PostureCircuitBreaker, clock: FakeClock) -> None:
    clock.advance(10)
    for probe in [breaker.admit_sync(A), breaker.admit_sync(A)]:
        breaker.record_success_sync(A, probe)
    assert breaker.get_state(A) is CircuitState.CLOSED


def test_closing_restores_the_displaced_posture_by_a_guarded_upgrade() -> None:
    breaker, machine, clock = make()
    trip(breaker)
    assert breaker.get_metrics(A)["original_posture"] == "full_autonomy"
    close(breaker, clock)
    assert machine.get_posture(A) is TrustPosture.FULL_AUTONOMY
    restore = breaker_entries(machine)[-1]
    assert restore.success
    assert restore.transition_type is PostureTransition.UPGRADE
    assert "restoring the posture it displaced" in restore.reason
    assert "original_posture" not in breaker.get_metrics(A)


def test_a_guard_can_refuse_the_restore() -> None:
    breaker, machine, clock = make()
    trip(breaker)
    machine.add_guard(
        TransitionGuard(
            name="humans_restore",
            check_fn=lambda r: r.requester_id != REQUESTER,
            applies_to={PostureTransition.UPGRADE},
        )
    )
    close(breaker, clock)
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES
    refused = machine.get_transition_history(A)[-1]
    assert not refused.success
    assert refused.blocked_by == "humans_restore"


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


def test_a_restore_guard_that_raises_anything_refuses_the_restore_and_never_escapes() -> None:
    breaker, machine, _ = make()
    trip(breaker)

    def explode(request: Any) -> bool:
        raise UnprintableError

    machine.add_guard(TransitionGuard(name="g", check_fn=explode))
    breaker.reset(A)  # the close runs the restore, and its guard, in this call
    assert breaker.get_state(A) is CircuitState.CLOSED
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES
    refused = machine.get_transition_history(A)[-1]
    assert (refused.success, refused.blocked_by) == (False, "g")
    assert (
        refused.reason
        == "guard 'g' raised UnprintableError: <unrepresentable: RuntimeError in __str__>"
    )


def test_an_interrupt_in_a_restore_guard_goes_on_once_the_close_is_done() -> None:
    breaker, machine, clock = make()
    trip(breaker)
    interrupts = [KeyboardInterrupt()]

    def interrupted(request: Any) -> bool:
        if interrupts:
            raise interrupts.pop()
        return True

    machine.add_guard(TransitionGuard(name="g", check_fn=interrupted))
    with pytest.raises(KeyboardInterrupt):
        breaker.reset(A)
    refused = machine.get_transition_history(A)[-1]
    assert (refused.success, refused.blocked_by) == (False, "g")
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES
    assert breaker._restoring == {}  # nothing left half-restored
    # The breaker carries on: the next episode displaces and restores as usual.
    machine.set_posture(A, TrustPosture.FULL_AUTONOMY)
    trip(breaker)
    close(breaker, clock)
    assert machine.get_posture(A) is TrustPosture.FULL_AUTONOMY


def test_an_interrupt_from_the_machines_sink_still_lets_the_breaker_count_the_trip() -> None:
    breaker, machine, _ = make()

    class Interrupting:
        def record_posture(self, agent_id: str, posture: TrustPosture) -> None:
            raise KeyboardInterrupt

        def record_transition(self, transition_type: PostureTransition) -> None:
            pass

        def record_emergency_downgrade(self) -> None:
            pass

    counter = Counter()
    breaker.attach_metrics(counter)
    machine.attach_metrics(Interrupting())
    fail(breaker, 2)
    with pytest.raises(KeyboardInterrupt):
        fail(breaker)
    assert counter.opens == 1  # told before the interrupt went on
    assert breaker.get_state(A) is CircuitState.OPEN
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES


def test_an_emergency_downgrade_while_open_is_never_undone() -> None:
    breaker, machine, clock = make()
    trip(breaker)
    machine.emergency_downgrade(A, reason="incident", requester_id="sec")
    assert "original_posture" not in breaker.get_metrics(A)
    close(breaker, clock)
    assert machine.get_posture(A) is TrustPosture.BLOCKED
    assert machine.get_transition_history(A)[-1].requester_id == "sec"


@pytest.mark.parametrize("posture", [TrustPosture.HUMAN_DECIDES, TrustPosture.ASSISTED])
def test_any_other_change_while_open_forfeits_the_restore(posture: TrustPosture) -> None:
    breaker, machine, clock = make()
    trip(breaker)
    machine.set_posture(A, TrustPosture.SUPERVISED, requester_id="ops")
    machine.set_posture(A, posture, requester_id="ops")  # even back to what it was
    close(breaker, clock)
    assert machine.get_posture(A) is posture


def test_a_reopen_keeps_the_hold_and_never_restores_above_the_displaced_posture() -> None:
    breaker, machine, clock = make(posture=TrustPosture.SUPERVISED)
    trip(breaker)
    clock.advance(10)
    fail(breaker, admission=breaker.admit_sync(A))  # reopened
    close(breaker, clock)
    assert machine.get_posture(A) is TrustPosture.SUPERVISED


def test_restore_on_close_false_leaves_the_posture_down() -> None:
    breaker, machine, clock = make(restore_on_close=False)
    trip(breaker)
    close(breaker, clock)
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES


# Operator overrides.


def test_force_open_holds_until_reset() -> None:
    breaker, machine, clock = make()
    counter = Counter()
    breaker.attach_metrics(counter)
    breaker.force_open(A, "suspicious behaviour")
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES
    clock.advance(10_000)
    assert breaker.get_state(A) is CircuitState.OPEN
    admission = breaker.admit_sync(A)
    assert not admission.allowed
    assert "only a reset releases it" in admission.reason
    metrics = breaker.get_metrics(A)
    assert metrics["forced_open"]
    assert metrics["time_until_half_open"] is None
    assert "suspicious behaviour" in metrics["reason"]
    breaker.reset(A)
    assert breaker.get_state(A) is CircuitState.CLOSED
    assert machine.get_posture(A) is TrustPosture.FULL_AUTONOMY
    assert counter.opens == 1


def test_force_open_while_half_open_stops_the_probes() -> None:
    breaker, _, clock = make()
    half_open(breaker, clock)
    probe = breaker.admit_sync(A)
    breaker.force_open(A, "stop")
    breaker.record_success_sync(A, probe)
    breaker.record_success_sync(A)
    clock.advance(100)
    assert breaker.get_state(A) is CircuitState.OPEN


def test_force_open_on_an_open_circuit_is_not_a_second_trip() -> None:
    breaker, machine, clock = make()
    counter = Counter()
    breaker.attach_metrics(counter)
    trip(breaker)
    breaker.force_open(A, "hold it")
    clock.advance(100)
    assert breaker.get_state(A) is CircuitState.OPEN
    assert counter.opens == 1
    assert len(breaker_entries(machine)) == 1


def test_reset_closes_an_open_circuit_and_restores() -> None:
    breaker, machine, _ = make()
    trip(breaker)
    breaker.reset(A)
    assert breaker.get_state(A) is CircuitState.CLOSED
    assert breaker.get_metrics(A)["failure_count"] == 0
    assert machine.get_posture(A) is TrustPosture.FULL_AUTONOMY


# Metrics.


def test_metrics_have_the_guides_keys_from_one_pruned_window() -> None:
    breaker, _, clock = make(failure_threshold=10)
    fail(breaker, 1, "high")
    clock.advance(30)
    fail(breaker, 2, "low")
    metrics = breaker.get_metrics(A)
    assert {"state", "failure_count", "weighted_failures", "current_posture"} <= set(metrics)
    assert (metrics["failure_count"], metrics["weighted_failures"]) == (3, 3.0)
    assert metrics["failures_by_severity"] == {"high": 1, "low": 2}
    clock.advance(30)
    metrics = breaker.get_metrics(A)
    assert (metrics["failure_count"], metrics["weighted_failures"]) == (2, 1.0)
    assert metrics["failures_by_severity"] == {"low": 2}
    assert [f.severity for f in breaker.get_failures(A)] == ["low", "low"]


def test_metrics_of_an_unknown_agent_are_closed_and_cost_nothing() -> None:
    breaker, _, _ = make()
    metrics = breaker.get_metrics("never-seen")
    assert metrics["state"] == "closed"
    assert metrics["failure_count"] == 0
    assert metrics["current_posture"] == "supervised"
    assert breaker.tracked_agents() == 0


def test_a_metrics_sink_that_raises_does_not_undo_the_trip() -> None:
    class Broken:
        def record_circuit_breaker_open(self) -> None:
            raise RuntimeError("sink down")

    breaker, machine, _ = make()
    breaker.attach_metrics(Broken())
    trip(breaker)
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES


def test_the_machines_metrics_sink_may_call_the_breaker_when_told_of_a_trip() -> None:
    breaker, machine, clock = make()

    class ReadsTheBreaker:
        def __init__(self) -> None:
            self.seen: list[tuple[TrustPosture, CircuitState | None]] = []

        def record_posture(self, agent_id: str, posture: TrustPosture) -> None:
            # Under the breaker's lock, calling it would deadlock: record that and stop.
            state = None if breaker._lock.locked() else breaker.get_state(agent_id)
            self.seen.append((posture, state))

        def record_transition(self, transition_type: PostureTransition) -> None:
            pass

        def record_emergency_downgrade(self) -> None:
            pass

    sink = ReadsTheBreaker()
    machine.attach_metrics(sink)
    trip(breaker)
    close(breaker, clock)
    assert sink.seen == [
        (TrustPosture.HUMAN_DECIDES, CircuitState.OPEN),  # the trip and its downgrade
        (TrustPosture.FULL_AUTONOMY, CircuitState.CLOSED),  # the restore
    ]


def test_attach_metrics_refuses_what_cannot_record() -> None:
    breaker, _, _ = make()
    with pytest.raises(TypeError, match="record_circuit_breaker_open"):
        breaker.attach_metrics(object())  # type: ignore[arg-type]


# Bounded memory.


def test_idle_closed_agents_hold_no_state() -> None:
    breaker, _, clock = make()
    for agent in ("a", "b", "c"):
        breaker.admit_sync(agent)
        breaker.get_state(agent)
        breaker.record_success_sync(agent)
    assert breaker.tracked_agents() == 0
    fail(breaker, 2)
    assert breaker.tracked_agents() == 1
    clock.advance(60)
    assert breaker.tracked_agents() == 0  # swept without asking about the agent


def test_an_agent_that_closed_is_forgotten_a_window_later() -> None:
    breaker, _, clock = make()
    trip(breaker)
    close(breaker, clock)
    clock.advance(59)
    assert breaker.tracked_agents() == 1
    clock.advance(1)
    assert breaker.tracked_agents() == 0


def test_failures_kept_per_agent_are_bounded_by_the_threshold() -> None:
    breaker, _, _ = make(failure_threshold=5)
    fail(breaker, 1000, "low")
    # Counting stops when the circuit opens: at most threshold / lightest weight.
    assert breaker.get_metrics(A)["failure_count"] == 10


def test_ten_thousand_failures_in_the_window_are_summed_exactly() -> None:
    breaker, _, _ = make(failure_threshold=10_000, severity_weights={"tick": 0.1})
    fail(breaker, 10_000, "tick")
    metrics = breaker.get_metrics(A)
    assert metrics["failure_count"] == 10_000
    assert metrics["weighted_failures"] == 1000.0
    assert metrics["state"] == "closed"


# The API around it.


def test_async_methods_mirror_the_sync_ones() -> None:
    breaker, _, clock = make()

    async def scenario() -> list[object]:
        seen: list[object] = [await breaker.can_proceed(A)]
        for _ in range(3):
            await breaker.record_failure(A, "E", "m", "act", "medium")
        seen.append(await breaker.can_proceed(A))
        clock.advance(10)
        probe = await breaker.admit(A)
        seen.append(probe.probe)
        await breaker.record_success(A, probe)
        await breaker.record_success(A, await breaker.admit(A))
        seen.append(breaker.get_state(A))
        return seen

    assert asyncio.run(scenario()) == [True, False, True, CircuitState.CLOSED]


def test_can_proceed_sync_is_the_admission_decision() -> None:
    breaker, _, _ = make()
    assert breaker.can_proceed_sync(A) is True
    trip(breaker)
    assert breaker.can_proceed_sync(A) is False


def test_the_clock_defaults_to_the_posture_machines() -> None:
    breaker, machine, clock = make()
    fail(breaker)
    (failure,) = breaker.get_failures(A)
    assert isinstance(failure, FailureEvent)
    assert failure.timestamp == clock.now()
    assert breaker.posture_machine is machine


def test_bad_arguments_name_themselves() -> None:
    breaker, machine, _ = make()
    with pytest.raises(TypeError, match="posture_machine must be a PostureStateMachine"):
        PostureCircuitBreaker(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="config must be a CircuitBreakerConfig"):
        PostureCircuitBreaker(machine, {"failure_threshold": 3})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="agent_id must be a non-blank string"):
        breaker.get_state("  ")
    with pytest.raises(ValueError, match="agent_id must be a string"):
        breaker.admit_sync(["a"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="error_message must be a string"):
        breaker.record_failure_sync(A, "E", None)  # type: ignore[arg-type]


def test_admission_is_truthy_when_allowed() -> None:
    admission = Admission(
        allowed=False,
        agent_id=A,
        state=CircuitState.OPEN,
        generation=1,
        probe=False,
        reason="open",
    )
    assert not admission


def test_every_exported_name_imports() -> None:
    for name in circuit_breaker.__all__:
        assert getattr(circuit_breaker, name) is not None


def test_the_breaker_loads_neither_z3_nor_statemachine() -> None:
    code = (
        "import sys, trust.circuit_breaker\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'z3', 'statemachine'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_trip_while_the_restore_is_being_checked_still_holds_the_posture_down() -> None:
    breaker, machine, clock = make()
    tripped_inside: list[CircuitState] = []

    def guard(request: object) -> bool:
        # User code, run while the breaker restores (outside its lock): it may call back.
        fail(breaker, 3)
        tripped_inside.append(breaker.get_state(A))
        return True

    trip(breaker)
    machine.add_guard(
        TransitionGuard(name="calls_back", check_fn=guard, applies_to={PostureTransition.UPGRADE})
    )
    clock.advance(10)
    for probe in [breaker.admit_sync(A), breaker.admit_sync(A)]:
        breaker.record_success_sync(A, probe)
    assert tripped_inside == [CircuitState.OPEN]
    # The trip refused the restore; the new episode holds the same displaced posture.
    assert breaker.get_state(A) is CircuitState.OPEN
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES
    assert breaker.get_metrics(A)["original_posture"] == "full_autonomy"
    machine.remove_guard("calls_back")
    close(breaker, clock)
    assert machine.get_posture(A) is TrustPosture.FULL_AUTONOMY


def cycle(breaker: PostureCircuitBreaker, clock: FakeClock, agent: str) -> None:
    """Trip ``agent`` and close it again, 10 seconds later."""
    for _ in range(3):
        breaker.record_failure_sync(agent, "E", "m")
    clock.advance(10)
    for probe in [breaker.admit_sync(agent), breaker.admit_sync(agent)]:
        breaker.record_success_sync(agent, probe)
    assert breaker.get_state(agent) is CircuitState.CLOSED


def test_the_fence_outlives_the_agents_dropped_state() -> None:
    breaker, _, clock = make()
    before_trip = breaker.admit_sync(A)
    cycle(breaker, clock, A)
    clock.advance(60)
    assert breaker.tracked_agents() == 0  # forgotten a window after it closed
    for _ in range(3):
        fail(breaker, admission=before_trip)
    assert breaker.get_state(A) is CircuitState.CLOSED


def test_outcomes_reported_within_a_window_count_whatever_other_agents_do() -> None:
    breaker, _, clock = make()
    for other in ("b", "c"):
        cycle(breaker, clock, other)  # closed at 10 and 20
    clock.advance(0.25)
    admissions = [breaker.admit_sync(A) for _ in range(3)]
    clock.advance(59.75)
    assert breaker.tracked_agents() == 0  # both others forgotten since the admissions
    for admission in admissions:
        fail(breaker, admission=admission)
    assert breaker.get_state(A) is CircuitState.OPEN


def test_async_outcomes_carry_their_admission_and_default_action() -> None:
    breaker, _, _ = make()

    async def scenario() -> None:
        before = [await breaker.admit(A) for _ in range(3)]
        await breaker.record_failure(A, "E", "m")
        breaker.reset(A)
        for admission in before:  # fenced, as through record_failure_sync
            await breaker.record_failure(A, "E", "m", severity="critical", admission=admission)

    asyncio.run(scenario())
    assert breaker.get_state(A) is CircuitState.CLOSED
    assert breaker.get_failures(A) == []
    asyncio.run(breaker.record_failure(A, "E", "m"))
    (failure,) = breaker.get_failures(A)
    assert (failure.action, failure.severity) == ("", "medium")


def test_an_explicit_clock_is_the_breakers_own() -> None:
    machine = PostureStateMachine(clock=FakeClock())
    clock = FakeClock(start=datetime(2030, 6, 1, tzinfo=UTC))
    breaker = PostureCircuitBreaker(
        machine, CircuitBreakerConfig(failure_threshold=3, recovery_timeout=10), clock=clock
    )
    fail(breaker, 3)
    assert breaker.get_failures(A)[0].timestamp == clock.now()
    clock.advance(10)  # the machine's clock has not moved
    assert breaker.get_state(A) is CircuitState.HALF_OPEN


def test_a_clock_that_steps_back_changes_nothing() -> None:
    class Jumpy(FakeClock):
        back = 0.0

        def monotonic(self) -> float:
            return super().monotonic() - self.back

    clock = Jumpy()
    breaker = PostureCircuitBreaker(
        PostureStateMachine(clock=clock), CircuitBreakerConfig(failure_threshold=3), clock=clock
    )
    fail(breaker, 2)
    clock.back = 30.0
    fail(breaker)
    assert breaker.get_state(A) is CircuitState.OPEN
    assert len(breaker.get_failures(A)) == 3


def test_admissions_say_why() -> None:
    breaker, _, clock = make()
    closed = breaker.admit_sync(A)
    assert (closed.state, closed.probe, closed.reason) == (
        CircuitState.CLOSED,
        False,
        "closed: calls run and failures are counted",
    )
    half_open(breaker, clock)
    probe = breaker.admit_sync(A)
    assert (probe.allowed, probe.state, probe.probe, probe.reason) == (
        True,
        CircuitState.HALF_OPEN,
        True,
        "half-open: admitted as a probe",
    )
    breaker.admit_sync(A)
    full = breaker.admit_sync(A)
    assert (full.allowed, full.reason) == (
        False,
        "half-open: all 2 probe(s) admitted, waiting for their outcomes",
    )
    assert full.generation == breaker.get_metrics(A)["generation"]


def test_the_reason_names_what_the_circuit_last_did() -> None:
    breaker, _, clock = make()
    half_open(breaker, clock)
    fail(breaker, admission=breaker.admit_sync(A))
    assert breaker.get_metrics(A)["reason"] == "opened: a probe failed while half-open"
    clock.advance(10)
    for probe in [breaker.admit_sync(A), breaker.admit_sync(A)]:
        breaker.record_success_sync(A, probe)
    assert breaker.get_metrics(A)["reason"] == "closed: 2 probe(s) succeeded"
    breaker.force_open(A, "maintenance")
    assert breaker.get_metrics(A)["reason"] == "forced open by an operator: maintenance"
    breaker.reset(A)
    assert breaker.get_metrics(A)["reason"] == "reset by an operator"


def test_every_state_change_gets_a_new_generation() -> None:
    breaker, _, clock = make()
    seen = [breaker.get_metrics(A)["generation"]]
    trip(breaker)
    seen.append(breaker.get_metrics(A)["generation"])
    clock.advance(10)
    seen.append(breaker.get_metrics(A)["generation"])  # half-open
    for probe in [breaker.admit_sync(A), breaker.admit_sync(A)]:
        breaker.record_success_sync(A, probe)
    seen.append(breaker.get_metrics(A)["generation"])  # closed
    breaker.force_open(A, "maintenance")
    seen.append(breaker.get_metrics(A)["generation"])
    assert seen == sorted(set(seen)), seen
    assert seen[0] >= 0


def test_a_fractional_threshold_is_exact() -> None:
    breaker, _, _ = make(failure_threshold=2.5, severity_weights={"medium": 1})
    fail(breaker, 2)
    assert breaker.get_state(A) is CircuitState.CLOSED
    fail(breaker)
    assert breaker.get_state(A) is CircuitState.OPEN


def test_a_restore_is_refused_if_the_posture_changes_just_before_it() -> None:
    class Racing(PostureStateMachine):
        race = False

        def version(self, agent_id: str) -> int:
            seen = super().version(agent_id)
            if self.race:  # an operator re-sets the posture right after the breaker looked
                self.race = False
                self.set_posture(agent_id, self.get_posture(agent_id), reason="operator")
            return seen

    clock = FakeClock()
    machine = Racing(clock=clock)
    machine.set_posture(A, TrustPosture.FULL_AUTONOMY)
    breaker = PostureCircuitBreaker(
        machine, CircuitBreakerConfig(failure_threshold=3, recovery_timeout=10)
    )
    trip(breaker)
    clock.advance(10)
    probes = [breaker.admit_sync(A) for _ in range(breaker.config.half_open_max_calls)]
    machine.race = True
    for probe in probes:
        breaker.record_success_sync(A, probe)
    assert breaker.get_state(A) is CircuitState.CLOSED
    assert machine.get_posture(A) is TrustPosture.HUMAN_DECIDES  # the operator's decision stands


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda b: b.record_failure_sync(A, 5, "m"), "^error_type must be"),
        (lambda b: b.record_failure_sync(A, "E", "m", action=5), "^action must be"),
        (lambda b: b.force_open(A, 5), "^reason must be"),
        (
            lambda b: b.attach_metrics(object()),
            r"^metrics collector must have record_circuit_breaker_open\(\), got <object ",
        ),
    ],
)
def test_a_bad_argument_is_named(call: Any, message: str) -> None:
    breaker, _, _ = make()
    with pytest.raises(ValueError, match=message):
        call(breaker)


def test_the_breakers_posture_changes_say_why() -> None:
    breaker, machine, clock = make()
    fail(breaker)
    assert breaker.get_metrics(A)["reason"] == "closed: calls run and failures are counted"
    fail(breaker, 2)
    close(breaker, clock)
    down, up = breaker_entries(machine)
    assert down.reason == "circuit breaker opened: weighted failures 3 >= threshold 3"
    assert up.reason == (
        "circuit breaker closed: 2 probe(s) succeeded: restoring the posture it displaced"
    )


def test_a_restore_refused_by_a_trip_during_its_guards_says_why() -> None:
    breaker, machine, clock = make()

    def guard(request: object) -> bool:
        fail(breaker, 3)  # a trip while the restore's guards run
        return True

    trip(breaker)
    machine.add_guard(TransitionGuard(name="calls_back", check_fn=guard))
    clock.advance(10)
    for probe in [breaker.admit_sync(A), breaker.admit_sync(A)]:
        breaker.record_success_sync(A, probe)
    assert breaker.get_state(A) is CircuitState.OPEN
    refused = breaker_entries(machine)[-1]
    assert (refused.success, refused.from_posture, refused.to_posture) == (
        False,
        TrustPosture.HUMAN_DECIDES,
        TrustPosture.FULL_AUTONOMY,
    )
    assert refused.reason == "the circuit is open again: it tripped while the restore was checked"


def test_metrics_name_the_agent_the_limits_and_the_probes() -> None:
    breaker, _, clock = make()
    trip(breaker)
    metrics = breaker.get_metrics(A)
    assert metrics["agent_id"] == A
    assert (metrics["probes_admitted"], metrics["probes_succeeded"]) == (0, 0)
    assert {
        key: metrics[key]
        for key in (
            "failure_threshold",
            "failure_window_seconds",
            "recovery_timeout_seconds",
            "half_open_max_calls",
        )
    } == {
        "failure_threshold": 3,
        "failure_window_seconds": 60,
        "recovery_timeout_seconds": 10,
        "half_open_max_calls": 2,
    }
    clock.advance(10)
    breaker.record_success_sync(A, breaker.admit_sync(A))
    probing = breaker.get_metrics(A)
    assert (probing["probes_admitted"], probing["probes_succeeded"]) == (1, 1)
