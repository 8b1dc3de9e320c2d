"""Several real processes (spawned) sharing one store: an SQLite file, or a PostgreSQL server.

Each race's recorded history is checked for linearizability against the posture model:
replayed in version order from the default posture, every entry starts where the one
before it ended and is a move the lifecycle has (an emergency goes to BLOCKED from
anywhere), the stored posture is where the history ends, and every emergency a process
saw acknowledged is in it.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from tests import store_workers
from trust import TrustPosture
from trust.postures._transition import EDGES
from trust.store import TrustStore, open_store

SPAWN = multiprocessing.get_context("spawn")
_JOIN_TIMEOUT = 240  # seconds: a stuck child fails the test instead of hanging it


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return str(request.getfixturevalue("postgres_url"))


def run_children(target: object, args: list[tuple[object, ...]]) -> list[object]:
    barrier = SPAWN.Barrier(len(args))
    out = SPAWN.Queue()
    children = [
        SPAWN.Process(target=target, args=(*a, barrier, out))
        for a in args  # type: ignore[arg-type]
    ]
    for child in children:
        child.start()
    results = [out.get(timeout=_JOIN_TIMEOUT) for _ in children]
    for child in children:
        child.join(_JOIN_TIMEOUT)
        assert child.exitcode == 0
    return results


def check_history(store: TrustStore, agent: str) -> int:
    """Replay ``agent``'s stored history against the model; its number of entries."""
    history = store.history(agent)
    posture = store_workers.DEFAULT
    for version, entry in enumerate(history, start=1):
        assert entry.version == version, f"{agent}: version {entry.version} where {version} was due"
        assert entry.from_posture is posture, f"{agent} v{version} does not start where v-1 ended"
        if entry.kind == "emergency_downgrade":
            assert entry.to_posture is TrustPosture.BLOCKED
        else:
            edge = EDGES.get((entry.from_posture, entry.to_posture))
            assert edge is not None
            assert edge[0].value == entry.kind, f"{agent} v{version}: not a move of the model"
        posture = entry.to_posture
    row = store.read_posture(agent)
    if history:
        assert row is not None
        assert (row.posture, row.version) == (posture, len(history))
    else:
        assert row is None
    return len(history)


def test_racing_processes_leave_a_history_the_model_explains(url: str) -> None:
    agents = ["a", "b", "c"]
    procs, steps = 4, 150
    results = run_children(
        store_workers.race, [(url, agents, steps, seed) for seed in range(procs)]
    )
    commits = sum(r[0] for r in results)  # type: ignore[index]
    acknowledged = {op for r in results for op in r[2]}  # type: ignore[index]
    with open_store(url) as store:
        recorded = sum(check_history(store, agent) for agent in agents)
        stored_ops = {e.op_id for agent in agents for e in store.history(agent) if e.op_id}
    stale = sum(r[1] for r in results)  # type: ignore[index]
    print(f"\nrace: {recorded} entries replayed, {len(acknowledged)} emergencies, {stale} stale")
    assert recorded == commits  # every acknowledged commit, and nothing else
    assert acknowledged <= stored_ops  # no acknowledged emergency lost
    assert recorded > 0


def test_half_open_probes_are_bounded_across_processes(url: str) -> None:
    slots = run_children(store_workers.take_probe, [(url,)] * 5)
    assert sorted(s for s in slots if s is not None) == [0, 1]  # type: ignore[type-var]
    assert slots.count(None) == 3


def test_processes_opening_one_new_sqlite_file_at_once_all_open_it(tmp_path: Path) -> None:
    # Each opening puts the new file in WAL mode, which takes its exclusive lock: SQLite
    # answers "database is locked" at once, past no busy timeout, to a process that races
    # another for it. Seen once in ~25 runs of a 4-process test before the retry.
    failures = run_children(store_workers.open_fresh, [(str(tmp_path), 40)] * 6)
    assert failures == [[]] * 6
