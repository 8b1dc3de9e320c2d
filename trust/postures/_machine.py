"""The posture state machine: each agent's posture, its guarded transitions and its history.

Which moves exist and which guards they need come from the generated lifecycle table
(``trust/_generated/posture.py``); this module only interprets the guard names and keeps
the per-agent state. One lock guards that state and is never held while user code (a
guard) runs: a transition reads the posture, runs its guards unlocked, then commits only
if nobody changed the posture meanwhile. That is how an emergency downgrade is never lost
to a transition that was checked before it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError, InvalidValueError
from trust._generated import posture as _lifecycle
from trust._shown import describe_error
from trust._unchecked import unchecked_constructor
from trust._validators import EMPTY_MAPPING
from trust.postures._posture import TrustPosture
from trust.postures._transition import (
    EDGES,
    PostureTransition,
    PostureTransitionRequest,
    TransitionGuard,
    TransitionResult,
)

UPGRADE_APPROVAL_GUARD = "upgrade_approval_required"
"""The name under which ``require_upgrade_approval=True`` blocks an upgrade."""

DEFAULT_HISTORY_LIMIT = 100

# How many never-seen agents `PostureStateMachine.get_posture` remembers at the default.
_UNSEEN_LIMIT = 1024

REFUSAL_ONLY_LIMIT = 1024
"""How many history entries a machine keeps, in all, for agents whose posture never changed.

Those are refusals, and requests that kept the posture as it was (MAINTAIN, or
`PostureStateMachine.set_posture` to the default posture).
"""

PROTECTIVE_EVENT = "protective_downgrade"

INTERRUPTS: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit)
"""What user code (a guard, a metrics sink) may raise that goes on to the caller.

