"""PostureCircuitBreaker(store=...): circuit states kept in a real store, shared and durable.

SQLite files shared by real (spawned) processes, and a real PostgreSQL server through the
``postgres_url`` fixture. Refreshes are driven explicitly (``auto_refresh=False``) and
time comes from `FakeClock`s: nothing sleeps. A "restart" is a new machine and a new
breaker on the same store, with a clock whose monotonic origin differs (the stored
opened-at time is wall-clock, so it must not depend on it).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests import breaker_workers
from tests.breaker_workers import close, config, pair
from tests.test_posture_durable import Outage
from trust.circuit_breaker import CircuitState, PostureCircuitBreaker
from trust.postures import PostureStateMachine, TrustPosture
from trust.testing import FakeClock

SPAWN = multiprocessing.get_context("spawn")
_JOIN_TIMEOUT = 120  # seconds: a stuck child fails the test instead of hanging it
FULL, SUPERVISED, HUMAN, BLOCKED = (
    TrustPosture.FULL_AUTONOMY,
    TrustPosture.SUPERVISED,
    TrustPosture.HUMAN_DECIDES,
    TrustPosture.BLOCKED,
)
OPEN, HALF_OPEN, CLOSED = CircuitState.OPEN, CircuitState.HALF_OPEN, CircuitState.CLOSED


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


def trip(breaker: PostureCircuitBreaker, agent: str = "agent-1") -> None:
    breaker.record_failure_sync(agent, "Timeout", "upstream timed out")
    breaker.record_failure_sync(agent, "Timeout", "upstream timed out")


def restarted(clock: FakeClock, later: float = 0.0) -> FakeClock:
    """The clock of a process started ``later`` seconds after ``clock``'s present."""
    return FakeClock(clock.now() + timedelta(seconds=later), monotonic=5.0)


def run_children(target: object, argsets: list[tuple[object, ...]]) -> list[object]:
    out = SPAWN.Queue()
    children = [SPAWN.Process(target=target, args=(*args, out)) for args in argsets]
    for child in children:
        child.start()
    results = [out.get(timeout=_JOIN_TIMEOUT) for _ in children]
    for child in children:
        child.join(_JOIN_TIMEOUT)
        assert child.exitcode == 0
    return results


# -- which store -----------------------------------------------------------------------


def test_without_a_store_the_breaker_is_the_in_memory_one() -> None:
    breaker = PostureCircuitBreaker(PostureStateMachine())
    assert breaker.store is None
    assert breaker.refresh() is True


def test_store_none_means_the_machines_store(tmp_path: Path, clock: FakeClock) -> None:
    machine, breaker = pair(f"sqlite:///{tmp_path / 'trust.db'}", clock)
    assert machine.durable is not None
    assert breaker.store is machine.durable.store
    close(machine, breaker)


def test_another_store_than_the_machines_is_refused_with_the_value(
    tmp_path: Path, clock: FakeClock
) -> None:
    machine, breaker = pair(f"sqlite:///{tmp_path / 'trust.db'}", clock)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    with pytest.raises(
        ValueError,
        match=r"store must be the posture machine's store .*trust\.db\), got 'sqlite:///",
    ):
        PostureCircuitBreaker(machine, config(), store=other)
    with pytest.raises(ValueError, match=r"the machine has no store.*got 'sqlite"):
        PostureCircuitBreaker(PostureStateMachine(), config(), store=other)
    close(machine, breaker)


# -- a trip is stored, with its downgrade, in one transaction ----------------------------


def test_a_trip_stores_the_open_row_with_the_displaced_posture(url: str, clock: FakeClock) -> None:
    machine, breaker = pair(url, clock)
    assert machine.set_posture("agent-1", FULL).success
    trip(breaker)
    assert machine.durable is not None
    row = machine.durable.store.read_breaker("agent-1")
    assert row is not None
    assert (row.state, row.generation) == ("open", 1)
    assert row.opened_at == clock.now().timestamp()
    assert (row.displaced_posture, row.displaced_version) == (FULL, 2)
    history = machine.durable.stored_history("agent-1")
    assert [(e.to_posture, e.version, e.requester_id) for e in history][-1] == (
        HUMAN,
        2,
        "circuit_breaker",
    )
    close(machine, breaker)


