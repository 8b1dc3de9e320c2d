"""``rate_limit``: how many requests an agent may make per period.

Set semantics (sliding windows). ``"N/P"`` allows exactly the request histories in which
every window of length ``P`` (starting at any instant) holds at most ``N`` requests. A bare
count ``N`` is the strictest reading of "N requests, whatever the period": at most ``N`` in
any window however long, i.e. ``N`` in total. Periods are ``second`` (1 s), ``minute``
(60 s), ``hour`` (3600 s) and ``day`` (86400 s); each divides the next.

Under ``N_c/P_c``, a window of length ``L`` holds at most ``N_c * ceil(L / P_c)`` requests
(cut the window into ``ceil(L/P_c)`` pieces no longer than ``P_c``), and a history of
bursts of ``N_c`` spaced exactly ``P_c`` apart reaches that bound. So a child ``N_c/P_c``
is tighter than ``N_p/P_p`` iff ``N_c * ceil(P_p / P_c) <= N_p``: for ``P_c >= P_p`` that
is ``N_c <= N_p`` (a burst), for ``P_c < P_p`` it is ``N_c * (P_p / P_c) <= N_p``. A
periodic child is never tighter than a bare count unless its own count is 0.

Meets of different periods are not single limits (``10/second`` and ``100/minute``
together allow neither ``10/second`` nor ``100/minute`` histories alone), so a parsed
value keeps, for each window length ``L`` in (1 s, 1 min, 1 h, 1 day, unbounded), the cap
``M(L)``: the most requests any allowed history holds in one window of length ``L``. For
limits with these dividing periods ``M(L) = min_i N_i * ceil(L / P_i)`` exactly (a
periodic schedule filled greedily reaches it), and

- tightening is ``M_child(L) <= M_parent(L)`` for every ``L``: exact;
- compose is the pointwise minimum of the caps, which is again such a vector: the meet.

The canonical rules shown (``RateLimit.rules``) are the caps not implied by a neighbour.

Context: ``requests_in_period`` is the caller's count of requests in its current window;
it is compared with ``M(1 s)``, the smallest count of any rule (for ``"100/minute"`` that
is 100), which is sound whatever window the caller counts. For a composed limit, pass
``requests_by_period`` (``{"second": n, "minute": m, ...}``) to have each count compared
with the cap of its window. Counts must be non-negative ints (bools refused). A context
with neither key fails: the rate is unknown.

Counts and caps are compared as Python ints, however large, never as floats (above 2**53
two float ratios can tie when the ints do not); ``used``, ``limit`` and ``remaining`` in a
result are rounded to floats once, from the exact ints. Subclasses of int and str, in the
constraint or the context, are read as the builtin value they hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_int, exact_str
from trust.constraints._dimension import (
    ConstraintCheckResult,
    ConstraintValue,
    unchecked_result,
)
from trust.constraints._reading import read_context
from trust.constraints.builtin._lattice import BuiltinDimension
from trust.constraints.builtin._rate_counts import (
    COUNT_RULE,
    busier,
    count_of,
    period_counts,
    reported,
)

PERIODS: Mapping[str, int] = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
"""The period names accepted after ``/`` and in ``requests_by_period``, in seconds."""

WINDOWS: tuple[int | None, ...] = (1, 60, 3600, 86400, None)
"""The window lengths a `RateLimit` keeps a cap for, in seconds; None is unbounded."""

_NAME_OF = {seconds: name for name, seconds in PERIODS.items()}
_RULE = re.compile(r"\s*([0-9]+)\s*(?:/\s*([A-Za-z]+)\s*)?")
_FORMS = "a non-negative integer, 'N/second|minute|hour|day', or a comma-separated list of those"

_EXACT = 2**53
"""Counts up to this are exact as floats; the fast path of a check reports only those."""

Cap = int | None  # None: no bound
Rule = tuple[int, int | None]  # (count, period in seconds or None for a bare count)


def _burst_factor(window: int | None, period: int | None) -> int | None:
    """How many periods a window spans, rounded up (None: unboundedly many)."""
    if period is None:
        return 1
    if window is None:
        return None
    return 1 if period >= window else window // period


def caps_of(rules: Iterable[Rule]) -> tuple[Cap, ...]:
    """``M(L)`` for each window length of `WINDOWS`: the closure of ``rules``."""
    caps: list[Cap] = []
    for window in WINDOWS:
        cap: Cap = None
        for count, period in rules:
            factor = _burst_factor(window, period)
            bound = 0 if count == 0 else (None if factor is None else count * factor)
            if bound is not None and (cap is None or bound < cap):
                cap = bound
        caps.append(cap)
    return tuple(caps)


def rules_of(caps: tuple[Cap, ...]) -> tuple[Rule, ...]:
    """The caps that no neighbouring cap implies, as ``(count, period)`` rules."""
    if 0 in caps:
        return ((0, None),)
    rules: list[Rule] = []
    for index, cap in enumerate(caps):
        if cap is None:
            continue
        window, below, above = WINDOWS[index], None, None
        if index > 0 and window is not None:
            previous, shorter = caps[index - 1], WINDOWS[index - 1]
            if previous is not None and shorter is not None:
                below = previous * (window // shorter)
        if index + 1 < len(caps):
            above = caps[index + 1]
        if (below is None or cap < below) and (above is None or cap < above):
            rules.append((cap, window))
    return tuple(rules)


def _at_most(a: Cap, b: Cap) -> bool:
    return b is None or (a is not None and a <= b)


def _rules(value: object) -> tuple[Rule, ...]:
    if isinstance(value, str) or not isinstance(value, tuple) or not value:
        raise InvalidTypeError(
            f"rules must be a non-empty tuple of rules, got {check.shown(value)}"
        )
    rules: list[Rule] = []
    for rule in value:
        count = period = None
        if isinstance(rule, tuple) and len(rule) == 2:
            # Exact ints: caps are compared and multiplied, and a subclass may lie in both.
            count, period = exact_int(rule[0]), exact_int(rule[1])
        if (
            count is None
            or count < 0
            or (period is None and rule[1] is not None)
            or period not in WINDOWS
        ):
            raise InvalidValueError(
                f"each rule must be (count >= 0, period in {WINDOWS}), got {check.shown(rule)}"
            )
        rules.append((count, period))
    return rules_of(caps_of(rules))


@attrs.frozen
class RateLimit:
    """A set of request histories: those within every rule. See the module docstring.

    ``rules`` is normalised when the value is built, so equal rates are equal values.
    """

    rules: tuple[Rule, ...] = attrs.field(converter=_rules)
    caps: tuple[Cap, ...] = attrs.field(init=False, eq=False, repr=False)
    burst: int = attrs.field(init=False, eq=False, repr=False)
    """``M(1 s)``: the count ``requests_in_period`` is compared with."""
    fast_burst: int = attrs.field(init=False, eq=False, repr=False)
    """`burst` when it and every count below it are exact as floats, else -1 (no fast path)."""

    def __attrs_post_init__(self) -> None:
        caps = caps_of(self.rules)
        assert caps[0] is not None  # every rule bounds a one-second window
        object.__setattr__(self, "caps", caps)
        object.__setattr__(self, "burst", caps[0])
        object.__setattr__(self, "fast_burst", caps[0] if caps[0] <= _EXACT else -1)

    def is_within(self, other: RateLimit) -> bool:
        return all(_at_most(a, b) for a, b in zip(self.caps, other.caps, strict=True))

    def meet(self, other: RateLimit) -> RateLimit:
        caps = tuple(
            b if a is None or (b is not None and b < a) else a
            for a, b in zip(self.caps, other.caps, strict=True)
        )
        return RateLimit(rules_of(caps))

    def example_outside(self, other: RateLimit) -> str | None:
        for index, (mine, theirs) in enumerate(zip(self.caps, other.caps, strict=True)):
            if _at_most(mine, theirs):
                continue
            assert theirs is not None
            window = WINDOWS[index]
            if index == 0:
                context = f"{{'requests_in_period': {theirs + 1}}}"
            elif window is not None:
                context = f"{{'requests_by_period': {{'{_NAME_OF[window]}': {theirs + 1}}}}}"
            else:
                return f"the child allows more than {theirs} requests in total, the parent does not"
            return f"the child allows {context}, the parent does not"
        return None

    def __str__(self) -> str:
        return ", ".join(
            str(count) if period is None else f"{count}/{_NAME_OF[period]}"
            for count, period in self.rules
        )


def parse_rate(value: object) -> RateLimit:
    """A `RateLimit` from an int or a string; see the module docstring.

    Raises:
        InvalidTypeError: ``value`` is a bool, a float, or neither an int nor a string.
        InvalidValueError: The string is malformed, or a count is negative.
    """
    count = exact_int(value)
    if count is not None:
        if count < 0:
            raise InvalidValueError(
                f"Invalid rate limit count: rate_limit must be {_FORMS}, got {check.shown(value)}"
            )
        return RateLimit(((count, None),))
    text = exact_str(value)
    if text is None:
        raise InvalidTypeError(
            f"Rate limit must be int or string: rate_limit must be {_FORMS}, "
            f"got {check.shown(value)}"
        )
    rules: list[Rule] = []
    for item in text.split(","):
        match = _RULE.fullmatch(item)
        if match is None:
            raise InvalidValueError(
                f"{_malformed(item)}: rate_limit must be {_FORMS}, got {check.shown(value)}"
            )
        period_name = match.group(2).lower() if match.group(2) else None
        if period_name is not None and period_name not in PERIODS:
            raise InvalidValueError(
                f"Invalid period {check.shown(match.group(2))}: a rate_limit period must be "
                f"one of {', '.join(PERIODS)}, got {check.shown(value)}"
            )
        rules.append((int(match.group(1)), None if period_name is None else PERIODS[period_name]))
    return RateLimit(tuple(rules))


def _malformed(item: str) -> str:
    """Which part of one malformed ``N[/period]`` item is wrong, in kaizen.trust's words."""
    count, slash, period = item.partition("/")
    if not _COUNT.fullmatch(count):
        return "Invalid rate limit count" if slash else "Invalid rate limit"
    return f"Invalid period {check.shown(period.strip())}"


