"""A bounded, thread-safe, hash-chained audit log with an optional sink."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from typing import Any

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError
from trust._shown import absorb, deferring
from trust.audit._entry import (
    GENESIS_HASH,
    AuditEntry,
    AuditOutcome,
    ChainVerification,
    chain_key,
    digest,
    verify_audit_chain,
)
from trust.audit._fields import entry_fields
from trust.audit._sink import AuditSink, JsonLinesSink
from trust.audit._stored import stored_entries, verify_stored
from trust.postures import TrustPosture
from trust.store import AuditRecord, TrustStore, resolve_store
from trust.store._offloop import OffLoop, wait_for

_log = logging.getLogger("trust.audit")


class AuditLog:
    """Keeps the newest ``max_entries`` audit entries, chained by hash.

    Args:
        max_entries: Entries kept in memory; the oldest are dropped first (the chain stays
            verifiable from the first entry kept).
        sink: Where each entry also goes: a callable, or a path (``str``/``PathLike``)
            written as JSON lines. A sink that raises (anything, `BaseException`
            included) does not lose the entry or stop the action: the failure is logged
            and counted in ``sink_failures``. A `KeyboardInterrupt` or `SystemExit` from
            it is raised again once the entry is recorded.
        clock: Where entry timestamps come from.
        key: A secret of at least 16 bytes: entries are then chained by HMAC-SHA256
            under it instead of SHA-256, so only a holder of the key can recompute the
            chain after an edit. Keep it apart from where the entries are stored, and
            pass it to `verify_audit_chain`.
        store: A trust store (or its URL, see `trust.store.open_store`) that keeps the
            chain durably: each entry is appended to it, in one transaction with reading
            its head, before `record` returns, so the chain goes on across restarts and
            every process sharing the store extends the same chain. `verify` then checks
            the whole stored chain. If the store cannot be reached, `record` raises
            `trust.store.StoreUnavailableError` and the entry is recorded nowhere: the
            caller must treat the action as not audited. From an event loop, use
            `arecord`: the store's I/O then runs on the log's writer thread. Reading the
            log (`entries`, `head_hash`) never waits for the store.

    Several agents may share one log; sequence numbers and hashes are assigned under
    its lock, so the chain is one total order.

    Memory: an entry keeps its kwargs, result and error as snapshots of at most
    `MAX_SNAPSHOT_BYTES` (16 KiB) each, plus about 1 KiB of its own, so a full log of
    the default 10,000 entries keeps at most about 500 MiB even if every action was
    given and returned hostile values (typical entries are a few hundred bytes).
    """

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        sink: AuditSink | str | os.PathLike[str] | None = None,
        clock: Clock | None = None,
        key: bytes | None = None,
        store: TrustStore | str | None = None,
    ) -> None:
        self._key = chain_key(key)
        self._store = resolve_store(store)
        self._entries: deque[AuditEntry] = deque(
            maxlen=check.positive_int(max_entries, "max_entries")
        )
        if isinstance(sink, str | os.PathLike):
            sink = JsonLinesSink(sink)
        if sink is not None and not callable(sink):
            raise InvalidTypeError(
                f"sink must be a callable or a file path, got {check.shown(sink)}"
            )
        self._sink: AuditSink | None = sink
        self._clock = resolve_clock(clock)
        self._lock = threading.Lock()
        self._appending = threading.Lock()  # a store-backed log's appends, one at a time
        self._sequence = 0
        self._head = GENESIS_HASH
        # The writer thread of `arecord` and `submit`: only with a store (see `OffLoop`).
        self._writes: OffLoop | None = None
        if self._store is not None:
            self._sequence, self._head = self._store.audit_head()
            self._writes = OffLoop("trust-audit-writes")
        self.sink_failures = 0

    @property
    def store(self) -> TrustStore | None:
        """The store that keeps the chain, if any."""
        return self._store

    @property
    def head_hash(self) -> str:
        """The hash of the newest entry (`GENESIS_HASH` before the first).

        Keep it somewhere an editor of the entries cannot reach, and pass it as
        ``head`` to `verify_audit_chain`: an edit that recomputes every later hash, or a
        cut at the end, then shows.
        """
        return self._head

    def verify(self, *, checkpoint: str | None = None) -> ChainVerification:
        """Check the kept entries against this log's own head, anchor and key.

        The entries and the head are read together, under the lock. The first kept entry
        must link to `GENESIS_HASH` unless older ones were dropped (``max_entries``).
        This catches an entry's snapshot mutated in place; for a copy stored elsewhere
        (the sink), use `verify_audit_chain` with a head kept apart from it.

        With a store, the whole stored chain is checked instead, page by page, from
        `GENESIS_HASH` to the store's head; a ``checkpoint`` (an earlier `head_hash`, kept
        out of the store's reach) must be in it, so a cut at its end shows.

        Raises:
            trust.store.StoreUnavailableError: the store cannot be reached.
            InvalidValueError: ``checkpoint`` without a store, or not a hash.
        """
        if self._store is not None or checkpoint is not None:
            return verify_stored(self._store, self._key, checkpoint)
        with self._lock:
            kept, head = list(self._entries), self._head
        anchor = GENESIS_HASH if not kept or kept[0].sequence == 0 else None
        return verify_audit_chain(kept, anchor=anchor, head=head, key=self._key)

    def record(
        self,
        *,
        agent_id: str,
        posture: TrustPosture,
        action: str,
        kwargs: Mapping[str, Any],
        outcome: AuditOutcome,
        duration_ms: float,
        result: Any = None,
        error: str | None = None,
        run_id: int | None = None,
    ) -> AuditEntry:
        """Append an entry, chain it, and hand it to the sink.

        ``kwargs``, ``result`` and ``error`` are stored as bounded snapshots (see
        `snapshot`): whatever they are, the entry is recorded, never dropped. A
        `KeyboardInterrupt` or `SystemExit` raised while they are read, or by the sink,
        is raised once the entry is recorded and handed to the sink (inside an enclosing
        `trust._shown.deferring` scope, when that scope ends).
        """
        with deferring():
            entry = self._link(
                self._fields(
                    agent_id=agent_id,
                    posture=posture,
                    action=action,
                    kwargs=kwargs,
                    outcome=outcome,
                    duration_ms=duration_ms,
                    result=result,
                    error=error,
                    run_id=run_id,
                )
            )
            self._deliver(entry)
        return entry

    async def arecord(
        self,
        *,
        agent_id: str,
        posture: TrustPosture,
        action: str,
        kwargs: Mapping[str, Any],
        outcome: AuditOutcome,
        duration_ms: float,
        result: Any = None,
        error: str | None = None,
        run_id: int | None = None,
    ) -> AuditEntry:
        """`record`, for event loops: with a store, the write never blocks the loop.

        Same arguments, result and errors as `record`. Without a store it is `record`,
        on the loop. With one, the snapshots are taken here and the rest (the lock, the
        store's transaction, the sink) runs on the log's writer thread, in the order the
        entries were asked for (`submit`). A caller cancelled while it waits gets
        `asyncio.CancelledError`, and its entry is still recorded and handed to the sink:
        an action that ran is never missing from the log.

        Raises:
            trust.store.StoreUnavailableError: the store cannot be reached (the entry is
                recorded nowhere, as with `record`).
        """
        if self._writes is None:
            return self.record(
                agent_id=agent_id,
                posture=posture,
                action=action,
                kwargs=kwargs,
                outcome=outcome,
                duration_ms=duration_ms,
                result=result,
                error=error,
                run_id=run_id,
            )
        with deferring():  # a stop request met in a snapshot: raised once recorded
            written = self._submit(
                self._fields(
                    agent_id=agent_id,
                    posture=posture,
                    action=action,
                    kwargs=kwargs,
                    outcome=outcome,
                    duration_ms=duration_ms,
                    result=result,
                    error=error,
                    run_id=run_id,
                )
            )
            return await wait_for(written)

    def submit(
        self,
        *,
        agent_id: str,
        posture: TrustPosture,
        action: str,
        kwargs: Mapping[str, Any],
        outcome: AuditOutcome,
        duration_ms: float,
        result: Any = None,
        error: str | None = None,
        run_id: int | None = None,
    ) -> Future[AuditEntry]:
        """Record without waiting for the store: for a caller that cannot wait at all.

        Same arguments as `record`. With a store, the entry's snapshots are taken now
        and its write is queued on the log's writer thread; the future holds the entry
        once recorded and handed to the sink (or the error, `StoreUnavailableError`
        included; one nobody reads is logged). Without a store, the entry is recorded
        now and the future is done.
        """
        fields = self._fields(
            agent_id=agent_id,
            posture=posture,
            action=action,
            kwargs=kwargs,
            outcome=outcome,
            duration_ms=duration_ms,
            result=result,
            error=error,
            run_id=run_id,
        )
        if self._writes is None:
            done: Future[AuditEntry] = Future()
            with deferring():
                entry = self._link(fields)
                self._deliver(entry)
            done.set_result(entry)
            return done
        return self._submit(fields)

    def _submit(self, fields: dict[str, Any]) -> Future[AuditEntry]:
        assert self._writes is not None
        return self._writes.submit(functools.partial(self._write, fields))

    def _write(self, fields: dict[str, Any]) -> AuditEntry:
        # On the writer thread: as `record` does, a stop request from the sink is raised
        # (into the future) once the entry is recorded and delivered.
        with deferring():
            entry = self._link(fields)
            self._deliver(entry)
        return entry

    _fields = staticmethod(entry_fields)

    def _link(self, fields: dict[str, Any]) -> AuditEntry:
        """Stamp, number and chain an entry (in the store, if any), under the lock."""
        if self._store is not None:
            return self._append(fields)
        with self._lock:
            fields["timestamp"] = self._clock.now()
            fields["sequence"] = self._sequence
            fields["previous_hash"] = self._head
            unhashed = AuditEntry(**fields, hash="")
            entry = AuditEntry(**fields, hash=digest(unhashed.payload(), self._key))
            self._entries.append(entry)
            self._sequence += 1
            self._head = entry.hash
        return entry

    def _append(self, fields: dict[str, Any]) -> AuditEntry:
        """Append to the store's chain; keep it here too.

        One append at a time (`_appending`), so that the kept entries and the stamps
        follow the chain; the lock that readers take is held only to keep the entry, never
        during the store's I/O, so reading the log never waits for the store.
        """
        assert self._store is not None
        made: list[AuditEntry] = []

        def build(sequence: int, previous_hash: str) -> AuditRecord:
            linked = {**fields, "sequence": sequence, "previous_hash": previous_hash}
            unhashed = AuditEntry(**linked, hash="")
            entry = AuditEntry(**linked, hash=digest(unhashed.payload(), self._key))
            made[:] = [entry]
            return AuditRecord(
                sequence=sequence,
                previous_hash=previous_hash,
                hash=entry.hash,
                payload=entry.to_json(),
            )

        with self._appending:
            fields["timestamp"] = self._clock.now()
            self._store.append_audit(build)
            entry = made[0]
            with self._lock:
                self._entries.append(entry)
                self._sequence = entry.sequence + 1
                self._head = entry.hash
        return entry

    def stored_entries(self, start: int = 0, limit: int | None = None) -> list[AuditEntry]:
        """The entries in the store from sequence ``start`` (every process's), oldest first.

        Without a store, the kept entries from ``start``.

        Raises:
            trust.store.StoreUnavailableError: the store cannot be reached.
        """
        if self._store is None:
            kept = [e for e in self.entries() if e.sequence >= start]
            return kept if limit is None else kept[:limit]
        return stored_entries(self._store, start, limit)

    def _deliver(self, entry: AuditEntry) -> None:
        if self._sink is None:
            return
        try:
            self._sink(entry)
        except BaseException as error:  # the entry is kept; the sink's failure is reported
            self.sink_failures += 1
            _log.error(
                "audit sink %r failed for entry %d", self._sink, entry.sequence, exc_info=error
            )
            absorb(error)  # a stop request is raised when the record's scope ends

    def entries(self, agent_id: str | None = None) -> list[AuditEntry]:
        """The kept entries, oldest first; only ``agent_id``'s when given."""
        with self._lock:
            kept = list(self._entries)
        return kept if agent_id is None else [e for e in kept if e.agent_id == agent_id]

    def __iter__(self) -> Iterator[AuditEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._entries)