def test_restart_keeps_the_circuit_open_and_the_posture_held_down(
    url: str, clock: FakeClock
) -> None:
    machine, breaker = pair(url, clock)
    assert machine.set_posture("agent-1", FULL).success
    trip(breaker)
    close(machine, breaker)

    later = restarted(clock, 10)
    machine, breaker = pair(url, later)
    assert breaker.get_state("agent-1") is OPEN
    assert machine.get_posture("agent-1") is HUMAN
    assert not breaker.admit_sync("agent-1").allowed
    later.advance(20)  # 30 s after the trip: half-open, in the restarted process too
    assert breaker.get_state("agent-1") is HALF_OPEN
    close(machine, breaker)


def test_a_probe_after_a_restart_restores_the_displaced_posture_once(
    url: str, clock: FakeClock
) -> None:
    machine, breaker = pair(url, clock)
    assert machine.set_posture("agent-1", FULL).success
    trip(breaker)
    close(machine, breaker)

    later = restarted(clock, 31)
    machine, breaker = pair(url, later)
    probe = breaker.admit_sync("agent-1")
    assert probe.allowed
    assert probe.probe
    breaker.record_success_sync("agent-1", probe)
    assert breaker.get_state("agent-1") is CLOSED
    assert machine.get_posture("agent-1") is FULL
    assert machine.durable is not None
    row = machine.durable.store.read_breaker("agent-1")
    assert row is not None
    assert (row.state, row.displaced_posture) == ("closed", None)
    close(machine, breaker)

    # Another restart finds it closed and restores nothing more.
    machine, breaker = pair(url, restarted(later))
    assert breaker.get_state("agent-1") is CLOSED
    assert machine.durable is not None
    restores = [e for e in machine.durable.stored_history("agent-1") if e.to_posture is FULL]
    assert len(restores) == 2  # the administrative change, and the one restore
    close(machine, breaker)


def test_no_restore_when_the_posture_changed_while_open(url: str, clock: FakeClock) -> None:
    machine, breaker = pair(url, clock)
    assert machine.set_posture("agent-1", FULL).success
    trip(breaker)
    close(machine, breaker)

    later = restarted(clock, 31)
    operator, _ = pair(url, later)
    assert operator.set_posture("agent-1", SUPERVISED, reason="reviewed").success
    machine, breaker = pair(url, later)
    probe = breaker.admit_sync("agent-1")
    breaker.record_success_sync("agent-1", probe)
    assert breaker.get_state("agent-1") is CLOSED
    assert machine.get_posture("agent-1") is SUPERVISED  # not the displaced FULL_AUTONOMY
    close(machine, breaker)
    assert operator.durable is not None
    operator.durable.close()


# -- several processes -------------------------------------------------------------------


def test_a_second_breaker_adopts_the_stored_trip_instead_of_tripping_again(
    url: str, clock: FakeClock
) -> None:
    mine, my_breaker = pair(url, clock)
    theirs, their_breaker = pair(url, clock)
    assert mine.set_posture("agent-1", FULL).success
    assert theirs.durable is not None
    assert theirs.durable.refresh()
    their_breaker.record_failure_sync("agent-1", "Timeout", "t")  # one failure: closed
    trip(my_breaker)
    their_breaker.record_failure_sync("agent-1", "Timeout", "t")  # their own trip, second
    assert their_breaker.get_state("agent-1") is OPEN
    assert theirs.durable.store.read_breaker("agent-1").generation == 1  # type: ignore[union-attr]
    downgrades = [e for e in theirs.durable.stored_history("agent-1") if e.kind == "downgrade"]
    assert len(downgrades) == 1  # one trip, one downgrade, fleet-wide
    # And the adopted hold restores the displaced posture, once.
    clock.advance(31)
    theirs.durable.refresh()
    probe = their_breaker.admit_sync("agent-1")
    their_breaker.record_success_sync("agent-1", probe)
    assert theirs.get_posture("agent-1") is FULL
    close(mine, my_breaker)
    close(theirs, their_breaker)


