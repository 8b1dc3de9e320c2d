"""What a run leaves behind: exactly one audit entry, and the breaker told of its outcome.

Every call of `PostureAwareAgent.run` is a `Call`, which ends in exactly one audit entry
with ``action="run"`` (a failed notification adds one with ``action="notify"``), whatever
happened. The entry is written before anything propagates: a `KeyboardInterrupt` or
`SystemExit` met while the arguments, result or error are printed for it, or raised by
the audit sink, is recorded as a marker and raised once the entry is written, the run is
marked recorded (so that it is not recorded twice) and the breaker is told
(`trust._shown.deferring`).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from typing import Any

from trust._clock import Clock
from trust._shown import absorb, deferring, is_stop_request, type_name
from trust.audit import AuditLog, AuditOutcome
from trust.audit._snapshot import describe_error, error_message
from trust.posture_agent._execution import Ended, Ending
from trust.posture_agent._failures import SeverityOf, breaker_severity
from trust.posture_agent._handlers import AdmittingBreaker
from trust.postures import TrustPosture
from trust.store._offloop import wait_for

_log = logging.getLogger("trust.posture_agent")


class Call:
    """One call of ``run``: what it was given, where it is, and whether it was recorded."""

    __slots__ = ("kwargs", "posture", "recorded", "run_id", "run_kwargs", "stage", "started")

    def __init__(self, run_id: int, kwargs: dict[str, Any], started: float) -> None:
        self.run_id = run_id
        self.kwargs = kwargs  # what the audit records
        self.run_kwargs = kwargs  # what the base agent is given (a copy, once approved)
        self.started = started
        self.posture = TrustPosture.BLOCKED  # what an entry says before the first read
        self.stage = "reading the posture"
        self.recorded = False


class Recorder:
    """Writes a run's audit entries and reports its outcome to the breaker."""

    __slots__ = ("_agent_id", "_audit", "_breaker", "_clock", "_severity_of", "_stored")

    def __init__(
        self,
        agent_id: str,
        audit: AuditLog,
        breaker: AdmittingBreaker | None,
        severity_of: SeverityOf,
        clock: Clock,
    ) -> None:
        self._agent_id = agent_id
        self._audit = audit
        self._stored = audit.store is not None  # its writes then go off the loop
        self._breaker = breaker
        self._severity_of = severity_of
        self._clock = clock

    async def decline(self, call: Call, outcome: AuditOutcome, reason: str) -> PermissionError:
        """Record a run that does not go ahead; the error for the caller to raise."""
        await self.arecord(call, outcome, error=reason)
        return PermissionError(reason)

    async def settle(
        self, call: Call, ended: Ended, admission: Any, *, tell_breaker: bool = True
    ) -> None:
        """Record how the base agent ended, then tell the breaker.

        Recorded first, so that an await at the breaker cannot lose the entry.
        ``tell_breaker`` is False when the run's coroutine is being closed: it cannot
        await any more (a store-backed log's write is then queued, not awaited).
        """
        breaker = self._breaker if tell_breaker else None
        wait = tell_breaker
        with deferring(passing=ended.error):
            if ended.how is Ending.RETURNED:
                try:
                    if self._stored:
                        await self.arecord(
                            call, AuditOutcome.EXECUTED, result=ended.result, wait=wait
                        )
                    else:  # the path every run that went ahead takes: no coroutine more
                        self.record(call, AuditOutcome.EXECUTED, result=ended.result)
                finally:  # the agent succeeded, whatever became of the wait for its entry
                    if breaker is not None:
                        await self._report_success(breaker, admission)
            elif ended.how is Ending.CANCELLED:
                # The caller cancelled the run: not a failure of the agent, but it did run.
                await self.arecord(
                    call,
                    AuditOutcome.CANCELLED,
                    error="the run's task was cancelled while the base agent ran",
                    wait=wait,
                )
            else:
                assert ended.error is not None
                try:
                    await self.arecord(
                        call, AuditOutcome.FAILED, error=describe_error(ended.error), wait=wait
                    )
                finally:
                    if breaker is not None:
                        await self._report_failure(breaker, ended.error, admission)

    async def _report_success(self, breaker: AdmittingBreaker, admission: Any) -> None:
        try:
            await breaker.record_success(self._agent_id, admission)
        except Exception:  # the run succeeded; a breaker fault must not fail it
            _log.exception("circuit breaker failed to record a success of %s", self._agent_id)

    async def _report_failure(
        self, breaker: AdmittingBreaker, error: BaseException, admission: Any
    ) -> None:
        try:
            await breaker.record_failure(
                self._agent_id,
                error_type=type_name(error),
                error_message=error_message(error),
                action="run",
                severity=breaker_severity(error, self._severity_of, breaker),
                admission=admission,
            )
        except Exception:  # the base agent's own error is what the caller must see
            _log.exception("circuit breaker failed to record a failure of %s", self._agent_id)

    async def interruption(self, call: Call, error: BaseException) -> None:
        """Record a run interrupted before its decision was recorded.

        Cancelling the run's task, or closing its coroutine, is its caller's doing:
        cancelled. Anything else is a failure (of a handler or of the wrapper; the base
        agent's own are settled by `settle`); the breaker is not told. A coroutine being
        closed cannot await: a store-backed log's write is then queued, not awaited.
        """
        kind = type(error)
        outcome = AuditOutcome.CANCELLED
        with deferring(passing=error):  # the entry first; then what interrupted the run
            if issubclass(kind, asyncio.CancelledError):
                cause = "the run's task was cancelled"
            elif issubclass(kind, GeneratorExit):
                cause = "the run's coroutine was closed"
            else:
                outcome, cause = AuditOutcome.FAILED, describe_error(error)
            try:
                await self.arecord(
                    call,
                    outcome,
                    error=f"interrupted while {call.stage}: {cause}",
                    wait=not issubclass(kind, GeneratorExit),
                )
            except Exception:  # the interruption itself is what the caller must see
                _log.exception(
                    "could not audit the interrupted run %d of %s", call.run_id, self._agent_id
                )

    async def arecord(
        self,
        call: Call,
        outcome: AuditOutcome,
        *,
        action: str = "run",
        result: Any = None,
        error: str | None = None,
        final: bool = True,
        wait: bool = True,
    ) -> None:
        """`record`, without ever waiting for a store on the loop.

        An in-memory log is written at once, as `record` does. A store-backed log's
        entry is written on the log's writer thread (`AuditLog.submit`) and awaited, or,
        without ``wait``, only queued (its failure is logged). Once the write is queued
        it happens whatever becomes of this task: a cancelled wait still marks the run
        recorded, so that it is not recorded twice.
        """
        if not self._stored:
            self.record(call, outcome, action=action, result=result, error=error, final=final)
            return
        with deferring():
            written = self._audit.submit(
                agent_id=self._agent_id,
                posture=call.posture,
                action=action,
                kwargs=call.kwargs,
                outcome=outcome,
                duration_ms=(self._clock.monotonic() - call.started) * 1000,
                result=result,
                error=error,
                run_id=call.run_id,
            )
            if not wait:
                written.add_done_callback(self._unread)
                call.recorded = call.recorded or final
                return
            try:
                await wait_for(written)
            except asyncio.CancelledError:
                call.recorded = call.recorded or final  # it is written all the same
                raise
            except BaseException as stop:
                if not is_stop_request(stop):
                    raise  # not recorded (the store is down): as `record` would raise
                absorb(stop)  # the sink's: the entry is recorded, the stop waits its turn
            call.recorded = call.recorded or final

    def _unread(self, written: Future[Any]) -> None:
        error = None if written.cancelled() else written.exception()
        if error is not None:
            _log.error(
                "could not audit a run of %s (its write was queued, not awaited)",
                self._agent_id,
                exc_info=error,
            )

    def record(
        self,
        call: Call,
        outcome: AuditOutcome,
        *,
        action: str = "run",
        result: Any = None,
        error: str | None = None,
        final: bool = True,
    ) -> None:
        """Write one entry for ``call``; a ``final`` one marks the run recorded."""
        # A stop request met while writing the entry (printing a value, or the sink) is
        # raised only once the run is marked recorded: it must not be recorded twice.
        with deferring():
            self._audit.record(
                agent_id=self._agent_id,
                posture=call.posture,
                action=action,
                kwargs=call.kwargs,
                outcome=outcome,
                duration_ms=(self._clock.monotonic() - call.started) * 1000,
                result=result,
                error=error,
                run_id=call.run_id,
            )
            call.recorded = call.recorded or final
