"""A real store behind a wrapper that makes it slow, unreachable or held, for async tests.

`SlowStore` wraps a real `TrustStore` (an SQLite file or a PostgreSQL database) and
forwards every operation to it. It adds only what a slow disk or a distant server would:
a delay before each operation (``delay``, seconds; the delay runs on whatever thread
calls the store), an outage (``down``: every operation raises `StoreUnavailableError`
as an unreachable server does) and a hold (``hold()``: the next operations wait until
``release``, to cancel a caller mid-write). While the delay runs it notes how often the
event loop turned (`LoopTurns`), so a test can tell a loop that kept running from one
that stalled without reading any clock.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TypeVar

from trust.store import (
    AuditBuilder,
    AuditRecord,
    BreakerRow,
    HistoryEntry,
    PostureRow,
    PostureWrite,
    StoreUnavailableError,
    TrustStore,
    Written,
    open_store,
)

DELAY = 0.2  # the injected latency per operation, seconds

T = TypeVar("T")


class LoopTurns:
    """Counts the turns of an event loop, from a task that yields at every turn."""

    def __init__(self) -> None:
        self.count = 0
        self._stop = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._turn())

    async def _turn(self) -> None:
        while not self._stop:
            self.count += 1
            await asyncio.sleep(0)

    async def stop(self) -> None:
        self._stop = True
        assert self._task is not None
        await self._task


class SlowStore(TrustStore):
    """A real store, slowed (or cut off, or held) by the test; see the module."""

    def __init__(self, url: str) -> None:
        self.inner = open_store(url)
        self.url = self.inner.url
        self.delay = 0.0
        self.down = False
        self.turns: LoopTurns | None = None
        self.turns_while_waiting: list[int] = []  # per delayed operation
        self.threads: set[threading.Thread] = set()  # where delayed operations ran
        self.reached = threading.Event()
        self._held = threading.Event()
        self._held.set()

    def hold(self) -> None:
        """Make the next operations wait (after setting `reached`) until `release`."""
        self.reached.clear()
        self._held.clear()

    def release(self) -> None:
        self._held.set()

    def _wait(self) -> None:
        if not self._held.is_set():
            self.reached.set()
            assert self._held.wait(30)  # released by the test once it has cancelled
        if self.down:
            raise StoreUnavailableError(f"cannot reach the store {self.url}: connection refused")
        if self.delay:
            self.threads.add(threading.current_thread())
            turns = self.turns
            before = turns.count if turns is not None else 0
            time.sleep(self.delay)  # the store's latency, on the caller's thread
            self.turns_while_waiting.append((turns.count if turns is not None else 0) - before)

    def read_posture(self, agent_id: str) -> PostureRow | None:
        self._wait()
        return self.inner.read_posture(agent_id)

    def changes_since(self, epoch: int) -> tuple[int, list[PostureRow]]:
        self._wait()
        return self.inner.changes_since(epoch)

    def transition(
        self, entry: HistoryEntry, *, expected_version: int, history_limit: int = 100
    ) -> Written:
        self._wait()
        return self.inner.transition(
            entry, expected_version=expected_version, history_limit=history_limit
        )

    def emergency(self, entry: HistoryEntry, *, history_limit: int = 100) -> Written:
        self._wait()
        return self.inner.emergency(entry, history_limit=history_limit)

    def history(self, agent_id: str, limit: int | None = None) -> list[HistoryEntry]:
        self._wait()
        return self.inner.history(agent_id, limit)

    def read_breaker(self, key: str) -> BreakerRow | None:
        self._wait()
        return self.inner.read_breaker(key)

    def open_breakers(self) -> list[BreakerRow]:
        self._wait()
        return self.inner.open_breakers()

    def write_breaker(
        self, row: BreakerRow, *, expected_generation: int, posture: PostureWrite | None = None
    ) -> bool:
        self._wait()
        return self.inner.write_breaker(
            row, expected_generation=expected_generation, posture=posture
        )

    def acquire_probe(
        self, key: str, *, generation: int, max_calls: int, holder: str, now: float, ttl: float
    ) -> int | None:
        self._wait()
        return self.inner.acquire_probe(
            key, generation=generation, max_calls=max_calls, holder=holder, now=now, ttl=ttl
        )

    def release_probe(self, key: str, *, generation: int, slot: int, holder: str) -> None:
        self._wait()
        self.inner.release_probe(key, generation=generation, slot=slot, holder=holder)

    def append_audit(self, build: AuditBuilder) -> AuditRecord:
        self._wait()
        return self.inner.append_audit(build)

    def audit_head(self) -> tuple[int, str]:
        self._wait()
        return self.inner.audit_head()

    def audit_records(self, start: int = 0, limit: int | None = None) -> list[AuditRecord]:
        self._wait()
        return self.inner.audit_records(start, limit)

    def close(self) -> None:
        self.inner.close()
