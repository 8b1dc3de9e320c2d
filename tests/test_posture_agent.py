"""PostureAwareAgent: every posture's behaviour, re-checks after waits, and the audit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import pytest

from tests.fakes import FakeClock, ManualSleep, RecordingAgent, settle
from trust import PostureStateMachine, TrustPosture
from trust.audit import AuditLog, AuditOutcome, verify_audit_chain
from trust.posture_agent import PostureAwareAgent, default_severity

AGENT = "agent-001"


def machine_at(posture: TrustPosture) -> PostureStateMachine:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, posture)
    return machine


class Approver:
    def __init__(self, answer: object = True, error: Exception | None = None) -> None:
        self.answer = answer
        self.error = error
        self.asked: list[dict[str, Any]] = []
        self.gate: asyncio.Event | None = None

    async def request_approval(
        self, agent_id: str, action_description: str, kwargs: dict[str, Any]
    ) -> object:
        self.asked.append({"agent_id": agent_id, "description": action_description, **kwargs})
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return self.answer


class Notifier:
    def __init__(self, error: Exception | None = None) -> None:
        self.messages: list[str] = []
        self.error = error

    async def notify(self, agent_id: str, message: str, action_kwargs: dict[str, Any]) -> None:
        self.messages.append(message)
        if self.error is not None:
            raise self.error


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def outcomes(agent: PostureAwareAgent) -> list[tuple[str, AuditOutcome]]:
    return [(e.action, e.outcome) for e in agent.audit_log]


# --- the guide -------------------------------------------------------------------------


def test_guide_basic_wrapping() -> None:
    class MyAgent:
        def __init__(self, config: dict[str, str]) -> None:
            self.config = config

        async def run(self, query: str) -> dict[str, str]:
            return {"answer": f"{query} -> AI is ..."}

    base_agent = MyAgent({"model": "x"})
    machine = PostureStateMachine()
    machine.set_posture("agent-001", TrustPosture.FULL_AUTONOMY)
    agent = PostureAwareAgent(base_agent=base_agent, agent_id="agent-001", posture_machine=machine)

    result = run(agent.run(query="What is AI?"))

    assert result == {"answer": "What is AI? -> AI is ..."}
    assert outcomes(agent) == [("run", AuditOutcome.EXECUTED)]


def test_guide_audit_trail_loop(capsys: pytest.CaptureFixture[str]) -> None:
    agent = PostureAwareAgent(RecordingAgent(), AGENT, machine_at(TrustPosture.SUPERVISED))
    run(agent.run(task="x"))
    for entry in agent.audit_log:
        print(f"{entry.timestamp}: {entry.action}")
        print(f"  Posture: {entry.posture.value}")
        print(f"  Duration: {entry.duration_ms}ms")
        if entry.error:
            print(f"  Error: {entry.error}")
    assert "Posture: supervised" in capsys.readouterr().out


# --- per posture -----------------------------------------------------------------------


@pytest.mark.parametrize("posture", [TrustPosture.FULL_AUTONOMY, TrustPosture.SUPERVISED])
def test_autonomous_and_supervised_run_at_once_and_are_audited(posture: TrustPosture) -> None:
    base = RecordingAgent(result={"ok": 1})
    agent = PostureAwareAgent(base, AGENT, machine_at(posture))
    assert run(agent.run(q=1)) == {"ok": 1}
    assert base.calls == [{"q": 1}]
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.posture, entry.result, entry.kwargs) == (
        AuditOutcome.EXECUTED,
        posture,
        {"ok": 1},
        {"q": 1},
    )


def test_blocked_refuses_and_audits() -> None:
    base = RecordingAgent()
    agent = PostureAwareAgent(base, AGENT, machine_at(TrustPosture.BLOCKED))
    with pytest.raises(PermissionError, match="BLOCKED"):
        run(agent.run(q=1))
    assert base.calls == []
    assert outcomes(agent) == [("run", AuditOutcome.REFUSED)]


def test_sync_base_agent() -> None:
    class SyncAgent:
        def run(self, n: int) -> int:
            return n * 2

    agent = PostureAwareAgent(SyncAgent(), AGENT, machine_at(TrustPosture.FULL_AUTONOMY))
    assert run(agent.run(n=21)) == 42


def test_failure_propagates_and_is_audited() -> None:
    agent = PostureAwareAgent(
        RecordingAgent(error=ValueError("bad input")), AGENT, machine_at(TrustPosture.SUPERVISED)
    )
    with pytest.raises(ValueError, match="bad input"):
        run(agent.run())
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.error) == (AuditOutcome.FAILED, "ValueError: bad input")


# --- HUMAN_DECIDES ---------------------------------------------------------------------


def test_approved_run_executes() -> None:
    approver = Approver(True)
    base = RecordingAgent()
    agent = PostureAwareAgent(
        base, AGENT, machine_at(TrustPosture.HUMAN_DECIDES), approval_handler=approver
    )
    assert run(agent.run(amount=5)) == "done"
    assert approver.asked[0]["agent_id"] == AGENT
    assert approver.asked[0]["amount"] == 5
    assert base.calls == [{"amount": 5}]


def test_without_an_approval_handler_the_run_is_refused() -> None:
    agent = PostureAwareAgent(RecordingAgent(), AGENT, machine_at(TrustPosture.HUMAN_DECIDES))
    with pytest.raises(PermissionError, match="no approval_handler"):
        run(agent.run())
    assert outcomes(agent) == [("run", AuditOutcome.REFUSED)]


@pytest.mark.parametrize(
    ("approver", "reason"),
    [
        (Approver(False), "answered False"),
        (Approver("yes"), "answered 'yes'"),
        (Approver(1), "answered 1"),
        (Approver(None), "answered None"),
        (Approver(error=ConnectionError("slack down")), "raised ConnectionError: slack down"),
    ],
)
def test_only_a_real_true_approves(approver: Approver, reason: str) -> None:
    base = RecordingAgent()
    agent = PostureAwareAgent(
        base, AGENT, machine_at(TrustPosture.HUMAN_DECIDES), approval_handler=approver
    )
    with pytest.raises(PermissionError, match=reason):
        run(agent.run())
    assert base.calls == []
    assert outcomes(agent) == [("run", AuditOutcome.DENIED)]


def test_approval_that_never_answers_times_out() -> None:
    sleep = ManualSleep()
    approver = Approver(True)

    async def scenario() -> None:
        approver.gate = asyncio.Event()  # never set: the human never answers
        agent = PostureAwareAgent(
            RecordingAgent(),
            AGENT,
            machine_at(TrustPosture.HUMAN_DECIDES),
            approval_handler=approver,
            approval_timeout_seconds=30,
            sleep=sleep,
        )
        task = asyncio.ensure_future(agent.run())
        await settle(lambda: sleep.sleeping == 1)
        assert sleep.requested == [30]
        sleep.release()
        with pytest.raises(PermissionError, match="approval timed out after 30s"):
            await task
        assert outcomes(agent) == [("run", AuditOutcome.DENIED)]

    run(scenario())


def test_what_was_approved_is_what_runs() -> None:
    # Before: the approver got a shallow copy, so a nested value changed after the
    # approval (by the caller meanwhile, or by the approver itself) reached the run.
    message = {"to": ["alice@example.com"], "body": "hello"}
    shown: list[str] = []

    class Tampering:
        async def request_approval(
            self, agent_id: str, action_description: str, kwargs: dict[str, Any]
        ) -> bool:
            shown.append(repr(kwargs))
            kwargs["message"]["to"].append("mallory@example.com")  # the approver's copy
            message["to"].append("eve@example.com")  # the caller's object, meanwhile
            message["body"] = "wire the money"
            return True

    base = RecordingAgent()
    agent = PostureAwareAgent(
        base, AGENT, machine_at(TrustPosture.HUMAN_DECIDES), approval_handler=Tampering()
    )
    assert run(agent.run(message=message)) == "done"
    approved = {"message": {"to": ["alice@example.com"], "body": "hello"}}
    assert shown == [repr(approved)]
    assert base.calls == [approved]
    (entry,) = agent.audit_log
    assert entry.kwargs == approved


def test_arguments_that_cannot_be_copied_are_not_approved() -> None:
    approver = Approver(True)
    base = RecordingAgent()
    agent = PostureAwareAgent(
        base, AGENT, machine_at(TrustPosture.HUMAN_DECIDES), approval_handler=approver
    )
    with pytest.raises(
        PermissionError,
        match=r"the arguments could not be copied for approval .*: TypeError: cannot pickle",
    ):
        run(agent.run(lock=threading.Lock()))
    assert approver.asked == []
    assert base.calls == []
    assert outcomes(agent) == [("run", AuditOutcome.DENIED)]


def test_runs_without_approval_get_the_callers_own_objects() -> None:
    # Only an approval copies: a shared client or handle reaches the agent as it is.
    handle = threading.Lock()
    base = RecordingAgent()
    agent = PostureAwareAgent(base, AGENT, machine_at(TrustPosture.SUPERVISED))
    run(agent.run(handle=handle))
    assert base.calls[0]["handle"] is handle


# --- ASSISTED --------------------------------------------------------------------------


def assisted(
    sleep: ManualSleep, notifier: Notifier | None = None, **kwargs: Any
) -> tuple[PostureAwareAgent, RecordingAgent, PostureStateMachine]:
    base = RecordingAgent()
    machine = machine_at(TrustPosture.ASSISTED)
    agent = PostureAwareAgent(
        base,
        AGENT,
        machine,
        notification_handler=notifier,
        assisted_delay_seconds=5.0,
        sleep=sleep,
        **kwargs,
    )
    return agent, base, machine


def in_window(sleep: ManualSleep) -> Callable[[], bool]:
    """Whether a run is waiting out its 5 s cancel window (not its notification)."""
    return lambda: sleep.requested[-1:] == [5.0] and sleep.sleeping == 1


def test_assisted_notifies_waits_then_runs() -> None:
    async def scenario() -> None:
        sleep, notifier = ManualSleep(), Notifier()
        agent, base, _ = assisted(sleep, notifier)
        task = asyncio.ensure_future(agent.run(q=1))
        await settle(in_window(sleep))
        assert notifier.messages == [
            f"Agent {AGENT} will execute run 1 in 5 seconds unless cancelled (cancel_pending(1))"
        ]
        # The notification had its own timeout (10 s), then the 5 s window began.
        assert sleep.requested == [10.0, 5.0]
        assert base.calls == []  # still inside the cancel window
        assert agent.pending_runs() == [1]
        sleep.release()
        assert await task == "done"
        assert base.calls == [{"q": 1}]
        assert agent.pending_runs() == []
        assert outcomes(agent) == [("run", AuditOutcome.EXECUTED)]

    run(scenario())


def test_failed_notification_is_audited_and_the_window_still_runs() -> None:
    async def scenario() -> None:
        sleep = ManualSleep()
        agent, base, _ = assisted(sleep, Notifier(error=RuntimeError("webhook 500")))
        task = asyncio.ensure_future(agent.run())
        await settle(in_window(sleep))
        assert base.calls == []
        assert outcomes(agent) == [("notify", AuditOutcome.FAILED)]
        assert "webhook 500" in (agent.audit_log[0].error or "")
        sleep.release()
        await task
        assert outcomes(agent) == [("notify", AuditOutcome.FAILED), ("run", AuditOutcome.EXECUTED)]

    run(scenario())


def test_cancel_from_another_thread_takes_effect_at_once() -> None:
    async def scenario() -> None:
        sleep = ManualSleep()
        agent, base, _ = assisted(sleep, Notifier())
        task = asyncio.ensure_future(agent.run())
        await settle(in_window(sleep))
        cancelled: list[bool] = []
        canceller = threading.Thread(target=lambda: cancelled.append(agent.cancel_pending()))
        canceller.start()
        canceller.join()
        # The window was never released: the run ends because it was cancelled.
        with pytest.raises(PermissionError, match="was cancelled"):
            await task
        assert cancelled == [True]
        assert base.calls == []
        assert outcomes(agent) == [("run", AuditOutcome.CANCELLED)]
        assert agent.cancel_pending() is False

    run(scenario())


def test_cancel_one_run_by_id() -> None:
    async def scenario() -> None:
        sleep = ManualSleep()
        agent, base, _ = assisted(sleep)
        first = asyncio.ensure_future(agent.run(n=1))
        second = asyncio.ensure_future(agent.run(n=2))
        await settle(lambda: sleep.sleeping == 2)
        assert sorted(agent.pending_runs()) == [1, 2]
        assert agent.cancel_pending(2) is True
        assert agent.cancel_pending(99) is False
        with pytest.raises(PermissionError):
            await second
        sleep.release()
        assert await first == "done"
        assert base.calls == [{"n": 1}]

    run(scenario())


def test_downgrade_to_blocked_during_the_window_refuses() -> None:
    async def scenario() -> None:
        sleep = ManualSleep()
        agent, base, machine = assisted(sleep)
        task = asyncio.ensure_future(agent.run())
        await settle(lambda: sleep.sleeping == 1)
        machine.emergency_downgrade(AGENT, reason="incident")
        sleep.release()
        with pytest.raises(PermissionError, match="BLOCKED"):
            await task
        assert base.calls == []
        assert agent.audit_log[-1].posture is TrustPosture.BLOCKED

    run(scenario())


def test_downgrade_to_human_decides_during_the_window_needs_approval() -> None:
    async def scenario() -> None:
        sleep = ManualSleep()
        approver = Approver(False)
        agent, base, machine = assisted(sleep, approval_handler=approver)
        task = asyncio.ensure_future(agent.run())
        await settle(lambda: sleep.sleeping == 1)
        machine.set_posture(AGENT, TrustPosture.HUMAN_DECIDES)
        sleep.release()
        with pytest.raises(PermissionError, match="answered False"):
            await task
        assert len(approver.asked) == 1
        assert base.calls == []

    run(scenario())


def test_downgrade_to_blocked_during_approval_refuses() -> None:
    async def scenario() -> None:
        machine = machine_at(TrustPosture.HUMAN_DECIDES)
        approver = Approver(True)
        approver.gate = asyncio.Event()
        base = RecordingAgent()
        agent = PostureAwareAgent(base, AGENT, machine, approval_handler=approver)
        task = asyncio.ensure_future(agent.run())
        await settle(lambda: bool(approver.asked))
        machine.emergency_downgrade(AGENT, reason="incident")
        approver.gate.set()
        with pytest.raises(PermissionError, match="BLOCKED"):
            await task
        assert base.calls == []

    run(scenario())


# --- breaker wiring (with a stand-in; the real breaker is tested end to end elsewhere) ----


@attrs.frozen
class Ticket:
    allowed: bool
    reason: str = ""


class StubBreaker:
    def __init__(self, allowed: bool = True, admit_error: Exception | None = None) -> None:
        self.allowed = allowed
        self.admit_error = admit_error
        self.events: list[tuple[str, Any]] = []

    async def admit(self, agent_id: str) -> Ticket:
        if self.admit_error is not None:
            raise self.admit_error
        return Ticket(self.allowed, "" if self.allowed else "circuit open")

    async def record_success(self, agent_id: str, admission: Any = None) -> None:
        self.events.append(("success", admission))

    async def record_failure(self, agent_id: str, **fields: Any) -> None:
        self.events.append(("failure", fields))


def test_breaker_admission_and_outcomes_are_reported_with_the_ticket() -> None:
    breaker = StubBreaker()
    ok = PostureAwareAgent(
        RecordingAgent(), AGENT, machine_at(TrustPosture.FULL_AUTONOMY), circuit_breaker=breaker
    )
    run(ok.run())
    failing = PostureAwareAgent(
        RecordingAgent(error=TimeoutError("slow")),
        AGENT,
        machine_at(TrustPosture.FULL_AUTONOMY),
        circuit_breaker=breaker,
    )
    with pytest.raises(TimeoutError):
        run(failing.run())
    assert breaker.events[0] == ("success", Ticket(True))
    kind, fields = breaker.events[1]
    assert kind == "failure"
    assert fields == {
        "error_type": "TimeoutError",
        "error_message": "slow",
        "action": "run",
        "severity": "low",
        "admission": Ticket(True),
    }


@pytest.mark.parametrize(
    ("breaker", "reason"),
    [
        (StubBreaker(allowed=False), "circuit open"),
        (StubBreaker(admit_error=RuntimeError("lock poisoned")), "RuntimeError: lock poisoned"),
    ],
)
def test_breaker_refusal_is_a_permission_error(breaker: StubBreaker, reason: str) -> None:
    base = RecordingAgent()
    agent = PostureAwareAgent(
        base, AGENT, machine_at(TrustPosture.FULL_AUTONOMY), circuit_breaker=breaker
    )
    with pytest.raises(PermissionError, match=reason):
        run(agent.run())
    assert base.calls == []
    assert outcomes(agent) == [("run", AuditOutcome.REFUSED)]


@pytest.mark.parametrize(
    ("error", "severity"),
    [
        (MemoryError(), "critical"),
        (PermissionError(), "high"),
        (ConnectionError(), "low"),
        (TimeoutError(), "low"),
        (KeyError("k"), "medium"),
    ],
)
def test_default_severity(error: BaseException, severity: str) -> None:
    assert default_severity(error) == severity


def test_severity_mapper_that_raises_counts_as_critical() -> None:
    def broken(error: BaseException) -> str:
        raise LookupError("no mapping")

    breaker = StubBreaker()
    agent = PostureAwareAgent(
        RecordingAgent(error=ValueError("x")),
        AGENT,
        machine_at(TrustPosture.SUPERVISED),
        circuit_breaker=breaker,
        severity_of=broken,
    )
    with pytest.raises(ValueError, match="x"):
        run(agent.run())
    assert breaker.events[0][1]["severity"] == "critical"


# --- the audit trail -------------------------------------------------------------------


def test_every_decision_is_chained_in_a_shared_log() -> None:
    log = AuditLog(max_entries=100)
    machine = machine_at(TrustPosture.SUPERVISED)
    agent = PostureAwareAgent(RecordingAgent(), AGENT, machine, audit_log=log)
    other = PostureAwareAgent(RecordingAgent(), "agent-002", machine, audit_log=log)
    run(agent.run(step=1))
    run(other.run(step=2))
    machine.emergency_downgrade(AGENT, reason="incident")
    with pytest.raises(PermissionError):
        run(agent.run(step=3))
    assert [e.sequence for e in log.entries()] == [0, 1, 2]
    assert verify_audit_chain(log.entries(), anchor="0" * 64)
    assert [e.outcome for e in agent.audit_log] == [AuditOutcome.EXECUTED, AuditOutcome.REFUSED]
    assert all(e.timestamp.tzinfo is not None for e in log.entries())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_agent": object()}, "base_agent must have a run"),
        ({"posture_machine": "machine"}, "posture_machine must be a PostureStateMachine"),
        ({"circuit_breaker": object()}, "circuit_breaker must have admit"),
        ({"approval_handler": object()}, "approval_handler must have request_approval"),
        ({"assisted_delay_seconds": -1}, "assisted_delay_seconds must be at least 0"),
        ({"assisted_delay_seconds": float("nan")}, "assisted_delay_seconds must be a finite"),
        ({"approval_timeout_seconds": 0}, "approval_timeout_seconds must be a positive"),
        ({"agent_id": ""}, "agent_id must be a non-blank string"),
    ],
)
def test_bad_configuration(kwargs: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "base_agent": RecordingAgent(),
        "agent_id": AGENT,
        "posture_machine": machine_at(TrustPosture.SUPERVISED),
    }
    fields.update(kwargs)
    with pytest.raises(ValueError, match=message):
        PostureAwareAgent(**fields)


def test_release_ends_the_window_early_and_cancel_wins_over_it() -> None:
    async def scenario() -> None:
        sleep = ManualSleep()
        agent, base, _ = assisted(sleep)
        first = asyncio.ensure_future(agent.run(n=1))
        second = asyncio.ensure_future(agent.run(n=2))
        await settle(lambda: sleep.sleeping == 2)
        assert agent.cancel_pending(2)
        assert agent.release_pending() is True  # releases both; the cancelled one stays so
        assert await first == "done"
        with pytest.raises(PermissionError, match="cancelled"):
            await second
        assert base.calls == [{"n": 1}]
        assert agent.release_pending() is False

    run(scenario())


def test_a_notifier_may_release_the_run_at_once() -> None:
    holder: list[PostureAwareAgent] = []

    class GoAhead:
        async def notify(self, agent_id: str, message: str, action_kwargs: dict[str, Any]) -> None:
            holder[0].release_pending()

    sleep = ManualSleep()
    agent, _, _ = assisted(sleep, GoAhead())  # type: ignore[arg-type]
    holder.append(agent)
    assert run(agent.run()) == "done"
    assert sleep.requested == [10.0]  # only the notification's timeout was armed; no window
