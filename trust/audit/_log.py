"""A bounded, thread-safe, hash-chained audit log with an optional sink."""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError, InvalidValueError
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
from trust.audit._snapshot import snapshot, snapshot_text
from trust.audit._stored import stored_entries, verify_stored
from trust.postures import TrustPosture
from trust.store import AuditRecord, TrustStore, resolve_store

_log = logging.getLogger("trust.audit")

AuditSink = Callable[[AuditEntry], object]
"""Called with every entry as it is recorded."""


class JsonLinesSink:
    """Appends each entry as one line of canonical JSON to a file, flushed at once."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def __call__(self, entry: AuditEntry) -> None:
        line = entry.to_json() + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line)
            out.flush()

    def __repr__(self) -> str:
        return f"JsonLinesSink({str(self.path)!r})"


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
            caller must treat the action as not audited.

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
        self._sequence = 0
        self._head = GENESIS_HASH
        if self._store is not None:
            self._sequence, self._head = self._store.audit_head()
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

        With a store, the whole stored chain is checked instead, from `GENESIS_HASH` to
        the head the store keeps (an edited or deleted row breaks it), page by page.

        Args:
            checkpoint: With a store only: a `head_hash` read earlier and kept where the
                store's editors cannot reach it. The store keeps its head beside the rows,
                so someone who cuts entries off the end can move that head back too; the
                checkpoint must still be in the chain, so such a cut shows.

        Raises:
            trust.store.StoreUnavailableError: the store cannot be reached.
            InvalidValueError: ``checkpoint`` without a store, or not a hash.
        """
        if checkpoint is not None:
            if self._store is None:
                raise InvalidValueError(
                    "checkpoint needs a store: in memory, the log checks its own head, "
                    f"got {check.shown(checkpoint)}"
                )
            if type(checkpoint) is not str or len(checkpoint) != 64:
                raise InvalidValueError(
                    f"checkpoint must be a head_hash (64 hex digits), got {check.shown(checkpoint)}"
                )
        if self._store is not None:
            return verify_stored(self._store, self._key, checkpoint)
        with self._lock:
            kept = list(self._entries)
            head = self._head
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
            entry = self._chain(
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
            self._deliver(entry)
        return entry

    def _chain(
        self,
        *,
        agent_id: str,
        posture: TrustPosture,
        action: str,
        kwargs: Mapping[str, Any],
        outcome: AuditOutcome,
        duration_ms: float,
        result: Any,
        error: str | None,
        run_id: int | None,
    ) -> AuditEntry:
        # Snapshots run the caller's __repr__ and __str__: never under the lock, so that
        # one that is slow, or that reads this log, cannot stall or deadlock it.
        kept_kwargs = snapshot(kwargs)
        if type(kept_kwargs) is not dict:
            kept_kwargs = {"<kwargs>": kept_kwargs}
        kept_result = snapshot(result)
        kept_error = None if error is None else snapshot_text(error)
        # The caller's text too: a lone surrogate in it failed the hash (UTF-8) with a
        # UnicodeEncodeError, and the action went unaudited.
        kept_agent, kept_action = snapshot_text(agent_id), snapshot_text(action)
        with self._lock:
            recorded: dict[str, Any] = {
                "agent_id": kept_agent,
                "posture": posture,
                "action": kept_action,
                "kwargs": kept_kwargs,
                "outcome": outcome,
                "result": kept_result,
                "error": kept_error,
                "duration_ms": float(duration_ms),
                "timestamp": self._clock.now(),
                "run_id": run_id,
            }
            if self._store is not None:
                return self._append(recorded)
            fields = {**recorded, "sequence": self._sequence, "previous_hash": self._head}
            unhashed = AuditEntry(**fields, hash="")
            entry = AuditEntry(**fields, hash=digest(unhashed.payload(), self._key))
            self._entries.append(entry)
            self._sequence += 1
            self._head = entry.hash
        return entry

    def _append(self, fields: dict[str, Any]) -> AuditEntry:
        """Append to the store's chain (the caller holds the lock); keep it here too."""
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

        self._store.append_audit(build)
        entry = made[0]
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
