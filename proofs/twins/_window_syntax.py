"""How the time_window twin reads a raw value: the documented window syntax, as minute masks.

A mask has one bit per minute of the day (bit ``m`` for ``HH:MM`` with ``m = 60*HH + MM``),
the encoding the twin's z3 terms use.
"""

from __future__ import annotations

import functools
import re

from trust.constraints.builtin import MINUTES_PER_DAY as MINUTES
from trust.proofs.twins._concrete import all_of

_WINDOW = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")
FULL = (1 << MINUTES) - 1


def read_windows(raw: object) -> dict[str, int]:
    """The minutes a raw ``time_window`` value allows, per zone, by the documented syntax.

    ``"HH:MM-HH:MM[, ...] [zone]"`` (UTC without a zone; half-open, ``[start, end)``, an
    end may be ``24:00``; a start after the end crosses midnight), or
    ``{"all_of": [...]}``, their intersection.

    Raises:
        ValueError: ``raw`` is neither, or a window is empty (its start equals its end).
    """
    items = all_of(raw)
    if items is not None:
        masks: dict[str, int] = {}
        for item in items:
            for zone, mask in read_windows(item).items():
                masks[zone] = masks.get(zone, FULL) & mask
        return masks
    if type(raw) is not str:
        raise ValueError(f"the time_window twin reads window strings and all_of, got {raw!r}")
    text, zone = raw.strip(), "UTC"
    words = text.rsplit(" ", 1)
    if len(words) == 2 and words[0] and ":" not in words[1]:
        text, zone = words
    mask = 0
    for window in text.split(","):
        match = _WINDOW.fullmatch(window)
        if match is None:
            raise ValueError(f"the time_window twin does not read the window {window!r}")
        start_h, start_m, end_h, end_m = (int(g) for g in match.groups())
        start, end = start_h * 60 + start_m, end_h * 60 + end_m
        if start == end:
            raise ValueError(f"the time_window twin reads no empty window, got {window!r}")
        mask |= _minutes(start, end)
    return {zone: mask}


@functools.lru_cache(maxsize=4096)
def _minutes(start: int, end: int) -> int:
    """The minutes from ``start`` up to but not ``end``, across midnight if need be."""
    length = end - start if start < end else end + MINUTES - start
    mask = 0
    for minute in range(start, start + length):
        mask |= 1 << (minute % MINUTES)
    return mask


__all__ = ["FULL", "read_windows"]
