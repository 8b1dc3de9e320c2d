"""The dimension protocol: values, results, and the numeric defaults of the ABC."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import attrs
import pytest

from tests.hostile import LyingFloat, LyingInt, LyingStr
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import (
    Comparison,
    ConstraintCheckResult,
    ConstraintDimension,
    ConstraintValue,
)
from trust.constraints._dimension import unchecked_result


class Budget(ConstraintDimension):
    """A minimal numeric dimension relying on every default."""

    @property
    def name(self) -> str:
        return "budget"

    @property
    def description(self) -> str:
        return "a budget"

    def parse(self, value: Any) -> ConstraintValue:
        return ConstraintValue(dimension=self.name, raw_value=value, parsed=value)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        return ConstraintCheckResult(satisfied=context["spent"] <= constraint.parsed, reason="")


def test_a_constraint_value_is_frozen_with_read_only_metadata() -> None:
    value = ConstraintValue(dimension="cost_limit", raw_value="1000", parsed=1000.0)
    assert value.metadata == {}
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        value.parsed = 1.0  # type: ignore[misc]
    metadata = {"unit": "cents"}
    tagged = ConstraintValue(dimension="d", raw_value=1, parsed=1, metadata=metadata)
    metadata["unit"] = "dollars"
    assert tagged.metadata == {"unit": "cents"}
    with pytest.raises(TypeError):
        tagged.metadata["unit"] = "euros"  # type: ignore[index]


def test_a_constraint_value_names_a_dimension() -> None:
    with pytest.raises(InvalidValueError, match="dimension must be a non-blank string"):
        ConstraintValue(dimension="  ", raw_value=1, parsed=1)


def test_check_results_accept_numbers_as_floats() -> None:
    result = ConstraintCheckResult(satisfied=True, reason="ok", remaining=5, used=5, limit=10)
    assert (result.remaining, result.used, result.limit) == (5.0, 5.0, 10.0)
    assert isinstance(result.limit, float)


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"satisfied": 1, "reason": ""}, InvalidTypeError, "satisfied must be a bool, got 1"),
        ({"satisfied": True, "reason": 3}, InvalidTypeError, "reason must be a string"),
        ({"satisfied": True, "reason": "", "used": "5"}, InvalidTypeError, "used must be"),
        ({"satisfied": True, "reason": "", "limit": True}, InvalidTypeError, "limit must be"),
        (
            {"satisfied": True, "reason": "", "remaining": float("nan")},
            InvalidValueError,
            "remaining must be a number or None, got nan",
        ),
    ],
)
def test_check_results_refuse_malformed_fields(
    fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ConstraintCheckResult(**fields)


def test_the_fast_constructor_builds_an_equal_frozen_result() -> None:
    fast = unchecked_result(True, "ok", 1.0, 2.0, 3.0)
    assert fast == ConstraintCheckResult(
        satisfied=True, reason="ok", remaining=1.0, used=2.0, limit=3.0
    )
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.satisfied = False  # type: ignore[misc]


def test_the_default_order_is_numeric_lower_is_tighter() -> None:
    dim = Budget()
    low, high = dim.parse(10), dim.parse(20.5)
    assert dim.validate_tightening(high, low)
    assert not dim.validate_tightening(low, high)
    assert dim.compare(low, high) is Comparison.TIGHTER
    assert dim.compare(high, low) is Comparison.LOOSER
    assert dim.compare(low, dim.parse(10.0)) is Comparison.EQUIVALENT


def test_the_default_compose_is_the_smallest_value() -> None:
    dim = Budget()
    values = [dim.parse(30), dim.parse(10), dim.parse(20)]
    composed = dim.compose(values)
    assert (composed.dimension, composed.raw_value, composed.parsed) == ("budget", 10, 10)
    assert dim.compose([values[0]]) is values[0]


def test_the_default_compose_marks_a_composed_value_as_the_built_ins_do() -> None:
    # kaizen.trust 1.2.5 marks it so, and so do the built-in dimensions: a caller reads
    # metadata["composed"] to tell a value composed from several from one written once.
    dim = Budget()
    tagged = ConstraintValue(dimension="budget", raw_value=5, parsed=5, metadata={"unit": "c"})
    composed = dim.compose([dim.parse(30), tagged, dim.parse(20)])
    assert composed.metadata == {"unit": "c", "composed": True, "source_count": 3}
    assert "composed" not in dim.compose([tagged]).metadata


@pytest.mark.parametrize("parsed", ["10", None, True, float("nan"), [1]])
def test_the_numeric_defaults_refuse_non_numbers(parsed: object) -> None:
    dim = Budget()
    odd, fine = dim.parse(parsed), dim.parse(1)
    with pytest.raises(InvalidValueError):
        dim.validate_tightening(fine, odd)
    with pytest.raises(InvalidValueError):
        dim.compose([fine, odd])


def test_the_numeric_defaults_refuse_another_dimensions_value() -> None:
    dim = Budget()
    other = ConstraintValue(dimension="cost_limit", raw_value=1, parsed=1.0)
    with pytest.raises(InvalidValueError, match="must be a ConstraintValue of 'budget'"):
        dim.validate_tightening(dim.parse(2), other)


@pytest.mark.parametrize("constraints", [[], "abc", None, [1]])
def test_compose_needs_a_non_empty_list_of_values(constraints: Any) -> None:
    with pytest.raises(InvalidValueError):
        Budget().compose(constraints)


def test_a_dimension_knows_no_example_by_default() -> None:
    dim = Budget()
    assert dim.loosening_example(dim.parse(1), dim.parse(2)) is None
    assert dim.version == "1.0.0"
    assert dim.requires_audit is False
    assert repr(dim) == "Budget()"


@pytest.mark.parametrize(
    ("a_within_b", "b_within_a", "expected"),
    [
        (True, True, Comparison.EQUIVALENT),
        (True, False, Comparison.TIGHTER),
        (False, True, Comparison.LOOSER),
        (False, False, Comparison.INCOMPARABLE),
    ],
)
def test_comparison_from_inclusions(
    a_within_b: bool, b_within_a: bool, expected: Comparison
) -> None:
    assert Comparison.from_inclusions(a_within_b, b_within_a) is expected


# -- hostile values and big ints -----------------------------------------------------


@pytest.mark.parametrize(("parent", "child"), [(2**53, 2**53 + 1), (2**53, float(2**53) + 2)])
def test_the_default_numeric_order_compares_ints_exactly(parent: Any, child: Any) -> None:
    # As floats, 2**53 + 1 equals 2**53: a looser child would pass for an equal one.
    dim = Budget()
    assert dim.validate_tightening(dim.parse(parent), dim.parse(child)) is False
    assert dim.compose([dim.parse(child), dim.parse(parent)]).parsed == parent


def test_the_default_numeric_order_reads_a_subclass_as_the_number_it_holds() -> None:
    dim = Budget()
    assert dim.validate_tightening(dim.parse(10), dim.parse(LyingFloat(1000.0))) is False
    assert dim.validate_tightening(dim.parse(LyingInt(1000)), dim.parse(10)) is True


def test_a_measure_from_a_subclass_is_the_number_it_holds() -> None:
    result = ConstraintCheckResult(
        satisfied=True, reason=LyingStr("ok"), used=LyingFloat(99.0), limit=LyingInt(100)
    )
    assert (result.used, result.limit) == (99.0, 100.0)
    assert (type(result.used), type(result.limit), type(result.reason)) == (float, float, str)


def test_the_default_numeric_order_accepts_other_reals() -> None:
    dim = Budget()
    assert dim.validate_tightening(dim.parse(Fraction(1, 2)), dim.parse(Fraction(1, 4)))
    assert not dim.validate_tightening(dim.parse(Fraction(1, 3)), dim.parse(Fraction(1, 2)))
