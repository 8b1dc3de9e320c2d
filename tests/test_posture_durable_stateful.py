"""A store-backed PostureStateMachine against the model, through crashes, restarts and outages.

Hypothesis drives a real ``PostureStateMachine(store=...)`` on an SQLite file with the
rules of the in-memory stateful test (transitions, current or stale, fenced or not, with
and without a requester; administrative changes; emergency and protective downgrades)
plus:

- ``crash``: the process dies at a named point of a write (the store's fault hook:
  mid-transaction, or after the commit before the call returns); the machine is dropped
  unclosed, its connection gone with it, and a new one starts on the file;
- ``restart``: a new machine on the same file;
- ``store_down``/``store_up``: the real store behind a wrapper that raises
  `StoreUnavailableError` on every operation while the network is down;
- ``tick``/``refresh``: the injected clock moves; the cache is refreshed.

The oracle is `trust.model.PostureLifecycle` plus the promises of issue 17: a change while
the store is down is refused with a reason that says so; an emergency BLOCKs here at once,
and an emergency made while the store was down becomes durable once it is back (on the
next refresh, or before the next change of that agent), exactly once by its ``op_id``; a
read is BLOCKED once no refresh has succeeded for Δ; after a restart (or a crash) the
posture is the stored one, and the stored history, replayed through the model from the
default, explains it entry by entry. After every step another connection to the file
(another process's view) must read exactly the history the model predicts.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from statemachine.exceptions import TransitionNotAllowed

from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustPosture
from trust.model import POSTURE_SPEC, PostureLifecycle
from trust.postures import UPGRADE_APPROVAL_GUARD, PostureTransitionRequest
from trust.store import StoreUnavailableError, open_store
from trust.store._sqlite import SqliteStore

AGENTS = ("a1", "a2")
DELTA = 1.0
DEFAULT = TrustPosture(POSTURE_SPEC.initial)
BLOCKED = TrustPosture.BLOCKED
REQUESTABLE = ("upgrade", "downgrade", "maintain")
KIND = {(t.source, t.target): t.event for t in POSTURE_SPEC.transitions if t.event in REQUESTABLE}
EMERGENCY = "emergency_downgrade"

postures = st.sampled_from(list(TrustPosture))
agents = st.sampled_from(AGENTS)


class Crash(BaseException):
    """Stands for the process dying at a fault point: nothing after it runs."""


class Outage(SqliteStore):
    """The real SQLite store behind a network that can go down: every operation then raises."""

    def __init__(self, path: str, is_down: Callable[[], bool], fault: Callable[[str], None]):
        self._is_down = lambda: False
        super().__init__(path, fault=fault)
        # Opening a store that cannot be reached raises (`open_store`): this one was
        # opened while it could be, as a process whose network fails after it started.
        self._is_down = is_down

    def _run(self, work, *, write):  # type: ignore[no-untyped-def]
        if self._is_down():
            raise StoreUnavailableError(f"cannot reach the store {self.url}: connection refused")
        return super()._run(work, write=write)


@attrs.define
class Agent:
    """What the store must hold for one agent: its posture and its whole history."""

    posture: TrustPosture = DEFAULT
    # (version, from, to, kind, op_id of an emergency)
    history: list[tuple[int, TrustPosture, TrustPosture, str, str | None]] = attrs.Factory(list)

    @property
    def version(self) -> int:
        return len(self.history)

    def apply(self, to: TrustPosture, kind: str, op_id: str | None = None) -> None:
        self.history.append((self.version + 1, self.posture, to, kind, op_id))
        self.posture = to


class DurableAgainstModel(RuleBasedStateMachine):
    @initialize(require_approval=st.booleans())
    def build(self, require_approval: bool) -> None:
        self.require_approval = require_approval
        self.folder = Path(tempfile.mkdtemp(prefix="care-trust-durable-"))
        self.path = str(self.folder / "trust.db")
        self.clock = FakeClock()
        self.model = {a: Agent() for a in AGENTS}
        self.applied: set[str] = set()  # emergency op_ids the store holds
        self.unapplied: set[str] = set()  # op_ids whose write died before its commit
        self.owner: dict[str, str] = {}  # op_id -> the agent it was made for
        self.others: set[str] = set()  # op_ids of calls other than the emergency rule's
        self.pending: list[tuple[str, str]] = []  # (op_id, agent): BLOCKED here, not durable
        self.down = False
        self.crash_at: str | None = None
        self.fresh_until = -float("inf")
        self.synced = False  # the cache has read every row since the last (re)start
        self.observer = open_store(f"sqlite:///{self.path}")
        self.store: Outage | None = None
        self.machine = self._start()

    def _fault(self, point: str) -> None:
        if point == self.crash_at:
            self.crash_at = None
            raise Crash(point)

    def _start(self) -> PostureStateMachine:
        self.store = Outage(self.path, lambda: self.down, self._fault)
        began = self.clock.monotonic()
        machine = PostureStateMachine(
            store=self.store,
            clock=self.clock,
            freshness=DELTA,
            auto_refresh=False,
            require_upgrade_approval=self.require_approval,
        )
        # Built, it refreshed once: fresh for Δ if the store answered.
        self.pending = []  # what a dead process held only in memory died with it
        if not self.down:
            self.fresh_until = began + DELTA
            self.synced = True
        else:
            self.fresh_until = -float("inf")
            self.synced = False
        return machine

    def teardown(self) -> None:
        for store in (getattr(self, "store", None), getattr(self, "observer", None)):
            if store is not None:
                store.close()
        if hasattr(self, "folder"):
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- the oracle's bookkeeping ---------------------------------------------------------

    def _land(self, op_id: str, agent: str) -> None:
        """An emergency write reached the store: applied unless its key already was."""
        if op_id not in self.applied:
            self.applied.add(op_id)
            self.unapplied.discard(op_id)
            self.model[agent].apply(BLOCKED, EMERGENCY, op_id)

    def _flush(self) -> None:
        for op_id, agent in self.pending:
            self._land(op_id, agent)
        self.pending = []

    def _before_change(self, agent: str) -> None:
        # A change of an agent held BLOCKED here by a pending emergency first makes every
        # pending emergency durable (the store is up), then decides from the stored row.
        if any(a == agent for _, a in self.pending):
            self._flush()

    def _pend(self, op_id: str, agent: str) -> None:
        if all(o != op_id for o, _ in self.pending):
            self.pending.append((op_id, agent))

    def _pinned(self, agent: str) -> bool:
        return any(a == agent for _, a in self.pending)

    def _lifecycle(self, posture: TrustPosture) -> PostureLifecycle:
        return PostureLifecycle(
            require_upgrade_approval=self.require_approval, start_value=posture.value
        )

    # -- rules ---------------------------------------------------------------------------

    @rule(
        agent=agents,
        stale=st.one_of(st.none(), postures),
        to=postures,
        requester=st.sampled_from([None, "self", "admin-1"]),
        fence=st.sampled_from([None, "current", "stale"]),
    )
    def transition(
        self,
        agent: str,
        stale: TrustPosture | None,
        to: TrustPosture,
        requester: str | None,
        fence: str | None,
    ) -> None:
        if not self.down:
            self._before_change(agent)
        held = self.model[agent]
        frm = stale if stale is not None else held.posture
        requester_id = agent if requester == "self" else requester
        version = None if fence is None else held.version + (fence == "stale")
        request = PostureTransitionRequest(
            agent_id=agent, from_posture=frm, to_posture=to, requester_id=requester_id
        )
        result = self.machine.transition(request, expected_version=version)
        if self.down:
            assert not result.success
            assert result.blocked_by is None
            assert "the trust store cannot be reached" in result.reason
            assert "connection refused" in result.reason
            return
        kind = KIND[frm.value, to.value]
        if fence == "stale" or frm is not held.posture:
            predicted, blocked_by = False, None
        else:
            model = self._lifecycle(held.posture)
            try:
                model.send(
                    kind,
                    agent_id=agent,
                    requester_id=requester_id,
                    to=to.value,
                    guards_approve=True,
                )
                predicted, blocked_by = True, None
            except TransitionNotAllowed:
                predicted, blocked_by = False, UPGRADE_APPROVAL_GUARD
        assert result.success is predicted, result.reason
        assert result.blocked_by == blocked_by
        assert result.from_posture is held.posture
        if fence == "stale":
            assert "changed since version" in result.reason
        if predicted:
            held.apply(to, KIND[held.posture.value, to.value])
            assert result.version == held.version

    @rule(agent=agents, posture=postures)
    def set_posture(self, agent: str, posture: TrustPosture) -> None:
        if not self.down:
            self._before_change(agent)
        result = self.machine.set_posture(agent, posture, requester_id="ops")
        if self.down:
            assert not result.success
            assert "posture changes need it" in result.reason
            return
        held = self.model[agent]
        assert result.success, result.reason
        assert result.administrative
        held.apply(posture, KIND[held.posture.value, posture.value])
        assert result.version == held.version

    @rule(agent=agents, retry=st.booleans(), pick=st.integers(0, 50))
    def emergency_downgrade(self, agent: str, retry: bool, pick: int) -> None:
        # A retry reuses a key made for this agent: applied, died before its commit, or
        # pending. A retry is the same call: keys of protective downgrades stored as
        # emergencies were made for another reason (another call: a new emergency).
        known = sorted(o for o, a in self.owner.items() if a == agent and o not in self.others)
        op_id = known[pick % len(known)] if retry and known else f"new-{self._serial()}"
        self.owner[op_id] = agent
        result = self.machine.emergency_downgrade(agent, reason="incident", op_id=op_id)
        assert result.success
        assert result.metadata["op_id"] == op_id
        held = self.model[agent]
        applied_at = next((v for v, *_, o in held.history if o == op_id), None)
        if not self.down and applied_at is not None and applied_at < held.version:
            # A retry of an emergency the agent has changed since: nothing changes.
            assert result.metadata["replayed"] is True
            assert result.to_posture is held.posture
            assert result.metadata["durable"] is True
            self.pending = [(o, a) for o, a in self.pending if o != op_id]
            return
        assert "replayed" not in result.metadata
        assert result.to_posture is BLOCKED
        if self.down:
            assert result.metadata["durable"] is False
            assert "not yet durable" in str(result.metadata["durability"])
            self._pend(op_id, agent)
            # BLOCKED here at once, whatever the store says.
            assert self.machine.get_posture(agent) is BLOCKED
            return
        assert result.metadata["durable"] is True
        # The write of this key only: other pending emergencies wait for a refresh.
        self.pending = [(o, a) for o, a in self.pending if o != op_id]
        if op_id not in self.applied:
            self._land(op_id, agent)
            assert result.version == self.model[agent].version

    def _serial(self) -> int:
        self.serial = getattr(self, "serial", 0) + 1
        return self.serial

    @rule(agent=agents, posture=postures)
    def protective_downgrade(self, agent: str, posture: TrustPosture) -> None:
        if not self.down:
            self._before_change(agent)
        result = self.machine.protective_downgrade(agent, posture, reason="breaker opened")
        if self.down:
            # Not storable: lowered all the same, the one way that needs no store.
            assert result is not None
            assert result.to_posture is BLOCKED
            assert result.metadata["durable"] is False
            self.owner[str(result.metadata["op_id"])] = agent
            self.others.add(str(result.metadata["op_id"]))
            self._pend(str(result.metadata["op_id"]), agent)
            return
        held = self.model[agent]
        try:
            self._lifecycle(held.posture).send("protective_downgrade", to=posture.value)
        except TransitionNotAllowed:
            assert result is None
        else:
            assert result is not None
            assert result.protective
            assert result.to_posture is posture
            held.apply(posture, "downgrade")  # stored as the lifecycle's kind, flagged

    @precondition(lambda self: not self.down and not self.pending)
    @rule(
        agent=agents,
        point=st.sampled_from(["begun", "written", "committed"]),
        write=st.sampled_from(["emergency", "set_posture"]),
        posture=postures,
    )
    def crash(self, agent: str, point: str, write: str, posture: TrustPosture) -> None:
        op_id = f"crashed-{self._serial()}"
        self.owner[op_id] = agent
        self.crash_at = point
        try:
            if write == "emergency":
                self.machine.emergency_downgrade(agent, reason="incident", op_id=op_id)
            else:
                self.machine.set_posture(agent, posture, requester_id="ops")
        except Crash:
            pass
        else:
            raise AssertionError("the crash point was never reached")
        if point == "committed":  # committed, though its caller never heard so
            if write == "emergency":
                self._land(op_id, agent)
            else:
                held = self.model[agent]
                held.apply(posture, KIND[held.posture.value, posture.value])
        elif write == "emergency":
            self.unapplied.add(op_id)
        # SIGKILL: no close, no flush; the OS closes the connection (the uncommitted
        # transaction was rolled back with it).
        assert self.store is not None
        self.store.close()
        self.machine = self._start()

    @rule()
    def restart(self) -> None:
        assert self.store is not None
        self.store.close()
        self.machine = self._start()

    @rule()
    def store_down(self) -> None:
        self.down = True

    @rule()
    def store_up(self) -> None:
        self.down = False

    @rule(fraction=st.sampled_from([0.25, 0.5, 1.0, 1.5]))
    def tick(self, fraction: float) -> None:
        self.clock.advance(DELTA * fraction)

    @rule()
    def refresh(self) -> None:
        assert self.machine.durable is not None
        began = self.clock.monotonic()
        answered = self.machine.durable.refresh()
        assert answered is not self.down
        if answered:
            self._flush()
            self.fresh_until = max(self.fresh_until, began + DELTA)
            self.synced = True

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def reads_follow_the_model_and_fail_closed(self) -> None:
        if not hasattr(self, "machine"):
            return
        durable = self.machine.durable
        assert durable is not None
        fresh = self.clock.monotonic() < self.fresh_until
        for agent, held in self.model.items():
            expected = held.posture if fresh and not self._pinned(agent) else BLOCKED
            assert self.machine.get_posture(agent) is expected, agent
            status = durable.posture_status(agent)
            assert status.fresh is fresh
            if not fresh:
                assert status.posture is BLOCKED
                assert f"posture unknown for {DELTA:g} s or more" in status.reason
            if self.synced:
                assert self.machine.version(agent) == held.version

    @invariant()
    def another_process_reads_the_model(self) -> None:
        if not hasattr(self, "observer"):
            return
        for agent, held in self.model.items():
            row = self.observer.read_posture(agent)
            history = self.observer.history(agent)
            stored = [
                (
                    e.version,
                    e.from_posture,
                    e.to_posture,
                    e.kind,
                    e.op_id if e.kind == EMERGENCY else None,
                )
                for e in history
            ]
            assert stored == held.history, agent
            ops = [e.op_id for e in history if e.kind == EMERGENCY]
            assert len(ops) == len(set(ops)), f"an emergency of {agent} was applied twice"
            # The stored posture is what its history explains: replayed from the default
            # through the model, every entry is a move it allows, and the last is the row.
            replay = PostureLifecycle(require_upgrade_approval=False)
            for entry in history:
                replay.send(
                    entry.kind,
                    agent_id=agent,
                    requester_id="replay",
                    to=entry.to_posture.value,
                    guards_approve=True,
                )
            if row is None:
                assert not history
            else:
                assert (row.posture.value, row.version) == (replay.posture, len(history))
        assert self.applied.isdisjoint(self.unapplied)


# Each step commits (and fsyncs) a write: fewer steps than the default keep it quick.
DurableAgainstModel.TestCase.settings = settings(
    DurableAgainstModel.TestCase.settings, stateful_step_count=25
)
TestDurableAgainstModel = DurableAgainstModel.TestCase
