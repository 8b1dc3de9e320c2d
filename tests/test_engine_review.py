"""Adversarial review of the issue-17 engine: the defects it found, each pinned by a test.

Real stores only: SQLite files and the real PostgreSQL server (``postgres_url``); a store
"down" is `tests.test_posture_durable.Outage`, a real store that refuses every call.
Refreshes are driven explicitly and time comes from `FakeClock`s: nothing sleeps.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.breaker_workers import close, pair
from tests.hostile import LyingStr
from tests.test_posture_durable import Outage
from trust.audit import AuditEntry, AuditLog, AuditOutcome
from trust.circuit_breaker import CircuitState, PostureCircuitBreaker
from trust.postures import PostureStateMachine, TrustPosture
from trust.store import PostureCache
from trust.testing import FakeClock

BLOCKED, FULL = TrustPosture.BLOCKED, TrustPosture.FULL_AUTONOMY


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trust.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def outage(url: str) -> Iterator[Outage]:
    store = Outage(url)
    yield store
    store.close()


def machine_on(store: Outage, clock: FakeClock) -> PostureStateMachine:
    return PostureStateMachine(
        store=store, clock=clock, auto_refresh=False, require_upgrade_approval=False
    )


# -- a release ends a hold, never an emergency not yet durable ---------------------------


def test_a_stray_release_does_not_lift_an_emergency_not_yet_durable(outage: Outage) -> None:
    # `hold` and `release` counted in the same tally as the emergencies not yet durable:
    # one release too many (a caller's, or a bug's) unpinned the emergency, and the agent
    # read its old posture again while the emergency was still only held here.
    machine = machine_on(outage, FakeClock())
    durable = machine.durable
    assert durable is not None
    assert machine.set_posture("a", FULL).success
    outage.down = True
    assert machine.emergency_downgrade("a", "stop it").metadata["durable"] is False
    with pytest.raises(ValueError, match=r"agent_id must be held here to be released, got 'a'"):
        durable.release("a")
    assert machine.get_posture("a") is BLOCKED
    outage.down = False
    assert durable.refresh()
    assert machine.get_posture("a") is BLOCKED
    assert outage.read_posture("a").posture is BLOCKED  # type: ignore[union-attr]
    durable.close()


def test_a_hold_released_while_an_emergency_is_pending_keeps_the_agent_blocked(
    outage: Outage,
) -> None:
    machine = machine_on(outage, FakeClock())
    durable = machine.durable
    assert durable is not None
    assert machine.set_posture("a", FULL).success
    durable.hold("a")
    outage.down = True
    assert machine.emergency_downgrade("a", "stop it").metadata["durable"] is False
    durable.release("a")  # the hold's own release: the emergency still holds it
    assert machine.get_posture("a") is BLOCKED
    outage.down = False
    assert durable.refresh()
    assert machine.get_posture("a") is BLOCKED
    durable.close()


def test_releasing_an_agent_never_held_is_a_value_error_naming_it(tmp_path: Path) -> None:
    # It was a bare KeyError from the cache's tally.
    store = _store(tmp_path)
    cache = PostureCache(store)
    with pytest.raises(ValueError, match=r"must be held here to be released, got 'never'"):
        cache.release("never")
    cache.hold("once")
    cache.release("once")
    with pytest.raises(ValueError, match=r"got 'once'"):
        cache.release("once")
    store.close()


def test_hold_refuses_an_id_that_is_not_an_exact_str(tmp_path: Path) -> None:
    # A str subclass was kept as the key: one that hashes unlike its text held nothing
    # (the agent read its posture), and one whose __hash__ raises escaped as itself.
    store = _store(tmp_path)
    cache = PostureCache(store)
    with pytest.raises(TypeError, match="agent_id must be a str, not a subclass"):
        cache.hold(LyingStr("a"))
    with pytest.raises(TypeError, match="agent_id must be a str, not a subclass"):
        cache.release(LyingStr("a"))
    with pytest.raises(ValueError, match="agent_id"):
        cache.hold(" a")
    assert not cache.pinned("a")
    store.close()


def _store(tmp_path: Path) -> Outage:
    return Outage(f"sqlite:///{tmp_path / 'trust.db'}")


# -- the audit log's new surfaces check what they are given ------------------------------


def _audited(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "agent_id": "a",
        "posture": TrustPosture.SUPERVISED,
        "action": "run",
        "kwargs": {},
        "outcome": AuditOutcome.EXECUTED,
        "duration_ms": 1.0,
    }
    return {**fields, **changes}


MALFORMED = [
    (_audited(posture=object()), TypeError, r"posture must be a TrustPosture, got <object"),
    (_audited(posture="sideways"), ValueError, r"posture"),
    (_audited(outcome=None), TypeError, r"outcome must be an AuditOutcome, got None"),
    (_audited(outcome="won"), ValueError, r"outcome must be one of executed, .*got 'won'"),
    (_audited(run_id="x"), TypeError, r"run_id must be a non-negative integer, got 'x'"),
    (_audited(run_id=True), TypeError, r"run_id must be a non-negative integer, got True"),
]


@pytest.mark.parametrize(("fields", "error", "message"), MALFORMED)
def test_submit_refuses_a_malformed_field_naming_it_and_queues_nothing(
    url: str, fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    # It queued the entry, whose write then failed on the writer thread with an
    # AttributeError ('str' object has no attribute 'value'), or chained a run_id of any
    # type into the store.
    log = AuditLog(store=url)
    with pytest.raises(error, match=message):
        log.submit(**fields)
    assert log.submit(**_audited()).result(timeout=60).sequence == 0  # nothing before it
    assert log.verify().valid
    assert log.store is not None
    log.store.close()


@pytest.mark.parametrize(("fields", "error", "message"), MALFORMED)
def test_arecord_refuses_a_malformed_field_naming_it(
    tmp_path: Path, fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    log = AuditLog(store=f"sqlite:///{tmp_path / 'audit.db'}")

    async def main() -> AuditEntry:
        with pytest.raises(error, match=message):
            await log.arecord(**fields)
        return await log.arecord(**_audited(outcome="executed"))

    assert asyncio.run(main()).outcome is AuditOutcome.EXECUTED
    assert len(log.entries()) == 1
    assert log.store is not None
    log.store.close()


@pytest.mark.parametrize(("fields", "error", "message"), MALFORMED)
def test_record_in_memory_refuses_a_malformed_field_naming_it(
    fields: dict[str, Any], error: type[Exception], message: str
) -> None:
    log = AuditLog()
    with pytest.raises(error, match=message):
        log.record(**fields)
    assert log.verify().entries == 0


# -- a breaker step never raises for a store that blips while it adopts a trip -----------


class Blip(Outage):
    """A real store whose network fails for exactly one call, ``after`` calls from now."""

    after: int | None = None

    def _run(self, work, *, write):  # type: ignore[no-untyped-def]
        if self.after is not None:
            if self.after == 0:
                self.after, self.down = None, True
                try:
                    return super()._run(work, write=write)
                finally:
                    self.down = False
            self.after -= 1
        return super()._run(work, write=write)


def test_a_trip_that_adopts_another_process_trip_survives_a_store_blip(url: str) -> None:
    # The trip read the stored OPEN row (another process's), then adopting it read the
    # posture; a blip there raised StoreUnavailableError out of record_failure_sync, in
    # the middle of the breaker's step.
    first, first_breaker = pair(url, FakeClock())
    blip = Blip(url)
    second, second_breaker = pair(blip, FakeClock())
    assert first.set_posture("a", FULL).success
    first_breaker.record_failure_sync("a", "Timeout", "upstream timed out")
    first_breaker.record_failure_sync("a", "Timeout", "upstream timed out")
    assert second.durable is not None
    assert second.durable.refresh()
    second_breaker.record_failure_sync("a", "Timeout", "upstream timed out")
    blip.after = 1  # the trip's read of the row answers; the adoption's read fails
    second_breaker.record_failure_sync("a", "Timeout", "upstream timed out")
    assert second_breaker.get_state("a") is CircuitState.OPEN
    assert not second_breaker.can_proceed_sync("a")
    row = blip.read_breaker("a")
    assert row is not None
    assert (row.state, row.generation) == ("open", 1)  # one trip, the first process's
    assert second.get_posture("a") is not FULL
    close(first, first_breaker)
    close(second, second_breaker)


def test_a_closed_circuit_is_not_vouched_for_once_the_store_has_been_down_for_delta(
    url: str,
) -> None:
    # Another process trips the agent while this one cannot reach the store: past Δ this
    # breaker used to go on admitting calls on the circuit it still read closed.
    clock = FakeClock()
    first, first_breaker = pair(url, clock)
    cut = Outage(url)
    second, second_breaker = pair(cut, clock)
    assert first.set_posture("a", FULL).success
    assert second_breaker.can_proceed_sync("a")
    cut.down = True
    first_breaker.record_failure_sync("a", "Timeout", "upstream timed out")
    first_breaker.record_failure_sync("a", "Timeout", "upstream timed out")
    assert not second_breaker.refresh()
    assert second_breaker.can_proceed_sync("a")  # within Δ of the last refresh: as read
    clock.advance(2)  # past Δ (1 s) with no refresh that succeeded
    admission = second_breaker.admit_sync("a")
    assert not admission.allowed
    assert "circuit state unknown" in admission.reason
    assert "connection refused" in admission.reason
    assert not second_breaker.can_proceed_sync("a")
    assert not asyncio.run(second_breaker.can_proceed("a"))
    cut.down = False
    assert second_breaker.refresh()  # the store answers: the trip is read, not forgotten
    assert second_breaker.get_state("a") is CircuitState.OPEN
    assert not second_breaker.can_proceed_sync("a")
    assert second_breaker.can_proceed_sync("b")  # and other agents admit again
    close(first, first_breaker)
    close(second, second_breaker)


def test_a_breaker_started_while_the_store_is_down_admits_nothing_it_has_not_read(
    url: str,
) -> None:
    clock = FakeClock()
    first, first_breaker = pair(url, clock)
    assert first.set_posture("a", FULL).success
    first_breaker.record_failure_sync("a", "Timeout", "upstream timed out")
    first_breaker.record_failure_sync("a", "Timeout", "upstream timed out")
    cut = Outage(url)
    second, second_breaker = pair(cut, clock)  # opened while it answered
    cut.down = True
    restarted = PostureCircuitBreaker(second, second_breaker.config, auto_refresh=False)
    assert not restarted.can_proceed_sync("a")  # the stored OPEN row was never read here
    assert not restarted.can_proceed_sync("b")
    restarted.close()
    close(first, first_breaker)
    close(second, second_breaker)


def test_a_new_emergency_reusing_a_key_blocks_the_agent_again(url: str) -> None:
    # The key of an emergency an operator lifted, reused for a new incident: it used to be
    # taken for a retry, reported "BLOCKED, durable", and left the agent at FULL_AUTONOMY.
    machine = PostureStateMachine(
        store=url, clock=FakeClock(), auto_refresh=False, require_upgrade_approval=False
    )
    machine.emergency_downgrade("a", "leaked a key", op_id="k1")
    assert machine.set_posture("a", FULL, reason="lifted after review").success
    again = machine.emergency_downgrade("a", "a new incident", op_id="k1")
    assert again.metadata["durable"] is True
    assert "replayed" not in again.metadata
    assert machine.get_posture("a") is TrustPosture.BLOCKED
    assert machine.durable is not None
    assert machine.durable.store.read_posture("a").posture is TrustPosture.BLOCKED  # type: ignore[union-attr]
    machine.durable.close()


def test_a_retry_of_a_lifted_emergency_changes_nothing_and_says_so(url: str) -> None:
    machine = PostureStateMachine(
        store=url, clock=FakeClock(), auto_refresh=False, require_upgrade_approval=False
    )
    first = machine.emergency_downgrade("a", "leaked a key", "ops", op_id="k1")
    assert "replayed" not in first.metadata
    retried = machine.emergency_downgrade("a", "leaked a key", "ops", op_id="k1")
    assert "replayed" not in retried.metadata  # nothing changed since: it is the block
    assert machine.set_posture("a", FULL, reason="lifted after review").success
    late = machine.emergency_downgrade("a", "leaked a key", "ops", op_id="k1")
    assert late.metadata["replayed"] is True
    assert late.metadata["posture"] == "full_autonomy"
    # A late retry does not undo the operator's later decision, nor claim it blocked.
    assert machine.get_posture("a") is FULL
    assert machine.durable is not None
    assert [e.kind for e in machine.durable.stored_history("a")] == [
        "emergency_downgrade",
        "upgrade",
    ]
    assert (late.from_posture, late.to_posture) == (FULL, FULL)  # the result: no move
    machine.durable.close()


def test_a_stale_breaker_admits_nothing_while_its_circuit_flips(tmp_path: Path) -> None:
    # The staleness check read the circuit before the lock: a circuit read OPEN there and
    # closed (reset, a probe's success) by the time the lock was taken was admitted.
    clock = FakeClock()
    machine, breaker = pair(f"sqlite:///{tmp_path / 'trust.db'}", clock)
    clock.advance(5)  # past Δ with no refresh: nothing closed here is vouched for
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            breaker.force_open("a", "operator")
            breaker.reset("a")

    flipper = threading.Thread(target=flip)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # interleave the two threads as often as possible
    flipper.start()
    try:
        admitted = [breaker.admit_sync("a") for _ in range(20_000)]
    finally:
        stop.set()
        flipper.join()
        sys.setswitchinterval(switch)
    assert [a for a in admitted if a.allowed] == []
    close(machine, breaker)


def test_a_retry_held_while_the_store_was_down_and_found_lifted_is_logged(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    # Held BLOCKED here and reported "retried on every refresh"; once the store answered,
    # the retry turned out to repeat an emergency an operator had lifted since, and the
    # agent went back to that posture without a word.
    clock = FakeClock()
    machine = machine_on(outage, clock)
    machine.emergency_downgrade("a", "leaked a key", op_id="inc-1")
    assert machine.set_posture("a", FULL, reason="lifted after review").success
    outage.down = True
    held = machine.emergency_downgrade("a", "leaked a key", op_id="inc-1")
    assert held.metadata["durable"] is False
    outage.down = False
    assert machine.durable is not None
    with caplog.at_level("WARNING", logger="trust.store"):
        assert machine.durable.refresh()
    assert "emergency inc-1 of a was applied at version 1 and changed since" in caplog.text
    assert machine.get_posture("a") is FULL  # the operator's later decision stands
    machine.durable.close()


def test_a_refresh_that_raises_a_bug_names_it_in_the_refusals(url: str) -> None:
    clock = FakeClock()
    machine, breaker = pair(url, clock)
    assert machine.durable is not None

    def broken() -> list[Any]:
        raise RuntimeError("bug in open_breakers")

    machine.durable.store.open_breakers = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        breaker.refresh()
    clock.advance(5)
    refused = breaker.admit_sync("a")
    assert not refused.allowed
    assert "the last refresh failed: RuntimeError" in refused.reason
    close(machine, breaker)
