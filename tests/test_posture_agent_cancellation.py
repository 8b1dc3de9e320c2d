"""PostureAwareAgent: whose cancellation ended a run.

A cancellation of the run (its caller cancels the task, or a timeout around it expires) is
audited as cancelled and not counted against the agent. A cancellation the agent brings on
itself, however it does it, is its failure: audited as failed, reported to the breaker as
critical, and re-raised. Closing the run's coroutine is its owner abandoning it: cancelled,
not counted. The base agent runs in a task of its own, whose first step reads the posture
once more.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from tests.fakes import FakeClock, RecordingAgent, settle
from trust import (
    AuditOutcome,
    CircuitBreakerConfig,
    CircuitState,
    PostureAwareAgent,
    PostureCircuitBreaker,
    PostureStateMachine,
    TrustPosture,
)
from trust.posture_agent._execution import Ended, Ending, OwnTask

AGENT = "agent-001"


@attrs.frozen
class Ticket:
    allowed: bool = True
    reason: str = ""


class StubBreaker:
    """Admits every call and records what it is told."""

    def __init__(self, on_admit: Callable[[], object] = lambda: None) -> None:
        self.on_admit = on_admit
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def admit(self, agent_id: str) -> Ticket:
        self.on_admit()
        return Ticket()

    async def record_success(self, agent_id: str, admission: Any = None) -> None:
        self.events.append(("success", {}))

    async def record_failure(self, agent_id: str, **fields: Any) -> None:
        self.events.append(("failure", fields))


def stub_agent(base: object, breaker: StubBreaker | None = None) -> PostureAwareAgent:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, TrustPosture.FULL_AUTONOMY)
    return PostureAwareAgent(base, AGENT, machine, circuit_breaker=breaker or StubBreaker())


def breaker_of(agent: PostureAwareAgent) -> StubBreaker:
    return agent._breaker  # type: ignore[return-value]


# --- ways an agent cancels itself --------------------------------------------------------


async def cancels_at_once() -> None:
    asyncio.current_task().cancel()  # type: ignore[union-attr]
    await asyncio.sleep(0)


async def cancels_from_a_callback() -> None:
    asyncio.get_running_loop().call_soon(asyncio.current_task().cancel)  # type: ignore[union-attr]
    await asyncio.Event().wait()


async def cancels_from_another_task() -> None:
    me = asyncio.current_task()
    assert me is not None

    async def cancel_it() -> None:
        me.cancel()

    helper = asyncio.ensure_future(cancel_it())
    await asyncio.Event().wait()
    await helper


class SelfCancelling:
    def __init__(self, how: Callable[[], Any]) -> None:
        self.how = how
        self.ran = 0

    async def run(self, **kwargs: Any) -> None:
        self.ran += 1
        await self.how()


SELF_CANCELS = pytest.mark.parametrize(
    "how",
    [cancels_at_once, cancels_from_a_callback, cancels_from_another_task],
    ids=["at once", "from a callback", "from another task"],
)


@SELF_CANCELS
def test_an_agent_that_cancels_itself_fails_and_trips_the_breaker(
    how: Callable[[], Any],
) -> None:
    # The review's case: before, five such runs were five "cancelled" entries, the circuit
    # stayed closed and the posture stayed FULL_AUTONOMY.
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, TrustPosture.FULL_AUTONOMY)
    breaker = PostureCircuitBreaker(machine, CircuitBreakerConfig(failure_threshold=1))
    base = SelfCancelling(how)
    agent = PostureAwareAgent(base, AGENT, machine, circuit_breaker=breaker)

    async def scenario() -> list[str]:
        raised = []
        for _ in range(5):
            try:
                await asyncio.ensure_future(agent.run(q=1))
            except BaseException as error:  # the test records whatever escaped
                raised.append(type(error).__name__)
        return raised

    raised = asyncio.run(scenario())
    assert raised == ["CancelledError"] + ["PermissionError"] * 4
    assert base.ran == 1
    assert [e.outcome for e in agent.audit_log] == [AuditOutcome.FAILED] + [
        AuditOutcome.REFUSED
    ] * 4
    assert agent.audit_log[0].error is not None
    assert agent.audit_log[0].error.startswith("CancelledError")
    assert breaker.get_state(AGENT) is CircuitState.OPEN
    (failure,) = breaker.get_failures(AGENT)
    assert (failure.error_type, failure.severity) == ("CancelledError", "critical")
    assert machine.get_posture(AGENT) is TrustPosture.HUMAN_DECIDES


@SELF_CANCELS
def test_a_self_cancel_counts_even_in_a_task_that_was_cancelled_before(
    how: Callable[[], Any],
) -> None:
    # The caller's task already carries a cancellation request it caught and kept going
    # after (cancelling() == 1): that request is not a cancellation of this run.
    agent = stub_agent(SelfCancelling(how))

    async def scenario() -> None:
        me = asyncio.current_task()
        assert me is not None
        me.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0)
        assert me.cancelling() == 1
        with pytest.raises(asyncio.CancelledError):
            await agent.run(q=1)

    asyncio.run(scenario())
    (entry,) = agent.audit_log
    assert entry.outcome is AuditOutcome.FAILED
    ((kind, fields),) = breaker_of(agent).events
    assert (kind, fields["severity"]) == ("failure", "critical")


def test_a_timeout_around_the_run_is_a_cancellation_not_a_failure() -> None:
    started = asyncio.Event()

    class Slow:
        async def run(self, **kwargs: Any) -> str:
            started.set()
            await asyncio.Event().wait()
            return "never"

    agent = stub_agent(Slow())

    async def expire_once_started(deadline: asyncio.Timeout) -> None:
        await started.wait()
        deadline.reschedule(asyncio.get_running_loop().time())  # expires now

    async def within_a_timeout() -> None:
        async with asyncio.timeout(None) as deadline:
            expiry = asyncio.ensure_future(expire_once_started(deadline))
            await agent.run(q=1)
        await expiry

    async def scenario() -> None:
        with pytest.raises(TimeoutError):
            await within_a_timeout()

    asyncio.run(scenario())
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.error) == (
        AuditOutcome.CANCELLED,
        "the run's task was cancelled while the base agent ran",
    )
    assert breaker_of(agent).events == []


def test_a_caller_cancelling_inside_the_run_is_cancelled_and_not_counted() -> None:
    started = asyncio.Event()
    seen: list[str] = []

    class Slow:
        async def run(self, **kwargs: Any) -> str:
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError as cancelled:
                seen.append(str(cancelled))
                raise
            return "never"

    agent = stub_agent(Slow())

    async def scenario() -> None:
        task = asyncio.ensure_future(agent.run(q=1))
        await started.wait()
        task.cancel("caller gave up")
        with pytest.raises(asyncio.CancelledError, match="caller gave up"):
            await task

    asyncio.run(scenario())
    assert seen == ["caller gave up"]  # the agent is cancelled with its caller
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.error) == (
        AuditOutcome.CANCELLED,
        "the run's task was cancelled while the base agent ran",
    )
    assert breaker_of(agent).events == []


# --- a cancellation that lands after the agent finished ------------------------------------


@pytest.mark.parametrize(
    ("error", "outcome", "told"),
    [(None, AuditOutcome.EXECUTED, "success"), (ValueError("x"), AuditOutcome.FAILED, "failure")],
    ids=["returned", "raised"],
)
def test_a_cancel_landing_after_the_agent_finished_still_records_what_it_did(
    error: Exception | None, outcome: AuditOutcome, told: str
) -> None:
    holder: list[asyncio.Task[Any]] = []

    class FinishesThenTheRunIsCancelled:
        async def run(self, **kwargs: Any) -> str:
            await asyncio.sleep(0)
            # Runs after the agent's task is done and before the run's task resumes: as
            # if the caller cancelled at that moment.
            asyncio.get_running_loop().call_soon(holder[0].cancel)
            if error is not None:
                raise error
            return "ok"

    agent = stub_agent(FinishesThenTheRunIsCancelled())

    async def scenario() -> None:
        holder.append(asyncio.ensure_future(agent.run(q=1)))
        with pytest.raises(asyncio.CancelledError):
            await holder[0]

    asyncio.run(scenario())
    (entry,) = agent.audit_log
    assert entry.outcome is outcome
    assert [kind for kind, _ in breaker_of(agent).events] == [told]


# --- closing the run's coroutine ---------------------------------------------------------


def test_closing_the_run_while_the_agent_runs_cancels_it_and_is_not_a_failure() -> None:
    started = asyncio.Event()
    seen: list[str] = []

    class Slow:
        async def run(self, **kwargs: Any) -> str:
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                seen.append("cancelled")
                raise
            return "never"

    agent = stub_agent(Slow())

    async def scenario() -> None:
        run = agent.run(q=1)
        run.send(None)  # up to where it waits for the agent's task
        await started.wait()
        run.close()  # GeneratorExit inside the run: its owner abandons it
        await settle(lambda: bool(seen))

    asyncio.run(scenario())
    assert seen == ["cancelled"]
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.error) == (
        AuditOutcome.CANCELLED,
        "interrupted while running the base agent: the run's coroutine was closed",
    )
    assert breaker_of(agent).events == []  # before: a critical GeneratorExit failure


def test_an_agent_that_raises_generator_exit_itself_fails() -> None:
    agent = stub_agent(RecordingAgent(error=GeneratorExit()))  # type: ignore[arg-type]
    with pytest.raises(GeneratorExit):
        asyncio.run(agent.run())
    (entry,) = agent.audit_log
    assert entry.outcome is AuditOutcome.FAILED
    ((kind, fields),) = breaker_of(agent).events
    assert (kind, fields["error_type"], fields["severity"]) == (
        "failure",
        "GeneratorExit",
        "critical",
    )


# --- the agent's task starts one turn later: the posture is read again there --------------


def test_a_downgrade_before_the_agents_task_starts_is_followed() -> None:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, TrustPosture.FULL_AUTONOMY)
    base = RecordingAgent()

    def downgrade_next_turn() -> None:
        # Lands after the run's last read in its own task, before the agent's task starts.
        asyncio.get_running_loop().call_soon(
            lambda: machine.emergency_downgrade(AGENT, reason="incident")
        )

    breaker = StubBreaker(on_admit=downgrade_next_turn)
    agent = PostureAwareAgent(base, AGENT, machine, circuit_breaker=breaker)
    with pytest.raises(PermissionError, match="BLOCKED"):
        asyncio.run(agent.run(q=1))
    assert base.calls == []
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.posture) == (AuditOutcome.REFUSED, TrustPosture.BLOCKED)
    assert breaker.events == []


def test_a_run_cancelled_before_the_agents_task_starts_never_calls_it() -> None:
    base = RecordingAgent()
    holder: list[asyncio.Task[Any]] = []
    breaker = StubBreaker(on_admit=lambda: asyncio.get_running_loop().call_soon(holder[0].cancel))
    agent = stub_agent(base, breaker)

    async def scenario() -> None:
        holder.append(asyncio.ensure_future(agent.run(q=1)))
        with pytest.raises(asyncio.CancelledError):
            await holder[0]

    asyncio.run(scenario())
    assert base.calls == []
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.error) == (
        AuditOutcome.CANCELLED,
        "interrupted while starting the base agent: the run's task was cancelled",
    )
    assert breaker.events == []


def test_the_agent_runs_in_a_task_of_its_own_with_the_callers_context() -> None:
    import contextvars

    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    seen: list[object] = []

    class Looks:
        async def run(self, **kwargs: Any) -> str:
            seen.append(request_id.get())
            seen.append(asyncio.current_task())
            request_id.set("changed by the agent")
            return "ok"

    agent = stub_agent(Looks())

    async def scenario() -> None:
        request_id.set("r-1")
        assert await agent.run() == "ok"
        seen.append(asyncio.current_task())
        assert request_id.get() == "r-1"  # the agent's changes stay in its task

    asyncio.run(scenario())
    assert seen[0] == "r-1"
    assert seen[1] is not seen[2]


def test_closing_the_run_after_the_agent_finished_records_what_it_did() -> None:
    # The agent's task is done but the run was never resumed (its owner drives it by
    # hand and closes it): the outcome is recorded; the breaker cannot be told, as a
    # closing coroutine cannot await.
    base = RecordingAgent(result="ok")
    agent = stub_agent(base)

    async def scenario() -> None:
        run = agent.run(q=1)
        run.send(None)
        await settle(lambda: bool(base.calls))
        await asyncio.sleep(0)  # the agent's task ends
        run.close()

    asyncio.run(scenario())
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.result) == (AuditOutcome.EXECUTED, "ok")
    assert breaker_of(agent).events == []


class Weird(BaseException):
    """Neither an `Exception` nor a stop request."""


def test_a_failing_last_posture_read_never_calls_the_agent() -> None:
    called: list[str] = []

    async def scenario(still_allowed: Callable[[], bool]) -> Ended | None:
        own = OwnTask(lambda: called.append("called"), still_allowed)
        try:
            return await own.ended()
        except Weird:
            return own.settled()

    def raises(error: BaseException) -> Callable[[], bool]:
        def read() -> bool:
            raise error

        return read

    # An Exception: the run reads the posture again, and meets the failure there.
    assert asyncio.run(scenario(raises(RuntimeError("store down")))) == Ended(how=Ending.STALE)
    # Anything else ends the agent's task, and the run is interrupted with it.
    assert asyncio.run(scenario(raises(Weird()))) is None
    assert called == []
