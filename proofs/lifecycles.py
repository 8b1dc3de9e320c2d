"""Proofs about the declared lifecycles, read from the same `LifecycleSpec` as the runtime.

A spec is encoded as a z3 transition relation ``T(source, event, target, guards)``: one
disjunct per declared transition, with each guard a free boolean, so a claim that holds
"whatever the guards" is proved by leaving them free. Nothing here restates which
transitions exist.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping

import attrs
import z3

from trust.model import BREAKER_SPEC, COUPLING_SPEC, POSTURE_SPEC, CouplingSpec, LifecycleSpec
from trust.proofs._property import Property
from trust.proofs._solver import prove
from trust.proofs._verdict import Proved, Refuted, Verdict


@attrs.frozen
class Encoding:
    """A lifecycle as z3 terms: enumerated states and events, a boolean per guard."""

    spec: LifecycleSpec
    state_sort: z3.SortRef
    state: Mapping[str, z3.ExprRef]
    event_sort: z3.SortRef
    event: Mapping[str, z3.ExprRef]
    guard: Mapping[str, z3.BoolRef]

    @classmethod
    @functools.cache
    def of(cls, spec: LifecycleSpec) -> Encoding:
        """The encoding of ``spec``; built once, as z3 declares each enumeration only once."""
        state_sort, states = z3.EnumSort(f"{spec.name}_state", list(spec.states))
        event_sort, events = z3.EnumSort(f"{spec.name}_event", list(spec.events))
        return cls(
            spec=spec,
            state_sort=state_sort,
            state=dict(zip(spec.states, states, strict=True)),
            event_sort=event_sort,
            event=dict(zip(spec.events, events, strict=True)),
            guard={g: z3.Bool(f"guard:{g}") for g in spec.guards},
        )

    def level(self, state: z3.ExprRef) -> z3.ArithRef:
        """The position of ``state`` in declaration order (for postures: autonomy)."""
        term: z3.ArithRef = z3.IntVal(0)
        for index, name in enumerate(self.spec.states):
            term = z3.If(state == self.state[name], z3.IntVal(index + 1), term)
        return term

    def moves(
        self,
        source: z3.ExprRef,
        event: z3.ExprRef,
        target: z3.ExprRef,
        *,
        guards_hold: bool | None = None,
        guards: Mapping[str, z3.BoolRef] | None = None,
    ) -> z3.BoolRef:
        """``T(source, event, target)``: some declared transition fires.

        With ``guards_hold=True`` every guard is taken to hold (the move exists at all);
        ``guards`` gives each guard's value (one step of a path has its own); by default
        each guard is its free boolean.
        """
        values = self.guard if guards is None else guards
        disjuncts = []
        for t in self.spec.transitions:
            guards_of = [z3.BoolVal(True) if guards_hold else values[g] for g in t.guards]
            disjuncts.append(
                z3.And(
                    source == self.state[t.source],
                    event == self.event[t.event],
                    target == self.state[t.target],
                    *guards_of,
                )
            )
        return z3.Or(*disjuncts) if disjuncts else z3.BoolVal(False)


def posture_properties() -> list[Property]:
    """The lifecycle properties of the posture model."""
    spec = POSTURE_SPEC
    subject = "posture lifecycle"

    def z3_property(name: str, claim: Callable[[Encoding], z3.BoolRef]) -> Property:
        return Property(
            name=name,
            subject=subject,
            method="z3",
            check=lambda settings: prove(claim(Encoding.of(spec)), timeout_ms=settings.timeout_ms),
        )

    return [
        Property(
            name="generated runtime table equals the model",
            subject=subject,
            method="exact comparison",
            check=lambda settings: generated_table_matches(spec),
        ),
        z3_property(
            "emergency downgrade reaches blocked from every posture, whatever the guards",
            _emergency_reaches_blocked,
        ),
        z3_property(
            "autonomy rises only through an upgrade with requester_present and guards_pass",
            _autonomy_rises_only_by_approved_upgrade,
        ),
        z3_property("downgrade lowers autonomy and maintain keeps it", _downgrade_and_maintain),
        z3_property(
            "protective downgrade only lowers autonomy and no guard can veto it",
            _protective_only_lowers_unvetoed,
        ),
        z3_property("every (from, to) pair has exactly one requestable kind", _one_kind_per_move),
    ]


def generated_table_matches(table_of: LifecycleSpec | CouplingSpec) -> Verdict:
    """Whether ``trust/_generated/<name>.py`` holds exactly the spec's lifecycle (or coupling)."""
    table = importlib.import_module(f"trust._generated.{table_of.name}")
    spec = table_of.lifecycle if isinstance(table_of, CouplingSpec) else table_of
    expected: dict[str, object] = {
        "STATES": spec.states,
        "INITIAL": spec.initial,
        "EVENTS": spec.events,
        "TRANSITIONS": tuple((t.source, t.event, t.target, t.guards) for t in spec.transitions),
    }
    if isinstance(table_of, CouplingSpec):
        expected["TRANSITIONS"] = tuple(
            (t.source, t.event, t.target, t.guards, t.actions) for t in spec.transitions
        )
        expected["TRIGGERS"] = tuple(
            (t.source, t.event, t.target, t.sends) for t in table_of.triggers
        )
        expected["RESTORE_FENCES"] = table_of.restore_fences
    for name, value in expected.items():
        actual = getattr(table, name, None)
        if actual != value:
            return Refuted(
                {
                    "table": f"trust/_generated/{spec.name}.py",
                    "field": name,
                    "generated": repr(actual),
                    "model": repr(value),
                }
            )
    return Proved()


