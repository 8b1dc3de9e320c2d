"""How the agent waits: for a handler's answer within a timeout, and out a cancel window.

A handler's answer counts only if it comes within its timeout. An ``async`` handler runs
on the event loop and is cancelled when the timeout passes. A synchronous one cannot be
interrupted, so it runs in a thread of its own (a daemon, so that one that never returns
cannot hold the process or the loop's shutdown), and the agent stops waiting for it when
the timeout passes; its late answer is ignored. In both cases an answer that the agent's
clock shows arrived late is a timeout as well, so a late ``True`` never approves.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from trust._clock import Clock
from trust._errors import InvalidTypeError
from trust._shown import shown

Sleep = Callable[[float], Awaitable[object]]


class TimedOut(Exception):
    """The handler did not answer within its timeout."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def bounded(
    method: Callable[..., object],
    kwargs: dict[str, Any],
    timeout: float,
    *,
    sleep: Sleep,
    clock: Clock,
) -> Any:
    """``method(**kwargs)``'s answer, awaited if need be, if it comes within ``timeout``.

    Raises:
        TimedOut: no answer within ``timeout`` (by ``sleep``), or one that ``clock``
            shows came later than that.
        Exception: whatever the handler raised.
    """
    started = clock.monotonic()
    if inspect.iscoroutinefunction(method):
        answer = await _within(asyncio.ensure_future(method(**kwargs)), timeout, sleep)
    else:
        answer = await _within(_in_thread(lambda: method(**kwargs)), timeout, sleep)
        if inspect.isawaitable(answer):  # a plain function that returned an awaitable
            left = timeout - (clock.monotonic() - started)
            if left <= 0:
                _close(answer)
                raise TimedOut(f"timed out after {timeout:g}s")
            answer = await _within(asyncio.ensure_future(answer), left, sleep)
    elapsed = clock.monotonic() - started
    if elapsed > timeout:
        raise TimedOut(f"answered after {elapsed:g}s, past its {timeout:g}s timeout")
    return answer


async def _within(work: asyncio.Future[Any], timeout: float, sleep: Sleep) -> Any:
    timer = asyncio.ensure_future(sleep(timeout))
    try:
        await asyncio.wait({work, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        timer.cancel()
        if not work.done():
            work.cancel()
    if work.done() and not work.cancelled():
        return work.result()
    raise TimedOut(f"timed out after {timeout:g}s")


def _in_thread(call: Callable[[], object]) -> asyncio.Future[Any]:
    """A future of ``call()``'s outcome, computed in a new daemon thread."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(outcome: object, error: BaseException | None) -> None:
        if future.done():  # the agent stopped waiting: the late answer is dropped
            _close(outcome)
        elif error is not None:
            future.set_exception(error)
        else:
            future.set_result(outcome)

    def work() -> None:
        try:
            outcome, error = call(), None
        except BaseException as failure:  # handed to the waiting run, which decides
            outcome, error = None, failure
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            loop.call_soon_threadsafe(settle, outcome, error)

    threading.Thread(target=work, name="trust-handler", daemon=True).start()
    return future


def _close(outcome: object) -> None:
    """Close an abandoned coroutine, so that it does not warn that it was never awaited."""
    if inspect.iscoroutine(outcome):
        outcome.close()


class PendingRun:
    """One ASSISTED run waiting out its cancel window; ended early from any thread."""

    __slots__ = ("cancelled", "event", "loop", "released")

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()
        self.cancelled = False
        self.released = False

    def cancel(self) -> None:
        # The flag is seen at once by the waiting run; the event wakes it.
        self.cancelled = True
        self._wake()

    def release(self) -> None:
        self.released = True
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: the run is over anyway
            self.loop.call_soon_threadsafe(self.event.set)

    async def wait(self, seconds: float, sleep: Sleep) -> None:
        """Wait ``seconds`` (by ``sleep``) unless cancelled or released first."""
        if self.cancelled or self.released:
            return
        waiter = asyncio.ensure_future(self.event.wait())
        timer = asyncio.ensure_future(sleep(seconds))
        try:
            await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            timer.cancel()


class PendingRuns:
    """The ASSISTED runs of one agent now waiting out their cancel window, by run id."""

    __slots__ = ("_lock", "_runs")

    def __init__(self) -> None:
        self._lock = threading.Lock()  # released and cancelled from any thread
        self._runs: dict[int, PendingRun] = {}

    def run_ids(self) -> list[int]:
        with self._lock:
            return list(self._runs)

    def find(self, run_id: int | None) -> list[PendingRun]:
        """The pending run with ``run_id``, or all of them for None."""
        if run_id is not None and (isinstance(run_id, bool) or not isinstance(run_id, int)):
            raise InvalidTypeError(
                f"run_id must be an int from pending_runs(), got {shown(run_id)}"
            )
        with self._lock:
            return [p for rid, p in self._runs.items() if run_id is None or rid == run_id]

    @contextlib.contextmanager
    def opened(self, run_id: int) -> Iterator[PendingRun]:
        """Register run ``run_id``'s cancel window for as long as the block runs."""
        pending = PendingRun()
        with self._lock:
            self._runs[run_id] = pending
        try:
            yield pending
        finally:
            with self._lock:
                self._runs.pop(run_id, None)
