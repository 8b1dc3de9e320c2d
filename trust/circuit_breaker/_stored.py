"""The circuit breaker over a trust store: what ``PostureCircuitBreaker(store=...)`` adds.

Each agent's circuit has a row in the store (`trust.store.BreakerRow`): ``open`` or
``closed``, the generation (compare-and-set: every stored change raises it), the
wall-clock time it opened (None: forced open, only a reset releases it) and the posture
the opening displaced with the version it was held at. What this promises:

- A trip writes the OPEN row and the protective downgrade in one transaction
  (`trust.postures._durable.Durable.protect_with_breaker`); a restore writes the CLOSED
  row and the restored posture in one transaction. Both are compare-and-set on the
  row's generation, so two processes' breakers agree: the second trip finds the first's
  generation and adopts the stored OPEN circuit instead of tripping again, and a
  restore commits at most once fleet-wide.
- HALF_OPEN is not stored: it is OPEN once ``recovery_timeout`` has passed since the
  stored opening, in every process. Half-open probes are bounded fleet-wide by lease
  rows (`trust.store.TrustStore.acquire_probe`): at most ``half_open_max_calls`` per
  stored generation, each lease held for ``probe_timeout`` seconds.
- Failure counting stays in memory, per process: each process trips on its own window.
- `StoredCircuits.refresh` (when the breaker is built, then every Δ/4 on a thread,
  unless ``auto_refresh=False``) reads every circuit row stored as open, and the row of
  each circuit this breaker holds open whose row is not: another process's trip or
  close is seen within Δ, and a restarted process starts with every open circuit.
- While the store is down: a trip still lowers the posture (by an emergency downgrade,
  which needs no compare-and-set, and which the breaker never restores: an operator
  lifts it) and the circuit is OPEN here; the row is written once the store answers.
  A probe that cannot get a lease is refused with a reason that names the store; a
  restore is refused (an upgrade needs the store) and the posture stays lowered.

Every method runs with the breaker's lock held (the store I/O too, as the posture
machine holds its lock during its own), except `restore_write`'s caller, the restore.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import TYPE_CHECKING

from trust.circuit_breaker._agents import AgentRecord
from trust.circuit_breaker._core import Circuit, CircuitState
from trust.circuit_breaker._coupling import REQUESTER, Hold
from trust.postures import TransitionResult, TrustPosture
from trust.store import BreakerRow, StoreError, TrustStore

if TYPE_CHECKING:
    from trust.circuit_breaker._breaker import PostureCircuitBreaker
    from trust.postures._durable import Durable

logger = logging.getLogger("trust.circuit_breaker")

_OPEN, _CLOSED = CircuitState.OPEN.value, CircuitState.CLOSED.value
_RACES = 8  # compare-and-set attempts a trip makes before it gives up on the store


class StoredCircuits:
    """The store side of one breaker: rows, leases, adoption and the refresh thread."""

    def __init__(
        self, breaker: PostureCircuitBreaker, durable: Durable, auto_refresh: bool
    ) -> None:
        self._b = breaker
        self._durable = durable
        self._store = durable.store
        self._holder = uuid.uuid4().hex  # this breaker, as the holder of probe leases
        # Set by `trip` for `settle`, within one breaker step (the lock held throughout).
        self._adopted: dict[str, BreakerRow] = {}
        self._forfeit: set[str] = set()
        self._written: dict[str, BreakerRow] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        with breaker._lock:
            breaker._now()
            self._refresh_locked()
        if auto_refresh:
            self._thread = threading.Thread(
                target=self._run, name="trust-breaker-refresh", daemon=True
            )
            self._thread.start()

    @property
    def store(self) -> TrustStore:
        return self._store

    # -- time: rows hold wall-clock seconds, circuits the monotonic clock ---------------

    def _wall(self, monotonic: float) -> float:
        clock = self._b._clock
        return clock.now().timestamp() - (self._b._last_now - monotonic)

    def _monotonic(self, wall: float) -> float:
        return self._b._last_now - (self._b._clock.now().timestamp() - wall)

    def _row(
        self, agent_id: str, circuit: Circuit, hold: Hold | None, generation: int
    ) -> BreakerRow:
        if circuit.state is CircuitState.CLOSED:
            return BreakerRow(key=agent_id, state=_CLOSED, generation=generation)
        opened_at = None
        if not circuit.forced:
            assert circuit.entered_at is not None  # an automatic open has a start
            began = circuit.entered_at
            if circuit.state is CircuitState.HALF_OPEN:
                began -= self._b._config.recovery_timeout
            opened_at = self._wall(began)
        return BreakerRow(
            key=agent_id,
            state=_OPEN,
            generation=generation,
            opened_at=opened_at,
            displaced_posture=None if hold is None else hold.displaced,
            displaced_version=None if hold is None else hold.version,
        )

    def _generation(self, agent_id: str, agent: AgentRecord) -> int:
        if agent.stored is None:
            row = self._store.read_breaker(agent_id)
            agent.stored = 0 if row is None else row.generation
        return agent.stored

    # -- writing ---------------------------------------------------------------------

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
        (`settle` does, once the coupling has run). If the store is down, lowers the
        posture by an emergency downgrade (without ``fallback``: raises `StoreError`);
        the breaker will not restore an emergency.
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
                generation = expected + 1
                # What the coupling will hold (the model's rule): a first trip holds what
                # its downgrade displaced; a reopening keeps the episode's hold, if live.
                kept = agent.hold
                if kept is not None and not self._b._coupling.is_live(agent_id, kept):
                    kept = None
                first = stored is None or stored.state != _OPEN

                def row(
                    result: TransitionResult | None,
                    gen: int = generation,
                    first: bool = first,
                    kept: Hold | None = kept,
                ) -> BreakerRow:
                    hold = _hold(result, None) if first and result is not None else kept
                    return self._row(agent_id, agent.circuit, hold, gen)

                result, written = self._durable.protect_with_breaker(
                    agent_id, posture, reason, requester_id, row, expected
                )
                if written:
                    agent.stored, agent.synced = generation, True
                    self._written[agent_id] = row(result)
                    return result
                stored = self._store.read_breaker(agent_id)  # lost a race: decide again
            raise StoreError(f"the trip lost {_RACES} races in a row in the store")
        except StoreError as error:
            agent.synced = False
            if not fallback:
                raise
            self._forfeit.add(agent_id)
            return self._durable.emergency_downgrade(
                agent_id, f"{reason} (the trip could not be stored: {error})", requester_id
            )

    def settle(self, agent_id: str, agent: AgentRecord, moved: bool, restoring: bool) -> None:
        """After the coupling ran for one breaker move: adopt, forfeit, or write the row.

        ``moved``: the circuit opened or closed. ``restoring``: it closed with a restore
        to come, which writes the CLOSED row with the restored posture (`restore_write`).
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
        elif written is None or _displaced(written) != _displaced(agent.hold):
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
                agent.hold = _hold(result, agent.hold)
                self.settle(agent_id, agent, False, False)
                return
            row = self._row(agent_id, agent.circuit, agent.hold, expected + 1)
            if self._durable.write_breaker(row, expected):
                agent.stored, agent.synced = expected + 1, True
                return
            self._adopt(agent_id, agent, self._store.read_breaker(agent_id))
        except StoreError as error:
            agent.synced = False
            logger.warning("circuit of agent %s not stored yet: %s", agent_id, error)

    def restore_write(self, agent_id: str) -> tuple[BreakerRow, int] | None:
        """The CLOSED row a restore commits with the restored posture, and its generation.

        None when the circuit's row is unknown here: the restore then commits nothing.
        """
        agent = self._b._agents.get(agent_id)
        if agent is None or agent.stored is None or not agent.synced:
            return None
        closed = BreakerRow(key=agent_id, state=_CLOSED, generation=agent.stored + 1)
        return closed, agent.stored

    def restored(self, agent_id: str, write: tuple[BreakerRow, int] | None, ok: bool) -> None:
        """After a restore: note the CLOSED row it wrote, or store the close alone."""
        agent = self._b._agents.get(agent_id)
        if agent is None:
            agent = self._b._agents.get_or_create(agent_id)
        if ok and write is not None:
            if agent.stored == write[1]:
                agent.stored, agent.synced = write[0].generation, True
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
        forced = row.opened_at is None
        began = b._last_now if row.opened_at is None else self._monotonic(row.opened_at)
        agent.circuit = Circuit(
            state=CircuitState.OPEN, generation=generation, entered_at=began, forced=forced
        )
        agent.hold = None
        if row.displaced_posture is not None and row.displaced_version is not None:
            posture = self._store.read_posture(agent_id)
            if posture is not None and posture.version == row.displaced_version:
                agent.hold = Hold(row.displaced_posture, posture.posture, posture.version)
        agent.reason = f"opened: by another process (stored generation {row.generation})"

    def refresh(self) -> bool:
        """Read other processes' trips and closes, store what is not stored yet.

        Returns whether the store answered.
        """
        with self._b._lock:
            self._b._now()
            return self._refresh_locked()

    def _refresh_locked(self) -> bool:
        b = self._b
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
            logger.warning("circuit breaker not refreshed: %s", error)
            return False
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._durable.freshness / 4):
            try:
                self.refresh()
            except Exception:  # a bug must not stop refreshing silently
                logger.exception("circuit breaker refresh failed")

    def close(self) -> None:
        """Stop the refresh thread."""
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            thread.join()


def _hold(result: TransitionResult | None, hold: Hold | None) -> Hold | None:
    """The hold a protective downgrade ``result`` makes; ``hold`` when it lowered nothing."""
    if result is None:
        return hold
    assert result.version is not None  # the machine stamps every entry
    return Hold(result.from_posture, result.to_posture, result.version)


def _displaced(held: BreakerRow | Hold | None) -> tuple[TrustPosture | None, int | None]:
    if held is None:
        return None, None
    if isinstance(held, Hold):
        return held.displaced, held.version
    return held.displaced_posture, held.displaced_version