def test_another_process_sees_the_trip_after_a_refresh(tmp_path: Path, clock: FakeClock) -> None:
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    machine, breaker = pair(url, clock)
    assert machine.set_posture("agent-1", FULL).success
    assert breaker.admit_sync("agent-1").allowed
    wall = clock.now().timestamp()
    [(state, posture)] = run_children(breaker_workers.trip, [(url, "agent-1", wall)])
    assert (state, posture) == ("open", "human_decides")
    assert breaker.get_state("agent-1") is CLOSED  # nothing read yet
    assert machine.durable is not None
    assert machine.durable.refresh()
    assert breaker.refresh()
    assert breaker.get_state("agent-1") is OPEN
    assert not breaker.admit_sync("agent-1").allowed
    close(machine, breaker)


def test_a_restart_in_another_process_reads_the_circuit_open(
    tmp_path: Path, clock: FakeClock
) -> None:
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    machine, breaker = pair(url, clock)
    assert machine.set_posture("agent-1", FULL).success
    trip(breaker)
    close(machine, breaker)
    wall = clock.now().timestamp()
    [seen] = run_children(breaker_workers.state, [(url, "agent-1", wall + 5)])
    assert seen == ("open", "human_decides")
    [seen] = run_children(breaker_workers.state, [(url, "agent-1", wall + 31)])
    assert seen == ("half_open", "human_decides")


@pytest.mark.parametrize("max_calls", [1, 2])
def test_half_open_probes_are_bounded_across_processes(
    tmp_path: Path, clock: FakeClock, max_calls: int
) -> None:
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    machine, breaker = pair(url, clock, max_calls)
    assert machine.set_posture("agent-1", FULL).success
    trip(breaker)
    close(machine, breaker)
    processes = 5
    barrier = SPAWN.Barrier(processes)
    wall = clock.now().timestamp() + 31
    results = run_children(
        breaker_workers.probe, [(url, "agent-1", wall, max_calls, barrier)] * processes
    )
    admitted = [r for r in results if r[0]]  # type: ignore[index]
    assert len(admitted) == max_calls
    refused = [r[2] for r in results if not r[0]]  # type: ignore[index]
    assert all("across the fleet" in why for why in refused)  # type: ignore[operator]


def test_half_open_probes_are_bounded_on_postgresql(postgres_url: str, clock: FakeClock) -> None:
    machine, breaker = pair(postgres_url, clock)
    assert machine.set_posture("agent-1", FULL).success
    trip(breaker)
    close(machine, breaker)
    later = restarted(clock, 31)
    workers = [pair(postgres_url, later) for _ in range(3)]
    admitted = [b.admit_sync("agent-1").allowed for _, b in workers]
    assert admitted.count(True) == 1
    for m, b in workers:
        close(m, b)


# -- the store is down -------------------------------------------------------------------


def test_a_trip_while_the_store_is_down_still_lowers_the_posture(
    outage: Outage, clock: FakeClock
) -> None:
    machine, breaker = pair(outage, clock)
    assert machine.set_posture("agent-1", FULL).success
    outage.down = True
    trip(breaker)
    assert breaker.get_state("agent-1") is OPEN
    assert machine.get_posture("agent-1") is BLOCKED  # an emergency: no compare-and-set
    outage.down = False
    assert machine.durable is not None
    assert machine.durable.refresh()
    assert breaker.refresh()  # and the row
    row = outage.read_breaker("agent-1")
    assert row is not None
    assert row.state == "open"
    assert row.displaced_posture is None
    # The breaker never restores an emergency: an operator lifts it.
    clock.advance(31)
    machine.durable.refresh()
    probe = breaker.admit_sync("agent-1")
    breaker.record_success_sync("agent-1", probe)
    assert breaker.get_state("agent-1") is CLOSED
    assert machine.get_posture("agent-1") is BLOCKED
    close(machine, breaker)


