"""``cost_limit``: a finite, non-negative budget; unknown cost fails."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.hostile import LyingFloat, LyingInt, ShiftyMapping
from tests.hostile_constraints import BrokenMapping, Posing
from trust.constraints.builtin import CostLimitDimension

DIM = CostLimitDimension()


@pytest.mark.parametrize(
    ("raw", "parsed"), [(1000, 1000.0), (0, 0.0), (12.5, 12.5), (" 7.5 ", 7.5)]
)
def test_limits_parse_to_floats_in_cents(raw: Any, parsed: float) -> None:
    value = DIM.parse(raw)
    assert value.parsed == parsed
    assert value.metadata == {"unit": "cents"}


@pytest.mark.parametrize(
    ("context", "satisfied", "reason"),
    [
        ({"cost_used": 500}, True, "within budget"),
        ({"cost_used": 1000.0}, True, "within budget"),
        ({"cost_used": 1000.5}, False, "over budget by 0.5"),
        ({}, False, "cost_used is missing: the cost of the action is unknown"),
        ({"cost_used": "500"}, False, "must be a finite, non-negative number, got '500'"),
        ({"cost_used": True}, False, "got True"),
        ({"cost_used": float("nan")}, False, "got nan"),
        ({"cost_used": float("inf")}, False, "got inf"),
        ({"cost_used": -1}, False, "got -1"),
        ({"cost_used": 10**400}, False, "must be a finite, non-negative number"),
        ({"cost_used": None}, False, "got None"),
    ],
)
def test_checking_cost(context: dict[str, Any], satisfied: bool, reason: str) -> None:
    result = DIM.check(DIM.parse(1000), context)
    assert result.satisfied is satisfied
    assert reason in result.reason
    assert result.limit == 1000.0


def test_a_passing_check_reports_used_remaining_and_limit() -> None:
    result = DIM.check(DIM.parse(1000.0), {"cost_used": 250})
    assert (result.used, result.remaining, result.limit) == (250.0, 750.0, 1000.0)
    over = DIM.check(DIM.parse(100), {"cost_used": 150})
    assert (over.used, over.remaining) == (150.0, 0.0)


def test_the_example_of_a_looser_child_is_its_own_limit() -> None:
    parent, child = DIM.parse(100), DIM.parse(200)
    assert (
        DIM.loosening_example(parent, child)
        == "the child allows {'cost_used': 200.0}, the parent does not"
    )
    assert DIM.loosening_example(child, parent) is None


def test_cost_is_audited() -> None:
    assert DIM.requires_audit
    assert DIM.description == "Maximum cost limit in cents"


def test_number_subclasses_are_numbers() -> None:
    import enum

    class Cents(enum.IntEnum):
        FIVE = 5

    result = DIM.check(DIM.parse(10), {"cost_used": Cents.FIVE})
    assert result.satisfied
    assert result.remaining == 5.0


# -- hostile values: read as the builtin they hold, once ------------------------------


def test_a_float_subclass_lying_about_its_order_does_not_pass_a_budget() -> None:
    result = DIM.check(DIM.parse(100), {"cost_used": LyingFloat(1e9)})
    assert result.satisfied is False
    assert result.reason == "over budget by 1e+09"
    assert result.used == 1e9


@pytest.mark.parametrize(("held", "satisfied"), [(10**9, False), (50, True)])
def test_an_int_subclass_cost_is_checked_as_the_int_it_holds(held: int, satisfied: bool) -> None:
    result = DIM.check(DIM.parse(100), {"cost_used": LyingInt(held)})
    assert result.satisfied is satisfied
    assert result.used == float(held)


@pytest.mark.parametrize(
    "raw", [LyingFloat(5.0), LyingInt(5), Posing("5", like="1e9"), Posing(" 5 ", like="1e9")]
)
def test_a_subclass_limit_is_parsed_as_the_number_it_holds(raw: Any) -> None:
    value = DIM.parse(raw)
    assert value.parsed == 5.0
    assert type(value.raw_value) in (int, float, str)  # the builtin, not the subclass
    assert DIM.parse(value.raw_value).parsed == 5.0


def test_a_lying_limit_cannot_loosen_a_delegation() -> None:
    assert not DIM.validate_tightening(DIM.parse(10), DIM.parse(LyingFloat(1000.0)))


def test_a_context_that_changes_between_reads_is_read_once() -> None:
    context = ShiftyMapping({"cost_used": 10**9}, {"cost_used": 10})
    result = DIM.check(DIM.parse(100), context)
    assert result.satisfied is False
    assert result.used == 1e9


def test_a_context_whose_reads_raise_fails_the_check() -> None:
    result = DIM.check(DIM.parse(100), BrokenMapping())
    assert result.satisfied is False
    assert result.reason.startswith("context must be a mapping that can be read, got <")
    assert result.reason.endswith("whose reads raised RuntimeError: boom")


@pytest.mark.parametrize("raw", [2**53 + 3, str(2**53 + 3), f" {2**53 + 3}.0 "])
def test_a_limit_no_float_holds_rounds_down_never_up(raw: Any) -> None:
    # 2**53 + 3 lies between the floats 2**53 + 2 and 2**53 + 4, and rounds to 2**53 + 4.
    value = DIM.parse(raw)
    assert value.parsed == 2**53 + 2
    assert DIM.check(value, {"cost_used": 2**53 + 2}).satisfied
    assert not DIM.check(value, {"cost_used": 2**53 + 4}).satisfied


def test_a_decimal_limit_is_the_nearest_float_unless_that_passes_a_whole_cent_more() -> None:
    # The float nearest 0.1 is a hair above 0.1, but no whole number of cents lies between.
    assert DIM.parse("0.1").parsed == 0.1
    assert DIM.check(DIM.parse("0.1"), {"cost_used": 0.1}).satisfied
    # The float nearest 0.99999999999999999999 is 1.0: a cost of 1 cent would pass.
    limit = DIM.parse("0.99999999999999999999")
    assert Decimal(limit.parsed) < Decimal("0.99999999999999999999")
    assert not DIM.check(limit, {"cost_used": 1}).satisfied


def test_a_cost_too_long_to_print_fails_with_a_reason() -> None:
    result = DIM.check(DIM.parse(100), {"cost_used": 10**5000})
    assert result.satisfied is False
    assert result.reason.endswith("got an int of 16610 bits")
