"""Store calls from an event loop: the I/O runs off the loop, so a slow store stalls no task."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trust import TrustPosture
from trust.store import AsyncTrustStore, HistoryEntry, open_store

DELAY = 0.2  # the injected store latency, seconds


def slow(fault_point: str) -> None:
    # The injected delay: every write waits this long before it commits, as a store on a
    # slow disk or a distant server would. It runs on the store's thread, never the loop.
    if fault_point == "written":
        time.sleep(DELAY)


def entry() -> HistoryEntry:
    return HistoryEntry(
        agent_id="a",
        from_posture=TrustPosture.SUPERVISED,
        to_posture=TrustPosture.BLOCKED,
        kind="emergency_downgrade",
        at=datetime.now(UTC),
        op_id="op-1",
    )


def test_a_slow_store_leaves_other_tasks_running(tmp_path: Path) -> None:
    store = AsyncTrustStore(open_store(f"sqlite:///{tmp_path / 'trust.db'}", fault=slow))
    ticks_while_writing = 0
    loop_thread: list[threading.Thread] = []
    store_thread: list[threading.Thread] = []

    def on_store_thread(point: str) -> None:
        store_thread.append(threading.current_thread())
        slow(point)

    store.store._fault = on_store_thread  # type: ignore[attr-defined]

    async def ticker(done: asyncio.Event) -> None:
        nonlocal ticks_while_writing
        # Counts loop turns while the write is pending: a write that blocked the loop
        # would let none happen (no timing threshold: the count is 0 or it is not).
        while not done.is_set():
            ticks_while_writing += 1
            await asyncio.sleep(0)

    async def main() -> None:
        loop_thread.append(threading.current_thread())
        done = asyncio.Event()
        ticking = asyncio.create_task(ticker(done))
        written = await store.emergency(entry())
        done.set()
        await ticking
        assert written.committed
        await store.aclose()

    asyncio.run(main())
    assert ticks_while_writing > 100  # the loop kept turning through the 200 ms write
    assert store_thread
    assert all(t is not loop_thread[0] for t in store_thread)


def test_async_calls_reach_the_store(tmp_path: Path) -> None:
    async def main() -> None:
        store = AsyncTrustStore(open_store(f"sqlite:///{tmp_path / 'trust.db'}"))
        await store.emergency(entry())
        row = await store.read_posture("a")
        assert row is not None
        assert row.posture is TrustPosture.BLOCKED
        assert [e.op_id for e in await store.history("a")] == ["op-1"]
        assert (await store.changes_since(0))[0] == 1
        await store.aclose()

    asyncio.run(main())


def test_every_operation_has_an_awaitable_form(tmp_path: Path) -> None:
    from trust.store import AuditRecord, BreakerRow

    async def main() -> None:
        store = AsyncTrustStore(open_store(f"sqlite:///{tmp_path / 'trust.db'}"))
        upgrade = HistoryEntry(
            agent_id="b",
            from_posture=TrustPosture.SUPERVISED,
            to_posture=TrustPosture.ASSISTED,
            kind="upgrade",
            at=datetime.now(UTC),
        )
        assert await store.transition(upgrade, expected_version=0)
        row = BreakerRow(key="b", state="open", generation=1)
        assert await store.write_breaker(row, expected_generation=0)
        assert await store.read_breaker("b") == row
        take = {"generation": 1, "max_calls": 1, "now": 0.0, "ttl": 5.0}
        assert await store.acquire_probe("b", holder="h", **take) == 0  # type: ignore[arg-type]
        await store.release_probe("b", generation=1, slot=0, holder="h")
        assert await store.acquire_probe("b", holder="i", **take) == 0  # type: ignore[arg-type]
        record = await store.append_audit(
            lambda seq, prev: AuditRecord(sequence=seq, previous_hash=prev, hash="h", payload="{}")
        )
        assert await store.audit_head() == (1, record.hash)
        assert repr(store).startswith("AsyncTrustStore(SqliteStore('sqlite:///")
        await store.aclose()

    asyncio.run(main())


def test_a_cancelled_wait_does_not_cancel_the_write(tmp_path: Path) -> None:
    release = threading.Event()
    reached = threading.Event()

    def held(point: str) -> None:
        if point == "written":
            reached.set()
            assert release.wait(30)  # held until the test has cancelled its waiter

    store = AsyncTrustStore(open_store(f"sqlite:///{tmp_path / 'trust.db'}"))
    store.store._fault = held  # type: ignore[attr-defined]

    async def main() -> None:
        waiter = asyncio.create_task(store.emergency(entry()))
        while not reached.is_set():
            await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        release.set()
        row = await store.read_posture("a")  # queued behind the write, on the store's thread
        assert row is not None
        assert row.posture is TrustPosture.BLOCKED
        await store.aclose()

    asyncio.run(main())
