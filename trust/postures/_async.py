"""The posture machine's writing calls for event loops: ``await machine.atransition(...)``.

Each takes the same arguments and returns the same result as its synchronous twin
(`PostureStateMachine.transition`, `set_posture`, `emergency_downgrade`), and raises the
same errors for malformed arguments. Where it runs:

- A machine without a store: the synchronous call, directly, on the loop (it does no
  I/O and never waits for long), so its guards run on the loop too.
- A machine with a store: the whole synchronous call (the machine's lock, the store's
  transaction, the guards) runs on the machine's one writer thread
  (`trust.store._offloop.OffLoop`), never on the loop. Calls are applied in the order
  they were made. The guards of ``atransition`` then run on that thread: a guard must
  not touch the loop (it is called synchronously in either case). While the store is
  down, each fails closed exactly as its twin does (a refusal naming the store; an
  emergency BLOCKED here and not yet durable).

Cancelling a caller does not cancel its change: once asked for, the change runs to its
end on the writer thread, as the synchronous call would have, so the store, the cache
and the machine's history stay in step. The caller sees `asyncio.CancelledError`; the
outcome is in the history (``get_transition_history``) as any other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from trust import _validators as check
from trust.postures._posture import TrustPosture
from trust.postures._transition import PostureTransitionRequest, TransitionResult

if TYPE_CHECKING:
    from trust.postures._durable import Durable


class PostureStateMachine(Protocol):
    """What the async calls use of the machine (whose module imports this one)."""

    durable: Durable | None

    def transition(
        self, request: PostureTransitionRequest, *, expected_version: int | None = None
    ) -> TransitionResult: ...

    def set_posture(
        self,
        agent_id: str,
        posture: TrustPosture,
        *,
        reason: str = ...,
        requester_id: str | None = None,
    ) -> TransitionResult: ...

    def emergency_downgrade(
        self, agent_id: str, reason: str = ..., requester_id: str | None = None, **keyed: Any
    ) -> TransitionResult: ...


async def atransition(
    machine: PostureStateMachine,
    request: PostureTransitionRequest,
    *,
    expected_version: int | None = None,
) -> TransitionResult:
    """`transition`, awaitable: a store-backed machine does it off the loop.

    See `trust.postures._async` for where it runs and what cancelling it does.
    """
    call = functools.partial(machine.transition, request, expected_version=expected_version)
    durable = machine.durable
    if durable is None:
        return call()
    return await _off_loop(durable, call)


async def aset_posture(
    machine: PostureStateMachine,
    agent_id: str,
    posture: TrustPosture,
    *,
    reason: str = "administrative change",
    requester_id: str | None = None,
) -> TransitionResult:
    """`set_posture`, awaitable: a store-backed machine does it off the loop."""
    call = functools.partial(
        machine.set_posture, agent_id, posture, reason=reason, requester_id=requester_id
    )
    durable = machine.durable
    if durable is None:
        return call()
    return await _off_loop(durable, call)


async def aemergency_downgrade(
    machine: PostureStateMachine,
    agent_id: str,
    reason: str = "Emergency downgrade",
    requester_id: str | None = None,
    *,
    op_id: str | None = None,
) -> TransitionResult:
    """`emergency_downgrade`, awaitable: a store-backed machine does it off the loop.

    On a store-backed machine it returns once the write is durable, or, with the store
    down, once the agent is BLOCKED here (``metadata["durable"] is False``), as the
    synchronous call does. The agent reads BLOCKED here at once, before the call waits
    for the changes asked for before it; a cancelled caller's emergency still goes
    through. ``op_id`` is the store's idempotency key, as for the synchronous call (a
    machine without a store takes none).
    """
    keyed: dict[str, Any] = {} if op_id is None else {"op_id": op_id}
    durable = machine.durable
    if durable is None:
        return machine.emergency_downgrade(agent_id, reason, requester_id, **keyed)
    agent_id = check.identifier(agent_id)
    check.text(reason, "reason")
    check.optional_text(requester_id, "requester_id")
    # BLOCKED here before it waits its turn: the writes queued ahead may take a while.
    durable.hold(agent_id)

    def emergency() -> TransitionResult:
        try:
            return machine.emergency_downgrade(agent_id, reason, requester_id, **keyed)
        finally:
            durable.release(agent_id)

    return await _off_loop(durable, emergency)


async def _off_loop(durable: Durable, call: Callable[[], TransitionResult]) -> TransitionResult:
    """Run ``call`` on the machine's writer thread, and wait for it without cancelling it."""
    # Imported here: `trust.store` brings asyncio, wanted only once a loop is in use.
    from trust.store import StoreError
    from trust.store._offloop import wait_for

    try:
        future = durable.writes.submit(call)
    except StoreError:
        # The machine is closed: nothing runs on its writer any more. The call then fails
        # closed here as its synchronous twin does on a closed machine (a refusal; an
        # emergency BLOCKED here, not durable): once closed, its store does no I/O.
        return call()
    return await wait_for(future)
