"""A clock that moves only when told to, for driving the runtime in a conformance check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Wall and monotonic time advance together, only by `advance`; nothing reads real time.

    It has the runtime's clock protocol (``now()``, aware UTC, and ``monotonic()``), so a
    check is deterministic: the same events give the same states in every run.
    """

    def __init__(self, start: datetime = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)) -> None:
        self._wall = start
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        self._wall += timedelta(seconds=seconds)
        self._mono += seconds
