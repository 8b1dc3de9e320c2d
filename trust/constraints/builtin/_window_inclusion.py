"""Whether one ``time_window`` value lies within another, across zones: minute masks.

A value is a tuple of (zone, mask) parts, at most one per zone, where bit ``m`` of a
mask is local minute ``m`` of the day in that zone; it allows the instants at which
every zone's local minute is in its mask. Comparing values across zones considers
contexts that are a UTC minute of the day together with one UTC offset per zone, each
any offset that zone takes (`trust.constraints.builtin._zones.offset_minutes`, 0 for a
bare time of day), chosen independently of the others.

Because the offsets are independent, the child escapes the parent iff it escapes
through one of the parent's zones ``Z``: at some UTC minute, some offset of ``Z`` puts
the child in and the parent out there, while every other zone has an offset that puts
the child in. Each of those is a union of rotated masks, so the decision takes time
linear in the offsets rather than in their product (the z3 twin in
`proofs.twins.time_window` proves it is inclusion).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from trust.constraints.builtin._zones import instant_at, offset_minutes, together

MINUTES = 1440
FULL = (1 << MINUTES) - 1

Masks = tuple[tuple[str, int], ...]
"""A value's (zone, mask) parts, at most one per zone."""


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


def escape(inner: Masks, outer: Masks) -> tuple[int, dict[str, int]] | None:
    """A UTC minute and zone offsets at which ``inner`` allows and ``outer`` refuses."""
    return _escape(inner, outer, offset_minutes)


def example_outside(inner: Masks, outer: Masks, key: str) -> str | None:
    """Something ``inner`` allows and ``outer`` refuses, for a message; None if nothing.

    The verdict is `escape`'s; the example is the clearest there is: a bare time of day,
    else a real instant of the present rules, else the offsets that let the child out
    (which may never occur together).
    """
    found = _escape(inner, outer, _no_offset)
    if found is None:
        instant = _instant_outside(inner, outer)
        if instant is not None:
            return f"the child allows {{'{key}': {instant!r}}}, the parent does not"
        found = escape(inner, outer)
    if found is None:
        return None
    minute, offsets = found
    if not any(offsets.values()):
        example = f"{{'{key}': datetime.time({minute // 60}, {minute % 60})}}"
        return f"the child allows {example}, the parent does not"
    clocks = ", ".join(
        f"{zone} is at UTC{'+' if o >= 0 else '-'}{_hhmm(abs(o))}"
        for zone, o in offsets.items()
        if zone != "UTC"
    )
    return f"the child allows an instant at {_hhmm(minute)} UTC when {clocks}; the parent does not"


def _no_offset(zone: str) -> frozenset[int]:
    return frozenset({0})


@functools.lru_cache(maxsize=2048)
def _escape(
    inner: Masks, outer: Masks, offsets_of: Callable[[str], frozenset[int]]
) -> tuple[int, dict[str, int]] | None:
    """`escape` with each zone's offsets taken from ``offsets_of``."""
    child, parent = dict(inner), dict(outer)
    choices = {z: sorted(offsets_of(z)) for z in sorted(child.keys() | parent.keys())}
    reach = {z: _any_rotation(child.get(z, FULL), o) for z, o in choices.items()}
    for zone, refused in parent.items():
        out = _any_rotation(child.get(zone, FULL) & ~refused, choices[zone])
        for other, reached in reach.items():
            if other != zone:
                out &= reached
        if out:
            minute = (out & -out).bit_length() - 1
            offsets = {
                z: _first_offset(child.get(z, FULL) & (~refused if z == zone else FULL), o, minute)
                for z, o in choices.items()
            }
            return minute, offsets
    return None


def _any_rotation(mask: int, offsets: Iterable[int]) -> int:
    if mask in (0, FULL):
        return mask
    reached = 0
    for offset in offsets:
        reached |= rotate(mask, offset)
    return reached


def _first_offset(mask: int, offsets: list[int], minute: int) -> int:
    return next(o for o in offsets if (rotate(mask, o) >> minute) & 1)


def _instant_outside(inner: Masks, outer: Masks) -> datetime | None:
    """An instant of the sample year (`together`) ``inner`` allows and ``outer`` refuses."""
    zones = tuple(sorted({zone for zone, _ in inner + outer}))
    for combination, day in together(zones):
        offsets = dict(zip(zones, combination, strict=True))
        allowed = _at(inner, offsets) & ~_at(outer, offsets)
        for minute, _ in intervals_of(allowed)[:3]:
            instant = instant_at(minute, offsets, day)
            if instant is not None and _allows(inner, instant) and not _allows(outer, instant):
                return instant
    return None


def _at(masks: Masks, offsets: dict[str, int]) -> int:
    allowed = FULL
    for zone, mask in masks:
        allowed &= rotate(mask, offsets[zone])
    return allowed


def _allows(masks: Masks, instant: datetime) -> bool:
    """Whether ``masks`` allow ``instant``: the definition, to confirm an example."""
    for zone, mask in masks:
        local = instant.astimezone(ZoneInfo(zone))
        if not (mask >> (local.hour * 60 + local.minute)) & 1:
            return False
    return True
