"""PostureAwareAgent: every run ends in exactly one audit entry, written before anything
propagates, whatever its arguments, result, error or audit sink raise.

A value whose ``__repr__`` or ``__str__`` raises is recorded as a marker, whatever it
raises (`BaseException` included). A request to stop the process (`KeyboardInterrupt`,
`SystemExit`) raised while printing is not swallowed: it is raised once the entry is
written and the breaker told.
"""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import pytest

from tests.fakes import FakeClock, RecordingAgent
from trust import AuditOutcome, PostureAwareAgent, PostureStateMachine, TrustPosture
from trust.audit import AuditEntry, AuditLog

AGENT = "agent-001"


class Weird(BaseException):
    """Neither an `Exception` nor a stop request: ``except Exception`` does not see it."""


class Prints:
    """A value whose ``__repr__`` and ``__str__`` raise ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __repr__(self) -> str:
        raise self.error

    __str__ = __repr__


class FailsToPrint(Exception):
    """An exception whose ``__str__`` raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def __str__(self) -> str:
        raise self.error


@attrs.frozen
class Ticket:
    allowed: bool = True
    reason: str = ""


class StubBreaker:
    def __init__(self) -> None:
        self.events: list[str] = []

    async def admit(self, agent_id: str) -> Ticket:
        return Ticket()

    async def record_success(self, agent_id: str, admission: Any = None) -> None:
        self.events.append("success")

    async def record_failure(self, agent_id: str, **fields: Any) -> None:
        self.events.append(f"failure {fields['error_message']}")


class Approver:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    async def request_approval(self, **kwargs: Any) -> object:
        return self.answer


def wired(
    posture: TrustPosture, base: object, **options: Any
) -> tuple[PostureAwareAgent, StubBreaker]:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, posture)
    breaker = StubBreaker()
    agent = PostureAwareAgent(base, AGENT, machine, circuit_breaker=breaker, **options)
    return agent, breaker


MARKER = "<unrepresentable: Weird in __repr__>"

# Each path a run can take, with an argument whose __repr__ raises Weird: before, the
# entry could not be written (snapshot, guarded and the interruption path only caught
# Exception), so the base agent ran and left no entry.
PATHS = [
    pytest.param(TrustPosture.SUPERVISED, {}, AuditOutcome.EXECUTED, None, id="executed"),
    pytest.param(TrustPosture.BLOCKED, {}, AuditOutcome.REFUSED, PermissionError, id="refused"),
    pytest.param(
        TrustPosture.HUMAN_DECIDES,
        {"approval_handler": Approver(False)},
        AuditOutcome.DENIED,
        PermissionError,
        id="denied",
    ),
    pytest.param(
        TrustPosture.HUMAN_DECIDES,
        {"approval_handler": Approver(True)},
        AuditOutcome.EXECUTED,
        None,
        id="approved",
    ),
]


@pytest.mark.parametrize(("posture", "options", "outcome", "raised"), PATHS)
def test_an_argument_whose_repr_raises_a_base_exception_is_recorded_as_a_marker(
    posture: TrustPosture,
    options: dict[str, Any],
    outcome: AuditOutcome,
    raised: type[BaseException] | None,
) -> None:
    base = RecordingAgent()
    agent, _ = wired(posture, base, **options)
    if raised is None:
        assert asyncio.run(agent.run(x=Prints(Weird("repr")))) == "done"
    else:
        with pytest.raises(raised):
            asyncio.run(agent.run(x=Prints(Weird("repr"))))
    (entry,) = agent.audit_log
    assert entry.outcome is outcome
    assert entry.kwargs == {"x": MARKER}
    assert len(base.calls) == (outcome is AuditOutcome.EXECUTED)


def test_an_agent_failing_with_an_unprintable_weird_error_is_recorded_and_counted() -> None:
    error = FailsToPrint(Weird("str"))
    agent, breaker = wired(TrustPosture.SUPERVISED, RecordingAgent(error=error))
    with pytest.raises(FailsToPrint):
        asyncio.run(agent.run())
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.error) == (
        AuditOutcome.FAILED,
        "FailsToPrint: <unrepresentable: Weird in __str__>",
    )
    assert breaker.events == ["failure <unrepresentable: Weird in __str__>"]


# --- stop requests: raised, but only once the entry is written ---------------------------


STOPS = pytest.mark.parametrize(
    "stop", [KeyboardInterrupt("repr"), SystemExit(4)], ids=["KeyboardInterrupt", "SystemExit"]
)


@STOPS
def test_a_stop_request_from_an_arguments_repr_is_raised_after_the_entry(
    stop: BaseException,
) -> None:
    base = RecordingAgent()
    agent, breaker = wired(TrustPosture.SUPERVISED, base)
    with pytest.raises(type(stop)) as caught:
        asyncio.run(agent.run(x=Prints(stop)))
    assert caught.value is stop
    (entry,) = agent.audit_log
    assert entry.outcome is AuditOutcome.EXECUTED
    assert entry.kwargs == {"x": f"<unrepresentable: {type(stop).__name__} in __repr__>"}
    assert len(base.calls) == 1
    assert breaker.events == ["success"]  # told before the stop request is raised


@STOPS
def test_a_stop_request_from_a_results_repr_is_raised_after_the_entry(
    stop: BaseException,
) -> None:
    agent, breaker = wired(TrustPosture.SUPERVISED, RecordingAgent(result=Prints(stop)))
    with pytest.raises(type(stop)):
        asyncio.run(agent.run())
    (entry,) = agent.audit_log
    assert (entry.outcome, entry.result) == (
        AuditOutcome.EXECUTED,
        f"<unrepresentable: {type(stop).__name__} in __repr__>",
    )
    assert breaker.events == ["success"]


