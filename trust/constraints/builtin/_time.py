"""``time_window``: when, in local time of day, an agent may act.

Syntax: ``"HH:MM-HH:MM"``, or several separated by commas (their union), optionally
followed by an IANA zone: ``"09:00-12:00, 13:00-17:00 Europe/Berlin"``. Without a zone
the window is in UTC. ``H:MM`` is accepted too; hours run 0-23, minutes 0-59, and an end
may also be ``24:00`` (the end of the day). A window whose start is after its end crosses
midnight (``"22:00-06:00"``); one whose start equals its end is empty, and refused.
``{"all_of": [...]}`` (the form compose produces) is the intersection of its windows.

Set semantics: a window in zone ``Z`` is a set of minutes of the day, half-open
``[start, end)`` as people read "from nine until five": ``"09:00-17:00"`` allows 16:59:59
and refuses 17:00, ``"22:00-06:00"`` allows 05:59:59 and refuses 06:00, and
``"00:00-24:00"`` is the whole day. The context's time is read as follows:

- an aware datetime is converted to ``Z``; a naive datetime is read as UTC;
- a time of day (``datetime.time``, naive) is used as given, as local time in ``Z``; an
  aware time of day fails, since it cannot be placed in ``Z`` without a date;
- an ISO 8601 string is read as a datetime;
- a subclass of datetime, time or str is read as the value it holds, whatever it
  overrides; an instant within a day of the ends of datetime's range fails (see
  `trust.constraints.builtin._moment`);
- a missing ``current_time``, None, or a string that does not parse: the dimension's
  clock (injectable: ``TimeDimension(clock=...)``);
- any other type fails.

A `TimeWindows` value is an intersection of such minute sets, at most one per zone and at
most `MAX_ZONES` zones (the zone budget: past it, a ValueError at parse or compose time).
Compose is exact intersection. Tightening is decided over contexts that are a UTC minute
of the day together with one UTC offset per zone, each any offset that zone has ever had
or will have by its current rules, 0 included (all offsets 0 is how a bare time of day
reads): every instant and every time of day is one, so the verdict is sound. Within one
zone it is exact set inclusion; across zones it is stricter than necessary only for
combinations of offsets that never occur together. See
`trust.constraints.builtin._window_inclusion` for how, in time linear in the offsets.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, time
from typing import Any

import attrs

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_int, exact_str, snapshot
from trust.constraints._dimension import ConstraintCheckResult, ConstraintValue, unchecked_result
from trust.constraints.builtin._lattice import (
    ALL_OF,
    BuiltinDimension,
    all_of_items,
    not_a_mapping,
)
from trust.constraints.builtin._moment import (
    Unplaceable,
    exact_moment,
    placed,
    shown,
)
from trust.constraints.builtin._window_inclusion import (
    FULL,
    MINUTES,
    Masks,
    escape,
    example_outside,
    intervals_of,
)

CONTEXT_KEY = "current_time"
MAX_ZONES = 8
"""The zone budget: the most zones one `TimeWindows` value may span."""


class TooManyZones(InvalidValueError):
    """A value would span more zones than `MAX_ZONES`."""


_WINDOW = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")
_FORM = "'HH:MM-HH:MM[, HH:MM-HH:MM ...] [IANA zone]'"


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _zone(value: object) -> str:
    zone = exact_str(value)
    if zone is None:
        raise InvalidTypeError(f"zone must be a string, got {check.shown(value)}")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidValueError(
            f"time_window zone must be an IANA time zone name, got {check.shown(zone)}"
        ) from None
    return zone


def _mask(value: object) -> int:
    mask = exact_int(value)
    if mask is None or not 0 <= mask <= FULL:
        raise InvalidValueError(f"mask must be an int of {MINUTES} bits, got {check.shown(value)}")
    return mask


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
        """The windows in the syntax `parse_windows` reads back: half-open, ``24:00`` an end."""
        runs = self.intervals
        if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == MINUTES - 1:
            runs = (*runs[1:-1], (runs[-1][0], runs[0][1]))  # show a midnight crossing as one
        text = ", ".join(f"{_hhmm(a)}-{_hhmm(b + 1)}" for a, b in runs) or "never"
        return f"{text} {self.zone}"


def _parts(value: object) -> tuple[ZoneWindow, ...]:
    # The tuple's own iterator and exact ZoneWindows: a subclass cannot show other parts
    # to the check than to the normalisation.
    parts = tuple(tuple.__iter__(value)) if isinstance(value, tuple) else None
    if parts is None or not all(type(p) is ZoneWindow for p in parts):
        raise InvalidTypeError(f"parts must be a tuple of ZoneWindow, got {check.shown(value)}")
    by_zone: dict[str, int] = {}
    for part in parts:
        by_zone[part.zone] = by_zone.get(part.zone, FULL) & part.mask
    if 0 in by_zone.values():
        return (ZoneWindow("UTC", 0),)
    kept = tuple(ZoneWindow(z, m) for z, m in sorted(by_zone.items()) if m != FULL)
    if len(kept) > MAX_ZONES:
        raise TooManyZones(
            f"a time_window value must span at most {MAX_ZONES} zones (the zone budget), got "
            f"{len(kept)}: {', '.join(p.zone for p in kept)}"
        )
    return kept or (ZoneWindow("UTC", FULL),)


@attrs.frozen
class TimeWindows:
    """The instants (and bare times of day) every part allows; normalised when built."""

    parts: tuple[ZoneWindow, ...] = attrs.field(converter=_parts)

    def is_within(self, other: TimeWindows) -> bool:
        return escape(self.masks, other.masks) is None

    def meet(self, other: TimeWindows) -> TimeWindows:
        return TimeWindows(self.parts + other.parts)

    def example_outside(self, other: TimeWindows) -> str | None:
        return example_outside(self.masks, other.masks, CONTEXT_KEY)

    @property
    def masks(self) -> Masks:
        """Each part's zone and mask."""
        return tuple((part.zone, part.mask) for part in self.parts)

    def __str__(self) -> str:
        return " and ".join(str(part) for part in self.parts)


