"""The circuit breaker engine: the lock, the clock, the failure windows and the postures.

The transition decisions are the pure core's (`trust.circuit_breaker._core`); this module
feeds it events under one lock, keeps each agent's failure window, and carries out the
effects: it holds the posture down when a circuit opens and restores it when it closes.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import attrs

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError
from trust.circuit_breaker import _core
from trust.circuit_breaker._admission import (
    CLOSED_REASON,
    Admission,
    admitted_generation,
    decide,
    make_admission,
)
from trust.circuit_breaker._agents import AgentRecord, AgentTable
from trust.circuit_breaker._config import CircuitBreakerConfig
from trust.circuit_breaker._core import (
    CircuitState,
    Closed,
    Event,
    HalfOpened,
    Opened,
    Refused,
)
from trust.circuit_breaker._coupling import Hold, PostureCoupling
from trust.circuit_breaker._coupling_core import TRIGGERS
from trust.circuit_breaker._durable import durable_of
from trust.circuit_breaker._failures import FailureEvent, failure_event
from trust.circuit_breaker._metrics import breaker_metrics
from trust.postures import PostureStateMachine
from trust.postures._machine import INTERRUPTS

if TYPE_CHECKING:
    from trust.circuit_breaker._stored import StoredCircuits
    from trust.store import TrustStore

logger = logging.getLogger("trust.circuit_breaker")

_T = TypeVar("_T")


class BreakerMetricsSink(Protocol):
    """What the breaker reports each trip to (a `TrustMetricsCollector`)."""

    def record_circuit_breaker_open(self) -> None: ...


_MOVES = (Opened, HalfOpened, Closed)
"""The effects of a breaker transition that sends a coupling event."""

# Work for after the lock is released: ("opened" | "closed", agent_id, reason, hold).
_FollowUp = tuple[str, str, str, Hold | None]


class PostureCircuitBreaker:
    """Opens a per-agent circuit when weighted failures accumulate, and holds the posture down.

    Args:
        posture_machine: The `PostureStateMachine` whose postures the breaker lowers on
            open and restores on close.
        config: How it trips and recovers (`CircuitBreakerConfig` defaults when None).
        clock: Where time comes from; the posture machine's clock by default.
        metrics: Told of every trip; see `attach_metrics`.
        store: Where circuit states are kept, so that an OPEN circuit stays OPEN after a
            restart and every process's breaker agrees (see `trust.circuit_breaker._stored`
            and docs/durability.md). None (the default): the posture machine's store if it
            has one, else this process's memory. A trip must commit its row and the
            protective downgrade in one transaction, so any other store than the
            machine's is a ValueError.
        auto_refresh: With a store: read other processes' circuit changes every Δ/4 on a
            thread (default: as the machine refreshes its postures); False: only on
            `refresh`.

    Semantics, per agent: a circuit opens when the weighted failures inside the window
    reach ``failure_threshold``. On open the posture becomes ``min(current,
    downgrade_on_open)`` by a recorded protective downgrade (requester
    ``"circuit_breaker"``) that no guard can veto. After ``recovery_timeout`` the circuit
    is half-open and admits at most ``half_open_max_calls`` probes; that many successes
    close it, any failure (or probes unreported for ``probe_timeout``) reopens it. On
    close, if ``restore_on_close`` and nobody changed the posture meanwhile, the displaced
    posture is restored by a guarded upgrade, never above what it was when the circuit
    opened. The restore commits only while the circuit is still closed: a trip that lands
    while its guards run refuses it (the refusal is recorded), and the new episode holds
    the same displaced posture, to restore when it closes. ``force_open`` holds a circuit
    open until ``reset``; ``reset`` closes it and starts afresh.

    Outcomes: pass the `Admission` from `admit` back with the outcome. An outcome admitted
    under an earlier state is fenced: it cannot open or close the circuit on the new
    state's behalf. Without an admission, a failure counts and a half-open success counts
    only against an admitted probe that has not reported yet. The fence never lets a stale
    outcome through. To keep memory bounded it may fence a current one, but only an outcome
    reported more than ``failure_window_seconds`` after its admission whose agent's state
    was dropped meanwhile (see `AgentTable`).

    Threads and tasks: every method is safe from any thread and any task. The state lives
    under one lock, held only for short bookkeeping (never while a guard, a metrics sink
    or a log handler runs), so the ``async`` methods are thin wrappers that do not block the
    event loop for long. From plain threads call the ``_sync`` methods (`admit_sync`,
    `record_failure_sync`, ...); from a coroutine, await the ``async`` ones. Admitting a
    call on a closed circuit takes no lock at all. The restore on close runs the posture
    machine's guards in the calling thread (for the async methods, on the event loop), as
    `PostureStateMachine.transition` always does. The posture machine's metrics sink is
    told of a protective downgrade after the breaker's lock is released, so it may call
    back into the breaker.

    With a store (``store=``, or a posture machine that has one), the ``async`` methods
    that may touch the store (everything but admitting a call on a closed circuit, which
    stays a plain lookup) run on a worker thread (`asyncio.to_thread`), so store I/O never
    blocks the event loop; a restore's guards then run on that thread too.
    """

    def __init__(
        self,
        posture_machine: PostureStateMachine,
        config: CircuitBreakerConfig | None = None,
        *,
        clock: Clock | None = None,
        metrics: BreakerMetricsSink | None = None,
        store: TrustStore | str | None = None,
        auto_refresh: bool | None = None,
    ) -> None:
        if not isinstance(posture_machine, PostureStateMachine):
            raise InvalidTypeError(
                f"posture_machine must be a PostureStateMachine, got {check.shown(posture_machine)}"
            )
        if config is None:
            config = CircuitBreakerConfig()
        elif not isinstance(config, CircuitBreakerConfig):
            raise InvalidTypeError(
                f"config must be a CircuitBreakerConfig, got {check.shown(config)}"
            )
        durable = durable_of(posture_machine, store, auto_refresh)
        self._machine = posture_machine
        self._config = config
        self._clock = posture_machine.clock if clock is None else resolve_clock(clock)
        self._lock = threading.Lock()
        self._agents = AgentTable(config.failure_window_seconds)
        # Generations come from one breaker-wide counter, so a fencing token never repeats.
        self._epoch = 0
        # The holds being restored (their guards running), per agent, oldest first.
        self._restoring: dict[str, list[Hold]] = {}
        self._last_now = float("-inf")
        self._metrics: BreakerMetricsSink | None = None
        if metrics is not None:
            self.attach_metrics(metrics)
        self._stored: StoredCircuits | None = None
        if durable is None:
            self._coupling = PostureCoupling(
                posture_machine, config.downgrade_on_open, config.restore_on_close
            )
        else:
            from trust.circuit_breaker._stored import StoredCircuits

            self._stored = stored = StoredCircuits(self, *durable)
            self._coupling = PostureCoupling(
                posture_machine, config.downgrade_on_open, config.restore_on_close, stored.trip
            )

    @property
    def config(self) -> CircuitBreakerConfig:
        return self._config

    @property
    def posture_machine(self) -> PostureStateMachine:
        return self._machine

    @property
    def store(self) -> TrustStore | None:
        """The store circuit states are kept in; None for an in-memory breaker."""
        return None if self._stored is None else self._stored.store

    def refresh(self) -> bool:
        """Read other processes' circuit changes now, and store any not stored yet.

        A store-backed breaker does this every Δ/4 unless built with
        ``auto_refresh=False``. Returns whether the store answered (True in memory).
        """
        return True if self._stored is None else self._stored.refresh()

    def close(self) -> None:
        """Stop the refresh thread of a store-backed breaker (the store stays open)."""
        if self._stored is not None:
            self._stored.close()

    def attach_metrics(self, collector: BreakerMetricsSink) -> None:
        """Call ``collector.record_circuit_breaker_open()`` once per trip from now on.

        A trip is the circuit becoming OPEN (from closed or half-open, by failures, a probe
        timeout or an operator). The collector is called after the lock is released; if it
        raises, the error is logged and the breaker carries on.
        """
        if not callable(getattr(collector, "record_circuit_breaker_open", None)):
            raise InvalidTypeError(
                "metrics collector must have record_circuit_breaker_open(), "
                f"got {check.shown(collector)}"
            )
        with self._lock:
            self._metrics = collector

    # Asking whether a call may run.

    def admit_sync(self, agent_id: str) -> Admission:
        """Decide whether the agent may make a call now; HALF_OPEN admission is atomic."""
        token = self._closed_token(agent_id)
        if token is not None:
            return make_admission(True, agent_id, CircuitState.CLOSED, token, False, CLOSED_REASON)
        follow_ups: list[_FollowUp] = []
        with self._lock:
            now = self._now()
            agent = self._agents.get(agent_id)
            if agent is None:  # forgotten meanwhile: idle after all
                admission = make_admission(
                    True, agent_id, CircuitState.CLOSED, self._epoch, False, CLOSED_REASON
                )
            else:
                step = _core.admit(agent.circuit, now, self._config, self._epoch + 1)
                if self._stored is not None and step.effects[-1] == _PROBE:
                    # Fleet-wide: a probe runs only with one of the store's probe leases.
                    why = self._stored.lease(agent_id, agent)
                    if why is not None:
                        step = _core.advance(agent.circuit, now, self._config, self._epoch + 1)
                        step = attrs.evolve(step, effects=(*step.effects, Refused(why)))
                if step.fired:  # otherwise nothing changed: only the decision is new
                    follow_ups = self._commit(agent_id, agent, step, now)
                admission = decide(agent_id, step, self._epoch, agent.reason)
        self._follow_up(follow_ups)
        stored = self._stored
        if stored is not None and admission.allowed and not admission.probe:
            # A call on a circuit closed here: another process may have tripped it since
            # the store last answered. (An open circuit refuses anyway; a probe holds a
            # lease the store granted just now.)
            why = stored.stale()
            if why is not None:
                return make_admission(False, agent_id, CircuitState.CLOSED, self._epoch, False, why)
        return admission

    async def admit(self, agent_id: str) -> Admission:
        """`admit_sync`, for coroutines; store I/O runs off the event loop."""
        if self._stored is None:
            return self.admit_sync(agent_id)
        token = self._closed_token(agent_id)
        if token is not None:
            return make_admission(True, agent_id, CircuitState.CLOSED, token, False, CLOSED_REASON)
        return await _to_thread(self.admit_sync, agent_id)

    def can_proceed_sync(self, agent_id: str) -> bool:
        """Whether the agent may make a call now (``admit_sync(agent_id).allowed``)."""
        if self._closed_token(agent_id) is not None:
            return True
        return self.admit_sync(agent_id).allowed

    async def can_proceed(self, agent_id: str) -> bool:
        """Whether the agent may make a call now; in HALF_OPEN this admits a probe."""
        if self._closed_token(agent_id) is not None:
            return True
        if self._stored is not None:
            return (await _to_thread(self.admit_sync, agent_id)).allowed
        return self.admit_sync(agent_id).allowed

    def _closed_token(self, agent_id: str) -> int | None:
        """The fencing token of a lock-free admission, if the circuit is plainly closed.

        A closed circuit admits every call and admitting changes nothing, so two atomic
        reads decide it: the token, then the circuit (immutable, replaced whole). If that
        circuit is no newer than the token, the admission is current for it, and any state
        change after it gets a later generation and fences it. Otherwise: None, and the
        caller takes the lock.
        """
        token = self._epoch
        stored = self._stored
        if stored is not None and stored.stale() is not None:
            return None  # a store-backed breaker vouches for a closed circuit only while fresh
        agent = self._agents.get(agent_id)
        if agent is None:
            check.identifier(agent_id)
            return token
        circuit = agent.circuit
        if circuit.state is CircuitState.CLOSED and circuit.generation <= token:
            return token
        return None

    # Reporting outcomes.

    def record_failure_sync(
        self,
        agent_id: str,
        error_type: str,
        error_message: str,
        action: str = "",
        severity: str = "medium",
        admission: Admission | None = None,
    ) -> None:
        """Record a failure; it may open the circuit (or reopen a half-open one).

        Raises:
            ValueError: ``severity`` is not a key of ``severity_weights``; a field is
                malformed; ``admission`` is for another agent or was a refusal.
        """
        check.identifier(agent_id)
        units = self._config.weight_units(severity)
        admitted = admitted_generation(admission, agent_id)
        failure = failure_event(self._clock.now(), error_type, error_message, action, severity)
        with self._lock:
            now = self._now()
            agent = self._agents.get_or_create(agent_id)
            agent.window.prune(now)
            event = _core.make_event("failure", agent.window.units + units, admitted)
            step = _core.step(agent.circuit, event, now, self._config, self._epoch + 1)
            if _core.COUNTED in step.effects:
                agent.window.add(now, units, failure)
                self._agents.check_at(now + self._config.failure_window_seconds, agent_id)
            follow_ups = self._commit(agent_id, agent, step, now)
        self._follow_up(follow_ups)

    async def record_failure(
        self,
        agent_id: str,
        error_type: str,
        error_message: str,
        action: str = "",
        severity: str = "medium",
        admission: Admission | None = None,
    ) -> None:
        """`record_failure_sync`, for coroutines; store I/O runs off the event loop."""
        if self._stored is not None:
            await _to_thread(
                self.record_failure_sync,
                agent_id,
                error_type,
                error_message,
                action,
                severity,
                admission,
            )
            return
        self.record_failure_sync(agent_id, error_type, error_message, action, severity, admission)

    def record_success_sync(self, agent_id: str, admission: Admission | None = None) -> None:
        """Record a success; in HALF_OPEN it counts for an admitted, unreported probe.

        Closed circuits ignore successes: failures leave the window only by age.

        Raises:
            ValueError: ``admission`` is for another agent or was a refusal.
        """
        check.identifier(agent_id)
        admitted = admitted_generation(admission, agent_id)
        with self._lock:
            now = self._now()
            agent = self._agents.get_or_create(agent_id)
            event = _core.make_event("probe_success", 0, admitted)
            step = _core.step(agent.circuit, event, now, self._config, self._epoch + 1)
            follow_ups = self._commit(agent_id, agent, step, now)
        self._follow_up(follow_ups)

    async def record_success(self, agent_id: str, admission: Admission | None = None) -> None:
        """`record_success_sync`, for coroutines; store I/O runs off the event loop."""
        if self._stored is not None:
            await _to_thread(self.record_success_sync, agent_id, admission)
            return
        self.record_success_sync(agent_id, admission)

    # Operator overrides.

    def force_open(self, agent_id: str, reason: str) -> None:
        """Open the circuit and keep it open: nothing automatic undoes it, only `reset`."""
        check.identifier(agent_id)
        check.text(reason, "reason")
        self._operate(agent_id, "force_open", f"forced open by an operator: {reason}")

    def reset(self, agent_id: str) -> None:
        """Close the circuit and start afresh; this also releases `force_open`.

        The window is emptied, outcomes admitted before the reset are fenced, and the
        posture is restored as on any close.
        """
        check.identifier(agent_id)
        self._operate(agent_id, "reset", "reset by an operator")

    def _operate(self, agent_id: str, event: str, reason: str) -> None:
        with self._lock:
            now = self._now()
            agent = self._agents.get_or_create(agent_id)
            step = _core.step(agent.circuit, Event(name=event), now, self._config, self._epoch + 1)
            follow_ups = self._commit(agent_id, agent, step, now, reason)
        self._follow_up(follow_ups)

    # Reading.

    def get_state(self, agent_id: str) -> CircuitState:
        """The circuit's state now; HALF_OPEN as soon as the recovery timeout has elapsed."""
        return self._look(agent_id, lambda _, agent, now: agent.circuit.state)

    def get_failures(self, agent_id: str) -> list[FailureEvent]:
        """The failures inside the agent's window now, oldest first."""
        return self._look(agent_id, lambda _, agent, now: agent.window.failures())

    def get_metrics(self, agent_id: str) -> dict[str, Any]:
        """The agent's breaker metrics, all read at one instant from one pruned window.

        Keys: ``state``, ``failure_count``, ``weighted_failures``, ``current_posture``;
        ``time_in_open_state`` and ``time_until_half_open`` while open (the latter None
        while forced open); ``half_open_calls`` and ``half_open_successes`` (the
        reference's names for ``probes_admitted`` and ``probes_succeeded``) while
        half-open; ``original_posture`` while the breaker holds a displaced posture it may
        restore; and ``agent_id``, ``failures_by_severity``, ``generation``,
        ``forced_open``, ``probes_admitted``, ``probes_succeeded``, ``reason`` and the
        config's limits.
        """
        config, coupling = self._config, self._coupling
        return self._look(
            agent_id, lambda who, agent, now: breaker_metrics(who, agent, now, config, coupling)
        )

    def tracked_agents(self) -> int:
        """How many agents the breaker holds state for (idle closed agents hold none)."""
        with self._lock:
            self._now()
            return len(self._agents)

    def _look(self, agent_id: str, read: Callable[[str, AgentRecord, float], _T]) -> _T:
        follow_ups: list[_FollowUp] = []
        with self._lock:
            now = self._now()
            agent = self._agents.get(agent_id)
            if agent is None:
                check.identifier(agent_id)
                # An idle agent: read a blank record without keeping it.
                agent = self._agents.blank()
            else:
                step = _core.advance(agent.circuit, now, self._config, self._epoch + 1)
                follow_ups = self._commit(agent_id, agent, step, now)
            value = read(agent_id, agent, now)
        self._follow_up(follow_ups)
        return value

    # The engine: the methods below run with the lock held, so they call no user code.

    def _now(self) -> float:
        now = self._clock.monotonic()
        # A clock that steps back must not reorder the windows, which rely on time order.
        if now < self._last_now:
            now = self._last_now
        self._last_now = now
        self._agents.sweep(now)
        return now

    def _commit(
        self, agent_id: str, agent: AgentRecord, step: _core.Step, now: float, reason: str = ""
    ) -> list[_FollowUp]:
        agent.circuit = step.circuit
        self._epoch = max(self._epoch, step.circuit.generation)
        follow_ups: list[_FollowUp] = []
        moves = None
        for fired in step.fired:
            event = TRIGGERS.get(fired)
            if event is not None:
                if moves is None:
                    # One Opened, HalfOpened or Closed per breaker transition into another
                    # state or restarting one, in the order they fired.
                    moves = iter([e for e in step.effects if isinstance(e, _MOVES)])
                effect = next(moves, None)
                follow_ups += self._couple(agent_id, agent, fired, event, effect, now, reason)
        self._agents.forget_if_idle(agent_id, agent, now)
        return follow_ups

    def _couple(
        self,
        agent_id: str,
        agent: AgentRecord,
        fired: tuple[str, str, str],
        event: str,
        effect: Opened | HalfOpened | Closed | None,
        now: float,
        reason: str,
    ) -> list[_FollowUp]:
        if isinstance(effect, Opened):
            agent.reason = reason or f"opened: {effect.reason}"
        elif isinstance(effect, Closed):
            agent.reason = reason or f"closed: {effect.reason}"
            agent.window.clear()
            self._agents.check_at(now + self._config.failure_window_seconds, agent_id)
        agent.hold, restore = self._coupling.couple(
            agent_id,
            agent.hold,
            fired[0],
            event,
            agent.reason,
            functools.partial(self._pending_hold, agent_id),
        )
        if self._stored is not None:
            moved = isinstance(effect, (Opened, Closed))
            self._stored.settle(agent_id, agent, moved, restore is not None)
        if restore is not None:
            # Listed before the lock is released, so that a trip landing while the
            # restore's guards run can take the hold over (`_pending_hold`).
            self._restoring.setdefault(agent_id, []).append(restore)
        if isinstance(effect, Opened) and effect.tripped:
            return [("opened", agent_id, agent.reason, None)]
        if isinstance(effect, Closed):
            return [("closed", agent_id, agent.reason, restore)]
        return []

    # After the lock is released: user code (metrics sinks, guards, log handlers) runs here.

    def _follow_up(self, follow_ups: list[_FollowUp]) -> None:
        # Every follow-up runs whatever the one before it raised: a KeyboardInterrupt from
        # a guard or a sink (the only errors they let through, `INTERRUPTS`) goes on to
        # the caller once every trip is told and every restore tried.
        interrupted: BaseException | None = None
        if self._machine._reports:  # a protective downgrade to tell the machine's sink of
            try:
                self._coupling.report()
            except INTERRUPTS as error:
                interrupted = error
        for kind, agent_id, reason, hold in follow_ups:
            try:
                if kind == "opened":
                    logger.warning("circuit for agent %s %s", agent_id, reason)
                    self._notify_open()
                else:
                    logger.info("circuit for agent %s %s", agent_id, reason)
                    if hold is not None:
                        self._restore(agent_id, hold, reason)
            except INTERRUPTS as error:
                interrupted = interrupted or error
        if interrupted is not None:
            raise interrupted

    def _notify_open(self) -> None:
        metrics = self._metrics
        if metrics is None:
            return
        try:
            metrics.record_circuit_breaker_open()
        except INTERRUPTS:
            raise
        except BaseException:  # a broken sink must not undo or hide a trip that happened
            logger.exception("metrics sink failed to record a circuit breaker open")

    def _pending_hold(self, agent_id: str) -> Hold | None:
        """The hold a restore still being checked would give back, if it is still live.

        Called with the lock held, by a trip that displaced nothing: the posture is still
        the one the last episode held down, because its restore has not committed, and
        now never will (`_closed_fence`). The new episode holds that posture instead, so
        that its close restores it.
        """
        for hold in reversed(self._restoring.get(agent_id, ())):
            if self._coupling.is_live(agent_id, hold):
                return hold
        return None

    def _closed_fence(self, agent_id: str) -> str | None:
        """Why a restore must not commit now: the circuit is no longer closed; else None.

        The posture machine calls it with its own lock held, right before the restore
        commits, so it takes no lock: it reads the agent's circuit, which a trip replaces
        (under the breaker's lock) before it takes the machine's lock to lower the posture.
        So either the restore commits first and that trip's downgrade lowers it again, or
        the restore sees the trip and is refused: never FULL_AUTONOMY (nor anything above
        ``downgrade_on_open``) restored into an open circuit.
        """
        agent = self._agents.get(agent_id)
        if agent is None or agent.circuit.state is CircuitState.CLOSED:
            return None
        return (
            f"the circuit is {agent.circuit.state.value} again: it tripped while the "
            "restore was checked"
        )

    def _restore(self, agent_id: str, hold: Hold, reason: str) -> None:
        stored = self._stored
        try:
            if stored is None:
                self._coupling.restore(
                    agent_id, hold, reason, functools.partial(self._closed_fence, agent_id)
                )
            else:
                with self._lock:
                    via = stored.restore_via(agent_id)
                result = self._coupling.restore(
                    agent_id, hold, reason, functools.partial(self._closed_fence, agent_id), via
                )
                with self._lock:
                    stored.restored(agent_id, result is not None and result.success)
        finally:
            with self._lock:
                holds = self._restoring[agent_id]
                holds.remove(hold)
                if not holds:
                    del self._restoring[agent_id]

    def __repr__(self) -> str:
        if self._stored is not None:
            return (
                f"PostureCircuitBreaker(config={self._config!r}, agents={len(self._agents)}, "
                f"store={self._stored.store.url!r})"
            )
        return f"PostureCircuitBreaker(config={self._config!r}, agents={len(self._agents)})"


_PROBE = _core.Admitted(probe=True)


async def _to_thread(call: Callable[..., _T], *args: Any) -> _T:
    """``asyncio.to_thread``; asyncio is imported only by a store-backed breaker's calls."""
    import asyncio

    return await asyncio.to_thread(call, *args)
