"""AuditLog.arecord: a store-backed log writes off the event loop; in memory, as before.

The store is a real one (an SQLite file, or PostgreSQL through ``postgres_url``) behind
`tests.slow_store.SlowStore`: slowed by 200 ms per operation, cut off, or holding a write
so that its caller can be cancelled mid-write. Whether the loop kept running is counted
in loop turns, never timed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeClock
from tests.slow_store import DELAY, LoopTurns, SlowStore
from trust import TrustPosture
from trust.audit import AuditEntry, AuditLog, AuditOutcome
from trust.store import StoreUnavailableError


def fields(i: int) -> dict[str, Any]:
    return {
        "agent_id": "a",
        "posture": TrustPosture.SUPERVISED,
        "action": "run",
        "kwargs": {"step": i},
        "outcome": AuditOutcome.EXECUTED,
        "duration_ms": 1.25,
        "result": {"value": i},
        "run_id": i,
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def another(url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second, empty store of the same engine as ``url``."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'another.db'}"
    return str(request.getfixturevalue("postgres_server").new_database())


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[SlowStore]:
    store = SlowStore(f"sqlite:///{tmp_path / 'audit.db'}")
    yield store
    store.release()
    store.close()


# -- a slow store leaves the loop running ------------------------------------------------


def test_arecord_on_a_slow_store_leaves_the_loop_running(slow: SlowStore) -> None:
    log = AuditLog(store=slow)
    slow.delay = DELAY
    loop_thread: list[threading.Thread] = []

    async def main() -> list[AuditEntry]:
        loop_thread.append(threading.current_thread())
        turns = slow.turns = LoopTurns()
        turns.start()
        entries = [await log.arecord(**fields(0)), await log.arecord(**fields(1))]
        await turns.stop()
        return entries

    entries = asyncio.run(main())
    assert [e.sequence for e in entries] == [0, 1]
    assert len(slow.turns_while_waiting) == 2
    assert min(slow.turns_while_waiting) > 10  # the loop kept turning through each write
    assert loop_thread[0] not in slow.threads
    slow.delay = 0
    assert log.verify()


def test_record_made_synchronously_on_the_loop_stalls_it(slow: SlowStore) -> None:
    # What arecord is for: the test above would fail on the synchronous call.
    log = AuditLog(store=slow)
    slow.delay = DELAY

    async def main() -> None:
        turns = slow.turns = LoopTurns()
        turns.start()
        await asyncio.sleep(0)
        log.record(**fields(0))
        await turns.stop()

    asyncio.run(main())
    assert slow.turns_while_waiting == [0]


# -- the same entries as record ----------------------------------------------------------


def test_arecord_gives_the_entries_record_gives(url: str, another: str) -> None:
    sync_log = AuditLog(store=url, clock=FakeClock(), key=b"k" * 32)
    expected = [sync_log.record(**fields(i)) for i in range(3)]
    async_log = AuditLog(store=another, clock=FakeClock(), key=b"k" * 32)

    async def main() -> list[AuditEntry]:
        return [await async_log.arecord(**fields(i)) for i in range(3)]

    got = asyncio.run(main())
    assert got == expected  # hashes included: the same chain
    assert async_log.entries() == expected
    assert async_log.stored_entries() == expected
    assert async_log.verify()
    for log in (sync_log, async_log):
        assert log.store is not None
        log.store.close()


def test_concurrent_arecords_are_chained_in_the_order_asked(slow: SlowStore) -> None:
    log = AuditLog(store=slow)

    async def main() -> list[AuditEntry]:
        return await asyncio.gather(*(log.arecord(**fields(i)) for i in range(5)))

    entries = asyncio.run(main())
    assert [(e.run_id, e.sequence) for e in entries] == [(i, i) for i in range(5)]
    assert log.verify()


def test_without_a_store_arecord_is_record_on_the_loop() -> None:
    seen: list[threading.Thread] = []
    log = AuditLog(clock=FakeClock(), sink=lambda entry: seen.append(threading.current_thread()))
    twin = AuditLog(clock=FakeClock())
    expected = [twin.record(**fields(i)) for i in range(2)]

    async def main() -> list[AuditEntry]:
        return [await log.arecord(**fields(i)) for i in range(2)]

    assert asyncio.run(main()) == expected
    assert seen == [threading.main_thread()] * 2  # no thread hop
    assert log.submit(**fields(2)).result().sequence == 2  # done at once


# -- the store down: fail closed as record does ------------------------------------------


def test_with_the_store_down_arecord_raises_as_record_does(url: str) -> None:
    store = SlowStore(url)
    log = AuditLog(store=store)
    store.down = True
    with pytest.raises(StoreUnavailableError) as sync_error:
        log.record(**fields(0))

    async def main() -> None:
        with pytest.raises(StoreUnavailableError) as async_error:
            await log.arecord(**fields(0))
        assert str(async_error.value) == str(sync_error.value)

    asyncio.run(main())
    assert len(log) == 0  # recorded nowhere: the caller must treat it as not audited
    store.down = False
    assert asyncio.run(log.arecord(**fields(1))).sequence == 0  # nothing half-recorded
    store.close()


# -- a cancelled caller: the entry is recorded all the same ------------------------------


def test_a_caller_cancelled_mid_write_still_has_its_entry_recorded(url: str) -> None:
    store = SlowStore(url)
    delivered: list[AuditEntry] = []
    log = AuditLog(store=store, sink=delivered.append)

    async def main() -> None:
        store.hold()
        waiter = asyncio.create_task(log.arecord(**fields(0)))
        while not store.reached.is_set():
            await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        store.release()
        after = await log.arecord(**fields(1))  # queued behind the cancelled one
        assert after.sequence == 1

    asyncio.run(main())
    assert [e.run_id for e in log.stored_entries()] == [0, 1]
    assert [e.run_id for e in log.entries()] == [0, 1]
    assert [e.run_id for e in delivered] == [0, 1]  # the sink heard of it too
    assert log.verify()
    store.close()


def test_a_stop_request_from_the_sink_is_raised_once_the_entry_is_recorded(
    slow: SlowStore,
) -> None:
    def sink(entry: AuditEntry) -> None:
        raise KeyboardInterrupt

    log = AuditLog(store=slow, sink=sink)

    async def main() -> None:
        with pytest.raises(KeyboardInterrupt):
            await log.arecord(**fields(0))

    asyncio.run(main())
    assert [e.run_id for e in log.stored_entries()] == [0]
    assert log.sink_failures == 1


def test_a_cancelled_callers_failed_write_is_logged_not_lost(
    slow: SlowStore, caplog: pytest.LogCaptureFixture
) -> None:
    log = AuditLog(store=slow)

    async def main() -> None:
        slow.hold()
        waiter = asyncio.create_task(log.arecord(**fields(0)))
        while not slow.reached.is_set():
            await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        slow.down = True  # the held write then finds the store gone
        slow.release()
        with pytest.raises(StoreUnavailableError):
            await log.arecord(**fields(1))  # queued behind it

    asyncio.run(main())
    assert "store work whose caller was cancelled failed" in caplog.text
    assert "StoreUnavailableError" in caplog.text
    assert len(log) == 0


def test_reading_the_log_never_waits_for_a_write_in_flight(slow: SlowStore) -> None:
    log = AuditLog(store=slow)
    first = log.record(**fields(0))

    async def main() -> None:
        slow.hold()
        waiter = asyncio.create_task(log.arecord(**fields(1)))
        while not slow.reached.is_set():  # the append is under way on the writer thread
            await asyncio.sleep(0)
        # On the loop, while the store holds the write: the kept entries, at once (a
        # reader waiting for the append would stall the loop, and the held write with it).
        assert log.entries() == [first]
        assert log.head_hash == first.hash
        slow.release()
        assert (await waiter).sequence == 1

    asyncio.run(main())
    assert [e.sequence for e in log.entries()] == [0, 1]
    assert log.verify()
