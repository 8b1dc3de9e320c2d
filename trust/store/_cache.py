"""A process's hot copy of the stored postures: at most Δ old, and BLOCKED past that.

Reading a posture must stay a plain lookup, so decisions read this cache, never the
store. `PostureCache.refresh` brings it up to date with one cheap query (the rows changed
since the epoch it last saw, nothing when nothing changed); `PostureCache.start` runs
that on a thread every quarter of Δ. A refresh that succeeds makes the cache fresh for Δ
(``freshness``) from the moment it began, so another process's downgrade is seen within
Δ. When no refresh has succeeded for Δ (the store is down, or nobody refreshes), every
read is BLOCKED, and `PostureCache.read` says why: fail closed.

An emergency downgrade goes through `PostureCache.emergency`: the agent is BLOCKED here
at once, before any I/O, then written durably. If the store cannot be reached, the agent
stays BLOCKED here (no refresh lifts it) and the write is retried, with the same
idempotency key, on every refresh (`PostureCache.flush`) until it is durable; the result
says it is not durable yet.
"""

from __future__ import annotations

import logging
import threading

import attrs

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidValueError
from trust.postures._posture import TrustPosture
from trust.store._errors import StoreError
from trust.store._interface import DEFAULT_HISTORY_LIMIT, TrustStore
from trust.store._records import HistoryEntry, PostureRow

_log = logging.getLogger("trust.store")

DEFAULT_FRESHNESS = 1.0
"""Δ, in seconds: how stale a cached posture may be before reads fail closed."""

_BLOCKED = TrustPosture.BLOCKED


@attrs.frozen(kw_only=True)
class CachedRead:
    """A posture as a decision should use it, and whether (and why not) it is fresh.

    Attributes:
        posture: The cached posture, or BLOCKED when the cache is stale.
        fresh: Whether the cache was refreshed within Δ.
        reason: Why the posture is BLOCKED regardless (empty when fresh).
    """

    posture: TrustPosture
    fresh: bool
    reason: str = ""


@attrs.frozen(kw_only=True)
class EmergencyOutcome:
    """What became of an emergency downgrade.

    Attributes:
        durable: True once the store committed it; False while it is only held here.
        row: The stored row after the write (None while not durable).
        reason: Why it is not durable yet (empty when durable).
        entry: The stored entry of the emergency (None while not durable). A retry of
            one applied before gets that earlier entry: if its version is older than the
            row's, the agent has changed since, and the retry changed nothing.
    """

    durable: bool
    row: PostureRow | None = None
    reason: str = ""
    entry: HistoryEntry | None = None


