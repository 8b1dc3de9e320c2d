"""What ``check`` and ``diff`` share: one policy's runtime, its witness search, its parses.

An `Analysis` holds a policy's registry (the built-ins with the file's settings, reading
no clock, and each custom dimension as an `OpaqueDimension`: its code is not at hand),
an evaluator over it, and the witness search of `trust.proofs._witness` between any two
constraint sets (of this policy, or one of it and one of another). A witness is reported
only once both sides' evaluators confirm it; a ``datetime`` in it is written as its ISO
text when the runtime confirms that text too, so that it reads as plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trust.constraints import (
    ConstraintDimension,
    ConstraintDimensionRegistry,
    ConstraintValue,
    InteractionMode,
    MultiDimensionEvaluator,
)
from trust.constraints._cache import cache_key
from trust.constraints.builtin import register_builtin_dimensions
from trust.policy import ConstraintSet, PolicySpec
from trust.policy._opaque import OpaqueDimension
from trust.proofs._canonical import solve
from trust.proofs._delegation import _NoClock
from trust.proofs._witness import Found, Search, Side, _encode, search_sides
from trust.proofs.modes import combine_term

TIMEOUT_MS = 5000
"""The z3 timeout of one witness search or satisfiability question."""


class Analysis:
    """One policy's runtime for the analyses (see the module docstring)."""

    def __init__(self, spec: PolicySpec) -> None:
        self.spec = spec
        self.registry = ConstraintDimensionRegistry()
        register_builtin_dimensions(
            self.registry, clock=_NoClock(), internal_domains=spec.internal_domains
        )
        for name in spec.custom:
            self.registry.register(OpaqueDimension(name))
        self.evaluator = MultiDimensionEvaluator(self.registry, enable_anti_gaming=False)
        self._parsed: dict[tuple[str, bytes | None], ConstraintValue] = {}
        self._satisfiable: dict[tuple[str, bytes | None], bool | None] = {}

    def dimension(self, name: str) -> ConstraintDimension:
        found = self.registry.get(name)
        assert found is not None  # the file was checked: every name is registered
        return found

    def is_custom(self, name: str) -> bool:
        return name in self.spec.custom

    def parse(self, name: str, raw: Any) -> ConstraintValue:
        """``raw`` parsed by its dimension (the file was checked: it parses), cached."""
        key = (name, cache_key(raw))
        found = self._parsed.get(key) if key[1] is not None else None
        if found is None:
            found = self.dimension(name).parse(raw)
            if key[1] is not None:
                self._parsed[key] = found
        return found

    def side(self, constraints: Mapping[str, Any], mode: InteractionMode) -> Side:
        return Side(dict(constraints), mode, self.registry, self.evaluator)

    def set_side(self, chosen: ConstraintSet) -> Side:
        return self.side(chosen.constraints, chosen.mode)

    def satisfiable(self, name: str, raw: Any) -> bool | None:
        """Whether the value lets some context pass its dimension, on the dimension's twin
        (within its bounds); None when no twin decides it (a custom dimension, a value
        outside the twin's bounds, or z3 gave up)."""
        key = (name, cache_key(raw))
        if key[1] is not None and key in self._satisfiable:
            return self._satisfiable[key]
        answer: bool | None = None
        query = _encode(
            self.side({}, InteractionMode.CONJUNCTIVE),
            self.side({name: raw}, InteractionMode.CONJUNCTIVE),
        )
        if name in query.contexts:
            twin, ctx = query.contexts[name]
            solved = solve([twin.admissible(ctx), query.verdicts["child"][name]], TIMEOUT_MS)
            answer = True if solved.sat else False if solved.unsat else None
        if key[1] is not None:
            self._satisfiable[key] = answer
        return answer


def allowed(side: Side) -> dict[str, Any] | None:
    """A context ``side`` allows, found on the twins and confirmed by its runtime; or None."""
    nothing = Side({}, InteractionMode.CONJUNCTIVE, side.registry, side.evaluator)
    query = _encode(nothing, side)
    base = [twin.admissible(ctx) for twin, ctx in query.contexts.values()]
    base.append(combine_term(side.mode, [query.verdicts["child"][n] for n in side.constraints]))
    answer = solve(base, TIMEOUT_MS)
    if answer.model is None:
        return None
    context: dict[str, Any] = {}
    for twin, ctx in query.contexts.values():
        context.update(twin.runtime_context(answer.model, ctx))
    if not side.evaluator.evaluate(side.constraints, context, side.mode).satisfied:
        return None
    return plain(context, None, side)


def witness(parent: Side, child: Side) -> Found:
    """A context ``child`` allows and ``parent`` refuses, confirmed by both runtimes."""
    found = search_sides(parent, child, TIMEOUT_MS)
    if found.search is Search.CONFIRMED and found.context is not None:
        return Found(plain(found.context, parent, child), found.search, found.note)
    return found


def _confirmed(context: dict[str, Any], parent: Side | None, child: Side) -> bool:
    passes = child.evaluator.evaluate(child.constraints, context, child.mode).satisfied
    if parent is None:
        return passes
    refused = not parent.evaluator.evaluate(parent.constraints, context, parent.mode).satisfied
    return passes and refused


def plain(context: Mapping[str, Any], parent: Side | None, child: Side) -> dict[str, Any]:
    """``context`` with each datetime as its ISO text, if the runtimes still confirm it
    (``child`` allows it; ``parent``, if given, refuses it)."""
    shown = {k: v.isoformat() if type(v) is datetime else v for k, v in context.items()}
    if shown != dict(context) and _confirmed(shown, parent, child):
        return shown
    return dict(context)


__all__ = ["TIMEOUT_MS", "Analysis", "allowed", "plain", "witness"]
