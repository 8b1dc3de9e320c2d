"""Posture changes through PostureStateMachine(store=...) are linearizable per agent.

Spawned processes race upgrades, downgrades, administrative changes and emergency
downgrades on the same agents, each through its own real store-backed machine, on one
SQLite file and on one PostgreSQL database. The recorded history (invocation and response
times from the one monotonic clock of the machine, what was asked, what was returned) must
be linearizable against the sequential spec read from the model (`tests.linearizability`):
agent by agent, some order of the operations that respects real time explains every
result. The checker is shown to reject histories that are not (a lost update, a stale
read after a write that had already returned).

The workers' guards and posture reads take time, as a real deployment's do (see
`tests.linearizability_workers`), and the processes race mostly on one agent, so that
several decide from the same version: a compare-and-set defeated by re-reading the version
before the commit makes the SQLite run fail too, not only the PostgreSQL one. A floor on the
races lost at the commit keeps the test racing.
And each process's cache, read after each of its operations, never serves less than the
process's own write.

``CARE_TRUST_HYPOTHESIS=deep`` runs 8 processes x 1,000 operations; the default profile
4 x 150, to stay well under 15 s per engine on two busy cores.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import time
from pathlib import Path

import pytest

from tests import linearizability_workers
from tests.linearizability import INITIAL, Op, check, check_per_key, posture_step
from tests.linearizability_workers import STALE
from trust import TrustPosture
from trust.store import open_store

DEEP = os.environ.get("CARE_TRUST_HYPOTHESIS") == "deep"
PROCESSES, OPS = (8, 1000) if DEEP else (4, 150)
# A hot agent that the processes race on three times in four, and a cold one: two agents'
# histories to check, and enough contention on one for processes to decide from the same
# version (with two equally hot agents, 2 SQLite runs in 10 missed a broken compare-and-set).
AGENTS = ("a", "a", "a", "b")
WORK = 20_000  # busy-work iterations, at most, per guard and per posture read (the workers)
# A floor on the races lost at the compare-and-set, well under the least a default run
# showed (SQLite, processes in step: 265 to 277; PostgreSQL: 229 to 262), so that the test
# cannot silently stop racing. Races lost while the guards ran are counted, not floored:
# on SQLite they are few (3 to 11 a run), as most processes lose at the commit.
MIN_LOST_AT_COMMIT = 100
_TIMEOUT = 600 if DEEP else 120  # seconds: a stuck child fails the test, never hangs it

SUPERVISED, ASSISTED, BLOCKED = TrustPosture.SUPERVISED, TrustPosture.ASSISTED, TrustPosture.BLOCKED
HUMAN = TrustPosture.HUMAN_DECIDES


def race(
    url: str, processes: int = PROCESSES, ops: int = OPS, work: int = WORK
) -> tuple[list[Op], dict[str, int]]:
    """The history of ``processes`` racing ``ops`` operations each, and the lost races by reason."""
    # Created here, before the race: several processes switching one new SQLite file to
    # WAL at once can fail at once with "database is locked" (a first-open race, not what
    # this test checks; see the report on issue 17).
    open_store(url).close()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(processes)
    out = ctx.Queue()
    children = [
        ctx.Process(
            target=linearizability_workers.race,
            args=(url, p, 1000 + p, ops, AGENTS, work, start, out),
        )
        for p in range(processes)
    ]
    try:
        for child in children:
            child.start()
        lanes = []
        deadline = time.monotonic() + _TIMEOUT
        while len(lanes) < processes:
            # A worker that died (before the barrier, the others wait there for good)
            # fails the test at once; a stuck one, after _TIMEOUT.
            failed = [child.exitcode for child in children if child.exitcode not in {None, 0}]
            assert not failed, f"a worker failed with exit code {failed[0]} (its stderr says why)"
            assert time.monotonic() < deadline, f"the workers did not finish in {_TIMEOUT} s"
            with contextlib.suppress(queue.Empty):
                lanes.append(out.get(timeout=1))
        for child in children:
            child.join(_TIMEOUT)
            assert child.exitcode == 0
    finally:
        for child in children:
            if child.is_alive():
                child.kill()  # never left waiting at the barrier, or pytest never exits
    lost = {words: sum(counts[words] for _, counts in lanes) for words in STALE}
    history, stale_reads = [], []
    for records, _ in lanes:
        for p, agent, inv, resp, call, result, seen in records:
            op = Op(process=p, key=agent, inv=inv, resp=resp, call=call, result=result)
            history.append(op)
            if not reads_own_write(op, seen):
                stale_reads.append((op, seen))
    assert not stale_reads, f"a cache served less than its own write: {stale_reads[:3]}"
    return history, lost


def reads_own_write(op: Op, seen: tuple[TrustPosture, int]) -> bool:
    """Whether the cache, read right after ``op``, served at least the change ``op`` made.

    Reads of the cache may lag other processes' changes (by up to Δ), never the
    process's own: once a change committed, its posture or a later one is served.
    """
    if op.call[0] == "emergency":
        version, to = op.result[0], BLOCKED
    elif op.result[0]:
        version, to = op.result[2], op.call[-1] if op.call[0] == "set_posture" else op.call[2]
    else:
        return True
    posture, at = seen
    return at > version or (at == version and posture is to)


def assert_linearizable(ops: list[Op], lost: dict[str, int], engine: str) -> None:
    verdict = check_per_key(ops, INITIAL, posture_step)
    successes = sum(1 for op in ops if op.call[0] == "emergency" or op.result[0])
    checked, committed = (lost[words] for words in STALE)
    print(
        f"\nlinearizability ({engine}): {len(ops)} ops, {PROCESSES} processes, "
        f"{len(set(AGENTS))} agents ({successes} changes, {checked + committed} lost races: "
        f"{checked} while checked, {committed} at the compare-and-set); "
        f"checked in {verdict.seconds:.3f} s, {verdict.explored} states explored"
    )
    assert verdict, f"not linearizable: agent {verdict.key}, stuck at {verdict.stuck_at}"
    assert verdict.ops == PROCESSES * OPS
    assert successes > 0
    assert committed >= MIN_LOST_AT_COMMIT, f"{engine}: only {committed} races lost at the commit"


def test_sqlite_posture_changes_are_linearizable(tmp_path: Path) -> None:
    assert_linearizable(*race(f"sqlite:///{tmp_path / 'trust.db'}"), "sqlite")


def test_postgres_posture_changes_are_linearizable(postgres_url: str) -> None:
    assert_linearizable(*race(postgres_url), "postgresql")


# -- the checker itself ------------------------------------------------------------------


def op(process: int, inv: int, resp: int, call: tuple[object, ...], result: tuple[object, ...]):  # type: ignore[no-untyped-def]
    return Op(process=process, key="a", inv=inv, resp=resp, call=call, result=result)


def upgrade(frm: TrustPosture, to: TrustPosture) -> tuple[object, ...]:
    return ("transition", frm, to, None, True)


def test_the_checker_rejects_a_lost_update() -> None:
    # Both upgrades say they moved the agent from SUPERVISED at version 0 to version 1:
    # whichever came second overwrote the first. No order explains both.
    history = [
        op(0, 0, 10, upgrade(SUPERVISED, ASSISTED), (True, SUPERVISED, 1, False)),
        op(1, 1, 11, ("set_posture", HUMAN), (True, SUPERVISED, 1, False)),
    ]
    verdict = check(history, INITIAL, posture_step)
    assert not verdict
    assert verdict.stuck_at in {(1, 0), (0, 1)}


def test_the_checker_rejects_a_stale_read_after_a_returned_write() -> None:
    # The emergency returned (version 1) before the transition was invoked, yet the
    # transition succeeded from SUPERVISED at version 0.
    history = [
        op(0, 0, 10, ("emergency",), (1,)),
        op(1, 20, 30, upgrade(SUPERVISED, ASSISTED), (True, SUPERVISED, 1, False)),
    ]
    assert not check(history, INITIAL, posture_step)


def test_the_checker_rejects_a_refusal_the_spec_would_not_make() -> None:
    history = [op(0, 0, 10, upgrade(SUPERVISED, ASSISTED), (False, SUPERVISED, 0, False))]
    assert not check(history, INITIAL, posture_step)


def test_the_checker_reorders_overlapping_operations() -> None:
    # Invoked first but linearized second: it overlaps the emergency, and its result
    # (from BLOCKED at version 1) says it came after.
    history = [
        op(0, 0, 50, upgrade(BLOCKED, HUMAN), (True, BLOCKED, 2, False)),
        op(1, 5, 20, ("emergency",), (1,)),
        op(2, 60, 70, ("set_posture", ASSISTED), (True, HUMAN, 3, False)),
    ]
    verdict = check(history, INITIAL, posture_step)
    assert verdict
    assert verdict.ops == 3


def test_a_lost_race_is_a_no_op_consistent_with_the_state_it_read() -> None:
    history = [
        op(0, 0, 10, ("emergency",), (1,)),
        op(1, 5, 15, upgrade(SUPERVISED, ASSISTED), (False, BLOCKED, 1, True)),
    ]
    assert check(history, INITIAL, posture_step)
    impossible = [op(1, 5, 15, upgrade(SUPERVISED, ASSISTED), (False, ASSISTED, 4, True))]
    assert not check(impossible, INITIAL, posture_step)


def test_a_process_running_two_operations_at_once_is_refused() -> None:
    history = [op(0, 0, 10, ("emergency",), (1,)), op(0, 5, 15, ("emergency",), (2,))]
    with pytest.raises(ValueError, match="process 0 ran two operations at once"):
        check(history, INITIAL, posture_step)
