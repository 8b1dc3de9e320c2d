"""The events the coupling conformance drives: each, what it does to the runtime, and the
product steps it stands for.

One table (`KINDS`) gives, for each kind of event, the steps of the product it is (with the
inputs the harness knows pinned) and how to perform it on the real engines; an event of a
kind the table does not list cannot be built, so none can fall through to a default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from trust.circuit_breaker import CircuitBreakerConfig, PostureCircuitBreaker
from trust.postures import PostureStateMachine, PostureTransitionRequest, TrustPosture
from trust.proofs._product_show import FINISH, RESTORE, SET_POSTURE
from trust.proofs._product_system import breaker_event, posture_event
from trust.proofs.conformance._clock import FakeClock
from trust.proofs.conformance._product_check import Pattern, Step, Value

AGENT = "agent-1"
OPERATOR = "operator"
DURATIONS = {"recovery": 10.0, "probe": 4.0, "window": 15.0}


@attrs.define
class Engines:
    """The real engines of one run, and the restore guard's orders for the next restore."""

    clock: FakeClock
    machine: PostureStateMachine
    breaker: PostureCircuitBreaker
    config: CircuitBreakerConfig
    armed: str = ""


def _kind(name: str) -> str:
    if name not in KINDS:
        raise ValueError(f"action must be one of {sorted(KINDS)}, got {name!r}")
    return name


@attrs.frozen
class Action:
    """One event of the alphabet: its kind, and the argument it carries, if any."""

    name: str = attrs.field(converter=_kind)
    arg: str = ""

    def __str__(self) -> str:
        return f"{self.name}({self.arg})" if self.arg else self.name


def _step(event: str, **inputs: Value) -> Step:
    return Step((event,), tuple(sorted(inputs.items())))


def restore_steps(passes: bool) -> Pattern:
    """A restore's fenced upgrade (its guards giving ``passes``), then its end."""
    guards: dict[str, Value] = {"pg.requester_present": True, "pg.guards_pass": passes}
    return (Step((RESTORE,), tuple(sorted(guards.items()))), _step(FINISH))


_CURRENT: dict[str, Value] = {"g.outcome_current": True}  # reported without an admission
_TIMED = Step(
    ("window_expiry", breaker_event("recovery_timeout"), breaker_event("probe_timeout")),
    (("weight", 1),),
)
_APPROVED: dict[str, Value] = {"pg.requester_present": True, "pg.guards_pass": True}
_REQUESTED = tuple(posture_event(e) for e in ("upgrade", "downgrade", "maintain"))


def _request(e: Engines, target: str) -> bool:
    request = PostureTransitionRequest(
        agent_id=AGENT,
        from_posture=e.machine.get_posture(AGENT),
        to_posture=target,
        reason="conformance",
        requester_id=OPERATOR,
    )
    return not e.machine.transition(request).success


def _arm(e: Engines, orders: str) -> bool:
    e.armed = orders
    return False


@attrs.frozen
class Kind:
    """How one kind of event is performed, and the product steps it stands for.

    ``steps`` are its own steps; ``perform`` does it and returns whether the runtime
    refused it; ``closes``: it may close the circuit, and a restore may follow; ``timed``:
    it moves the clock, and its steps are time-driven, each of which may or may not fire.
    """

    steps: Callable[[CircuitBreakerConfig, str], Pattern]
    perform: Callable[[Engines, str], bool]
    closes: bool = False
    timed: bool = False


def _done(action: Callable[[Engines, str], object]) -> Callable[[Engines, str], bool]:
    def perform(e: Engines, arg: str) -> bool:
        action(e, arg)
        return False

    return perform


