"""A trip while the breaker's restore is checked: the restore never commits into an open circuit.

The invariant, at every point a caller can observe: while the circuit is not closed, the
posture is never above ``downgrade_on_open`` (nobody else changes it in these tests). The
race is made deterministic: a guard of the posture machine, run by the restore, trips the
circuit from inside the restore's check. No thread, no sleep.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustPosture
from trust.circuit_breaker import (
    REQUESTER,
    CircuitBreakerConfig,
    CircuitState,
    PostureCircuitBreaker,
)
from trust.postures import PostureTransition, PostureTransitionRequest, TransitionGuard

A = "agent-001"
DOWN = TrustPosture.HUMAN_DECIDES
Seen = tuple[str, TrustPosture, CircuitState | None]


class World:
    """A machine and its breaker, and every (posture, circuit) pair anyone could see."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.machine = PostureStateMachine(clock=self.clock)
        self.machine.set_posture(A, TrustPosture.FULL_AUTONOMY)
        self.breaker = PostureCircuitBreaker(
            self.machine,
            CircuitBreakerConfig(
                failure_threshold=3,
                recovery_timeout=10,
                half_open_max_calls=1,
                downgrade_on_open=DOWN,
            ),
        )
        self.seen: list[Seen] = []
        self.machine.attach_metrics(self)

    def observe(self, where: str, posture: TrustPosture | None = None) -> None:
        # Calling the breaker while its lock is held would deadlock: record None instead,
        # which the invariant refuses, so that a regression fails rather than hangs.
        state = None if self.breaker._lock.locked() else self.breaker.get_state(A)
        self.seen.append(
            (where, self.machine.get_posture(A) if posture is None else posture, state)
        )

    # The machine's metrics sink: told of every posture change the moment it is made.
    def record_posture(self, agent_id: str, posture: TrustPosture) -> None:
        self.observe(f"change to {posture.value}", posture)

    def record_transition(self, transition_type: PostureTransition) -> None:
        pass

    def record_emergency_downgrade(self) -> None:
        pass

    def trip(self) -> None:
        for _ in range(3):
            self.breaker.record_failure_sync(A, "TimeoutError", "upstream timed out")
        self.observe("after the trip")

    def close(self) -> None:
        self.clock.advance(10)
        self.breaker.record_success_sync(A, self.breaker.admit_sync(A))
        self.observe("after the probe")

    def once_in_the_restore(self, action: Callable[[], None]) -> None:
        """Run ``action`` inside the next restore's guard run, then approve."""
        fired: list[bool] = []

        def guard(request: PostureTransitionRequest) -> bool:
            if request.requester_id == REQUESTER and not fired:
                fired.append(True)
                action()
                self.observe("inside the restore's guard")
            return True

        self.machine.add_guard(
            TransitionGuard(name="meanwhile", check_fn=guard, applies_to={"upgrade"})
        )

    def assert_invariant(self) -> None:
        for where, posture, state in self.seen:
            assert state is not None, f"{where}: observed with the breaker's lock held"
            if state is not CircuitState.CLOSED:
                assert posture <= DOWN, f"{where}: {posture.value} while {state.value}"


def test_a_trip_while_the_restore_is_checked_refuses_the_restore_at_every_point() -> None:
    world = World()
    world.trip()
    world.once_in_the_restore(world.trip)
    world.close()
    world.assert_invariant()
    assert world.breaker.get_state(A) is CircuitState.OPEN
    assert world.machine.get_posture(A) is DOWN
    restore = world.machine.get_transition_history(A)[-1]
    assert (restore.success, restore.requester_id, restore.to_posture) == (
        False,
        REQUESTER,
        TrustPosture.FULL_AUTONOMY,
    )
    # The trip that won holds the same displaced posture, and gives it back when it closes.
    assert world.breaker.get_metrics(A)["original_posture"] == "full_autonomy"
    world.machine.remove_guard("meanwhile")
    world.close()
    world.assert_invariant()
    assert world.machine.get_posture(A) is TrustPosture.FULL_AUTONOMY
    assert [where for where, _, _ in world.seen] == [
        "change to human_decides",
        "after the trip",
        "after the trip",
        "inside the restore's guard",
        "after the probe",
        "change to full_autonomy",
        "after the probe",
    ]


def test_a_trip_and_a_close_while_the_restore_is_checked_restore_the_posture_once() -> None:
    world = World()
    world.trip()

    def trip_and_close() -> None:
        world.trip()
        world.close()  # its own restore runs here, inside the first one's guards

    world.once_in_the_restore(trip_and_close)
    world.close()
    world.assert_invariant()
    assert world.breaker.get_state(A) is CircuitState.CLOSED
    assert world.machine.get_posture(A) is TrustPosture.FULL_AUTONOMY
    restores = [
        e
        for e in world.machine.get_transition_history(A)
        if e.requester_id == REQUESTER and e.to_posture is TrustPosture.FULL_AUTONOMY
    ]
    assert [e.success for e in restores] == [True, False]  # the inner one, then the outer
    assert "while the transition was checked" in restores[1].reason


def test_a_trip_before_the_restore_is_checked_is_lowered_by_that_trip() -> None:
    """The other order: the restore commits first, then the trip lowers it again."""
    world = World()
    world.trip()
    world.close()
    assert world.machine.get_posture(A) is TrustPosture.FULL_AUTONOMY
    world.trip()
    world.assert_invariant()
    assert world.machine.get_posture(A) is DOWN
    assert world.breaker.get_metrics(A)["original_posture"] == "full_autonomy"


def test_an_emergency_then_a_trip_while_the_restore_is_checked_forfeits_the_hold() -> None:
    world = World()
    world.trip()

    def emergency_then_trip() -> None:
        world.machine.emergency_downgrade(A, reason="incident")
        world.trip()

    world.once_in_the_restore(emergency_then_trip)
    world.close()
    world.assert_invariant()
    assert "original_posture" not in world.breaker.get_metrics(A)
    world.machine.remove_guard("meanwhile")
    world.close()
    # The operator's emergency stands: no restore ever lifts it.
    assert world.machine.get_posture(A) is TrustPosture.BLOCKED
