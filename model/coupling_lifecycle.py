"""The breaker-posture coupling, declared once: what a circuit does to the posture it guards.

A coupling state is a breaker state and whether the breaker *holds* a posture it displaced
(and may give back) or holds nothing: ``<breaker state>_held`` or ``<breaker state>_free``.
A closed circuit never holds one. The events are the breaker's moves, as `triggers` says
which breaker transition sends which (computed from the breaker spec, so a breaker move
the coupling does not cover fails here, when the model is imported), and
``posture_changed``: anyone else changed the posture.

The effects, named as actions, and their guards:

- ``protect``: the posture becomes ``min(current, downgrade_on_open)`` by the posture
  lifecycle's ``protective_downgrade``, which nothing vetoes. It is the first action of
  every transition into ``open``, and it happens with the breaker's move: the guards
  ``lowered`` and ``lowered_nothing`` read its outcome.
- ``hold``: remember what ``protect`` displaced, what it set, and the posture's version
  right after; only on a ``trip`` (an episode's first open) that ``lowered`` the posture.
- ``take_over``: a trip that lowered nothing takes over the hold of a restore still in
  flight whose version is current (``restore_pending``): that restore can no longer commit
  into the open circuit, and this episode gives the same posture back when it closes.
- ``restore``: on ``close`` with ``restore_on_close``, give back the displaced posture by
  the posture lifecycle's ``upgrade`` (its guards run), never above what was displaced,
  and only if every fence in `RESTORE_FENCES` still holds when it commits.
- ``forfeit``: drop the hold: anyone else changed the posture (its version moved), or the
  circuit closed without ``restore_on_close``.

`CouplingLifecycle` is also an executable oracle: its guards read the event's keywords
(``lowered``, ``restore_pending``, ``restore_on_close``) and its actions list themselves in
``done``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from statemachine import State, StateMachine

from trust.model.breaker import SPEC as BREAKER_SPEC
from trust.model.spec import LifecycleDefinitionError, LifecycleSpec, read_spec

HELD, FREE = "held", "free"
PROTECT, HOLD, TAKE_OVER, RESTORE, FORFEIT = "protect", "hold", "take_over", "restore", "forfeit"
POSTURE_CHANGED = "posture_changed"

RESTORE_FENCES: tuple[str, ...] = ("posture_unchanged", "circuit_closed")
"""What a restore in flight needs at the moment it commits, besides the upgrade's guards:

- ``posture_unchanged``: the posture's version is still the one the hold recorded (a
  compare-and-set): nobody changed the posture since the breaker set it;
- ``circuit_closed``: the circuit has not tripped again while the upgrade's guards ran.
"""


class CouplingLifecycle(StateMachine):
    """How an agent's breaker holds its posture down and gives it back."""

    closed_free = State(initial=True)
    open_free = State()
    open_held = State()
    half_open_free = State()
    half_open_held = State()

    trip = (
        closed_free.to(open_held, cond=["lowered"], on=[PROTECT, HOLD])
        | closed_free.to(
            open_held, cond=["lowered_nothing", "restore_pending"], on=[PROTECT, TAKE_OVER]
        )
        | closed_free.to(open_free, cond=["lowered_nothing", "no_restore_pending"], on=[PROTECT])
    )
    reopen = (
        half_open_held.to(open_held, on=[PROTECT])
        | half_open_free.to(open_free, on=[PROTECT])
        | open_held.to.itself(on=[PROTECT])
        | open_free.to.itself(on=[PROTECT])
    )
    recover = open_held.to(half_open_held) | open_free.to(half_open_free)
    close = (
        open_held.to(closed_free, cond=["restore_on_close"], on=[RESTORE])
        | open_held.to(closed_free, cond=["keep_on_close"], on=[FORFEIT])
        | half_open_held.to(closed_free, cond=["restore_on_close"], on=[RESTORE])
        | half_open_held.to(closed_free, cond=["keep_on_close"], on=[FORFEIT])
        | open_free.to(closed_free)
        | half_open_free.to(closed_free)
        | closed_free.to.itself()
    )
    posture_changed = open_held.to(open_free, on=[FORFEIT]) | half_open_held.to(
        half_open_free, on=[FORFEIT]
    )

    # Which coupling event each breaker move sends: a move between two breaker states, by
    # its (source, target); a breaker transition that stays put, by its event (an
    # operator restarting the state); any other stay (a failure counted, a probe) sends none.
    breaker_moves: Mapping[tuple[str, str], str] = {
        ("closed", "open"): "trip",
        ("half_open", "open"): "reopen",
        ("open", "half_open"): "recover",
        ("open", "closed"): "close",
        ("half_open", "closed"): "close",
    }
    breaker_restarts: Mapping[str, str] = {"force_open": "reopen", "reset": "close"}

    def __init__(self, **kwargs: Any) -> None:
        self.done: list[str] = []
        super().__init__(**kwargs)

    # Guards: each reads the keywords of the event being sent.

    def lowered(self, lowered: bool = False) -> bool:
        return lowered

    def lowered_nothing(self, lowered: bool = False) -> bool:
        return not lowered

    def restore_pending(self, restore_pending: bool = False) -> bool:
        return restore_pending

    def no_restore_pending(self, restore_pending: bool = False) -> bool:
        return not restore_pending

    def restore_on_close(self, restore_on_close: bool = True) -> bool:
        return restore_on_close

    def keep_on_close(self, restore_on_close: bool = True) -> bool:
        return not restore_on_close

    # Actions: the oracle only lists them; the runtime and the proofs give them meaning.

    def protect(self) -> None:
        self.done.append(PROTECT)

    def hold(self) -> None:
        self.done.append(HOLD)

    def take_over(self) -> None:
        self.done.append(TAKE_OVER)

    def restore(self) -> None:
        self.done.append(RESTORE)

    def forfeit(self) -> None:
        self.done.append(FORFEIT)

    @property
    def state(self) -> str:
        """The id of the current coupling state."""
        (state,) = self.configuration
        return str(state.id)


