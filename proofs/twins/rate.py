"""The twin of ``rate_limit``: caps per window length, with integer arithmetic.

A constraint is the runtime's cap vector ``M(L)`` for ``L`` in 1 s, 1 min, 1 h, 1 day and
unbounded, each an integer or no bound. A fresh constraint is the closure of up to
`RULES` rules ``N/P`` (or a bare ``N``): ``M(L) = min_i N_i * ceil(L / P_i)``, computed
with the same integer arithmetic (the periods divide one another, so the ceiling is a
constant per (window, period) pair). Compose is the pointwise minimum; tightening is
pointwise ``<=``.

A context is what ``check`` reads: ``requests_in_period`` and
``requests_by_period[second|minute|hour|day]``, each present or not, each a count; a
context reporting neither fails. No context key reports the total over an unbounded
window, so the runtime's tightening, exact over request histories, is deliberately
conservative over contexts: a child differing from its parent only in its total (parent
``10``, child ``10/day``) is rejected although no context tells them apart. The
exactness law is therefore expected to be refuted, with such a pair.
"""

from __future__ import annotations

from typing import Any

import attrs
import z3

from proofs.twins._concrete import as_bool, as_int, first
from trust.constraints import ConstraintValue
from trust.constraints.builtin._rate import WINDOWS, RateLimit, caps_of, rules_of

RULES = 2
"""Rules in a fresh symbolic constraint (``"10/second, 100/minute"``)."""

_PERIOD_CODES: tuple[int | None, ...] = (1, 60, 3600, 86400, None)
_NAMES = ("second", "minute", "hour", "day")
# Context slots: requests_in_period, then requests_by_period per period name.
_SLOTS = ("requests_in_period", *_NAMES)
_SLOT_WINDOW = (0, 0, 1, 2, 3)


@attrs.frozen
class Cap:
    bounded: z3.BoolRef
    value: z3.ArithRef


Caps = tuple[Cap, ...]


@attrs.frozen
class Rate:
    """A constraint: its caps, and what its rules must satisfy (at least one, counts >= 0)."""

    caps: Caps
    valid: z3.BoolRef


@attrs.frozen
class Counts:
    """A context: for each slot of ``_SLOTS``, whether it is reported and its count."""

    present: tuple[z3.BoolRef, ...]
    count: tuple[z3.ArithRef, ...]


def _factor(window: int | None, period: int | None) -> int | None:
    if period is None:
        return 1
    if window is None:
        return None
    return 1 if period >= window else window // period


def _at_most(a: Cap, b: Cap) -> z3.BoolRef:
    return z3.Or(z3.Not(b.bounded), z3.And(a.bounded, a.value <= b.value))


