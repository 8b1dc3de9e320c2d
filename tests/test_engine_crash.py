"""Crash trials through the engine: a PostureStateMachine(store=...) killed mid-write.

Each trial forks a child (tests/engine_crash_worker.py) that runs a real store-backed
machine on an SQLite file (emergency downgrades, transitions, administrative changes,
each recorded to a durable AuditLog) and is killed with SIGKILL at a named point of one
write: mid-transaction (every statement run, no commit yet) or after the commit, before
the call returns. Then a new machine starts on the file, as a restarted process would, and:

- it reads the stored posture of every agent, and the stored history explains it: replayed
  from the machine's default through the model (`trust.model.PostureLifecycle`), every
  entry is a move the model allows from where the one before ended, and the row is where
  it ends (so no posture is higher than its history explains);
- no acknowledged emergency downgrade is lost, and the killed one, retried with its key
  through the restarted machine, is applied exactly once;
- the audit chain verifies and holds every acknowledged record.

``CARE_TRUST_CRASH_TRIALS`` sets the number of killed trials: 250 by default, 10,000 in
the deep profile (``CARE_TRUST_HYPOTHESIS=deep``).
"""

from __future__ import annotations

import os
import random
import signal
from collections import Counter
from pathlib import Path

from tests import engine_crash_worker as worker
from tests.zygote import Zygote
from trust import PostureStateMachine, TrustPosture
from trust.audit import AuditLog
from trust.model import PostureLifecycle
from trust.store import TrustStore, open_store

DEEP = os.environ.get("CARE_TRUST_HYPOTHESIS") == "deep"
TRIALS = int(os.environ.get("CARE_TRUST_CRASH_TRIALS", 10_000 if DEEP else 250))
PER_FILE = 25  # trials on one file before a fresh one: the checks stay cheap
OPS = 3  # operations per trial, each followed by its audit record


def explained(store: TrustStore, machine: PostureStateMachine, agent: str) -> list[str]:
    """Replay the agent's stored history through the model; its emergency keys, in order."""
    history = store.history(agent)
    model = PostureLifecycle(
        require_upgrade_approval=False, start_value=machine.default_posture.value
    )
    for version, entry in enumerate(history, start=1):
        where = f"{agent} v{version}"
        assert entry.version == version, where
        assert entry.from_posture.value == model.posture, f"{where} does not start where v-1 ended"
        model.send(  # raises TransitionNotAllowed for a move the model does not allow
            entry.kind,
            agent_id=agent,
            requester_id="replay",
            to=entry.to_posture.value,
            guards_approve=True,
        )
    row = store.read_posture(agent)
    if history:
        assert row is not None
        assert (row.posture.value, row.version) == (model.posture, len(history)), agent
    else:
        assert row is None
    # The restarted machine reads the stored posture.
    assert machine.get_posture(agent).value == model.posture
    return [e.op_id for e in history if e.kind == "emergency_downgrade" and e.op_id is not None]


class Lane:
    """One zygote and the store files its trials write, one after another."""

    def __init__(self, folder: Path, name: str) -> None:
        self._zygote = Zygote(worker.zygote)
        self._folder, self._name = folder, name
        self.runs = 0
        self.url = ""
        self.acknowledged: set[str] = set()
        self.audited = 0
        self.point = ""

    def start(self, rng: random.Random) -> None:
        if self.runs % PER_FILE == 0:
            self.url = f"sqlite:///{self._folder / f'{self._name}-{self.runs // PER_FILE}.db'}"
            self.acknowledged, self.audited = set(), 0
        self.runs += 1
        self.point = rng.choice(worker.POINTS)
        kill_at = rng.randint(1, 2 * OPS)
        self._zygote.ask(self.url, rng.randrange(2**32), OPS, kill_at, self.point)

    def finish(self) -> tuple[int, str]:
        return self._zygote.answer(self.url)

    def close(self) -> None:
        self._zygote.close()


def check_trial(lane: Lane, status: int, said: str, killed: Counter[tuple[str, str]]) -> None:
    """Account for one trial, then restart a machine on its store and check everything."""
    lines = [line.split() for line in said.splitlines()]
    acks = [words[1:] for words in lines if words[0] == "ack"]
    for kind, _agent, *rest in acks:
        if kind == "emergency":
            assert rest[1] == "True", f"an emergency was not durable: {rest}"
            lane.acknowledged.add(rest[0])
    lane.audited += sum(a[0] == "audit" for a in acks)
    started = None
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        started = lines[-1]
        assert started[0] == "start", said
        killed[(started[1], lane.point)] += 1
    else:
        assert os.WEXITSTATUS(status) == 0, said
    store = open_store(lane.url)
    restarted = PostureStateMachine(
        store=store, auto_refresh=False, require_upgrade_approval=True, history_limit=worker.HISTORY
    )
    try:
        stored: list[str] = []
        for agent in worker.AGENTS:
            stored += explained(store, restarted, agent)
        assert lane.acknowledged <= set(stored), "an acknowledged emergency was lost"
        assert len(stored) == len(set(stored)), "an emergency was applied twice"
        if started is not None and started[1] == "emergency":
            # The caller never heard: it repeats its call with its key, as the engine retries an
            # emergency it could not confirm. It lands exactly once.
            agent, retry_key = started[2], started[3]
            before = [e.op_id for e in store.history(agent)]
            again = restarted.emergency_downgrade(agent, reason="incident", op_id=retry_key)
            assert again.metadata["durable"] is True
            after = [e.op_id for e in store.history(agent)]
            assert after.count(retry_key) == 1
            assert len(after) == len(before) + (lane.point != "committed")
            assert restarted.get_posture(agent) is TrustPosture.BLOCKED
            lane.acknowledged.add(retry_key)
        verdict = AuditLog(store=store).verify()
        assert verdict, verdict.reason
        assert verdict.entries >= lane.audited
    finally:
        restarted.durable.close()  # type: ignore[union-attr]


def test_engine_kill_trials_leave_a_consistent_store(tmp_path: Path) -> None:
    rng = random.Random(1717)
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
    print(f"\nengine crash trials: {sum(killed.values())} killed in {runs} runs: {dict(killed)}")
    # Every kind of write was killed at every point: mid-transaction and after the commit.
    assert set(killed) == {(k, p) for k in worker.WRITES for p in worker.POINTS}