@attrs.frozen(kw_only=True, order=True)
class Trigger:
    """A breaker transition, and the coupling event it sends."""

    source: str
    event: str
    target: str
    sends: str


@attrs.frozen(kw_only=True)
class CouplingSpec:
    """The coupling as data: its lifecycle, what triggers it, and the restore's fences.

    Attributes:
        lifecycle: The coupling's states, events and guarded transitions with their actions.
        triggers: Every breaker transition that sends a coupling event, in the breaker
            spec's order.
        restore_fences: `RESTORE_FENCES`.
    """

    lifecycle: LifecycleSpec
    triggers: tuple[Trigger, ...]
    restore_fences: tuple[str, ...]

    @property
    def name(self) -> str:
        """The coupling's short name, ``"coupling"``."""
        return self.lifecycle.name

    @property
    def declared_in(self) -> str:
        """The file that declares it."""
        return self.lifecycle.declared_in

    def sends(self, source: str, event: str, target: str) -> str | None:
        """The coupling event the breaker transition sends, if any."""
        for t in self.triggers:
            if (t.source, t.event, t.target) == (source, event, target):
                return t.sends
        return None


def split(state: str) -> tuple[str, str]:
    """``(breaker state, "held" | "free")`` of a coupling state id."""
    breaker, _, hold = state.rpartition("_")
    return breaker, hold


def read_coupling(machine: type[Any], breaker: LifecycleSpec) -> CouplingSpec:
    """Read and check the coupling declared by ``machine`` against the ``breaker`` spec.

    Raises:
        LifecycleDefinitionError: listing every offence: a state that is not a breaker
            state with a hold, a breaker move that sends no declared event, a coupling event
            that leaves some state of the move's source without a transition or lands
            outside its target, or a transition whose actions do not take or drop the hold
            its states say it does.
    """
    lifecycle = read_spec(machine, name="coupling")
    problems: list[str] = []
    for state in lifecycle.states:
        part, hold = split(state)
        if part not in breaker.states or hold not in (HELD, FREE):
            problems.append(f"state {state!r} must be <breaker state>_held or _free")
    for part in breaker.states:
        if f"{part}_{FREE}" not in lifecycle.states:
            problems.append(f"breaker state {part!r} has no coupling state {part}_{FREE!r}")
    triggers = []
    for t in breaker.transitions:
        if t.source != t.target:
            sends = machine.breaker_moves.get((t.source, t.target))
            if sends is None:
                problems.append(f"breaker move {t.source} -> {t.target} sends no coupling event")
                continue
        else:
            sends = machine.breaker_restarts.get(t.event)
            if sends is None:
                continue
        triggers.append(Trigger(source=t.source, event=t.event, target=t.target, sends=sends))
        if sends not in lifecycle.events:
            problems.append(f"breaker {t.event} sends {sends!r}, not a coupling event")
            continue
        for state in lifecycle.states:
            if split(state)[0] != t.source:
                continue
            moves = [c for c in lifecycle.of_event(sends) if c.source == state]
            if not moves:
                problems.append(f"{sends!r} has no transition from {state!r}")
            problems += [
                f"{sends!r} from {state!r} lands in {c.target!r}, not in breaker state {t.target!r}"
                for c in moves
                if split(c.target)[0] != t.target
            ]
    for c in lifecycle.transitions:
        was, now = split(c.source)[1], split(c.target)[1]
        takes = {HOLD, TAKE_OVER} & set(c.actions)
        drops = {RESTORE, FORFEIT} & set(c.actions)
        keeps = was == HELD and not drops
        if (now == HELD) != (keeps or bool(takes)) or (takes and drops):
            problems.append(
                f"{c.source} --{c.event}--> {c.target} {list(c.actions)}: a held state needs "
                "the hold kept, or taken (hold, take_over); a free one, it dropped (restore, "
                "forfeit) or never taken"
            )
    if problems:
        raise LifecycleDefinitionError(
            f"{machine.__name__} is not a coupling of the breaker lifecycle:\n- "
            + "\n- ".join(problems)
        )
    return CouplingSpec(
        lifecycle=lifecycle, triggers=tuple(triggers), restore_fences=RESTORE_FENCES
    )


SPEC: CouplingSpec = read_coupling(CouplingLifecycle, BREAKER_SPEC)
