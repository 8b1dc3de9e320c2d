"""Store calls for event loops: the I/O runs on a worker thread, never on the loop.

A store write waits for a disk sync or a network round trip, and a lock held by another
process may keep it waiting up to the store's timeout: on the loop, that would stall
every other task. `AsyncTrustStore` runs each call on the store's own worker thread and
awaits it, so the loop goes on meanwhile.

A task cancelled while it awaits a write does not cancel the write: the transaction goes
on and commits or not as it would have, so a cancelled emergency downgrade may still be
durable (retrying it is safe: it is idempotent).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from trust.store._errors import StoreError
from trust.store._interface import AuditBuilder, TrustStore
from trust.store._records import (
    AuditRecord,
    BreakerRow,
    HistoryEntry,
    PostureRow,
    PostureWrite,
    Written,
)

T = TypeVar("T")


class AsyncTrustStore:
    """The awaitable face of a `TrustStore`: the same operations, off the event loop.

    Args:
        store: The store whose calls are run on a worker thread.
    """

    def __init__(self, store: TrustStore) -> None:
        self.store = store
        # One thread: the store serialises its connection anyway, and calls stay in order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trust-store")
        self._closed = False

    async def _call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        if self._closed:
            # The worker is gone: the executor would raise a bare RuntimeError.
            raise StoreError(f"the store {self.store.url} is closed")
        return await loop.run_in_executor(
            self._executor, functools.partial(method, *args, **kwargs)
        )

    async def read_posture(self, agent_id: str) -> PostureRow | None:
        """See `TrustStore.read_posture`."""
        return await self._call(self.store.read_posture, agent_id)

    async def changes_since(self, epoch: int) -> tuple[int, list[PostureRow]]:
        """See `TrustStore.changes_since`."""
        return await self._call(self.store.changes_since, epoch)

    async def transition(
        self, entry: HistoryEntry, *, expected_version: int, history_limit: int = 100
    ) -> Written:
        """See `TrustStore.transition`."""
        return await self._call(
            self.store.transition,
            entry,
            expected_version=expected_version,
            history_limit=history_limit,
        )

    async def emergency(self, entry: HistoryEntry, *, history_limit: int = 100) -> Written:
        """See `TrustStore.emergency`."""
        return await self._call(self.store.emergency, entry, history_limit=history_limit)

    async def history(self, agent_id: str, limit: int | None = None) -> list[HistoryEntry]:
        """See `TrustStore.history`."""
        return await self._call(self.store.history, agent_id, limit)

    async def read_breaker(self, key: str) -> BreakerRow | None:
        """See `TrustStore.read_breaker`."""
        return await self._call(self.store.read_breaker, key)

    async def write_breaker(
        self, row: BreakerRow, *, expected_generation: int, posture: PostureWrite | None = None
    ) -> bool:
        """See `TrustStore.write_breaker`."""
        return await self._call(
            self.store.write_breaker, row, expected_generation=expected_generation, posture=posture
        )

    async def acquire_probe(
        self, key: str, *, generation: int, max_calls: int, holder: str, now: float, ttl: float
    ) -> int | None:
        """See `TrustStore.acquire_probe`."""
        return await self._call(
            self.store.acquire_probe,
            key,
            generation=generation,
            max_calls=max_calls,
            holder=holder,
            now=now,
            ttl=ttl,
        )

    async def release_probe(self, key: str, *, generation: int, slot: int, holder: str) -> None:
        """See `TrustStore.release_probe`."""
        await self._call(
            self.store.release_probe, key, generation=generation, slot=slot, holder=holder
        )

    async def append_audit(self, build: AuditBuilder) -> AuditRecord:
        """See `TrustStore.append_audit`."""
        return await self._call(self.store.append_audit, build)

    async def audit_head(self) -> tuple[int, str]:
        """See `TrustStore.audit_head`."""
        return await self._call(self.store.audit_head)

    async def aclose(self) -> None:
        """Close the store (on its worker thread) and stop the thread; again, nothing."""
        if self._closed:
            return
        await self._call(self.store.close)
        self._closed = True
        self._executor.shutdown(wait=False)

    def __repr__(self) -> str:
        return f"AsyncTrustStore({self.store!r})"
