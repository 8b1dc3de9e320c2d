"""PostureStateMachine and its metrics sink: told of every change, in order, never under the lock.

A sink is user code. It runs after the machine's lock is released, so it may call back
into the machine (a dashboard reading a history, a hook that contains a neighbour), and
one that raises never undoes or hides a change.
"""

from __future__ import annotations

import logging
import threading

import pytest

from trust import PostureStateMachine, TrustPosture
from trust.postures import PostureTransition

S, A, F, H, B = (
    TrustPosture.SUPERVISED,
    TrustPosture.ASSISTED,
    TrustPosture.FULL_AUTONOMY,
    TrustPosture.HUMAN_DECIDES,
    TrustPosture.BLOCKED,
)


class CallingBack:
    """A sink that reads the machine back and, on one agent's block, blocks a neighbour."""

    def __init__(self, machine: PostureStateMachine) -> None:
        self.machine = machine
        self.calls: list[object] = []
        self.under_lock: list[bool] = []

    def record_posture(self, agent_id: str, posture: TrustPosture) -> None:
        # With the machine's lock held, calling back would deadlock: record that and stop,
        # so that a regression fails this test instead of hanging it.
        held = self.machine._lock.locked()
        self.under_lock.append(held)
        self.calls.append((agent_id, posture))
        if held:
            return
        assert self.machine.get_transition_history(agent_id)[-1].to_posture is posture
        assert self.machine.tracked_agents() >= 1
        if (agent_id, posture) == ("agent-1", B):
            self.machine.set_posture("agent-2", B, reason="contain the neighbour")

    def record_transition(self, transition_type: PostureTransition) -> None:
        self.calls.append(transition_type)

    def record_emergency_downgrade(self) -> None:
        self.calls.append("emergency")


def test_a_metrics_sink_that_calls_the_machine_back_runs_without_its_lock() -> None:
    machine = PostureStateMachine()
    sink = CallingBack(machine)
    machine.attach_metrics(sink)
    result = machine.emergency_downgrade("agent-1", reason="incident")
    assert result.success
    assert sink.under_lock == [False, False]
    # The change the sink made is reported after the one it was told of.
    assert sink.calls == [
        ("agent-1", B),
        PostureTransition.EMERGENCY_DOWNGRADE,
        "emergency",
        ("agent-2", B),
        PostureTransition.DOWNGRADE,
    ]
    assert machine.get_posture("agent-2") is B


class Broken:
    def __init__(self) -> None:
        self.transitions: list[PostureTransition] = []

    def record_posture(self, agent_id: str, posture: TrustPosture) -> None:
        raise RuntimeError("metrics backend down")

    def record_transition(self, transition_type: PostureTransition) -> None:
        self.transitions.append(transition_type)

    def record_emergency_downgrade(self) -> None:
        raise RuntimeError("metrics backend down")


