"""``rate_limit``: sliding-window caps; tightening across periods is exact and sound."""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import LyingInt
from tests.hostile_constraints import BrokenMapping, LeLies, Posing
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


# -- hostile values: read as the builtin they hold, once ------------------------------


@pytest.mark.parametrize(
    ("context", "satisfied", "reason"),
    [
        ({"requests_in_period": LyingInt(5)}, True, "within rate limit"),
        ({"requests_in_period": LyingInt(1000)}, False, "exceeded by 990 (at most 10 per period"),
        ({"requests_in_period": LeLies(1000)}, False, "exceeded by 990 (at most 10 per period"),
        (
            {"requests_by_period": {"second": LeLies(1000)}},
            False,
            "exceeded by 990 (at most 10 per second",
        ),
    ],
)
def test_an_int_subclass_count_is_checked_as_the_int_it_holds(
    context: dict[str, Any], satisfied: bool, reason: str
) -> None:
    result = DIM.check(DIM.parse("10/second"), context)
    assert result.satisfied is satisfied
    assert result.reason.startswith(reason)


@pytest.mark.parametrize("raw", [LyingInt(10), Posing("10", like="1000")])
def test_a_subclass_limit_is_parsed_as_what_it_holds(raw: Any) -> None:
    value = DIM.parse(raw)
    assert value.parsed == rate(10)
    assert type(value.raw_value) in (int, str)
    assert not DIM.validate_tightening(DIM.parse(5), value)


def test_a_rule_of_int_subclasses_is_kept_as_ints() -> None:
    (count, period), *_ = RateLimit(((LyingInt(10), LyingInt(60)),)).rules
    assert (type(count), type(period)) == (int, int)
    assert (count, period) == (10, 60)


def test_a_period_name_is_read_as_the_string_it_holds() -> None:
    # Holds "second" but looks up like "day", whose cap is 864,000.
    context = {"requests_by_period": {Posing("second", like="day"): 100}}
    result = DIM.check(DIM.parse("10/second"), context)
    assert result.satisfied is False
    assert result.reason.startswith("exceeded by 90 (at most 10 per second")


def test_requests_by_period_that_cannot_be_read_fails_the_check() -> None:
    result = DIM.check(DIM.parse("10/second"), {"requests_by_period": BrokenMapping()})
    assert result.satisfied is False
    assert result.reason.startswith("requests_by_period must be a mapping that can be read")


def test_a_context_whose_reads_raise_fails_the_check() -> None:
    result = DIM.check(DIM.parse("10/second"), BrokenMapping())
    assert result.satisfied is False
    assert result.reason.startswith("context must be a mapping that can be read")


# -- counts beyond 2**53: ints compared as ints ---------------------------------------

BIG = 2**53


@pytest.mark.parametrize(
    "context",
    [
        {"requests_by_period": {"second": BIG, "minute": 60 * BIG + 1}},
        {"requests_by_period": {"minute": 60 * BIG + 1, "second": BIG}},
        {"requests_in_period": BIG, "requests_by_period": {"minute": 60 * BIG + 1}},
    ],
)
def test_a_window_over_its_cap_by_one_beyond_2_53_fails(context: dict[str, Any]) -> None:
    # As floats, (60 * 2**53 + 1) / (60 * 2**53) is 1.0: a tie with the full second.
    result = DIM.check(DIM.parse(f"{BIG}/second"), context)
    assert result.satisfied is False
    assert result.reason == f"exceeded by 1 (at most {60 * BIG} per minute, got {60 * BIG + 1})"


@pytest.mark.parametrize(
    ("parent", "child", "within"),
    [
        (f"{60 * BIG}/minute", f"{BIG}/second", True),
        (f"{60 * BIG}/minute", f"{BIG + 1}/second", False),
        (f"{60 * BIG - 1}/minute", f"{BIG}/second", False),
        (BIG, BIG + 1, False),
        (BIG + 1, BIG, True),
    ],
)
def test_tightening_beyond_2_53_is_exact(parent: Any, child: Any, within: bool) -> None:
    assert DIM.validate_tightening(DIM.parse(parent), DIM.parse(child)) is within


def test_compose_beyond_2_53_keeps_the_exact_smaller_cap() -> None:
    composed = DIM.compose([DIM.parse(BIG + 1), DIM.parse(BIG)])
    assert composed.parsed == rate(BIG)
    assert not DIM.check(composed, {"requests_in_period": BIG + 1}).satisfied


def test_the_figures_reported_beyond_2_53_are_rounded_once_from_exact_ints() -> None:
    result = DIM.check(DIM.parse(BIG + 3), {"requests_in_period": BIG + 1})
    assert result.satisfied
    assert result.remaining == 2.0  # (BIG + 3) - (BIG + 1), not float(BIG + 3) - float(BIG + 1)


def test_a_cap_beyond_the_float_range_is_reported_as_infinite() -> None:
    result = DIM.check(DIM.parse(10**400), {"requests_in_period": 5})
    assert result.satisfied
    assert (result.used, result.limit) == (5.0, math.inf)
    over = DIM.check(DIM.parse(5), {"requests_in_period": 10**5000})
    assert over.satisfied is False
    assert over.reason.startswith("exceeded by an int of 16610 bits (at most 5 per period")


def test_any_readable_mapping_is_a_context_and_an_empty_count_map_reports_nothing() -> None:
    limit = DIM.parse("10/second")
    assert DIM.check(limit, MappingProxyType({"requests_in_period": 3})).satisfied
    empty = DIM.check(limit, {"requests_by_period": {}})
    assert empty.satisfied is False
    assert empty.reason == "requests_by_period is empty: the request count is unknown"


@pytest.mark.parametrize("rule", [(5,), [5, 1], (5, 1.0), (5, True), (5, 2)])
def test_a_rule_must_be_an_exact_count_and_period(rule: Any) -> None:
    with pytest.raises(InvalidValueError, match="each rule must be"):
        RateLimit((rule,))
