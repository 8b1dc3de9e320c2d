"""The conformance universe of ``time_window``: windows across zones, instants at their edges.

Values are half-open windows at the corners of the syntax (midnight crossings, one minute,
the whole day, an end at 24:00, every minute but the last, lists of windows, no zone) in
zones with whole-hour, half-hour and daylight-saving offsets, and ``all_of`` values over
several zones; every pair is composed too. Contexts are bare times of day and real
instants at the local edges of those windows in every zone, in winter and in summer, at
the daylight-saving changes, in the nineteenth century (local mean time offsets), near the
ends of datetime's range, and every form ``current_time`` takes (ISO strings, naive
datetimes, an aware time of day, a missing or unreadable time, which the dimension's
clock replaces; the clock here is fixed).
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from trust.constraints.builtin import TimeDimension
from trust.proofs.conformance._compare import Universe
from trust.proofs.conformance._scalars import Scope
from trust.proofs.twins import TimeWindowTwin

NOW = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)
"""What the fixed clock reads: half an hour before Berlin's 2025 change to summer time."""


class FixedClock:
    """A clock that always reads `NOW` (the proof run never reads the wall clock)."""

    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return 0.0


_WINDOWS = (
    "09:00-17:00",
    "22:00-06:00",
    "00:00-24:00",
    "12:00-12:01",
    "23:59-00:00",
    "00:00-23:59",
    "23:00-24:00",
    "09:00-12:00, 13:00-17:00",
    " 8:30 - 17:30 ",
)
_ZONES = ("Europe/Berlin", "Asia/Kolkata", "America/New_York")
_DEEP_ZONES = ("Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Kiritimati")
_EDGES = (
    *((8, 29), (8, 59), (9, 0), (12, 0), (12, 1), (16, 59), (17, 0), (17, 1), (17, 30)),
    *((5, 59), (6, 0), (6, 1), (21, 59), (22, 0), (22, 59), (23, 0), (23, 59), (0, 0), (0, 1)),
)
"""Local times at and beside the ends of the windows (hour, minute)."""


def _values(zones: tuple[str, ...], deep: bool) -> list[Any]:
    values: list[Any] = list(_WINDOWS[:7])
    if deep:
        values += [f"{w} {z}" for w in _WINDOWS for z in zones]
    else:
        values += [
            "09:00-17:00 Europe/Berlin",
            "22:00-06:00 Asia/Kolkata",
            "09:00-17:00 America/New_York",
            "00:00-23:59 Europe/Berlin",
            "23:00-24:00 Asia/Kolkata",
            "09:00-12:00, 13:00-17:00 Europe/Berlin",
            " 8:30 - 17:30 America/New_York",
        ]
    values += [
        {"all_of": ["09:00-17:00 Europe/Berlin", "09:00-17:00 America/New_York"]},
        {"all_of": ["08:00-20:00 Asia/Kolkata", "22:00-06:00 UTC", "00:00-23:59 Europe/Berlin"]},
    ]
    return values


def _instants(zones: tuple[str, ...], deep: bool) -> list[datetime]:
    days = [date(2025, 1, 15), date(2025, 7, 15)]
    if deep:
        days += [date(2025, 3, 30), date(2025, 10, 26), date(1890, 6, 1), date(2040, 12, 31)]
    instants = [
        datetime(d.year, d.month, d.day, h, m, tzinfo=ZoneInfo(z))
        for z in zones
        for d in days
        for h, m in _EDGES
    ]
    # Either side of the changes to summer time in Berlin and New York, and local mean time.
    instants += [
        datetime(2025, 3, 30, 0, 59, tzinfo=UTC),
        datetime(2025, 3, 30, 1, 0, tzinfo=UTC),
        datetime(2025, 3, 9, 6, 59, tzinfo=UTC),
        datetime(2025, 3, 9, 7, 0, tzinfo=UTC),
        datetime(1890, 1, 1, 8, 7, 30, tzinfo=UTC),
        datetime(1890, 1, 1, 8, 7, 0, tzinfo=ZoneInfo("Europe/Berlin")),
    ]
    return instants


def _contexts(zones: tuple[str, ...], deep: bool) -> list[dict[str, Any]]:
    contexts: list[dict[str, Any]] = [{"current_time": time(h, m)} for h, m in _EDGES]
    contexts += [{"current_time": t} for t in _instants(zones, deep)]
    contexts += [
        {},
        {"current_time": None},
        {"current_time": "soon"},
        {"current_time": "2025-07-15T09:00:00+02:00"},
        {"current_time": "2025-01-15T08:00:00"},
        {"current_time": datetime(2025, 1, 15, 16, 59)},  # naive: read as UTC
        {"current_time": datetime(2025, 1, 15, 17, 0, 59, tzinfo=UTC)},
        {"current_time": time(9, 0, tzinfo=UTC)},  # aware time of day: refused
        {"current_time": 540},
        {"current_time": datetime(1, 1, 1, 9, 0, tzinfo=UTC)},
        {"current_time": datetime.max.replace(tzinfo=UTC) - timedelta(hours=1)},
    ]
    return contexts


@functools.cache
def time_scope(deep: bool) -> Scope:
    """Windows x zones x all_of, every composed pair; instants at every local edge."""
    zones = _ZONES + (_DEEP_ZONES if deep else ())
    values = _values(zones, deep)
    contexts = _contexts(zones, deep)
    return Scope(
        universe=Universe(
            dimension=TimeDimension(clock=FixedClock()),
            values=tuple(values),
            contexts=tuple(contexts),
            twin=lambda parsed: TimeWindowTwin.for_values(parsed, NOW),
            tightening_composed=60 if deep else 20,
            ordered_pairs=deep,
        ),
        bound=(
            f"{len(values)} windows (half-open: midnight crossings, one minute, the whole "
            f"day, an end at 24:00, lists, no zone) in UTC and {list(zones)}, all_of over "
            f"several zones, and every composed pair, x {len(contexts)} contexts (times of "
            "day and instants at every local edge in each zone in winter and summer, "
            "daylight-saving changes, local mean time, ISO strings, naive, unreadable or "
            "missing: the fixed clock); the zones' offset tables and the placing of instants "
            "are the runtime's"
        ),
    )
