"""PostureAwareAgent over a store-backed machine and audit log: no run stalls the loop.

The agent writes nothing but audit entries (its machine is only read, from the posture
cache); with a store-backed log each entry is written on the log's writer thread and
awaited. The stores are real ones (SQLite files, or PostgreSQL) behind
`tests.slow_store.SlowStore`: slowed by 200 ms per operation, cut off, or holding a
write so that a run can be cancelled mid-write. Whether the loop kept running is counted
in loop turns, never timed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import FakeClock, RecordingAgent
from tests.slow_store import DELAY, LoopTurns, SlowStore
from trust import AuditOutcome, PostureAwareAgent, PostureStateMachine, TrustPosture
from trust.audit import AuditLog
from trust.store import StoreUnavailableError

AGENT = "agent-001"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trust.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[SlowStore]:
    store = SlowStore(f"sqlite:///{tmp_path / 'trust.db'}")
    yield store
    store.release()
    store.close()


def durable_agent(
    store: SlowStore, base: Any, posture: TrustPosture = TrustPosture.SUPERVISED, **options: Any
) -> PostureAwareAgent:
    clock = FakeClock()
    machine = PostureStateMachine(
        store=store, clock=clock, auto_refresh=False, require_upgrade_approval=False
    )
    if posture is not TrustPosture.SUPERVISED:
        machine.set_posture(AGENT, posture)
    return PostureAwareAgent(
        base, AGENT, machine, audit_log=AuditLog(store=store, clock=clock), clock=clock, **options
    )


def outcomes(agent: PostureAwareAgent) -> list[tuple[AuditOutcome, str | None]]:
    return [(e.outcome, e.error) for e in agent.audit.stored_entries()]


def test_a_run_on_a_slow_store_leaves_the_loop_running(slow: SlowStore) -> None:
    base = RecordingAgent(result="done")
    agent = durable_agent(slow, base)
    slow.delay = DELAY

    async def main() -> Any:
        turns = slow.turns = LoopTurns()
        turns.start()
        result = await agent.run(task="x")
        await turns.stop()
        return result

    assert asyncio.run(main()) == "done"
    assert base.calls == [{"task": "x"}]
    # The run's one store write (its audit entry) waited while the loop went on turning;
    # on a loop stalled by a synchronous write the count would be 0.
    assert len(slow.turns_while_waiting) == 1
    assert min(slow.turns_while_waiting) > 10
    slow.delay = 0
    assert outcomes(agent) == [(AuditOutcome.EXECUTED, None)]
    assert agent.audit.verify()


def test_a_refused_run_on_a_slow_store_leaves_the_loop_running(slow: SlowStore) -> None:
    base = RecordingAgent()
    agent = durable_agent(slow, base, TrustPosture.BLOCKED)
    slow.delay = DELAY

    async def main() -> None:
        turns = slow.turns = LoopTurns()
        turns.start()
        with pytest.raises(PermissionError, match="BLOCKED"):
            await agent.run(task="x")
        await turns.stop()

    asyncio.run(main())
    assert base.calls == []
    assert min(slow.turns_while_waiting) > 10
    slow.delay = 0
    assert [o for o, _ in outcomes(agent)] == [AuditOutcome.REFUSED]


def test_a_durable_run_records_what_an_in_memory_run_records(url: str) -> None:
    store = SlowStore(url)
    durable = durable_agent(store, RecordingAgent(result="done"))
    clock = FakeClock()
    in_memory = PostureAwareAgent(
        RecordingAgent(result="done"),
        AGENT,
        PostureStateMachine(clock=clock),
        audit_log=AuditLog(clock=clock),
        clock=clock,
    )

    async def main() -> list[Any]:
        return [await durable.run(task="x"), await in_memory.run(task="x")]

    assert asyncio.run(main()) == ["done", "done"]
    assert durable.audit.stored_entries() == durable.audit_log == in_memory.audit_log
    store.close()


def test_with_the_audit_store_down_a_run_fails_closed(url: str) -> None:
    # As with `AuditLog.record`: an action that cannot be audited is not reported done.
    store = SlowStore(url)
    base = RecordingAgent()
    agent = durable_agent(store, base, TrustPosture.BLOCKED)
    store.down = True

    async def main() -> None:
        with pytest.raises(StoreUnavailableError):
            await agent.run(task="x")

    asyncio.run(main())
    assert base.calls == []  # refused: BLOCKED, and never run
    store.down = False
    assert outcomes(agent) == []  # recorded nowhere: the caller saw the error
    store.close()


def test_a_run_cancelled_while_its_entry_is_written_is_recorded_once(url: str) -> None:
    store = SlowStore(url)
    base = RecordingAgent(result="done")
    agent = durable_agent(store, base)

    async def main() -> None:
        store.hold()
        run = asyncio.create_task(agent.run(task="x"))
        while not store.reached.is_set():  # the EXECUTED entry is being written
            await asyncio.sleep(0)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        store.release()
        await agent.audit.arecord(  # queued behind it: the write has ended once this has
            agent_id="other",
            posture=TrustPosture.SUPERVISED,
            action="probe",
            kwargs={},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=0.0,
        )

    asyncio.run(main())
    assert base.calls == [{"task": "x"}]
    assert [(e.agent_id, e.outcome) for e in agent.audit.stored_entries()] == [
        (AGENT, AuditOutcome.EXECUTED),  # once: not also as an interrupted run
        ("other", AuditOutcome.EXECUTED),
    ]
    assert agent.audit.verify()
    store.close()


class NeverAnswers:
    """An approver that is asked, and never answers."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    async def request_approval(self, **request: Any) -> bool:
        self.asked.set()
        await asyncio.Event().wait()
        return True


