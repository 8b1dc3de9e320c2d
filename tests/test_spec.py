"""read_spec: a declared lifecycle becomes a neutral, immutable spec."""

from __future__ import annotations

import attrs
import pytest
from statemachine import State, StateMachine

from trust.model import (
    POSTURE_SPEC,
    LifecycleDefinitionError,
    PostureLifecycle,
    Transition,
    read_spec,
)


def test_posture_spec_reads_the_declaration() -> None:
    spec = POSTURE_SPEC
    assert spec.name == "posture"
    assert spec.declared_in == "trust/model/posture.py"
    assert spec.states == ("blocked", "human_decides", "supervised", "assisted", "full_autonomy")
    assert spec.initial == "supervised"
    assert spec.events == (
        "upgrade",
        "downgrade",
        "maintain",
        "emergency_downgrade",
        "protective_downgrade",
    )
    # requested_target is a routing condition: it picks a target, it never vetoes.
    assert spec.guards == ("requester_present", "guards_pass")
    assert len(spec.of_event("upgrade")) == 10
    assert len(spec.of_event("downgrade")) == 10
    assert len(spec.of_event("maintain")) == 5
    assert {t.source for t in spec.of_event("emergency_downgrade")} == set(spec.states)
    assert len(spec.of_event("protective_downgrade")) == 10
    assert all(not t.guards for t in spec.of_event("protective_downgrade"))
    assert (
        Transition(
            source="supervised",
            event="upgrade",
            target="full_autonomy",
            guards=("requester_present", "guards_pass"),
        )
        in spec.transitions
    )
    assert len(spec.from_state("blocked")) == 4 + 1 + 1  # upgrades, maintain, emergency


def test_spec_is_immutable_and_hashable() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        POSTURE_SPEC.initial = "blocked"  # type: ignore[misc]
    assert hash(POSTURE_SPEC) == hash(read_spec(PostureLifecycle))


def test_unknown_event_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="no event 'teleport'"):
        POSTURE_SPEC.of_event("teleport")


def test_reading_is_deterministic() -> None:
    assert read_spec(PostureLifecycle) == read_spec(PostureLifecycle) == POSTURE_SPEC


def test_every_offending_transition_is_listed() -> None:
    class Sloppy(StateMachine):  # type: ignore[misc]
        idle = State(initial=True)
        busy = State()
        start = idle.to(busy, cond=lambda: True) | busy.to(idle, unless="is_done")
        stop = busy.to(idle, cond="not_a_method")

        def is_done(self) -> bool:
            return True

    with pytest.raises(LifecycleDefinitionError) as raised:
        read_spec(Sloppy)
    message = str(raised.value)
    assert "must be the name of a method" in message
    assert "'unless' guards are not read" in message
    assert "'not_a_method' is not a method of Sloppy" in message
    assert message.count("\n- ") == 3


def test_definition_error_is_a_value_error() -> None:
    assert issubclass(LifecycleDefinitionError, ValueError)


class _Door(StateMachine):  # type: ignore[misc]
    shut = State(initial=True)
    ajar = State()

    push = shut.to(ajar, cond="unlocked", on=["creak", "log"]) | shut.to(
        ajar, cond="forced", on=["alarm"]
    )
    close = ajar.to(shut)

    def unlocked(self) -> bool:
        return True

    def forced(self) -> bool:
        return False

    def creak(self) -> None: ...

    def log(self) -> None: ...

    def alarm(self) -> None: ...

    def on_close(self) -> None: ...


def test_actions_are_read_in_order_and_a_move_may_be_declared_again_with_other_guards() -> None:
    spec = read_spec(_Door, name="door")
    assert spec.name == "door"
    assert spec.of_event("push") == (
        Transition(
            source="shut",
            event="push",
            target="ajar",
            guards=("unlocked",),
            actions=("creak", "log"),
        ),
        Transition(
            source="shut", event="push", target="ajar", guards=("forced",), actions=("alarm",)
        ),
    )
    # python-statemachine's own on_<event> methods are bookkeeping, not declared actions.
    assert spec.of_event("close")[0].actions == ()
    assert spec.actions == ("creak", "log", "alarm")


def test_an_action_that_is_not_a_method_is_refused() -> None:
    class Loose(StateMachine):  # type: ignore[misc]
        idle = State(initial=True)
        busy = State()
        start = idle.to(busy, on="not_a_method")
        stop = busy.to(idle, on=lambda: None)

    with pytest.raises(LifecycleDefinitionError) as raised:
        read_spec(Loose)
    message = str(raised.value)
    assert "action 'not_a_method' is not a method of Loose" in message
    assert "must be the name of a method" in message
