"""Breaker crash trials: the real breaker killed with SIGKILL mid-trip or mid-restore.

Each trial forks a child (tests/breaker_crash_worker.py) that starts a
`PostureStateMachine` and a `PostureCircuitBreaker` on an SQLite file, as a restarted
process would, drives failures, probes and operator changes, and is killed at a named
point of one breaker write: mid-transaction, or after the commit before the call
returns. Then the store is opened again and:

- the history explains every posture: replayed from the default, each entry starts where
  the one before ended; the breaker only lowers to ``downgrade_on_open`` and restores
  exactly the posture its trip displaced, right after that trip (nobody changed it
  since), and never twice;
- an open circuit agrees with the stored posture: its displaced posture and version
  name the breaker's downgrade in the history, and the agent is at or below
  ``downgrade_on_open`` unless someone else changed the posture after the trip;
- a breaker started on the store (the restart) has the circuit the row says.

``CARE_TRUST_CRASH_TRIALS`` sets the number of killed trials: 250 by default (the store's
own trials, tests/test_store_crash.py, kill the other kinds of write), 5,000 in the deep
profile (``CARE_TRUST_HYPOTHESIS=deep``).
"""

from __future__ import annotations

import os
import random
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from tests import breaker_crash_worker as worker
from tests.zygote import Zygote
from trust.circuit_breaker import REQUESTER, CircuitState, PostureCircuitBreaker
from trust.postures import PostureStateMachine, TrustPosture
from trust.store import HistoryEntry, TrustStore
from trust.testing import FakeClock

DEEP = os.environ.get("CARE_TRUST_HYPOTHESIS") == "deep"
TRIALS = int(os.environ.get("CARE_TRUST_CRASH_TRIALS", 5_000 if DEEP else 250))
PER_FILE = 12  # trials on one file: its history stays inside the store's bound
OPS = 14
START = 1_736_942_400.0  # wall-clock seconds of the first trial
STEP = 47.0  # between trials: sometimes past the recovery timeout, sometimes not
DEFAULT = TrustPosture.SUPERVISED


def replay(store: TrustStore, agent: str) -> list[HistoryEntry]:
    history = store.history(agent)
    posture = DEFAULT
    trip: HistoryEntry | None = None  # the breaker's downgrade not restored yet
    for version, entry in enumerate(history, start=1):
        where = f"{agent} v{version}: {entry}"
        assert entry.version == version, where
        assert entry.from_posture is posture, f"{where} does not start where v-1 ended"
        if entry.requester_id == REQUESTER:
            if entry.to_posture < entry.from_posture:
                assert entry.to_posture is worker.DOWN_TO, where
                trip = entry
            else:
                assert trip is not None, f"{where}: a restore with no trip to undo"
                assert trip.version == version - 1, f"{where}: restored over another change"
                assert entry.to_posture is trip.from_posture, f"{where}: not the displaced"
                trip = None  # restored once
        posture = entry.to_posture
    row = store.read_posture(agent)
    if history:
        assert row is not None
        assert (row.posture, row.version) == (posture, len(history)), agent
    else:
        assert row is None
    return history


def check_circuit(store: TrustStore, agent: str, history: list[HistoryEntry]) -> bool:
    """Check the circuit's row against the history; whether it is open."""
    row = store.read_breaker(agent)
    if row is None or row.state != "open":
        # Closed: nothing holds the posture down to give it back later, so the breaker's
        # trip must have been undone, or superseded by someone else's change. (A reopening
        # that lowered a posture someone raised while half-open holds nothing: the
        # coupling model gives that raise up.)
        last = history[-1] if history else None
        if last is not None and last.requester_id == REQUESTER and "half-open" not in last.reason:
            tail = [(e.version, e.to_posture.value, e.reason) for e in history[-5:]]
            assert last.to_posture > last.from_posture, (row, tail)
        return False
    after = 0
    if row.displaced_version is not None:
        trip = history[row.displaced_version - 1]
        assert trip.requester_id == REQUESTER, trip
        assert trip.from_posture is row.displaced_posture, (trip, row)
        assert trip.to_posture is worker.DOWN_TO, (trip, row)
        after = row.displaced_version
    posture = history[-1].to_posture if history else DEFAULT
    if posture > worker.DOWN_TO:
        # Above what an open circuit holds: only someone else may have raised it since.
        assert any(e.requester_id != REQUESTER for e in history[after:]), (row, history[after:])
    return True


def restart(url: str, wall: float) -> None:
    clock = FakeClock(datetime.fromtimestamp(wall, UTC))
    machine = PostureStateMachine(store=url, clock=clock, auto_refresh=False)
    breaker = PostureCircuitBreaker(machine, worker.config(), auto_refresh=False)
    assert machine.durable is not None
    try:
        for agent in worker.AGENTS:
            history = replay(machine.durable.store, agent)
            is_open = check_circuit(machine.durable.store, agent, history)
            state = breaker.get_state(agent)
            assert (state is not CircuitState.CLOSED) is is_open, (agent, state)
    finally:
        breaker.close()
        machine.durable.close()


class Lane:
    """One zygote and the store files its trials write, one after another.

    Three lanes run side by side: a trial mostly waits for its disk syncs.
    """

    def __init__(self, folder: Path, name: str) -> None:
        self._zygote = Zygote(worker.zygote)
        self._folder, self._name = folder, name
        self.runs = 0
        self.url = ""
        self.wall = START
        self.kind = self.point = ""

    def start(self, rng: random.Random) -> None:
        if self.runs % PER_FILE == 0:
            self.url = f"sqlite:///{self._folder / f'{self._name}-{self.runs // PER_FILE}.db'}"
            self.wall = START
        self.runs += 1
        self.wall += STEP
        self.kind, self.point = rng.choice(worker.KINDS), rng.choice(worker.POINTS)
        kill_at = rng.randint(1, 2) if self.kind == "trip" else 1
        seed = rng.randrange(2**32)
        self._zygote.ask(self.url, seed, self.wall, OPS, self.kind, kill_at, self.point)

    def finish(self) -> tuple[int, str]:
        return self._zygote.answer(self.url)

    def close(self) -> None:
        self._zygote.close()


def check_trial(lane: Lane, status: int, said: str, killed: Counter[tuple[str, str]]) -> None:
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        killed[(lane.kind, lane.point)] += 1
    else:
        assert os.WEXITSTATUS(status) == 0, said
    restart(lane.url, lane.wall)


def test_kills_mid_trip_and_mid_restore_leave_circuit_and_posture_consistent(
    tmp_path: Path,
) -> None:
    rng = random.Random(17)
    lanes = [Lane(tmp_path, name) for name in ("left", "middle", "right")]
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
    print(f"\nbreaker crash trials: {sum(killed.values())} killed in {runs} runs: {dict(killed)}")
    assert set(killed) == {(k, p) for k in worker.KINDS for p in worker.POINTS}
