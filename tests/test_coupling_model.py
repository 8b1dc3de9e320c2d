"""The breaker-posture coupling as declared in the model, and the checks made when it is read."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import pytest
from statemachine import State, StateMachine

from trust.model import BREAKER_SPEC, COUPLING_SPEC, CouplingLifecycle, Transition
from trust.model.coupling_lifecycle import RESTORE_FENCES, read_coupling, split
from trust.model.spec import LifecycleDefinitionError


def test_every_coupling_state_is_a_breaker_state_with_or_without_a_hold() -> None:
    states = COUPLING_SPEC.lifecycle.states
    assert {split(s) for s in states} == {
        ("closed", "free"),
        ("open", "free"),
        ("open", "held"),
        ("half_open", "free"),
        ("half_open", "held"),
    }
    assert COUPLING_SPEC.lifecycle.initial == "closed_free"


def test_every_breaker_move_between_states_sends_an_event_the_coupling_follows() -> None:
    for t in BREAKER_SPEC.transitions:
        sends = COUPLING_SPEC.sends(t.source, t.event, t.target)
        if t.source != t.target:
            assert sends is not None, t
        if sends is None:
            continue
        for c in COUPLING_SPEC.lifecycle.of_event(sends):
            if split(c.source)[0] == t.source:
                assert split(c.target)[0] == t.target, (t, c)


def test_operators_restarting_a_state_send_their_events_and_counting_sends_none() -> None:
    assert COUPLING_SPEC.sends("closed", "reset", "closed") == "close"
    assert COUPLING_SPEC.sends("open", "force_open", "open") == "reopen"
    assert COUPLING_SPEC.sends("closed", "failure", "closed") is None
    assert COUPLING_SPEC.sends("half_open", "probe_admitted", "half_open") is None


def _actions(source: str, event: str) -> list[tuple[tuple[str, ...], tuple[str, ...], str]]:
    return [
        (c.guards, c.actions, c.target)
        for c in COUPLING_SPEC.lifecycle.of_event(event)
        if c.source == source
    ]


def test_a_trip_protects_and_holds_only_what_it_displaced() -> None:
    assert _actions("closed_free", "trip") == [
        (("lowered_nothing", "no_restore_pending"), ("protect",), "open_free"),
        (("lowered",), ("protect", "hold"), "open_held"),
        (("lowered_nothing", "restore_pending"), ("protect", "take_over"), "open_held"),
    ]


def test_a_close_restores_only_with_restore_on_close_and_a_change_forfeits() -> None:
    for held in ("open_held", "half_open_held"):
        assert _actions(held, "close") == [
            (("restore_on_close",), ("restore",), "closed_free"),
            (("keep_on_close",), ("forfeit",), "closed_free"),
        ]
        assert _actions(held, "posture_changed") == [
            ((), ("forfeit",), held.replace("held", "free"))
        ]
    assert _actions("open_free", "close") == [((), (), "closed_free")]
    assert COUPLING_SPEC.restore_fences == RESTORE_FENCES == ("posture_unchanged", "circuit_closed")


def test_the_declaration_runs_as_an_oracle() -> None:
    oracle = CouplingLifecycle()
    oracle.send("trip", lowered=True)
    oracle.send("posture_changed")
    oracle.send("recover")
    oracle.send("close", restore_on_close=True)
    assert oracle.state == "closed_free"
    assert oracle.done == ["protect", "hold", "forfeit"]


# A breaker with two states and one move, to check what reading a coupling refuses.
_TINY_BREAKER = attrs.evolve(
    BREAKER_SPEC,
    name="tiny_breaker",
    states=("closed", "open"),
    events=("failure",),
    transitions=(Transition(source="closed", event="failure", target="open"),),
)


class _HoldsWithoutTaking(StateMachine):
    closed_free = State(initial=True)
    open_free = State()
    open_held = State()

    trip = closed_free.to(open_held, on=["protect"])
    posture_changed = open_held.to(open_free, on=["forfeit"]) | open_free.to.itself()

    breaker_moves: ClassVar[dict[tuple[str, str], str]] = {("closed", "open"): "trip"}
    breaker_restarts: ClassVar[dict[str, str]] = {}

    def protect(self, *args: Any) -> None:
        pass

    def forfeit(self, *args: Any) -> None:
        pass


def test_a_held_state_reached_without_taking_a_hold_is_refused() -> None:
    with pytest.raises(LifecycleDefinitionError, match="a held state needs") as caught:
        read_coupling(_HoldsWithoutTaking, _TINY_BREAKER)
    assert "closed_free --trip--> open_held ['protect']" in str(caught.value)


def test_a_breaker_move_the_coupling_does_not_cover_is_refused_with_every_offence() -> None:
    grown = attrs.evolve(
        BREAKER_SPEC,
        name="grown_breaker",
        states=(*BREAKER_SPEC.states, "quarantined"),
        transitions=(
            *BREAKER_SPEC.transitions,
            Transition(source="open", event="force_open", target="quarantined"),
        ),
    )
    with pytest.raises(LifecycleDefinitionError) as caught:
        read_coupling(CouplingLifecycle, grown)
    message = str(caught.value)
    assert "breaker state 'quarantined' has no coupling state quarantined_'free'" in message
    assert "breaker move open -> quarantined sends no coupling event" in message
