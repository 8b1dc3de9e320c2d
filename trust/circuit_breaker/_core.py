"""The circuit breaker's transition core: pure, with no lock, no clock and no I/O.

`step` is a function of ``(circuit, event, now, config, generation)`` to a new circuit and
the effects the engine must carry out (count the failure, hold the posture down, restore
it, ...). Which transitions exist and which guards they need come from the generated
lifecycle table (``trust/_generated/breaker.py``); this module interprets each guard name
and does the bookkeeping each event implies, nothing else. The engine
(`PostureCircuitBreaker`) owns the lock, the clock, the failure windows and the postures.

Time-driven events (``recovery_timeout``, ``probe_timeout``) are fired by `advance` at the
*logical* moment they fell due, so when a circuit is looked at never changes what it does:
a half-open circuit whose probes timed out at t reopened at t, not when someone noticed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum

import attrs

from trust._generated import breaker as _lifecycle
from trust._unchecked import unchecked_constructor
from trust.circuit_breaker._config import CircuitBreakerConfig


class CircuitState(StrEnum):
    """The state of one agent's circuit breaker.

    - ``CLOSED``: normal operation; failures are counted.
    - ``OPEN``: failures reached the threshold; calls are refused and the posture is held
      down.
    - ``HALF_OPEN``: testing recovery; a limited number of probe calls is admitted.
    """

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


if tuple(CircuitState) != _lifecycle.STATES:
    raise ImportError(f"CircuitState must list the model's states {_lifecycle.STATES}")


@attrs.frozen(kw_only=True)
class Circuit:
    """The lifecycle state of one agent's breaker; the failure window is kept apart.

    Attributes:
        state: Where the circuit is.
        generation: Fencing token of the current state: an outcome counts only if it was
            admitted with a generation at least this one (see `PostureCircuitBreaker`).
        entered_at: Logical monotonic time the state began; None for a circuit closed
            since before anything was recorded about it.
        forced: Forced open by an operator; only a reset releases it.
        probes_admitted: Probes admitted in this half-open episode.
        probes_succeeded: Probes that reported success in this half-open episode.
        last_probe_at: When the latest probe was admitted.
    """

    state: CircuitState = CircuitState.CLOSED
    generation: int = 0
    entered_at: float | None = None
    forced: bool = False
    probes_admitted: int = 0
    probes_succeeded: int = 0
    last_probe_at: float = 0.0


# No __weakref__ slot: see trust._unchecked.
@attrs.frozen(kw_only=True, weakref_slot=False)
class Event:
    """Something that happened to a circuit: an event of the breaker lifecycle.

    Attributes:
        name: The lifecycle event, e.g. ``"failure"``.
        weighted_units: For a failure, the weighted failures inside the window including
            this one, in the config's exact integer units.
        admitted: For an outcome, the generation of the admission it reports on (None:
            reported without one). It is current only if it is at least the circuit's
            generation, i.e. it was admitted under the current state; otherwise fenced.
    """

    name: str
    weighted_units: int = 0
    admitted: int | None = None


# What the engine must do after a step.


@attrs.frozen
class Opened:
    """The circuit opened, or was forced open: hold the posture down.

    ``tripped`` is True when the state became OPEN (one per trip, for metrics). What it does
    to the posture is the coupling's (`trust.circuit_breaker._coupling_core`), by the
    transition that fired.
    """

    reason: str
    tripped: bool


@attrs.frozen
class HalfOpened:
    """The recovery timeout ran out: probes may be admitted."""


@attrs.frozen
class Closed:
    """The circuit closed: clear the window and restore what the episode displaced."""

    reason: str
    operator: bool


@attrs.frozen
class Counted:
    """The failure counts: add it to the window."""


@attrs.frozen
class Fenced:
    """The outcome was admitted under an earlier state and changed nothing."""


@attrs.frozen
class Admitted:
    """The call may run; ``probe`` when it is one of the half-open probes."""

    probe: bool


@attrs.frozen
class Refused:
    """The call may not run, because ``reason``."""

    reason: str


Effect = Opened | HalfOpened | Closed | Counted | Fenced | Admitted | Refused

COUNTED = Counted()
FENCED = Fenced()
ADMITTED = Admitted(probe=False)


# No __weakref__ slot: see trust._unchecked.
@attrs.frozen(weakref_slot=False)
class Step:
    """The circuit after an event, the effects to carry out, and the transitions fired."""

    circuit: Circuit
    effects: tuple[Effect, ...] = ()
    fired: tuple[tuple[str, str, str], ...] = ()


# Unchecked constructors for the values built on every call (their fields are known good).
_step = unchecked_constructor(Step)
make_event = unchecked_constructor(Event)
"""``make_event(name, weighted_units, admitted)``, unchecked: for the engine's hot paths."""

Guard = Callable[[Circuit, Event, float, CircuitBreakerConfig], bool]


def _probe_wait_elapsed(c: Circuit, e: Event, now: float, cfg: CircuitBreakerConfig) -> bool:
    return now >= c.last_probe_at + cfg.probe_timeout