def test_a_probe_is_refused_while_the_store_is_down(outage: Outage, clock: FakeClock) -> None:
    machine, breaker = pair(outage, clock)
    assert machine.set_posture("agent-1", FULL).success
    trip(breaker)
    clock.advance(31)
    outage.down = True
    admission = breaker.admit_sync("agent-1")
    assert not admission.allowed
    assert "no probe lease" in admission.reason
    assert outage.url in admission.reason
    close(machine, breaker)


def test_a_restore_is_refused_while_the_store_is_down(outage: Outage, clock: FakeClock) -> None:
    machine, breaker = pair(outage, clock)
    assert machine.set_posture("agent-1", FULL).success
    trip(breaker)
    clock.advance(31)
    assert machine.durable is not None
    assert machine.durable.refresh()
    probe = breaker.admit_sync("agent-1")
    assert probe.allowed
    outage.down = True
    breaker.record_success_sync("agent-1", probe)
    refused = machine.get_transition_history("agent-1")[-1]
    assert not refused.success
    assert "cannot be reached" in refused.reason
    outage.down = False
    assert machine.durable.refresh()
    assert machine.get_posture("agent-1") is HUMAN  # still held down
    row = outage.read_breaker("agent-1")
    assert row is not None
    assert row.state == "open"
    close(machine, breaker)


def test_restart_keeps_open_a_circuit_whose_trip_lowered_nothing(
    url: str, clock: FakeClock
) -> None:
    machine, breaker = pair(url, clock)
    assert machine.set_posture("agent-1", BLOCKED).success  # nothing left to lower
    trip(breaker)
    assert machine.durable is not None
    assert [row.key for row in machine.durable.store.open_breakers()] == ["agent-1"]
    close(machine, breaker)

    machine, breaker = pair(url, restarted(clock, 10))
    assert breaker.get_state("agent-1") is OPEN
    close(machine, breaker)


def test_a_close_while_the_store_is_down_is_stored_once_it_answers(
    outage: Outage, clock: FakeClock
) -> None:
    machine, breaker = pair(outage, clock)
    trip(breaker)
    clock.advance(31)
    probe = breaker.admit_sync("agent-1")
    outage.down = True
    breaker.record_success_sync("agent-1", probe)
    assert breaker.get_state("agent-1") is CLOSED
    clock.advance(600)  # long enough for an idle record to be forgotten
    outage.down = False
    assert breaker.refresh()
    assert breaker.get_state("agent-1") is CLOSED  # not reopened by the row it replaced
    row = outage.read_breaker("agent-1")
    assert row is not None
    assert row.state == "closed"
    close(machine, breaker)


def test_a_reopening_stores_the_hold_the_coupling_keeps(url: str, clock: FakeClock) -> None:
    """Raised by an operator while half-open, then reopened: the coupling holds nothing,
    so neither does the row (a restart must not restore the operator's raise)."""
    machine, breaker = pair(url, clock)
    assert machine.set_posture("agent-1", FULL).success
    trip(breaker)
    clock.advance(31)
    assert machine.durable is not None
    assert machine.durable.refresh()
    assert breaker.get_state("agent-1") is HALF_OPEN
    assert machine.set_posture("agent-1", FULL, reason="operator").success
    breaker.record_failure_sync("agent-1", "Timeout", "the probe failed")
    row = machine.durable.store.read_breaker("agent-1")
    assert row is not None
    assert (row.state, row.generation, row.displaced_posture) == ("open", 2, None)
    assert "original_posture" not in breaker.get_metrics("agent-1")
    close(machine, breaker)
