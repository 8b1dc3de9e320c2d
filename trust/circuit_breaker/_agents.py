"""What the breaker keeps per agent, and how it forgets idle agents in bounded memory."""

from __future__ import annotations

from collections import deque

from trust.circuit_breaker._admission import CLOSED_REASON
from trust.circuit_breaker._core import Circuit, CircuitState
from trust.circuit_breaker._coupling import Hold
from trust.circuit_breaker._failures import FailureWindow


class AgentRecord:
    """One agent's circuit, failure window and posture hold, while there is any to keep."""

    __slots__ = ("circuit", "hold", "reason", "stored", "synced", "window")

    def __init__(self, circuit: Circuit, span: float) -> None:
        self.circuit = circuit
        self.window = FailureWindow(span)
        self.hold: Hold | None = None
        self.reason = CLOSED_REASON
        # With a store (`trust.circuit_breaker._stored`): the generation of the stored row
        # as last seen (None: not read yet), and whether the state here is stored.
        self.stored: int | None = None
        self.synced = True


class AgentTable:
    """The records of the agents that have state; the caller holds the breaker's lock.

    Memory stays bounded: an agent whose circuit is CLOSED, whose window is empty and that
    has been closed for a whole window holds nothing. Each counted failure and each close
    queues a check for the moment the agent may become idle; the queue is in time order
    (the breaker's time never goes back and the window has one length), so `sweep` pops
    from the left and drops idle agents in O(1) amortised time, even agents nobody asks
    about again.

    Fencing across a drop: generations come from one breaker-wide counter, and a fresh
    record starts at `floor`, the newest generation of any dropped record. An outcome
    admitted before an agent's last close therefore never passes as current after its
    record is dropped. Keeping the record for a window after a close means the floor only
    passes a *current* admission's generation when that admission is more than a window
    old.
    """

    __slots__ = ("_expiries", "_records", "_span", "floor")

    def __init__(self, span: float) -> None:
        self._span = span
        self._records: dict[str, AgentRecord] = {}
        self._expiries: deque[tuple[float, str]] = deque()
        self.floor = 0

    def get(self, agent_id: object) -> AgentRecord | None:
        """The agent's record, or None for an idle agent (or anything but an exact str).

        A str subclass never reaches the dict: its __hash__ and __eq__ could find another
        agent's record, or raise. The caller refuses it (`trust._validators.identifier`).
        """
        return self._records.get(agent_id) if type(agent_id) is str else None

    def get_or_create(self, agent_id: str) -> AgentRecord:
        record = self._records.get(agent_id)
        if record is None:
            record = self._records[agent_id] = self.blank()
        return record

    def blank(self) -> AgentRecord:
        """A record for an idle agent: closed, empty, at the floor generation."""
        return AgentRecord(Circuit(generation=self.floor), self._span)

    def check_at(self, at: float, agent_id: str) -> None:
        """Look at the agent again at monotonic time ``at`` (no earlier than the last)."""
        self._expiries.append((at, agent_id))

    def forget_if_idle(self, agent_id: str, record: AgentRecord, now: float) -> None:
        if self._idle(record, now):
            self.floor = max(self.floor, record.circuit.generation)
            del self._records[agent_id]

    def sweep(self, now: float) -> None:
        """Forget every agent that has become idle by ``now``."""
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            agent_id = expiries.popleft()[1]
            record = self._records.get(agent_id)
            if record is not None:
                self.forget_if_idle(agent_id, record, now)

    def ids(self) -> list[str]:
        """The agents that have state."""
        return list(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def _idle(self, record: AgentRecord, now: float) -> bool:
        circuit = record.circuit
        if circuit.state is not CircuitState.CLOSED or not record.synced:
            return False
        record.window.prune(now)
        if len(record.window):
            return False
        return circuit.entered_at is None or now >= circuit.entered_at + self._span