It goes on only once what it interrupted is recorded: a guard's refusal, a committed
change. Anything else a guard raises (any `BaseException`) refuses the transition, and
anything else a sink raises is logged.
"""

_EMERGENCY: dict[TrustPosture, TrustPosture] = {}
_PROTECTIVE: set[tuple[TrustPosture, TrustPosture]] = set()
for _source, _event, _target, _guards in _lifecycle.TRANSITIONS:
    if _event in (PostureTransition.EMERGENCY_DOWNGRADE, PROTECTIVE_EVENT) and _guards:
        # These promise that nothing can veto them; a guard in the model breaks that.
        raise ImportError(f"{_event} must have no guards, the model gives {_guards}")
    if _event == PostureTransition.EMERGENCY_DOWNGRADE:
        _EMERGENCY[TrustPosture(_source)] = TrustPosture(_target)
    elif _event == PROTECTIVE_EVENT:
        _PROTECTIVE.add((TrustPosture(_source), TrustPosture(_target)))


class PostureMetricsSink(Protocol):
    """What the machine reports each committed change to (a `TrustMetricsCollector`)."""

    def record_posture(self, agent_id: str, posture: TrustPosture) -> None: ...

    def record_transition(self, transition_type: PostureTransition) -> None: ...

    def record_emergency_downgrade(self) -> None: ...


logger = logging.getLogger("trust.postures")

# A committed change waiting for the metrics sink: (sink, agent_id, new posture, kind).
_Report = tuple[PostureMetricsSink, str, TrustPosture, PostureTransition]

_make_result = unchecked_constructor(TransitionResult)
_EMERGENCY_KIND = PostureTransition.EMERGENCY_DOWNGRADE

# A refusal: (blocked_by, reason).
_Refusal = tuple[str | None, str]

_NO_REQUESTER: _Refusal = (
    UPGRADE_APPROVAL_GUARD,
    "upgrade requires a requester_id other than the agent itself, got None",
)


class _AgentRecord:
    """What the machine keeps about one agent once something has happened to it."""

    __slots__ = ("history", "version")

    def __init__(self, history_limit: int, version: int) -> None:
        self.version = version
        self.history: deque[TransitionResult] = deque(maxlen=history_limit)


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

    Every change is recorded in the agent's history, refused ones included: transitions,
    emergency downgrades, and administrative `set_posture` calls. Agents at the default
    posture that nothing has happened to cost no memory beyond a bounded read cache. An
    agent whose posture never changed keeps no record either, whatever is asked of it:
    its refusals, and the requests that kept its posture as it was (a MAINTAIN, a
    `set_posture` or an emergency downgrade to the posture it already holds), go to one
    machine-wide store of at most `REFUSAL_ONLY_LIMIT` entries, the agent refused least
    recently forgotten first, and move into its history if its posture ever changes.

    The machine is thread-safe.
    """

    def __init__(
        self,
        default_posture: TrustPosture = TrustPosture.SUPERVISED,
        require_upgrade_approval: bool = True,
        *,
        clock: Clock | None = None,
        history_limit: int = DEFAULT_HISTORY_LIMIT,
        metrics: PostureMetricsSink | None = None,
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
        # Only checked agent ids are ever stored, so finding one here proves it valid.
        self._postures: dict[str, TrustPosture] = {}
        # What get_posture reads: every known agent, plus the latest agents read but never
        # seen, at the default posture (the keys of `_unseen`, oldest first, bounded), so
        # that reading them needs no KeyError. Written only with the lock held.
        self._reads: dict[str, TrustPosture] = {}
        self._unseen: dict[str, None] = {}
        self._records: dict[str, _AgentRecord] = {}
        # Refusals of agents without a record, least recently refused first; at most
        # REFUSAL_ONLY_LIMIT entries in all (`_refused_entries`), so that refusing requests
        # for ever new ids cannot grow the machine.
        self._refused: dict[str, deque[TransitionResult]] = {}
        self._refused_entries = 0
        # The version of every agent without a record. An administrative or emergency
        # request that keeps such an agent's posture bumps it (for all of them: there is
        # no record to bump), so that a transition checked before it is refused, as for an
        # agent with a record; a record starts from it, so no agent's version goes back.
        self._unrecorded_version = 0
        # Replaced, never mutated, so a transition can read it without the lock.
        self._guards: tuple[TransitionGuard, ...] = ()
        self._metrics: PostureMetricsSink | None = None
        # Changes committed but not yet told to the sink, in commit order. One thread at a
        # time (`_reporting`) drains it, without the lock, so that the sink sees the
        # changes in the order they were made and may call back into the machine.
        self._reports: deque[_Report] = deque()
        self._reporting = False
        if metrics is not None:
            self.attach_metrics(metrics)

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
        return self._read_unseen(check.identifier(agent_id))

    def _read_unseen(self, agent_id: str) -> TrustPosture:
        with self._lock:
            posture = self._postures.get(agent_id)
            if posture is not None:  # changed meanwhile
                return posture
            unseen = self._unseen
            if len(unseen) >= _UNSEEN_LIMIT:
                oldest = next(iter(unseen))
                del unseen[oldest], self._reads[oldest]
            unseen[agent_id] = None
            self._reads[agent_id] = self._default
        return self._default

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
        with self._lock:
            current = self._postures.get(agent_id, self._default)
            kind = EDGES[current, target][0]
            result = self._commit(
                agent_id, current, target, kind, reason, requester_id, administrative=True
            )
        if self._reports:
            self._report()
        return result

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
        return self._version(agent_id)

    def _version(self, agent_id: str) -> int:
        record = self._records.get(agent_id)
        return record.version if record is not None else self._unrecorded_version

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
        with self._lock:
            current = self._postures.get(agent_id, self._default)
            version = self._version(agent_id)
        if expected_version is not None and version != expected_version:
            return self._refuse(
                request,
                None,
                f"posture changed since version {expected_version} (now {version})",
            )
        if current is not request.from_posture:
            return self._refuse(
                request,
                None,
                f"current posture ({current.value}) does not match the request's "
                f"from_posture ({request.from_posture.value})",
            )
        edge = EDGES.get((current, request.to_posture))
        if edge is None:
            return self._refuse(
                request,
                None,
                f"the posture lifecycle has no transition from {current.value} "
                f"to {request.to_posture.value}",
            )
        kind, guard_names = edge
        for guard_name in guard_names:
            refusal = self._GUARD_CHECKS[guard_name](self, request, kind)
            if refusal is not None:
                return self._refuse(request, *refusal)
        with self._lock:
            now_version = self._version(agent_id)
            now_posture = self._postures.get(agent_id, self._default)
            if now_version != version or now_posture is not current:
                # Someone changed the posture while the guards ran (an emergency, say):
                # what they did stands, and this request, checked against the old posture,
                # is refused.
                return self._commit_refusal(
                    request,
                    now_posture,
                    None,
                    f"posture changed to {now_posture.value} while the transition was checked",
                )
            if _fence is not None:
                fenced = _fence()
                if fenced is not None:
                    return self._commit_refusal(request, now_posture, None, fenced)
            result = self._commit(
                agent_id,
                current,
                request.to_posture,
                kind,
                request.reason,
                request.requester_id,
                metadata=request.metadata,
            )
        if self._reports:
            self._report()
        return result

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
        if type(agent_id) is not str or agent_id not in self._postures:
            check.identifier(agent_id)
        if type(reason) is not str:
            check.text(reason, "reason")
        if requester_id is not None and type(requester_id) is not str:
            check.optional_text(requester_id, "requester_id")
        with self._lock:
            current = self._postures.get(agent_id, self._default)
            result = self._commit(
                agent_id, current, _EMERGENCY[current], _EMERGENCY_KIND, reason, requester_id
            )
        if self._reports:
            self._report()
        return result

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
        # `protective_downgrade` without telling the metrics sink: for a caller that holds
        # a lock of its own (the circuit breaker) and calls `_report` once it let go.
        check.identifier(agent_id)
        target = TrustPosture.coerce(posture)
        check.text(reason, "reason")
        check.optional_text(requester_id, "requester_id")
        with self._lock:
            current = self._postures.get(agent_id, self._default)
            if (current, target) not in _PROTECTIVE:
                return None
            return self._commit(
                agent_id,
                current,
                target,
                PostureTransition.DOWNGRADE,
                reason,
                requester_id,
                protective=True,
            )

    def get_transition_history(
        self, agent_id: str, limit: int | None = None
    ) -> list[TransitionResult]:
        """The agent's recorded changes, oldest first; the newest ``limit`` when given.

        Raises:
            ValueError: ``limit`` is negative or not an int, or ``agent_id`` is malformed.
        """
        check.identifier(agent_id)
        if limit is not None:
            limit = check.non_negative_int(limit, "limit")
        with self._lock:
            record = self._records.get(agent_id)
            if record is not None:
                history = list(record.history)
            else:
                refused = self._refused.get(agent_id)
                history = list(refused) if refused is not None else []
        if limit is None:
            return history
        return history[len(history) - limit :] if limit else []

    def add_guard(self, guard: TransitionGuard) -> None:
        """Add a guard; its name must not be taken.

        Raises:
            ValueError: ``guard`` is not a `TransitionGuard`, or its name is taken.
        """
        if not isinstance(guard, TransitionGuard):
            raise InvalidTypeError(f"guard must be a TransitionGuard, got {check.shown(guard)}")
        with self._lock:
            if guard.name in self._guard_names():
                raise InvalidValueError(f"guard name must be unique, got {guard.name!r} twice")
            self._guards = (*self._guards, guard)

    def remove_guard(self, guard_name: str) -> bool:
        """Remove the guard called ``guard_name``; False when there is none.

        Raises:
            ValueError: ``guard_name`` is the upgrade-approval requirement, which stays
                while ``require_upgrade_approval`` is set.
        """
        check.identifier(guard_name, "guard_name")
        if self._require_upgrade_approval and guard_name == UPGRADE_APPROVAL_GUARD:
            raise InvalidValueError(
                f"guard {UPGRADE_APPROVAL_GUARD!r} cannot be removed: it is enforced by "
                "require_upgrade_approval=True; build the machine with "
                "require_upgrade_approval=False instead"
            )
        with self._lock:
            kept = tuple(g for g in self._guards if g.name != guard_name)
            removed = len(kept) != len(self._guards)
            self._guards = kept
        return removed

    def list_guards(self) -> list[str]:
        """The names of the active guards, in the order they run."""
        return list(self._guard_names())

    def _guard_names(self) -> tuple[str, ...]:
        names = tuple(g.name for g in self._guards)
        return (UPGRADE_APPROVAL_GUARD, *names) if self._require_upgrade_approval else names

    def _requester_present(
        self, request: PostureTransitionRequest, kind: PostureTransition
    ) -> _Refusal | None:
        if not self._require_upgrade_approval:
            return None
        requester = request.requester_id
        try:
            if requester is not None and check.identifier(requester, "requester_id") != (
                request.agent_id
            ):
                return None
        except ValueError as error:
            return UPGRADE_APPROVAL_GUARD, f"upgrade requires a valid requester_id: {error}"
        if requester is None:
            return _NO_REQUESTER  # the common refusal: one string shared by every entry
        return (
            UPGRADE_APPROVAL_GUARD,
            "upgrade requires a requester_id other than the agent itself, "
            f"got {check.shown(requester)}",
        )

    def _guards_pass(
        self, request: PostureTransitionRequest, kind: PostureTransition
    ) -> _Refusal | None:
        for guard in self._guards:
            if kind not in guard.applies_to:
                continue
            try:
                verdict = guard.check_fn(request)
            except BaseException as error:  # fail closed: a guard that raises refuses
                # Named without trusting the error: its __str__ may raise in turn.
                refusal = guard.name, f"guard {guard.name!r} raised {describe_error(error)}"
                if issubclass(type(error), INTERRUPTS):
                    self._refuse(request, *refusal)  # recorded before it goes on
                    raise
                return refusal
            if verdict is True:
                continue
            if verdict is False:
                return guard.name, guard.reason_on_failure
            return guard.name, (
                f"guard {guard.name!r} returned {check.shown(verdict)}, not True; refused"
            )
        return None

    _GUARD_CHECKS: ClassVar[
        Mapping[
            str,
            Callable[[PostureStateMachine, PostureTransitionRequest, PostureTransition], Any],
        ]
    ] = {
        "requester_present": _requester_present,
        "guards_pass": _guards_pass,
    }

    def _refuse(
        self,
        request: PostureTransitionRequest,
        blocked_by: str | None,
        reason: str,
    ) -> TransitionResult:
        with self._lock:
            current = self._postures.get(request.agent_id, self._default)
            return self._commit_refusal(request, current, blocked_by, reason)

    def _commit_refusal(
        self,
        request: PostureTransitionRequest,
        current: TrustPosture,
        blocked_by: str | None,
        reason: str,
    ) -> TransitionResult:
        # Called with the lock held. ``from_posture`` is what the agent holds now, so the
        # history keeps agreeing with the posture.
        edge = EDGES.get((current, request.to_posture))
        record = self._records.get(request.agent_id)
        result = _make_result(
            False,
            current,
            request.to_posture,
            edge[0] if edge is not None else request.transition_type,
            reason,
            blocked_by,
            self._now(),
            request.metadata,
            request.agent_id,
            request.requester_id,
            False,
            False,
            record.version if record is not None else self._unrecorded_version,
        )
        if record is not None:
            record.history.append(result)
        else:
            self._keep_unrecorded(request.agent_id, result)
        return result

    def _keep_unrecorded(self, agent_id: str, result: TransitionResult) -> None:
        # Called with the lock held, for an agent without a record.
        refused = self._refused
        history = refused.pop(agent_id, None)  # put back last: refused most recently
        if history is None:
            history = deque(maxlen=min(self._history_limit, REFUSAL_ONLY_LIMIT))
        elif len(history) == history.maxlen:
            self._refused_entries -= 1  # the append below drops the oldest
        history.append(result)
        refused[agent_id] = history
        self._refused_entries += 1
        while self._refused_entries > REFUSAL_ONLY_LIMIT:
            self._refused_entries -= len(refused.pop(next(iter(refused))))

    def _commit(
        self,
        agent_id: str,
        current: TrustPosture,
        target: TrustPosture,
        kind: PostureTransition,
        reason: str,
        requester_id: str | None,
        *,
        administrative: bool = False,
        protective: bool = False,
        metadata: Mapping[str, Any] = EMPTY_MAPPING,
    ) -> TransitionResult:
        # Called with the lock held: the posture and its history entry change together.
        # Every argument was checked on the way in, hence the unchecked constructor.
        record = self._records.get(agent_id)
        if record is None:
            if target is current:  # no change: nothing a record must keep (see the class)
                return self._commit_unrecorded(
                    agent_id, current, kind, reason, requester_id, administrative, metadata
                )
            record = self._records[agent_id] = _AgentRecord(
                self._history_limit, self._unrecorded_version
            )
            refused = self._refused.pop(agent_id, None)
            if refused is not None:  # its refusals so far become the start of its history
                self._refused_entries -= len(refused)
                record.history.extend(refused)
        record.version += 1
        result = _make_result(
            True,
            current,
            target,
            kind,
            reason,
            None,
            self._now(),
            metadata,
            agent_id,
            requester_id,
            administrative,
            protective,
            record.version,
        )
        record.history.append(result)
        self._postures[agent_id] = target
        self._reads[agent_id] = target
        if agent_id in self._unseen:
            del self._unseen[agent_id]
        if self._metrics is not None:
            self._reports.append((self._metrics, agent_id, target, kind))
        return result

    def _commit_unrecorded(
        self,
        agent_id: str,
        posture: TrustPosture,
        kind: PostureTransition,
        reason: str,
        requester_id: str | None,
        administrative: bool,
        metadata: Mapping[str, Any],
    ) -> TransitionResult:
        # Called with the lock held, for an agent without a record whose posture stays.
        # A MAINTAIN request changes nothing a transition checked meanwhile relied on; an
        # operator's or an emergency's word on the posture does, so it fences them.
        if administrative or kind is _EMERGENCY_KIND:
            self._unrecorded_version += 1
        result = _make_result(
            True,
            posture,
            posture,
            kind,
            reason,
            None,
            self._now(),
            metadata,
            agent_id,
            requester_id,
            administrative,
            False,
            self._unrecorded_version,
        )
        self._keep_unrecorded(agent_id, result)
        if self._metrics is not None:
            self._reports.append((self._metrics, agent_id, posture, kind))
        return result

    def _report(self) -> None:
        """Tell the metrics sink of the changes committed so far, oldest first.

        Call it without the lock. Only one thread reports at a time; any other caller (a
        sink that changed a posture from inside its callback, included) returns at once,
        and the reporting thread sends what it queued, in order, before it stops.
        """
        with self._lock:
            if self._reporting:
                return
            self._reporting = True
        try:
            while True:
                with self._lock:
                    if not self._reports:
                        self._reporting = False
                        return
                    sink, agent_id, posture, kind = self._reports.popleft()
                _send(sink, agent_id, posture, kind)
        except BaseException:  # a sink raised KeyboardInterrupt, say: let the next one report
            with self._lock:
                self._reporting = False
            raise

    def __repr__(self) -> str:
        return (
            f"PostureStateMachine(default_posture={self._default.value!r}, "
            f"require_upgrade_approval={self._require_upgrade_approval}, "
            f"agents={len(self._postures)}, guards={self.list_guards()})"
        )


def _send(
    sink: PostureMetricsSink, agent_id: str, posture: TrustPosture, kind: PostureTransition
) -> None:
    calls: list[tuple[Callable[..., object], tuple[object, ...]]] = [
        (sink.record_posture, (agent_id, posture)),
        (sink.record_transition, (kind,)),
    ]
    if kind is PostureTransition.EMERGENCY_DOWNGRADE:
        calls.append((sink.record_emergency_downgrade, ()))
    interrupted: BaseException | None = None
    for call, args in calls:
        try:
            call(*args)
        except BaseException as error:  # the change stands: a broken sink must not hide it
            if issubclass(type(error), INTERRUPTS):
                interrupted = interrupted or error
            else:
                # The traceback module names an error whose __str__ raises; never raises.
                logger.exception("metrics sink failed to record a posture change of %s", agent_id)
    if interrupted is not None:  # once the sink heard of the whole change
        raise interrupted


_uninterpreted = set(_lifecycle.GUARDS) - PostureStateMachine._GUARD_CHECKS.keys()
if _uninterpreted:
    # Fail closed at import rather than let an unknown guard pass or crash a transition.
    raise ImportError(f"the posture model uses guards the runtime cannot check: {_uninterpreted}")
