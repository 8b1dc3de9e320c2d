"""A neutral, immutable description of a declared lifecycle.

`read_spec` reads a python-statemachine class by introspection into a `LifecycleSpec`:
its states in declaration order, its initial state, and one `Transition` per
``(source, event, target)`` with the names of the guards on it and of the actions it
names (``on=``). Codegen, diagrams and
proofs consume only this value, so the declaration in ``model/`` is the single place
that says which transitions exist.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterator
from typing import Any

import attrs


class LifecycleDefinitionError(ValueError):
    """A declared lifecycle cannot be read into a spec; the message lists every offence."""


@attrs.frozen(kw_only=True, order=True)
class Transition:
    """One edge of a lifecycle: ``source --event[guards] / actions--> target``.

    A transition fires only when every guard in ``guards`` holds; an empty tuple means it
    cannot be vetoed. ``actions`` are what it does when it fires, in order (the names given
    as ``on=``; python-statemachine's conventional ``on_<event>`` methods are not listed).
    """

    source: str
    event: str
    target: str
    guards: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class LifecycleSpec:
    """The states and transitions of one lifecycle, independent of any engine.

    Attributes:
        name: The lifecycle's short name, e.g. ``"posture"``.
        declared_in: The file that declares it, e.g. ``"trust/model/posture.py"``.
        states: State ids in declaration order.
        initial: The initial state id.
        events: Event ids in declaration order.
        transitions: Every transition, ordered by event, then source, then target, then
            declaration order.
    """

    name: str
    declared_in: str
    states: tuple[str, ...]
    initial: str
    events: tuple[str, ...]
    transitions: tuple[Transition, ...]

    def __iter__(self) -> Iterator[Transition]:
        return iter(self.transitions)

    @property
    def guards(self) -> tuple[str, ...]:
        """Every guard name used by some transition, in first-use order."""
        return tuple(dict.fromkeys(g for t in self.transitions for g in t.guards))

    @property
    def actions(self) -> tuple[str, ...]:
        """Every action name used by some transition, in first-use order."""
        return tuple(dict.fromkeys(a for t in self.transitions for a in t.actions))

    def of_event(self, event: str) -> tuple[Transition, ...]:
        """The transitions of ``event``.

        Raises:
            KeyError: ``event`` is not an event of this lifecycle.
        """
        if event not in self.events:
            raise KeyError(f"{self.name} lifecycle has no event {event!r}; events: {self.events}")
        return tuple(t for t in self.transitions if t.event == event)

    def from_state(self, source: str) -> tuple[Transition, ...]:
        """The transitions leaving ``source``."""
        return tuple(t for t in self.transitions if t.source == source)


def read_spec(machine: type[Any], *, name: str | None = None) -> LifecycleSpec:
    """Read a python-statemachine class into a `LifecycleSpec`.

    Only a flat machine whose guards and actions are named methods can be read: each
    ``cond`` and each ``on`` must be the name of a method of the class (no lambdas, no
    expressions, no ``unless``), each transition has exactly one target, and no
    ``(source, event, target)`` appears twice with the same guards. The same move may be
    declared again with other guards (and other actions): as in python-statemachine, the
    first one declared whose guards all hold is the one that fires.

    Conditions named in the class attribute ``routing_conditions`` are not guards: they
    pick which of an event's transitions the event data asked for (its target), and never
    veto a move, so they are left out of ``Transition.guards``.

    ``name`` is the lifecycle's short name; by default the declaring module's.

    Raises:
        LifecycleDefinitionError: listing every transition that breaks these rules.
    """
    problems: list[str] = []
    routing = frozenset(getattr(machine, "routing_conditions", ()))
    states = tuple(state.id for state in machine.states)
    events = tuple(event.id for event in machine.events)
    state_order = {s: i for i, s in enumerate(states)}
    event_order = {e: i for i, e in enumerate(events)}
    if machine.initial_state is None:
        problems.append("no initial state")
    found: dict[tuple[str, str, str, tuple[str, ...]], Transition] = {}
    for state in machine.states:
        if state.states:
            problems.append(f"state {state.id!r} is compound; only flat lifecycles are read")
        for edge in state.transitions:
            where = f"{edge.source.id} -> {[t.id for t in edge.targets]}"
            if len(edge.targets) != 1:
                problems.append(f"{where}: a transition must have exactly one target")
                continue
            guards = tuple(
                g for g in _guard_names(machine, edge, where, problems) if g not in routing
            )
            actions = _action_names(machine, edge, where, problems)
            for event in edge.events:
                key = (edge.source.id, event.id, edge.target.id, guards)
                if key in found:
                    problems.append(f"{where} on {event.id!r}: declared twice")
                found[key] = Transition(
                    source=key[0], event=key[1], target=key[2], guards=guards, actions=actions
                )
    if problems:
        raise LifecycleDefinitionError(
            f"{machine.__name__} cannot be read into a lifecycle spec:\n- " + "\n- ".join(problems)
        )
    # A stable sort: moves declared more than once keep their declaration order.
    transitions = sorted(
        found.values(),
        key=lambda t: (event_order[t.event], state_order[t.source], state_order[t.target]),
    )
    module = machine.__module__
    return LifecycleSpec(
        name=module.rsplit(".", 1)[-1] if name is None else name,
        declared_in=module.replace(".", "/") + ".py",
        states=states,
        initial=machine.initial_state.id,
        events=events,
        transitions=tuple(transitions),
    )


def _guard_names(machine: type[Any], edge: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    names: list[str] = []
    for cond in edge.cond:
        func = cond.func
        if cond.expected_value is not True:
            problems.append(f"{where}: 'unless' guards are not read; name a positive guard")
        elif not isinstance(func, str) or not func.isidentifier() or keyword.iskeyword(func):
            problems.append(f"{where}: guard {func!r} must be the name of a method")
        elif not callable(getattr(machine, func, None)):
            problems.append(f"{where}: guard {func!r} is not a method of {machine.__name__}")
        else:
            names.append(func)
    return tuple(names)


def _action_names(
    machine: type[Any], edge: Any, where: str, problems: list[str]
) -> tuple[str, ...]:
    names: list[str] = []
    for action in edge.on:
        if action.is_convention:  # on_transition, on_<event>: the machine's own bookkeeping
            continue
        func = action.func
        if not isinstance(func, str) or not func.isidentifier() or keyword.iskeyword(func):
            problems.append(f"{where}: action {func!r} must be the name of a method")
        elif not callable(getattr(machine, func, None)):
            problems.append(f"{where}: action {func!r} is not a method of {machine.__name__}")
        else:
            names.append(func)
    return tuple(names)
