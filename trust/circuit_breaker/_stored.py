"""The circuit breaker over a trust store: what ``PostureCircuitBreaker(store=...)`` adds.

Each agent's circuit has a row in the store (`trust.circuit_breaker._rows`), its
generation raised by every stored change; docs/durability.md states the promises.

- A trip writes the OPEN row with the protective downgrade, a restore the CLOSED row
  with the restored posture, each in one transaction, compare-and-set on the generation:
  a second process's trip adopts the stored OPEN circuit, a restore commits at most once.
- Half-open probes hold lease rows (`TrustStore.acquire_probe`): at most
  ``half_open_max_calls`` per stored generation, fleet-wide, each for ``probe_timeout``.
- Failure counting stays in memory, per process.
- `StoredCircuits.refresh` (at start, then every Δ/4 unless ``auto_refresh=False``)
  reads the rows stored open and those of the circuits held open here: another
  process's trip or close is seen within Δ. Past Δ without one, a circuit that reads
  closed here is not vouched for (`stale`): its calls are refused.
- Store down: a trip still lowers the posture (an emergency downgrade, never restored by
  the breaker) and the circuit is OPEN here, its row written once the store answers; a
  probe without a lease and a restore (an upgrade) are refused.

Every method runs with the breaker's lock held (the store I/O too, as the posture
machine holds its lock during its own), except `restore_via`'s caller, the restore.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trust import _validators as check
from trust.circuit_breaker import _rows as rows
from trust.circuit_breaker._agents import AgentRecord
from trust.circuit_breaker._core import Circuit, CircuitState
from trust.circuit_breaker._coupling import REQUESTER, Hold
from trust.circuit_breaker._refreshing import Freshness, Refresher
from trust.postures import PostureTransition, TransitionResult, TrustPosture
from trust.store import BreakerRow, HistoryEntry, PostureRow, PostureWrite, StoreError, TrustStore

if TYPE_CHECKING:
    from trust.postures._durable import Durable

logger = logging.getLogger("trust.circuit_breaker")

_OPEN, _CLOSED = rows.OPEN, rows.CLOSED
_RACES = 8  # compare-and-set attempts a trip makes before it gives up on the store
_EMERGENCY = PostureTransition.EMERGENCY_DOWNGRADE


class _Raced(Exception):
    """The circuit's row moved on in the store meanwhile: decide again from ``row``."""

    def __init__(self, row: BreakerRow | None) -> None:
        super().__init__("the circuit's row changed in the store")
        self.row = row


