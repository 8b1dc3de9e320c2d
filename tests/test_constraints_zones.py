"""Every UTC offset a zone can take, for cross-zone window comparison."""

from __future__ import annotations

import pytest

from trust.constraints.builtin import _zones
from trust.constraints.builtin._zones import offset_minutes, tzif_offsets


def test_offsets_include_standard_and_summer_time_and_zero() -> None:
    berlin = offset_minutes("Europe/Berlin")
    assert {0, 60, 120} <= berlin
    assert {-300, -240, 0} <= offset_minutes("America/New_York")
    assert offset_minutes("UTC") == frozenset({0})


def test_fractional_offsets_give_both_roundings() -> None:
    # Liberia used UTC-0:44:30 until 1972.
    assert {-45, -44} <= offset_minutes("Africa/Monrovia")


def test_without_tzif_data_the_offsets_are_sampled(monkeypatch: pytest.MonkeyPatch) -> None:
    offset_minutes.cache_clear()
    monkeypatch.setattr(_zones, "_tzif_bytes", lambda zone: None)
    try:
        assert {0, 330} <= offset_minutes("Asia/Kolkata")
    finally:
        offset_minutes.cache_clear()


@pytest.mark.parametrize("data", [b"", b"not a tzif file at all, not at all", b"TZif"])
def test_unreadable_tzif_data_yields_no_offsets(data: bytes) -> None:
    assert tzif_offsets(data) == frozenset()


def test_tzif_types_are_read_from_the_64_bit_block() -> None:
    data = _zones._tzif_bytes("Europe/Berlin")
    assert data is not None
    assert {3600, 7200} <= tzif_offsets(data)


def test_without_a_system_database_the_tzdata_package_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_zones.zoneinfo, "TZPATH", ())
    data = _zones._tzif_bytes("Europe/Berlin")
    assert data is not None
    assert {3600, 7200} <= tzif_offsets(data)
    assert _zones._tzif_bytes("Not/AZone") is None


def test_together_lists_the_combinations_of_a_sample_year_with_a_day_of_each() -> None:
    seen = dict(_zones.together(("America/New_York", "Europe/Berlin")))
    # Winter; New York's summer from 10 March 2030, Berlin's from 31 March.
    assert list(seen) == [(-300, 60), (-240, 60), (-240, 120)]
    assert seen[(-240, 60)].isoformat() == "2030-03-10"


def test_instant_at_finds_a_real_instant_with_the_offsets_asked_for() -> None:
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    found = _zones.instant_at(510, {"Europe/Berlin": 60, "UTC": 0}, date(2030, 1, 5))
    assert found == datetime(2030, 1, 5, 8, 30, tzinfo=UTC)
    # Berlin's local mean time (+0:53:28) reads 53 minutes ahead up to second 31, and 54
    # from second 32: the second is chosen to give the rounding asked for.
    early = _zones.instant_at(600, {"Europe/Berlin": 53}, date(1890, 6, 1))
    late = _zones.instant_at(600, {"Europe/Berlin": 54}, date(1890, 6, 1))
    assert early == datetime(1890, 6, 1, 10, 0, 0, tzinfo=UTC)
    assert late == datetime(1890, 6, 1, 10, 0, 32, tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")
    assert early.astimezone(berlin).strftime("%H:%M") == "10:53"
    assert late.astimezone(berlin).strftime("%H:%M") == "10:54"
    # Offsets modulo a day: -05:00 is asked for as 1140.
    assert _zones.instant_at(0, {"America/New_York": 1140}, date(2030, 1, 5)) is not None
    # Berlin was never three hours ahead in January 2030.
    assert _zones.instant_at(600, {"Europe/Berlin": 180}, date(2030, 1, 5)) is None