def test_a_metrics_sink_that_raises_never_undoes_or_hides_a_change(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = Broken()
    machine = PostureStateMachine(metrics=sink)
    with caplog.at_level(logging.ERROR, logger="trust.postures"):
        blocked = machine.emergency_downgrade("agent-1", reason="incident")
        moved = machine.set_posture("agent-2", A)
    assert (blocked.success, moved.success) == (True, True)
    assert machine.get_posture("agent-1") is B
    # Each call is made whatever the previous one did, and the next change is still told.
    assert sink.transitions == [PostureTransition.EMERGENCY_DOWNGRADE, PostureTransition.UPGRADE]
    assert [r.getMessage() for r in caplog.records] == [
        "metrics sink failed to record a posture change of agent-1",
        "metrics sink failed to record a posture change of agent-1",
        "metrics sink failed to record a posture change of agent-2",
    ]


class Abort(BaseException):
    """Not an Exception, and not an interrupt either."""


class Raising:
    """A sink whose every call raises ``error`` and is counted."""

    def __init__(self, error: type[BaseException]) -> None:
        self.error = error
        self.calls: list[str] = []

    def record_posture(self, agent_id: str, posture: TrustPosture) -> None:
        self.calls.append("posture")
        raise self.error

    def record_transition(self, transition_type: PostureTransition) -> None:
        self.calls.append("transition")
        raise self.error

    def record_emergency_downgrade(self) -> None:
        self.calls.append("emergency")
        raise self.error


def test_a_sink_raising_any_base_exception_is_logged_and_the_change_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = Raising(Abort)
    machine = PostureStateMachine(metrics=sink)
    with caplog.at_level(logging.ERROR, logger="trust.postures"):
        blocked = machine.emergency_downgrade("agent-1", reason="incident")
    assert blocked.success
    assert machine.get_posture("agent-1") is B
    assert sink.calls == ["posture", "transition", "emergency"]
    assert len(caplog.records) == 3


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_in_a_sink_goes_on_once_the_sink_heard_the_whole_change(
    interrupt: type[BaseException],
) -> None:
    sink = Raising(interrupt)
    machine = PostureStateMachine(metrics=sink)
    with pytest.raises(interrupt):
        machine.emergency_downgrade("agent-1", reason="incident")
    assert sink.calls == ["posture", "transition", "emergency"]
    assert machine.get_posture("agent-1") is B
    # The next change is told as usual: the interrupt left no sink call half done.
    sink.error = Abort
    machine.set_posture("agent-2", A)
    assert sink.calls[3:] == ["posture", "transition"]


class Recorder:
    def __init__(self) -> None:
        self.postures: list[tuple[str, TrustPosture]] = []

    def record_posture(self, agent_id: str, posture: TrustPosture) -> None:
        self.postures.append((agent_id, posture))

    def record_transition(self, transition_type: PostureTransition) -> None:
        pass

    def record_emergency_downgrade(self) -> None:
        pass


def test_the_sink_sees_every_agents_changes_in_the_order_they_were_made_under_threads() -> None:
    sink = Recorder()
    machine = PostureStateMachine(history_limit=10_000, metrics=sink)
    agents = [f"agent-{i}" for i in range(4)]
    barrier = threading.Barrier(8)

    def churn(seed: int) -> None:
        barrier.wait()
        for step in range(200):
            agent = agents[(seed + step) % len(agents)]
            if step % 50 == seed:
                machine.emergency_downgrade(agent, reason="incident")
            else:
                machine.set_posture(agent, (S, A, F, H)[(seed * step) % 4])

    threads = [threading.Thread(target=churn, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sink.postures) == 8 * 200
    for agent in agents:
        told = [posture for who, posture in sink.postures if who == agent]
        assert told == [entry.to_posture for entry in machine.get_transition_history(agent)]
        assert told[-1] is machine.get_posture(agent)


def test_a_sink_that_raises_an_interrupt_lets_it_through_after_the_change() -> None:
    sink = Recorder()
    stopped: list[bool] = []

    def record_posture(agent_id: str, posture: TrustPosture) -> None:
        if not stopped:
            stopped.append(True)
            raise KeyboardInterrupt
        sink.postures.append((agent_id, posture))

    sink.record_posture = record_posture  # type: ignore[method-assign]
    machine = PostureStateMachine(metrics=sink)
    with pytest.raises(KeyboardInterrupt):
        machine.emergency_downgrade("agent-1", reason="incident")
    assert machine.get_posture("agent-1") is B  # the change stands
    machine.set_posture("agent-2", A)  # and the machine still reports
    assert sink.postures == [("agent-2", A)]


def test_a_protective_downgrade_is_reported_like_any_change() -> None:
    sink = Recorder()
    machine = PostureStateMachine(metrics=sink)
    machine.set_posture("agent-1", F)
    lowered = machine.protective_downgrade("agent-1", H, reason="circuit breaker opened")
    assert lowered is not None
    assert sink.postures == [("agent-1", F), ("agent-1", H)]
