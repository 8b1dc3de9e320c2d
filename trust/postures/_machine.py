"""The posture state machine: the engine around the pure transition core.

What each request does is decided by `trust.postures._core` (pure: the generated
lifecycle table, the guard outcomes, the emergency and protective steps). This engine
owns what the core must not: the lock, the clock, the stores (`trust.postures._store`),
the user's guards and the listeners (`trust.postures._reports`). Its lock is never held
while user code runs: a transition reads the agent's state, runs its guards unlocked,
then commits only if nobody changed the posture meanwhile (that is how an emergency
downgrade is never lost to a transition checked before it); the metrics sink and log
handlers hear of each change once the lock is released.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError
from trust._generated import posture as _lifecycle
from trust.postures import _async, _core, _emergency
from trust.postures._core import Effects, Refusal
from trust.postures._guards import Guards
from trust.postures._posture import TrustPosture
from trust.postures._reports import INTERRUPTS as INTERRUPTS  # the circuit breaker's import
from trust.postures._reports import PostureMetricsSink, Reports, logger
from trust.postures._store import Held, PostureStore, in_order
from trust.postures._transition import (
    PostureTransitionRequest,
    TransitionGuard,
    TransitionResult,
)

if TYPE_CHECKING:
    from trust.postures._durable import Durable
    from trust.store._interface import TrustStore

DEFAULT_HISTORY_LIMIT = 100

_INITIAL = TrustPosture(_lifecycle.INITIAL)  # the model's initial state: SUPERVISED


class _EveryAgent:
    """What `PostureStateMachine.get_transition_history` reads when given no agent id."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<every agent>"


_EVERY_AGENT = _EveryAgent()
_EMERGENCY_ENTRY = _emergency.EMERGENCY_ENTRY
# Whether an emergency would reach the log at its level (the core's, checked below). The
# logger's own answer cache is read first, without a call: `logging` clears that dict in
# place whenever levels change, and only ever fills it with what isEnabledFor answers. An
# answer it lacks is asked for; a True for a disabled logger only queues a note that
# `Reports.note` then drops.
_enabled = logger.isEnabledFor
_cached: Callable[[int], bool | None] = getattr(logger, "_cache", {}).get
_ALERT = logging.WARNING


