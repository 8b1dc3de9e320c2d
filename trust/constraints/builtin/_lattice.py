"""What the built-in dimensions share: parsed values that form a lattice, and context reading.

Every built-in parses a raw constraint into a small immutable value denoting the set of
contexts it allows. The value knows its own order and meet:

- ``a.is_within(b)``: every context ``a`` allows, ``b`` allows (exact for built-ins);
- ``a.meet(b)``: a value allowing exactly what both allow;
- ``a.example_outside(b)``: something ``a`` allows and ``b`` refuses, or None if none.

`BuiltinDimension` turns those into `validate_tightening`, `compose` and
`loosening_example`, after checking that each `ConstraintValue` really belongs to it.
Compose meets all its values at once (`BuiltinDimension.meet_all`), so that a dimension
whose meet has a work budget spends one budget on a whole compose, not one per pair; and
an ``all_of`` value, however nested, is flattened and composed once. Both hold at most
`MAX_ALL_OF_PARTS` parts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import reduce
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_number
from trust.constraints._dimension import (
    ConstraintCheckResult,
    ConstraintDimension,
    ConstraintValue,
    unchecked_result,
)

RECENT_RESULTS = 4096
"""How many check verdicts a dimension whose check is a pure function of one key keeps."""

ALL_OF = "all_of"
"""Key of the raw form of an intersection: ``{"all_of": [raw, raw, ...]}``."""

MAX_ALL_OF_PARTS = 64
"""Parts one ``all_of`` value may hold, those of nested ``all_of`` values and the nested
values themselves included; a compose whose ``all_of`` would hold more is refused too, so
that what compose returns always parses back."""

V = TypeVar("V", bound="LatticeValue")


class LatticeValue(Protocol):
    def is_within(self, other: Any, /) -> bool: ...

    def meet(self, other: Any, /) -> Any: ...

    def example_outside(self, other: Any, /) -> str | None: ...


class BuiltinDimension(ConstraintDimension, Generic[V]):
    """A dimension whose parsed values are `LatticeValue` instances of ``value_type``."""

    value_type: ClassVar[type]

    def value_of(self, constraint: object, role: str = "constraint") -> V:
        """The parsed value of ``constraint``, refusing one from another dimension."""
        if not isinstance(constraint, ConstraintValue):
            raise InvalidTypeError(
                f"{role} must be a ConstraintValue of '{self.name}', got {check.shown(constraint)}"
            )
        if constraint.dimension != self.name or not isinstance(constraint.parsed, self.value_type):
            raise InvalidValueError(
                f"{role} must be a ConstraintValue parsed by '{self.name}', got one of "
                f"'{constraint.dimension}' holding {check.shown(constraint.parsed)}"
            )
        return cast(V, constraint.parsed)

    def validate_tightening(self, parent: ConstraintValue, child: ConstraintValue) -> bool:
        """Whether every context ``child`` allows, ``parent`` allows (exact)."""
        return bool(self.value_of(child, "child").is_within(self.value_of(parent, "parent")))

    def compose(self, constraints: list[ConstraintValue]) -> ConstraintValue:
        """A constraint allowing exactly the contexts every one of ``constraints`` allows.

        Raises:
            InvalidValueError: ``constraints`` is empty or holds another dimension's value.
        """
        if isinstance(constraints, str | bytes) or not isinstance(constraints, Sequence):
            raise InvalidTypeError(
                f"constraints must be a list of ConstraintValue, got {check.shown(constraints)}"
            )
        if not constraints:
            raise InvalidValueError("constraints must be a non-empty list to compose, got []")
        values = [self.value_of(c, "each composed constraint") for c in constraints]
        if len(constraints) == 1:
            return constraints[0]
        raws = [c.raw_value for c in constraints]
        parts = sum(len(self._parts(raw)) if all_of_items(raw) is not None else 1 for raw in raws)
        if parts > MAX_ALL_OF_PARTS:
            raise InvalidValueError(
                f"{self.name} compose must join at most {MAX_ALL_OF_PARTS} parts (the budget "
                f"MAX_ALL_OF_PARTS, nested all_of parts included), got {parts} in "
                f"{check.shown(raws)}"
            )
        met = self.meet_all(values)
        return ConstraintValue(
            dimension=self.name,
            raw_value=self.composed_raw(met, raws),
            parsed=met,
            metadata={"composed": True, "source_count": len(constraints)},
        )

    def meet_all(self, values: list[V]) -> V:
        """The meet of ``values`` (two or more); by default, met pairwise in order.

        A dimension whose meet spends a work budget overrides this to spend one budget
        on the whole list.
        """
        met: V = reduce(lambda a, b: a.meet(b), values)
        return met

    def composed_raw(self, value: V, raws: list[Any]) -> Any:
        """A raw value that parses back to ``value`` (default: the ``all_of`` form)."""
        flat: list[Any] = []
        for raw in raws:
            nested = all_of_items(raw)
            flat.extend(nested if nested is not None else [raw])
        return {ALL_OF: flat}

    def loosening_example(self, parent: ConstraintValue, child: ConstraintValue) -> str | None:
        """Something ``child`` allows and ``parent`` refuses, or None if there is nothing."""
        return self.value_of(child, "child").example_outside(self.value_of(parent, "parent"))

    def _parts(self, value: object) -> list[Any]:
        """Every item of an ``all_of`` value and of the ``all_of`` values nested in it.

        Walked without recursion, so no nesting is too deep to read, and refused as soon
        as it passes `MAX_ALL_OF_PARTS` items.
        """
        found: list[Any] = []
        stack = [value]
        while stack:
            items = all_of_items(stack.pop())
            if items is None:
                continue
            if not items:
                raise InvalidValueError(
                    f"{self.name} {ALL_OF} must be a non-empty list of constraints, got "
                    f"{check.shown({ALL_OF: items})}"
                )
            if len(found) + len(items) > MAX_ALL_OF_PARTS:
                raise InvalidValueError(
                    f"{self.name} {ALL_OF} must hold at most {MAX_ALL_OF_PARTS} parts (the "
                    f"budget MAX_ALL_OF_PARTS, nested all_of parts included), got more in "
                    f"{check.shown(value)}"
                )
            found.extend(items)
            stack.extend(items)
        return found

    def parse_all_of(self, value: Mapping[str, Any]) -> ConstraintValue:
        """Parse ``{"all_of": [raw, ...]}``: the meet of every raw value in the list.

        Nested ``all_of`` values are flattened first (an intersection of intersections is
        one intersection), so the parts are met once, however deep the nesting.

        Raises:
            InvalidValueError: A list is empty or not a list, a part is malformed, or the
                value holds more than `MAX_ALL_OF_PARTS` parts.
        """
        if all_of_items(value) is None:
            raise InvalidValueError(
                f"{self.name} {ALL_OF} must be a non-empty list of constraints, got "
                f"{check.shown(value)}"
            )
        leaves = [item for item in self._parts(value) if all_of_items(item) is None]
        parts = [self.parse(item) for item in leaves]
        composed = self.compose(parts)
        return ConstraintValue(
            dimension=self.name,
            raw_value=value,
            parsed=composed.parsed,
            metadata=composed.metadata,
        )


def all_of_items(raw: object) -> list[Any] | None:
    """The list of an ``{"all_of": [...]}`` raw value, or None if ``raw`` is not that form."""
    if isinstance(raw, Mapping) and ALL_OF in raw:
        items = raw[ALL_OF]
        if len(raw) != 1 or isinstance(items, str | bytes) or not isinstance(items, Sequence):
            raise InvalidValueError(
                f"an {ALL_OF} constraint must be {{'{ALL_OF}': [constraint, ...]}} and nothing "
                f"else, got {check.shown(raw)}"
            )
        return list(items)
    return None


def not_a_mapping(context: object) -> ConstraintCheckResult | None:
    """A failed result when ``context`` is not a mapping, else None."""
    if type(context) is dict or isinstance(context, Mapping):
        return None
    return unchecked_result(False, f"context must be a mapping, got {check.shown(context)}")


def finite_non_negative(value: object) -> float | None:
    """``value`` as a float if it is a finite, non-negative int or float (not a bool).

    A subclass is read as the number it holds, whatever its ``__float__`` says.
    """
    number = exact_number(value)
    if number is None:
        return None
    try:
        number = float(number)
    except OverflowError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
