"""The one clock of the runtime.

Every component takes an optional ``clock``: wall-clock stamps come from `Clock.now`
(timezone-aware UTC) and durations from `Clock.monotonic`, so tests and stateful fuzzing
drive time by hand instead of sleeping.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import partial
from typing import Protocol, runtime_checkable

from trust import _validators as check
from trust._errors import InvalidTypeError


@runtime_checkable
class Clock(Protocol):
    """Where the runtime reads time."""

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards, for durations."""
        ...


class SystemClock:
    """The process clock: ``now()`` is `datetime.now(UTC)`, ``monotonic()`` `time.monotonic`."""

    __slots__ = ()

    # The C callables themselves, not methods wrapping them: the clock is read on every
    # hot path, and a Python frame around the read would cost as much as the read.
    now = staticmethod(partial(datetime.now, UTC))
    monotonic = staticmethod(time.monotonic)

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()


def resolve_clock(clock: Clock | None) -> Clock:
    """Return ``clock``, or the system clock when it is None.

    Raises:
        InvalidTypeError: ``clock`` has neither ``now()`` nor ``monotonic()``.
    """
    if clock is None:
        return SYSTEM_CLOCK
    if not isinstance(clock, Clock):
        raise InvalidTypeError(
            f"clock must provide now() and monotonic(), got {check.shown(clock)}"
        )
    return clock
