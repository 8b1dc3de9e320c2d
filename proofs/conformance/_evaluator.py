"""Evaluating a twin's relations on concrete values, with formulas compiled once.

`Evaluator` builds the twin's ``allows``, ``tighter`` and meet-equivalence once per shape
of encoded values, over placeholders, and compiles each (`proofs._evaluate`); `confirm`
decides a closed formula with z3 itself, for the cross-checks of `proofs.conformance`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import z3

from trust.proofs._evaluate import Shape, compile_term, constants, leaves, placeholder, shape


@attrs.frozen
class Concrete:
    """An encoded value with its shape and constants worked out once."""

    value: Any
    shape: Shape
    constants: tuple[Any, ...]

    @classmethod
    def of(cls, value: Any) -> Concrete:
        """Raises: ValueError: a term of ``value`` is not a constant."""
        return cls(value, shape(value), tuple(constants(value)))


_COMPILED: dict[tuple[Any, ...], Callable[..., Any]] = {}
"""Compiled formulas by twin class, twin configuration, relation and shapes (shared by
every `Evaluator` of an equal twin: the differential tests make one per example)."""
_MOST_COMPILED = 1024


class Evaluator:
    """A twin's ``allows``, ``tighter`` and meet-equivalence, compiled once per shape.

    Twins of one class with equal public attributes (their configuration: zones, names,
    sizes) share compiled formulas.
    """

    def __init__(self, twin: Any) -> None:
        self.twin = twin
        settings = sorted((k, repr(v)) for k, v in vars(twin).items() if not k.startswith("_"))
        self._key = (type(twin), tuple(settings))

    def term(self, relation: str, *values: Any) -> z3.BoolRef:
        """The twin's formula for ``relation`` on (encoded) ``values``.

        ``"allows"`` (value, context), ``"tighter"`` (child, parent), or ``"is_meet"``
        (composed, a, b): the composed value and the twin's meet of ``a`` and ``b`` are
        each tighter than the other.
        """
        if relation == "allows":
            return self.twin.allows(*values)
        if relation == "tighter":
            return self.twin.tighter(*values)
        composed, a, b = values
        met = self.twin.meet(a, b)
        return z3.And(self.twin.tighter(composed, met), self.twin.tighter(met, composed))

    def call(self, relation: str, *values: Concrete) -> bool:
        """`term` on ``values``, evaluated by the function compiled for their shapes."""
        key = (*self._key, relation, tuple(v.shape for v in values))
        function = _COMPILED.get(key)
        if function is None:
            holders = [placeholder(v.value, f"{relation}.{k}") for k, v in enumerate(values)]
            parameters = [leaf for holder in holders for leaf in leaves(holder)]
            function = compile_term(self.term(relation, *holders), parameters)
            if len(_COMPILED) >= _MOST_COMPILED:
                _COMPILED.clear()
            _COMPILED[key] = function
        return bool(function(*[c for v in values for c in v.constants]))


def confirm(formula: z3.BoolRef) -> bool:
    """The truth of a closed formula, by z3's own simplifier (for cross-checks).

    Raises:
        ValueError: z3's simplifier does not reduce it to true or false.
    """
    reduced = z3.simplify(formula)
    if z3.is_true(reduced):
        return True
    if z3.is_false(reduced):
        return False
    raise ValueError(f"z3 does not reduce the closed formula to a truth value: {reduced}")
