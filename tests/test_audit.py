"""The audit trail: snapshots, hash chaining, tamper evidence, bounds and sinks."""

from __future__ import annotations

import itertools
import json
import logging
import math
import threading
from pathlib import Path

import attrs
import pytest

from tests.fakes import FakeClock
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