class PostureCache:
    """The stored postures, as one process reads them on its hot path.

    Args:
        store: Where the postures are kept.
        default: The posture of an agent the store holds no row for.
        freshness: Δ, in seconds (default 1 s): reads are BLOCKED once no refresh has
            succeeded for that long.
        clock: Where monotonic time comes from.
        history_limit: History entries the store keeps per agent, for the emergencies
            written through this cache.
    """

    def __init__(
        self,
        store: TrustStore,
        *,
        default: TrustPosture = TrustPosture.SUPERVISED,
        freshness: float = DEFAULT_FRESHNESS,
        clock: Clock | None = None,
        history_limit: int = DEFAULT_HISTORY_LIMIT,
    ) -> None:
        self._store = store
        self._default = TrustPosture.coerce(default, "default")
        self._freshness = check.positive_finite(freshness, "freshness")
        self._history_limit = check.positive_int(history_limit, "history_limit")
        self._clock = resolve_clock(clock)
        self._monotonic = self._clock.monotonic
        self._postures: dict[str, TrustPosture] = {}
        self._versions: dict[str, int] = {}
        # The stored posture as last seen, apart from what reads see (BLOCKED while an
        # emergency here is not durable, or the cache is stale).
        self._stored: dict[str, TrustPosture] = {}
        # (agent, op_id) -> emergency not yet durable: a key is scoped to its agent.
        self._pending: dict[tuple[str, str | None], HistoryEntry] = {}
        self._pinned: dict[str, int] = {}  # agent -> pending emergencies held BLOCKED
        # agent -> `hold`s not yet released: counted apart from the pending emergencies,
        # so that a `release` can only end a hold, never an emergency not yet durable.
        self._held: dict[str, int] = {}
        self._epoch = 0
        # Fresh only from the start of the last refresh that succeeded until Δ after it:
        # a clock stepped back (a wall clock passed as monotonic) must not stretch Δ.
        self._fresh_from = float("inf")
        self._fresh_until = -float("inf")
        self._failure = "the cache has not been refreshed yet"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def freshness(self) -> float:
        """Δ, in seconds."""
        return self._freshness

    def get(self, agent_id: str) -> TrustPosture:
        """The posture a decision uses: the cached one while fresh, BLOCKED otherwise.

        A plain lookup: no I/O, no lock.
        """
        if self._fresh_from <= self._monotonic() < self._fresh_until:
            return self._postures.get(agent_id, self._default)
        return _BLOCKED

    def read(self, agent_id: str) -> CachedRead:
        """Like `get`, with whether the cache is fresh and, if not, why."""
        if self._fresh_from <= self._monotonic() < self._fresh_until:
            return CachedRead(posture=self._postures.get(agent_id, self._default), fresh=True)
        return CachedRead(
            posture=_BLOCKED,
            fresh=False,
            reason=f"posture unknown for {self._freshness:g} s or more ({self._failure}): "
            "BLOCKED until the store answers",
        )

    def version(self, agent_id: str) -> int:
        """The version of the agent's posture as last seen (0: never written)."""
        return self._versions.get(agent_id, 0)

    def stored(self, agent_id: str) -> TrustPosture:
        """The agent's stored posture as last seen (the default: never written), however old.

        Not for decisions (use `get`): for what a write records it moves the agent from.
        """
        return self._stored.get(agent_id, self._default)

    def pinned(self, agent_id: str) -> bool:
        """Whether the agent is held BLOCKED here: an emergency not yet durable, or a `hold`."""
        return agent_id in self._pinned or agent_id in self._held

    def pending(self, agent_id: str) -> bool:
        """Whether an emergency of the agent waits here to be written to the store."""
        return any(agent == agent_id for agent, _ in self.unwritten())

    def unwritten(self) -> list[tuple[str, str | None]]:
        """The (agent, op_id) of every emergency held here and not yet in the store."""
        with self._lock:
            return list(self._pending)

    def hold(self, agent_id: str) -> None:
        """BLOCK the agent here at once, until the matching `release`.

        For an emergency on its way to the store: it must not wait for the writes queued
        before it (a slow store, another process's lock) to read BLOCKED.

        Raises:
            ValueError: ``agent_id`` is not a non-blank string.
        """
        agent_id = check.identifier(agent_id)
        with self._lock:
            self._held[agent_id] = self._held.get(agent_id, 0) + 1
            self._postures[agent_id] = _BLOCKED

    def release(self, agent_id: str) -> None:
        """End one `hold`; the agent reads its stored posture once nothing holds it.

        An emergency not yet durable keeps the agent BLOCKED whatever is released.

        Raises:
            ValueError: ``agent_id`` is not a non-blank string, or is not held here.
        """
        agent_id = check.identifier(agent_id)
        with self._lock:
            if agent_id not in self._held:
                raise InvalidValueError(
                    f"agent_id must be held here to be released, got {check.shown(agent_id)}"
                )
            self._unpin(agent_id, self._held)

    def _unpin(self, agent_id: str, counts: dict[str, int]) -> None:
        # With the lock held: end one of the agent's holds or pending emergencies.
        left = counts[agent_id] - 1
        if left:
            counts[agent_id] = left
            return
        del counts[agent_id]
        if agent_id in self._pinned or agent_id in self._held:
            return  # still BLOCKED by the other kind
        # Rows read while it was held moved `_stored` on, not the posture.
        if agent_id in self._stored:
            self._postures[agent_id] = self._stored[agent_id]
        else:
            self._postures.pop(agent_id, None)

    def note(self, row: PostureRow) -> None:
        """Take in a row this process just wrote (or read), unless a newer one is known."""
        with self._lock:
            self._apply(row)

    def _apply(self, row: PostureRow) -> None:
        if row.version < self._versions.get(row.agent_id, 0):
            return
        self._versions[row.agent_id] = row.version
        self._stored[row.agent_id] = row.posture
        if row.agent_id not in self._pinned and row.agent_id not in self._held:
            self._postures[row.agent_id] = row.posture

    def refresh(self) -> bool:
        """Retry pending emergencies, then read what changed; True if the store answered.

        Never raises for a store that cannot be reached or read (`StoreError`): the
        cache goes stale (reads fail closed) once Δ has passed since the last refresh that
        succeeded, and `read` gives the error.
        """
        began = self._monotonic()
        self.flush()
        try:
            since = self._epoch
            epoch, rows = self._store.changes_since(since)
            rewound = epoch < since
            if rewound:
                # The store went back: restored from a backup, or made anew. What this
                # cache learnt from it is void (its newer versions would hide every change
                # until the store caught up): read it whole again.
                _log.warning(
                    "the trust store %s went back from epoch %d to %d: reading it again",
                    self._store.url,
                    since,
                    epoch,
                )
                epoch, rows = self._store.changes_since(0)
        except StoreError as error:
            self._failure = str(error)
            _log.warning("posture cache not refreshed: %s", error)
            return False
        except Exception as error:  # a bug: raised, but reads say why they are BLOCKED
            self._failure = f"the last refresh failed: {check.shown(error)}"
            raise
        with self._lock:
            if rewound:
                # Built aside and swapped in: `get` reads without the lock.
                postures = dict.fromkeys([*self._pinned, *self._held], _BLOCKED)
                versions: dict[str, int] = {}
                self._stored = {}
                for row in rows:
                    versions[row.agent_id] = row.version
                    self._stored[row.agent_id] = row.posture
                    postures.setdefault(row.agent_id, row.posture)
                self._postures, self._versions, self._epoch = postures, versions, epoch
            else:
                for row in rows:
                    self._apply(row)
                self._epoch = max(self._epoch, epoch)
            if began + self._freshness > self._fresh_until or began < self._fresh_from:
                self._fresh_from, self._fresh_until = began, began + self._freshness
        return True

    def emergency(self, entry: HistoryEntry) -> EmergencyOutcome:
        """BLOCK the agent here at once, then write the emergency durably.

        ``entry`` must carry an ``op_id``: the write is retried with it until durable.
        """
        if entry.op_id is None:
            raise InvalidValueError(
                "an emergency entry must carry an op_id (its idempotency key), got None"
            )
        if entry.to_posture is not _BLOCKED:
            # Refused before it is kept: a pending entry the store refuses would be
            # retried, and refused, on every refresh.
            raise InvalidValueError(
                f"an emergency entry must go to blocked, got {entry.to_posture.value}"
            )
        with self._lock:
            if (entry.agent_id, entry.op_id) not in self._pending:
                self._pending[entry.agent_id, entry.op_id] = entry
                self._pinned[entry.agent_id] = self._pinned.get(entry.agent_id, 0) + 1
            self._postures[entry.agent_id] = _BLOCKED
        return self._write(entry)

    def _write(self, entry: HistoryEntry) -> EmergencyOutcome:
        try:
            written = self._store.emergency(entry, history_limit=self._history_limit)
        except Exception as error:
            # Whatever the store raised, the agent stays BLOCKED here and the write is
            # retried: an error that escaped would stop every later refresh at this entry
            # (every agent BLOCKED for good) and reach the caller of an emergency.
            why = str(error)
            if not isinstance(error, StoreError):
                why = check.shown(error)
                _log.error("emergency write of %s failed", entry.agent_id, exc_info=error)
            return EmergencyOutcome(
                durable=False,
                reason=f"BLOCKED here, not yet durable ({why}): retried on every refresh",
            )
        row, stored = written.row, written.entry
        if row is not None and stored is not None and (stored.version or 0) < row.version:
            # Applied before, and the agent changed since (an operator lifted it): this
            # retry changes nothing, though it was held BLOCKED here meanwhile.
            _log.warning(
                "emergency %s of %s was applied at version %s and changed since: now %s "
                "(version %d), nothing changed",
                entry.op_id,
                entry.agent_id,
                stored.version,
                row.posture.value,
                row.version,
            )
        with self._lock:
            if written.row is not None:
                self._apply(written.row)
            if self._pending.pop((entry.agent_id, entry.op_id), None) is not None:
                self._unpin(entry.agent_id, self._pinned)
        return EmergencyOutcome(durable=True, row=written.row, entry=written.entry)

    def flush(self) -> int:
        """Retry the emergencies not yet durable; how many still are not."""
        with self._lock:
            pending = list(self._pending.values())
        for entry in pending:
            self._write(entry)
        return len(self._pending)

    def start(self) -> None:
        """Refresh on a daemon thread every Δ/4, until `stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="trust-posture-cache", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:  # a bug must not stop refreshing silently: reads go BLOCKED
                _log.exception("posture cache refresh failed")
            self._stop.wait(self._freshness / 4)

    def stop(self) -> None:
        """Stop the refresh thread (reads go BLOCKED once Δ has passed)."""
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            thread.join()
