"""``time_window``: minute sets per zone; exact within a zone, sound across zones."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.fakes import FakeClock
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import Comparison
from trust.constraints.builtin import TimeDimension, TimeWindows, ZoneWindow
from trust.constraints.builtin._window_inclusion import FULL, intervals_of, rotate

DIM = TimeDimension()
BERLIN = ZoneInfo("Europe/Berlin")


def at(raw: Any, current: object, dim: TimeDimension = DIM) -> bool:
    return dim.check(dim.parse(raw), {"current_time": current}).satisfied


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("09:00-17:00", "09:00-17:00 UTC"),
        ("9:00-17:00", "09:00-17:00 UTC"),
        ("22:00-06:00", "22:00-06:00 UTC"),
        ("09:00-12:00, 13:00-17:00 Europe/Berlin", "09:00-12:00, 13:00-17:00 Europe/Berlin"),
        ("09:00-12:00,11:00-13:00", "09:00-13:00 UTC"),
        ("00:00-23:59", "00:00-23:59 UTC"),
        ("00:00-24:00", "00:00-24:00 UTC"),
        ("23:00-24:00", "23:00-24:00 UTC"),
        ("23:59-00:00", "23:59-24:00 UTC"),
        ("12:00-12:01", "12:00-12:01 UTC"),
        ("  08:00 - 09:30   America/New_York ", "08:00-09:30 America/New_York"),
    ],
)
def test_windows_parse_to_minute_sets(raw: str, shown: str) -> None:
    assert str(DIM.parse(raw).parsed) == shown


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        ("24:00-01:00", InvalidValueError, "Invalid start time 24:00: a time_window start must"),
        ("09:60-10:00", InvalidValueError, "Invalid start time 09:60: a time_window start must"),
        ("09:00-24:01", InvalidValueError, "Invalid end time 24:01: a time_window end must"),
        ("09:00-25:00", InvalidValueError, "Invalid end time 25:00: a time_window end must"),
        ("12:00-12:00", InvalidValueError, "windows must not be empty .*got '12:00-12:00'"),
        ("00:00-00:00", InvalidValueError, "the whole day is 00:00-24:00"),
        ("0900-1700", InvalidValueError, "Invalid time window format: time_window must be"),
        ("09:00-17:00 Mars/Olympus", InvalidValueError, "IANA time zone name, got 'Mars/Olympus'"),
        ("09:00-17:00 ../../etc/passwd", InvalidValueError, "IANA time zone name"),
        ("", InvalidValueError, "time_window must be"),
        ("09:00-17:00,", InvalidValueError, "time_window must be"),
        (900, InvalidTypeError, "time_window must be"),
        ({"all_of": []}, InvalidValueError, "all_of must be a non-empty list"),
        ({"all_of": ["09:00-10:00"], "x": 1}, InvalidValueError, "and nothing else"),
        ({"any_of": ["09:00-10:00"]}, InvalidTypeError, "time_window must be"),
    ],
)
def test_malformed_windows_are_refused(raw: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        DIM.parse(raw)


@pytest.mark.parametrize(
    ("current", "satisfied"),
    [
        (datetime(2025, 1, 15, 9, 0), True),
        (datetime(2025, 1, 15, 16, 59, 59, 999999), True),
        (datetime(2025, 1, 15, 17, 0), False),  # half-open: "until five" ends at five
        (datetime(2025, 1, 15, 17, 0, 59), False),
        (datetime(2025, 1, 15, 8, 59, 59), False),
        (datetime(2025, 1, 15, 10, 0, tzinfo=UTC), True),
        (datetime(2025, 1, 15, 19, 0, tzinfo=timezone(timedelta(hours=5))), True),  # 14:00 UTC
        (datetime(2025, 1, 15, 8, 0, tzinfo=timezone(timedelta(hours=-5))), True),  # 13:00 UTC
        (time(12, 30), True),
        ("2025-01-15T12:30:00", True),
        ("2025-01-15T12:30:00+09:00", False),  # 03:30 UTC
    ],
)
def test_the_time_is_read_in_the_windows_zone(current: object, satisfied: bool) -> None:
    assert at("09:00-17:00", current) is satisfied


def test_a_window_is_half_open_so_until_five_refuses_five() -> None:
    # Regression (issue 16): "09:00-17:00" allowed 17:00:59; kaizen.trust refuses
    # 17:00:01 and people mean "until five". Windows are [start, end), to the microsecond.
    assert at("09:00-17:00", time(9, 0))
    assert at("09:00-17:00", time(16, 59, 59, 999999))
    assert not at("09:00-17:00", time(17, 0))
    assert not at("09:00-17:00", time(17, 0, 59))
    assert not at("09:00-17:00", datetime(2025, 1, 15, 17, 0, 0, 1, tzinfo=UTC))
    assert not at("09:00-17:00 Europe/Berlin", datetime(2025, 1, 15, 16, 0, tzinfo=UTC))


def test_24_00_ends_a_window_and_00_00_24_00_is_the_whole_day() -> None:
    # Regression (issue 16): 24:00 was refused, so no string denoted the whole day but
    # "00:00-23:59", which now ends a minute early.
    assert DIM.parse("00:00-24:00").parsed == DIM.parse("00:00-12:00, 12:00-24:00").parsed
    assert all(at("00:00-24:00", time(h, m, 59)) for h in range(24) for m in range(60))
    assert at("23:00-24:00", time(23, 59, 59, 999999))
    assert not at("23:00-24:00", time(0, 0))
    assert not at("00:00-23:59", time(23, 59))
    with pytest.raises(InvalidValueError, match="Invalid start time 24:00"):
        DIM.parse("24:00-06:00")


def test_an_empty_window_is_refused_rather_than_never_allowing() -> None:
    # Half-open, a start equal to its end allows no minute: a slip, not a schedule.
    for raw in ("12:00-12:00", "00:00-00:00", "09:00-17:00, 10:00-10:00"):
        with pytest.raises(InvalidValueError, match="must not be empty"):
            DIM.parse(raw)


def test_overnight_windows_wrap_midnight() -> None:
    assert at("22:00-06:00", datetime(2025, 1, 15, 23, 30))
    assert at("22:00-06:00", time(22, 0))
    assert at("22:00-06:00", time(0, 0))
    assert at("22:00-06:00", time(5, 59, 59))
    assert not at("22:00-06:00", time(6, 0))  # half-open overnight too
    assert not at("22:00-06:00", time(21, 59, 59))


def test_a_naive_datetime_is_utc_and_a_time_of_day_is_local() -> None:
    window = "09:00-17:00 Europe/Berlin"
    assert at(window, datetime(2025, 7, 1, 7, 30))  # 09:30 in Berlin in summer
    assert not at(window, datetime(2025, 1, 15, 7, 30))  # 08:30 in Berlin in winter
    assert at(window, datetime(2025, 1, 15, 9, 30, tzinfo=BERLIN))
    assert at(window, time(9, 30))  # as given, in Berlin


def test_a_missing_or_unreadable_time_uses_the_clock() -> None:
    clock = FakeClock(datetime(2025, 1, 15, 10, 0, tzinfo=UTC))
    dim = TimeDimension(clock=clock)
    constraint = dim.parse("09:00-17:00")
    assert dim.check(constraint, {}).satisfied
    assert dim.check(constraint, {"current_time": None}).satisfied
    unreadable = dim.check(constraint, {"current_time": "teatime"})
    assert unreadable.satisfied
    assert "unreadable current_time 'teatime': used the clock" in unreadable.reason
    clock.advance(8 * 3600)
    assert not dim.check(constraint, {}).satisfied
    assert "used the clock" in dim.check(constraint, {"current_time": "later"}).reason


@pytest.mark.parametrize(
    ("current", "reason"),
    [
        (
            1736935200,
            "current_time must be a datetime, a time or an ISO 8601 string, got 1736935200",
        ),
        (datetime(2025, 1, 15).date(), "current_time must be a datetime"),
        (time(10, 0, tzinfo=UTC), "an aware time of day cannot be placed in a zone"),
        (datetime.min.replace(tzinfo=timezone(timedelta(hours=5))), "cannot be placed"),
    ],
)
def test_a_time_of_the_wrong_kind_fails(current: object, reason: str) -> None:
    result = DIM.check(DIM.parse("00:00-23:59 Asia/Tokyo"), {"current_time": current})
    assert not result.satisfied
    assert reason in result.reason


@pytest.mark.parametrize(
    ("child", "parent", "expected"),
    [
        ("10:00-12:00", "09:00-17:00", Comparison.TIGHTER),
        ("22:00-23:00", "22:00-06:00", Comparison.TIGHTER),
        ("05:00-06:00", "22:00-06:00", Comparison.TIGHTER),
        ("22:00-06:00", "21:00-07:00", Comparison.TIGHTER),
        ("22:00-06:00", "09:00-17:00", Comparison.INCOMPARABLE),
        ("09:00-17:00", "09:00-12:00, 12:00-17:00", Comparison.EQUIVALENT),
        ("09:00-17:00", "09:00-12:00, 12:01-17:00", Comparison.LOOSER),
        ("09:00-17:00 Europe/Berlin", "09:00-17:00 Europe/Berlin", Comparison.EQUIVALENT),
        ("00:00-24:00 Europe/Berlin", "00:00-24:00", Comparison.EQUIVALENT),
        ("00:00-23:59", "00:00-24:00", Comparison.TIGHTER),
        # Berlin 09:00-10:00 is 07:00-09:00 UTC depending on the season, and 09:00-10:00
        # as a bare time of day: inside 06:00-11:00 UTC either way.
        ("09:00-10:00 Europe/Berlin", "06:00-11:00", Comparison.TIGHTER),
        # As instants it fits 07:00-09:59 UTC, but a bare 09:30 would escape the parent.
        ("09:00-10:00 Europe/Berlin", "06:00-09:59", Comparison.INCOMPARABLE),
    ],
)
def test_tightening_is_inclusion_of_instants_and_times_of_day(
    child: str, parent: str, expected: Comparison
) -> None:
    assert DIM.compare(DIM.parse(child), DIM.parse(parent)) is expected


def test_a_looser_child_gets_an_example() -> None:
    same_zone = DIM.loosening_example(DIM.parse("09:00-17:00"), DIM.parse("08:00-09:00"))
    assert same_zone == (
        "the child allows {'current_time': datetime.time(8, 0)}, the parent does not"
    )
    # Across zones, a real instant of the present rules when there is one ...
    across = DIM.loosening_example(DIM.parse("06:00-11:00"), DIM.parse("10:00-11:00 Asia/Kolkata"))
    assert across == (
        "the child allows {'current_time': datetime.datetime(2030, 1, 1, 4, 30, "
        "tzinfo=datetime.timezone.utc)}, the parent does not"
    )
    assert DIM.check(
        DIM.parse("10:00-11:00 Asia/Kolkata"),
        {"current_time": datetime(2030, 1, 1, 4, 30, tzinfo=UTC)},
    ).satisfied
    # ... else the offsets that let the child out (here Berlin's double summer time of 1945).
    historic = DIM.loosening_example(
        DIM.parse("07:00-10:00"), DIM.parse("09:00-10:00 Europe/Berlin")
    )
    assert historic == (
        "the child allows an instant at 06:00 UTC when Europe/Berlin is at UTC+03:00; "
        "the parent does not"
    )


def test_compose_intersects_per_zone_and_keeps_zones_apart() -> None:
    same = DIM.compose([DIM.parse("09:00-17:00"), DIM.parse("12:00-20:00")])
    assert str(same.parsed) == "12:00-17:00 UTC"
    across = DIM.compose([DIM.parse("09:00-17:00"), DIM.parse("09:00-17:00 Europe/Berlin")])
    assert str(across.parsed) == "09:00-17:00 Europe/Berlin and 09:00-17:00 UTC"
    assert across.raw_value == {"all_of": ["09:00-17:00", "09:00-17:00 Europe/Berlin"]}
    assert DIM.check(across, {"current_time": datetime(2025, 1, 15, 12, 0)}).satisfied
    assert not DIM.check(across, {"current_time": datetime(2025, 1, 15, 16, 30)}).satisfied
    never = DIM.compose([DIM.parse("09:00-10:00"), DIM.parse("11:00-12:00")])
    assert str(never.parsed) == "never UTC"
    assert not DIM.check(never, {"current_time": time(9, 30)}).satisfied


def test_values_normalise_full_and_empty_parts() -> None:
    full = TimeWindows((ZoneWindow("Europe/Berlin", FULL),))
    assert full == TimeWindows((ZoneWindow("UTC", FULL),))
    empty = TimeWindows((ZoneWindow("Asia/Tokyo", 0), ZoneWindow("UTC", 5)))
    assert empty == TimeWindows((ZoneWindow("UTC", 0),))
    with pytest.raises(InvalidTypeError):
        TimeWindows(("09:00-10:00",))  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError):
        ZoneWindow("UTC", -1)
    with pytest.raises(InvalidTypeError, match="zone must be a string, got 5"):
        ZoneWindow(5, 0)  # type: ignore[arg-type]


def test_rotation_and_intervals() -> None:
    nine_to_ten = ((1 << 61) - 1) << 540
    assert intervals_of(nine_to_ten) == ((540, 600),)
    assert intervals_of(rotate(nine_to_ten, 120)) == ((420, 480),)  # local 09:00 at UTC+2
    assert intervals_of(rotate(nine_to_ten, -600)) == ((1140, 1200),)
    assert intervals_of(0) == ()


def test_the_clock_must_be_a_clock() -> None:
    with pytest.raises(InvalidTypeError, match="clock must provide now"):
        TimeDimension(clock="noon")  # type: ignore[arg-type]


def test_instants_a_zone_cannot_place_are_refused_by_every_window() -> None:
    # Found with the twin: the child was within its parent, yet at 00:05 UTC on 1 January
    # of year 1 the child allowed and the parent (which cannot reach New York's previous
    # evening) refused. Every window now refuses the day at each end of datetime's range.
    child, parent = DIM.parse("00:00-00:10"), DIM.parse("00:00-00:10, 19:00-20:15 America/New_York")
    assert DIM.validate_tightening(parent, child)
    for edge in (
        datetime(1, 1, 1, 0, 5, tzinfo=UTC),
        datetime(1, 1, 1, 0, 5),
        datetime(1, 1, 1, 5, 5, tzinfo=timezone(timedelta(hours=5))),
    ):
        for value in (child, parent, DIM.parse("00:00-23:59")):
            result = DIM.check(value, {"current_time": edge})
            assert not result.satisfied
            assert "within a day of the ends of datetime's range" in result.reason
    late = datetime(9999, 12, 31, 23, 55)
    assert not DIM.check(DIM.parse("23:50-23:59"), {"current_time": late}).satisfied
    # A day in, every zone can place it.
    assert DIM.check(child, {"current_time": datetime(1, 1, 2, 0, 5, tzinfo=UTC)}).satisfied
    assert DIM.check(parent, {"current_time": datetime(1, 1, 2, 0, 5, tzinfo=UTC)}).satisfied
    assert DIM.check(
        DIM.parse("23:50-23:59"), {"current_time": datetime(9999, 12, 30, 23, 55)}
    ).satisfied
