"""What the posture machine keeps: each agent's posture, version and history, bounded.

An agent whose posture changed has an `AgentRecord`, never dropped (it holds a posture
that must not fall back to the default), with a history capped at ``history_limit``
entries. Every other agent shares one `Unrecorded` state (the default posture and a
machine-wide version) and costs nothing but a bounded read-cache slot; what is asked of
it (refusals, and requests that kept its posture) goes to one machine-wide store of at
most `REFUSAL_ONLY_LIMIT` entries, the agent refused least recently forgotten first,
and moves into its history if its posture ever changes.

Nothing here is thread-safe: the machine calls it with its lock held. Nothing here
decides anything either: where an entry goes and what it changes are the core's
`trust.postures._core.Effects`.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Iterable
from operator import attrgetter
from typing import ClassVar

from trust.postures._core import Effects
from trust.postures._posture import TrustPosture
from trust.postures._transition import TransitionResult

REFUSAL_ONLY_LIMIT = 1024
"""How many history entries a machine keeps, in all, for agents whose posture never changed.

Those are refusals, and requests that kept the posture as it was (MAINTAIN, or
`PostureStateMachine.set_posture` to the default posture).
"""

# How many never-seen agents `PostureStateMachine.get_posture` remembers at the default.
UNSEEN_LIMIT = 1024

_BY_SEQUENCE = attrgetter("sequence")


class AgentRecord:
    """What the machine keeps about one agent once its posture has changed."""

    __slots__ = ("history", "posture", "version")
    recorded: ClassVar[bool] = True

    def __init__(self, posture: TrustPosture, version: int, history_limit: int) -> None:
        self.posture = posture
        self.version = version
        self.history: deque[TransitionResult] = deque(maxlen=history_limit)


class Unrecorded:
    """The state every agent without a record shares: the default posture, one version.

    The version grows when an administrative or emergency request keeps such an agent's
    posture (there is no record to count it in, so it counts for all of them), so that a
    transition checked before it is refused; a record starts from it, so no agent's
    version ever goes back.
    """

    __slots__ = ("posture", "version")
    recorded: ClassVar[bool] = False

    def __init__(self, posture: TrustPosture) -> None:
        self.posture = posture
        self.version = 0


Held = AgentRecord | Unrecorded
"""An agent's state as the core reads it: ``posture``, ``version`` and ``recorded``."""