def _emergency_reaches_blocked(enc: Encoding) -> z3.BoolRef:
    source = z3.Const("posture", enc.state_sort)
    emergency = enc.event["emergency_downgrade"]
    blocked = enc.state["blocked"]
    # Guards stay free: the claim must hold for every value they take.
    reaches = enc.moves(source, emergency, blocked)
    only_blocked = z3.And(
        *[
            z3.Implies(enc.moves(source, emergency, target), target == blocked)
            for target in enc.state.values()
        ]
    )
    return z3.And(reaches, only_blocked)


def _autonomy_rises_only_by_approved_upgrade(enc: Encoding) -> z3.BoolRef:
    source = z3.Const("from", enc.state_sort)
    target = z3.Const("to", enc.state_sort)
    event = z3.Const("event", enc.event_sort)
    return z3.Implies(
        z3.And(enc.moves(source, event, target), enc.level(target) > enc.level(source)),
        z3.And(
            event == enc.event["upgrade"],
            enc.guard["requester_present"],
            enc.guard["guards_pass"],
        ),
    )


def _downgrade_and_maintain(enc: Encoding) -> z3.BoolRef:
    source = z3.Const("from", enc.state_sort)
    target = z3.Const("to", enc.state_sort)
    return z3.And(
        z3.Implies(
            enc.moves(source, enc.event["downgrade"], target, guards_hold=True),
            enc.level(target) < enc.level(source),
        ),
        z3.Implies(
            enc.moves(source, enc.event["maintain"], target, guards_hold=True), target == source
        ),
    )


def _protective_only_lowers_unvetoed(enc: Encoding) -> z3.BoolRef:
    source = z3.Const("from", enc.state_sort)
    target = z3.Const("to", enc.state_sort)
    protective = enc.event["protective_downgrade"]
    declared = enc.moves(source, protective, target, guards_hold=True)
    return z3.Implies(
        declared,
        # Fires with the guards left free: no value of any guard stops it.
        z3.And(enc.level(target) < enc.level(source), enc.moves(source, protective, target)),
    )


def _one_kind_per_move(enc: Encoding) -> z3.BoolRef:
    source = z3.Const("from", enc.state_sort)
    target = z3.Const("to", enc.state_sort)
    kinds = [
        z3.If(enc.moves(source, enc.event[kind], target, guards_hold=True), 1, 0)
        for kind in ("upgrade", "downgrade", "maintain")
    ]
    return z3.Sum(*kinds) == 1


def breaker_properties() -> list[Property]:
    """The properties of the breaker model on its own; with postures, see `proofs.product`."""
    return [
        Property(
            name="generated runtime table equals the model",
            subject="breaker lifecycle",
            method="exact comparison",
            check=lambda settings: generated_table_matches(BREAKER_SPEC),
        )
    ]


def coupling_properties() -> list[Property]:
    """The coupling's table; what it does with the two lifecycles, see `proofs.product`."""
    return [
        Property(
            name="generated runtime table equals the model",
            subject="breaker-posture coupling",
            method="exact comparison",
            check=lambda settings: generated_table_matches(COUPLING_SPEC),
        )
    ]


def lifecycle_properties() -> list[Property]:
    """Every property of one lifecycle at a time (the product is `proofs.product`)."""
    return posture_properties() + breaker_properties() + coupling_properties()


__all__ = [
    "Encoding",
    "breaker_properties",
    "coupling_properties",
    "generated_table_matches",
    "lifecycle_properties",
    "posture_properties",
]
