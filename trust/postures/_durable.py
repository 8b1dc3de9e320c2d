"""The posture machine over a durable store: ``PostureStateMachine(store=...)``.

The store (`trust.store`) holds each agent's posture, version and history; this engine
decides every step with the same pure core as the in-memory machine and commits it
through the store. What it promises:

- A change (``transition``, ``set_posture``, ``protective_downgrade``) is a
  compare-and-set on the version the store held when the request was checked: a change
  made meanwhile, in this process or another, refuses it. The change and its history
  entry commit in one transaction. While the store cannot be reached, a change is refused
  with a reason that says so (an upgrade needs the store); a protective downgrade that
  cannot be stored becomes an emergency downgrade (the breaker never fails open).
- ``emergency_downgrade`` BLOCKs the agent in this process at once, then writes durably
  (an unconditional write, idempotent by its ``op_id``). It returns once the write has
  committed; if the store cannot be reached it returns once the write has failed (within
  the store's timeout) with ``metadata["durable"] is False`` (and
  ``metadata["durability"]``, the reason), keeps the agent BLOCKED here and retries the
  write on every refresh until it is durable.
- ``get_posture`` is a plain lookup in the process's `trust.store.PostureCache`, at most
  Δ (``freshness``) old; once no refresh has succeeded for Δ, every agent reads BLOCKED
  (`posture_status` says why).

The machine's own history (``get_transition_history``) is what this process recorded;
the store's history of an agent, every process's, is ``stored_history``. Store I/O runs
with the machine's lock held, so one slow store delays this machine's writers (never its
readers: ``get_posture`` takes no lock).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError
from trust.postures import _core, _emergency
from trust.postures._core import Effects, Refusal
from trust.postures._posture import TrustPosture
from trust.postures._transition import PostureTransitionRequest, TransitionResult
from trust.store import (
    DEFAULT_FRESHNESS,
    CachedRead,
    HistoryEntry,
    PostureCache,
    StoreError,
    TrustStore,
    resolve_store,
)
from trust.store._offloop import OffLoop

_Step = tuple[TransitionResult, Effects]
_Via = Callable[[HistoryEntry, int], str | None] | None  # commits a circuit row with it

_log = logging.getLogger("trust.postures")

_REPLAYED = Effects(record=True, report=False, level=logging.INFO)
"""A retried emergency that changed nothing: recorded, not reported as a change."""

_STORE_DOWN = "the trust store cannot be reached ({error}): posture changes need it"


class Durable:
    """What ``PostureStateMachine(store=...)`` adds: the store, its cache, and the steps.

    The machine binds `get_posture`, `version`, `transition`, `set_posture`,
    `emergency_downgrade` and `protect` (as ``_protect``) over its own at construction, so
    a machine without a store runs exactly the in-memory code.
    """

    def __init__(
        self,
        machine: Any,  # the PostureStateMachine (which imports this module)
        store: TrustStore | str,
        freshness: float | None,
        auto_refresh: bool | None,
    ) -> None:
        if auto_refresh is None:
            auto_refresh = True
        if not isinstance(auto_refresh, bool):
            raise InvalidTypeError(f"auto_refresh must be a bool, got {check.shown(auto_refresh)}")
        opened = resolve_store(store)
        if opened is None:
            raise InvalidTypeError(
                f"store must be a TrustStore or a URL string, got {check.shown(store)}"
            )
        self._m = machine
        self._trust_store = opened
        self._cache = PostureCache(
            opened,
            default=machine.default_posture,
            freshness=DEFAULT_FRESHNESS if freshness is None else freshness,
            clock=machine.clock,
            history_limit=machine._history_limit,
        )
        self._cache.refresh()  # a store down at start: reads are BLOCKED until it answers
        if auto_refresh:
            self._cache.start()
        self.writes = OffLoop("trust-posture-writes")  # the async writes' (`_async`)

    @property
    def store(self) -> TrustStore:
        """The store that keeps the postures."""
        return self._trust_store

    @property
    def freshness(self) -> float:
        """Δ, in seconds: how old a posture read may be before reads fail closed."""
        return self._cache.freshness

    def refresh(self) -> bool:
        """Retry emergencies not yet durable, then read other processes' changes.

        The machine does this every Δ/4 on a thread unless built with
        ``auto_refresh=False``. Returns whether the store answered.
        """
        return self._cache.refresh()

    def close(self) -> None:
        """Finish the async writes asked for, stop refreshing (reads go BLOCKED after Δ), close."""
        self.writes.close()
        self._cache.stop()
        # The last try for emergencies held here only: once closed, nothing retries them.
        self._cache.flush()
        unwritten = self._cache.unwritten()
        if unwritten:
            _log.error(
                "closing the posture machine with %d emergency downgrades not durable in %s "
                "(agent, op_id): %s; retry them with their op_id",
                len(unwritten),
                self._trust_store.url,
                unwritten,
            )
        self._trust_store.close()

    def get_posture(self, agent_id: str) -> TrustPosture:
        """The agent's posture as last read from the store, at most Δ old; else BLOCKED.

        Raises:
            ValueError: ``agent_id`` is not a non-blank string.
        """
        return self._cache.get(check.identifier(agent_id))

    def posture_status(self, agent_id: str) -> CachedRead:
        """Like `get_posture`, with whether the cache is fresh and, if not, why BLOCKED."""
        return self._cache.read(check.identifier(agent_id))

    def hold(self, agent_id: str) -> None:
        """Read the agent BLOCKED here until `release`: an emergency waiting its turn."""
        self._cache.hold(agent_id)

    def release(self, agent_id: str) -> None:
        """End one `hold` (ValueError if none is held); never an emergency not yet durable."""
        self._cache.release(agent_id)

    def version(self, agent_id: str) -> int:
        """The agent's stored version as last read (0: never written); see the base class."""
        return self._cache.version(check.identifier(agent_id))

    def stored_history(self, agent_id: str, limit: int | None = None) -> list[HistoryEntry]:
        """The agent's stored changes (every process's), oldest first; raises StoreError."""
        return self._trust_store.history(check.identifier(agent_id), limit)

    # -- changes ---------------------------------------------------------------------

    def _adopt(self, agent_id: str) -> tuple[TrustPosture, int]:
        # With the lock held: read the stored row and make the local record hold it, so
        # that the core decides from what the store holds. Raises StoreError.
        row = self._trust_store.read_posture(agent_id)
        if self._cache.pinned(agent_id):
            # An emergency here is not durable yet: the stored row is not the posture.
            self._cache.flush()
            if self._cache.pending(agent_id):
                raise StoreError("an emergency downgrade of this agent is not durable yet")
            row = self._trust_store.read_posture(agent_id)
        if row is None and agent_id not in self._m._records:
            # Never written: no record here either, so ever new ids cost no memory.
            return self._m._default, 0
        posture, version = (self._m._default, 0) if row is None else (row.posture, row.version)
        record = self._m._store.record(agent_id)
        record.posture = self._m._reads[agent_id] = posture
        record.version = version
        if row is not None:
            self._cache.note(row)
        return posture, version

    def _commit(self, entry: TransitionResult, expected: int, via: _Via = None) -> str | None:
        # With the lock held: write ``entry`` compare-and-set; None once committed, else why.
        if via is not None:  # the circuit breaker's: its circuit row commits with the change
            return via(_stored(entry, uuid.uuid4().hex), expected)
        written = self._trust_store.transition(
            _stored(entry, uuid.uuid4().hex),
            expected_version=expected,
            history_limit=self._m._history_limit,
        )
        if written.row is not None:
            self._cache.note(written.row)
        if written.committed:
            return None
        now = "never written" if written.row is None else f"version {written.row.version}"
        return f"posture changed in the store since version {expected} (now {now})"

    def _settle(
        self,
        agent_id: str,
        step: Callable[[TrustPosture, int, int], _Step],
        refuse: Callable[[TrustPosture, int, Refusal], _Step],
        via: _Via = None,
    ) -> TransitionResult:
        # One change through the store, with the lock held throughout: read and adopt the
        # row, take the core's step, commit it compare-and-set, record what happened.
        store = self._m._store
        with self._m._lock:
            try:
                posture, version = self._adopt(agent_id)
                entry, effects = step(posture, version, store.sequence + 1)
                if entry.success:
                    stale = self._commit(entry, version, via)
                    if stale is not None:
                        entry, effects = refuse(posture, version, Refusal(None, stale))
            except StoreError as error:
                held = store.held(agent_id)
                why = Refusal(None, _STORE_DOWN.format(error=error))
                entry, effects = refuse(held.posture, held.version, why)
            self._m._keep(agent_id, store.held(agent_id), entry, effects)
        if self._m._reports:
            self._m._report()
        return entry

    def transition(
        self,
        request: PostureTransitionRequest,
        *,
        expected_version: int | None = None,
        _fence: Callable[[], str | None] | None = None,
        _via: _Via = None,  # the circuit breaker's restore (`trust.circuit_breaker._stored`)
    ) -> TransitionResult:
        """Like `PostureStateMachine.transition`, committed compare-and-set in the store.

        Also refused, with a reason that says so, when the store cannot be reached or
        the stored version changed between the check and the commit.
        """
        if not isinstance(request, PostureTransitionRequest):
            raise InvalidTypeError(
                f"request must be a PostureTransitionRequest, got {check.shown(request)}"
            )
        if expected_version is not None:
            expected_version = check.non_negative_int(expected_version, "expected_version")
        agent_id = request.agent_id
        down: StoreError | None = None
        with self._m._lock:
            try:
                posture, version = self._adopt(agent_id)
            except StoreError as error:
                down = error
        refuse_now: Callable[[PostureTransitionRequest, Refusal], TransitionResult]
        refuse_now = self._m._refuse
        if down is not None:
            return refuse_now(request, Refusal(None, _STORE_DOWN.format(error=down)))
        screened = _core.screen(request, posture, version, expected_version)
        if type(screened) is Refusal:
            return refuse_now(request, screened)
        kind, guard_names = screened  # type: ignore[misc]
        checks, refuse = self._m._guards.checks, self._m._refuse_request
        for guard_name in guard_names:
            refusal = checks[guard_name](request, kind, refuse)
            if refusal is not None:
                return refuse_now(request, refusal)

        def step(now_posture: TrustPosture, now_version: int, sequence: int) -> _Step:
            return _core.settle(
                request,
                kind,
                posture,
                version,
                now_posture,
                now_version,
                True,
                _fence() if _fence is not None else None,
                self._m._now(),
                sequence,
            )

        def refused(p: TrustPosture, v: int, why: Refusal) -> _Step:
            return _core.refused(
                request,
                p,
                v,
                self._m._store.held(agent_id).recorded,
                why,
                self._m._now(),
                self._m._store.sequence + 1,
            )

        return self._settle(agent_id, step, refused, _via)

    def set_posture(
        self,
        agent_id: str,
        posture: TrustPosture,
        *,
        reason: str = "administrative change",
        requester_id: str | None = None,
    ) -> TransitionResult:
        """Like `PostureStateMachine.set_posture`, committed compare-and-set in the store.

        While the store cannot be reached nothing changes: the result is a refusal
        (``success`` false) whose reason says so.
        """
        check.identifier(agent_id)
        target = TrustPosture.coerce(posture)
        check.text(reason, "reason")
        check.optional_text(requester_id, "requester_id")
        now = self._m._now()

        def step(p: TrustPosture, v: int, sequence: int) -> _Step:
            return _core.administrative(
                agent_id, p, v, True, target, reason, requester_id, now, sequence
            )

        def refused(p: TrustPosture, v: int, why: Refusal) -> _Step:
            request = PostureTransitionRequest(
                agent_id=agent_id,
                from_posture=p,
                to_posture=target,
                reason=reason,
                requester_id=requester_id,
            )
            recorded = self._m._store.held(agent_id).recorded
            return _core.refused(request, p, v, recorded, why, now, self._m._store.sequence + 1)

        return self._settle(agent_id, step, refused)

    def protect(
        self,
        agent_id: str,
        posture: TrustPosture,
        reason: str,
        requester_id: str | None,
        via: _Via = None,  # the circuit breaker's trip (`trust.circuit_breaker._stored`)
    ) -> TransitionResult | None:
        check.identifier(agent_id)
        target = TrustPosture.coerce(posture)
        check.text(reason, "reason")
        check.optional_text(requester_id, "requester_id")
        with self._m._lock:
            try:
                current, version = self._adopt(agent_id)
                step = _core.protective(
                    agent_id,
                    current,
                    version,
                    True,
                    target,
                    reason,
                    requester_id,
                    self._m._now(),
                    self._m._store.sequence + 1,
                )
                if step is None:
                    return None
                why = self._commit(step[0], version, via)
                if why is None:
                    self._m._keep(agent_id, self._m._store.held(agent_id), *step)
                    return step[0]
            except StoreError as error:
                why = _STORE_DOWN.format(error=error)
        # Not committed (the store is down, or the posture moved): lower it all the same,
        # the one way that needs no compare-and-set, so the breaker never fails open.
        return self.emergency_downgrade(
            agent_id, f"{reason} (protective downgrade not stored: {why})", requester_id
        )

    def emergency_downgrade(
        self,
        agent_id: str,
        reason: str = "Emergency downgrade",
        requester_id: str | None = None,
        *,
        op_id: str | None = None,
    ) -> TransitionResult:
        """BLOCK the agent here at once, then write it durably; see the module.

        ``op_id`` is the idempotency key (a new one when None): a retry with the same key
        changes nothing more in the store. The entry's ``metadata["durable"]`` is True
        once the store committed it; False (``metadata["durability"]`` says why) while it
        is held here only, retried on every refresh. A retry (same key, reason and
        requester) of an emergency the agent has changed since, an operator's lift say,
        changes nothing: ``metadata["replayed"]`` is True and ``metadata["posture"]`` the
        posture it holds. The same key with another reason or requester is a new emergency.
        """
        agent_id = check.identifier(agent_id)
        check.text(reason, "reason")
        check.optional_text(requester_id, "requester_id")
        key = uuid.uuid4().hex if op_id is None else check.identifier(op_id, "op_id")
        self.hold(agent_id)  # BLOCKED here now, not once the writers ahead are done
        try:
            with self._m._lock:
                entry = self._emergency(agent_id, reason, requester_id, key)
        finally:
            self.release(agent_id)
        if self._m._reports:
            self._m._report()
        return entry

    def _emergency(
        self, agent_id: str, reason: str, requester_id: str | None, key: str
    ) -> TransitionResult:
        # With the lock held.
        store = self._m._store
        entry, effects = _emergency.emergency(
            agent_id,
            self._cache.stored(agent_id),  # not `get` (BLOCKED if stale): history explains
            self._cache.version(agent_id),
            True,
            reason,
            requester_id,
            self._m._now(),
            store.sequence + 1,
        )
        outcome = self._cache.emergency(_stored(entry, key))
        row = outcome.row
        metadata: dict[str, object] = {"durable": outcome.durable, "op_id": key}
        if not outcome.durable:
            metadata["durability"] = outcome.reason
        elif row is not None and _superseded(outcome.entry, row.version):
            # A retry of an emergency applied at an earlier version, changed since (an
            # operator lifted it, say): it changed nothing, and must not read as a block.
            metadata["replayed"] = True
            metadata["posture"] = row.posture.value
            entry = attrs.evolve(entry, from_posture=row.posture, to_posture=row.posture)
            effects = _REPLAYED
        entry = attrs.evolve(
            entry,
            metadata=metadata,
            version=entry.version if row is None else row.version,
        )
        self._m._keep(agent_id, store.record(agent_id), entry, effects)
        return entry


def _stored(entry: TransitionResult, op_id: str) -> HistoryEntry:
    """The store's form of a history entry the core made."""
    return HistoryEntry(
        agent_id=entry.agent_id,
        from_posture=entry.from_posture,
        to_posture=entry.to_posture,
        kind=entry.transition_type.value,
        reason=entry.reason,
        requester_id=entry.requester_id,
        at=entry.timestamp,
        op_id=op_id,
    )


def _superseded(entry: HistoryEntry | None, version: int) -> bool:
    """Whether ``entry`` was stored before the agent's ``version``: changed since."""
    return entry is not None and entry.version is not None and entry.version < version
