"""The twin of ``rate_limit``: caps per window length, with integer arithmetic.

A constraint is the runtime's cap vector ``M(L)`` for ``L`` in 1 s, 1 min, 1 h, 1 day and
unbounded, each an integer or no bound. A fresh constraint is the closure of up to
`RULES` rules ``N/P`` (or a bare ``N``): ``M(L) = min_i N_i * ceil(L / P_i)``, computed
with the same integer arithmetic (the periods divide one another, so the ceiling is a
constant per (window, period) pair). Compose is the pointwise minimum; tightening is
pointwise ``<=``.

`RateTwin.encode` reads the value as the user wrote it (``raw_value``: a count, or
``"N/period"`` rules separated by commas, the form compose writes too) and takes the
closure above of its rules, the same terms as a fresh constraint's, evaluated by z3: the
runtime's parse and its cap computation are held to it, not borrowed from it.

A context is what ``check`` reads: ``requests_in_period`` and
``requests_by_period[second|minute|hour|day]``, each present or not, each a count; a
context reporting neither fails, and so does an unreadable one (``readable`` false: a
count that is not a non-negative int, a period name not among the four, a
``requests_by_period`` that is not a dict). No context key reports the total over an unbounded
window, so the runtime's tightening, exact over request histories, is deliberately
conservative over contexts: a child differing from its parent only in its total (parent
``10``, child ``10/day``) is rejected although no context tells them apart. The
exactness law is therefore expected to be refuted, with such a pair.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import attrs
import z3

from trust.constraints import ConstraintValue
from trust.constraints.builtin import RATE_WINDOWS as WINDOWS
from trust.constraints.builtin import RateLimit
from trust.constraints.builtin import rate_rules_of as rules_of
from trust.proofs.twins._concrete import as_bool, as_int, first

RULES = 2
"""Rules in a fresh symbolic constraint (``"10/second, 100/minute"``)."""

_PERIOD_CODES: tuple[int | None, ...] = (1, 60, 3600, 86400, None)
_NAMES = ("second", "minute", "hour", "day")
_RULE = re.compile(r"\s*([0-9]+)\s*(?:/\s*([A-Za-z]+)\s*)?")
"""A rule as documented: a count, optionally ``/`` and a period name (any case)."""
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
    """A context: whether it is readable; per slot of ``_SLOTS``, reported and the count."""

    readable: z3.BoolRef
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
        caps = functools.reduce(self._min, [_rule_caps(*rule) for rule in rules])
        valid = z3.And(
            z3.Or(*[on for on, _, _ in rules]),
            *[z3.And(count >= 0, code >= 0, code < len(_PERIOD_CODES)) for _, count, code in rules],
        )
        return Rate(caps, valid)

    def context(self, name: str) -> Counts:
        return Counts(
            z3.Bool(f"{name}.readable"),
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
        return z3.And(context.readable, z3.Or(*context.present), *within)

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
        return Counts(z3.BoolVal(True), present, counts)

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
        """The caps of the rules ``value.raw_value`` states (see the module docstring).

        Raises:
            ValueError: The raw value is not a count or a list of rules.
        """
        rules = [
            _rule_caps(z3.BoolVal(True), z3.IntVal(count), code)
            for count, code in _read(value.raw_value)
        ]
        caps = functools.reduce(self._min, rules)
        closed = tuple(Cap(z3.simplify(c.bounded), z3.simplify(c.value)) for c in caps)
        return Rate(closed, z3.BoolVal(True))

    def encode_context(self, context: dict[str, Any]) -> Counts:
        """The counts ``check`` reads, or an unreadable context.

        Raises:
            ValueError: A count is a subclass of int, or ``requests_by_period`` a mapping
                other than a dict: the twin does not read those.
        """
        raw = [context.get("requests_in_period"), *[None] * len(_NAMES)]
        readable = _count(raw[0]) is not False
        by_period = context.get("requests_by_period")
        if type(by_period) is dict:
            for name, count in by_period.items():
                if type(name) is str and name in _NAMES and _count(count) is True:
                    raw[1 + _NAMES.index(name)] = count
                else:
                    readable = False
        elif isinstance(by_period, Mapping):
            raise ValueError(f"the rate twin reads dicts, got {by_period!r}")
        elif by_period is not None:
            readable = False
        return Counts(
            z3.BoolVal(readable),
            tuple(z3.BoolVal(type(r) is int) for r in raw),
            tuple(z3.IntVal(r if type(r) is int else 0) for r in raw),
        )

    def runtime_context(self, model: z3.ModelRef, context: Counts) -> dict[str, Any]:
        if not as_bool(model, context.readable):
            return {"requests_in_period": -1}
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


def _rule_caps(on: z3.BoolRef, count: z3.ArithRef, code: z3.ArithRef | int) -> Caps:
    """The caps of one rule ``count/period`` (``code`` indexes `_PERIOD_CODES`), if on.

    A ``code`` known in Python builds only its own branch (a concrete rule is encoded
    often; the terms are those of the symbolic rule with the period fixed).
    """
    codes = [code] if isinstance(code, int) else range(len(_PERIOD_CODES))
    caps = []
    for window in WINDOWS:
        bound: z3.ArithRef = z3.IntVal(0)
        bounded: z3.BoolRef = z3.BoolVal(True)
        for index in codes:
            factor = _factor(window, _PERIOD_CODES[index])
            here = count * (factor or 0)
            finite = count == 0 if factor is None else z3.BoolVal(True)
            if isinstance(code, int):
                bound, bounded = here, finite
            else:
                bound = z3.If(code == index, here, bound)
                bounded = z3.If(code == index, finite, bounded)
        caps.append(Cap(z3.And(on, bounded), bound))
    return tuple(caps)


def _read(raw: object) -> list[tuple[int, int]]:
    """The rules of a raw ``rate_limit`` value, as (count, index of `_PERIOD_CODES`).

    Raises:
        ValueError: ``raw`` is neither a non-negative int nor a list of rules.
    """
    if type(raw) is int and raw >= 0:
        return [(raw, _PERIOD_CODES.index(None))]
    rules = []
    for item in raw.split(",") if type(raw) is str else [None]:
        match = _RULE.fullmatch(item) if item is not None else None
        unit = match.group(2).lower() if match and match.group(2) else None
        if match is None or (unit is not None and unit not in _NAMES):
            raise ValueError(f"the rate twin reads a count or 'N/period' rules, got {raw!r}")
        code = _PERIOD_CODES.index(None) if unit is None else _NAMES.index(unit)
        rules.append((int(match.group(1)), code))
    return rules


def _count(value: object) -> bool | None:
    """True for a count, None when absent, False when unreadable.

    Raises:
        ValueError: ``value`` is a subclass of int (not a bool).
    """
    if value is None:
        return None
    if type(value) is int:
        return value >= 0
    if isinstance(value, int) and type(value) is not bool:
        raise ValueError(f"the rate twin reads exact ints, got {value!r}")
    return False
