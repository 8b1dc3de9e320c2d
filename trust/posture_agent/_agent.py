"""PostureAwareAgent: runs a base agent only as its current trust posture allows.

| posture        | what ``run`` does                                                  |
| -------------- | ------------------------------------------------------------------ |
| FULL_AUTONOMY  | runs                                                               |
| ASSISTED       | notifies, waits out the cancel window, then runs                   |
| SUPERVISED     | runs                                                               |
| HUMAN_DECIDES  | runs only if the approval handler answers ``True`` in time         |
| BLOCKED        | refuses with `PermissionError`                                     |

The posture is read again after every wait: an agent downgraded while its notification
window or its approval was pending follows the new posture (BLOCKED refuses,
HUMAN_DECIDES needs an approval). With a circuit breaker, the call must be admitted by it
right before running, and its outcome is reported back with that admission, so a late
outcome cannot act on a newer breaker state. Every decision, in every posture, is
written to a hash-chained audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError
from trust.audit import AuditEntry, AuditLog, AuditOutcome
from trust.posture_agent._handlers import AdmittingBreaker, ApprovalHandler, NotificationHandler
from trust.postures import PostureStateMachine, TrustPosture

_log = logging.getLogger("trust.posture_agent")

SeverityOf = Callable[[BaseException], str]
Sleep = Callable[[float], Awaitable[object]]


def default_severity(error: BaseException) -> str:
    """The breaker severity of a base agent's exception.

    Resource exhaustion and interpreter faults are ``critical``; a refused permission is
    ``high``; timeouts and connection errors, usually transient, are ``low``; anything
    else is ``medium``.
    """
    if isinstance(error, MemoryError | RecursionError | SystemError):
        return "critical"
    if isinstance(error, PermissionError):
        return "high"
    if isinstance(error, TimeoutError | ConnectionError):
        return "low"
    return "medium"


class _TimedOut(Exception):
    pass


class _PendingRun:
    """One ASSISTED run waiting out its cancel window; ended early from any thread."""

    __slots__ = ("cancelled", "event", "loop", "released")

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()
        self.cancelled = False
        self.released = False

    def cancel(self) -> None:
        # The flag is seen at once by the waiting run; the event wakes it.
        self.cancelled = True
        self._wake()

    def release(self) -> None:
        self.released = True
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: the run is over anyway
            self.loop.call_soon_threadsafe(self.event.set)


class PostureAwareAgent:
    """Wraps a base agent so that every ``run`` obeys the agent's trust posture.

    Args:
        base_agent: Anything with a ``run(**kwargs)`` method, sync or async.
        agent_id: The agent's id in ``posture_machine``.
        posture_machine: Where the posture is read, at every decision point.
        circuit_breaker: A `PostureCircuitBreaker`; consulted before running, told of
            every outcome.
        approval_handler: Asked under HUMAN_DECIDES; without one, such runs are refused.
        notification_handler: Told under ASSISTED, before the cancel window.
        assisted_delay_seconds: The cancel window under ASSISTED.
        approval_timeout_seconds: How long an approval may take; then it is denied.
        notification_timeout_seconds: How long a notification may take; then it counts
            as failed (audited), and the cancel window still runs in full.
        audit_log: The log to write to (share one between agents); a new bounded log
            otherwise.
        severity_of: Maps a base agent's exception to a breaker severity.
        sleep: How the agent waits (``asyncio.sleep``); tests pass a controllable one.
        clock: Where durations come from (the posture machine's clock by default).
    """

    def __init__(
        self,
        base_agent: Any,
        agent_id: str,
        posture_machine: PostureStateMachine,
        circuit_breaker: AdmittingBreaker | None = None,
        approval_handler: ApprovalHandler | None = None,
        notification_handler: NotificationHandler | None = None,
        assisted_delay_seconds: float = 5.0,
        *,
        approval_timeout_seconds: float = 300.0,
        notification_timeout_seconds: float = 10.0,
        audit_log: AuditLog | None = None,
        severity_of: SeverityOf = default_severity,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not callable(getattr(base_agent, "run", None)):
            raise InvalidTypeError(
                f"base_agent must have a run() method, got {check.shown(base_agent)}"
            )
        if not isinstance(posture_machine, PostureStateMachine):
            raise InvalidTypeError(
                f"posture_machine must be a PostureStateMachine, got {check.shown(posture_machine)}"
            )
        _require_methods(
            circuit_breaker, "circuit_breaker", ("admit", "record_success", "record_failure")
        )
        _require_methods(approval_handler, "approval_handler", ("request_approval",))
        _require_methods(notification_handler, "notification_handler", ("notify",))
        if not callable(severity_of):
            raise InvalidTypeError(f"severity_of must be callable, got {check.shown(severity_of)}")
        self._base_agent = base_agent
        self._agent_id = check.identifier(agent_id)
        self._machine = posture_machine
        self._breaker = circuit_breaker
        self._approver = approval_handler
        self._notifier = notification_handler
        self._delay = check.finite_number(
            assisted_delay_seconds, "assisted_delay_seconds", minimum=0.0
        )
        self._approval_timeout = check.positive_finite(
            approval_timeout_seconds, "approval_timeout_seconds"
        )
        self._notification_timeout = check.positive_finite(
            notification_timeout_seconds, "notification_timeout_seconds"
        )
        self._clock = resolve_clock(clock if clock is not None else posture_machine.clock)
        self._audit = audit_log if audit_log is not None else AuditLog(clock=self._clock)
        if not isinstance(self._audit, AuditLog):
            raise InvalidTypeError(f"audit_log must be an AuditLog, got {check.shown(audit_log)}")
        self._severity_of = severity_of
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        self._run_ids = itertools.count(1)
        self._pending_lock = threading.Lock()
        self._pending: dict[int, _PendingRun] = {}

    @property
    def agent_id(self) -> str:
        return self._agent_id

    @property
    def posture(self) -> TrustPosture:
        """The agent's posture now."""
        return self._machine.get_posture(self._agent_id)

    @property
    def audit_log(self) -> list[AuditEntry]:
        """This agent's audit entries, oldest first."""
        return self._audit.entries(self._agent_id)

    @property
    def audit(self) -> AuditLog:
        """The audit log this agent writes to (possibly shared)."""
        return self._audit

    def pending_runs(self) -> list[int]:
        """The ids of the runs now waiting out an ASSISTED cancel window."""
        with self._pending_lock:
            return list(self._pending)

    def release_pending(self, run_id: int | None = None) -> bool:
        """End the cancel window of pending ASSISTED runs early: a human said "go ahead".

        Safe to call from any thread, and from the notification handler itself. The
        released runs go on at once (the posture is still checked again first); a run
        both cancelled and released is cancelled. Returns whether anything was released.
        """
        targets = self._pending_runs(run_id)
        for pending in targets:
            pending.release()
        return bool(targets)

    def cancel_pending(self, run_id: int | None = None) -> bool:
        """Cancel the pending ASSISTED runs (all of them, or the one with ``run_id``).

        Safe to call from any thread. The cancelled runs stop waiting at once and raise
        `PermissionError`. Returns whether anything was cancelled.
        """
        targets = self._pending_runs(run_id)
        for pending in targets:
            pending.cancel()
        return bool(targets)

    def _pending_runs(self, run_id: int | None) -> list[_PendingRun]:
        if run_id is not None and (isinstance(run_id, bool) or not isinstance(run_id, int)):
            raise InvalidTypeError(
                f"run_id must be an int from pending_runs(), got {check.shown(run_id)}"
            )
        with self._pending_lock:
            return [p for rid, p in self._pending.items() if run_id is None or rid == run_id]

    async def run(self, **kwargs: Any) -> Any:
        """Run the base agent as the current posture allows, and return its result.

        Raises:
            PermissionError: the posture is BLOCKED, the approval was denied (or missing,
                failed, timed out), the run was cancelled, or the breaker refused it.
            Exception: whatever the base agent raised (recorded as a failure).
        """
        run_id = next(self._run_ids)
        started = self._clock.monotonic()
        approved = waited = False
        while True:
            posture = self.posture
            if posture is TrustPosture.BLOCKED:
                raise self._decline(
                    run_id,
                    posture,
                    kwargs,
                    started,
                    AuditOutcome.REFUSED,
                    f"agent {self._agent_id} is BLOCKED",
                )
            if posture is TrustPosture.HUMAN_DECIDES and not approved:
                await self._approve(run_id, kwargs, started)
                approved = True
                continue
            if posture is TrustPosture.ASSISTED and not (waited or approved):
                await self._notify_and_wait(run_id, kwargs, started)
                waited = True
                continue
            return await self._execute(run_id, posture, kwargs, started)

    async def _approve(self, run_id: int, kwargs: dict[str, Any], started: float) -> None:
        posture = TrustPosture.HUMAN_DECIDES
        if self._approver is None:
            raise self._decline(
                run_id,
                posture,
                kwargs,
                started,
                AuditOutcome.REFUSED,
                f"agent {self._agent_id} is HUMAN_DECIDES and no approval_handler is configured",
            )
        try:
            verdict = await self._bounded(
                lambda: self._approver.request_approval(  # type: ignore[union-attr]
                    agent_id=self._agent_id,
                    action_description=f"Execute agent run with kwargs: {check.shown(kwargs)}",
                    kwargs=dict(kwargs),
                ),
                self._approval_timeout,
            )
        except _TimedOut:
            reason = f"approval timed out after {self._approval_timeout:g}s"
        except Exception as error:  # fail closed: an approver that fails denies
            reason = f"approval handler raised {type(error).__name__}: {error}"
        else:
            if verdict is True:
                return
            reason = f"approver answered {check.shown(verdict)}, not True"
        raise self._decline(run_id, posture, kwargs, started, AuditOutcome.DENIED, reason)

    async def _notify_and_wait(self, run_id: int, kwargs: dict[str, Any], started: float) -> None:
        pending = _PendingRun()
        with self._pending_lock:
            self._pending[run_id] = pending
        try:
            if self._notifier is not None:
                await self._notify(run_id, kwargs, started)
            if not (pending.cancelled or pending.released):
                waiter = asyncio.ensure_future(pending.event.wait())
                timer = asyncio.ensure_future(self._sleep(self._delay))
                try:
                    await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
                    timer.cancel()
        finally:
            with self._pending_lock:
                self._pending.pop(run_id, None)
        if pending.cancelled:
            raise self._decline(
                run_id,
                TrustPosture.ASSISTED,
                kwargs,
                started,
                AuditOutcome.CANCELLED,
                f"run {run_id} of agent {self._agent_id} was cancelled in its cancel window",
            )

    async def _notify(self, run_id: int, kwargs: dict[str, Any], started: float) -> None:
        message = (
            f"Agent {self._agent_id} will execute run {run_id} in {self._delay:g} seconds "
            f"unless cancelled (cancel_pending({run_id}))"
        )
        try:
            await self._bounded(
                lambda: self._notifier.notify(  # type: ignore[union-attr]
                    agent_id=self._agent_id, message=message, action_kwargs=dict(kwargs)
                ),
                self._notification_timeout,
            )
        except _TimedOut:
            error = f"notification timed out after {self._notification_timeout:g}s"
        except Exception as failure:  # audited; the cancel window still runs in full
            error = f"notification handler raised {type(failure).__name__}: {failure}"
        else:
            return
        self._record(
            run_id,
            TrustPosture.ASSISTED,
            kwargs,
            started,
            AuditOutcome.FAILED,
            action="notify",
            error=error,
        )

    async def _execute(
        self, run_id: int, posture: TrustPosture, kwargs: dict[str, Any], started: float
    ) -> Any:
        admission = None
        if self._breaker is not None:
            try:
                admission = await self._breaker.admit(self._agent_id)
                allowed, why = admission.allowed is True, str(admission.reason)
            except Exception as error:  # fail closed: a breaker that fails refuses
                allowed, why = False, f"breaker raised {type(error).__name__}: {error}"
            if not allowed:
                raise self._decline(
                    run_id,
                    posture,
                    kwargs,
                    started,
                    AuditOutcome.REFUSED,
                    f"circuit breaker refused agent {self._agent_id}: {why}",
                )
        try:
            result = self._base_agent.run(**kwargs)
            if inspect.isawaitable(result):
                result = await result
        except asyncio.CancelledError:
            self._record(
                run_id,
                posture,
                kwargs,
                started,
                AuditOutcome.CANCELLED,
                error="the run's task was cancelled while the base agent ran",
            )
            raise
        except Exception as error:
            if self._breaker is not None:
                await self._report_failure(error, admission)
            self._record(
                run_id,
                posture,
                kwargs,
                started,
                AuditOutcome.FAILED,
                error=f"{type(error).__name__}: {error}",
            )
            raise
        if self._breaker is not None:
            try:
                await self._breaker.record_success(self._agent_id, admission)
            except Exception:  # the run succeeded; a breaker fault must not turn it into one
                _log.exception("circuit breaker failed to record a success of %s", self._agent_id)
        self._record(run_id, posture, kwargs, started, AuditOutcome.EXECUTED, result=result)
        return result

    async def _report_failure(self, error: Exception, admission: Any) -> None:
        assert self._breaker is not None
        weights = getattr(getattr(self._breaker, "config", None), "severity_weights", None)
        try:
            severity = self._severity_of(error)
        except Exception:  # fail closed: an unclassifiable failure counts as the worst
            severity = "critical"
        if isinstance(weights, Mapping) and weights and severity not in weights:
            # Fail closed: a severity this breaker does not know counts as its heaviest.
            severity = max(weights, key=weights.__getitem__)
        try:
            await self._breaker.record_failure(
                self._agent_id,
                error_type=type(error).__name__,
                error_message=str(error),
                action="run",
                severity=severity,
                admission=admission,
            )
        except Exception:  # the base agent's own error is what the caller must see
            _log.exception("circuit breaker failed to record a failure of %s", self._agent_id)

    async def _bounded(self, start: Callable[[], object], timeout: float) -> Any:
        """The result of ``start()`` (awaited if need be), unless ``timeout`` passes first."""
        outcome = start()
        if not inspect.isawaitable(outcome):
            return outcome
        work = asyncio.ensure_future(outcome)
        timer = asyncio.ensure_future(self._sleep(timeout))
        try:
            await asyncio.wait({work, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            if not work.done():
                work.cancel()
        if work.done() and not work.cancelled():
            return work.result()
        raise _TimedOut

    def _decline(
        self,
        run_id: int,
        posture: TrustPosture,
        kwargs: dict[str, Any],
        started: float,
        outcome: AuditOutcome,
        reason: str,
    ) -> PermissionError:
        self._record(run_id, posture, kwargs, started, outcome, error=reason)
        return PermissionError(reason)

    def _record(
        self,
        run_id: int,
        posture: TrustPosture,
        kwargs: Mapping[str, Any],
        started: float,
        outcome: AuditOutcome,
        *,
        action: str = "run",
        result: Any = None,
        error: str | None = None,
    ) -> None:
        self._audit.record(
            agent_id=self._agent_id,
            posture=posture,
            action=action,
            kwargs=kwargs,
            outcome=outcome,
            duration_ms=(self._clock.monotonic() - started) * 1000,
            result=result,
            error=error,
            run_id=run_id,
        )

    def __repr__(self) -> str:
        return f"PostureAwareAgent(agent_id={self._agent_id!r}, posture={self.posture.value!r})"


def _require_methods(value: object, name: str, methods: tuple[str, ...]) -> None:
    if value is None:
        return
    missing = [m for m in methods if not callable(getattr(value, m, None))]
    if missing:
        raise InvalidTypeError(
            f"{name} must have {', '.join(m + '()' for m in missing)}, got {check.shown(value)}"
        )
