"""``time_window``: when, in local time of day, an agent may act.

Syntax: ``"HH:MM-HH:MM"``, or several separated by commas (their union), optionally
followed by an IANA zone: ``"09:00-12:00, 13:00-17:00 Europe/Berlin"``. Without a zone
the window is in UTC. ``H:MM`` is accepted too; hours run 0-23, minutes 0-59. A window
whose start is after its end crosses midnight (``"22:00-06:00"``). ``{"all_of": [...]}``
(the form compose produces) is the intersection of its windows.

Set semantics: a window in zone ``Z`` is a set of minutes of the day, and both ends are
whole minutes included, so ``"09:00-17:00"`` allows 17:00:59 and ``"00:00-23:59"`` is the
whole day. The context's time is read as follows:

- an aware datetime is converted to ``Z``; a naive datetime is read as UTC;
- a time of day (``datetime.time``, naive) is used as given, as local time in ``Z``; an
  aware time of day fails, since it cannot be placed in ``Z`` without a date;
- an ISO 8601 string is read as a datetime;
- a missing ``current_time``, None, or a string that does not parse: the dimension's
  clock (injectable: ``TimeDimension(clock=...)``);
- any other type fails.

A `TimeWindows` value is an intersection of such minute sets, at most one per zone.
Within one zone tightening is exact set inclusion and compose exact intersection. Across
zones a child must be tighter for every combination of the zones' UTC offsets (see
`trust.constraints.builtin._zones`) and also as a bare time of day; that is sound, and
stricter than necessary only for combinations of offsets that never occur together.
"""

from __future__ import annotations

import functools
import itertools
import re
import zoneinfo
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any

import attrs

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints._dimension import ConstraintCheckResult, ConstraintValue, trusted_result
from trust.constraints.builtin._lattice import BuiltinDimension, all_of_items, not_a_mapping
from trust.constraints.builtin._zones import offset_minutes

MINUTES = 1440
FULL = (1 << MINUTES) - 1
CONTEXT_KEY = "current_time"

_WINDOW = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")
_FORM = "'HH:MM-HH:MM[, HH:MM-HH:MM ...] [IANA zone]'"


def rotate(mask: int, offset: int) -> int:
    """The UTC minutes whose local minute, ``offset`` minutes ahead, is in ``mask``."""
    shift = offset % MINUTES
    return ((mask >> shift) | (mask << (MINUTES - shift))) & FULL


