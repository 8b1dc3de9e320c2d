"""PostureAwareAgent: whatever the base agent returns or raises, the run is audited, and
every failure reaches the breaker (issue 12, item 3).

The policy for exceptions that are not `Exception`: anything the base agent raises is its
failure (audited as failed, reported to the breaker as ``critical``, then re-raised
unchanged), except a real cancellation of the run's task, which is audited as cancelled
and not counted against the agent.
"""

from __future__ import annotations

import asyncio
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
    verify_audit_chain,
)

AGENT = "agent-001"


class Unprintable:
    def __repr__(self) -> str:
        raise ValueError("no repr")


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise ValueError("no str")


class Escape(BaseException):
    """Not an `Exception`: ``except Exception`` does not see it."""


class Base:
    """Counts its runs; returns ``result`` or raises ``error``."""

    def __init__(self, result: object = None, error: BaseException | None = None) -> None:
        self.result = result
        self.error = error
        self.ran = 0

    async def run(self, **kwargs: Any) -> object:
        self.ran += 1
        if self.error is not None:
            raise self.error
        return self.result


def wired(base: Base) -> tuple[PostureAwareAgent, PostureStateMachine, PostureCircuitBreaker]:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, TrustPosture.FULL_AUTONOMY)
    breaker = PostureCircuitBreaker(
        machine, CircuitBreakerConfig(failure_threshold=1, recovery_timeout=30)
    )
    return PostureAwareAgent(base, AGENT, machine, circuit_breaker=breaker), machine, breaker


def three_runs(agent: PostureAwareAgent) -> list[str]:
    raised: list[str] = []
    for _ in range(3):
        try:
            asyncio.run(agent.run(task="x"))
            raised.append("-")
        except BaseException as error:  # the test records whatever escaped
            raised.append(type(error).__name__)
    return raised


# The table: before the fix, each of these ran three times and left no audit
# entry; the two that raise never reached the breaker.


@pytest.mark.parametrize(
    ("result", "recorded"),
    [
        (Unprintable(), "<unrepresentable: ValueError in __repr__>"),
        (10**5000, "<int too large: 16610 bits>"),
        ("\ud800", "\\ud800"),  # UTF-8 cannot encode it: the entry's hash failed
    ],
    ids=["returns an object whose __repr__ raises", "returns 10**5000", "returns a lone surrogate"],
)
def test_a_run_that_returned_anything_is_audited_and_its_result_handed_back(
    result: object, recorded: str
) -> None:
    base = Base(result=result)
    agent, machine, breaker = wired(base)
    assert three_runs(agent) == ["-", "-", "-"]  # the caller gets no unrelated exception
    assert base.ran == 3
    assert [(e.outcome, e.result) for e in agent.audit_log] == [
        (AuditOutcome.EXECUTED, recorded)
    ] * 3
    assert verify_audit_chain(agent.audit.entries(), anchor="0" * 64)
    assert breaker.get_state(AGENT) is CircuitState.CLOSED
    assert machine.get_posture(AGENT) is TrustPosture.FULL_AUTONOMY


@pytest.mark.parametrize(
    ("error", "recorded"),
    [
        (UnprintableError(), "UnprintableError: <unrepresentable: ValueError in __str__>"),
        (Escape("out"), "Escape: out"),
    ],
    ids=["raises an exception whose __str__ raises", "raises a BaseException subclass"],
)
def test_a_run_that_raised_anything_is_audited_and_trips_the_breaker(
    error: BaseException, recorded: str
) -> None:
    base = Base(error=error)
    agent, machine, breaker = wired(base)
    raised = three_runs(agent)
    # The first run fails and opens the circuit (threshold 1); the posture drops to
    # HUMAN_DECIDES, which has no approver here, so the next two are refused.
    assert raised == [type(error).__name__, "PermissionError", "PermissionError"]
    assert base.ran == 1
    first, *rest = agent.audit_log
    assert (first.outcome, first.error) == (AuditOutcome.FAILED, recorded)
    assert [e.outcome for e in rest] == [AuditOutcome.REFUSED] * 2
    assert verify_audit_chain(agent.audit.entries(), anchor="0" * 64)
    assert breaker.get_state(AGENT) is CircuitState.OPEN
    assert machine.get_posture(AGENT) is TrustPosture.HUMAN_DECIDES
    (failure,) = breaker.get_failures(AGENT)
    assert failure.error_type == type(error).__name__


def test_a_run_given_arguments_nested_5000_deep_is_audited() -> None:
    nested: list[Any] = []
    node = nested
    for _ in range(5_000):  # repr() of it overflowed the stack, and the entry vanished
        node.append([])
        node = node[0]
    base = Base(result="ok")
    agent, _, _ = wired(base)
    assert asyncio.run(agent.run(tree=nested)) == "ok"
    (entry,) = agent.audit_log
    assert entry.outcome is AuditOutcome.EXECUTED
    assert "nested deeper than 20" in entry.to_json()


# --- the policy for BaseException, with a stand-in breaker that records what it is told --


@attrs.frozen
class Ticket:
    allowed: bool = True
    reason: str = ""


class StubBreaker:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    async def admit(self, agent_id: str) -> Ticket:
        return Ticket()

    async def record_success(self, agent_id: str, admission: Any = None) -> None:
        self.events.append(("success", admission))

    async def record_failure(self, agent_id: str, **fields: Any) -> None:
        self.events.append(("failure", fields))


