"""Crash trials: a process killed with SIGKILL mid-write leaves a store that is still right.

Each trial forks a child (tests/crash_worker.py) that opens an SQLite store, runs a few
operations (emergency downgrades, compare-and-set transitions, breaker trips and
restores, audit records) and is killed with SIGKILL at a named point of one write:
mid-transaction (every statement run, no commit yet) or after the commit, before the
call returns. Then the store is opened again, as a restarted process would, and:

- no acknowledged emergency downgrade is lost, and the killed one, retried with its key
  (as the engine retries an emergency it could not confirm), is applied exactly once;
- the history explains every posture: replayed from the default, each entry starts where
  the one before ended and is a move of the model (a breaker restore returns exactly the
  posture its trip displaced), and the stored row is where it ends;
- the audit chain verifies, and holds every acknowledged record;
- an open circuit's row agrees with the posture it displaced: the history holds its
  protective downgrade, at the version after the displaced one, from the displaced posture.

``CARE_TRUST_CRASH_TRIALS`` sets the number of killed trials: 500 by default, 10,000 in
the deep profile (``CARE_TRUST_HYPOTHESIS=deep``).
"""

from __future__ import annotations

import json
import os
import random
import signal
from collections import Counter
from pathlib import Path

from tests import crash_worker
from tests.zygote import Zygote
from trust import TrustPosture
from trust.audit import AuditLog
from trust.postures._transition import EDGES, PostureTransition
from trust.store import HistoryEntry, TrustStore, open_store

DEEP = os.environ.get("CARE_TRUST_HYPOTHESIS") == "deep"
TRIALS = int(os.environ.get("CARE_TRUST_CRASH_TRIALS", 10_000 if DEEP else 500))
PER_FILE = 25  # trials on one file before a fresh one: the checks stay cheap
OPS = 4


def replay(store: TrustStore, agent: str) -> list[HistoryEntry]:
    history = store.history(agent)
    posture = crash_worker.DEFAULT
    for version, entry in enumerate(history, start=1):
        where = f"{agent} v{version}"
        assert entry.version == version, where
        assert entry.from_posture is posture, f"{where} does not start where v-1 ended"
        if entry.kind == "emergency_downgrade":
            assert entry.to_posture is TrustPosture.BLOCKED, where
        elif entry.kind == "protective_downgrade":
            assert EDGES[(entry.from_posture, entry.to_posture)][0] is PostureTransition.DOWNGRADE
        elif entry.kind == "breaker_restore":
            trip = history[version - 2]
            assert trip.kind == "protective_downgrade", f"{where}: a restore with no trip before"
            assert entry.to_posture is trip.from_posture, f"{where} restores above the displaced"
        else:
            edge = EDGES.get((entry.from_posture, entry.to_posture))
            assert edge is not None
            assert edge[0].value == entry.kind, f"{where} is not a move of the model"
        posture = entry.to_posture
    row = store.read_posture(agent)
    if history:
        assert row is not None
        assert (row.posture, row.version) == (posture, len(history)), agent
    else:
        assert row is None
    return history


def check_breaker(store: TrustStore, agent: str, history: list[HistoryEntry]) -> None:
    breaker = store.read_breaker(agent)
    if breaker is None or breaker.state != "open":
        return
    assert breaker.displaced_version is not None
    trip = history[breaker.displaced_version]  # the entry at displaced_version + 1
    assert trip.kind == "protective_downgrade"
    assert json.loads(trip.detail) == {"generation": breaker.generation}
    assert trip.from_posture is breaker.displaced_posture


class Lane:
    """One zygote and the store files its trials write, one after another.

    Two lanes run side by side: a trial mostly waits for its disk syncs.
    """

    def __init__(self, folder: Path, name: str) -> None:
        self._zygote = Zygote(crash_worker.zygote)
        self._folder, self._name = folder, name
        self.runs = 0
        self.url = ""
        self.acknowledged: set[str] = set()
        self.audited = 0
        self.point = ""

    def start(self, rng: random.Random) -> None:
        if self.runs % PER_FILE == 0:  # a fresh file: the checks stay cheap
            self.url = f"sqlite:///{self._folder / f'{self._name}-{self.runs // PER_FILE}.db'}"
            self.acknowledged, self.audited = set(), 0
        self.runs += 1
        self.point = rng.choice(crash_worker.POINTS)
        kill_at = rng.randint(1, OPS)
        self._zygote.ask(self.url, rng.randrange(2**32), OPS, kill_at, self.point)

    def finish(self) -> tuple[int, str]:
        return self._zygote.answer(self.url)

    def close(self) -> None:
        self._zygote.close()


def check_trial(lane: Lane, status: int, said: str, killed: Counter[tuple[str, str]]) -> None:
    """Account for one trial, then restart on its store and check everything."""
    lines = [line.split() for line in said.splitlines()]
    acks = [words[1:] for words in lines if words[0] == "ack"]
    lane.acknowledged |= {a[2] for a in acks if a[0] == "emergency"}
    lane.audited += sum(a[0] == "audit" for a in acks)
    started = None
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        started = lines[-1]
        assert started[0] == "start"
        killed[(started[1], lane.point)] += 1
    else:
        assert os.WEXITSTATUS(status) == 0, said
    with open_store(lane.url) as store:  # the restart
        if started is not None and started[1] == "emergency":
            # The engine retries an emergency it could not confirm, with its key.
            retry = HistoryEntry(
                agent_id=started[2],
                from_posture=crash_worker.DEFAULT,
                to_posture=TrustPosture.BLOCKED,
                kind="emergency_downgrade",
                at=crash_worker._now(),
                op_id=started[3],
            )
            assert store.emergency(retry, history_limit=crash_worker.HISTORY)
            lane.acknowledged.add(started[3])
        stored_ops: list[str] = []
        for agent in crash_worker.AGENTS:
            history = replay(store, agent)
            check_breaker(store, agent, history)
            stored_ops += [e.op_id for e in history if e.op_id is not None]
        assert lane.acknowledged <= set(stored_ops), "an acknowledged emergency was lost"
        assert len(stored_ops) == len(set(stored_ops)), "an emergency was applied twice"
        verdict = AuditLog(store=store).verify()
        assert verdict, verdict.reason
        assert verdict.entries >= lane.audited


def test_kill_trials_leave_a_consistent_store(tmp_path: Path) -> None:
    rng = random.Random(17)
    lanes = [Lane(tmp_path, "left"), Lane(tmp_path, "right")]
    killed: Counter[tuple[str, str]] = Counter()
    try:
        while sum(killed.values()) < TRIALS:
            for lane in lanes:
                lane.start(rng)
            for lane in lanes:
                check_trial(lane, *lane.finish(), killed)
    finally:
        for lane in lanes:
            lane.close()
    runs = sum(lane.runs for lane in lanes)
    print(f"\ncrash trials: {sum(killed.values())} killed in {runs} runs: {dict(killed)}")
    # Every kind of write was killed at every point: mid-transaction and after the commit.
    assert set(killed) == {(k, p) for k in crash_worker.KINDS for p in crash_worker.POINTS}
