"""What the posture machine keeps: per-agent histories, and every agent's in one order."""

from __future__ import annotations

import pytest

from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustPosture
from trust.postures import PostureTransitionRequest

S, A, F, B = (
    TrustPosture.SUPERVISED,
    TrustPosture.ASSISTED,
    TrustPosture.FULL_AUTONOMY,
    TrustPosture.BLOCKED,
)


def _history_of(machine: PostureStateMachine, agent: str, entries: int) -> None:
    # Alternate two postures so that every entry is a recorded change.
    for n in range(entries):
        machine.set_posture(agent, A if n % 2 == 0 else S, reason=f"step {n}")


@pytest.mark.parametrize("limit", [20, 21, 30, 10_000])
def test_history_limit_above_the_length_returns_every_entry(limit: int) -> None:
    """Issue 16: 20 entries with limit=21 returned 1, with limit=30 returned 10."""
    machine = PostureStateMachine(clock=FakeClock())
    _history_of(machine, "agent-1", 20)
    history = machine.get_transition_history("agent-1", limit=limit)
    assert [e.reason for e in history] == [f"step {n}" for n in range(20)]


def test_the_guides_limit_of_ten_returns_a_whole_six_entry_history() -> None:
    """Issue 16: the guide's ``limit=10`` returned 4 entries of a 6-entry history."""
    machine = PostureStateMachine(clock=FakeClock())
    _history_of(machine, "agent-001", 6)
    assert len(machine.get_transition_history(agent_id="agent-001", limit=10)) == 6


def test_history_limit_below_the_length_returns_the_newest() -> None:
    machine = PostureStateMachine(clock=FakeClock())
    _history_of(machine, "agent-1", 6)
    history = machine.get_transition_history("agent-1", limit=2)
    assert [e.reason for e in history] == ["step 4", "step 5"]
    assert machine.get_transition_history("agent-1", limit=0) == []


def test_history_limit_above_the_length_of_an_agent_with_only_refusals() -> None:
    machine = PostureStateMachine(clock=FakeClock())
    for _ in range(3):  # no requester: refused, and the posture never changes
        machine.transition(PostureTransitionRequest(agent_id="new", from_posture=S, to_posture=F))
    assert len(machine.get_transition_history("new", limit=4)) == 3


def test_history_without_an_agent_id_is_every_agents_entries_in_the_order_recorded() -> None:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture("a", A, reason="1")
    machine.set_posture("b", A, reason="2")
    machine.transition(PostureTransitionRequest(agent_id="c", from_posture=S, to_posture=F))
    machine.emergency_downgrade("a", reason="4")
    machine.set_posture("b", S, reason="5")
    every = machine.get_transition_history()
    assert [(e.agent_id, e.reason) for e in every] == [
        ("a", "1"),
        ("b", "2"),
        ("c", every[2].reason),  # the refusal of c's upgrade, in its place
        ("a", "4"),
        ("b", "5"),
    ]
    assert not every[2].success
    assert [e.sequence for e in every] == [1, 2, 3, 4, 5]
    assert machine.get_transition_history(limit=2) == every[-2:]
    assert machine.get_transition_history(limit=99) == every
    assert machine.get_transition_history(limit=0) == []


def test_history_of_every_agent_orders_entries_stamped_in_the_same_instant() -> None:
    # A frozen clock stamps every entry alike: the order is the machine's, not the time's.
    machine = PostureStateMachine(clock=FakeClock())
    for n in range(30):
        machine.set_posture(f"agent-{n % 3}", A if (n // 3) % 2 == 0 else S, reason=str(n))
    assert [e.reason for e in machine.get_transition_history()] == [str(n) for n in range(30)]
    assert [e.reason for e in machine.get_transition_history(limit=4)] == [
        "26",
        "27",
        "28",
        "29",
    ]


def test_an_explicit_none_agent_id_is_still_refused() -> None:
    machine = PostureStateMachine()
    machine.set_posture("a", A)
    with pytest.raises(ValueError, match="agent_id must be a string, got None"):
        machine.get_transition_history(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="agent_id must be a string, got None"):
        machine.get_transition_history(agent_id=None, limit=3)  # type: ignore[arg-type]


def test_history_of_every_agent_refuses_a_bad_limit() -> None:
    machine = PostureStateMachine()
    with pytest.raises(ValueError, match="limit"):
        machine.get_transition_history(limit=-1)
