"""``rate_limit``: sliding-window caps; tightening across periods is exact and sound."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints.builtin import RateLimit, RateLimitDimension
from trust.constraints.builtin._rate import WINDOWS, caps_of, parse_rate, rules_of

DIM = RateLimitDimension()


def rate(text: Any) -> RateLimit:
    return parse_rate(text)


@pytest.mark.parametrize(
    ("raw", "rules", "shown"),
    [
        (100, ((100, None),), "100"),
        ("100", ((100, None),), "100"),
        ("100/minute", ((100, 60),), "100/minute"),
        (" 100 / Minute ", ((100, 60),), "100/minute"),
        ("10/second, 100/minute", ((10, 1), (100, 60)), "10/second, 100/minute"),
        ("100/minute, 10/second", ((10, 1), (100, 60)), "10/second, 100/minute"),
        ("10/second, 1000/minute", ((10, 1),), "10/second"),  # 1000/minute is implied
        ("100/minute, 100/hour", ((100, 3600),), "100/hour"),  # the hour cap binds the minute
        ("0/day", ((0, None),), "0"),
        ("5/day, 3", ((3, None),), "3"),
    ],
)
def test_parsing_normalises_to_the_rules_that_bind(
    raw: Any, rules: tuple[tuple[int, int | None], ...], shown: str
) -> None:
    parsed = rate(raw)
    assert parsed.rules == rules
    assert str(parsed) == shown
    assert rate(shown) == parsed


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        (99.9, InvalidTypeError, "got 99.9"),
        (100.0, InvalidTypeError, "got 100.0"),
        (True, InvalidTypeError, "got True"),
        (-1, InvalidValueError, "got -1"),
        ("-1/minute", InvalidValueError, "got '-1/minute'"),
        ("99.9/minute", InvalidValueError, "got '99.9/minute'"),
        ("100/minutes", InvalidValueError, "got '100/minutes'"),
        ("100/week", InvalidValueError, "got '100/week'"),
        ("", InvalidValueError, "got ''"),
        ("10,", InvalidValueError, "got '10,'"),
        (None, InvalidTypeError, "got None"),
    ],
)
def test_malformed_rates_are_refused(raw: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        rate(raw)


@pytest.mark.parametrize(
    ("child", "parent", "within"),
    [
        ("50/minute", "100/minute", True),
        ("1/second", "100/minute", True),  # at most 60 in any minute
        ("2/second", "100/minute", False),  # 120 in a minute
        ("100/hour", "100/minute", True),  # a burst of 100 is the most in any minute
        ("101/hour", "100/minute", False),
        ("6000/hour", "100/minute", False),
        ("100/minute", "6000/hour", True),
        ("100/minute", "5999/hour", False),
        ("100", "100/minute", True),  # 100 in total
        ("1/day", "100", False),  # unbounded in total
        ("0/second", "0", True),
        ("10/second, 100/minute", "100/minute", True),
        ("10/second, 100/minute", "10/second", True),
        ("10/second", "10/second, 100/minute", False),
    ],
)
def test_a_child_never_allows_more_in_any_window_of_the_parents_period(
    child: str, parent: str, within: bool
) -> None:
    assert rate(child).is_within(rate(parent)) is within


def test_the_caps_are_the_most_requests_any_window_can_hold() -> None:
    assert rate("100/minute").caps == (100, 100, 6000, 144000, None)
    assert rate("10/second, 100/minute").caps == (10, 100, 6000, 144000, None)
    assert rate("5").caps == (5, 5, 5, 5, 5)


def test_compose_of_different_periods_keeps_both_rules() -> None:
    composed = DIM.compose([DIM.parse("10/second"), DIM.parse("100/minute")])
    assert composed.raw_value == "10/second, 100/minute"
    assert composed.parsed == rate("10/second, 100/minute")


@given(st.lists(st.tuples(st.integers(0, 500), st.sampled_from(WINDOWS)), min_size=1, max_size=4))
def test_rules_and_caps_describe_the_same_rate(rules: list[tuple[int, int | None]]) -> None:
    caps = caps_of(rules)
    assert caps_of(rules_of(caps)) == caps
    # Caps never shrink with a longer window, nor grow faster than the window.
    for shorter, longer, size, next_size in zip(caps, caps[1:], WINDOWS, WINDOWS[1:], strict=False):
        assert shorter is not None
        assert longer is None or shorter <= longer
        if longer is not None and next_size is not None:
            assert longer <= shorter * (next_size // size)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("context", "satisfied", "reason"),
    [
        ({"requests_in_period": 50}, True, "within rate limit"),
        ({"requests_in_period": 100}, True, "within rate limit"),
        ({"requests_in_period": 101}, False, "exceeded by 1 (at most 100 per period, got 101)"),
        ({"requests_by_period": {"minute": 100, "hour": 6000}}, True, "within rate limit"),
        ({"requests_by_period": {"hour": 6001}}, False, "exceeded by 1 (at most 6000 per hour"),
        ({"requests_in_period": 5, "requests_by_period": {"second": 101}}, False, "per second"),
        ({}, False, "requests_in_period is missing: the request count is unknown"),
        ({"requests_in_period": None}, False, "requests_in_period is missing"),
        ({"requests_in_period": 5.0}, False, "must be a non-negative integer, got 5.0"),
        ({"requests_in_period": True}, False, "must be a non-negative integer, got True"),
        ({"requests_in_period": -1}, False, "must be a non-negative integer, got -1"),
        ({"requests_by_period": {"week": 1}}, False, "requests_by_period must map"),
        ({"requests_by_period": {"minute": "1"}}, False, "requests_by_period must map"),
        ({"requests_by_period": [1]}, False, "requests_by_period must be a mapping"),
    ],
)
def test_checking_counts(context: dict[str, Any], satisfied: bool, reason: str) -> None:
    result = DIM.check(DIM.parse("100/minute"), context)
    assert result.satisfied is satisfied
    assert reason in result.reason


def test_a_passing_check_reports_usage_for_anti_gaming() -> None:
    result = DIM.check(DIM.parse("100/minute"), {"requests_in_period": 50})
    assert (result.used, result.limit, result.remaining) == (50.0, 100.0, 50.0)
    busiest = DIM.check(
        DIM.parse("10/second, 100/minute"), {"requests_by_period": {"second": 1, "minute": 90}}
    )
    assert (busiest.used, busiest.limit) == (90.0, 100.0)


def test_a_zero_rate_allows_no_request() -> None:
    zero = DIM.parse(0)
    assert DIM.check(zero, {"requests_in_period": 0}).satisfied
    assert not DIM.check(zero, {"requests_in_period": 1}).satisfied
    assert not DIM.check(zero, {"requests_by_period": {"day": 1}}).satisfied


@pytest.mark.parametrize(
    ("parent", "child", "example"),
    [
        ("100/minute", "200/minute", "the child allows {'requests_in_period': 101}"),
        ("100/minute", "2/second", "the child allows {'requests_by_period': {'minute': 101}}"),
        ("100", "1/day", "the child allows more than 100 requests in total"),
    ],
)
def test_a_looser_child_gets_a_concrete_example(parent: str, child: str, example: str) -> None:
    text = DIM.loosening_example(DIM.parse(parent), DIM.parse(child))
    assert text is not None
    assert text.startswith(example)
    assert DIM.loosening_example(DIM.parse(child), DIM.parse(child)) is None


def test_rate_values_validate_their_rules() -> None:
    with pytest.raises(InvalidTypeError):
        RateLimit(())
    with pytest.raises(InvalidValueError):
        RateLimit(((5, 7),))
    with pytest.raises(InvalidValueError):
        RateLimit(((True, 60),))
