"""The audit trail: snapshots, hash chaining, tamper evidence, bounds and sinks."""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
import threading
from pathlib import Path

import attrs
import pytest

from tests.fakes import FakeClock
from tests.hostile import LyingStr
from trust import TrustPosture
from trust.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditLog,
    AuditOutcome,
    snapshot,
    verify_audit_chain,
)


def fill(log: AuditLog, n: int, agent: str = "a") -> list[AuditEntry]:
    return [
        log.record(
            agent_id=agent,
            posture=TrustPosture.SUPERVISED,
            action="run",
            kwargs={"step": i},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=1.5,
            result={"value": i},
            run_id=i,
        )
        for i in range(n)
    ]


def test_entries_chain_from_genesis() -> None:
    log = AuditLog(clock=FakeClock())
    entries = fill(log, 5)
    assert entries[0].previous_hash == GENESIS_HASH
    assert all(b.previous_hash == a.hash for a, b in itertools.pairwise(entries))
    assert log.head_hash == entries[-1].hash
    verdict = verify_audit_chain(entries, anchor=GENESIS_HASH)
    assert verdict
    assert verdict.entries == 5


def test_an_edit_is_detected() -> None:
    entries = fill(AuditLog(), 4)
    for field, value in [
        ("kwargs", {"step": 99}),
        ("outcome", AuditOutcome.REFUSED),
        ("result", {"value": -1}),
        ("posture", TrustPosture.FULL_AUTONOMY),
        ("error", "hidden"),
    ]:
        edited = list(entries)
        edited[2] = attrs.evolve(edited[2], **{field: value})
        verdict = verify_audit_chain(edited)
        assert not verdict
        assert verdict.broken_at == 2
        assert "edited" in verdict.reason


def test_an_edit_that_recomputes_its_own_hash_breaks_the_next_link() -> None:
    entries = fill(AuditLog(), 4)
    forged = attrs.evolve(entries[1], kwargs={"step": 42})
    forged = attrs.evolve(forged, hash=forged.computed_hash())
    verdict = verify_audit_chain([entries[0], forged, *entries[2:]])
    assert (verdict.valid, verdict.broken_at) == (False, 2)


def test_in_place_mutation_is_detected() -> None:
    entries = fill(AuditLog(), 2)
    entries[0].kwargs["step"] = 7  # type: ignore[index]
    assert not verify_audit_chain(entries)


def test_deletion_and_insertion_are_detected() -> None:
    entries = fill(AuditLog(), 5)
    deleted = verify_audit_chain([*entries[:2], *entries[3:]])
    assert (deleted.valid, deleted.broken_at) == (False, 2)
    other = fill(AuditLog(), 3)
    inserted = verify_audit_chain([*entries[:2], other[2], *entries[2:]])
    assert not inserted.valid
    reordered = verify_audit_chain([entries[1], entries[0]])
    assert not reordered.valid


def test_anchor_detects_a_dropped_head() -> None:
    entries = fill(AuditLog(), 3)
    assert not verify_audit_chain(entries[1:], anchor=GENESIS_HASH)
    assert verify_audit_chain(entries[1:], anchor=entries[0].hash)


def test_log_is_bounded_and_stays_verifiable() -> None:
    log = AuditLog(max_entries=3)
    fill(log, 10)
    kept = log.entries()
    assert [e.sequence for e in kept] == [7, 8, 9]
    assert len(log) == 3
    assert verify_audit_chain(kept)


def test_snapshots_are_json_safe_and_bounded() -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "<opaque>"

    snap = snapshot(
        {"n": math.nan, "o": Opaque(), "s": {3, 1}, "t": (1, "x"), 2: "k", "big": "x" * 20_000}
    )
    assert snap["n"] == "nan"
    assert snap["o"] == "<opaque>"
    assert snap["s"] == [1, 3]
    assert snap["t"] == [1, "x"]
    assert snap["2"] == "k"
    assert snap["big"].endswith("(20000 chars)")
    json.dumps(snap, allow_nan=False)