class PostureStore:
    """The per-agent records, the read cache and the bounded store of refusals."""

    __slots__ = (
        "_history_limit",
        "_refused",
        "_refused_entries",
        "_unseen",
        "reads",
        "records",
        "sequence",
        "unrecorded",
    )

    def __init__(self, default: TrustPosture, history_limit: int) -> None:
        self._history_limit = history_limit
        self.records: dict[str, AgentRecord] = {}
        self.unrecorded = Unrecorded(default)
        # What get_posture reads: every recorded agent, plus the latest agents read but
        # never seen, at the default posture (the keys of `_unseen`, oldest first,
        # bounded), so that reading them needs no KeyError.
        self.reads: dict[str, TrustPosture] = {}
        self._unseen: dict[str, None] = {}
        # Entries of agents without a record, least recently refused first; at most
        # REFUSAL_ONLY_LIMIT in all (`_refused_entries`), so that requests for ever new
        # ids cannot grow the machine.
        self._refused: dict[str, deque[TransitionResult]] = {}
        self._refused_entries = 0
        self.sequence = 0
        """The ``sequence`` of the latest entry recorded (0: none yet)."""

    def held(self, agent_id: str) -> Held:
        """The agent's state: its record, or the state shared by agents without one."""
        return self.records.get(agent_id, self.unrecorded)

    def read_unseen(self, agent_id: str) -> TrustPosture:
        """The posture of an agent `reads` does not hold; remembered for the next read."""
        record = self.records.get(agent_id)
        if record is not None:  # changed meanwhile
            return record.posture
        unseen = self._unseen
        if len(unseen) >= UNSEEN_LIMIT:
            oldest = next(iter(unseen))
            del unseen[oldest], self.reads[oldest]
        unseen[agent_id] = None
        default = self.unrecorded.posture
        self.reads[agent_id] = default
        return default

    def keep(self, agent_id: str, held: Held, entry: TransitionResult, effects: Effects) -> None:
        """Record ``entry``, the step the core took from ``held``, as ``effects`` say.

        ``entry.sequence`` must be one more than `sequence`: it becomes the latest.
        """
        # The core stamps every entry with its version and sequence (never None here).
        self.sequence = entry.sequence  # type: ignore[assignment]
        if not effects.record:
            self._keep_unrecorded(agent_id, entry)
            if entry.success:
                self.unrecorded.version = entry.version  # type: ignore[assignment]
            return
        record = held if type(held) is AgentRecord else self._new_record(agent_id)
        record.history.append(entry)
        if entry.success:
            record.version = entry.version  # type: ignore[assignment]
            if entry.to_posture is not record.posture:
                record.posture = self.reads[agent_id] = entry.to_posture

    def record(self, agent_id: str) -> AgentRecord:
        """The agent's record, made now (from the shared state) if it has none."""
        record = self.records.get(agent_id)
        return record if record is not None else self._new_record(agent_id)

    def _new_record(self, agent_id: str) -> AgentRecord:
        unrecorded = self.unrecorded
        record = self.records[agent_id] = AgentRecord(
            unrecorded.posture, unrecorded.version, self._history_limit
        )
        self.reads[agent_id] = unrecorded.posture
        self._unseen.pop(agent_id, None)
        refused = self._refused.pop(agent_id, None)
        if refused is not None:  # its entries so far become the start of its history
            self._refused_entries -= len(refused)
            record.history.extend(refused)
        return record

    def _keep_unrecorded(self, agent_id: str, entry: TransitionResult) -> None:
        refused = self._refused
        history = refused.pop(agent_id, None)  # put back last: refused most recently
        if history is None:
            history = deque(maxlen=min(self._history_limit, REFUSAL_ONLY_LIMIT))
        elif len(history) == history.maxlen:
            self._refused_entries -= 1  # the append below drops the oldest
        history.append(entry)
        refused[agent_id] = history
        self._refused_entries += 1
        while self._refused_entries > REFUSAL_ONLY_LIMIT:
            self._refused_entries -= len(refused.pop(next(iter(refused))))

    def history(self, agent_id: str, limit: int | None) -> list[TransitionResult]:
        """The agent's entries, oldest first; the newest ``limit`` when given."""
        record = self.records.get(agent_id)
        kept = record.history if record is not None else self._refused.get(agent_id, ())
        return _newest(kept, limit)

    def every_entry(self, limit: int | None) -> list[TransitionResult]:
        """Every agent's entries, in no order: those that can be among the newest ``limit``.

        Only each agent's newest ``limit`` can be, so no more is copied; `in_order` puts
        them in order (without the machine's lock).
        """
        kept: Iterable[deque[TransitionResult]] = itertools.chain(
            (record.history for record in self.records.values()), self._refused.values()
        )
        if limit is None:
            return list(itertools.chain.from_iterable(kept))
        return list(
            itertools.chain.from_iterable(itertools.islice(reversed(h), limit) for h in kept)
        )


def in_order(entries: list[TransitionResult], limit: int | None) -> list[TransitionResult]:
    """The newest ``limit`` of ``entries`` (all when None), in the order they were recorded."""
    if limit is None:
        return sorted(entries, key=_BY_SEQUENCE)
    return heapq.nlargest(limit, entries, key=_BY_SEQUENCE)[::-1]


def _newest(history: Iterable[TransitionResult], limit: int | None) -> list[TransitionResult]:
    """The last ``limit`` entries of ``history`` (all of it when ``limit`` is None)."""
    entries = list(history)
    if limit is None:
        return entries
    # Never a negative start: a limit above the length returns every entry.
    return entries[max(len(entries) - limit, 0) :]