def _recovery_elapsed(c: Circuit, e: Event, now: float, cfg: CircuitBreakerConfig) -> bool:
    return c.entered_at is not None and now >= c.entered_at + cfg.recovery_timeout


GUARDS: Mapping[str, Guard] = {
    "outcome_current": lambda c, e, now, cfg: e.admitted is None or e.admitted >= c.generation,
    "below_threshold": lambda c, e, now, cfg: e.weighted_units < cfg.threshold_units,
    "at_threshold": lambda c, e, now, cfg: e.weighted_units >= cfg.threshold_units,
    "not_forced": lambda c, e, now, cfg: not c.forced,
    "recovery_elapsed": _recovery_elapsed,
    "probe_slot_free": lambda c, e, now, cfg: c.probes_admitted < cfg.half_open_max_calls,
    "probe_outstanding": lambda c, e, now, cfg: c.probes_succeeded < c.probes_admitted,
    "probes_complete": lambda c, e, now, cfg: c.probes_succeeded + 1 >= cfg.half_open_max_calls,
    "probes_incomplete": lambda c, e, now, cfg: c.probes_succeeded + 1 < cfg.half_open_max_calls,
    "probe_wait_elapsed": _probe_wait_elapsed,
}
"""How each guard of the model is checked, by name."""

_unchecked = set(_lifecycle.GUARDS) - GUARDS.keys()
if _unchecked:
    # Fail closed at import rather than let an unknown guard pass or crash a step.
    raise ImportError(f"the breaker model uses guards the runtime cannot check: {_unchecked}")

_TABLE: dict[tuple[str, str], list[tuple[CircuitState, tuple[Guard, ...]]]] = {}
for _source, _event, _target, _guards in _lifecycle.TRANSITIONS:
    _TABLE.setdefault((_source, _event), []).append(
        (CircuitState(_target), tuple(GUARDS[g] for g in _guards))
    )


def _fire(
    circuit: Circuit, event: Event, now: float, config: CircuitBreakerConfig
) -> CircuitState | None:
    """The target of the transition of ``event`` whose guards all hold, if any.

    The model's guards on one (state, event) exclude each other (below/at the threshold,
    probes incomplete/complete), so at most one transition fires.
    """
    for target, guards in _TABLE.get((circuit.state, event.name), ()):
        for guard in guards:
            if not guard(circuit, event, now, config):
                break
        else:
            return target
    return None


_Entry = Callable[
    [Circuit, CircuitState, Event, float, CircuitBreakerConfig, int],
    tuple[Circuit, tuple[Effect, ...]],
]


def _on_failure(
    c: Circuit, to: CircuitState, e: Event, now: float, cfg: CircuitBreakerConfig, gen: int
) -> tuple[Circuit, tuple[Effect, ...]]:
    if to is CircuitState.CLOSED:
        return c, (COUNTED,)
    opened = Circuit(state=to, generation=gen, entered_at=now)
    if c.state is CircuitState.CLOSED:
        weighted = cfg.units_to_fraction(e.weighted_units)
        reason = f"weighted failures {weighted} >= threshold {cfg.failure_threshold}"
        return opened, (COUNTED, Opened(reason=reason, tripped=True))
    return opened, (Opened(reason="a probe failed while half-open", tripped=True),)


def _on_recovery_timeout(
    c: Circuit, to: CircuitState, e: Event, now: float, cfg: CircuitBreakerConfig, gen: int
) -> tuple[Circuit, tuple[Effect, ...]]:
    assert c.entered_at is not None  # recovery_elapsed held
    began = c.entered_at + cfg.recovery_timeout
    return Circuit(state=to, generation=gen, entered_at=began), (HalfOpened(),)


def _on_probe_admitted(
    c: Circuit, to: CircuitState, e: Event, now: float, cfg: CircuitBreakerConfig, gen: int
) -> tuple[Circuit, tuple[Effect, ...]]:
    admitted = attrs.evolve(c, probes_admitted=c.probes_admitted + 1, last_probe_at=now)
    return admitted, (Admitted(probe=True),)


def _on_probe_success(
    c: Circuit, to: CircuitState, e: Event, now: float, cfg: CircuitBreakerConfig, gen: int
) -> tuple[Circuit, tuple[Effect, ...]]:
    if to is CircuitState.HALF_OPEN:
        return attrs.evolve(c, probes_succeeded=c.probes_succeeded + 1), ()
    reason = f"{cfg.half_open_max_calls} probe(s) succeeded"
    return Circuit(state=to, generation=gen, entered_at=now), (Closed(reason, operator=False),)


def _on_probe_timeout(
    c: Circuit, to: CircuitState, e: Event, now: float, cfg: CircuitBreakerConfig, gen: int
) -> tuple[Circuit, tuple[Effect, ...]]:
    outstanding = c.probes_admitted - c.probes_succeeded
    reason = f"{outstanding} probe(s) unreported {cfg.probe_timeout}s after the last admission"
    # It reopened when the wait ran out, not when someone happened to look.
    reopened = Circuit(state=to, generation=gen, entered_at=c.last_probe_at + cfg.probe_timeout)
    return reopened, (Opened(reason=reason, tripped=True),)


