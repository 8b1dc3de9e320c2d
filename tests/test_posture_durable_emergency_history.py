"""An emergency downgrade's stored history entry starts where the agent really was.

A decision reads BLOCKED when the cache is stale or the agent is held BLOCKED by an
emergency not yet durable: that is the fail-closed read, not the agent's posture. The
history entry an emergency stores must start from the posture the store holds (the
machine's default for an agent never written), or the history no longer explains the
posture (found by tests/test_posture_durable_stateful.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.fakes import FakeClock
from trust.postures import PostureStateMachine, TrustPosture
from trust.store import StoreUnavailableError
from trust.store._sqlite import SqliteStore

DELTA = 1.0
ASSISTED, BLOCKED = TrustPosture.ASSISTED, TrustPosture.BLOCKED


class Outage(SqliteStore):
    """A real SQLite store behind a network that can go down."""

    def __init__(self, path: str) -> None:
        self.down = False
        super().__init__(path)

    def _run(self, work, *, write):  # type: ignore[no-untyped-def]
        if self.down:
            raise StoreUnavailableError(f"cannot reach the store {self.url}: connection refused")
        return super()._run(work, write=write)


def machine_on(store: Outage, clock: FakeClock) -> PostureStateMachine:
    return PostureStateMachine(
        default_posture=ASSISTED, store=store, clock=clock, freshness=DELTA, auto_refresh=False
    )


def test_an_emergency_read_stale_stores_the_default_it_left(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Outage(str(tmp_path / "trust.db"))
    machine = machine_on(store, clock)
    clock.advance(2 * DELTA)  # nobody refreshed: decisions read BLOCKED
    assert machine.get_posture("agent-1") is BLOCKED
    machine.emergency_downgrade("agent-1", op_id="incident-1")
    [entry] = store.history("agent-1")
    assert (entry.from_posture, entry.to_posture) == (ASSISTED, BLOCKED)
    store.close()


def test_an_emergency_behind_a_pending_one_stores_the_posture_it_left(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Outage(str(tmp_path / "trust.db"))
    machine = machine_on(store, clock)
    store.down = True
    held = machine.emergency_downgrade("agent-1", op_id="while-down")
    assert held.metadata["durable"] is False
    store.down = False
    machine.emergency_downgrade("agent-1", op_id="after")  # written before the pending one
    assert machine.durable is not None
    assert machine.durable.refresh()  # and now the pending one lands
    stored = [(e.op_id, e.from_posture, e.to_posture) for e in store.history("agent-1")]
    assert stored == [("after", ASSISTED, BLOCKED), ("while-down", BLOCKED, BLOCKED)]
    store.close()


def test_a_store_restored_from_a_backup_forgets_the_stored_postures_it_lost(
    tmp_path: Path,
) -> None:
    # The restored store holds no row for agent-2: an emergency of it moves it from the
    # default, not from the posture the store held before the restore.
    path = tmp_path / "trust.db"
    clock = FakeClock()
    store = Outage(str(path))
    machine = machine_on(store, clock)
    machine.set_posture("agent-1", TrustPosture.SUPERVISED)
    with sqlite3.connect(path) as live, sqlite3.connect(tmp_path / "backup.db") as copy:
        live.backup(copy)
    for _ in range(3):
        machine.set_posture("agent-1", TrustPosture.FULL_AUTONOMY)
    machine.set_posture("agent-2", TrustPosture.FULL_AUTONOMY)
    assert machine.durable is not None
    assert machine.durable.refresh()
    with sqlite3.connect(tmp_path / "backup.db") as copy, sqlite3.connect(path) as live:
        copy.backup(live)  # the operator restores last night's backup
    assert machine.durable.refresh()  # the store went back: read whole again
    machine.emergency_downgrade("agent-2", op_id="after-restore")
    [entry] = store.history("agent-2")
    assert (entry.from_posture, entry.to_posture) == (ASSISTED, BLOCKED)
    store.close()
