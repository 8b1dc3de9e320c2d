"""PostureAwareAgent across its awaits: the posture is read again after each one, and a
handler's answer counts only within its timeout, synchronous handlers included
(issue 12, items 7 and 9).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import attrs
import pytest

from tests.fakes import FakeClock, ManualSleep, RecordingAgent, settle
from trust import AuditOutcome, PostureAwareAgent, PostureStateMachine, TrustPosture

AGENT = "agent-001"


@attrs.frozen
class Ticket:
    allowed: bool = True
    reason: str = ""


class GatedBreaker:
    """Admits, but only once the test opens the gate: the admission is an await."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.admissions = 0
        self.events: list[str] = []

    async def admit(self, agent_id: str) -> Ticket:
        self.admissions += 1
        await self.gate.wait()
        return Ticket()

    async def record_success(self, agent_id: str, admission: Any = None) -> None:
        self.events.append("success")

    async def record_failure(self, agent_id: str, **fields: Any) -> None:
        self.events.append("failure")


class Approver:
    def __init__(self) -> None:
        self.asked = 0

    async def request_approval(self, **kwargs: Any) -> bool:
        self.asked += 1
        return True


def machine_at(posture: TrustPosture, clock: FakeClock | None = None) -> PostureStateMachine:
    machine = PostureStateMachine(clock=clock or FakeClock())
    machine.set_posture(AGENT, posture)
    return machine


# --- item 7: the posture is read again after the breaker's admission ----------------------


def test_an_emergency_downgrade_during_admission_refuses_the_run() -> None:
    async def scenario() -> None:
        machine = machine_at(TrustPosture.FULL_AUTONOMY)
        breaker, base = GatedBreaker(), RecordingAgent()
        agent = PostureAwareAgent(base, AGENT, machine, circuit_breaker=breaker)
        task = asyncio.ensure_future(agent.run(q=1))
        await settle(lambda: breaker.admissions == 1)
        machine.emergency_downgrade(AGENT, reason="incident")
        breaker.gate.set()
        with pytest.raises(PermissionError, match="BLOCKED"):
            await task
        assert base.calls == []
        (entry,) = agent.audit_log
        assert (entry.outcome, entry.posture) == (AuditOutcome.REFUSED, TrustPosture.BLOCKED)
        assert breaker.events == []  # nothing ran, so nothing is reported

    asyncio.run(scenario())


def test_a_downgrade_to_human_decides_during_admission_needs_approval_and_a_new_admission() -> None:
    async def scenario() -> None:
        machine = machine_at(TrustPosture.FULL_AUTONOMY)
        breaker, base, approver = GatedBreaker(), RecordingAgent(), Approver()
        agent = PostureAwareAgent(
            base, AGENT, machine, circuit_breaker=breaker, approval_handler=approver
        )
        task = asyncio.ensure_future(agent.run(q=1))
        await settle(lambda: breaker.admissions == 1)
        machine.set_posture(AGENT, TrustPosture.HUMAN_DECIDES)
        breaker.gate.set()
        assert await task == "done"
        assert approver.asked == 1
        # Admitted again after the approval's wait: an admission is used at once or not at all.
        assert breaker.admissions == 2
        (entry,) = agent.audit_log
        assert (entry.outcome, entry.posture) == (
            AuditOutcome.EXECUTED,
            TrustPosture.HUMAN_DECIDES,
        )

    asyncio.run(scenario())


def test_a_downgrade_during_the_notification_is_followed_without_the_window() -> None:
    async def scenario() -> None:
        machine = machine_at(TrustPosture.ASSISTED)
        notified = asyncio.Event()
        sent = asyncio.Event()

        class SlowNotifier:
            async def notify(self, **kwargs: Any) -> None:
                notified.set()
                await sent.wait()

        sleep, base = ManualSleep(), RecordingAgent()
        agent = PostureAwareAgent(
            base, AGENT, machine, notification_handler=SlowNotifier(), sleep=sleep
        )
        task = asyncio.ensure_future(agent.run())
        await notified.wait()
        machine.emergency_downgrade(AGENT, reason="incident")
        sent.set()
        await settle(task.done)
        assert task.done()  # refused at once, not after the 5 s window
        with pytest.raises(PermissionError, match="BLOCKED"):
            await task
        assert sleep.requested == [10.0]  # only the notification's own timeout was armed
        assert base.calls == []
        sleep.release()

    asyncio.run(scenario())


# --- item 9: synchronous handlers answer within their timeout, or deny --------------------


def test_a_sync_approval_that_answers_late_denies() -> None:
    clock = FakeClock()

    class Slow:
        def request_approval(self, **kwargs: Any) -> bool:
            clock.advance(1.5)  # the human took 1.5 s
            return True

    base = RecordingAgent()
    agent = PostureAwareAgent(
        base,
        AGENT,
        machine_at(TrustPosture.HUMAN_DECIDES, clock),
        approval_handler=Slow(),
        approval_timeout_seconds=0.5,
        sleep=ManualSleep(),  # the timer never fires: only the clock shows it was late
    )
    with pytest.raises(PermissionError, match=r"approval answered after 1\.5s, past its 0\.5s"):
        asyncio.run(agent.run())
    assert base.calls == []
    assert [e.outcome for e in agent.audit_log] == [AuditOutcome.DENIED]