def test_a_run_cancelled_while_awaiting_approval_is_recorded_before_it_raises(
    slow: SlowStore,
) -> None:
    base = RecordingAgent()
    approver = NeverAnswers()
    agent = durable_agent(slow, base, TrustPosture.HUMAN_DECIDES, approval_handler=approver)

    async def main() -> None:
        run = asyncio.create_task(agent.run(task="x"))
        await approver.asked.wait()
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        # Awaited before the cancellation propagated: already in the store.
        assert outcomes(agent) == [
            (
                AuditOutcome.CANCELLED,
                "interrupted while awaiting approval: the run's task was cancelled",
            )
        ]

    asyncio.run(main())
    assert base.calls == []


def test_a_closed_run_coroutine_queues_its_entry(slow: SlowStore) -> None:
    # A coroutine being closed cannot await: its entry is queued on the log's writer.
    approver = NeverAnswers()
    agent = durable_agent(
        slow, RecordingAgent(), TrustPosture.HUMAN_DECIDES, approval_handler=approver
    )

    async def main() -> None:
        run = agent.run(task="x")
        run.send(None)  # up to where it waits for the approver
        await approver.asked.wait()
        run.close()  # GeneratorExit inside the run: its owner abandons it

    asyncio.run(main())
    last = agent.audit.submit(
        agent_id="other",
        posture=TrustPosture.SUPERVISED,
        action="probe",
        kwargs={},
        outcome=AuditOutcome.EXECUTED,
        duration_ms=0.0,
    ).result()  # queued behind the closed run's entry
    [closed, probe] = agent.audit.stored_entries()
    assert probe == last
    assert (closed.run_id, closed.outcome, closed.error) == (
        1,
        AuditOutcome.CANCELLED,
        "interrupted while awaiting approval: the run's coroutine was closed",
    )


def test_a_run_with_an_in_memory_breaker_on_a_slow_store_leaves_the_loop_running(
    slow: SlowStore,
) -> None:
    # The breaker keeps its circuit in memory; the run's store write is its audit entry.
    from trust import PostureCircuitBreaker

    base = RecordingAgent(result="done")
    agent = durable_agent(slow, base)
    machine = agent._machine  # the agent's own machine, over the slow store
    agent = PostureAwareAgent(
        base,
        AGENT,
        machine,
        circuit_breaker=PostureCircuitBreaker(machine, clock=machine.clock),
        audit_log=agent.audit,
        clock=machine.clock,
    )
    slow.delay = DELAY

    async def main() -> Any:
        turns = slow.turns = LoopTurns()
        turns.start()
        result = await agent.run(task="x")
        await turns.stop()
        return result

    assert asyncio.run(main()) == "done"
    assert len(slow.turns_while_waiting) == 1
    assert min(slow.turns_while_waiting) > 10
    slow.delay = 0
    assert outcomes(agent) == [(AuditOutcome.EXECUTED, None)]
