"""PostureAwareAgent: runs a base agent only as its current trust posture allows.

| posture        | what ``run`` does                                                  |
| -------------- | ------------------------------------------------------------------ |
| FULL_AUTONOMY  | runs                                                               |
| ASSISTED       | notifies, waits out the cancel window, then runs                   |
| SUPERVISED     | runs                                                               |
| HUMAN_DECIDES  | runs only if the approval handler answers ``True`` in time         |
| BLOCKED        | refuses with `PermissionError`                                     |

That is the table `trust.posture_agent._behaviour.BEHAVIOURS`, checked complete at import:
a posture without a behaviour is refused, never run. With an ``evaluator``, a run that
would go ahead is then checked against its constraints (`ConstraintGate`): a refusal is
refused and audited as a posture refusal is.

The posture is read again after every await: an agent downgraded while its notification,
its cancel window, its approval or the breaker's admission was pending follows the new
posture (BLOCKED refuses, HUMAN_DECIDES needs an approval). The last read is the first
step of the base agent's own task, right before it is called. With a circuit breaker,
the call must be admitted by it right before running (an admission followed by another
wait is dropped and asked for again; a dropped half-open probe is released by the
breaker's ``probe_timeout``), and its outcome is reported back with that admission, so a
late outcome cannot act on a newer breaker state.

The base agent runs in a child task (`OwnTask`; it sees the caller's context variables,
but its changes to them stay in its task). What it raises reaches the breaker as a
failure, `BaseException` included
(``KeyboardInterrupt``, ``SystemExit``, a ``CancelledError`` it raised, or brought on by
cancelling its own task); only a cancellation of the run's task (its caller, or a timeout
around it) is recorded as cancelled and not counted against the agent, and so is closing
the run's coroutine (``GeneratorExit``) before it finished. The exception then propagates
unchanged.

Every run ends in exactly one audit entry (``action="run"``), whatever happened: refused,
denied, cancelled, executed, failed, or interrupted by an exception from anywhere, so an
action that ran is never missing from the log. The entry is written before anything
propagates: a ``KeyboardInterrupt`` or ``SystemExit`` raised while the arguments, result
or error are printed for it (or by the audit sink) is recorded as a marker and raised
once the entry is written and the breaker told (`trust._shown.deferring`).

Under HUMAN_DECIDES the approver is shown a deep copy of the arguments, and the base agent
runs with another copy of the same arguments, taken when the approval was asked: what was
approved is what runs, whatever the caller or the approver changes meanwhile.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError
from trust._shown import absorb
from trust.audit import AuditEntry, AuditLog, AuditOutcome
from trust.audit._snapshot import describe_error, snapshot_text
from trust.posture_agent._behaviour import BEHAVIOURS, Behaviour, why_refused
from trust.posture_agent._constraints import gate_for
from trust.posture_agent._execution import Ending, OwnTask
from trust.posture_agent._failures import SeverityOf, default_severity
from trust.posture_agent._handlers import (
    AdmittingBreaker,
    ApprovalHandler,
    NotificationHandler,
    SimpleBreaker,
    as_admitting,
    require_methods,
)
from trust.posture_agent._recording import Call, Recorder
from trust.posture_agent._waits import PendingRuns, Sleep, TimedOut, bounded
from trust.postures import PostureStateMachine, TrustPosture

if TYPE_CHECKING:  # loaded only for an agent given an evaluator (see `_constraints`)
    from trust.constraints import InteractionMode, MultiDimensionEvaluator

_log = logging.getLogger("trust.posture_agent")

_AGAIN: Any = object()
"""What `_execute` returns when the posture moved before the base agent started."""


class PostureAwareAgent:
    """Wraps a base agent so that every ``run`` obeys the agent's trust posture.

    Args:
        base_agent: Anything with a ``run(**kwargs)`` method, sync or async.
        agent_id: The agent's id in ``posture_machine``.
        posture_machine: Where the posture is read, at every decision point.
        circuit_breaker: A `PostureCircuitBreaker`; consulted before running, told of
            every outcome. A breaker with kaizen.trust 1.2.5's ``is_open()``,
            ``record_success()`` and ``record_failure()`` works too (`SimpleBreaker`):
            only ``is_open() is False`` admits a run.
        approval_handler: Asked under HUMAN_DECIDES; without one, such runs are refused.
            It is shown a deep copy of the arguments, and the base agent runs with
            another, taken when it was asked; arguments ``copy.deepcopy`` cannot copy
            (locks, sockets, a ``__deepcopy__`` that raises) deny.
        notification_handler: Told under ASSISTED, before the cancel window.
        assisted_delay_seconds: The cancel window under ASSISTED.
        approval_timeout_seconds: How long an approval may take; then it is denied. A
            synchronous handler runs in a thread of its own so that it can be timed out
            (its late answer is ignored); an answer the clock shows came late denies.
        notification_timeout_seconds: How long a notification may take; then it counts
            as failed (audited), and the cancel window still runs in full.
        audit_log: The log to write to (share one between agents); a new bounded log
            otherwise.
        severity_of: Maps a base agent's exception to a breaker severity.
        sleep: How the agent waits (``asyncio.sleep``); tests pass a controllable one.
        clock: Where durations come from (the posture machine's clock by default).
        evaluator: A `MultiDimensionEvaluator` that checks each run, once its posture
            lets it go ahead, against ``constraints`` combined by ``interaction_mode``,
            with the run's keyword arguments as the context. A run the constraints refuse
            raises `PermissionError` and is audited as refused, as under BLOCKED.
        constraints: The constraint set to check runs against (with ``evaluator`` only).
        interaction_mode: How the constraint verdicts combine (CONJUNCTIVE by default).
    """

    def __init__(
        self,
        base_agent: Any,
        agent_id: str,
        posture_machine: PostureStateMachine,
        circuit_breaker: AdmittingBreaker | SimpleBreaker | None = None,
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
        evaluator: MultiDimensionEvaluator | None = None,
        constraints: Mapping[str, Any] | None = None,
        interaction_mode: InteractionMode | str = "conjunctive",
    ) -> None:
        if not callable(getattr(base_agent, "run", None)):
            raise InvalidTypeError(
                f"base_agent must have a run() method, got {check.shown(base_agent)}"
            )
        if not isinstance(posture_machine, PostureStateMachine):
            raise InvalidTypeError(
                f"posture_machine must be a PostureStateMachine, got {check.shown(posture_machine)}"
            )
        breaker = as_admitting(circuit_breaker)
        self._gate = gate_for(evaluator, constraints, interaction_mode)
        require_methods(approval_handler, "approval_handler", ("request_approval",))
        require_methods(notification_handler, "notification_handler", ("notify",))
        if not callable(severity_of):
            raise InvalidTypeError(f"severity_of must be callable, got {check.shown(severity_of)}")
        self._base_agent = base_agent
        self._agent_id = check.identifier(agent_id)
        self._machine = posture_machine
        self._breaker = breaker
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
        self._recorder = Recorder(self._agent_id, self._audit, breaker, severity_of, self._clock)
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        self._run_ids = itertools.count(1)
        self._pending = PendingRuns()

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
        return self._pending.run_ids()

    def release_pending(self, run_id: int | None = None) -> bool:
        """End the cancel window of pending ASSISTED runs early: a human said "go ahead".

        Safe to call from any thread, and from the notification handler itself. The
        released runs go on at once (the posture is still checked again first); a run
        both cancelled and released is cancelled. Returns whether anything was released.
        """
        targets = self._pending.find(run_id)
        for pending in targets:
            pending.release()
        return bool(targets)

    def cancel_pending(self, run_id: int | None = None) -> bool:
        """Cancel the pending ASSISTED runs (all of them, or the one with ``run_id``).

        Safe to call from any thread. The cancelled runs stop waiting at once and raise
        `PermissionError`. Returns whether anything was cancelled.
        """
        targets = self._pending.find(run_id)
        for pending in targets:
            pending.cancel()
        return bool(targets)

    async def run(self, **kwargs: Any) -> Any:
        """Run the base agent as the current posture allows, and return its result.

        Raises:
            PermissionError: the posture is BLOCKED, the approval was denied (or missing,
                failed, timed out), the run was cancelled, or the breaker refused it.
            BaseException: whatever the base agent raised (recorded, and reported to the
                breaker as a failure unless the run's task was cancelled), or a
                ``KeyboardInterrupt`` or ``SystemExit`` met while recording (after the
                entry is written).
        """
        call = Call(next(self._run_ids), kwargs, self._clock.monotonic())
        try:
            return await self._run(call)
        except BaseException as error:
            if not call.recorded:  # interrupted before its decision was recorded
                await self._recorder.interruption(call, error)
            raise

    async def _run(self, call: Call) -> Any:
        approved = waited = checked = False
        admission: Any = None
        while True:
            # Read after every await: whatever was decided before it may be stale.
            posture = call.posture = self.posture
            # No default: a posture the table lacks is refused (see `_behaviour`).
            behaviour = BEHAVIOURS.get(posture)
            if behaviour is None or behaviour is Behaviour.REFUSE:
                raise await self._recorder.decline(
                    call, AuditOutcome.REFUSED, why_refused(self._agent_id, posture, behaviour)
                )
            if behaviour is Behaviour.APPROVE_THEN_RUN and not approved:
                await self._approve(call)
                approved, admission = True, None
            elif behaviour is Behaviour.NOTIFY_THEN_RUN and not (waited or approved):
                await self._notify_and_wait(call)
                waited, admission = True, None
            elif self._gate is not None and not checked:
                # No await since the posture was read: the check is of this posture's run.
                refusal = self._gate.refusal(self._agent_id, call.run_kwargs)
                if refusal is not None:
                    raise await self._recorder.decline(call, AuditOutcome.REFUSED, refusal)
                checked = True
            elif self._breaker is not None and admission is None:
                admission = await self._admit(call)
            else:
                result = await self._execute(call, admission)
                if result is not _AGAIN:
                    return result
                admission = None  # the child task's start was a wait: ask again

    async def _approve(self, call: Call) -> None:
        call.stage = "awaiting approval"
        if self._approver is None:
            raise await self._recorder.decline(
                call,
                AuditOutcome.REFUSED,
                f"agent {self._agent_id} is HUMAN_DECIDES and no approval_handler is configured",
            )
        try:
            # Copies taken now: neither the caller nor the approver can change what runs.
            approved = copy.deepcopy(call.kwargs)
            shown_to_approver = copy.deepcopy(approved)
            run_with = copy.deepcopy(approved)
        except BaseException as error:  # deepcopy runs the arguments' own code
            absorb(error)
            raise await self._recorder.decline(
                call,
                AuditOutcome.DENIED,
                "the arguments could not be copied for approval (what is approved must be "
                f"what runs): {describe_error(error)}",
            ) from None
        call.kwargs, call.run_kwargs = approved, run_with
        try:
            verdict = await bounded(
                self._approver.request_approval,
                {
                    "agent_id": self._agent_id,
                    "action_description": (
                        f"Execute agent run with kwargs: {check.shown(approved)}"
                    ),
                    "kwargs": shown_to_approver,
                },
                self._approval_timeout,
                sleep=self._sleep,
                clock=self._clock,
            )
        except TimedOut as late:
            reason = f"approval {late.reason}"
        except Exception as error:  # fail closed: an approver that fails denies
            reason = f"approval handler raised {describe_error(error)}"
        else:
            if verdict is True:
                return
            reason = f"approver answered {check.shown(verdict)}, not True"
        raise await self._recorder.decline(call, AuditOutcome.DENIED, reason)

    async def _notify_and_wait(self, call: Call) -> None:
        call.stage = "in its ASSISTED cancel window"
        with self._pending.opened(call.run_id) as pending:
            if self._notifier is not None:
                await self._notify(call)
            # The posture may have moved while the notification was sent: the window is
            # ASSISTED's, and the run loop follows whatever posture holds now.
            if self.posture is TrustPosture.ASSISTED:
                await pending.wait(self._delay, self._sleep)
        if pending.cancelled:
            call.posture = TrustPosture.ASSISTED
            raise await self._recorder.decline(
                call,
                AuditOutcome.CANCELLED,
                f"run {call.run_id} of agent {self._agent_id} was cancelled in its cancel window",
            )

    async def _notify(self, call: Call) -> None:
        message = (
            f"Agent {self._agent_id} will execute run {call.run_id} in {self._delay:g} seconds "
            f"unless cancelled (cancel_pending({call.run_id}))"
        )
        try:
            await bounded(
                self._notifier.notify,  # type: ignore[union-attr]
                {
                    "agent_id": self._agent_id,
                    "message": message,
                    "action_kwargs": dict(call.kwargs),
                },
                self._notification_timeout,
                sleep=self._sleep,
                clock=self._clock,
            )
        except TimedOut as late:
            error = f"notification {late.reason}"
        except Exception as failure:  # audited; the cancel window still runs in full
            error = f"notification handler raised {describe_error(failure)}"
        else:
            return
        await self._recorder.arecord(
            call, AuditOutcome.FAILED, action="notify", error=error, final=False
        )

    async def _admit(self, call: Call) -> Any:
        assert self._breaker is not None
        call.stage = "awaiting the circuit breaker's admission"
        try:
            admission = await self._breaker.admit(self._agent_id)
            allowed, why = admission.allowed is True, snapshot_text(admission.reason)
        except Exception as error:  # fail closed: a breaker that fails refuses
            allowed, why = False, f"breaker raised {describe_error(error)}"
        if not allowed:
            raise await self._recorder.decline(
                call,
                AuditOutcome.REFUSED,
                f"circuit breaker refused agent {self._agent_id}: {why}",
            )
        return admission

    async def _execute(self, call: Call, admission: Any) -> Any:
        call.stage = "starting the base agent"
        own = OwnTask(
            lambda: self._base_agent.run(**call.run_kwargs), lambda: self._still_allowed(call)
        )
        try:
            ended = await own.ended()
        except BaseException as interrupt:
            # The run's own task or coroutine was interrupted, not by the agent.
            finished = own.settled()
            if finished is not None:  # the agent had finished: record what it did
                closing = not issubclass(type(interrupt), asyncio.CancelledError)
                await self._recorder.settle(call, finished, admission, tell_breaker=not closing)
            raise  # otherwise run() records the interruption
        if ended.how is Ending.STALE:
            return _AGAIN
        await self._recorder.settle(call, ended, admission)
        if ended.how is Ending.RETURNED:
            return ended.result
        assert ended.error is not None
        raise ended.error

    def _still_allowed(self, call: Call) -> bool:
        # The child task's first step: the last posture read before the agent is called.
        if self.posture is not call.posture:
            return False
        call.stage = "running the base agent"
        return True

    def __repr__(self) -> str:
        return f"PostureAwareAgent(agent_id={self._agent_id!r}, posture={self.posture.value!r})"