class PostureStateMachine:
    """Tracks each agent's posture and moves it only through the posture lifecycle.

    Args:
        default_posture: The posture of an agent nothing has happened to yet.
        require_upgrade_approval: Upgrades need a ``requester_id`` that is a non-blank
            string other than the agent's own id. While set, the requirement is listed by
            `list_guards` as ``"upgrade_approval_required"`` and cannot be removed.
        clock: Where timestamps come from (the system clock by default).
        history_limit: Entries kept per agent; the oldest are dropped first, and one
            busy agent never evicts another's.
        metrics: A `TrustMetricsCollector` (or any `PostureMetricsSink`) told of every
            committed change; see `attach_metrics`.
        store: Where the postures are kept durably and shared: a `trust.store.TrustStore`
            or its URL (``"sqlite:///trust.db"``, ``"postgresql://..."``, see
            `trust.store.open_store`). None (the default): in this process's memory only.
            With a store (see docs/durability.md): changes commit compare-and-set, an
            emergency downgrade returns once durable (or, while the store is down, BLOCKs
            here at once, says ``metadata["durable"] is False`` and is retried), and
            reads come from a local cache at most ``freshness`` old, BLOCKED past it.
        freshness: Δ, in seconds (default 1 s), with ``store=`` only.
        auto_refresh: With ``store=`` only: refresh the cache on a thread every Δ/4
            (default). Without it, call ``refresh()`` yourself.

    Every change is recorded in the agent's history, refused ones included: transitions,
    emergency downgrades, and administrative `set_posture` calls. Agents at the default
    posture that nothing has happened to cost no memory beyond a bounded read cache. An
    agent whose posture never changed keeps no record either, whatever is asked of it:
    its refusals, and the requests that kept its posture as it was (a MAINTAIN, a
    `set_posture` or an emergency downgrade to the posture it already holds), go to one
    machine-wide store of at most `REFUSAL_ONLY_LIMIT` entries, the agent refused least
    recently forgotten first, and move into its history if its posture ever changes.

    Every entry is also logged on the ``trust.postures`` logger: emergency and protective
    downgrades at WARNING, other changes at INFO, refusals at DEBUG (see
    `trust.postures._reports`).

    The machine is thread-safe.
    """

    def __init__(
        self,
        default_posture: TrustPosture = _INITIAL,
        require_upgrade_approval: bool = True,
        *,
        clock: Clock | None = None,
        history_limit: int = DEFAULT_HISTORY_LIMIT,
        metrics: PostureMetricsSink | None = None,
        store: TrustStore | str | None = None,
        freshness: float | None = None,
        auto_refresh: bool | None = None,
    ) -> None:
        if not isinstance(require_upgrade_approval, bool):
            raise InvalidTypeError(
                "require_upgrade_approval must be a bool, "
                f"got {check.shown(require_upgrade_approval)}"
            )
        self._default = TrustPosture.coerce(default_posture, "default_posture")
        self._require_upgrade_approval = require_upgrade_approval
        self._clock = resolve_clock(clock)
        self._now = self._clock.now
        self._history_limit = check.positive_int(history_limit, "history_limit")
        self._lock = threading.Lock()
        # Written only with the lock held. Only checked agent ids are ever stored, so
        # finding one here proves it valid.
        self._store = PostureStore(self._default, self._history_limit)
        self._records = self._store.records
        self._unrecorded = self._store.unrecorded
        self._reads = self._store.reads  # what get_posture reads, without the lock
        # The user's guards: a transition reads them without the lock (see `Guards`).
        self._guards = Guards(require_upgrade_approval)
        self._refuse_request = self._refuse  # bound once: every transition passes it on
        self._metrics: PostureMetricsSink | None = None
        self._reporter = Reports(self._lock)
        # Entries not yet told to the sink and the log; the circuit breaker reads it.
        self._reports = self._reporter.pending
        if metrics is not None:
            self.attach_metrics(metrics)
        self.durable: Durable | None = None
        """With ``store=``: the store, its cache and what it adds (see `Durable`)."""
        if store is not None:
            from trust.postures._durable import Durable

            durable = self.durable = Durable(self, store, freshness, auto_refresh)
            # Bound over the class's own, once: a machine without a store runs those.
            vars(self).update(
                get_posture=durable.get_posture,
                version=durable.version,
                transition=durable.transition,
                set_posture=durable.set_posture,
                emergency_downgrade=durable.emergency_downgrade,
                _protect=durable.protect,
            )
        elif freshness is not None or auto_refresh is not None:
            raise InvalidTypeError(
                "freshness and auto_refresh need store=, got "
                f"freshness={check.shown(freshness)}, auto_refresh={check.shown(auto_refresh)}"
            )

    # The writing calls for event loops (same arguments and results): see `_async`.
    atransition = _async.atransition
    aset_posture = _async.aset_posture
    aemergency_downgrade = _async.aemergency_downgrade

    def attach_metrics(self, collector: PostureMetricsSink) -> None:
        """Report every committed change to ``collector`` from now on.

        Each change records the agent's new posture and counts the change by kind;
        an emergency downgrade is also counted as one. Refusals are not changes. The
        collector is called after the machine's lock is released, before the call that
        made the change returns (or, if another thread is reporting at that moment, by
        that thread), and always in the order the changes were made, so its view of each
        agent's posture follows the machine's. It may call back into the machine; a change
        it makes is reported after the one being reported. If it raises, the error is
        logged and the change stands: a broken collector never undoes or hides a change.
        """
        for method in ("record_posture", "record_transition", "record_emergency_downgrade"):
            if not callable(getattr(collector, method, None)):
                raise InvalidTypeError(
                    f"metrics collector must have {method}(), got {check.shown(collector)}"
                )
        with self._lock:
            self._metrics = collector

    @property
    def default_posture(self) -> TrustPosture:
        return self._default

    @property
    def require_upgrade_approval(self) -> bool:
        return self._require_upgrade_approval

    @property
    def clock(self) -> Clock:
        """The clock this machine stamps its history with."""
        return self._clock

    def get_posture(self, agent_id: str) -> TrustPosture:
        """The agent's current posture (the default posture for an agent never seen).

        Raises:
            ValueError: ``agent_id`` is not a non-blank string.
        """
        # A plain subscript of an exact dict is the cheapest read Python has (a dict
        # subclass with __missing__ would tax every read: its subscript is not
        # specialised), so the first read of an agent never seen pays for a KeyError and
        # caches the default for the next ones. Only an exact str reaches the dict: a
        # subclass's __hash__ and __eq__ could find another agent's posture, or raise.
        if type(agent_id) is str:
            try:
                return self._reads[agent_id]
            except KeyError:
                pass
        agent_id = check.identifier(agent_id)
        with self._lock:
            return self._store.read_unseen(agent_id)

    def set_posture(
        self,
        agent_id: str,
        posture: TrustPosture,
        *,
        reason: str = "administrative change",
        requester_id: str | None = None,
    ) -> TransitionResult:
        """Set the agent's posture directly, bypassing guards.

        This is the administrative escape hatch (initial set-up, operator decisions). It is
        never silent: the change is recorded in the history with ``administrative=True``.
        """
        check.identifier(agent_id)
        target = TrustPosture.coerce(posture)
        check.text(reason, "reason")
        check.optional_text(requester_id, "requester_id")
        store = self._store
        with self._lock:
            held = store.held(agent_id)
            entry, effects = _core.administrative(
                agent_id,
                held.posture,
                held.version,
                held.recorded,
                target,
                reason,
                requester_id,
                self._now(),
                store.sequence + 1,
            )
            self._keep(agent_id, held, entry, effects)
        if self._reports:
            self._report()
        return entry

    def tracked_agents(self) -> int:
        """How many agents the machine keeps a record for (those whose posture changed).

        A record is never dropped: it holds the agent's posture, which must not fall back
        to the default. Its history is capped at ``history_limit`` entries. Agents whose
        posture never changed are not counted, whatever was asked of them: their entries
        are kept apart, in a bounded store (see the class).
        """
        with self._lock:
            return len(self._records)

    def version(self, agent_id: str) -> int:
        """How many changes the agent's posture has had; it grows with every change.

        Pass it back as ``transition(..., expected_version=...)`` to change the posture
        only if nobody has changed it since you looked. An agent whose posture never
        changed has no version of its own: it reads a machine-wide one, 0 until an
        administrative or emergency request keeps such an agent's posture as it was, which
        counts as a change for all of them (so a fence set before it refuses).
        """
        check.identifier(agent_id)
        return self._store.held(agent_id).version

    def transition(
        self,
        request: PostureTransitionRequest,
        *,
        expected_version: int | None = None,
        _fence: Callable[[], str | None] | None = None,
    ) -> TransitionResult:
        """Try to move an agent as ``request`` asks; never raises for a refusal.

        The request fails, and the failure is recorded, when its ``from_posture`` is not
        the agent's current posture, when the lifecycle has no such move, when upgrade
        approval is required and missing, when a guard refuses or raises, when the
        posture changed while the guards ran, or when ``expected_version`` is given and
        the posture has changed since that `version`.

        Raises:
            ValueError: ``request`` is not a `PostureTransitionRequest`, or
                ``expected_version`` is not a non-negative int.
        """
        # ``_fence`` is the circuit breaker's, not public API: called with the lock held
        # right before the commit, it returns a reason to refuse or None. It must be quick,
        # take no lock and never call back into the machine (the breaker's reads one
        # attribute), so that a restore commits only while its circuit is still closed.
        if not isinstance(request, PostureTransitionRequest):
            raise InvalidTypeError(
                f"request must be a PostureTransitionRequest, got {check.shown(request)}"
            )
        if expected_version is not None:
            # The exact copy: an int subclass's ``!=`` could wave the fence through.
            expected_version = check.non_negative_int(expected_version, "expected_version")
        agent_id = request.agent_id
        store = self._store
        records, unrecorded = self._records, self._unrecorded  # `store.held`, inline
        lock = self._lock
        with lock:
            held = records.get(agent_id, unrecorded)
            posture, version = held.posture, held.version
        screened = _core.screen(request, posture, version, expected_version)
        if type(screened) is Refusal:
            return self._refuse(request, screened)
        kind, guard_names = screened  # type: ignore[misc]
        checks, refuse = self._guards.checks, self._refuse_request
        for guard_name in guard_names:
            refusal = checks[guard_name](request, kind, refuse)
            if refusal is not None:
                return self._refuse(request, refusal)
        with lock:
            held = records.get(agent_id, unrecorded)
            entry, effects = _core.settle(
                request,
                kind,
                posture,
                version,
                held.posture,
                held.version,
                held.recorded,
                _fence() if _fence is not None else None,
                self._now(),
                store.sequence + 1,
            )
            # `_keep`, inline: this runs on every transition.
            store.keep(agent_id, held, entry, effects)
            # Who hears of it (`Reports.note`): most often nobody, decided in a few reads.
            log = _cached(effects.level)
            if log or self._metrics is not None or (log is None and _enabled(effects.level)):
                sink = self._metrics if effects.report else None
                self._reporter.note(sink, entry, effects.level)
        if self._reports:
            self._report()
        return entry

    def emergency_downgrade(
        self,
        agent_id: str,
        reason: str = "Emergency downgrade",
        requester_id: str | None = None,
    ) -> TransitionResult:
        """Block the agent at once, bypassing every guard.

        Once this returns, the agent stays BLOCKED until a later recorded change.
        """
        # The checks, skipped where the answer is already known: a stored agent id was
        # checked when it was stored, and a plain str is a valid reason or requester.
        # A record is never dropped, so one found before the lock is still the agent's.
        record = self._records.get(agent_id) if type(agent_id) is str else None
        if record is None:
            check.identifier(agent_id)
        if type(reason) is not str:
            check.text(reason, "reason")
        if requester_id is not None and type(requester_id) is not str:
            check.optional_text(requester_id, "requester_id")
        store = self._store
        lock = self._lock
        # acquire/release rather than `with`: half the cost, on the path an incident takes.
        lock.acquire()
        try:
            if record is None:
                held = store.held(agent_id)
                entry, effects = _emergency.emergency(
                    agent_id,
                    held.posture,
                    held.version,
                    held.recorded,
                    reason,
                    requester_id,
                    self._now(),
                    store.sequence + 1,
                )
                store.keep(agent_id, held, entry, effects)
            else:
                # What `store.keep` does for a record, inline (its effects are always
                # RECORDED_ALERT): this is the path an incident takes, and it is timed.
                version = record.version + 1  # an emergency is always a new version
                sequence = store.sequence + 1
                posture = record.posture
                entry = _EMERGENCY_ENTRY[posture](
                    reason, self._now(), agent_id, requester_id, version, sequence
                )
                record.history.append(entry)
                record.version = version
                store.sequence = sequence
                target = entry.to_posture  # the core's word: BLOCKED, as the model says
                if target is not posture:
                    record.posture = self._reads[agent_id] = target
            log = _cached(_ALERT)
            if self._metrics is not None or log or (log is None and _enabled(_ALERT)):
                self._reporter.note(self._metrics, entry, _ALERT)
        finally:
            lock.release()
        if self._reports:
            self._report()
        return entry

    def protective_downgrade(
        self,
        agent_id: str,
        posture: TrustPosture,
        *,
        reason: str,
        requester_id: str | None = None,
    ) -> TransitionResult | None:
        """Lower the agent to ``posture`` if it is above it, bypassing guards.

        This is what a circuit breaker does when it opens: the posture becomes
        ``min(current, posture)`` and never rises. It is recorded as a downgrade with
        ``protective=True``. Returns None, and records nothing, when the agent is already
        at or below ``posture``.
        """
        result = self._protect(agent_id, posture, reason, requester_id)
        if self._reports:
            self._report()
        return result

    def _protect(
        self, agent_id: str, posture: TrustPosture, reason: str, requester_id: str | None
    ) -> TransitionResult | None:
        # `protective_downgrade` without telling the listeners: for a caller that holds a
        # lock of its own (the circuit breaker) and calls `_report` once it let go.
        check.identifier(agent_id)
        target = TrustPosture.coerce(posture)
        check.text(reason, "reason")
        check.optional_text(requester_id, "requester_id")
        store = self._store
        with self._lock:
            held = store.held(agent_id)
            step = _core.protective(
                agent_id,
                held.posture,
                held.version,
                held.recorded,
                target,
                reason,
                requester_id,
                self._now(),
                store.sequence + 1,
            )
            if step is None:
                return None
            self._keep(agent_id, held, *step)
        return step[0]

    def get_transition_history(
        self, agent_id: str | _EveryAgent = _EVERY_AGENT, limit: int | None = None
    ) -> list[TransitionResult]:
        """Recorded changes, oldest first; the newest ``limit`` when given.

        With ``agent_id``, that agent's entries. Without it, every agent's entries that
        the machine keeps, in the one order the machine recorded them (their
        ``sequence``). An explicit ``agent_id=None`` is refused rather than read as
        "every agent": an id that is None by mistake must not read every agent's history.

        Raises:
            ValueError: ``limit`` is negative or not an int, or ``agent_id`` is malformed.
        """
        every = agent_id is _EVERY_AGENT
        agent = "" if every else check.identifier(agent_id)
        if limit is not None:
            limit = check.non_negative_int(limit, "limit")
        with self._lock:
            if not every:
                return self._store.history(agent, limit)
            entries = self._store.every_entry(limit)
        return in_order(entries, limit)  # sorted without the lock

    def add_guard(self, guard: TransitionGuard) -> None:
        """Add a guard; its name must not be taken.

        Raises:
            ValueError: ``guard`` is not a `TransitionGuard`, or its name is taken.
        """
        with self._lock:
            self._guards.add(guard)

    def remove_guard(self, guard_name: str) -> bool:
        """Remove the guard called ``guard_name``; False when there is none.

        Raises:
            ValueError: ``guard_name`` is the upgrade-approval requirement, which stays
                while ``require_upgrade_approval`` is set.
        """
        self._guards.refuse_removal(guard_name)
        with self._lock:
            return self._guards.remove(guard_name)

    def list_guards(self) -> list[str]:
        """The names of the active guards, in the order they run."""
        return list(self._guards.names())

    def _refuse(self, request: PostureTransitionRequest, refusal: Refusal) -> TransitionResult:
        store = self._store
        with self._lock:
            held = store.held(request.agent_id)
            entry, effects = _core.refused(
                request,
                held.posture,
                held.version,
                held.recorded,
                refusal,
                self._now(),
                store.sequence + 1,
            )
            self._keep(request.agent_id, held, entry, effects)
        if self._reports:
            self._report()
        return entry

    def _keep(self, agent_id: str, held: Held, entry: TransitionResult, effects: Effects) -> None:
        # Called with the lock held: the store records the step, the listeners hear of it
        # once the lock is released (`_report`).
        self._store.keep(agent_id, held, entry, effects)
        self._reporter.note(self._metrics if effects.report else None, entry, effects.level)

    def _report(self) -> None:
        """Tell the metrics sink and the log of the entries recorded so far, oldest first.

        Call it without the lock (see `trust.postures._reports.Reports.drain`).
        """
        self._reporter.drain()

    def __repr__(self) -> str:
        return (
            f"PostureStateMachine(default_posture={self._default.value!r}, "
            f"require_upgrade_approval={self._require_upgrade_approval}, "
            f"agents={len(self._records)}, guards={self.list_guards()})"
        )


if _core.RECORDED_ALERT.level != _ALERT or _core.UNRECORDED_ALERT.level != _ALERT:
    # The emergency path logs at `_ALERT` without reading the core's effects.
    raise ImportError("emergency downgrades must be logged at WARNING")
