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
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import struct
import zoneinfo
from datetime import UTC, datetime, timedelta

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


@functools.lru_cache(maxsize=512)
def offset_minutes(zone: str) -> frozenset[int]:
    """Every UTC offset of ``zone``, in minutes (see the module docstring), plus 0.

    Zero stands for a bare time of day, which a window reads as its own local time.

    Raises:
        zoneinfo.ZoneInfoNotFoundError: ``zone`` is not a known IANA zone.
    """
    tz = zoneinfo.ZoneInfo(zone)
    data = _tzif_bytes(zone)
    seconds = set(tzif_offsets(data)) if data else set()
    seconds |= _sampled(tz, 2030, 2049) if seconds else _sampled(tz, 1850, 2100)
    minutes = {0}
    for offset in seconds:
        minutes.add(offset // 60)
        minutes.add(-(-offset // 60))
    return frozenset(minutes)