_COUNT = re.compile(r"\s*[0-9]+\s*")


class RateLimitDimension(BuiltinDimension[RateLimit]):
    """Request rate limits: ``100``, ``"100/minute"``, ``"10/second, 100/minute"``.

    >>> dim = RateLimitDimension()
    >>> dim.check(dim.parse("100/minute"), {"requests_in_period": 50}).remaining
    50.0
    """

    value_type = RateLimit

    @property
    def name(self) -> str:
        return "rate_limit"

    @property
    def description(self) -> str:
        return "Request rate limit (count or count/period)"

    def parse(self, value: Any) -> ConstraintValue:
        """Parse a rate; see the module docstring for the forms accepted."""
        parsed = parse_rate(value)
        # Keep the exact value parsed, not a subclass that may show something else later.
        raw = exact_str(value)
        return ConstraintValue(
            dimension=self.name, raw_value=exact_int(value) if raw is None else raw, parsed=parsed
        )

    def composed_raw(self, value: RateLimit, raws: list[Any]) -> Any:
        return str(value)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        """Pass iff every reported count is within the cap of its window."""
        if type(context) is not dict:
            read = read_context(context)
            if isinstance(read, ConstraintCheckResult):
                return read
            context = read
        rate: RateLimit = constraint.parsed
        count = context.get("requests_in_period")
        by_period = context.get("requests_by_period")
        burst = rate.fast_burst
        if by_period is None and type(count) is int and 0 <= count <= burst:
            # The common case, fast (and every figure reported is an exact float).
            return unchecked_result(True, _WITHIN, float(burst - count), float(count), float(burst))
        burst = rate.burst
        # A refusal leaves nothing to spend: remaining is 0, never None (as kaizen.trust).
        if count is None and by_period is None:
            return unchecked_result(
                False,
                "requests_in_period is missing: the request count is unknown",
                0.0,
                limit=reported(burst),
            )
        # Every count is an exact int from here on, compared as an int (never as a float).
        loads: list[tuple[int, int, str]] = []  # (used, cap, window name)
        if count is not None:
            used = count_of(count)
            if used is None:
                return unchecked_result(
                    False,
                    f"requests_in_period must be {COUNT_RULE}, got {check.shown(count)}",
                    0.0,
                    limit=reported(burst),
                )
            loads.append((used, rate.burst, "period"))
        if by_period is not None:
            counts = period_counts(by_period, PERIODS)
            if isinstance(counts, str):
                return unchecked_result(False, counts, 0.0, limit=reported(burst))
            for window, used, period_name in counts:
                cap = rate.caps[WINDOWS.index(window)]
                assert cap is not None  # every rule bounds every finite window
                loads.append((used, cap, period_name))
        if not loads:  # an empty requests_by_period reports no count at all
            return unchecked_result(
                False,
                "requests_by_period is empty: the request count is unknown",
                0.0,
                limit=reported(burst),
            )
        used, cap, window_name = loads[0]
        for candidate in loads[1:]:
            if busier(candidate[:2], (used, cap)):
                used, cap, window_name = candidate
        if used <= cap:
            return unchecked_result(
                True, _WITHIN, reported(cap - used), reported(used), reported(cap)
            )
        return unchecked_result(
            False,
            f"exceeded by {check.shown(used - cap)} (at most {check.shown(cap)} per "
            f"{window_name}, got {check.shown(used)})",
            0.0,
            reported(used),
            reported(cap),
        )


_WITHIN = "within rate limit"
