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
