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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints._dimension import ConstraintCheckResult, ConstraintValue, trusted_result
from trust.constraints.builtin._lattice import BuiltinDimension, is_plain_int, not_a_mapping

PERIODS: Mapping[str, int] = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
"""The period names accepted after ``/`` and in ``requests_by_period``, in seconds."""

WINDOWS: tuple[int | None, ...] = (1, 60, 3600, 86400, None)
"""The window lengths a `RateLimit` keeps a cap for, in seconds; None is unbounded."""

_NAME_OF = {seconds: name for name, seconds in PERIODS.items()}
_RULE = re.compile(r"\s*([0-9]+)\s*(?:/\s*([A-Za-z]+)\s*)?")
_FORMS = "a non-negative integer, 'N/second|minute|hour|day', or a comma-separated list of those"

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
    for rule in value:
        if (
            not isinstance(rule, tuple)
            or len(rule) != 2
            or not is_plain_int(rule[0])
            or rule[0] < 0
            or rule[1] not in WINDOWS
        ):
            raise InvalidValueError(
                f"each rule must be (count >= 0, period in {WINDOWS}), got {check.shown(rule)}"
            )
    return rules_of(caps_of(value))


@attrs.frozen
class RateLimit:
    """A set of request histories: those within every rule. See the module docstring.

    ``rules`` is normalised when the value is built, so equal rates are equal values.
    """

    rules: tuple[Rule, ...] = attrs.field(converter=_rules)
    caps: tuple[Cap, ...] = attrs.field(init=False, eq=False, repr=False)
    burst: int = attrs.field(init=False, eq=False, repr=False)
    """``M(1 s)``: the count ``requests_in_period`` is compared with."""

    def __attrs_post_init__(self) -> None:
        caps = caps_of(self.rules)
        assert caps[0] is not None  # every rule bounds a one-second window
        object.__setattr__(self, "caps", caps)
        object.__setattr__(self, "burst", caps[0])

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
    if is_plain_int(value):
        if value < 0:  # type: ignore[operator]
            raise InvalidValueError(f"rate_limit must be {_FORMS}, got {check.shown(value)}")
        return RateLimit(((value, None),))
    if not isinstance(value, str):
        raise InvalidTypeError(f"rate_limit must be {_FORMS}, got {check.shown(value)}")
    rules: list[Rule] = []
    for item in value.split(","):
        match = _RULE.fullmatch(item)
        period_name = match.group(2).lower() if match and match.group(2) else None
        if match is None or (period_name is not None and period_name not in PERIODS):
            raise InvalidValueError(f"rate_limit must be {_FORMS}, got {check.shown(value)}")
        rules.append((int(match.group(1)), None if period_name is None else PERIODS[period_name]))
    return RateLimit(tuple(rules))


_COUNT_RULE = "a non-negative integer"


def _count(value: object) -> int | None:
    return value if is_plain_int(value) and value >= 0 else None  # type: ignore[operator,return-value]


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
        return ConstraintValue(dimension=self.name, raw_value=value, parsed=parse_rate(value))

    def composed_raw(self, value: RateLimit, raws: list[Any]) -> Any:
        return str(value)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        """Pass iff every reported count is within the cap of its window."""
        if context.__class__ is not dict:
            bad = not_a_mapping(context)
            if bad is not None:
                return bad
        rate: RateLimit = constraint.parsed
        count = context.get("requests_in_period")
        by_period = context.get("requests_by_period")
        burst = rate.burst
        if by_period is None and count.__class__ is int and 0 <= count <= burst:
            # The common case, fast.
            return trusted_result(True, _WITHIN, float(burst - count), float(count), float(burst))
        if count is None and by_period is None:
            return trusted_result(
                False,
                "requests_in_period is missing: the request count is unknown",
                limit=float(rate.burst),
            )
        worst: tuple[float, int, int, str] | None = None  # (ratio, used, cap, window)
        if count is not None:
            used = _count(count)
            if used is None:
                return trusted_result(
                    False, f"requests_in_period must be {_COUNT_RULE}, got {check.shown(count)}"
                )
            worst = (_ratio(used, rate.burst), used, rate.burst, "period")
        if by_period is not None:
            if not isinstance(by_period, Mapping):
                return trusted_result(
                    False,
                    "requests_by_period must be a mapping of period name to count, "
                    f"got {check.shown(by_period)}",
                )
            for period_name, reported in by_period.items():
                window = PERIODS.get(period_name) if isinstance(period_name, str) else None
                used = _count(reported)
                if window is None or used is None:
                    return trusted_result(
                        False,
                        f"requests_by_period must map {sorted(PERIODS)} to {_COUNT_RULE}, "
                        f"got {check.shown(period_name)}: {check.shown(reported)}",
                    )
                cap = rate.caps[WINDOWS.index(window)]
                assert cap is not None  # every rule bounds every finite window
                candidate = (_ratio(used, cap), used, cap, period_name)
                if worst is None or candidate[0] > worst[0]:
                    worst = candidate
        if worst is None:  # an empty requests_by_period reports no count at all
            return trusted_result(
                False,
                "requests_by_period is empty: the request count is unknown",
                limit=float(rate.burst),
            )
        _ratio_value, used, cap, window_name = worst
        if used <= cap:
            return trusted_result(True, _WITHIN, float(cap - used), float(used), float(cap))
        return trusted_result(
            False,
            f"exceeded by {used - cap} (at most {cap} per {window_name}, got {used})",
            0.0,
            float(used),
            float(cap),
        )


_WITHIN = "within rate limit"


def _ratio(used: int, cap: int) -> float:
    if cap == 0:
        return float("inf") if used else 0.0
    return used / cap
