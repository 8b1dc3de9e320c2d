"""Reading the time a context gives ``time_window``: exact copies, and one instant.

A ``current_time`` may be a subclass of datetime, time or str that overrides whatever a
reading would call (``astimezone``, ``time``, comparisons, ``strip``) to report another
time. Every value is therefore first copied to exactly the builtin type from its C-level
fields (the base class's own descriptors, which no override reaches); a value that is not
really one of those types, whatever its ``__class__`` says, is refused.

An aware datetime whose tzinfo is not one of the standard library's is converted to UTC
once, so a tzinfo that answers differently on every call cannot show each part of a
window a different instant.

Instants within a day of the ends of datetime's range (before 0001-01-02 or after
9999-12-30 UTC) are refused by every window: some zones cannot place them, and a window
that could would allow what another refuses for a reason that is no time of day.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, timezone

from trust._errors import InvalidValueError
from trust._exact import exact_str

EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
"""The first instant a window can allow: from here on, every zone can place an instant."""
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
"""The last instant a window can allow."""

EDGE_YEARS = (1, 9999)
"""The local years an instant near the ends can have (a UTC offset is under a day)."""
_PLAIN_ZONES = (timezone, zoneinfo.ZoneInfo)


class Unplaceable(InvalidValueError):
    """An instant no window can allow (see the module docstring)."""


def exact_datetime(value: object) -> datetime | None:
    """``value`` as an exact `datetime`, or None if it is not one."""
    kind = type(value)
    if kind is datetime:
        return value  # type: ignore[return-value]
    if not issubclass(kind, datetime):
        return None
    return datetime(
        date.year.__get__(value),
        date.month.__get__(value),
        date.day.__get__(value),
        datetime.hour.__get__(value),
        datetime.minute.__get__(value),
        datetime.second.__get__(value),
        datetime.microsecond.__get__(value),
        datetime.tzinfo.__get__(value),
        fold=datetime.fold.__get__(value),
    )


def exact_time(value: object) -> time | None:
    """``value`` as an exact `time` of day, or None if it is not one."""
    kind = type(value)
    if kind is time:
        return value  # type: ignore[return-value]
    if not issubclass(kind, time):
        return None
    return time(
        time.hour.__get__(value),
        time.minute.__get__(value),
        time.second.__get__(value),
        time.microsecond.__get__(value),
        time.tzinfo.__get__(value),
        fold=time.fold.__get__(value),
    )


def exact_moment(value: object) -> datetime | time | str | None:
    """``value`` as an exact datetime, time or str; None if it is none of them."""
    moment = exact_datetime(value)
    if moment is not None:
        return moment
    if type(value) is date or issubclass(type(value), date):
        return None  # a date has no time of day
    return exact_time(value) or exact_str(value)


def shown(moment: datetime | time) -> str:
    """``moment`` for a message, calling nothing a caller's tzinfo defines."""
    zone = moment.tzinfo
    if zone is None or zone is UTC or type(zone) in _PLAIN_ZONES:
        return repr(moment)
    return f"{moment.replace(tzinfo=None).isoformat()} (tzinfo {type(zone).__name__})"


def placed(moment: datetime) -> datetime:
    """``moment`` as an aware datetime that any window's zone can place.

    A naive datetime, or one whose tzinfo gives no offset, is read as UTC. One with a
    tzinfo of the standard library keeps it; any other is converted to UTC once.

    Raises:
        Unplaceable: ``moment`` lies within a day of the ends of datetime's range, or its
            tzinfo fails.
    """
    zone = moment.tzinfo
    if zone is not None and zone is not UTC and type(zone) not in _PLAIN_ZONES:
        return _to_utc(moment)
    if moment.year in EDGE_YEARS:
        _to_utc(moment)
    return moment if zone is not None else moment.replace(tzinfo=UTC)


def _to_utc(moment: datetime) -> datetime:
    try:
        offset = moment.utcoffset()
    except Exception as exc:  # a tzinfo is caller code: whatever it raises, refuse
        raise Unplaceable(f"its UTC offset cannot be read ({type(exc).__name__})") from None
    try:
        instant = moment.replace(tzinfo=None) - (offset or timedelta(0))
    except OverflowError:
        instant = None
    if instant is None or not EARLIEST <= instant.replace(tzinfo=UTC) <= LATEST:
        raise Unplaceable(
            "it is within a day of the ends of datetime's range, where not every zone can "
            f"place it (windows allow {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} UTC)"
        )
    return instant.replace(tzinfo=UTC)
