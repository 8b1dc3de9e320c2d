"""The one interface every trust store offers, whatever engine is behind it.

Each operation is one transaction: it commits whole or not at all, and returns only once
it has committed (durably, on engines that promise it). An operation that cannot reach
the store, or gets no answer within the store's timeout, raises `StoreUnavailableError`
and has written nothing that it reports; the engine above fails closed on it.
"""

from __future__ import annotations

import abc
from collections.abc import Callable

from trust.store._records import (
    AuditRecord,
    BreakerRow,
    HistoryEntry,
    PostureRow,
    PostureWrite,
    Written,
)

AuditBuilder = Callable[[int, str], AuditRecord]
"""Builds the next audit record from its sequence and the hash it must link to."""

DEFAULT_HISTORY_LIMIT = 100
"""History entries kept per agent unless a write says otherwise."""


class TrustStore(abc.ABC):
    """Durable trust state: postures with history, breaker rows, probe leases, audit chain.

    Versions start at 0 for an agent never written (it holds the engine's default
    posture); every committed change raises its version by one.
    """

    url: str
    """Where the store is, with any password hidden."""

    # -- postures ----------------------------------------------------------------------

    @abc.abstractmethod
    def read_posture(self, agent_id: str) -> PostureRow | None:
        """The agent's row, or None if it was never written (it is at the default)."""

    @abc.abstractmethod
    def changes_since(self, epoch: int) -> tuple[int, list[PostureRow]]:
        """The store's epoch now, and every row changed after ``epoch``.

        A process that keeps a cache polls this with the epoch it last saw: a cheap way to
        see other processes' changes.
        """

    @abc.abstractmethod
    def transition(
        self, entry: HistoryEntry, *, expected_version: int, history_limit: int = 100
    ) -> Written:
        """Compare-and-set: commit ``entry`` only if the agent is still at ``expected_version``.

        The change and its history entry commit in one transaction; the history keeps the
        newest ``history_limit`` entries. A stale version commits nothing and returns the
        row as it stands (``committed`` false). An entry whose ``op_id`` was already
        applied commits nothing either and returns that entry (``committed`` true).
        """

    @abc.abstractmethod
    def emergency(self, entry: HistoryEntry, *, history_limit: int = 100) -> Written:
        """Unconditionally set the agent to ``entry.to_posture``, at the next version.

        Idempotent by ``entry.op_id`` (required): a retry of an applied emergency
        changes nothing and returns the stored entry, so retrying after an error or a
        crash is always safe.
        """

    @abc.abstractmethod
    def history(self, agent_id: str, limit: int | None = None) -> list[HistoryEntry]:
        """The agent's stored changes, oldest first; the newest ``limit`` when given."""

    # -- the breaker -------------------------------------------------------------------

    @abc.abstractmethod
    def read_breaker(self, key: str) -> BreakerRow | None:
        """The circuit's row, or None if it was never written (CLOSED, generation 0)."""

    @abc.abstractmethod
    def write_breaker(
        self, row: BreakerRow, *, expected_generation: int, posture: PostureWrite | None = None
    ) -> bool:
        """Compare-and-set the circuit's row on its generation, with an optional posture change.

        Commits only if the stored generation is still ``expected_generation`` (0: never
        written) and, when ``posture`` is given, its compare-and-set holds too: a trip that
        displaces a posture, or a restore, commits both or neither. ``row.generation`` must
        be greater than ``expected_generation``.
        """

    @abc.abstractmethod
    def open_breakers(self) -> list[BreakerRow]:
        """Every circuit row not stored as closed, by key: what a breaker starting up (or
        refreshing) must adopt, including circuits that opened without moving a posture."""

    @abc.abstractmethod
    def acquire_probe(
        self, key: str, *, generation: int, max_calls: int, holder: str, now: float, ttl: float
    ) -> int | None:
        """Take one of the ``max_calls`` half-open probe slots of ``generation``, fleet-wide.

        Returns the slot taken, or None when all are held. A slot held past ``ttl``
        seconds (its holder crashed, say) is free again; so are slots of older
        generations. None too when ``generation`` is not the circuit's (its row under the
        same ``key``, once written) or is older than a lease held: a process that missed
        a change never probes beside the current generation, nor frees its slots.
        """

    @abc.abstractmethod
    def release_probe(self, key: str, *, generation: int, slot: int, holder: str) -> None:
        """Give back a probe slot taken by ``holder`` (nothing if it no longer holds it)."""

    # -- the audit chain ---------------------------------------------------------------

    @abc.abstractmethod
    def append_audit(self, build: AuditBuilder) -> AuditRecord:
        """Append the record ``build`` makes from the next sequence and the current head.

        ``build`` runs inside the transaction, so that processes sharing the store form
        one chain; it must be quick and must not touch the store.
        """

    @abc.abstractmethod
    def audit_head(self) -> tuple[int, str]:
        """The next sequence and the hash the next record must link to."""

    @abc.abstractmethod
    def audit_records(self, start: int = 0, limit: int | None = None) -> list[AuditRecord]:
        """The stored records from sequence ``start``, oldest first."""

    # -- lifetime ----------------------------------------------------------------------

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; the store may not be used afterwards."""

    def __enter__(self) -> TrustStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"