class StoredCircuits:
    """The store side of one breaker: rows, leases, adoption and the refresh thread."""

    def __init__(
        self,
        breaker: Any,  # the PostureCircuitBreaker (which imports this module)
        durable: Durable,
        auto_refresh: bool,
    ) -> None:
        self._b = breaker
        self._durable = durable
        self._store = durable.store
        self._holder = uuid.uuid4().hex  # this breaker, as the holder of probe leases
        # Set by `trip` for `settle`, within one breaker step (the lock held throughout).
        self._adopted: dict[str, BreakerRow] = {}
        self._forfeit: set[str] = set()
        self._written: dict[str, BreakerRow] = {}
        self._last: BreakerRow | None = None  # the row the latest write committed
        # Past Δ without a refresh, calls on a circuit that reads closed here are refused.
        self._fresh = Freshness(durable.freshness, breaker._clock.monotonic)
        with breaker._lock:
            breaker._now()
            self._refresh_locked()
        self._refresher: Refresher | None = None
        if auto_refresh:
            self._refresher = Refresher(
                self.refresh, durable.freshness / 4, "trust-breaker-refresh"
            )

    @property
    def store(self) -> TrustStore:
        return self._store

    def _times(self) -> tuple[float, float]:
        # The clock's present on both scales; the breaker's lock is held (its _now ran).
        wall: float = self._b._clock.now().timestamp()
        monotonic: float = self._b._last_now
        return wall, monotonic

    def _row(
        self, agent_id: str, circuit: Circuit, hold: Hold | None, generation: int
    ) -> BreakerRow:
        recovery = self._b._config.recovery_timeout
        return rows.row_of(agent_id, circuit, hold, generation, recovery, *self._times())

    def _generation(self, agent_id: str, agent: AgentRecord) -> int:
        if agent.stored is None:
            row = self._store.read_breaker(agent_id)
            agent.stored = 0 if row is None else row.generation
        return agent.stored

    # -- writing ---------------------------------------------------------------------

    def _via(
        self, agent_id: str, row: Callable[[Hold | None], BreakerRow], generation: int
    ) -> Callable[[HistoryEntry, int], str | None]:
        """The commit a trip or a restore hands the posture machine: the posture change
        and the circuit's row, compare-and-set on ``generation``, in one transaction.

        ``row`` is given the hold the change makes (what it displaced, at the version it
        writes). The commit returns None once committed, why not when the posture moved,
        and raises `_Raced` when the circuit's row did.
        """

        def commit(entry: HistoryEntry, expected: int) -> str | None:
            written = row(Hold(entry.from_posture, entry.to_posture, expected + 1))
            change = PostureWrite(expected_version=expected, entry=entry)
            if self._store.write_breaker(written, expected_generation=generation, posture=change):
                self._durable._cache.note(
                    PostureRow(agent_id=agent_id, posture=entry.to_posture, version=expected + 1)
                )
                self._last = written
                return None
            stored = self._store.read_breaker(agent_id)
            if (0 if stored is None else stored.generation) != generation:
                raise _Raced(stored)
            return f"posture changed in the store since version {expected}"

        return commit

    def _trip_row(
        self, agent_id: str, agent: AgentRecord, stored: BreakerRow | None, generation: int
    ) -> Callable[[Hold | None], BreakerRow]:
        # What the coupling will hold (the model's rule): a first trip holds what its
        # downgrade displaced; a reopening keeps the episode's hold, if still live.
        kept = agent.hold
        if kept is not None and not self._b._coupling.is_live(agent_id, kept):
            kept = None
        first = stored is None or stored.state != _OPEN

        def row(made: Hold | None) -> BreakerRow:
            hold = made if first and made is not None else kept
            return self._row(agent_id, agent.circuit, hold, generation)

        return row

    def trip(
        self,
        agent_id: str,
        posture: TrustPosture,
        reason: str,
        requester_id: str | None,
        *,
        fallback: bool = True,
    ) -> TransitionResult | None:
        """The coupling's protect, for a stored circuit: downgrade and OPEN row together.

        If another process's trip got there first, lowers nothing and adopts its row
        (`settle` does, once the coupling has run). If the downgrade cannot be stored, the
        machine BLOCKs the agent by an emergency downgrade instead, which the breaker will
        not restore; so does this if the store cannot be read (without ``fallback``, that
        raises `StoreError`).
        """
        agent = self._b._agents.get(agent_id)
        assert agent is not None  # the breaker steps a record it holds
        try:
            stored = self._store.read_breaker(agent_id)
            for _ in range(_RACES):
                expected = 0 if stored is None else stored.generation
                if stored is not None and stored.state == _OPEN and expected != agent.stored:
                    # Tripped elsewhere (or before a restart): adopt it, trip no second time.
                    self._adopted[agent_id] = stored
                    return None
                row = self._trip_row(agent_id, agent, stored, expected + 1)
                try:
                    via = self._via(agent_id, row, expected)
                    result = self._durable.protect(agent_id, posture, reason, requester_id, via)
                    if result is None:  # it lowered nothing: the row alone
                        alone = self._last = row(None)
                        if not self._store.write_breaker(alone, expected_generation=expected):
                            raise _Raced(self._store.read_breaker(agent_id))
                except _Raced as raced:
                    stored = raced.row  # lost a race: decide again
                    continue
                if result is not None and result.transition_type is _EMERGENCY:
                    # The downgrade could not be stored (the store went down, or another
                    # process moved the posture meanwhile): the machine BLOCKed it instead.
                    agent.synced = False
                    self._forfeit.add(agent_id)
                    return result
                agent.stored, agent.synced = expected + 1, True
                assert self._last is not None  # the write above committed it
                self._written[agent_id] = self._last
                return result
            raise StoreError(f"the trip lost {_RACES} races in a row in the store")
        except StoreError as error:
            agent.synced = False
            if not fallback:
                raise
            self._forfeit.add(agent_id)  # an emergency BLOCKs until an operator lifts it
            return self._durable.emergency_downgrade(
                agent_id, f"{reason} (the trip could not be stored: {error})", requester_id
            )

    def settle(self, agent_id: str, agent: AgentRecord, moved: bool, restoring: bool) -> None:
        """After the coupling ran for one breaker move: adopt, forfeit, or write the row.

        ``moved``: the circuit opened or closed. ``restoring``: it closed with a restore
        to come, which writes the CLOSED row with the restored posture (`restore_via`).
        """
        adopted = self._adopted.pop(agent_id, None)
        written = self._written.pop(agent_id, None)
        if adopted is not None:
            self._adopt(agent_id, agent, adopted)
        elif agent_id in self._forfeit:
            self._forfeit.discard(agent_id)
            agent.hold = None  # an emergency BLOCKs until an operator lifts it
        elif restoring or not moved:
            return
        elif written is None or rows.displaced(written) != rows.displaced(agent.hold):
            # Nothing written yet (a close, a reopening that lowered nothing), or the
            # coupling took over another hold than the one written.
            self.sync(agent_id, agent)

    def sync(self, agent_id: str, agent: AgentRecord) -> None:
        """Store the circuit as it is here; if the store moved on meanwhile, adopt it."""
        try:
            expected = self._generation(agent_id, agent)
            if agent.circuit.state is not CircuitState.CLOSED and not agent.synced:
                # Tripped while the store was down: the trip's own write, now.
                result = self.trip(
                    agent_id,
                    self._b._config.downgrade_on_open,
                    agent.reason,
                    REQUESTER,
                    fallback=False,
                )
                agent.hold = rows.hold_made(result, agent.hold)
                self.settle(agent_id, agent, False, False)
                return
            row = self._row(agent_id, agent.circuit, agent.hold, expected + 1)
            if self._store.write_breaker(row, expected_generation=expected):
                agent.stored, agent.synced = expected + 1, True
                return
            self._adopt(agent_id, agent, self._store.read_breaker(agent_id))
        except StoreError as error:
            agent.synced = False
            logger.warning("circuit of agent %s not stored yet: %s", agent_id, error)

    def restore_via(self, agent_id: str) -> Callable[[HistoryEntry, int], str | None]:
        """The commit of a restore: the restored posture with the CLOSED row, or a refusal
        while the circuit's row is not stored here (a restore needs the store)."""
        agent = self._b._agents.get(agent_id)
        if agent is None or agent.stored is None or not agent.synced:
            return lambda entry, expected: "the circuit is not stored yet: no restore until it is"
        closed = BreakerRow(key=agent_id, state=_CLOSED, generation=agent.stored + 1)
        commit = self._via(agent_id, lambda made: closed, agent.stored)

        def restore(entry: HistoryEntry, expected: int) -> str | None:
            try:
                return commit(entry, expected)
            except _Raced:
                return "the circuit changed in the store meanwhile"

        return restore

    def restored(self, agent_id: str, ok: bool) -> None:
        """After a restore: note the CLOSED row it wrote, or store the close alone."""
        agent = self._b._agents.get_or_create(agent_id)
        last = self._last
        if ok and last is not None and last.key == agent_id and last.state == _CLOSED:
            if agent.stored == last.generation - 1:
                agent.stored, agent.synced = last.generation, True
            return
        if agent.circuit.state is CircuitState.CLOSED:
            self.sync(agent_id, agent)

    # -- probes ----------------------------------------------------------------------

    def lease(self, agent_id: str, agent: AgentRecord) -> str | None:
        """Take a fleet-wide probe slot for a half-open circuit; None, or why refused."""
        config = self._b._config
        try:
            if not agent.synced or agent.stored is None:
                self.sync(agent_id, agent)
            if not agent.synced or agent.stored is None:
                return (
                    f"half-open, but the circuit is not stored yet in {self._store.url}: "
                    "no probe until it is"
                )
            slot = self._store.acquire_probe(
                agent_id,
                generation=agent.stored,
                max_calls=config.half_open_max_calls,
                holder=self._holder,
                now=self._b._clock.now().timestamp(),
                ttl=config.probe_timeout,
            )
        except StoreError as error:
            return f"half-open, but no probe lease: {error}"
        if slot is None:
            return (
                f"half-open: all {config.half_open_max_calls} probe slot(s) are taken "
                f"across the fleet (store {self._store.url})"
            )
        return None

    # -- reading other processes' changes --------------------------------------------

    def _adopt(self, agent_id: str, agent: AgentRecord, row: BreakerRow | None) -> None:
        agent.stored, agent.synced = (0 if row is None else row.generation), True
        b = self._b
        b._epoch += 1
        generation = b._epoch
        if row is None or row.state == _CLOSED:
            if agent.circuit.state is not CircuitState.CLOSED:
                agent.circuit = Circuit(generation=generation, entered_at=b._last_now)
                agent.hold = None
                agent.window.clear()
                agent.reason = "closed: by another process"
                b._agents.check_at(b._last_now + b._config.failure_window_seconds, agent_id)
            return
        agent.circuit = rows.circuit_of(row, generation, *self._times())
        agent.reason = f"opened: by another process (stored generation {row.generation})"
        try:
            posture = self._store.read_posture(agent_id)
        except StoreError as error:
            # The circuit is OPEN here all the same. A hold that cannot be checked is
            # forfeited (the posture stays lowered until an operator lifts it): raising
            # here escaped from `record_failure` halfway through a breaker step.
            agent.hold = None
            logger.warning(
                "circuit of agent %s adopted without its hold (no restore): %s", agent_id, error
            )
            return
        agent.hold = rows.hold_of(row, posture)

    def refresh(self) -> bool:
        """Read other processes' trips and closes, store what is not stored yet.

        Returns whether the store answered.
        """
        with self._b._lock:
            self._b._now()
            return self._refresh_locked()

    def stale(self) -> str | None:
        """Why this breaker cannot vouch for a closed circuit now; None while fresh."""
        return self._fresh.stale()

    def _refresh_locked(self) -> bool:
        b = self._b
        began = self._fresh.began()
        try:
            opened = {row.key: row for row in self._store.open_breakers()}
            for agent_id in b._agents.ids():
                agent = b._agents.get(agent_id)
                assert agent is not None  # the lock is held: no record went meanwhile
                if not agent.synced:
                    # Stored now, over the row read above: that row is older, not news.
                    opened.pop(agent_id, None)
                    self.sync(agent_id, agent)
                elif agent_id in opened:
                    continue  # read below
                elif agent.circuit.state is not CircuitState.CLOSED:
                    # Not open in the store: closed by another process, or never stored.
                    row = self._store.read_breaker(agent_id)
                    if row is not None and row.generation > (agent.stored or 0):
                        self._adopt(agent_id, agent, row)
                if agent.synced and b._agents.get(agent_id) is agent:
                    b._agents.forget_if_idle(agent_id, agent, b._last_now)
            for agent_id, row in opened.items():
                agent = b._agents.get(agent_id)
                if agent is None:
                    agent = b._agents.get_or_create(agent_id)
                elif not agent.synced or row.generation <= (agent.stored or 0):
                    continue
                self._adopt(agent_id, agent, row)
        except StoreError as error:
            self._fresh.failed(str(error))
            logger.warning("circuit breaker not refreshed: %s", error)
            return False
        except Exception as error:  # a bug: raised, but refusals say why they refuse
            self._fresh.failed(f"the last refresh failed: {check.shown(error)}")
            raise
        self._fresh.succeeded(began)
        return True

    def close(self) -> None:
        """Stop the refresh thread."""
        refresher, self._refresher = self._refresher, None
        if refresher is not None:
            refresher.close()
