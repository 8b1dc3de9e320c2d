"""A trust store over an SQL engine: the operations, written once for every engine.

The statements are plain SQL that SQLite and PostgreSQL both accept, with ``?`` for
parameters; each operation is one transaction of `trust.store._engine.SqlEngine`.
"""

from __future__ import annotations

import attrs

from trust import _validators as check
from trust._errors import InvalidValueError
from trust.postures._posture import TrustPosture
from trust.store._audit import AuditChain
from trust.store._engine import Cursor, Retry
from trust.store._interface import DEFAULT_HISTORY_LIMIT, TrustStore
from trust.store._records import (
    BreakerRow,
    HistoryEntry,
    PostureRow,
    PostureWrite,
    Written,
)
from trust.store._rows import (
    BREAKER,
    HISTORY,
    POSTURE,
    KeyReused,
    Stale,
    breaker_row,
    breaker_write,
    entry_checked,
    history_entry,
    posture_row,
    stored_count,
)


class SqlStore(AuditChain, TrustStore):
    """The operations of `TrustStore` over one connection of an SQL engine."""

    # -- postures ----------------------------------------------------------------------

    def read_posture(self, agent_id: str) -> PostureRow | None:
        agent_id = check.identifier(agent_id)

        def read(cursor: Cursor) -> PostureRow | None:
            row = self._x(cursor, POSTURE + " WHERE agent_id = ?", (agent_id,)).fetchone()
            return None if row is None else posture_row(row)

        return self._run(read, write=False)

    def changes_since(self, epoch: int) -> tuple[int, list[PostureRow]]:
        epoch = check.non_negative_int(epoch, "epoch")

        def read(cursor: Cursor) -> tuple[int, list[PostureRow]]:
            current = self._epoch(cursor)
            if current == epoch:
                return current, []
            rows = self._x(cursor, POSTURE + " WHERE epoch > ? ORDER BY epoch", (epoch,))
            return current, [posture_row(r) for r in rows.fetchall()]

        return self._run(read, write=False)

    def _applied(self, cursor: Cursor, entry: HistoryEntry) -> HistoryEntry | None:
        """The stored entry ``entry`` retries: the agent's change under the same op_id.

        A key names one change of one agent: under another agent it is another change (an
        incident id used to block several agents blocks each). A retry repeats its call:
        a key this agent already used for a different change (another kind, target,
        reason or requester) raises `KeyReused`: reporting that change as this one's
        commit would tell the caller a change it did not make is stored.
        """
        if entry.op_id is None:
            return None
        row = self._x(
            cursor, HISTORY + " WHERE agent_id = ? AND op_id = ?", (entry.agent_id, entry.op_id)
        ).fetchone()
        if row is None:
            return None
        applied = history_entry(row)
        if _call(applied) != _call(entry):
            raise KeyReused(applied)
        return applied

    def _epoch(self, cursor: Cursor) -> int:
        found = self._x(cursor, "SELECT value FROM trust_counters WHERE name = 'epoch'")
        return stored_count(found.fetchone(), "trust_counters 'epoch'")

    def _next_epoch(self, cursor: Cursor) -> int:
        self._x(cursor, "UPDATE trust_counters SET value = value + 1 WHERE name = 'epoch'")
        return self._epoch(cursor)

    def _record(
        self, cursor: Cursor, entry: HistoryEntry, version: int, limit: int
    ) -> HistoryEntry:
        stored = attrs.evolve(entry, version=version)
        self._x(
            cursor,
            "INSERT INTO trust_history (agent_id, version, from_posture, to_posture, kind, "
            "reason, requester_id, at, op_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.agent_id,
                version,
                entry.from_posture.value,
                entry.to_posture.value,
                entry.kind,
                entry.reason,
                entry.requester_id,
                entry.at.isoformat(),
                entry.op_id,
                entry.detail,
            ),
        )
        # Versions rise by one per entry, so this keeps exactly the newest ``limit``.
        self._x(
            cursor,
            "DELETE FROM trust_history WHERE agent_id = ? AND version <= ?",
            (entry.agent_id, version - limit),
        )
        return stored

    def _cas(self, cursor: Cursor, entry: HistoryEntry, expected: int, limit: int) -> Written:
        try:
            applied = self._applied(cursor, entry)
        except KeyReused as reused:
            raise InvalidValueError(
                f"op_id {check.shown(entry.op_id)} was already used for another change of "
                f"agent {check.shown(entry.agent_id)} ({reused.entry.kind} to "
                f"{reused.entry.to_posture.value}, version {reused.entry.version}): "
                "use a new op_id for a new change"
            ) from None
        if applied is not None:
            return Written(committed=True, row=self._row(cursor, entry.agent_id), entry=applied)
        epoch = self._next_epoch(cursor)
        if expected == 0:
            changed = self._x(
                cursor,
                "INSERT INTO trust_postures (agent_id, posture, version, epoch) "
                "VALUES (?, ?, 1, ?) ON CONFLICT (agent_id) DO NOTHING",
                (entry.agent_id, entry.to_posture.value, epoch),
            ).rowcount
        else:
            changed = self._x(
                cursor,
                "UPDATE trust_postures SET posture = ?, version = version + 1, epoch = ? "
                "WHERE agent_id = ? AND version = ?",
                (entry.to_posture.value, epoch, entry.agent_id, expected),
            ).rowcount
        if changed != 1:
            raise Stale(self._row(cursor, entry.agent_id))
        stored = self._record(cursor, entry, expected + 1, limit)
        return Written(committed=True, row=self._row(cursor, entry.agent_id), entry=stored)

    def _row(self, cursor: Cursor, agent_id: str) -> PostureRow | None:
        row = self._x(cursor, POSTURE + " WHERE agent_id = ?", (agent_id,)).fetchone()
        return None if row is None else posture_row(row)

    def transition(
        self,
        entry: HistoryEntry,
        *,
        expected_version: int,
        history_limit: int = DEFAULT_HISTORY_LIMIT,
    ) -> Written:
        entry = entry_checked(entry)
        expected = check.non_negative_int(expected_version, "expected_version")
        limit = check.positive_int(history_limit, "history_limit")
        try:
            return self._run(lambda c: self._cas(c, entry, expected, limit), write=True)
        except Stale as stale:  # rolled back: nothing was written
            return Written(committed=False, row=stale.row)

    def emergency(
        self, entry: HistoryEntry, *, history_limit: int = DEFAULT_HISTORY_LIMIT
    ) -> Written:
        entry = entry_checked(entry)
        if entry.op_id is None:
            raise InvalidValueError(
                "an emergency entry must carry an op_id (its idempotency key), got None"
            )
        if entry.to_posture is not TrustPosture.BLOCKED:
            # Unconditional, so it may only lower: anything else would raise a posture
            # past every compare-and-set.
            raise InvalidValueError(
                f"an emergency entry must go to blocked, got {entry.to_posture.value}"
            )
        limit = check.positive_int(history_limit, "history_limit")

        def write(cursor: Cursor) -> Written:
            keyed = entry
            try:
                applied = self._applied(cursor, entry)
            except KeyReused:
                # Not a retry of this emergency: it is applied all the same (an emergency
                # never fails on its key), unkeyed, as the key is the other change's.
                applied, keyed = None, attrs.evolve(entry, op_id=None)
            if applied is not None:
                return Written(committed=True, row=self._row(cursor, entry.agent_id), entry=applied)
            # The epoch row first, as every posture write takes it: one lock order.
            epoch = self._next_epoch(cursor)
            before = self._x(
                cursor,
                "SELECT posture, version FROM trust_postures WHERE agent_id = ?"
                + self._dialect.for_update,
                (entry.agent_id,),
            ).fetchone()
            if before is None:
                # Another writer may create the row first: then run again, and lock it.
                version = 1
                if (
                    self._x(
                        cursor,
                        "INSERT INTO trust_postures (agent_id, posture, version, epoch) "
                        "VALUES (?, ?, 1, ?) ON CONFLICT (agent_id) DO NOTHING",
                        (entry.agent_id, entry.to_posture.value, epoch),
                    ).rowcount
                    != 1
                ):
                    raise Retry
            else:
                version = stored_count(before[1:], f"trust_postures {entry.agent_id!r}") + 1
                self._x(
                    cursor,
                    "UPDATE trust_postures SET posture = ?, version = ?, epoch = ? "
                    "WHERE agent_id = ?",
                    (entry.to_posture.value, version, epoch, entry.agent_id),
                )
            row = self._row(cursor, entry.agent_id)
            was = None if before is None else _was(before[0])
            held = keyed if was is None else attrs.evolve(keyed, from_posture=was)
            stored = self._record(cursor, held, version, limit)
            return Written(committed=True, row=row, entry=stored)

        return self._run(write, write=True)

    def history(self, agent_id: str, limit: int | None = None) -> list[HistoryEntry]:
        agent_id = check.identifier(agent_id)
        newest = None if limit is None else check.positive_int(limit, "limit")

        def read(cursor: Cursor) -> list[HistoryEntry]:
            if newest is None:
                rows = self._x(
                    cursor, HISTORY + " WHERE agent_id = ? ORDER BY version", (agent_id,)
                )
                return [history_entry(r) for r in rows.fetchall()]
            rows = self._x(
                cursor,
                HISTORY + " WHERE agent_id = ? ORDER BY version DESC LIMIT ?",
                (agent_id, newest),
            )
            return [history_entry(r) for r in reversed(rows.fetchall())]

        return self._run(read, write=False)

    # -- the breaker -------------------------------------------------------------------

    def read_breaker(self, key: str) -> BreakerRow | None:
        key = check.identifier(key, "key")

        def read(cursor: Cursor) -> BreakerRow | None:
            row = self._x(cursor, BREAKER + " WHERE key = ?", (key,)).fetchone()
            return None if row is None else breaker_row(row)

        return self._run(read, write=False)

    def open_breakers(self) -> list[BreakerRow]:
        def read(cursor: Cursor) -> list[BreakerRow]:
            rows = self._x(cursor, BREAKER + " WHERE state <> 'closed' ORDER BY key")
            return [breaker_row(r) for r in rows.fetchall()]

        return self._run(read, write=False)

    def write_breaker(
        self, row: BreakerRow, *, expected_generation: int, posture: PostureWrite | None = None
    ) -> bool:
        expected = breaker_write(row, expected_generation, posture)
        fields = (
            row.state,
            row.generation,
            row.opened_at,
            None if row.displaced_posture is None else row.displaced_posture.value,
            row.displaced_version,
        )

        def write(cursor: Cursor) -> bool:
            if expected == 0:
                changed = self._x(
                    cursor,
                    "INSERT INTO trust_breakers (state, generation, opened_at, "
                    "displaced_posture, displaced_version, key) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    (*fields, row.key),
                ).rowcount
            else:
                changed = self._x(
                    cursor,
                    "UPDATE trust_breakers SET state = ?, generation = ?, opened_at = ?, "
                    "displaced_posture = ?, displaced_version = ? "
                    "WHERE key = ? AND generation = ?",
                    (*fields, row.key, expected),
                ).rowcount
            if changed != 1:
                raise Stale(None)
            if posture is not None:
                self._cas(cursor, posture.entry, posture.expected_version, DEFAULT_HISTORY_LIMIT)
            return True

        try:
            return self._run(write, write=True)
        except Stale:
            return False

    def acquire_probe(
        self, key: str, *, generation: int, max_calls: int, holder: str, now: float, ttl: float
    ) -> int | None:
        key = check.identifier(key, "key")
        generation = check.non_negative_int(generation, "generation")
        slots = check.positive_int(max_calls, "max_calls")
        holder = check.identifier(holder, "holder")
        now = check.finite_number(now, "now")
        ttl = check.positive_finite(ttl, "ttl")

        def write(cursor: Cursor) -> int | None:
            # Only the circuit's own generation probes: a process that missed a change
            # (stale) would probe beside the current generation's holders, and one ahead
            # of it would free their slots while they still probe. The circuit's row is
            # locked, so it cannot change until this commits.
            circuit = self._x(
                cursor,
                "SELECT generation FROM trust_breakers WHERE key = ?" + self._dialect.for_update,
                (key,),
            ).fetchone()
            if circuit is not None and stored_count(circuit, "trust_breakers") != generation:
                return None
            newest = self._x(
                cursor, "SELECT MAX(generation) FROM trust_probes WHERE key = ?", (key,)
            ).fetchone()
            if newest is not None and newest[0] is not None and newest[0] > generation:
                return None
            self._x(
                cursor,
                "DELETE FROM trust_probes WHERE key = ? AND (generation < ? OR expires_at <= ?)",
                (key, generation, now),
            )
            for slot in range(slots):
                taken = self._x(
                    cursor,
                    "INSERT INTO trust_probes (key, generation, slot, holder, expires_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key, generation, slot) DO NOTHING",
                    (key, generation, slot, holder, now + ttl),
                ).rowcount
                if taken == 1:
                    return slot
            return None

        return self._run(write, write=True)

    def release_probe(self, key: str, *, generation: int, slot: int, holder: str) -> None:
        params = (
            check.identifier(key, "key"),
            check.non_negative_int(generation, "generation"),
            check.non_negative_int(slot, "slot"),
            check.identifier(holder, "holder"),
        )
        self._run(
            lambda c: self._x(
                c,
                "DELETE FROM trust_probes WHERE key = ? AND generation = ? AND slot = ? "
                "AND holder = ?",
                params,
            ),
            write=True,
        )


def _was(stored: object) -> TrustPosture | None:
    """The posture an emergency displaces, or None when the row's text names none.

    An emergency overwrites a row it cannot read (BLOCKED over damage fails closed);
    its history entry then keeps the posture the caller saw.
    """
    try:
        return TrustPosture.coerce(stored)
    except (TypeError, ValueError):
        return None


def _call(entry: HistoryEntry) -> tuple[object, ...]:
    """What a retry of ``entry`` repeats (its time and version are the store's)."""
    return (entry.kind, entry.to_posture, entry.reason, entry.requester_id)