def stub_agent(
    base: object, posture: TrustPosture = TrustPosture.FULL_AUTONOMY, **options: Any
) -> tuple[PostureAwareAgent, StubBreaker]:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, posture)
    breaker = StubBreaker()
    return PostureAwareAgent(base, AGENT, machine, circuit_breaker=breaker, **options), breaker


@pytest.mark.parametrize(
    "error",
    [KeyboardInterrupt(), SystemExit(3), asyncio.CancelledError("raised by the agent")],
    ids=["KeyboardInterrupt", "SystemExit", "CancelledError raised by the agent"],
)
def test_base_exceptions_from_the_agent_are_critical_failures_and_propagate(
    error: BaseException,
) -> None:
    agent, breaker = stub_agent(RecordingAgent(error=error))  # type: ignore[arg-type]
    with pytest.raises(type(error)) as caught:
        asyncio.run(agent.run())
    assert caught.value is error  # unchanged
    (entry,) = agent.audit_log
    assert entry.outcome is AuditOutcome.FAILED
    assert entry.error is not None
    assert entry.error.startswith(type(error).__name__)
    ((kind, fields),) = breaker.events
    assert (kind, fields["error_type"], fields["severity"]) == (
        "failure",
        type(error).__name__,
        "critical",
    )


def test_cancelling_the_run_while_the_agent_runs_is_audited_but_not_a_failure() -> None:
    started = asyncio.Event()

    class Slow:
        async def run(self, **kwargs: Any) -> str:
            started.set()
            await asyncio.Event().wait()  # until cancelled
            return "never"

    async def scenario() -> None:
        agent, breaker = stub_agent(Slow())
        task = asyncio.ensure_future(agent.run(q=1))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        (entry,) = agent.audit_log
        assert (entry.outcome, entry.error) == (
            AuditOutcome.CANCELLED,
            "the run's task was cancelled while the base agent ran",
        )
        assert breaker.events == []  # the caller cancelled it: not the agent's failure

    asyncio.run(scenario())


def test_a_run_cancelled_while_awaiting_approval_is_audited() -> None:
    asked = asyncio.Event()

    class NeverAnswers:
        async def request_approval(self, **kwargs: Any) -> bool:
            asked.set()
            await asyncio.Event().wait()
            return True

    async def scenario() -> None:
        base = RecordingAgent()
        agent, breaker = stub_agent(
            base, TrustPosture.HUMAN_DECIDES, approval_handler=NeverAnswers()
        )
        task = asyncio.ensure_future(agent.run())
        await asked.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        (entry,) = agent.audit_log
        assert (entry.outcome, entry.posture, entry.error) == (
            AuditOutcome.CANCELLED,
            TrustPosture.HUMAN_DECIDES,
            "interrupted while awaiting approval: the run's task was cancelled",
        )
        assert base.calls == []
        assert breaker.events == []

    asyncio.run(scenario())


def test_an_approver_that_raises_a_base_exception_is_audited_and_propagates() -> None:
    class Escaping:
        async def request_approval(self, **kwargs: Any) -> bool:
            raise Escape("approver gone")

    base = RecordingAgent()
    agent, breaker = stub_agent(base, TrustPosture.HUMAN_DECIDES, approval_handler=Escaping())
    with pytest.raises(Escape):
        asyncio.run(agent.run())
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.error) == (
        AuditOutcome.FAILED,
        "interrupted while awaiting approval: Escape: approver gone",
    )
    assert base.calls == []
    assert breaker.events == []  # the base agent never ran


def test_an_approver_that_raises_systemexit_in_its_run_is_audited_and_propagates() -> None:
    class Exiting:
        def request_approval(self, **kwargs: Any) -> bool:  # synchronous: in a thread
            raise SystemExit(2)

    base = RecordingAgent()
    agent, _ = stub_agent(base, TrustPosture.HUMAN_DECIDES, approval_handler=Exiting())
    with pytest.raises(SystemExit):
        asyncio.run(agent.run())
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.error) == (
        AuditOutcome.FAILED,
        "interrupted while awaiting approval: SystemExit: 2",
    )
    assert base.calls == []


def test_a_severity_mapper_that_answers_a_non_string_counts_as_critical() -> None:
    agent, breaker = stub_agent(
        RecordingAgent(error=ValueError("x")),
        severity_of=lambda error: 3,  # type: ignore[arg-type,return-value]
    )
    with pytest.raises(ValueError, match="x"):
        asyncio.run(agent.run())
    assert breaker.events[0][1]["severity"] == "critical"


def test_the_audit_is_written_before_the_breaker_is_told() -> None:
    # A breaker that is slow to record (or cancelled while it does) cannot lose the entry.
    told: list[int] = []

    class Slow(StubBreaker):
        async def record_success(self, agent_id: str, admission: Any = None) -> None:
            told.append(len(agent.audit_log))
            await asyncio.Event().wait()

    async def scenario() -> None:
        task = asyncio.ensure_future(agent.run())
        await settle(lambda: bool(told))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, TrustPosture.FULL_AUTONOMY)
    agent = PostureAwareAgent(RecordingAgent(), AGENT, machine, circuit_breaker=Slow())
    asyncio.run(scenario())
    assert told == [1]
    assert [e.outcome for e in agent.audit_log] == [AuditOutcome.EXECUTED]
