"""The posture machine's async writes: a slow store never stalls the event loop.

`atransition`, `aset_posture` and `aemergency_downgrade` take the same arguments and
give the same results as the synchronous calls; on a store-backed machine the store work
runs on the machine's writer thread. The store is a real one (an SQLite file, or
PostgreSQL through ``postgres_url``) behind `tests.slow_store.SlowStore`, which slows it
by 200 ms per operation, cuts it off, or holds a write so that its caller can be
cancelled mid-write. Whether the loop kept running is counted in loop turns, never
timed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.fakes import FakeClock
from tests.slow_store import DELAY, LoopTurns, SlowStore
from trust.postures import (
    PostureStateMachine,
    PostureTransitionRequest,
    TransitionGuard,
    TransitionResult,
    TrustPosture,
)
from trust.store import open_store

SUPERVISED, ASSISTED, BLOCKED = TrustPosture.SUPERVISED, TrustPosture.ASSISTED, TrustPosture.BLOCKED
FULL = TrustPosture.FULL_AUTONOMY


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trust.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def another(url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second, empty store of the same engine as ``url``."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'another.db'}"
    return str(request.getfixturevalue("postgres_server").new_database())


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'trust.db'}"


@pytest.fixture
def slow(sqlite_url: str) -> Iterator[SlowStore]:
    store = SlowStore(sqlite_url)
    yield store
    store.release()
    store.close()


def machine_on(store: Any, clock: FakeClock | None = None) -> PostureStateMachine:
    return PostureStateMachine(
        store=store,
        clock=clock if clock is not None else FakeClock(),
        freshness=1.0,
        auto_refresh=False,
        require_upgrade_approval=False,
    )


def request(agent: str, source: TrustPosture, target: TrustPosture) -> PostureTransitionRequest:
    return PostureTransitionRequest(
        agent_id=agent, from_posture=source, to_posture=target, requester_id="operator"
    )


def close(machine: PostureStateMachine) -> None:
    assert machine.durable is not None
    machine.durable.close()


# -- a slow store leaves the loop running ------------------------------------------------


async def _writes(machine: PostureStateMachine) -> list[TransitionResult]:
    return [
        await machine.atransition(request("a", SUPERVISED, ASSISTED)),
        await machine.aset_posture("b", FULL, reason="operator decision"),
        await machine.aemergency_downgrade("a", reason="leaked a key"),
    ]


def test_async_writes_on_a_slow_store_leave_the_loop_running(slow: SlowStore) -> None:
    machine = machine_on(slow)
    slow.delay = DELAY
    loop_thread: list[threading.Thread] = []

    async def main() -> list[TransitionResult]:
        loop_thread.append(threading.current_thread())
        turns = slow.turns = LoopTurns()
        turns.start()
        results = await _writes(machine)
        await turns.stop()
        return results

    results = asyncio.run(main())
    assert [r.success for r in results] == [True, True, True]
    assert results[2].metadata["durable"] is True
    # Every delayed store operation waited while the loop went on turning (a count, not
    # a time: a write that blocked the loop would let it turn not once).
    assert len(slow.turns_while_waiting) >= 3
    assert min(slow.turns_while_waiting) > 10
    assert loop_thread[0] not in slow.threads
    slow.delay = 0
    close(machine)


def test_the_same_writes_made_synchronously_on_the_loop_stall_it(slow: SlowStore) -> None:
    # What the async calls are for: the test above would fail on the synchronous ones.
    machine = machine_on(slow)
    slow.delay = DELAY

    async def main() -> None:
        turns = slow.turns = LoopTurns()
        turns.start()
        await asyncio.sleep(0)  # the counter runs
        machine.transition(request("a", SUPERVISED, ASSISTED))
        machine.emergency_downgrade("a", reason="leaked a key")
        await turns.stop()

    asyncio.run(main())
    assert slow.turns_while_waiting
    assert set(slow.turns_while_waiting) == {0}
    slow.delay = 0
    close(machine)


# -- the same results as the synchronous calls -------------------------------------------


def _comparable(result: TransitionResult) -> TransitionResult:
    # The idempotency key of an emergency is new for every call, whichever its form.
    metadata = {k: v for k, v in result.metadata.items() if k != "op_id"}
    return attrs.evolve(result, metadata=metadata)


def _script_sync(machine: PostureStateMachine) -> list[TransitionResult]:
    return [
        machine.transition(request("a", SUPERVISED, ASSISTED)),
        machine.transition(request("a", SUPERVISED, ASSISTED)),  # stale: refused
        machine.transition(request("a", ASSISTED, FULL), expected_version=0),  # fenced
        machine.set_posture("b", FULL, reason="operator decision", requester_id="ops"),
        machine.emergency_downgrade("a", "leaked a key", "security"),
        machine.transition(request("a", BLOCKED, SUPERVISED)),
    ]


async def _script_async(machine: PostureStateMachine) -> list[TransitionResult]:
    return [
        await machine.atransition(request("a", SUPERVISED, ASSISTED)),
        await machine.atransition(request("a", SUPERVISED, ASSISTED)),
        await machine.atransition(request("a", ASSISTED, FULL), expected_version=0),
        await machine.aset_posture("b", FULL, reason="operator decision", requester_id="ops"),
        await machine.aemergency_downgrade("a", "leaked a key", "security"),
        await machine.atransition(request("a", BLOCKED, SUPERVISED)),
    ]


def test_async_results_equal_the_synchronous_ones(url: str, another: str) -> None:
    sync_machine = machine_on(url)
    expected = _script_sync(sync_machine)
    close(sync_machine)
    async_machine = machine_on(another)
    got = asyncio.run(_script_async(async_machine))
    assert [_comparable(r) for r in got] == [_comparable(r) for r in expected]
    assert [r.success for r in got] == [True, False, False, True, True, True]
    assert async_machine.get_posture("a") is SUPERVISED
    assert async_machine.get_transition_history("a") == got[:3] + got[4:]
    close(async_machine)


def test_without_a_store_the_async_calls_are_the_sync_ones_on_the_loop() -> None:
    machine = PostureStateMachine(require_upgrade_approval=False, clock=FakeClock())
    twin = PostureStateMachine(require_upgrade_approval=False, clock=FakeClock())
    where: list[threading.Thread] = []

    def guard(req: PostureTransitionRequest) -> bool:
        where.append(threading.current_thread())
        return True

    machine.add_guard(TransitionGuard(name="noted", check_fn=guard))
    twin.add_guard(TransitionGuard(name="noted", check_fn=guard))
    expected = _script_sync(twin)

    async def main() -> list[TransitionResult]:
        where.clear()
        return await _script_async(machine)

    assert asyncio.run(main()) == expected
    assert where
    assert set(where) == {threading.main_thread()}


# -- the store down: fail closed exactly as the synchronous calls ------------------------


@pytest.fixture
def cut_off(url: str) -> Iterator[SlowStore]:
    store = SlowStore(url)
    yield store
    store.close()


def test_with_the_store_down_the_async_calls_fail_closed_as_the_sync_ones(
    cut_off: SlowStore,
) -> None:
    sync_machine, async_machine = machine_on(cut_off), machine_on(cut_off)
    cut_off.down = True
    up = request("a", SUPERVISED, ASSISTED)
    expected = [
        sync_machine.transition(up),
        sync_machine.set_posture("a", FULL),
        sync_machine.emergency_downgrade("a", "leaked a key"),
    ]

    async def main() -> list[TransitionResult]:
        return [
            await async_machine.atransition(up),
            await async_machine.aset_posture("a", FULL),
            await async_machine.aemergency_downgrade("a", "leaked a key"),
        ]

    got = asyncio.run(main())
    assert [_comparable(r) for r in got] == [_comparable(r) for r in expected]
    assert not got[0].success
    assert "the trust store cannot be reached" in got[0].reason
    assert not got[1].success
    assert "the trust store cannot be reached" in got[1].reason
    assert got[2].metadata["durable"] is False  # BLOCKED here, retried
    assert async_machine.get_posture("a") is BLOCKED
    cut_off.down = False
    assert sync_machine.durable is not None
    assert sync_machine.durable.refresh()
    assert async_machine.durable is not None
    assert async_machine.durable.refresh()
    assert [e.kind for e in async_machine.durable.stored_history("a")].count(
        "emergency_downgrade"
    ) == 2  # each machine's emergency, retried once the store answered
    close(sync_machine)
    close(async_machine)


def test_malformed_arguments_raise_as_the_sync_calls_do(sqlite_url: str) -> None:
    machine = machine_on(sqlite_url)

    async def main() -> None:
        with pytest.raises(TypeError, match="request must be a PostureTransitionRequest"):
            await machine.atransition("a")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="agent_id"):
            await machine.aemergency_downgrade("   ")
        with pytest.raises(ValueError, match="expected_version"):
            await machine.atransition(request("a", SUPERVISED, ASSISTED), expected_version=-1)

    asyncio.run(main())
    close(machine)


# -- a cancelled caller: the change goes through whole ----------------------------------


def _stored(url: str, agent: str) -> tuple[TrustPosture, int, list[str]]:
    with open_store(url) as store:
        row = store.read_posture(agent)
        assert row is not None
        return row.posture, row.version, [e.kind for e in store.history(agent)]


@pytest.mark.parametrize("which", ["atransition", "aemergency_downgrade"])
def test_a_caller_cancelled_mid_write_leaves_store_and_cache_in_step(url: str, which: str) -> None:
    store = SlowStore(url)
    machine = machine_on(store)

    def change() -> Any:
        if which == "atransition":
            return machine.atransition(request("a", SUPERVISED, ASSISTED))
        return machine.aemergency_downgrade("a", "leaked a key")

    async def main() -> None:
        store.hold()
        waiter = asyncio.create_task(change())
        while not store.reached.is_set():  # the write is under way on the writer thread
            await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        store.release()

    asyncio.run(main())
    close(machine)  # lets the writer finish what it was asked
    posture, version, kinds = _stored(url, "a")
    expected = ASSISTED if which == "atransition" else BLOCKED
    assert posture is expected
    assert machine.get_posture("a") is expected  # the cache holds what the store holds
    assert machine.version("a") == version == 1
    [entry] = machine.get_transition_history("a")
    assert entry.success
    assert entry.to_posture is expected
    assert kinds == [entry.transition_type.value]


def test_a_cancelled_emergency_queued_behind_a_slow_write_still_goes_through(
    sqlite_url: str,
) -> None:
    store = SlowStore(sqlite_url)
    machine = machine_on(store)

    async def main() -> None:
        store.hold()
        first = asyncio.create_task(machine.atransition(request("a", SUPERVISED, ASSISTED)))
        while not store.reached.is_set():
            await asyncio.sleep(0)
        queued = asyncio.create_task(machine.aemergency_downgrade("a", "leaked a key"))
        await asyncio.sleep(0)
        queued.cancel()  # before the writer took it
        with pytest.raises(asyncio.CancelledError):
            await queued
        store.release()
        assert (await first).success

    asyncio.run(main())
    close(machine)
    assert _stored(sqlite_url, "a") == (BLOCKED, 2, ["upgrade", "emergency_downgrade"])
    assert machine.get_posture("a") is BLOCKED
    # Applied in the order asked: the upgrade, then the emergency.
    assert [e.to_posture for e in machine.get_transition_history("a")] == [ASSISTED, BLOCKED]
