"""Running the base agent in a task of its own, and telling whose cancellation ended it.

A cancellation of the run (by its caller, or a timeout around it) is not the agent's
failure; a cancellation the agent brings on itself is, or it could keep every failure
from its breaker by cancelling its own task before raising. Both end in the same
`asyncio.CancelledError`, so the agent runs in a child task of the run's task:

- a cancellation of the run's task reaches the child, as asyncio passes it on to the task
  being awaited, and shows as a new request on the run's task
  (`asyncio.Task.cancelling` above its count when the child was started);
- whatever the agent does to ``asyncio.current_task()`` (cancel it at once, from a
  callback or a timer, or from another task) is done to the child only, so the run's task
  has no new request and the `CancelledError` is the agent's own.

An agent that searches ``asyncio.all_tasks()`` for its caller's task and cancels that is
beyond this: agents run in the caller's process and are trusted not to do so.

Python 3.11 has no eager tasks, so the child starts one turn of the event loop after it
is created. Its first step reads the posture again (``still_allowed``) and, if that moved
meanwhile, ends without calling the agent, so that the run decides again.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from enum import Enum
from typing import Any

import attrs


class Ending(Enum):
    """How the base agent's part of a run ended."""

    RETURNED = "returned"
    RAISED = "raised"  # the agent's failure, a CancelledError it brought on itself included
    CANCELLED = "cancelled"  # the run's task was cancelled while the agent ran
    STALE = "stale"  # the posture moved before the agent started: it never ran


@attrs.frozen(kw_only=True)
class Ended:
    """The base agent's outcome: its result, or what it raised."""

    how: Ending
    result: Any = None
    error: BaseException | None = None


_STALE = Ended(how=Ending.STALE)


class OwnTask:
    """The base agent's call, running in a child task of the current one.

    Args:
        call: Calls the base agent; its result is awaited if it is awaitable.
        still_allowed: Asked first, in the child; False (or an `Exception`) ends the
            child as `Ending.STALE` without calling the agent.
    """

    __slots__ = ("_before", "_caller", "_child")

    def __init__(self, call: Callable[[], object], still_allowed: Callable[[], bool]) -> None:
        self._caller = asyncio.current_task()
        self._before = self._caller.cancelling() if self._caller is not None else 0
        self._child = asyncio.get_running_loop().create_task(_run(call, still_allowed))

    async def ended(self) -> Ended:
        """How the agent ended.

        Raises:
            BaseException: whatever interrupts the run's own task while it waits (see
                `settled`); never what the agent raised, which is in the `Ended`.
        """
        return self._classify(await self._child)

    def settled(self) -> Ended | None:
        """After `ended` was interrupted: how the agent ended, if it had.

        None if it never started, or if it was still running: it is then cancelled, as
        the run it belongs to is over (its coroutine was closed or thrown into).
        """
        child = self._child
        if not child.done():
            child.cancel()
            return None
        if child.cancelled() or child.exception() is not None:
            return None
        ended = self._classify(child.result())
        return None if ended.how is Ending.STALE else ended

    def _classify(self, ended: Ended) -> Ended:
        if (
            ended.how is Ending.RAISED
            and issubclass(type(ended.error), asyncio.CancelledError)
            and self._caller is not None
            and self._caller.cancelling() > self._before
        ):
            return attrs.evolve(ended, how=Ending.CANCELLED)
        return ended


async def _run(call: Callable[[], object], still_allowed: Callable[[], bool]) -> Ended:
    try:
        allowed = still_allowed()
    except Exception:  # the run reads the posture again, and meets the failure itself
        allowed = False
    if allowed is not True:
        return _STALE
    try:
        result = call()
        if inspect.isawaitable(result):
            result = await result
    except BaseException as error:  # handed to the run, which records it and re-raises it
        return Ended(how=Ending.RAISED, error=error)
    return Ended(how=Ending.RETURNED, result=result)
