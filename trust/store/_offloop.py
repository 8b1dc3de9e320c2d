"""An engine's store work, run off the event loop, in the order it was asked for.

A store-backed engine (the posture machine, the audit log) holds its own lock while it
talks to the store, and a store call may wait for a disk sync, a network round trip or
another process's lock. An async caller must not do that on its loop: `OffLoop.run`
hands the whole call (lock, I/O and bookkeeping) to the engine's one worker thread and
awaits it, so the loop goes on meanwhile.

One worker per engine, so that the calls one engine is given run in the order they were
made (two writes awaited concurrently apply first-come, first-served) and so that an
engine costs at most one thread, started on its first async call.

A caller cancelled while it awaits does not cancel the call: once asked for, the call
runs to its end on the worker, exactly as the synchronous call would have (so no change
is ever half applied, and an engine's records and its store stay in step); the caller
sees `asyncio.CancelledError` and never its result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from trust.store._errors import StoreError

_log = logging.getLogger("trust.store")

T = TypeVar("T")


class OffLoop:
    """One engine's worker thread for store work awaited from an event loop.

    Args:
        name: The worker thread's name prefix (it shows in thread dumps).
    """

    __slots__ = ("_executor", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        # The thread starts on the first submit: an engine never awaited costs none.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def submit(self, work: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Queue ``work`` behind the calls already queued; it runs whatever the caller does.

        Raises:
            StoreError: the engine was closed (its worker is gone).
        """
        try:
            return self._executor.submit(work)
        except RuntimeError:  # "cannot schedule new futures after shutdown"
            raise StoreError(f"{self._name} is closed: nothing more runs on it") from None

    async def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the worker and return (or raise) what it does.

        A cancelled caller gets `asyncio.CancelledError`; ``work`` still runs to its end
        (see the module), and an error it raises then is logged, not lost.
        """
        return await wait_for(self.submit(work))

    def close(self) -> None:
        """Let the queued calls finish, then stop the worker."""
        self._executor.shutdown(wait=True)

    def __repr__(self) -> str:
        return f"OffLoop({self._name!r})"


async def wait_for(future: concurrent.futures.Future[T]) -> T:
    """Await ``future`` from the running loop without ever cancelling it."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[T] = loop.create_future()

    def settled(done: concurrent.futures.Future[T]) -> None:
        # On the worker thread. The loop may be gone by now (its caller was cancelled and
        # the program moved on): the call's outcome then has nobody left to tell.
        try:
            loop.call_soon_threadsafe(_hand_over, done, waiter)
        except RuntimeError:  # the loop is closed
            _orphaned(done)

    future.add_done_callback(settled)
    try:
        return await waiter
    except asyncio.CancelledError:
        if not waiter.cancelled():  # the call's outcome arrived, then the caller was cancelled
            raise
        future.add_done_callback(_orphaned)  # nobody awaits it any more: log a failure
        raise


def _hand_over(done: concurrent.futures.Future[T], waiter: asyncio.Future[T]) -> None:
    if waiter.cancelled():
        return  # `_orphaned` reports a failure
    if done.cancelled():
        waiter.cancel()
        return
    error = done.exception()
    if error is not None:
        waiter.set_exception(error)
    else:
        waiter.set_result(done.result())


def _orphaned(done: concurrent.futures.Future[Any]) -> None:
    error = None if done.cancelled() else done.exception()
    if error is not None:
        _log.error("store work whose caller was cancelled failed", exc_info=error)
