"""The breaker-posture coupling's core: pure, with no lock, no clock and no I/O.

Which coupling event each breaker transition sends, which transition of the coupling
fires on it, and which actions it takes all come from the generated table
(``trust/_generated/coupling.py``, from ``model/coupling_lifecycle.py``). This module reads
each guard name against the `Facts` the engine gives it and names the actions; the engine
(`PostureCircuitBreaker`, through `PostureCoupling`) carries them out.

A coupling state is a breaker state and whether the breaker holds a posture it displaced:
``<state>_held`` or ``<state>_free``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum

import attrs

from trust._generated import coupling as _table
from trust._unchecked import unchecked_constructor
from trust.circuit_breaker._core import CircuitState


class Action(StrEnum):
    """What a coupling transition does, in the model's words."""

    PROTECT = "protect"  # lower the posture to at most downgrade_on_open
    HOLD = "hold"  # remember what the protect displaced
    TAKE_OVER = "take_over"  # hold what a restore still in flight would give back
    RESTORE = "restore"  # give the displaced posture back, by a fenced, guarded upgrade
    FORFEIT = "forfeit"  # drop the hold


class Fence(StrEnum):
    """What a restore needs when it commits (the model's ``RESTORE_FENCES``)."""

    POSTURE_UNCHANGED = "posture_unchanged"
    CIRCUIT_CLOSED = "circuit_closed"


POSTURE_CHANGED = "posture_changed"
"""The coupling event of a posture change by anyone else."""


# No __weakref__ slot: see trust._unchecked.
@attrs.frozen(kw_only=True, weakref_slot=False)
class Facts:
    """What the coupling's guards read.

    Attributes:
        lowered: The protective downgrade of this breaker move lowered the posture.
        restore_pending: A restore in flight holds a posture whose version is current.
        restore_on_close: The breaker's config gives the displaced posture back on close.
    """

    lowered: bool = False
    restore_pending: bool = False
    restore_on_close: bool = True


make_facts = unchecked_constructor(Facts)
"""``make_facts(lowered, restore_pending, restore_on_close)``, unchecked: for the engine."""


@attrs.frozen(weakref_slot=False)
class Move:
    """The coupling transition that fired: where it leads and what it does, in order."""

    target: str
    held: bool
    actions: tuple[Action, ...]


GUARDS: Mapping[str, Callable[[Facts], bool]] = {
    "lowered": lambda f: f.lowered,
    "lowered_nothing": lambda f: not f.lowered,
    "restore_pending": lambda f: f.restore_pending,
    "no_restore_pending": lambda f: not f.restore_pending,
    "restore_on_close": lambda f: f.restore_on_close,
    "keep_on_close": lambda f: not f.restore_on_close,
}
"""How each guard of the coupling model is checked, by name."""


def _held(state: str) -> bool:
    breaker, _, hold = state.rpartition("_")
    if breaker not in {c.value for c in CircuitState} or hold not in ("held", "free"):
        raise ImportError(f"coupling state {state!r} must be <circuit state>_held or _free")
    return hold == "held"


def _check_table() -> None:
    # Fail closed at import rather than let an unknown guard pass or an action be skipped.
    problems = []
    if unknown := set(_table.GUARDS) - GUARDS.keys():
        problems.append(f"guards the runtime cannot check: {sorted(unknown)}")
    if unknown := set(_table.ACTIONS) - set(Action):
        problems.append(f"actions the runtime cannot carry out: {sorted(unknown)}")
    if unknown := set(_table.RESTORE_FENCES) - set(Fence):
        problems.append(f"restore fences the runtime cannot enforce: {sorted(unknown)}")
    for source, event, _target, _guards, actions in _table.TRANSITIONS:
        # A guard reads the protect's outcome, so it runs before the guards are checked.
        if Action.PROTECT in actions[1:]:
            problems.append(f"{source} --{event}-->: protect must be the first action")
    for key, moves in _TABLE.items():
        if len({Action.PROTECT in m.actions for _, m in moves}) > 1:
            problems.append(f"{key}: protect must be an action of all of its transitions or none")
    if problems:
        raise ImportError("the coupling model cannot be run: " + "; ".join(problems))


_TABLE: dict[tuple[str, str], list[tuple[tuple[Callable[[Facts], bool], ...], Move]]] = {}
for _source, _event, _target, _guards, _actions in _table.TRANSITIONS:
    _TABLE.setdefault((_source, _event), []).append(
        (
            tuple(GUARDS[g] for g in _guards if g in GUARDS),
            Move(_target, _held(_target), tuple(Action(a) for a in _actions if a in set(Action))),
        )
    )
_check_table()
for _state in _table.STATES:
    _held(_state)

TRIGGERS: Mapping[tuple[str, str, str], str] = {
    (source, event, target): sends for source, event, target, sends in _table.TRIGGERS
}
"""The coupling event each breaker transition ``(source, event, target)`` sends."""

FENCES: frozenset[Fence] = frozenset(Fence(f) for f in _table.RESTORE_FENCES)
"""The fences every restore must pass when it commits."""

# Keyed by CircuitState, which as a StrEnum also finds its plain value.
_STATE: Mapping[tuple[CircuitState | str, bool], str] = {
    (circuit, held): f"{circuit.value}_{'held' if held else 'free'}"
    for circuit in CircuitState
    for held in (False, True)
}


def state_of(circuit: CircuitState | str, held: bool) -> str:
    """The coupling state of a circuit (a `CircuitState` or its value) that holds a posture
    (``held``) or not."""
    return _STATE[circuit, held]


_PROTECTS_FIRST = frozenset(
    key for key, moves in _TABLE.items() if Action.PROTECT in moves[0][1].actions
)


def protects_first(state: str, event: str) -> bool:
    """Whether ``event`` in ``state`` begins by protecting the posture (before its guards)."""
    return (state, event) in _PROTECTS_FIRST


def step(state: str, event: str, facts: Facts) -> Move | None:
    """The first transition of ``event`` from ``state`` whose guards all hold; None if none.

    With no transition, the event changes nothing (a posture change while nothing is held).
    """
    for guards, move in _TABLE.get((state, event), ()):
        for guard in guards:
            if not guard(facts):
                break
        else:
            return move
    return None
