"""The UTC offsets a time zone can take, for comparing time windows across zones.

A window in ``Europe/Berlin`` allows different UTC instants in winter and in summer, and
which offsets two zones show at the same instant depends on the date. Comparing windows
across zones therefore considers every combination of every offset each zone has ever
had or will have by its current rules (a superset of the combinations that really occur
together), which is sound; it can only make the comparison stricter than necessary.

The offsets come from the zone's TZif data (every local-time type it declares, which
covers all its history) and, for its rules beyond the last transition, from sampling
``utcoffset`` daily over 2030-2049. Without TZif data, ``utcoffset`` is sampled daily over
1850-2100. Offsets that are not whole minutes contribute both roundings.

For examples, `together` lists the combinations that do occur in a sample year of the
present rules, and `instant_at` finds a real instant showing a given combination.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import struct
import zoneinfo
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

_HEADER = struct.Struct(">4sc15x6l")  # magic, version, then the six counts


def _tzif_bytes(zone: str) -> bytes | None:
    for root in zoneinfo.TZPATH:
        path = os.path.join(root, zone)
        if os.path.commonpath([root, os.path.normpath(path)]) == root and os.path.isfile(path):
            with open(path, "rb") as handle:
                return handle.read()
    try:
        resource = importlib.resources.files("tzdata").joinpath("zoneinfo", *zone.split("/"))
        return resource.read_bytes()
    except (ModuleNotFoundError, OSError):
        return None


def tzif_offsets(data: bytes) -> frozenset[int]:
    """The UTC offsets, in seconds, of every local-time type in TZif ``data``."""
    if len(data) < _HEADER.size or data[:4] != b"TZif":
        return frozenset()
    _magic, version, isut, isstd, leaps, times, types, chars = _HEADER.unpack_from(data)
    base, time_size = _HEADER.size, 4
    if version >= b"2":
        # Skip the 32-bit block; the 64-bit block that follows is complete.
        base += times * 5 + types * 6 + chars + leaps * 8 + isstd + isut
        _magic, version, isut, isstd, leaps, times, types, chars = _HEADER.unpack_from(data, base)
        base, time_size = base + _HEADER.size, 8
    first = base + times * time_size + times
    return frozenset(struct.unpack_from(">l", data, first + 6 * index)[0] for index in range(types))


def _sampled(zone: zoneinfo.ZoneInfo, first_year: int, last_year: int) -> set[int]:
    seconds: set[int] = set()
    moment = datetime(first_year, 1, 1, 12, tzinfo=UTC)
    end = datetime(last_year, 12, 31, 12, tzinfo=UTC)
    day = timedelta(days=1)
    while moment <= end:
        offset = moment.astimezone(zone).utcoffset()
        if offset is not None:
            seconds.add(int(offset.total_seconds()))
        moment += day
    return seconds


def _minutes(seconds: set[int]) -> set[int]:
    minutes = set()
    for offset in seconds:
        minutes.add(offset // 60)
        minutes.add(-(-offset // 60))
    return minutes


@functools.lru_cache(maxsize=1024)  # more than the IANA zones: none is recomputed
def current_offset_minutes(zone: str) -> frozenset[int]:
    """The UTC offsets, in minutes, ``zone``'s present rules give it (sampled 2030-2049).

    Raises:
        zoneinfo.ZoneInfoNotFoundError: ``zone`` is not a known IANA zone.
    """
    return frozenset(_minutes(_sampled(zoneinfo.ZoneInfo(zone), 2030, 2049)))


@functools.lru_cache(maxsize=1024)
def offset_minutes(zone: str) -> frozenset[int]:
    """Every UTC offset of ``zone``, in minutes (see the module docstring), plus 0.

    Zero stands for a bare time of day, which a window reads as its own local time.

    Raises:
        zoneinfo.ZoneInfoNotFoundError: ``zone`` is not a known IANA zone.
    """
    data = _tzif_bytes(zone)
    seconds = set(tzif_offsets(data)) if data else set()
    if not seconds:
        return frozenset(_minutes(_sampled(zoneinfo.ZoneInfo(zone), 1850, 2100)) | {0})
    return frozenset(_minutes(seconds) | current_offset_minutes(zone) | {0})


SAMPLE_YEAR = 2030
"""A year of the present rules, where examples of instants are looked for first."""


@functools.lru_cache(maxsize=256)
def together(
    zones: tuple[str, ...], years: range = range(SAMPLE_YEAR, SAMPLE_YEAR + 1)
) -> tuple[tuple[tuple[int, ...], date], ...]:
    """Combinations of offsets (minutes, in the order of ``zones``) seen in ``years``,
    each with the first day it was seen on.

    Sampled daily at noon UTC, each offset rounded down and up alike (as at the first and
    the last second of a minute); for examples, not verdicts.
    """
    tzs = [zoneinfo.ZoneInfo(z) for z in zones]
    seen: dict[tuple[int, ...], date] = {}
    moment = datetime(years.start, 1, 1, 12, tzinfo=UTC)
    while moment.year < years.stop:
        seconds = [_offset_seconds(moment, tz) for tz in tzs]
        seen.setdefault(tuple(s // 60 for s in seconds), moment.date())
        seen.setdefault(tuple((s + 59) // 60 for s in seconds), moment.date())
        moment += _DAY
    return tuple(seen.items())


def instant_at(minute: int, offsets: Mapping[str, int], near: date) -> datetime | None:
    """An instant at ``minute`` UTC (a minute of the day), on ``near`` or a day beside it
    (``near`` at least a day inside datetime's range), when each zone's local minute is
    ``offsets[zone]`` minutes (modulo a day) ahead.

    A zone whose offset is not whole minutes reads ahead by either rounding, depending on
    the second; the instant's second is chosen to give the one asked for. None if no such
    instant is on those days.
    """
    tzs = [(zoneinfo.ZoneInfo(z), o) for z, o in offsets.items()]
    on_day = datetime(near.year, near.month, near.day, minute // 60, minute % 60, tzinfo=UTC)
    for moment in (on_day, on_day - _DAY, on_day + _DAY):
        # Second s reads zone z as floor((s + offset) / 60) minutes ahead: keep the seconds
        # at which every zone reads the offset asked for.
        low, high = 0, 60
        for tz, wanted in tzs:
            seconds = _offset_seconds(moment, tz)
            # The representative of ``wanted`` (modulo a day) nearest this offset.
            ahead = wanted + _DAY_MINUTES * round((seconds / 60 - wanted) / _DAY_MINUTES)
            low, high = max(low, 60 * ahead - seconds), min(high, 60 * ahead - seconds + 60)
        if low < high:
            return moment + timedelta(seconds=low)
    return None


_DAY = timedelta(days=1)
_DAY_MINUTES = 1440


def _offset_seconds(moment: datetime, tz: zoneinfo.ZoneInfo) -> int:
    offset = moment.astimezone(tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0