def _window_mask(text: str, raw: object) -> int:
    """The minutes ``[start, end)`` of one ``HH:MM-HH:MM`` window, across midnight if need be."""
    match = _WINDOW.fullmatch(text)
    if match is None:
        raise InvalidValueError(
            f"Invalid time window format: time_window must be {_FORM}, got {check.shown(raw)}"
        )
    start_h, start_m, end_h, end_m = (int(g) for g in match.groups())
    if start_h > 23 or start_m > 59:
        raise InvalidValueError(
            f"Invalid start time {start_h:02d}:{start_m:02d}: a time_window start must be "
            f"00:00-23:59, got {check.shown(raw)}"
        )
    if (end_h, end_m) != (24, 0) and (end_h > 23 or end_m > 59):
        raise InvalidValueError(
            f"Invalid end time {end_h:02d}:{end_m:02d}: a time_window end must be "
            f"00:00-24:00, got {check.shown(raw)}"
        )
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start == end:
        raise InvalidValueError(
            f"time_window windows must not be empty (a start equal to its end allows no "
            f"minute; the whole day is 00:00-24:00), got {check.shown(raw)}"
        )
    if start < end:
        return ((1 << end) - 1) ^ ((1 << start) - 1)
    return FULL ^ (((1 << start) - 1) ^ ((1 << end) - 1))


