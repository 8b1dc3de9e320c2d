"""A store-backed breaker's ``async`` methods keep the event loop running during store I/O.

The store is the real SQLite store with a delay injected into every transaction once the
test arms it: each waits up to 200 ms, or until a ticker task on the same loop has run
`TURNS` times. If the breaker ran the store work on the loop, the ticker could not run
while the store waited: it would count no turn during the write.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from tests.breaker_workers import close, pair
from trust.circuit_breaker import CircuitState
from trust.postures import TrustPosture
from trust.store import open_store
from trust.store._sql import SqlStore
from trust.testing import FakeClock

TURNS = 20
DELAY = 0.2  # seconds: the injected latency of one transaction, at most


class Slow(SqlStore):
    """The real SQLite store, whose transactions wait (up to `DELAY`) once armed."""

    def __init__(self, url: str) -> None:
        inner = open_store(url)
        assert isinstance(inner, SqlStore)
        self.__dict__.update(inner.__dict__)
        self.armed = False
        self.released = threading.Event()
        self.waited = 0

    def _run(self, work, *, write):  # type: ignore[no-untyped-def]
        if self.armed:
            self.waited += 1
            self.released.wait(DELAY)
        return super()._run(work, write=write)


async def ticking_while(work: asyncio.Future[object], store: Slow) -> int:
    """Count the loop turns a ticker task makes while ``work`` runs."""
    turns = 0

    async def tick() -> None:
        nonlocal turns
        while not work.done():
            turns += 1
            if turns == TURNS:
                store.released.set()
            await asyncio.sleep(0)

    await asyncio.gather(work, tick())
    return turns


def test_a_trip_is_written_off_the_event_loop(tmp_path: Path) -> None:
    store = Slow(f"sqlite:///{tmp_path / 'trust.db'}")
    machine, breaker = pair(store, FakeClock())
    assert machine.set_posture("agent-1", TrustPosture.FULL_AUTONOMY).success

    async def scenario() -> int:
        await breaker.record_failure("agent-1", "Timeout", "t")
        store.armed = True
        trip = asyncio.ensure_future(breaker.record_failure("agent-1", "Timeout", "t"))
        return await ticking_while(trip, store)

    turns = asyncio.run(scenario())
    assert store.waited > 0  # the trip did wait on the store
    assert turns >= TURNS  # and the loop kept running meanwhile
    assert breaker.get_state("agent-1") is CircuitState.OPEN
    assert machine.get_posture("agent-1") is TrustPosture.HUMAN_DECIDES
    close(machine, breaker)


def test_a_probe_admission_and_its_restore_run_off_the_event_loop(tmp_path: Path) -> None:
    store = Slow(f"sqlite:///{tmp_path / 'trust.db'}")
    clock = FakeClock()
    machine, breaker = pair(store, clock)
    assert machine.set_posture("agent-1", TrustPosture.FULL_AUTONOMY).success
    breaker.record_failure_sync("agent-1", "Timeout", "t")
    breaker.record_failure_sync("agent-1", "Timeout", "t")
    clock.advance(31)
    assert machine.durable is not None
    assert machine.durable.refresh()

    async def scenario() -> tuple[int, int]:
        store.armed = True
        admit = asyncio.ensure_future(breaker.admit("agent-1"))
        admitting = await ticking_while(admit, store)
        store.released.clear()
        success = asyncio.ensure_future(breaker.record_success("agent-1", admit.result()))
        return admitting, await ticking_while(success, store)

    admitting, restoring = asyncio.run(scenario())
    assert admitting >= TURNS
    assert restoring >= TURNS
    assert breaker.get_state("agent-1") is CircuitState.CLOSED
    assert machine.get_posture("agent-1") is TrustPosture.FULL_AUTONOMY
    close(machine, breaker)


def test_a_closed_circuit_admits_on_the_loop_without_the_store(tmp_path: Path) -> None:
    store = Slow(f"sqlite:///{tmp_path / 'trust.db'}")
    machine, breaker = pair(store, FakeClock())
    store.armed = True
    assert asyncio.run(breaker.can_proceed("agent-1")) is True
    assert asyncio.run(breaker.admit("agent-1")).allowed
    assert store.waited == 0  # a plain lookup: no store I/O
    store.armed = False
    close(machine, breaker)
