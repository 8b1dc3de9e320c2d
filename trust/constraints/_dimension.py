"""The constraint-dimension protocol: parsed values, check results and the plugin ABC.

A dimension turns a raw constraint (``1000``, ``"09:00-17:00"``, ``["data/**"]``) into a
`ConstraintValue` and checks an execution context against it. Each parsed value denotes the
set of contexts it allows; so "child is tighter than parent" means the child's set is a
subset of the parent's, and composing values means intersecting their sets. The default
`ConstraintDimension.validate_tightening` and `ConstraintDimension.compose` implement that
for a plain numeric limit, where a lower number allows fewer contexts.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_number


class Comparison(StrEnum):
    """How the sets of contexts two constraints allow relate: the answer of ``compare(a, b)``.

    ``TIGHTER`` means ``a`` allows strictly less than ``b``; ``LOOSER`` strictly more;
    ``EQUIVALENT`` the same; ``INCOMPARABLE`` that each allows something the other does not.
    """

    TIGHTER = "tighter"
    LOOSER = "looser"
    EQUIVALENT = "equivalent"
    INCOMPARABLE = "incomparable"

    @classmethod
    def from_inclusions(cls, a_within_b: bool, b_within_a: bool) -> Comparison:
        """The comparison of ``a`` with ``b`` given both inclusion verdicts."""
        if a_within_b:
            return cls.EQUIVALENT if b_within_a else cls.TIGHTER
        return cls.LOOSER if b_within_a else cls.INCOMPARABLE


def _dimension_name(value: object) -> str:
    return check.identifier(value, "dimension")


def _metadata(value: object) -> Mapping[str, Any]:
    return check.frozen_mapping(value, "metadata")


@attrs.frozen(kw_only=True)
class ConstraintValue:
    """A constraint as a dimension understands it.

    Attributes:
        dimension: The name of the dimension that parsed it.
        raw_value: The value as the caller wrote it; messages quote it.
        parsed: The dimension's own representation. Built-in dimensions use small immutable
            values with an exact set meaning; a custom dimension may use anything.
        metadata: Read-only extra facts (for example ``{"unit": "cents"}``).
    """

    dimension: str = attrs.field(converter=_dimension_name)
    raw_value: Any
    parsed: Any
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=_metadata)


def _is_bool(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidTypeError(f"{attribute.name} must be a bool, got {check.shown(value)}")


def _measure(value: object, name: str) -> float | None:
    if value is None:
        return None
    exact = exact_number(value)
    if exact is None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
        raise InvalidTypeError(f"{name} must be a number or None, got {check.shown(value)}")
    # A subclass of int or float is read as the number it holds (its __float__ may lie);
    # other reals (Fraction, Decimal) convert themselves.
    number = float(value if exact is None else exact)  # type: ignore[arg-type]
    if math.isnan(number):
        raise InvalidValueError(f"{name} must be a number or None, got {check.shown(value)}")
    return number


def _remaining(value: object) -> float | None:
    return _measure(value, "remaining")


def _used(value: object) -> float | None:
    return _measure(value, "used")


def _limit(value: object) -> float | None:
    return _measure(value, "limit")


def _reason(value: object) -> str:
    return str.__str__(check.text(value, "reason"))


# Not slotted: `unchecked_result` fills ``__dict__`` directly, which is much faster.
@attrs.frozen(kw_only=True, slots=False)
class ConstraintCheckResult:
    """The outcome of checking one constraint against a context.

    ``satisfied`` must be a real bool: a check that returns anything else is a bug, and the
    evaluator refuses rather than guess. ``used``, ``limit`` and ``remaining`` are optional
    measures; when a dimension reports ``used`` and ``limit``, the evaluator's anti-gaming
    detection reads their ratio.
    """

    satisfied: bool = attrs.field(validator=_is_bool)
    reason: str = attrs.field(converter=_reason)
    remaining: float | None = attrs.field(default=None, converter=_remaining)
    used: float | None = attrs.field(default=None, converter=_used)
    limit: float | None = attrs.field(default=None, converter=_limit)


def unchecked_result(
    satisfied: bool,
    reason: str,
    remaining: float | None = None,
    used: float | None = None,
    limit: float | None = None,
) -> ConstraintCheckResult:
    """A `ConstraintCheckResult` built without re-validating fields the caller vouches for.

    Built-in checks run on every evaluation; their fields are already a bool, a str and
    floats, so the validating ``__init__`` would only cost time.
    """
    result: ConstraintCheckResult = _new(ConstraintCheckResult)
    fields = result.__dict__
    fields["satisfied"] = satisfied
    fields["reason"] = reason
    fields["remaining"] = remaining
    fields["used"] = used
    fields["limit"] = limit
    return result


_new = object.__new__


def _numeric(value: ConstraintValue, role: str, dimension: str) -> int | float:
    """The parsed number of ``value``, exact: ints stay ints, so that they compare exactly."""
    if not isinstance(value, ConstraintValue) or value.dimension != dimension:
        raise InvalidValueError(
            f"{role} constraint must be a ConstraintValue of '{dimension}', "
            f"got {check.shown(value)}"
        )
    parsed = value.parsed
    number = exact_number(parsed)
    if number is None:
        if isinstance(parsed, bool) or not isinstance(parsed, numbers.Real):
            raise InvalidTypeError(
                f"{role} constraint of '{dimension}' must have a numeric parsed value for the "
                f"default numeric ordering (override validate_tightening and compose for other "
                f"kinds), got {check.shown(parsed)}"
            )
        number = float(parsed)
    # int and float compare exactly in Python; going through float would make 2**53 + 1
    # equal to 2**53, and a looser child would pass for an equal one.
    if type(number) is float and math.isnan(number):
        raise InvalidValueError(
            f"{role} constraint of '{dimension}' must not be NaN, got {check.shown(parsed)}"
        )
    return number


class ConstraintDimension(ABC):
    """A pluggable kind of constraint: how to parse it, check it, tighten it and compose it.

    Subclasses implement `name`, `description`, `parse` and `check`. The defaults of
    `validate_tightening` and `compose` treat ``parsed`` as a number where lower is tighter
    (so ``check`` must allow a context whenever it allows it under a higher number);
    override both when the parsed value is anything else. Two contracts keep delegation
    sound and are relied on by `MultiDimensionEvaluator`:

    - ``validate_tightening(parent, child)`` returns True only if every context ``child``
      allows, ``parent`` allows.
    - ``compose(cs)`` allows exactly the contexts every ``c`` allows (or, at least, none
      that some ``c`` refuses).

    ``parse`` must be a pure function of its argument: the evaluator caches parsed values.
    """

    @property
    @abstractmethod
    def name(self) -> str:
        """Unique identifier (e.g. ``'cost_limit'``)."""

    @property
    @abstractmethod
    def description(self) -> str:
        """Human-readable description."""

    @property
    def version(self) -> str:
        """Version of this dimension's implementation."""
        return "1.0.0"

    @property
    def requires_audit(self) -> bool:
        """Whether actions checked against this dimension should be audit-logged."""
        return False

    @abstractmethod
    def parse(self, value: Any) -> ConstraintValue:
        """Parse a raw value; raise `ValueError` naming the value when it is malformed."""

    @abstractmethod
    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        """Whether ``context`` satisfies ``constraint``, with the reason."""

    def validate_tightening(self, parent: ConstraintValue, child: ConstraintValue) -> bool:
        """Whether ``child`` allows nothing that ``parent`` refuses (default: numeric ``<=``).

        Raises:
            InvalidTypeError: A parsed value is not a real number (the default applies
                only to numeric dimensions).
        """
        return _numeric(child, "child", self.name) <= _numeric(parent, "parent", self.name)

    def compose(self, constraints: list[ConstraintValue]) -> ConstraintValue:
        """The most restrictive combination of ``constraints`` (default: the smallest number).

        One constraint is returned as it is. Two or more give a new value holding the
        smallest one's raw and parsed values (the first of equal ones), marked as the
        built-in dimensions mark theirs: ``metadata["composed"]`` is True and
        ``metadata["source_count"]`` says how many values were composed. The smallest
        one's other metadata is kept.

        Raises:
            InvalidValueError: ``constraints`` is empty.
            InvalidTypeError: A parsed value is not a real number.
        """
        values = _non_empty(constraints)
        tightest = min(values, key=lambda c: _numeric(c, "composed", self.name))
        if len(values) == 1:
            return tightest
        return ConstraintValue(
            dimension=self.name,
            raw_value=tightest.raw_value,
            parsed=tightest.parsed,
            metadata={**tightest.metadata, "composed": True, "source_count": len(values)},
        )

    def loosening_example(self, parent: ConstraintValue, child: ConstraintValue) -> str | None:
        """Describe something ``child`` allows and ``parent`` refuses, if this dimension can.

        `MultiDimensionEvaluator.validate_tightening` appends it to a violation. The default
        knows no example and returns None.
        """
        return None

    def compare(self, a: ConstraintValue, b: ConstraintValue) -> Comparison:
        """How ``a`` relates to ``b``, from `validate_tightening` in both directions."""
        return Comparison.from_inclusions(
            self.validate_tightening(b, a) is True, self.validate_tightening(a, b) is True
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _non_empty(constraints: object) -> list[ConstraintValue]:
    if isinstance(constraints, str | bytes) or not isinstance(constraints, Sequence):
        raise InvalidTypeError(
            f"constraints must be a list of ConstraintValue, got {check.shown(constraints)}"
        )
    values = list(constraints)
    if not values:
        raise InvalidValueError("constraints must be a non-empty list to compose, got []")
    for value in values:
        if not isinstance(value, ConstraintValue):
            raise InvalidTypeError(
                f"constraints must hold ConstraintValue items, got {check.shown(value)}"
            )
    return values
