"""What a built-in twin adds to `SymbolicTwin`: runtime values in, runtime contexts out.

Differential tests and `proofs.verify_delegation` need to cross between the
runtime and the twin: a parsed `ConstraintValue` becomes a closed symbolic constraint, a
context dict a closed symbolic context, and a model of a symbolic context a context dict
the runtime can check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import z3

from trust.constraints import ConstraintValue
from trust.proofs.twins._protocol import SymbolicTwin


@runtime_checkable
class ConcreteTwin(SymbolicTwin, Protocol):
    """A `SymbolicTwin` that also translates runtime values both ways."""

    def encode(self, value: ConstraintValue) -> Any:
        """A parsed constraint as a closed symbolic constraint.

        Raises:
            ValueError: The value lies outside what the twin encodes (named in the message).
        """

    def encode_context(self, context: dict[str, Any]) -> Any:
        """A context dict as a closed symbolic context."""

    def runtime_context(self, model: z3.ModelRef, context: Any) -> dict[str, Any]:
        """A model of a symbolic context as a dict the runtime's ``check`` reads."""


def decide(formula: z3.BoolRef, timeout_ms: int = 5000) -> bool:
    """The truth of a closed formula.

    Raises:
        ValueError: z3 could not decide it within ``timeout_ms``.
    """
    for claim, answer in ((formula, True), (z3.Not(formula), False)):
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(z3.Not(claim))
        if solver.check() == z3.unsat:
            return answer
    raise ValueError(f"z3 could not decide {formula}")


def all_of(raw: object) -> list[Any] | None:
    """The items of a raw ``{"all_of": [...]}`` value (any mapping, a list or a tuple),
    or None when ``raw`` is not one: the twins read it as the meet of its items."""
    if isinstance(raw, Mapping) and list(raw) == ["all_of"]:
        items = raw["all_of"]
        if isinstance(items, list | tuple):
            return list(items)
    return None


def first(candidates: list[tuple[z3.BoolRef, Any]], default: Any) -> Any:
    """The value of the first candidate whose condition holds, else ``default``."""
    term = default
    for condition, value in reversed(candidates):
        term = z3.If(condition, value, term)
    return term


def as_int(model: z3.ModelRef, term: Any) -> int:
    return int(model.eval(term, model_completion=True).as_long())


def as_bool(model: z3.ModelRef, term: Any) -> bool:
    return bool(z3.is_true(model.eval(term, model_completion=True)))
