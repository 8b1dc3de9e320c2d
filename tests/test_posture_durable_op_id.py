"""An emergency's op_id names one change of one agent: reusing it for another is refused.

Before: an emergency downgrade of agent ``b`` with a key already applied to agent ``a``
returned success, ``to_posture`` BLOCKED and ``metadata["durable"] is True``, while the
store wrote nothing and ``b`` kept reading FULL_AUTONOMY (the store answered "already
applied" for the key, whoever it was for). A key pending here for another agent raised a
bare KeyError and lost that agent's pending emergency.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes import FakeClock
from trust.postures import PostureStateMachine, TrustPosture
from trust.store import HistoryEntry, StoreUnavailableError, open_store
from trust.store._sqlite import SqliteStore

FULL, BLOCKED = TrustPosture.FULL_AUTONOMY, TrustPosture.BLOCKED
AT = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


class Outage(SqliteStore):
    """A real SQLite store behind a network that can go down."""

    def __init__(self, path: str) -> None:
        self.down = False
        super().__init__(path)

    def _run(self, work, *, write):  # type: ignore[no-untyped-def]
        if self.down:
            raise StoreUnavailableError(f"cannot reach the store {self.url}: connection refused")
        return super()._run(work, write=write)


def machine_on(store: object) -> PostureStateMachine:
    return PostureStateMachine(
        store=store,  # type: ignore[arg-type]
        clock=FakeClock(),
        freshness=3600.0,
        auto_refresh=False,
        require_upgrade_approval=False,
    )


def emergency(agent: str, op_id: str) -> HistoryEntry:
    return HistoryEntry(
        agent_id=agent,
        from_posture=TrustPosture.SUPERVISED,
        to_posture=BLOCKED,
        kind="emergency_downgrade",
        at=AT,
        op_id=op_id,
    )


def test_the_store_refuses_a_key_applied_to_another_agent(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'trust.db'}") as store:
        assert store.emergency(emergency("a", "incident-7")).committed
        with pytest.raises(
            ValueError, match=r"op_id .*'incident-7' for agent 'b', already applied to agent 'a'"
        ):
            store.emergency(emergency("b", "incident-7"))
        assert store.read_posture("b") is None
        assert store.emergency(emergency("a", "incident-7")).committed  # a retry: fine


def test_an_emergency_with_a_key_used_for_another_agent_is_refused(tmp_path: Path) -> None:
    machine = machine_on(f"sqlite:///{tmp_path / 'trust.db'}")
    machine.set_posture("b", FULL)
    machine.emergency_downgrade("a", op_id="incident-7")
    with pytest.raises(ValueError, match="incident-7"):
        machine.emergency_downgrade("b", op_id="incident-7")
    # Nothing was said to be durable, and b reads what the store holds.
    assert machine.get_posture("b") is FULL
    assert machine.durable is not None
    assert machine.durable.store.read_posture("b").posture is FULL  # type: ignore[union-attr]
    assert machine.durable.refresh()
    assert machine.get_posture("b") is FULL
    assert machine.emergency_downgrade("b", op_id="incident-8").metadata["durable"] is True
    assert machine.get_posture("b") is BLOCKED
    machine.durable.close()


def test_a_key_pending_for_another_agent_is_refused_and_the_pending_one_lands(
    tmp_path: Path,
) -> None:
    store = Outage(str(tmp_path / "trust.db"))
    machine = machine_on(store)
    machine.set_posture("b", FULL)
    store.down = True
    assert machine.emergency_downgrade("a", op_id="incident-7").metadata["durable"] is False
    with pytest.raises(ValueError, match="incident-7"):
        machine.emergency_downgrade("b", op_id="incident-7")
    assert machine.get_posture("a") is BLOCKED
    store.down = False
    assert machine.durable is not None
    assert machine.durable.refresh()
    assert store.read_posture("a").posture is BLOCKED  # type: ignore[union-attr]
    assert [e.op_id for e in store.history("a")] == ["incident-7"]
    assert store.read_posture("b").posture is FULL  # type: ignore[union-attr]
    machine.durable.close()


def test_a_pending_key_taken_meanwhile_for_another_agent_is_logged_and_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Outage(str(tmp_path / "trust.db"))
    machine = machine_on(store)
    store.down = True
    assert machine.emergency_downgrade("a", op_id="incident-7").metadata["durable"] is False
    with open_store(f"sqlite:///{tmp_path / 'trust.db'}") as other:  # another process
        other.emergency(emergency("c", "incident-7"))
    store.down = False
    assert machine.durable is not None
    with caplog.at_level(logging.ERROR, logger="trust.store"):
        assert machine.durable.refresh()  # does not raise, does not retry it for ever
    assert "incident-7" in caplog.text
    assert "emergency downgrade of 'a' cannot be stored" in caplog.text
    assert machine.durable.refresh()
    assert [e.op_id for e in store.history("a")] == []
    machine.durable.close()
