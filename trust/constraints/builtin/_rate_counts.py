"""How a ``rate_limit`` check reads the counts a context reports, exactly, as ints.

A count is a non-negative int (a subclass is read as the int it holds; bools, floats and
strings are refused); ``requests_by_period`` maps period names to counts and is read once.
Loads are compared by cross-multiplying ints, and only what a result reports is rounded to
a float.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from trust import _validators as check
from trust._exact import exact_int, exact_str, snapshot
from trust._shown import describe_error

COUNT_RULE = "a non-negative integer"


def count_of(value: object) -> int | None:
    """``value`` as the exact int it holds if it is a count, else None."""
    count = exact_int(value)
    return count if count is not None and count >= 0 else None


def busier(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether ``used / cap`` is higher for ``a = (used, cap)`` than for ``b``, exactly.

    Cross-multiplied in ints: as floats, two ratios above 2**53 can tie (60 * 2**53 + 1
    over 60 * 2**53 rounds to 1.0), and a window over its cap could hide behind one
    exactly at its cap. A cap of 0 makes any use infinitely busy.
    """
    (used_a, cap_a), (used_b, cap_b) = _finite(a), _finite(b)
    return used_a * cap_b > used_b * cap_a


def _finite(load: tuple[int, int]) -> tuple[int, int]:
    used, cap = load
    if cap:
        return load
    return (1, 0) if used else (0, 1)




def period_counts(
    by_period: object, periods: Mapping[str, int]
) -> list[tuple[int, int, str]] | str:
    """``requests_by_period`` as (window, count, period name) read once, or why it fails.

    ``periods`` maps the period names to their windows in seconds.
    """
    if not isinstance(by_period, Mapping):
        return (
            "requests_by_period must be a mapping of period name to count, "
            f"got {check.shown(by_period)}"
        )
    try:
        items = snapshot(by_period)
    except Exception as exc:
        return (
            "requests_by_period must be a mapping that can be read, got "
            f"{check.shown(by_period)}, whose reads raised {describe_error(exc)}"
        )
    assert items is not None  # a Mapping always has a snapshot
    counts: list[tuple[int, int, str]] = []
    for period_name, reported in items.items():
        # The exact name: a str subclass could hash and compare like another period.
        name = exact_str(period_name)
        window = None if name is None else periods.get(name)
        used = count_of(reported)
        if window is None or used is None:
            return (
                f"requests_by_period must map {sorted(periods)} to {COUNT_RULE}, "
                f"got {check.shown(period_name)}: {check.shown(reported)}"
            )
        counts.append((window, used, name))  # type: ignore[arg-type]
    return counts



def reported(count: int) -> float:
    """A count as the float a result reports: the nearest one, or inf past the float range.

    Only what is reported is rounded; every verdict above compares the ints themselves.
    """
    try:
        return float(count)
    except OverflowError:
        return math.inf