KINDS: Mapping[str, Kind] = {
    "failure": Kind(
        lambda c, arg: (_step(breaker_event("failure"), weight=c.weight_units(arg), **_CURRENT),),
        _done(lambda e, arg: e.breaker.record_failure_sync(AGENT, "E", "x", severity=arg)),
    ),
    "success": Kind(
        lambda c, arg: (_step(breaker_event("probe_success"), weight=1, **_CURRENT),),
        _done(lambda e, arg: e.breaker.record_success_sync(AGENT)),
        closes=True,
    ),
    "admit": Kind(
        lambda c, arg: (_step(breaker_event("probe_admitted"), weight=1),),
        _done(lambda e, arg: e.breaker.admit_sync(AGENT)),
    ),
    "advance": Kind(
        lambda c, arg: (_TIMED,) * 3,
        _done(lambda e, arg: e.clock.advance(DURATIONS[arg])),
        timed=True,
    ),
    "force_open": Kind(
        lambda c, arg: (_step(breaker_event("force_open"), weight=1),),
        _done(lambda e, arg: e.breaker.force_open(AGENT, "conformance")),
    ),
    "reset": Kind(
        lambda c, arg: (_step(breaker_event("reset"), weight=1),),
        _done(lambda e, arg: e.breaker.reset(AGENT)),
        closes=True,
    ),
    "emergency_downgrade": Kind(
        lambda c, arg: (_step(posture_event("emergency_downgrade")),),
        lambda e, arg: not e.machine.emergency_downgrade(AGENT, reason="conformance").success,
    ),
    "request": Kind(
        lambda c, arg: (Step(_REQUESTED, tuple(sorted({"target": arg, **_APPROVED}.items()))),),
        _request,
    ),
    "set_posture": Kind(
        lambda c, arg: (_step(SET_POSTURE, target=arg),),
        _done(
            lambda e, arg: e.machine.set_posture(AGENT, TrustPosture(arg), requester_id=OPERATOR)
        ),
    ),
    "arm": Kind(lambda c, arg: (), _arm),  # the harness's own orders: no step of the runtime
}


def paths(kind: Kind, main: Pattern, restore_passes: bool) -> list[Pattern]:
    """The step sequences the product may take for an event whose own steps are ``main``."""
    if kind.timed:  # none, one, two or three time-driven steps
        return [main[:n] for n in range(len(main) + 1)]
    if kind.closes:  # a close, then its restore if the episode held a posture
        return [main, (*main, *restore_steps(restore_passes))]
    return [main]


ARMED: Mapping[str, tuple[Action, ...]] = {
    "refuse": (),
    "trip": (Action("force_open"),),
    "trip_and_close": (Action("force_open"), Action("reset")),
    "emergency": (Action("emergency_downgrade"),),
    "emergency_then_trip": (Action("emergency_downgrade"), Action("force_open")),
    "set_posture": (Action("set_posture", "full_autonomy"),),
    "reaffirm": (Action("request", "human_decides"),),
}
"""What an armed restore guard does while the restore is checked, before it approves
(``refuse``: it refuses instead; ``reaffirm``: an operator's request for the posture the
breaker holds, which changes the version and not the posture)."""


def alphabet(deep: bool) -> list[Action]:
    events = [Action("failure", "high"), Action("advance", "recovery")]
    events += [Action("force_open"), Action("reset")]
    events += [Action("emergency_downgrade"), Action("request", "full_autonomy")]
    events += [Action("arm", a) for a in ("trip", "emergency", "reaffirm")]
    if deep:
        events += [Action("success"), Action("admit")]
        events += [Action("failure", "low"), Action("advance", "probe")]
        events += [Action("advance", "window"), Action("request", "blocked")]
        events += [Action("set_posture", "full_autonomy"), Action("set_posture", "blocked")]
        events += [Action("arm", a) for a in ("refuse", "trip_and_close", "emergency_then_trip")]
        events.append(Action("arm", "set_posture"))
    return events


__all__ = [
    "AGENT",
    "ARMED",
    "DURATIONS",
    "KINDS",
    "Action",
    "Engines",
    "Kind",
    "alphabet",
    "paths",
    "restore_steps",
]