def parse_windows(value: object) -> TimeWindows:
    """A `TimeWindows` from the string form; see the module docstring.

    Raises:
        InvalidTypeError: ``value`` is not a string.
        InvalidValueError: The string is malformed or names an unknown zone.
    """
    raw = exact_str(value)
    if raw is None:
        raise InvalidTypeError(
            f"Time window must be a string: time_window must be {_FORM}, got {check.shown(value)}"
        )
    text, zone = raw.strip(), "UTC"
    head, _, last = text.rpartition(" ")
    if head and ":" not in last:
        text, zone = head, last
    mask = 0
    for window in text.split(","):
        mask |= _window_mask(window, raw)
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
        """Parse a window string or ``{"all_of": [...]}``.

        Raises:
            InvalidTypeError: ``value`` is neither.
            InvalidValueError: A window is malformed, names an unknown zone, or the value
                spans more than `MAX_ZONES` zones.
        """
        read = snapshot(value)  # a mapping is read once, so the value and its raw agree
        if read is not None:
            items = all_of_items(read)
            if items is not None:
                try:
                    return self.parse_all_of({ALL_OF: items})
                except TooManyZones as exc:
                    raise TooManyZones(f"{exc}; in {check.shown(read)}") from None
        raw = exact_str(value)  # a str subclass is read as the characters it holds
        parsed = parse_windows(value if raw is None else raw)
        return ConstraintValue(dimension=self.name, raw_value=raw, parsed=parsed)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        """Pass iff the context's time of day is in every part of the window."""
        if type(context) is not dict:
            bad = not_a_mapping(context)
            if bad is not None:
                return bad
        windows: TimeWindows = constraint.parsed
        current: Any = context.get(CONTEXT_KEY)  # narrowed by its exact type below
        note = ""
        kind = type(current)
        if kind is not datetime and kind is not time:
            current, note = self._read(current)
            kind = type(current)
        if kind is datetime:
            zone = current.tzinfo
            if (zone is None or zone is UTC) and 1 < current.year < 9999:
                # The common case, inline: the fields are UTC already, and far from the ends
                # of the range every zone can place the instant.
                aware = None
                for part in windows.parts:
                    if part.zone == "UTC":
                        minute = current.hour * 60 + current.minute
                    else:
                        if aware is None:
                            aware = current if zone is UTC else current.replace(tzinfo=UTC)
                        local = aware.astimezone(part.tz)
                        minute = local.hour * 60 + local.minute
                    if not (part.mask >> minute) & 1:
                        return _outside_window(minute, part, windows, note)
                return unchecked_result(True, _WITHIN + note) if note else _PASSED
            return _check_placed(windows, current, note)
        if kind is time:
            return _check_time_of_day(windows, current, note)
        return unchecked_result(
            False,
            f"{CONTEXT_KEY} must be a datetime, a time or an ISO 8601 string, "
            f"got {check.shown(current)}",
        )

    def _read(self, current: object) -> tuple[Any, str]:
        """An exact datetime or time for ``current``, the clock's, or ``current`` to refuse."""
        moment = current if type(current) is str else exact_moment(current)
        if type(moment) is str:
            try:
                return datetime.fromisoformat(moment), ""
            except ValueError:
                unreadable = f" (unreadable {CONTEXT_KEY} {check.shown(moment)}: used the clock)"
                return exact_moment(self._clock.now()), unreadable
        if moment is None:
            return (exact_moment(self._clock.now()), "") if current is None else (current, "")
        return moment, ""


def _check_placed(windows: TimeWindows, current: datetime, note: str) -> ConstraintCheckResult:
    """`TimeDimension.check` of any other datetime: placed first (see `placed`)."""
    try:
        aware = placed(current)
        for part in windows.parts:
            local = aware.astimezone(part.tz)
            minute = local.hour * 60 + local.minute
            if not (part.mask >> minute) & 1:
                return _outside_window(minute, part, windows, note)
    except (Unplaceable, OverflowError, ValueError) as exc:
        return unchecked_result(
            False, f"{CONTEXT_KEY} {shown(current)} cannot be placed in the window's zone: {exc}"
        )
    return unchecked_result(True, _WITHIN + note) if note else _PASSED


def _check_time_of_day(windows: TimeWindows, current: time, note: str) -> ConstraintCheckResult:
    if current.tzinfo is not None:
        return unchecked_result(
            False,
            f"{CONTEXT_KEY} must be a datetime or a naive time of day; an aware time "
            f"of day cannot be placed in a zone without a date, got {shown(current)}",
        )
    minute = current.hour * 60 + current.minute
    for part in windows.parts:
        if not (part.mask >> minute) & 1:
            return _outside_window(minute, part, windows, note)
    return unchecked_result(True, _WITHIN + note) if note else _PASSED


_WITHIN = "within time window"
_PASSED = unchecked_result(True, _WITHIN)


def _outside_window(
    minute: int, part: ZoneWindow, windows: TimeWindows, note: str
) -> ConstraintCheckResult:
    return unchecked_result(
        False, f"outside time window: {_hhmm(minute)} {part.zone} is not in {windows}{note}"
    )
