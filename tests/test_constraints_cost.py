"""``cost_limit``: a finite, non-negative budget; unknown cost fails."""

from __future__ import annotations

from typing import Any

import pytest

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