def intervals_of(mask: int) -> tuple[tuple[int, int], ...]:
    """The maximal runs of set bits, as inclusive (first, last) minutes."""
    runs: list[tuple[int, int]] = []
    offset = 0
    while mask:
        skip = (mask & -mask).bit_length() - 1
        mask >>= skip
        offset += skip
        length = (mask ^ (mask + 1)).bit_length() - 1
        runs.append((offset, offset + length - 1))
        mask >>= length
        offset += length
    return tuple(runs)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _zone(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidTypeError(f"zone must be a string, got {check.shown(value)}")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidValueError(
            f"time_window zone must be an IANA time zone name, got {check.shown(value)}"
        ) from None
    return value


def _mask(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= FULL:
        raise InvalidValueError(f"mask must be an int of {MINUTES} bits, got {check.shown(value)}")
    return value


@attrs.frozen
class ZoneWindow:
    """The minutes of the day, local to ``zone``, a window allows (bit ``m`` = minute ``m``)."""

    zone: str = attrs.field(converter=_zone)
    mask: int = attrs.field(converter=_mask)
    tz: zoneinfo.ZoneInfo = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "tz", zoneinfo.ZoneInfo(self.zone))

    @property
    def intervals(self) -> tuple[tuple[int, int], ...]:
        return intervals_of(self.mask)

    def __str__(self) -> str:
        runs = self.intervals
        if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == MINUTES - 1:
            runs = (*runs[1:-1], (runs[-1][0], runs[0][1]))  # show a midnight crossing as one
        text = ", ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in runs) or "never"
        return f"{text} {self.zone}"


def _parts(value: object) -> tuple[ZoneWindow, ...]:
    if not isinstance(value, tuple) or not all(isinstance(p, ZoneWindow) for p in value):
        raise InvalidTypeError(f"parts must be a tuple of ZoneWindow, got {check.shown(value)}")
    by_zone: dict[str, int] = {}
    for part in value:
        by_zone[part.zone] = by_zone.get(part.zone, FULL) & part.mask
    if 0 in by_zone.values():
        return (ZoneWindow("UTC", 0),)
    kept = tuple(ZoneWindow(z, m) for z, m in sorted(by_zone.items()) if m != FULL)
    return kept or (ZoneWindow("UTC", FULL),)


@attrs.frozen
class TimeWindows:
    """The instants (and bare times of day) every part allows; normalised when built."""

    parts: tuple[ZoneWindow, ...] = attrs.field(converter=_parts)

    def is_within(self, other: TimeWindows) -> bool:
        return _outside(self, other) is None

    def meet(self, other: TimeWindows) -> TimeWindows:
        return TimeWindows(self.parts + other.parts)

    def example_outside(self, other: TimeWindows) -> str | None:
        found = _outside(self, other)
        if found is None:
            return None
        minute, offsets = found
        if not any(offsets.values()):
            example = f"{{'{CONTEXT_KEY}': datetime.time({minute // 60}, {minute % 60})}}"
            return f"the child allows {example}, the parent does not"
        clocks = ", ".join(
            f"{zone} is at UTC{'+' if o >= 0 else '-'}{_hhmm(abs(o))}"
            for zone, o in offsets.items()
        )
        return (
            f"the child allows an instant at {_hhmm(minute)} UTC when {clocks}; the parent does not"
        )

    def __str__(self) -> str:
        return " and ".join(str(part) for part in self.parts)


@functools.lru_cache(maxsize=2048)
def _outside(inner: TimeWindows, outer: TimeWindows) -> tuple[int, dict[str, int]] | None:
    """A UTC minute and zone offsets at which ``inner`` allows and ``outer`` refuses."""
    zones = sorted({p.zone for p in inner.parts + outer.parts})
    choices = [[0] if len(zones) == 1 else sorted(offset_minutes(z)) for z in zones]
    for combination in itertools.product(*choices):
        offsets = dict(zip(zones, combination, strict=True))
        allowed = FULL
        for part in inner.parts:
            allowed &= rotate(part.mask, offsets[part.zone])
        for part in outer.parts:
            allowed &= ~rotate(part.mask, offsets[part.zone])
        if allowed:
            return (allowed & -allowed).bit_length() - 1, offsets
    return None


def _window_mask(text: str, raw: object) -> int:
    match = _WINDOW.fullmatch(text)
    if match is None:
        raise InvalidValueError(f"time_window must be {_FORM}, got {check.shown(raw)}")
    start_h, start_m, end_h, end_m = (int(g) for g in match.groups())
    if start_h > 23 or end_h > 23 or start_m > 59 or end_m > 59:
        raise InvalidValueError(
            f"time_window hours must be 0-23 and minutes 0-59, got {check.shown(raw)}"
        )
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start <= end:
        return ((1 << (end + 1)) - 1) ^ ((1 << start) - 1)
    return FULL ^ (((1 << start) - 1) ^ ((1 << (end + 1)) - 1))


def parse_windows(value: object) -> TimeWindows:
    """A `TimeWindows` from the string form; see the module docstring.

    Raises:
        InvalidTypeError: ``value`` is not a string.
        InvalidValueError: The string is malformed or names an unknown zone.
    """
    if not isinstance(value, str):
        raise InvalidTypeError(f"time_window must be {_FORM}, got {check.shown(value)}")
    text, zone = value.strip(), "UTC"
    head, _, last = text.rpartition(" ")
    if head and ":" not in last:
        text, zone = head, last
    mask = 0
    for window in text.split(","):
        mask |= _window_mask(window, value)
    return TimeWindows((ZoneWindow(_zone(zone), mask),))


class TimeDimension(BuiltinDimension[TimeWindows]):
    """Allowed time windows in ``"HH:MM-HH:MM"`` format, with an optional IANA zone.

    Args:
        clock: Where the time comes from when the context gives none (default: the
            system clock).
    """

    value_type = TimeWindows

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = resolve_clock(clock)

    @property
    def name(self) -> str:
        return "time_window"

    @property
    def description(self) -> str:
        return "Allowed time window in HH:MM-HH:MM format"

    def parse(self, value: Any) -> ConstraintValue:
        """Parse a window string or ``{"all_of": [...]}``."""
        if isinstance(value, Mapping) and all_of_items(value) is not None:
            return self.parse_all_of(value)
        return ConstraintValue(dimension=self.name, raw_value=value, parsed=parse_windows(value))

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        """Pass iff the context's time of day is in every part of the window."""
        if context.__class__ is not dict:
            bad = not_a_mapping(context)
            if bad is not None:
                return bad
        windows: TimeWindows = constraint.parsed
        current = context.get(CONTEXT_KEY)
        note = ""
        if isinstance(current, str):
            try:
                current = datetime.fromisoformat(current)
            except ValueError:
                note = f" (unreadable {CONTEXT_KEY} {check.shown(current)}: used the clock)"
                current = None
        if current is None:
            current = self._clock.now()
        if isinstance(current, datetime):
            # A naive datetime is UTC already: UTC windows read it as it is.
            as_utc = current if current.tzinfo is None or current.tzinfo is UTC else None
            try:
                for part in windows.parts:
                    if part.zone == "UTC" and as_utc is not None:
                        local = as_utc
                    else:
                        local = _aware(current).astimezone(part.tz)
                    minute = local.hour * 60 + local.minute
                    if not (part.mask >> minute) & 1:
                        return _outside_window(minute, part, windows, note)
            except (OverflowError, ValueError) as exc:
                return trusted_result(
                    False, f"{CONTEXT_KEY} {current!r} cannot be placed in the window's zone: {exc}"
                )
            return trusted_result(True, _WITHIN + note) if note else _PASSED
        if isinstance(current, time):
            if current.tzinfo is not None:
                return trusted_result(
                    False,
                    f"{CONTEXT_KEY} must be a datetime or a naive time of day; an aware time "
                    f"of day cannot be placed in a zone without a date, got {check.shown(current)}",
                )
            minute = current.hour * 60 + current.minute
            for part in windows.parts:
                if not (part.mask >> minute) & 1:
                    return _outside_window(minute, part, windows, note)
            return _PASSED
        return trusted_result(
            False,
            f"{CONTEXT_KEY} must be a datetime, a time or an ISO 8601 string, "
            f"got {check.shown(current)}",
        )


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment


_WITHIN = "within time window"
_PASSED = trusted_result(True, _WITHIN)


def _outside_window(
    minute: int, part: ZoneWindow, windows: TimeWindows, note: str
) -> ConstraintCheckResult:
    return trusted_result(
        False, f"{_hhmm(minute)} {part.zone} is outside the time window ({windows}){note}"
    )
