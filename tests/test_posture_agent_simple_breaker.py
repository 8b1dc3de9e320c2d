"""PostureAwareAgent with kaizen.trust 1.2.5's breaker protocol: is_open, record_*."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.fakes import FakeClock, RecordingAgent
from trust import PostureStateMachine, TrustPosture
from trust.audit import AuditOutcome
from trust.posture_agent import PostureAwareAgent

AGENT = "agent-1"


class SimpleBreaker:
    """The reference's shape: synchronous, no agent id, no admission."""

    def __init__(self, open_: object = False) -> None:
        self.open = open_
        self.successes = 0
        self.failures = 0

    def is_open(self) -> object:
        return self.open

    def record_success(self) -> None:
        self.successes += 1

    def record_failure(self) -> None:
        self.failures += 1


class AsyncSimpleBreaker(SimpleBreaker):
    async def is_open(self) -> object:  # type: ignore[override]
        return self.open

    async def record_success(self) -> None:  # type: ignore[override]
        self.successes += 1

    async def record_failure(self) -> None:  # type: ignore[override]
        self.failures += 1


def agent_with(breaker: object, base: Any) -> PostureAwareAgent:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, TrustPosture.FULL_AUTONOMY)
    return PostureAwareAgent(base, AGENT, machine, circuit_breaker=breaker)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", [SimpleBreaker, AsyncSimpleBreaker])
def test_a_closed_simple_breaker_admits_and_hears_of_each_outcome(
    kind: type[SimpleBreaker],
) -> None:
    breaker = kind()
    assert asyncio.run(agent_with(breaker, RecordingAgent()).run(x=1)) == "done"
    assert (breaker.successes, breaker.failures) == (1, 0)
    failing = agent_with(breaker, RecordingAgent(error=ConnectionError("down")))
    with pytest.raises(ConnectionError):
        asyncio.run(failing.run())
    assert (breaker.successes, breaker.failures) == (1, 1)


@pytest.mark.parametrize("kind", [SimpleBreaker, AsyncSimpleBreaker])
def test_an_open_simple_breaker_refuses_and_the_refusal_is_audited(
    kind: type[SimpleBreaker],
) -> None:
    base = RecordingAgent()
    agent = agent_with(kind(open_=True), base)
    with pytest.raises(
        PermissionError, match="circuit breaker refused agent agent-1: circuit breaker is open"
    ):
        asyncio.run(agent.run())
    assert base.calls == []
    assert [e.outcome for e in agent.audit_log] == [AuditOutcome.REFUSED]


@pytest.mark.parametrize("answer", [None, 0, "no", 1])
def test_an_is_open_answer_other_than_false_refuses(answer: object) -> None:
    base = RecordingAgent()
    agent = agent_with(SimpleBreaker(open_=answer), base)
    with pytest.raises(PermissionError, match="not a bool"):
        asyncio.run(agent.run())
    assert base.calls == []


def test_an_is_open_that_raises_refuses() -> None:
    class Broken(SimpleBreaker):
        def is_open(self) -> object:
            raise RuntimeError("breaker store down")

    base = RecordingAgent()
    agent = agent_with(Broken(), base)
    with pytest.raises(PermissionError, match="breaker raised RuntimeError: breaker store down"):
        asyncio.run(agent.run())
    assert base.calls == []


def test_a_record_that_raises_never_fails_a_successful_run() -> None:
    class Broken(SimpleBreaker):
        def record_success(self) -> None:
            raise RuntimeError("cannot record")

    assert asyncio.run(agent_with(Broken(), RecordingAgent()).run()) == "done"


def test_an_object_with_neither_protocol_is_refused_naming_both() -> None:
    class Half:
        def is_open(self) -> bool:
            return False

    with pytest.raises(TypeError) as raised:
        agent_with(Half(), RecordingAgent())
    assert str(raised.value).startswith(
        "circuit_breaker must have admit(), record_success(), record_failure() or "
        "is_open(), record_success(), record_failure(), got "
    )