def test_a_sync_approval_that_does_not_answer_in_time_denies_without_blocking_the_loop() -> None:
    loop_thread = threading.get_ident()
    answer = threading.Event()
    answered = threading.Event()

    class Hanging:
        def request_approval(self, **kwargs: Any) -> bool:
            if threading.get_ident() == loop_thread:
                return True  # called on the event loop: it could not have been timed out
            answer.wait()
            answered.set()
            return True  # far too late

    async def scenario() -> None:
        sleep, base = ManualSleep(), RecordingAgent()
        agent = PostureAwareAgent(
            base,
            AGENT,
            machine_at(TrustPosture.HUMAN_DECIDES),
            approval_handler=Hanging(),
            approval_timeout_seconds=0.5,
            sleep=sleep,
        )
        task = asyncio.ensure_future(agent.run())
        await settle(lambda: sleep.sleeping == 1)  # the loop runs while the handler hangs
        assert sleep.requested == [0.5]
        sleep.release()  # 0.5 s pass
        with pytest.raises(PermissionError, match=r"approval timed out after 0\.5s"):
            await task
        assert base.calls == []
        assert [e.outcome for e in agent.audit_log] == [AuditOutcome.DENIED]

    asyncio.run(scenario())
    answer.set()  # the late True arrives after the run was denied, and changes nothing
    answered.wait()


def test_a_sync_approval_that_answers_in_time_approves() -> None:
    class Quick:
        def request_approval(self, **kwargs: Any) -> bool:
            return True

    base = RecordingAgent()
    agent = PostureAwareAgent(
        base,
        AGENT,
        machine_at(TrustPosture.HUMAN_DECIDES),
        approval_handler=Quick(),
        approval_timeout_seconds=0.5,
        sleep=ManualSleep(),
    )
    assert asyncio.run(agent.run(q=1)) == "done"
    assert base.calls == [{"q": 1}]


def test_a_sync_approval_that_raises_denies() -> None:
    class Broken:
        def request_approval(self, **kwargs: Any) -> bool:
            raise RuntimeError("approver down")

    agent = PostureAwareAgent(
        RecordingAgent(),
        AGENT,
        machine_at(TrustPosture.HUMAN_DECIDES),
        approval_handler=Broken(),
        sleep=ManualSleep(),
    )
    with pytest.raises(
        PermissionError, match="approval handler raised RuntimeError: approver down"
    ):
        asyncio.run(agent.run())


def test_an_async_approval_that_the_clock_shows_late_denies() -> None:
    clock = FakeClock()

    class SlowAsync:
        async def request_approval(self, **kwargs: Any) -> bool:
            clock.advance(2)
            return True

    agent = PostureAwareAgent(
        RecordingAgent(),
        AGENT,
        machine_at(TrustPosture.HUMAN_DECIDES, clock),
        approval_handler=SlowAsync(),
        approval_timeout_seconds=1,
        sleep=ManualSleep(),
    )
    with pytest.raises(PermissionError, match=r"answered after 2s, past its 1s timeout"):
        asyncio.run(agent.run())


def test_a_sync_notification_that_answers_late_is_audited_as_failed() -> None:
    clock = FakeClock()
    requested: list[float] = []

    class SlowNotifier:
        def notify(self, **kwargs: Any) -> None:
            clock.advance(11)

    async def window_passes_at_once(seconds: float) -> None:
        requested.append(seconds)
        if seconds != 5.0:  # the notification's timer never fires: only the clock tells
            await asyncio.Event().wait()

    base = RecordingAgent()
    agent = PostureAwareAgent(
        base,
        AGENT,
        machine_at(TrustPosture.ASSISTED, clock),
        notification_handler=SlowNotifier(),
        sleep=window_passes_at_once,
    )
    assert asyncio.run(agent.run()) == "done"
    assert requested == [10.0, 5.0]
    notified, ran = agent.audit_log
    assert (notified.action, notified.outcome, notified.error) == (
        "notify",
        AuditOutcome.FAILED,
        "notification answered after 11s, past its 10s timeout",
    )
    assert (ran.action, ran.outcome) == ("run", AuditOutcome.EXECUTED)


def test_a_plain_function_that_returns_a_coroutine_is_awaited_within_the_timeout() -> None:
    class Wrapped:
        def request_approval(self, **kwargs: Any) -> Any:
            async def answer() -> bool:
                return True

            return answer()

    agent = PostureAwareAgent(
        RecordingAgent(),
        AGENT,
        machine_at(TrustPosture.HUMAN_DECIDES),
        approval_handler=Wrapped(),
        sleep=ManualSleep(),
    )
    assert asyncio.run(agent.run()) == "done"


def test_a_coroutine_returned_after_the_timeout_is_closed_and_denies() -> None:
    clock = FakeClock()
    started: list[bool] = []

    class LateWrapped:
        def request_approval(self, **kwargs: Any) -> Any:
            async def answer() -> bool:
                started.append(True)
                return True

            clock.advance(2)
            return answer()

    agent = PostureAwareAgent(
        RecordingAgent(),
        AGENT,
        machine_at(TrustPosture.HUMAN_DECIDES, clock),
        approval_handler=LateWrapped(),
        approval_timeout_seconds=1,
        sleep=ManualSleep(),
    )
    # Closed, not left to warn "never awaited" (which the test settings make an error).
    with pytest.raises(PermissionError, match=r"approval timed out after 1s"):
        asyncio.run(agent.run())
    assert started == []