@STOPS
def test_a_stop_request_from_an_errors_str_is_raised_after_the_entry_and_the_breaker(
    stop: BaseException,
) -> None:
    error = FailsToPrint(stop)
    agent, breaker = wired(TrustPosture.SUPERVISED, RecordingAgent(error=error))
    with pytest.raises(type(stop)) as caught:
        asyncio.run(agent.run())
    assert caught.value.__context__ is error  # the agent's own error is kept as context
    (entry,) = agent.audit_log
    marker = f"<unrepresentable: {type(stop).__name__} in __str__>"
    assert (entry.outcome, entry.error) == (AuditOutcome.FAILED, f"FailsToPrint: {marker}")
    assert breaker.events == [f"failure {marker}"]


@STOPS
def test_a_stop_request_before_the_run_is_raised_after_an_entry_and_nothing_runs(
    stop: BaseException,
) -> None:
    # The approval's description prints the arguments: the stop request comes before the
    # approver is asked, so nothing runs; the interruption is still recorded first.
    base = RecordingAgent()
    agent, _ = wired(TrustPosture.HUMAN_DECIDES, base, approval_handler=Approver(True))

    class StopsWhenShown:
        def __deepcopy__(self, memo: Any) -> StopsWhenShown:
            return self

        def __repr__(self) -> str:
            raise stop

    with pytest.raises(type(stop)):
        asyncio.run(agent.run(x=StopsWhenShown()))
    assert base.calls == []
    (entry,) = agent.audit_log
    assert entry.outcome is AuditOutcome.FAILED
    assert entry.error == f"interrupted while awaiting approval: {type(stop).__name__}: " + (
        "repr" if isinstance(stop, KeyboardInterrupt) else "4"
    )


def test_a_severity_mapper_that_raises_a_base_exception_counts_as_critical() -> None:
    fields: list[dict[str, Any]] = []

    class Breaker(StubBreaker):
        async def record_failure(self, agent_id: str, **given: Any) -> None:
            fields.append(given)

    def mapper(error: BaseException) -> str:
        raise Weird("mapper")

    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, TrustPosture.SUPERVISED)
    agent = PostureAwareAgent(
        RecordingAgent(error=ValueError("x")),
        AGENT,
        machine,
        circuit_breaker=Breaker(),
        severity_of=mapper,
    )
    with pytest.raises(ValueError, match="x"):  # before: Weird replaced it
        asyncio.run(agent.run())
    assert [f["severity"] for f in fields] == ["critical"]


# --- the sink -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "raised"),
    [(Weird("sink"), None), (KeyboardInterrupt(), KeyboardInterrupt)],
    ids=["Weird", "KeyboardInterrupt"],
)
def test_a_sink_raising_a_base_exception_leaves_exactly_one_entry_per_run(
    error: BaseException, raised: type[BaseException] | None
) -> None:
    # Before: the sink's BaseException escaped record() after the entry was chained, the
    # run was not marked recorded, and the interruption path wrote a second entry.
    def sink(entry: AuditEntry) -> None:
        raise error

    log = AuditLog(sink=sink)
    agent, breaker = wired(TrustPosture.SUPERVISED, RecordingAgent(), audit_log=log)
    for _ in range(2):
        if raised is None:
            assert asyncio.run(agent.run(q=1)) == "done"
        else:
            with pytest.raises(raised):
                asyncio.run(agent.run(q=1))
    assert [(e.run_id, e.outcome) for e in log] == [
        (1, AuditOutcome.EXECUTED),
        (2, AuditOutcome.EXECUTED),
    ]
    assert log.sink_failures == 2
    assert breaker.events == ["success", "success"]


# --- faults around the record: the run's own outcome is what the caller sees ------------


class FaultyBreaker(StubBreaker):
    async def record_success(self, agent_id: str, admission: Any = None) -> None:
        raise RuntimeError("breaker down")

    async def record_failure(self, agent_id: str, **fields: Any) -> None:
        raise RuntimeError("breaker down")


@pytest.mark.parametrize(
    ("error", "outcome"),
    [(None, AuditOutcome.EXECUTED), (ValueError("x"), AuditOutcome.FAILED)],
    ids=["success", "failure"],
)
def test_a_breaker_that_fails_to_record_neither_loses_the_entry_nor_replaces_the_outcome(
    error: Exception | None, outcome: AuditOutcome, caplog: pytest.LogCaptureFixture
) -> None:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, TrustPosture.SUPERVISED)
    agent = PostureAwareAgent(
        RecordingAgent(error=error), AGENT, machine, circuit_breaker=FaultyBreaker()
    )
    if error is None:
        assert asyncio.run(agent.run()) == "done"
    else:
        with pytest.raises(ValueError, match="x"):
            asyncio.run(agent.run())
    assert [e.outcome for e in agent.audit_log] == [outcome]
    assert "circuit breaker failed to record" in caplog.text


def test_an_interruption_that_cannot_be_recorded_is_logged_and_propagates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class StoppedClock(FakeClock):
        def now(self) -> Any:
            raise OSError("clock gone")

    class Escaping:
        async def request_approval(self, **kwargs: Any) -> bool:
            raise Weird("approver gone")

    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, TrustPosture.HUMAN_DECIDES)
    agent = PostureAwareAgent(
        RecordingAgent(),
        AGENT,
        machine,
        approval_handler=Escaping(),
        audit_log=AuditLog(clock=StoppedClock()),
    )
    with pytest.raises(Weird):
        asyncio.run(agent.run())
    assert agent.audit_log == []
    assert "could not audit the interrupted run 1" in caplog.text
