"""`ManualSleep` and `settle`: asynchronous waiting that a test controls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class ManualSleep:
    """An ``asyncio.sleep`` stand-in whose sleepers wake only when the test says so.

    Pass it as ``PostureAwareAgent(..., sleep=ManualSleep())``: a handler timeout or a
    retry delay then never elapses until `release`, so a test can look at the agent while
    it waits and decide when the time is up.

    Attributes:
        requested: Every duration asked for, in order.
    """

    def __init__(self) -> None:
        self.requested: list[float] = []
        self._waiters: list[asyncio.Future[None]] = []

    async def __call__(self, seconds: float) -> None:
        """Wait until `release` is called (``seconds`` is only recorded)."""
        self.requested.append(seconds)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    @property
    def sleeping(self) -> int:
        """How many sleepers are waiting now."""
        return sum(not waiter.done() for waiter in self._waiters)

    def release(self) -> None:
        """Wake every sleeper, as if their time had passed."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()


async def settle(condition: Callable[[], bool] = lambda: False, rounds: int = 50) -> None:
    """Let other tasks run, without any real waiting, until ``condition`` holds.

    Yields to the event loop up to ``rounds`` times and returns as soon as ``condition()``
    is true; it does not fail when the condition never holds (assert it afterwards).
    """
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
