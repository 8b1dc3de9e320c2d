"""An emergency BLOCKs the agent here at once, even while the writes ahead of it wait.

On a store-backed machine a change holds the machine's lock for its store I/O, and the
async calls queue on one writer thread. An emergency used to read BLOCKED only once it
got the lock or its turn: behind a slow store, or another process's SQLite lock, the
agent kept acting at its old posture meanwhile. The store here is a real SQLite file
behind `tests.slow_store.SlowStore`, whose ``hold`` keeps a write waiting.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes import FakeClock
from tests.slow_store import SlowStore
from trust.postures import PostureStateMachine, PostureTransitionRequest, TrustPosture
from trust.store import HistoryEntry, PostureCache, open_store

BLOCKED = TrustPosture.BLOCKED
SUPERVISED = TrustPosture.SUPERVISED
ASSISTED = TrustPosture.ASSISTED
FULL = TrustPosture.FULL_AUTONOMY


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SlowStore]:
    slow = SlowStore(f"sqlite:///{tmp_path / 'trust.db'}")
    yield slow
    slow.release()
    slow.close()


def machine_on(store: SlowStore) -> PostureStateMachine:
    return PostureStateMachine(
        store=store,
        clock=FakeClock(),
        auto_refresh=False,
        require_upgrade_approval=False,
    )


def test_an_emergency_reads_blocked_while_a_change_ahead_waits_on_the_store(
    store: SlowStore,
) -> None:
    machine = machine_on(store)
    machine.set_posture("a", FULL, reason="reviewed")
    store.hold()  # the next write waits, with the machine's lock held
    ahead = threading.Thread(
        target=machine.set_posture, args=("a", ASSISTED), kwargs={"reason": "review"}
    )
    ahead.start()
    assert store.reached.wait(30)
    emergency = threading.Thread(target=machine.emergency_downgrade, args=("a", "leaked a key"))
    emergency.start()
    # The emergency waits for the lock behind the held write; the agent must not keep
    # acting at FULL_AUTONOMY meanwhile. Wait (boundedly) for the emergency to begin.
    deadline = time.monotonic() + 30
    while machine.get_posture("a") is not BLOCKED and time.monotonic() < deadline:
        threading.Event().wait(0.001)
    seen = machine.get_posture("a")
    assert ahead.is_alive()  # the write ahead is still held: the emergency did not run yet
    store.release()
    ahead.join(30)
    emergency.join(30)
    assert seen is BLOCKED
    assert machine.get_posture("a") is BLOCKED
    assert store.inner.read_posture("a").posture is BLOCKED  # type: ignore[union-attr]
    machine.durable.close()  # type: ignore[union-attr]


def test_an_awaited_emergency_reads_blocked_before_it_waits_its_turn(store: SlowStore) -> None:
    machine = machine_on(store)
    machine.set_posture("a", FULL, reason="reviewed")

    async def main() -> None:
        store.hold()
        ahead = asyncio.create_task(machine.atransition(_down("a", FULL, ASSISTED)))
        while not store.reached.is_set():  # the write ahead is under way, and held
            await asyncio.sleep(0)
        emergency = asyncio.create_task(machine.aemergency_downgrade("a", "leaked a key"))
        await asyncio.sleep(0)  # the emergency has been asked for, and is queued
        assert machine.get_posture("a") is BLOCKED
        assert not emergency.done()
        store.release()
        assert (await ahead).success
        result = await emergency
        assert result.metadata["durable"] is True

    asyncio.run(main())
    assert machine.get_posture("a") is BLOCKED
    assert [e.to_posture for e in machine.get_transition_history("a")] == [FULL, ASSISTED, BLOCKED]
    machine.durable.close()  # type: ignore[union-attr]


def test_awaited_calls_on_a_closed_machine_fail_closed_as_the_synchronous_ones(
    store: SlowStore,
) -> None:
    # They used to raise StoreError ("is closed") from the writer thread: the emergency
    # did not even BLOCK the agent here, where the synchronous call does.
    machine = machine_on(store)
    machine.set_posture("a", ASSISTED, reason="reviewed")
    durable = machine.durable
    assert durable is not None
    durable.close()
    result = asyncio.run(machine.aemergency_downgrade("a", "leaked a key", op_id="late"))
    assert result.metadata["durable"] is False
    assert machine.get_posture("a") is BLOCKED
    with pytest.raises(ValueError, match="must be held here"):
        durable.release("a")  # the emergency's own hold was released
    refused = asyncio.run(machine.aset_posture("a", FULL, reason="review"))
    assert not refused.success
    assert "cannot be reached" in refused.reason


def test_a_change_read_while_held_is_served_once_released(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    with open_store(url) as other:
        cache = PostureCache(open_store(url), clock=FakeClock())
        cache.refresh()
        cache.hold("a")
        assert cache.get("a") is BLOCKED
        # Another process moves the agent on while it is held here.
        other.transition(_entry("a", SUPERVISED, ASSISTED), expected_version=0)
        cache.refresh()
        assert cache.get("a") is BLOCKED
        cache.release("a")
        # Not stuck at BLOCKED, nor at the default: the row read while it was held.
        assert cache.get("a") is ASSISTED
        assert cache.version("a") == 1


def test_a_hold_on_an_agent_never_written_releases_to_the_default(tmp_path: Path) -> None:
    cache = PostureCache(open_store(f"sqlite:///{tmp_path / 'trust.db'}"), clock=FakeClock())
    cache.refresh()
    cache.hold("new")
    cache.hold("new")
    cache.release("new")
    assert cache.get("new") is BLOCKED  # one hold is still on
    cache.release("new")
    assert cache.get("new") is SUPERVISED


def _down(agent: str, source: TrustPosture, target: TrustPosture) -> PostureTransitionRequest:
    return PostureTransitionRequest(
        agent_id=agent, from_posture=source, to_posture=target, requester_id="operator"
    )


def _entry(agent: str, source: TrustPosture, target: TrustPosture) -> HistoryEntry:
    return HistoryEntry(
        agent_id=agent, from_posture=source, to_posture=target, kind="upgrade", at=datetime.now(UTC)
    )


def test_closing_writes_the_emergencies_held_here_once_more(store: SlowStore) -> None:
    machine = machine_on(store)
    machine.set_posture("a", ASSISTED, reason="reviewed")
    store.down = True
    result = machine.emergency_downgrade("a", "leaked a key", op_id="incident-1")
    assert result.metadata["durable"] is False
    store.down = False  # back before the next refresh: closing is the last chance
    machine.durable.close()  # type: ignore[union-attr]
    with open_store(store.url) as again:
        assert again.read_posture("a").posture is BLOCKED  # type: ignore[union-attr]


def test_closing_with_the_store_down_names_the_emergencies_it_could_not_write(
    store: SlowStore, caplog: pytest.LogCaptureFixture
) -> None:
    machine = machine_on(store)
    store.down = True
    machine.emergency_downgrade("a", "leaked a key", op_id="incident-1")
    with caplog.at_level("ERROR", logger="trust.postures"):
        machine.durable.close()  # type: ignore[union-attr]
    assert "1 emergency downgrades not durable" in caplog.text
    assert "('a', 'incident-1')" in caplog.text
