"""The pure transition core: (circuit, event, now, config) -> (circuit, effects)."""

from __future__ import annotations

import ast
from pathlib import Path

import attrs
from hypothesis import given
from hypothesis import strategies as st

from trust._generated import breaker as table
from trust.circuit_breaker import CircuitBreakerConfig, CircuitState
from trust.circuit_breaker import _core as core
from trust.circuit_breaker._core import (
    ADMITTED,
    COUNTED,
    FENCED,
    Admitted,
    Circuit,
    Closed,
    Event,
    HalfOpened,
    Opened,
    Refused,
)

CONFIG = CircuitBreakerConfig(
    failure_threshold=3, recovery_timeout=10, half_open_max_calls=2, probe_timeout=5
)
UNITS = CONFIG.threshold_units // 3  # one medium failure
OPEN = Circuit(state=CircuitState.OPEN, generation=4, entered_at=100.0)
HALF = Circuit(state=CircuitState.HALF_OPEN, generation=5, entered_at=110.0)


def failure(weighted: int, admitted: int | None = None) -> Event:
    return Event(name="failure", weighted_units=weighted, admitted=admitted)


def test_the_core_has_no_lock_clock_or_io() -> None:
    source = Path(core.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported <= {
        "__future__",
        "collections.abc",
        "enum",
        "attrs",
        "trust._generated",
        "trust.circuit_breaker._config",
        "trust._unchecked",
    }


def test_a_failure_below_the_threshold_is_counted_and_changes_no_state() -> None:
    circuit = Circuit()
    step = core.step(circuit, failure(2 * UNITS), 50.0, CONFIG, generation=7)
    assert step.circuit is circuit
    assert step.effects == (COUNTED,)
    assert step.fired == (("closed", "failure", "closed"),)


def test_a_failure_at_the_threshold_opens_with_the_new_generation() -> None:
    step = core.step(Circuit(), failure(3 * UNITS), 50.0, CONFIG, generation=7)
    assert step.circuit == Circuit(state=CircuitState.OPEN, generation=7, entered_at=50.0)
    assert step.effects[0] == COUNTED
    opened = step.effects[1]
    assert isinstance(opened, Opened)
    assert opened.tripped
    assert step.fired == (("closed", "failure", "open"),)  # the coupling's trip
    assert opened.reason == "weighted failures 3 >= threshold 3"


def test_a_failure_while_open_changes_nothing() -> None:
    step = core.step(OPEN, failure(100 * UNITS), 105.0, CONFIG, generation=9)
    assert step.circuit is OPEN
    assert step.effects == ()


def test_outcomes_admitted_before_the_state_began_are_fenced() -> None:
    stale = core.step(HALF, failure(UNITS, admitted=4), 111.0, CONFIG, generation=9)
    assert stale.circuit is HALF
    assert stale.effects == (FENCED,)
    current = core.step(HALF, failure(UNITS, admitted=5), 111.0, CONFIG, generation=9)
    assert current.circuit.state is CircuitState.OPEN


def test_recovery_is_dated_when_the_timeout_ran_out() -> None:
    assert core.advance(OPEN, 109.75, CONFIG, generation=9).circuit is OPEN
    step = core.advance(OPEN, 125.0, CONFIG, generation=9)
    assert step.circuit == Circuit(state=CircuitState.HALF_OPEN, generation=9, entered_at=110.0)
    assert step.effects == (HalfOpened(),)


def test_a_probe_timeout_reopens_at_its_deadline_and_may_recover_again() -> None:
    probing = Circuit(
        state=CircuitState.HALF_OPEN,
        generation=5,
        entered_at=110.0,
        probes_admitted=1,
        last_probe_at=112.0,
    )
    step = core.advance(probing, 127.0, CONFIG, generation=9)
    # Timed out at 117, reopened then, and half-open again at 127: all in one look.
    assert step.fired == (
        ("half_open", "probe_timeout", "open"),
        ("open", "recovery_timeout", "half_open"),
    )
    assert step.circuit == Circuit(state=CircuitState.HALF_OPEN, generation=9, entered_at=127.0)
    opened = step.effects[0]
    assert isinstance(opened, Opened)
    assert opened.tripped


def test_admission_per_state() -> None:
    assert core.admit(Circuit(), 0.0, CONFIG, 1).effects == (ADMITTED,)
    refused = core.admit(OPEN, 104.0, CONFIG, 9).effects[-1]
    assert refused == Refused("open: half-open in 6s")
    first = core.admit(HALF, 111.0, CONFIG, 9)
    assert first.effects == (Admitted(probe=True),)
    assert first.circuit.probes_admitted == 1
    assert first.circuit.last_probe_at == 111.0
    second = core.admit(first.circuit, 111.0, CONFIG, 9)
    third = core.admit(second.circuit, 111.0, CONFIG, 9)
    assert isinstance(third.effects[-1], Refused)
    assert third.circuit.probes_admitted == 2


def test_probe_successes_close_after_max_calls() -> None:
    circuit = Circuit(
        state=CircuitState.HALF_OPEN,
        generation=5,
        entered_at=110.0,
        probes_admitted=2,
        last_probe_at=110.0,
    )
    success = Event(name="probe_success")
    once = core.step(circuit, success, 111.0, CONFIG, generation=9)
    assert once.circuit.probes_succeeded == 1
    assert once.effects == ()
    twice = core.step(once.circuit, success, 111.0, CONFIG, generation=9)
    assert twice.circuit == Circuit(state=CircuitState.CLOSED, generation=9, entered_at=111.0)
    assert twice.effects == (Closed("2 probe(s) succeeded", operator=False),)
    extra = core.step(twice.circuit, success, 111.0, CONFIG, generation=10)
    assert extra.circuit is twice.circuit


def test_operator_events() -> None:
    forced = core.step(Circuit(), Event(name="force_open"), 1.0, CONFIG, generation=3)
    assert forced.circuit.forced
    assert forced.circuit.state is CircuitState.OPEN
    assert core.advance(forced.circuit, 1e9, CONFIG, generation=4).circuit is forced.circuit
    again = core.step(OPEN, Event(name="force_open"), 105.0, CONFIG, generation=9)
    assert again.circuit.entered_at == 100.0
    (opened,) = again.effects
    assert isinstance(opened, Opened)
    assert not opened.tripped
    reset = core.step(forced.circuit, Event(name="reset"), 2.0, CONFIG, generation=5)
    assert reset.circuit == Circuit(state=CircuitState.CLOSED, generation=5, entered_at=2.0)
    assert reset.effects == (Closed("reset by an operator", operator=True),)


circuits = st.builds(
    Circuit,
    state=st.sampled_from(list(CircuitState)),
    generation=st.integers(0, 5),
    entered_at=st.none() | st.floats(0, 100),
    forced=st.booleans(),
    probes_admitted=st.integers(0, 4),
    probes_succeeded=st.integers(0, 4),
    last_probe_at=st.floats(0, 100),
)
events = st.builds(
    Event,
    name=st.sampled_from(table.EVENTS),
    weighted_units=st.integers(0, 20),
    admitted=st.none() | st.integers(0, 5),
)


@given(circuit=circuits, event=events, now=st.floats(0, 200))
def test_at_most_one_transition_fires_for_any_circuit_and_event(
    circuit: Circuit, event: Event, now: float
) -> None:
    firing = [
        (source, target)
        for source, name, target, guards in table.TRANSITIONS
        if source == circuit.state and name == event.name
        if all(core.GUARDS[g](circuit, event, now, CONFIG) for g in guards)
    ]
    assert len(firing) <= 1


def test_a_probe_failure_reopens_without_taking_a_new_hold() -> None:
    probing = attrs.evolve(HALF, probes_admitted=1, last_probe_at=111.0)
    step = core.step(probing, failure(UNITS, admitted=5), 112.0, CONFIG, generation=9)
    assert step.circuit == Circuit(state=CircuitState.OPEN, generation=9, entered_at=112.0)
    assert step.effects == (Opened(reason="a probe failed while half-open", tripped=True),)


def test_a_probe_timeout_says_how_many_probes_are_unreported() -> None:
    probing = attrs.evolve(HALF, probes_admitted=2, probes_succeeded=1, last_probe_at=112.0)
    step = core.advance(probing, 118.0, CONFIG, generation=9)
    assert step.circuit == Circuit(state=CircuitState.OPEN, generation=9, entered_at=117.0)
    assert step.effects == (
        Opened(
            reason=f"1 probe(s) unreported {CONFIG.probe_timeout}s after the last admission",
            tripped=True,
        ),
    )


def test_forcing_a_closed_circuit_open_starts_an_episode() -> None:
    step = core.step(Circuit(), Event(name="force_open"), 1.0, CONFIG, generation=3)
    assert step.circuit == Circuit(
        state=CircuitState.OPEN, generation=3, entered_at=1.0, forced=True
    )
    assert step.effects == (Opened(reason="forced open by an operator", tripped=True),)


def test_a_fenced_outcome_fires_nothing_and_a_current_one_is_not_fenced() -> None:
    stale = core.step(HALF, failure(UNITS, admitted=4), 111.0, CONFIG, generation=9)
    assert stale.fired == ()
    # Admitted under the current state, it is current even when it changes nothing.
    idle = core.step(HALF, Event(name="probe_success", admitted=5), 111.0, CONFIG, generation=9)
    assert (idle.circuit, idle.effects, idle.fired) == (HALF, (), ())


def test_time_driven_events_before_an_event_get_the_new_generation() -> None:
    step = core.step(OPEN, Event(name="probe_success"), 125.0, CONFIG, generation=9)
    assert step.circuit == Circuit(state=CircuitState.HALF_OPEN, generation=9, entered_at=110.0)


def test_admission_steps_fire_nothing_but_the_time_driven_events() -> None:
    closed = Circuit()
    assert core.admit(closed, 0.0, CONFIG, 1) == core.Step(closed, (ADMITTED,), ())
    assert core.admit(OPEN, 104.0, CONFIG, 9) == core.Step(
        OPEN, (Refused("open: half-open in 6s"),), ()
    )
    forced = Circuit(state=CircuitState.OPEN, generation=4, entered_at=100.0, forced=True)
    assert core.admit(forced, 1e9, CONFIG, 9).effects == (
        Refused("forced open by an operator; only a reset releases it"),
    )
    full = attrs.evolve(HALF, probes_admitted=2, last_probe_at=111.0)
    assert core.admit(full, 112.0, CONFIG, 9).effects == (
        Refused("half-open: all 2 probe(s) admitted, waiting for their outcomes"),
    )
