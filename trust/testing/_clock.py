"""`FakeClock`: a `trust.Clock` that moves only when told to."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError

DEFAULT_START = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
"""Where a `FakeClock` starts unless told otherwise: a Wednesday, noon UTC."""


class FakeClock:
    """A `trust.Clock` whose wall and monotonic time advance together, only on `advance`.

    Safe to share between threads: each read and each advance holds a lock, so a reader
    never sees the wall clock moved and the monotonic clock not yet.

    Args:
        start: The first wall-clock time, timezone-aware (converted to UTC, as the
            runtime's clock contract requires). A naive datetime is refused: the runtime
            never mixes naive and aware stamps.
        monotonic: The first reading of the monotonic clock (its origin is arbitrary, as
            `time.monotonic`'s is).

    Raises:
        InvalidTypeError: ``start`` is not a `datetime` (a subclass is refused too: it
            could answer differently from the instant it holds), or ``monotonic`` is not
            a number.
        InvalidValueError: ``start`` is naive, or ``monotonic`` is not finite.

    Example::

        clock = FakeClock()
        before = clock.now()
        clock.advance(90)
        assert clock.now() - before == timedelta(seconds=90)
    """

    __slots__ = ("_lock", "_mono", "_wall")

    def __init__(self, start: datetime = DEFAULT_START, *, monotonic: float = 1000.0) -> None:
        if type(start) is not datetime:
            raise InvalidTypeError(
                f"start must be a datetime (not a subclass), got {check.shown(start)}"
            )
        if start.utcoffset() is None:
            raise InvalidValueError(f"start must be timezone-aware, got {check.shown(start)}")
        self._wall = start.astimezone(UTC)
        self._mono = float(check.exact_finite(monotonic, "monotonic"))
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current wall-clock time, aware, in UTC."""
        with self._lock:
            return self._wall

    def monotonic(self) -> float:
        """The current monotonic reading, in seconds."""
        with self._lock:
            return self._mono

    def advance(self, seconds: float | timedelta) -> None:
        """Move both clocks forward by ``seconds`` (a number of seconds or a `timedelta`).

        Raises:
            InvalidTypeError: ``seconds`` is neither a number nor a `timedelta` (a bool
                is refused).
            InvalidValueError: ``seconds`` is negative, NaN or infinite (a clock the
                runtime reads never goes backwards), or would move the wall clock past
                the year 9999; the clock is left where it was.
        """
        if type(seconds) is timedelta:
            step = seconds.total_seconds()
            if step < 0:
                raise InvalidValueError(f"seconds must be at least 0, got {check.shown(seconds)}")
        else:
            step = float(check.exact_finite(seconds, "seconds", minimum=0))
        with self._lock:
            try:
                wall = self._wall + timedelta(seconds=step)
            except OverflowError:
                raise InvalidValueError(
                    f"seconds must keep the clock within datetime's range (until "
                    f"{datetime.max.year}), got {check.shown(seconds)}"
                ) from None
            self._wall = wall
            self._mono += step

    def __repr__(self) -> str:
        with self._lock:
            return f"FakeClock(now={self._wall.isoformat()}, monotonic={self._mono!r})"
