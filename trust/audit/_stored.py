"""The audit chain in a trust store: entries read back, and the stored chain verified.

A store-backed `AuditLog` appends each entry's canonical JSON to the store's append-only
chain, in the transaction that reads the chain's head, so every process sharing the
store extends one chain. Reading an entry back rebuilds it from that JSON; verifying the
stored chain recomputes every hash, link and sequence number, page by page, from
`GENESIS_HASH` to the head the store keeps apart from the rows: an edited row, a deleted
one (inside the chain or at its end) or a row whose columns disagree with its content
breaks it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from trust import _validators as check
from trust._errors import InvalidValueError
from trust.audit._entry import (
    GENESIS_HASH,
    AuditEntry,
    AuditOutcome,
    ChainVerification,
    verify_audit_chain,
)
from trust.postures import TrustPosture
from trust.store import AuditRecord, TrustStore

PAGE = 1_000
"""Records read from the store at a time while verifying: memory stays bounded."""


MAX_PAYLOAD = 1 << 20
"""The longest payload a stored record may have, in chars: an entry's snapshots are bounded
(`trust.audit.MAX_SNAPSHOT_BYTES` each), so anything longer was not written by `AuditLog`."""


class UnreadableRecord(ValueError):
    """A stored record whose payload is not an audit entry's JSON."""


def entry_from_record(record: AuditRecord) -> AuditEntry:
    """The entry ``record`` holds, as it was recorded.

    Raises:
        UnreadableRecord: the payload is not an entry, or disagrees with the record's
            sequence, link or hash columns.
    """
    if len(record.payload) > MAX_PAYLOAD:
        raise UnreadableRecord(
            f"stored record {record.sequence} is not an audit entry: its payload has "
            f"{len(record.payload)} chars, more than any entry's {MAX_PAYLOAD}"
        )
    try:
        data: Any = json.loads(record.payload)
        entry = AuditEntry(
            sequence=data["sequence"],
            agent_id=data["agent_id"],
            posture=TrustPosture(data["posture"]),
            action=data["action"],
            kwargs=data["kwargs"],
            outcome=AuditOutcome(data["outcome"]),
            result=data["result"],
            error=data["error"],
            duration_ms=data["duration_ms"],
            timestamp=datetime.fromisoformat(data["timestamp"]),
            run_id=data["run_id"],
            previous_hash=data["previous_hash"],
            hash=data["hash"],
        )
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        # RecursionError: nesting deep enough to exhaust the parser (a row inserted by hand;
        # the table refuses only updates and deletes) is unreadable, not a crash of verify.
        raise UnreadableRecord(
            f"stored record {record.sequence} is not an audit entry: {check.shown(error)}"
        ) from error
    if (entry.sequence, entry.previous_hash, entry.hash) != (
        record.sequence,
        record.previous_hash,
        record.hash,
    ):
        raise UnreadableRecord(
            f"stored record {record.sequence} was edited: its columns disagree with its content"
        )
    return entry


def stored_entries(store: TrustStore, start: int = 0, limit: int | None = None) -> list[AuditEntry]:
    """The entries stored from sequence ``start``, oldest first."""
    return [entry_from_record(r) for r in store.audit_records(start, limit)]


def verify_stored(
    store: TrustStore | None, key: bytes | None, checkpoint: str | None = None
) -> ChainVerification:
    """Verify the whole stored chain, from `GENESIS_HASH` to the store's head.

    The store keeps its head beside the rows, so whoever can delete rows can move it too:
    a chain cut at its end, head moved back, verifies. ``checkpoint``, a head read
    earlier and kept apart, must still be in the chain: a cut below it shows.
    """
    if store is None:
        # In memory the log checks its own head; a checkpoint has no stored chain to be in.
        raise InvalidValueError(f"checkpoint needs a store, got {check.shown(checkpoint)}")
    if checkpoint is not None and (type(checkpoint) is not str or len(checkpoint) != 64):
        raise InvalidValueError(
            f"checkpoint must be a head_hash (64 hex digits), got {check.shown(checkpoint)}"
        )
    next_sequence, head = store.audit_head()
    anchor = GENESIS_HASH
    checked = 0
    seen = checkpoint is None or checkpoint == GENESIS_HASH
    while True:
        page = store.audit_records(checked, PAGE)
        entries = []
        for index, record in enumerate(page):
            try:
                entries.append(entry_from_record(record))
            except UnreadableRecord as error:
                at = checked + index
                return ChainVerification(
                    valid=False, broken_at=at, reason=str(error), entries=at + 1
                )
        last = len(page) < PAGE
        verdict = verify_audit_chain(entries, anchor=anchor, head=head if last else None, key=key)
        if not verdict:
            at = checked + (verdict.broken_at or 0)
            return ChainVerification(
                valid=False, broken_at=at, reason=verdict.reason, entries=checked + verdict.entries
            )
        seen = seen or any(entry.hash == checkpoint for entry in entries)
        checked += len(entries)
        if last:
            break
        anchor = entries[-1].hash
    if checked != next_sequence:
        return ChainVerification(
            valid=False,
            broken_at=checked,
            reason=f"the store's head is at sequence {next_sequence}, the chain holds "
            f"{checked} entries: entries were deleted",
            entries=checked,
        )
    if not seen:
        return ChainVerification(
            valid=False,
            broken_at=checked,
            reason=f"the checkpoint {checkpoint} is not in the stored chain of {checked} "
            "entries: entries were cut from its end (the stored head moved back with them) "
            "or rewritten",
            entries=checked,
        )
    return ChainVerification(valid=True, entries=checked)
