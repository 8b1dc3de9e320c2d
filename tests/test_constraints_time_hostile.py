"""``time_window`` reads what a hostile value holds, not what it says (issue 12, item 8).

A subclass of datetime, time or str can override every method a reading would call; a
tzinfo can answer differently each time it is asked; an object can claim a builtin's
``__class__``. The window must decide on the value really held, or refuse with a reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

import pytest

from tests.fakes import FakeClock
from tests.hostile import LyingDatetime, LyingInt, LyingStr, ShiftyMapping
from trust._errors import InvalidValueError
from trust.constraints.builtin import TimeDimension, TimeWindows, ZoneWindow

DIM = TimeDimension()


def allows(raw: Any, current: object, dim: TimeDimension = DIM) -> bool:
    return dim.check(dim.parse(raw), {"current_time": current}).satisfied


def test_a_lying_datetime_is_read_as_the_instant_it_holds() -> None:
    # It says noon whatever it holds; it holds 03:00 UTC (04:00 in Berlin).
    held = LyingDatetime(2025, 1, 15, 3, 0)
    assert not allows("11:00-14:00 Europe/Berlin", held)
    assert not allows("11:00-14:00", held)
    assert allows("04:00-04:30 Europe/Berlin", held)
    aware = LyingDatetime(2025, 1, 15, 3, 0, tzinfo=UTC)
    assert not allows({"all_of": ["11:00-14:00 Europe/Berlin", "11:00-14:00"]}, aware)


class _SaysNoon(time):
    """A time of day that says noon whatever it holds."""

    @property  # type: ignore[misc]
    def hour(self) -> int:
        return 12

    def replace(self, *args: Any, **kwargs: Any) -> Any:
        return time(12, 0)


def test_a_lying_time_of_day_is_read_as_the_time_it_holds() -> None:
    assert not allows("11:00-14:00 Asia/Tokyo", _SaysNoon(3, 0))
    assert allows("03:00-03:10", _SaysNoon(3, 0))


class _NoRepr(str):
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def test_an_iso_string_subclass_is_read_as_the_characters_it_holds() -> None:
    assert not allows("09:00-17:00", LyingStr("2025-01-15T03:00:00+00:00"))
    assert allows("03:00-03:10", LyingStr("2025-01-15T03:00:00+00:00"))
    # Unreadable: the clock is used, and the note shows the text without calling its repr.
    dim = TimeDimension(clock=FakeClock(datetime(2025, 1, 15, 10, 0, tzinfo=UTC)))
    result = dim.check(dim.parse("09:00-17:00"), {"current_time": _NoRepr("teatime")})
    assert result.satisfied
    assert "unreadable current_time 'teatime': used the clock" in result.reason


class _Widens(str):
    """A window string whose string methods report a wider window."""

    def split(self, *args: Any, **kwargs: Any) -> list[str]:
        return ["00:00-23:59"]

    def strip(self, *args: Any) -> str:
        return "00:00-23:59"

    def rpartition(self, *args: Any) -> tuple[str, str, str]:
        return ("", "", "00:00-23:59")


def test_a_window_string_subclass_is_parsed_as_the_characters_it_holds() -> None:
    value = DIM.parse(_Widens("09:00-10:00 Europe/Berlin"))
    assert str(value.parsed) == "09:00-10:00 Europe/Berlin"
    assert type(value.raw_value) is str
    lying = DIM.parse(LyingStr("09:00-10:00"))
    assert str(lying.parsed) == "09:00-10:00 UTC"
    assert type(lying.raw_value) is str
    composed = DIM.parse({"all_of": [_Widens("09:00-10:00"), LyingStr("09:30-11:00 Asia/Tokyo")]})
    assert str(composed.parsed) == "09:30-11:00 Asia/Tokyo and 09:00-10:00 UTC"


def test_zone_windows_hold_exact_zone_names_and_masks() -> None:
    window = ZoneWindow(LyingStr("Asia/Tokyo"), LyingInt(0b1110))
    assert type(window.zone) is str
    assert window.zone == "Asia/Tokyo"
    assert type(window.mask) is int
    assert window.mask == 0b1110
    # A mask past 1440 bits is refused, whatever the int says of its size.
    with pytest.raises(InvalidValueError, match="mask must be an int of 1440 bits"):
        ZoneWindow("UTC", LyingInt(1 << 2000))


class _OtherParts(tuple):  # type: ignore[type-arg]
    """A tuple of parts that shows other parts when iterated."""

    def __iter__(self) -> Any:
        return iter((ZoneWindow("UTC", (1 << 1440) - 1),))


def test_the_parts_are_read_from_the_tuple_itself() -> None:
    nine = ZoneWindow("UTC", ((1 << 60) - 1) << 540)
    windows = TimeWindows(_OtherParts((nine,)))
    assert windows.parts == (nine,)


class _Shifty(tzinfo):
    """A zone that says UTC the first time it is asked, and UTC+09:00 after."""

    def __init__(self) -> None:
        self.asked = 0

    def utcoffset(self, dt: datetime | None) -> timedelta:
        self.asked += 1
        return timedelta(0) if self.asked == 1 else timedelta(hours=9)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)


def test_a_tzinfo_is_asked_once_so_every_part_sees_one_instant() -> None:
    # 09:30 UTC, or 00:30 UTC: no one instant is in both parts (Tokyo 09:00-10:00 is
    # 00:00-01:00 UTC), so the window must refuse whichever answer it reads.
    both = {"all_of": ["09:00-10:00", "09:00-10:00 Asia/Tokyo"]}
    assert not allows(both, datetime(2025, 1, 15, 9, 30, tzinfo=_Shifty()))
    assert allows("09:00-10:00", datetime(2025, 1, 15, 9, 30, tzinfo=_Shifty()))


class _Broken(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("no offset")

    def __repr__(self) -> str:
        raise RuntimeError("no repr either")


def test_a_tzinfo_that_raises_is_refused_with_a_reason() -> None:
    result = DIM.check(
        DIM.parse("00:00-23:59 Asia/Tokyo"),
        {"current_time": datetime(2025, 1, 15, 9, 30, tzinfo=_Broken())},
    )
    assert not result.satisfied
    assert "cannot be placed" in result.reason
    assert "RuntimeError" in result.reason


class _Impostor:
    """Not a datetime, whatever its __class__ says."""

    @property
    def __class__(self) -> type:  # type: ignore[override]
        return datetime


def test_an_object_claiming_to_be_a_datetime_is_refused() -> None:
    result = DIM.check(DIM.parse("00:00-23:59 Asia/Tokyo"), {"current_time": _Impostor()})
    assert not result.satisfied
    assert "must be a datetime, a time or an ISO 8601 string" in result.reason


def test_a_composed_value_is_read_once_so_its_raw_form_parses_back_to_it() -> None:
    shifty = ShiftyMapping({"all_of": ["09:00-10:00"]}, {"all_of": ["00:00-23:59"]})
    value = DIM.parse(shifty)
    assert str(value.parsed) == "09:00-10:00 UTC"
    assert value.raw_value == {"all_of": ["09:00-10:00"]}
    assert DIM.parse(value.raw_value).parsed == value.parsed
    composed = DIM.compose([value, DIM.parse("08:00-12:00")])
    assert DIM.parse(composed.raw_value).parsed == composed.parsed
