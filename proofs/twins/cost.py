"""The twin of ``cost_limit``: a limit and a cost as reals.

Unbounded domain: limits and costs are reals; the runtime's finite floats are a subset
and compare exactly, so every law proved over the reals holds for them. A context is a
cost that is present and well formed, or not (missing, NaN, a string...: refused by every
limit, so one boolean stands for all of them).

`encode` takes the runtime's parsed limit (the float it documents: the nearest one, never
rounded up past a whole cent), and `encode_context` reads ``cost_used`` itself: an int
exactly, a finite non-negative float as the real it is.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import attrs
import z3

from trust.constraints import ConstraintValue
from trust.proofs.twins._concrete import as_bool

CONTEXT_KEY = "cost_used"


@attrs.frozen
class Cost:
    """A context: ``cost_used`` is readable (``known``) and its value."""

    known: z3.BoolRef
    used: z3.ArithRef


def _real(value: float) -> z3.ArithRef:
    ratio = Fraction(value)
    return z3.RealVal(f"{ratio.numerator}/{ratio.denominator}")


def _number(model: z3.ModelRef, term: z3.ArithRef) -> str:
    value = model.eval(term, model_completion=True)
    ratio = Fraction(value.numerator_as_long(), value.denominator_as_long())
    return f"{float(ratio):g}" if float(ratio) == ratio else str(ratio)


class CostTwin:
    """``allows(L, c) = known(c) and 0 <= used(c) <= L``; tighter is ``<=``; meet is min."""

    exact = True

    def constraint(self, name: str) -> z3.ArithRef:
        return z3.Real(f"{name}.limit")

    def context(self, name: str) -> Cost:
        return Cost(z3.Bool(f"{name}.known"), z3.Real(f"{name}.cost_used"))

    def well_formed(self, constraint: z3.ArithRef) -> z3.BoolRef:
        return constraint >= 0

    def admissible(self, context: Cost) -> z3.BoolRef:
        return z3.BoolVal(True)

    def allows(self, constraint: z3.ArithRef, context: Cost) -> z3.BoolRef:
        return z3.And(context.known, context.used >= 0, context.used <= constraint)

    def tighter(self, child: z3.ArithRef, parent: z3.ArithRef) -> z3.BoolRef:
        return child <= parent

    def meet(self, a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
        return z3.If(a <= b, a, b)

    def witness(self, child: z3.ArithRef, parent: z3.ArithRef) -> Cost:
        return Cost(z3.BoolVal(True), child)

    def show_constraint(self, model: z3.ModelRef, constraint: z3.ArithRef) -> str:
        return _number(model, constraint)

    def show_context(self, model: z3.ModelRef, context: Cost) -> str:
        if not as_bool(model, context.known):
            return "cost_used missing or malformed"
        return f"cost_used {_number(model, context.used)}"

    def encode(self, value: ConstraintValue) -> z3.ArithRef:
        """The runtime's parsed limit (a float, rounded as documented), exactly.

        Raises:
            ValueError: The parsed value is not a finite, non-negative float.
        """
        limit = value.parsed
        if type(limit) is not float or not math.isfinite(limit) or limit < 0:
            raise ValueError(f"the cost twin encodes finite non-negative floats, got {limit!r}")
        return _real(limit)

    def encode_context(self, context: dict[str, Any]) -> Cost:
        """``cost_used`` as the exact number it is, or unknown when it is not one.

        Raises:
            ValueError: It is a subclass of int or float, which the twin does not read.
        """
        raw: Any = context.get(CONTEXT_KEY)
        if type(raw) is int and raw >= 0:  # compared exactly: never the rounded float
            return Cost(z3.BoolVal(True), z3.RealVal(raw))
        if type(raw) is float and math.isfinite(raw) and raw >= 0:
            return Cost(z3.BoolVal(True), _real(raw))
        if type(raw) not in (int, float, bool) and isinstance(raw, int | float):
            raise ValueError(f"the cost twin reads exact ints and floats, got {raw!r}")
        return Cost(z3.BoolVal(False), z3.RealVal(0))

    def runtime_context(self, model: z3.ModelRef, context: Cost) -> dict[str, Any]:
        if not as_bool(model, context.known):
            return {}
        value = model.eval(context.used, model_completion=True)
        ratio = Fraction(value.numerator_as_long(), value.denominator_as_long())
        return {CONTEXT_KEY: int(ratio) if ratio.denominator == 1 else float(ratio)}
