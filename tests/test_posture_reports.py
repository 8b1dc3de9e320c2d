"""The posture machine's log: every change on logger "trust.postures", outside its lock."""

from __future__ import annotations

import logging

import pytest

from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustPosture
from trust.postures import PostureTransitionRequest

S, A, F, H, B = (
    TrustPosture.SUPERVISED,
    TrustPosture.ASSISTED,
    TrustPosture.FULL_AUTONOMY,
    TrustPosture.HUMAN_DECIDES,
    TrustPosture.BLOCKED,
)


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="trust.postures")
    return caplog


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "trust.postures"]


def test_an_emergency_downgrade_is_logged_at_warning_with_who_and_why(
    logged: pytest.LogCaptureFixture,
) -> None:
    machine = PostureStateMachine(clock=FakeClock())
    machine.emergency_downgrade("agent-1", reason="leaked a key", requester_id="sec-ops")
    (record,) = _records(logged)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "posture of agent-1: supervised -> blocked (emergency_downgrade, version 1) "
        "by 'sec-ops': 'leaked a key'"
    )
    fields = {k: getattr(record, k) for k in ("agent_id", "from_posture", "to_posture")}
    assert fields == {"agent_id": "agent-1", "from_posture": "supervised", "to_posture": "blocked"}
    assert (record.requester_id, record.reason) == ("sec-ops", "leaked a key")  # type: ignore[attr-defined]
    assert record.transition_type == "emergency_downgrade"  # type: ignore[attr-defined]
    assert record.success is True  # type: ignore[attr-defined]


def test_a_protective_downgrade_is_logged_at_warning(logged: pytest.LogCaptureFixture) -> None:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture("agent-1", F, requester_id="admin")
    logged.clear()
    machine.protective_downgrade("agent-1", H, reason="circuit opened", requester_id="breaker")
    (record,) = _records(logged)
    assert record.levelno == logging.WARNING
    assert "full_autonomy -> human_decides (downgrade, protective, version 2)" in (
        record.getMessage()
    )
    assert record.protective is True  # type: ignore[attr-defined]
    assert record.requester_id == "breaker"  # type: ignore[attr-defined]


def test_transitions_and_administrative_changes_are_logged_at_info(
    logged: pytest.LogCaptureFixture,
) -> None:
    machine = PostureStateMachine(clock=FakeClock())
    machine.transition(
        PostureTransitionRequest(
            agent_id="agent-1", from_posture=S, to_posture=A, requester_id="lead", reason="ok"
        )
    )
    machine.set_posture("agent-1", S, reason="rollback", requester_id="admin")
    upgrade, administrative = _records(logged)
    assert (upgrade.levelno, administrative.levelno) == (logging.INFO, logging.INFO)
    assert upgrade.getMessage() == (
        "posture of agent-1: supervised -> assisted (upgrade, version 1) by 'lead': 'ok'"
    )
    assert administrative.getMessage() == (
        "posture of agent-1: assisted -> supervised (downgrade, administrative, version 2) "
        "by 'admin': 'rollback'"
    )


def test_a_refusal_changes_nothing_and_is_logged_at_debug_only(
    logged: pytest.LogCaptureFixture,
) -> None:
    machine = PostureStateMachine(clock=FakeClock())
    machine.transition(PostureTransitionRequest(agent_id="agent-1", from_posture=S, to_posture=F))
    (record,) = _records(logged)
    assert record.levelno == logging.DEBUG
    assert record.getMessage().startswith(
        "posture of agent-1: supervised -> full_autonomy (upgrade) refused by "
        "upgrade_approval_required, asked by None: "
    )
    assert record.success is False  # type: ignore[attr-defined]


def test_nothing_is_logged_while_the_machine_holds_its_lock(
    logged: pytest.LogCaptureFixture,
) -> None:
    machine = PostureStateMachine(clock=FakeClock())
    lock_free: list[bool] = []

    class Probe(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            # A handler may call back into the machine: it must find the lock free.
            free = machine._lock.acquire(blocking=False)
            if free:
                machine._lock.release()
            lock_free.append(free)
            lock_free.append(machine.tracked_agents() >= 0)

    probe = Probe()
    logging.getLogger("trust.postures").addHandler(probe)
    try:
        machine.set_posture("agent-1", A, requester_id="admin")
        machine.emergency_downgrade("agent-1")
        machine.protective_downgrade("agent-1", B, reason="x")  # already there: no entry
        machine.transition(
            PostureTransitionRequest(agent_id="agent-1", from_posture=B, to_posture=F)
        )
    finally:
        logging.getLogger("trust.postures").removeHandler(probe)
    assert lock_free == [True] * 6


def test_a_hostile_reason_is_logged_as_an_exact_quoted_copy(
    logged: pytest.LogCaptureFixture,
) -> None:
    class Loud(str):
        __slots__ = ()

        def __repr__(self) -> str:
            raise RuntimeError("no")

        def __str__(self) -> str:
            raise RuntimeError("no")

    machine = PostureStateMachine(clock=FakeClock())
    result = machine.emergency_downgrade("agent-1", reason=Loud("line 1\nWARNING forged"))
    assert result.success
    assert machine.get_posture("agent-1") is B
    (record,) = _records(logged)
    message = record.getMessage()
    assert "\n" not in message
    assert message.endswith(": 'line 1\\nWARNING forged'")
    assert type(record.reason) is str  # type: ignore[attr-defined]


def test_a_raising_log_filter_never_undoes_or_hides_the_change(
    logged: pytest.LogCaptureFixture,
) -> None:
    def broken(record: logging.LogRecord) -> bool:
        raise RuntimeError("filter broke")

    log = logging.getLogger("trust.postures")
    log.addFilter(broken)
    machine = PostureStateMachine(clock=FakeClock())
    try:
        result = machine.emergency_downgrade("agent-1", reason="incident")
    finally:
        log.removeFilter(broken)
    assert result.success
    assert machine.get_posture("agent-1") is B
    assert machine.get_transition_history("agent-1") == [result]


def test_the_library_adds_only_a_null_handler() -> None:
    handlers = logging.getLogger("trust.postures").handlers
    assert [type(h) for h in handlers if not type(h).__module__.startswith("_pytest")] == [
        logging.NullHandler
    ]


def test_a_level_change_takes_effect_at_once(caplog: pytest.LogCaptureFixture) -> None:
    # The machine reads the logger's level answers without a call: a change of level
    # must reach it all the same.
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture("agent-1", A, requester_id="admin")
    caplog.set_level(logging.ERROR, logger="trust.postures")
    machine.emergency_downgrade("agent-1", reason="quiet")
    assert _records(caplog) == []
    caplog.set_level(logging.WARNING, logger="trust.postures")
    machine.emergency_downgrade("agent-1", reason="loud")
    assert [r.reason for r in _records(caplog)] == ["loud"]  # type: ignore[attr-defined]
    logging.disable(logging.CRITICAL)
    try:
        machine.emergency_downgrade("agent-1", reason="disabled")
    finally:
        logging.disable(logging.NOTSET)
    machine.emergency_downgrade("agent-1", reason="again")
    assert [r.reason for r in _records(caplog)] == ["loud", "again"]  # type: ignore[attr-defined]