def _on_force_open(
    c: Circuit, to: CircuitState, e: Event, now: float, cfg: CircuitBreakerConfig, gen: int
) -> tuple[Circuit, tuple[Effect, ...]]:
    was_open = c.state is CircuitState.OPEN
    began = c.entered_at if was_open else now
    forced = Circuit(state=to, generation=gen, entered_at=began, forced=True)
    return forced, (Opened(reason="forced open by an operator", tripped=not was_open),)


def _on_reset(
    c: Circuit, to: CircuitState, e: Event, now: float, cfg: CircuitBreakerConfig, gen: int
) -> tuple[Circuit, tuple[Effect, ...]]:
    return Circuit(state=to, generation=gen, entered_at=now), (
        Closed("reset by an operator", operator=True),
    )


_ENTRIES: Mapping[str, _Entry] = {
    "failure": _on_failure,
    "recovery_timeout": _on_recovery_timeout,
    "probe_admitted": _on_probe_admitted,
    "probe_success": _on_probe_success,
    "probe_timeout": _on_probe_timeout,
    "force_open": _on_force_open,
    "reset": _on_reset,
}

if set(_ENTRIES) != set(_lifecycle.EVENTS):
    raise ImportError(
        f"the breaker core must handle exactly the model's events {_lifecycle.EVENTS}, "
        f"it handles {sorted(_ENTRIES)}"
    )

_TIMED = (Event(name="recovery_timeout"), Event(name="probe_timeout"))
_MAX_TIMED_STEPS = 8
# The states some time-driven event leaves; from any other, time alone changes nothing.
_TIMED_SOURCES = frozenset(source for source, event in _TABLE for e in _TIMED if e.name == event)


def _apply(
    step: Step, event: Event, now: float, config: CircuitBreakerConfig, generation: int
) -> Step:
    circuit = step.circuit
    target = _fire(circuit, event, now, config)
    if target is None:
        if event.admitted is not None and event.admitted < circuit.generation:
            return _step(circuit, (*step.effects, FENCED), step.fired)
        return step
    new, effects = _ENTRIES[event.name](circuit, target, event, now, config, generation)
    fired = (*step.fired, (circuit.state.value, event.name, target.value))
    return _step(new, step.effects + effects, fired)


def advance(circuit: Circuit, now: float, config: CircuitBreakerConfig, generation: int) -> Step:
    """Fire every time-driven event due at ``now``, each at the moment it fell due.

    ``generation`` is the fencing token given to any state entered.
    """
    step = _step(circuit, (), ())
    if circuit.state not in _TIMED_SOURCES:
        return step
    # Entering half-open admits no probe, so no probe is outstanding and it cannot time
    # out at once: at most reopen, then recover. The bound keeps a model edit that made a
    # timed cycle from hanging the caller; it fails loudly instead.
    for _ in range(_MAX_TIMED_STEPS):
        for event in _TIMED:
            moved = _apply(step, event, now, config, generation)
            if moved is not step:
                step = moved
                break
        else:
            return step
    raise RuntimeError(f"time-driven events did not settle: {step.fired}")


def step(
    circuit: Circuit, event: Event, now: float, config: CircuitBreakerConfig, generation: int
) -> Step:
    """``circuit`` after the time-driven events due at ``now``, then ``event``.

    An event that no transition accepts changes nothing: a failure while open, a success
    with no probe outstanding. An outcome admitted under an earlier state (checked after
    the time-driven events, which may have changed the state) is also reported `Fenced`.
    """
    return _apply(advance(circuit, now, config, generation), event, now, config, generation)


_PROBE = Event(name="probe_admitted")


def admit(circuit: Circuit, now: float, config: CircuitBreakerConfig, generation: int) -> Step:
    """Whether a call may run now; the step ends with `Admitted` or `Refused`.

    CLOSED admits every call; OPEN refuses every call; HALF_OPEN admits a probe while the
    ``probe_admitted`` transition allows it (at most ``half_open_max_calls``).
    """
    if circuit.state is CircuitState.CLOSED and circuit.state not in _TIMED_SOURCES:
        return _step(circuit, (ADMITTED,), ())
    moved = advance(circuit, now, config, generation)
    state = moved.circuit.state
    if state is CircuitState.CLOSED:
        return _step(moved.circuit, (*moved.effects, ADMITTED), moved.fired)
    if state is CircuitState.HALF_OPEN:
        probed = _apply(moved, _PROBE, now, config, generation)
        if probed is not moved:
            return probed
        reason = (
            f"half-open: all {config.half_open_max_calls} probe(s) admitted, "
            "waiting for their outcomes"
        )
    elif moved.circuit.forced:
        reason = "forced open by an operator; only a reset releases it"
    else:
        assert moved.circuit.entered_at is not None  # an automatic open has a start
        left = moved.circuit.entered_at + config.recovery_timeout - now
        reason = f"open: half-open in {left:g}s"
    return _step(moved.circuit, (*moved.effects, Refused(reason)), moved.fired)