class RateTwin:
    """Cap vectors; see the module docstring."""

    exact = False

    def constraint(self, name: str) -> Rate:
        rules = [
            (z3.Bool(f"{name}.{k}.on"), z3.Int(f"{name}.{k}.count"), z3.Int(f"{name}.{k}.period"))
            for k in range(RULES)
        ]
        caps = []
        for window in WINDOWS:
            cap = Cap(z3.BoolVal(False), z3.IntVal(0))
            for on, count, code in rules:
                bound = z3.IntVal(0)
                bounded: z3.BoolRef = z3.BoolVal(True)
                for index, period in enumerate(_PERIOD_CODES):
                    factor = _factor(window, period)
                    bound = z3.If(code == index, count * (factor or 0), bound)
                    if factor is None:
                        bounded = z3.If(code == index, count == 0, bounded)
                tighter = z3.And(on, bounded, z3.Or(z3.Not(cap.bounded), bound < cap.value))
                cap = Cap(z3.Or(cap.bounded, z3.And(on, bounded)), z3.If(tighter, bound, cap.value))
            caps.append(cap)
        valid = z3.And(
            z3.Or(*[on for on, _, _ in rules]),
            *[z3.And(count >= 0, code >= 0, code < len(_PERIOD_CODES)) for _, count, code in rules],
        )
        return Rate(tuple(caps), valid)

    def context(self, name: str) -> Counts:
        return Counts(
            tuple(z3.Bool(f"{name}.{slot}.given") for slot in _SLOTS),
            tuple(z3.Int(f"{name}.{slot}") for slot in _SLOTS),
        )

    def well_formed(self, constraint: Rate) -> z3.BoolRef:
        return constraint.valid

    def admissible(self, context: Counts) -> z3.BoolRef:
        return z3.And(*[n >= 0 for n in context.count])

    def allows(self, rate: Rate, context: Counts) -> z3.BoolRef:
        constraint = rate.caps
        within = [
            z3.Implies(given, z3.And(constraint[w].bounded, n <= constraint[w].value))
            for given, n, w in zip(context.present, context.count, _SLOT_WINDOW, strict=True)
        ]
        return z3.And(z3.Or(*context.present), *within)

    def tighter(self, child: Rate, parent: Rate) -> z3.BoolRef:
        return z3.And(*[_at_most(a, b) for a, b in zip(child.caps, parent.caps, strict=True)])

    def meet(self, a: Rate, b: Rate) -> Rate:
        return Rate(self._min(a.caps, b.caps), z3.And(a.valid, b.valid))

    def _min(self, a: Caps, b: Caps) -> Caps:
        return tuple(
            Cap(
                z3.Or(x.bounded, y.bounded),
                z3.If(
                    z3.Or(z3.Not(x.bounded), z3.And(y.bounded, y.value < x.value)), y.value, x.value
                ),
            )
            for x, y in zip(a, b, strict=True)
        )

    def witness(self, child_rate: Rate, parent_rate: Rate) -> Counts:
        child, parent = child_rate.caps, parent_rate.caps
        # The first finite window whose cap the child raises: one request over the parent's.
        window = first(
            [(z3.Not(_at_most(child[w], parent[w])), z3.IntVal(w)) for w in range(4)],
            z3.IntVal(-1),
        )
        present = tuple(
            z3.BoolVal(False) if slot == 0 else window == w for slot, w in enumerate(_SLOT_WINDOW)
        )
        counts = tuple(parent[w].value + 1 for w in _SLOT_WINDOW)
        return Counts(present, counts)

    def _caps(self, model: z3.ModelRef, constraint: Rate) -> tuple[int | None, ...]:
        return tuple(
            as_int(model, c.value) if as_bool(model, c.bounded) else None for c in constraint.caps
        )

    def show_constraint(self, model: z3.ModelRef, constraint: Rate) -> str:
        caps = self._caps(model, constraint)
        if caps[0] is None:
            return "no limit"
        return repr(str(RateLimit(rules_of(caps))))

    def show_context(self, model: z3.ModelRef, context: Counts) -> str:
        shown = self.runtime_context(model, context)
        return repr(shown) if shown else "no count reported"

    def encode(self, value: ConstraintValue) -> Rate:
        rate: RateLimit = value.parsed
        caps = tuple(
            Cap(z3.BoolVal(cap is not None), z3.IntVal(cap or 0)) for cap in caps_of(rate.rules)
        )
        return Rate(caps, z3.BoolVal(True))

    def encode_context(self, context: dict[str, Any]) -> Counts:
        by_period = context.get("requests_by_period") or {}
        raw = [context.get("requests_in_period"), *[by_period.get(n) for n in _NAMES]]
        return Counts(
            tuple(z3.BoolVal(r is not None) for r in raw),
            tuple(z3.IntVal(r if isinstance(r, int) else 0) for r in raw),
        )

    def runtime_context(self, model: z3.ModelRef, context: Counts) -> dict[str, Any]:
        values = [
            as_int(model, n) if as_bool(model, given) else None
            for given, n in zip(context.present, context.count, strict=True)
        ]
        shown: dict[str, Any] = {}
        if values[0] is not None:
            shown["requests_in_period"] = values[0]
        by_period = {n: v for n, v in zip(_NAMES, values[1:], strict=True) if v is not None}
        if by_period:
            shown["requests_by_period"] = by_period
        return shown
