"""PostureStateMachine(store=...): postures kept in a real store, shared and durable.

SQLite files shared by real (spawned) processes, and a real PostgreSQL server through
the ``postgres_url`` fixture. Refreshes are driven explicitly (``auto_refresh=False``)
and time comes from a `FakeClock`: nothing sleeps.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import posture_workers
from tests.fakes import FakeClock
from trust.postures import (
    PostureStateMachine,
    PostureTransitionRequest,
    TransitionGuard,
    TrustPosture,
)
from trust.postures._durable import Durable
from trust.store import PostureRow, StoreUnavailableError, TrustStore, open_store
from trust.store._sql import SqlStore

SPAWN = multiprocessing.get_context("spawn")
_JOIN_TIMEOUT = 120  # seconds: a stuck child fails the test instead of hanging it
DELTA = 1.0
SUPERVISED, ASSISTED, BLOCKED = TrustPosture.SUPERVISED, TrustPosture.ASSISTED, TrustPosture.BLOCKED


class Outage(SqlStore):
    """A real store (SQLite file or PostgreSQL) that can be made unreachable, as a network."""

    def __init__(self, url: str) -> None:
        inner = open_store(url)
        assert isinstance(inner, SqlStore)
        self.__dict__.update(inner.__dict__)
        self.down = False

    def _run(self, work, *, write):  # type: ignore[no-untyped-def]
        if self.down:
            raise StoreUnavailableError(f"cannot reach the store {self.url}: connection refused")
        return super()._run(work, write=write)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trust.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outage(url: str) -> Iterator[Outage]:
    store = Outage(url)
    yield store
    store.close()


def machine_on(store: TrustStore | str, clock: FakeClock) -> PostureStateMachine:
    return PostureStateMachine(
        store=store,
        clock=clock,
        freshness=DELTA,
        auto_refresh=False,
        require_upgrade_approval=False,
    )


def durable(machine: PostureStateMachine) -> Durable:
    assert machine.durable is not None
    return machine.durable


def upgrade(
    agent: str, from_posture: TrustPosture, to_posture: TrustPosture
) -> PostureTransitionRequest:
    return PostureTransitionRequest(
        agent_id=agent,
        from_posture=from_posture,
        to_posture=to_posture,
        reason="earned it",
        requester_id="operator",
    )


def in_child(target: object, *args: object) -> object:
    out = SPAWN.Queue()
    child = SPAWN.Process(target=target, args=(*args, out))
    child.start()
    result = out.get(timeout=_JOIN_TIMEOUT)
    child.join(_JOIN_TIMEOUT)
    assert child.exitcode == 0
    return result


# -- without a store: exactly as before -------------------------------------------------


def test_without_a_store_the_machine_is_the_in_memory_one() -> None:
    machine = PostureStateMachine()
    assert machine.durable is None
    assert "get_posture" not in vars(machine)  # the class's own plain lookup


def test_freshness_without_a_store_is_refused_with_the_value() -> None:
    with pytest.raises(TypeError, match=r"freshness and auto_refresh need store=, got freshness=2"):
        PostureStateMachine(freshness=2)


def test_a_store_url_makes_a_store_backed_machine(tmp_path: Path, clock: FakeClock) -> None:
    machine = machine_on(f"sqlite:///{tmp_path / 'trust.db'}", clock)
    assert machine.durable is not None
    assert durable(machine).store.url.endswith("trust.db")
    assert machine.get_posture("agent-1") is SUPERVISED
    durable(machine).close()


# -- the headline bug: a restart keeps an emergency-downgraded agent BLOCKED -------------


def test_restart_keeps_an_emergency_downgraded_agent_blocked(url: str, clock: FakeClock) -> None:
    machine = machine_on(url, clock)
    assert machine.set_posture("agent-1", ASSISTED).success
    result = machine.emergency_downgrade("agent-1", reason="leaked a key")
    assert result.metadata["durable"] is True
    durable(machine).close()

    restarted = machine_on(url, clock)  # a new machine on the same store: a restart
    assert restarted.get_posture("agent-1") is BLOCKED
    assert restarted.version("agent-1") == result.version
    assert [e.kind for e in durable(restarted).stored_history("agent-1")] == [
        "upgrade",
        "emergency_downgrade",
    ]
    durable(restarted).close()


def test_restart_in_another_process_reads_blocked(tmp_path: Path, clock: FakeClock) -> None:
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    machine = machine_on(url, clock)
    machine.emergency_downgrade("agent-1")
    durable(machine).close()
    assert in_child(posture_workers.read, url, "agent-1") == "blocked"


# -- shared between processes ------------------------------------------------------------


def test_an_emergency_in_another_process_is_seen_after_a_refresh(
    url: str, clock: FakeClock
) -> None:
    machine = machine_on(url, clock)
    assert machine.set_posture("agent-1", ASSISTED).success
    posture, is_durable, _ = in_child(posture_workers.emergency, url, "agent-1")  # type: ignore[misc]
    assert (posture, is_durable) == ("blocked", True)
    assert machine.get_posture("agent-1") is ASSISTED  # cached: at most Δ old
    assert durable(machine).refresh()
    assert machine.get_posture("agent-1") is BLOCKED
    durable(machine).close()


def test_a_transition_is_compare_and_set_against_other_processes(
    url: str, clock: FakeClock
) -> None:
    mine, theirs = machine_on(url, clock), machine_on(url, clock)
    moved = threading.Event()

    def meanwhile(_: PostureTransitionRequest) -> bool:
        # Another machine (as another process would) changes the posture while this
        # transition's guards run: its commit must then be refused, not overwrite it.
        theirs.emergency_downgrade("agent-1")
        moved.set()
        return True

    mine.add_guard(TransitionGuard(name="meanwhile", check_fn=meanwhile))
    result = mine.transition(upgrade("agent-1", SUPERVISED, ASSISTED))
    assert moved.is_set()
    assert not result.success
    assert "changed" in result.reason
    durable(theirs).close()
    assert durable(mine).refresh()
    assert mine.get_posture("agent-1") is BLOCKED
    assert [e.kind for e in durable(mine).stored_history("agent-1")] == ["emergency_downgrade"]
    durable(mine).close()


def test_a_stale_expected_version_is_refused(url: str, clock: FakeClock) -> None:
    machine = machine_on(url, clock)
    seen = machine.version("agent-1")
    machine.set_posture("agent-1", ASSISTED)
    result = machine.transition(
        upgrade("agent-1", ASSISTED, TrustPosture.FULL_AUTONOMY), expected_version=seen
    )
    assert not result.success
    assert f"since version {seen}" in result.reason
    assert machine.get_posture("agent-1") is ASSISTED
    durable(machine).close()


# -- the store down ----------------------------------------------------------------------


def test_an_upgrade_is_refused_while_the_store_is_down(outage: Outage, clock: FakeClock) -> None:
    machine = machine_on(outage, clock)
    outage.down = True
    result = machine.transition(upgrade("agent-1", SUPERVISED, ASSISTED))
    assert not result.success
    assert "the trust store cannot be reached" in result.reason
    assert "connection refused" in result.reason
    administrative = machine.set_posture("agent-1", ASSISTED)
    assert not administrative.success
    assert "posture changes need it" in administrative.reason
    outage.down = False
    assert outage.read_posture("agent-1") is None  # nothing was written


def test_an_emergency_while_the_store_is_down_blocks_here_and_is_retried(
    outage: Outage, clock: FakeClock
) -> None:
    machine = machine_on(outage, clock)
    machine.set_posture("agent-1", ASSISTED)
    outage.down = True
    result = machine.emergency_downgrade("agent-1", reason="incident")
    assert result.metadata["durable"] is False
    assert "not yet durable" in result.metadata["durability"]
    assert machine.get_posture("agent-1") is BLOCKED  # at once, here
    assert not durable(machine).refresh()  # still down: still retried, still BLOCKED
    assert machine.get_posture("agent-1") is BLOCKED
    outage.down = False
    assert durable(machine).refresh()  # the retry lands
    row = outage.read_posture("agent-1")
    assert row is not None
    assert row.posture is BLOCKED
    assert [e.op_id for e in outage.history("agent-1")][-1] == result.metadata["op_id"]
    durable(machine).close()


def test_reads_are_blocked_once_the_store_is_down_past_delta(
    outage: Outage, clock: FakeClock
) -> None:
    machine = machine_on(outage, clock)
    machine.set_posture("agent-1", ASSISTED)
    assert durable(machine).refresh()
    outage.down = True
    clock.advance(DELTA / 2)
    assert not durable(machine).refresh()
    assert machine.get_posture("agent-1") is ASSISTED  # within Δ of the last refresh
    clock.advance(DELTA)
    assert machine.get_posture("agent-1") is BLOCKED
    status = durable(machine).posture_status("agent-1")
    assert not status.fresh
    assert "connection refused" in status.reason
    outage.down = False
    assert durable(machine).refresh()
    assert machine.get_posture("agent-1") is ASSISTED
    durable(machine).close()


def test_an_emergency_retried_with_its_op_id_is_applied_once(url: str, clock: FakeClock) -> None:
    machine = machine_on(url, clock)
    first = machine.emergency_downgrade("agent-1", op_id="incident-7")
    again = machine.emergency_downgrade("agent-1", op_id="incident-7")
    assert first.metadata["durable"] is again.metadata["durable"] is True
    assert [e.op_id for e in durable(machine).stored_history("agent-1")] == ["incident-7"]
    durable(machine).close()


def test_rows_are_the_stores(url: str, clock: FakeClock) -> None:
    machine = machine_on(url, clock)
    machine.set_posture("agent-1", ASSISTED)
    row = durable(machine).store.read_posture("agent-1")
    assert isinstance(row, PostureRow)
    assert (row.posture, row.version) == (ASSISTED, machine.version("agent-1"))
    durable(machine).close()


def test_a_malformed_agent_id_is_refused_with_the_value(tmp_path: Path, clock: FakeClock) -> None:
    machine = machine_on(f"sqlite:///{tmp_path / 'trust.db'}", clock)
    with pytest.raises(ValueError, match="agent_id"):
        machine.get_posture("")
    durable(machine).close()
