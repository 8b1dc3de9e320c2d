"""A store-backed posture record against a model, through restarts, crashes and outages.

Hypothesis drives compare-and-set transitions (current or stale versions), emergencies
(new keys and retried ones), restarts (the store closed and opened again), crashes at a
named point of a write (mid-transaction: nothing is applied; after the commit, before
the call returns: it is applied though the caller never heard), and the store going down
and up (every write raises `StoreUnavailableError` and changes nothing). After every step
another connection to the same file (another process's view) must read exactly what the
model predicts: posture, version and the whole history, in order.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from trust import TrustPosture
from trust.postures._transition import EDGES
from trust.store import HistoryEntry, StoreUnavailableError, TrustStore, open_store

AGENTS = ("a1", "a2")
DEFAULT = TrustPosture.SUPERVISED
AT = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
agents = st.sampled_from(AGENTS)


class Crash(BaseException):
    """Stands for the process dying at a fault point (nothing after it runs)."""


@attrs.define
class Agent:
    posture: TrustPosture = DEFAULT
    history: list[tuple[int, TrustPosture, TrustPosture, str | None]] = attrs.Factory(list)

    @property
    def version(self) -> int:
        return len(self.history)

    def apply(self, to: TrustPosture, op_id: str | None) -> None:
        self.history.append((self.version + 1, self.posture, to, op_id))
        self.posture = to


class StoreAgainstModel(RuleBasedStateMachine):
    @initialize()
    def open(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="care-trust-stateful-"))
        self.url = f"sqlite:///{self.folder / 'trust.db'}"
        self.model = {a: Agent() for a in AGENTS}
        self.applied: set[tuple[str, str]] = set()
        self.ops = 0
        self.down = False
        self.crash_at: str | None = None
        self.store = self._open()
        self.observer = open_store(self.url)

    def _open(self) -> TrustStore:
        armed = False

        def fault(point: str) -> None:
            if not armed:
                return
            if point == "begun" and self.down:
                raise ConnectionError("the store is down")
            if point == self.crash_at:
                self.crash_at = None
                raise Crash(point)

        store = open_store(self.url, fault=fault)
        armed = True
        return store

    def teardown(self) -> None:
        for store in (getattr(self, "store", None), getattr(self, "observer", None)):
            if store is not None:
                store.close()
        if hasattr(self, "folder"):
            shutil.rmtree(self.folder, ignore_errors=True)

    def _entry(self, agent: str, to: TrustPosture, op_id: str | None) -> HistoryEntry:
        kind = "emergency_downgrade" if op_id else EDGES[(self.model[agent].posture, to)][0].value
        frm = self.model[agent].posture
        return HistoryEntry(
            agent_id=agent, from_posture=frm, to_posture=to, kind=kind, at=AT, op_id=op_id
        )

    def _new_op(self) -> str:
        self.ops += 1
        return f"op-{self.ops}"

    @rule(agent=agents, pick=st.integers(0, 10), stale=st.sampled_from([0, 0, -1, 1]))
    def transition(self, agent: str, pick: int, stale: int) -> None:
        held = self.model[agent]
        moves = [to for (frm, to) in EDGES if frm is held.posture and to is not frm]
        to = moves[pick % len(moves)]
        expected = held.version + stale
        if expected < 0:
            return
        try:
            written = self.store.transition(self._entry(agent, to, None), expected_version=expected)
        except StoreUnavailableError:
            assert self.down
            return
        assert not self.down
        assert written.committed == (stale == 0)
        if written.committed:
            held.apply(to, None)

    @rule(agent=agents, retry=st.booleans())
    def emergency(self, agent: str, retry: bool) -> None:
        # A retry may reuse another agent's key: a key is scoped to its agent, so that
        # is a new emergency of this one.
        op_id = sorted(self.applied)[0][1] if retry and self.applied else self._new_op()
        try:
            written = self.store.emergency(self._entry(agent, TrustPosture.BLOCKED, op_id))
        except StoreUnavailableError:
            assert self.down
            return
        assert not self.down
        assert written.committed
        if (agent, op_id) not in self.applied:
            self.applied.add((agent, op_id))
            self.model[agent].apply(TrustPosture.BLOCKED, op_id)

    @rule(agent=agents, point=st.sampled_from(["written", "committed"]))
    def crash(self, agent: str, point: str) -> None:
        if self.down:
            return
        op_id = self._new_op()
        self.crash_at = point
        try:
            self.store.emergency(self._entry(agent, TrustPosture.BLOCKED, op_id))
        except Crash:
            pass
        else:
            raise AssertionError("the crash point was never reached")
        if point == "committed":  # committed, though its caller died before hearing so
            self.applied.add((agent, op_id))
            self.model[agent].apply(TrustPosture.BLOCKED, op_id)
        self.restart()

    @rule()
    def restart(self) -> None:
        self.store.close()
        self.store = self._open()

    @rule()
    def store_down(self) -> None:
        self.down = True

    @rule()
    def store_up(self) -> None:
        self.down = False

    @invariant()
    def another_process_reads_the_model(self) -> None:
        for agent, held in self.model.items():
            row = self.observer.read_posture(agent)
            if held.version == 0:
                assert row is None
                continue
            assert row is not None
            assert (row.posture, row.version) == (held.posture, held.version)
            stored = [
                (e.version, e.from_posture, e.to_posture, e.op_id)
                for e in self.observer.history(agent)
            ]
            assert stored == held.history


# Each step commits (and syncs) a write: fewer steps than the default keep it quick.
StoreAgainstModel.TestCase.settings = settings(stateful_step_count=15)
TestStoreAgainstModel = StoreAgainstModel.TestCase