def test_callable_sink_receives_every_entry_and_failures_are_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    received: list[AuditEntry] = []
    fill(AuditLog(sink=received.append), 3)
    assert [e.sequence for e in received] == [0, 1, 2]

    def broken(entry: AuditEntry) -> None:
        raise OSError("disk full")

    log = AuditLog(sink=broken)
    with caplog.at_level(logging.ERROR, logger="trust.audit"):
        fill(log, 2)
    assert log.sink_failures == 2
    assert len(log) == 2  # nothing is lost in memory
    assert "disk full" in caplog.text


def test_json_lines_sink(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    entries = fill(AuditLog(sink=path), 3)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["hash"] for line in lines] == [e.hash for e in entries]
    assert json.loads(lines[1])["kwargs"] == {"step": 1}


def test_sequences_stay_total_under_threads() -> None:
    log = AuditLog(max_entries=10_000)
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        barrier.wait()
        fill(log, 200, agent=f"agent-{n}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = log.entries()
    assert [e.sequence for e in entries] == list(range(1600))
    assert verify_audit_chain(entries, anchor=GENESIS_HASH)
    assert len(log.entries("agent-3")) == 200


def test_bad_configuration() -> None:
    with pytest.raises(ValueError, match="max_entries must be a positive integer, got 0"):
        AuditLog(max_entries=0)
    with pytest.raises(ValueError, match="sink must be a callable or a file path"):
        AuditLog(sink=42)  # type: ignore[arg-type]


# --- what a plain chain cannot show alone, and what a head or a key adds ------------------


def rechain(entries: list[AuditEntry], edit: int, key: bytes | None = None) -> list[AuditEntry]:
    """An editor's forgery: entry ``edit`` rewritten, every hash after it recomputed."""
    forged, previous = [], entries[0].previous_hash
    for entry in entries:
        if entry.sequence == entries[edit].sequence:
            entry = attrs.evolve(entry, outcome=AuditOutcome.EXECUTED, kwargs={"q": "other"})
        entry = attrs.evolve(entry, previous_hash=previous, hash="")
        entry = attrs.evolve(entry, hash=entry.computed_hash(key))
        forged.append(entry)
        previous = entry.hash
    return forged


def refused_in_the_middle(log: AuditLog) -> list[AuditEntry]:
    for i in range(3):
        log.record(
            agent_id="a1",
            posture=TrustPosture.SUPERVISED,
            action="run",
            kwargs={"q": i},
            outcome=AuditOutcome.REFUSED if i == 1 else AuditOutcome.EXECUTED,
            duration_ms=1.0,
        )
    return log.entries()


def test_an_edit_rechained_after_it_is_caught_against_the_head() -> None:
    # The review's case: refused -> executed, the rest re-chained. Without a head kept
    # elsewhere the forgery is a valid chain: a plain SHA-256 chain has no secret.
    log = AuditLog()
    forged = rechain(refused_in_the_middle(log), edit=1)
    assert verify_audit_chain(forged, anchor=GENESIS_HASH)
    verdict = verify_audit_chain(forged, anchor=GENESIS_HASH, head=log.head_hash)
    assert (verdict.valid, verdict.broken_at) == (False, 2)
    assert "not the expected head" in verdict.reason
    assert verify_audit_chain(log.entries(), anchor=GENESIS_HASH, head=log.head_hash)


def test_entries_cut_from_the_end_are_caught_against_the_head() -> None:
    log = AuditLog()
    entries = fill(log, 4)
    assert verify_audit_chain(entries[:3], anchor=GENESIS_HASH)
    assert not verify_audit_chain(entries[:3], anchor=GENESIS_HASH, head=log.head_hash)
    emptied = verify_audit_chain([], anchor=GENESIS_HASH, head=log.head_hash)
    assert (emptied.valid, emptied.entries) == (False, 0)
    assert "no entries" in emptied.reason
    assert verify_audit_chain([], head=GENESIS_HASH)  # an empty log's head


def test_a_keyed_chain_cannot_be_rechained_without_the_key() -> None:
    key = b"k" * 32
    log = AuditLog(key=key)
    entries = refused_in_the_middle(log)
    assert verify_audit_chain(entries, anchor=GENESIS_HASH, key=key)
    assert log.verify()
    for forged in (rechain(entries, 1), rechain(entries, 1, key=b"x" * 32)):
        verdict = verify_audit_chain(forged, anchor=GENESIS_HASH, key=key)
        assert (verdict.valid, verdict.broken_at) == (False, 0)
        assert "edited" in verdict.reason
    # The key's holder can re-chain: the key must be kept apart from the entries.
    assert verify_audit_chain(rechain(entries, 1, key=key), anchor=GENESIS_HASH, key=key)
    assert not verify_audit_chain(entries)  # verified without its key, nothing matches


def test_the_log_verifies_its_kept_entries_against_its_own_head() -> None:
    log = AuditLog(max_entries=3)
    entries = fill(log, 5)
    assert log.verify()
    entries[-1].kwargs["step"] = 99  # type: ignore[index]  # the snapshot, changed in place
    verdict = log.verify()
    assert (verdict.valid, verdict.broken_at) == (False, 2)


@pytest.mark.parametrize(
    ("key", "error", "message"),
    [
        (b"short", ValueError, "key must be at least 16 bytes (a random secret), got 5 bytes"),
        ("k" * 32, TypeError, "key must be bytes, got a str"),
    ],
)
def test_a_key_is_checked_and_never_quoted(key: object, error: type, message: str) -> None:
    with pytest.raises(error, match=re.escape(message)) as caught:
        AuditLog(key=key)  # type: ignore[arg-type]
    assert str(key) not in str(caught.value)
    with pytest.raises(error, match=re.escape(message)):
        verify_audit_chain([], key=key)  # type: ignore[arg-type]


def test_forged_entries_cannot_lie_about_their_hashes() -> None:
    entries = fill(AuditLog(), 3)
    liar = attrs.evolve(entries[1], hash=LyingStr("anything"), kwargs={"step": 7})
    verdict = verify_audit_chain([entries[0], liar, entries[2]], head=LyingStr("x"))
    assert (verdict.valid, verdict.broken_at) == (False, 1)

    class Forged(AuditEntry):
        def computed_hash(self, key: bytes | None = None) -> str:
            return self.hash

    forged = Forged(**{f.name: getattr(entries[1], f.name) for f in attrs.fields(AuditEntry)})
    with pytest.raises(TypeError, match=r"entries\[1\] must be an AuditEntry"):
        verify_audit_chain([entries[0], forged])
    unhashable = attrs.evolve(entries[0], kwargs={"x": object()})
    verdict = verify_audit_chain([unhashable])
    assert "cannot be hashed" in verdict.reason


# --- the sink -------------------------------------------------------------------------------


class Weird(BaseException):
    """Neither an `Exception` nor a stop request."""


def test_a_sink_raising_any_base_exception_keeps_the_entry_and_is_counted() -> None:
    def broken(entry: AuditEntry) -> None:
        raise Weird("sink")

    log = AuditLog(sink=broken)
    fill(log, 2)  # before: Weird escaped record() after the entry was chained
    assert log.sink_failures == 2
    assert [e.sequence for e in log] == [0, 1]


def test_a_sink_raising_a_stop_request_has_it_raised_after_the_entry() -> None:
    stop = KeyboardInterrupt()

    def interrupted(entry: AuditEntry) -> None:
        raise stop

    log = AuditLog(sink=interrupted)
    with pytest.raises(KeyboardInterrupt) as caught:
        fill(log, 1)
    assert caught.value is stop
    assert (len(log), log.sink_failures) == (1, 1)


def test_malformed_verification_input_is_refused_or_reported() -> None:
    entries = fill(AuditLog(), 3)
    with pytest.raises(TypeError, match="anchor must be a hash string, got 0"):
        verify_audit_chain(entries, anchor=0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="head must be a hash string, got b'None'"):
        verify_audit_chain(entries, head=b"None")  # type: ignore[arg-type]
    wrong = attrs.evolve(entries[1], hash=None)
    assert "wrong type" in verify_audit_chain([entries[0], wrong]).reason
    skipped = attrs.evolve(entries[2], sequence=5, previous_hash=entries[1].hash, hash="")
    skipped = attrs.evolve(skipped, hash=skipped.computed_hash())
    assert verify_audit_chain([*entries[:2], skipped]).reason == "sequence jumps from 1 to 5"
