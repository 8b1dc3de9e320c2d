"""Test doubles shared by the suites."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class FakeClock:
    """A clock that moves only when told to; wall and monotonic time advance together."""

    def __init__(self, start: datetime = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)) -> None:
        self._wall = start
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._wall

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        with self._lock:
            self._wall += timedelta(seconds=seconds)
            self._mono += seconds


class ManualSleep:
    """An ``asyncio.sleep`` stand-in whose sleepers wake only when the test says so."""

    def __init__(self) -> None:
        self.requested: list[float] = []
        self._waiters: list[asyncio.Future[None]] = []

    async def __call__(self, seconds: float) -> None:
        self.requested.append(seconds)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    @property
    def sleeping(self) -> int:
        """How many sleepers are waiting now."""
        return sum(not w.done() for w in self._waiters)

    def release(self) -> None:
        """Wake every sleeper, as if their time had passed."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()


async def settle(condition: Callable[[], bool] = lambda: False, rounds: int = 50) -> None:
    """Let other tasks run (without any real waiting) until ``condition`` holds."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)


class RecordingAgent:
    """A base agent that records its calls and returns (or raises) what it is given."""

    def __init__(self, result: object = "done", error: Exception | None = None) -> None:
        self.calls: list[dict[str, object]] = []
        self.result = result
        self.error = error

    async def run(self, **kwargs: object) -> object:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        return self.result
