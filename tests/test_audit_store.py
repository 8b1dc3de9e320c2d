"""A store-backed audit log: the chain survives restarts, is shared, and shows tampering."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import store_workers
from tests.fakes import FakeClock
from tests.test_store_processes import run_children
from trust import TrustPosture
from trust.audit import AuditEntry, AuditLog, AuditOutcome
from trust.store import StoreUnavailableError, open_store

KEY = b"k" * 32


def record(log: AuditLog, i: int, **extra: object) -> AuditEntry:
    return log.record(
        agent_id="a",
        posture=TrustPosture.SUPERVISED,
        action="run",
        kwargs={"step": i, **extra},
        outcome=AuditOutcome.EXECUTED,
        duration_ms=1.25,
        result={"value": i},
        run_id=i,
    )


_opened: list[AuditLog] = []


def stored_log(store: object, **options: object) -> AuditLog:
    """A store-backed log whose store the test closes when it ends."""
    log = AuditLog(store=store, **options)  # type: ignore[arg-type]
    _opened.append(log)
    return log


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    while _opened:
        store = _opened.pop().store
        assert store is not None
        store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


def url(db: Path) -> str:
    return f"sqlite:///{db}"


def tamper(db: Path, *statements: str) -> None:
    """Edit the file as someone with write access would: past the append-only triggers."""
    raw = sqlite3.connect(db)
    raw.execute("DROP TRIGGER trust_audit_no_update")
    raw.execute("DROP TRIGGER trust_audit_no_delete")
    for statement in statements:
        raw.execute(statement)
    raw.commit()
    raw.close()


def test_the_stored_chain_goes_on_and_verifies_after_a_restart(db: Path) -> None:
    first = stored_log(url(db), clock=FakeClock())
    before = [record(first, i) for i in range(3)]
    again = stored_log(url(db), clock=FakeClock())
    after = record(again, 3)
    assert after.sequence == 3
    assert after.previous_hash == before[-1].hash
    verdict = again.verify()
    assert verdict
    assert verdict.entries == 4
    assert again.stored_entries() == [*before, after]


def test_hostile_values_round_trip_through_the_store(db: Path) -> None:
    log = stored_log(url(db), key=KEY)
    record(log, 0, nan=math.nan, big=10**500, text="zé\u200b", nested={"x": [1, (2, 3)]})
    record(log, 1, neg=-0.0, inf=math.inf)
    assert stored_log(url(db), key=KEY).verify()
    assert not stored_log(url(db), key=b"x" * 32).verify()  # the wrong key


def test_processes_sharing_a_store_extend_one_chain(db: Path) -> None:
    run_children(store_workers.audit, [(url(db), 25)] * 3)
    log = stored_log(url(db))
    verdict = log.verify()
    assert verdict
    assert verdict.entries == 75


def test_an_edited_row_is_detected(db: Path) -> None:
    log = stored_log(url(db))
    for i in range(4):
        record(log, i)
    payload = json.loads(log.stored_entries(2, 1)[0].to_json())
    payload["kwargs"] = {"step": 99}
    forged = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    tamper(db, f"UPDATE trust_audit SET payload = '{forged}' WHERE sequence = 2")
    verdict = stored_log(url(db)).verify()
    assert (verdict.valid, verdict.broken_at) == (False, 2)
    assert "edited" in verdict.reason


def test_an_edit_that_rehashes_its_row_breaks_the_next_link(db: Path) -> None:
    log = stored_log(url(db))
    entries = [record(log, i) for i in range(4)]
    import attrs

    forged = attrs.evolve(entries[1], kwargs={"step": 42})
    forged = attrs.evolve(forged, hash=forged.computed_hash())
    tamper(
        db,
        f"UPDATE trust_audit SET payload = '{forged.to_json()}', hash = '{forged.hash}' "
        "WHERE sequence = 1",
    )
    verdict = stored_log(url(db)).verify()
    assert (verdict.valid, verdict.broken_at) == (False, 2)


@pytest.mark.parametrize(("deleted", "broken_at"), [(0, 0), (2, 2), (4, 3)])
def test_a_deleted_row_is_detected(db: Path, deleted: int, broken_at: int) -> None:
    log = stored_log(url(db))
    for i in range(5):
        record(log, i)
    tamper(db, f"DELETE FROM trust_audit WHERE sequence = {deleted}")
    verdict = stored_log(url(db)).verify()
    assert not verdict
    assert verdict.broken_at == broken_at


def test_a_row_whose_columns_disagree_with_its_content_is_detected(db: Path) -> None:
    log = stored_log(url(db))
    for i in range(3):
        record(log, i)
    tamper(db, "UPDATE trust_audit SET previous_hash = 'x' WHERE sequence = 1")
    verdict = stored_log(url(db)).verify()
    assert (verdict.valid, verdict.broken_at) == (False, 1)
    assert "columns disagree" in verdict.reason


def test_an_unreadable_row_is_reported_not_raised(db: Path) -> None:
    log = stored_log(url(db))
    record(log, 0)
    tamper(db, "UPDATE trust_audit SET payload = 'not json' WHERE sequence = 0")
    verdict = stored_log(url(db)).verify()
    assert (verdict.valid, verdict.broken_at) == (False, 0)
    assert "not an audit entry" in verdict.reason


def test_verify_reads_the_chain_in_pages(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trust.audit import _stored

    monkeypatch.setattr(_stored, "PAGE", 2)
    log = stored_log(url(db))
    for i in range(5):
        record(log, i)
    assert log.verify().entries == 5
    tamper(db, "DELETE FROM trust_audit WHERE sequence = 3")
    assert stored_log(url(db)).verify().broken_at == 3
    for i in range(5):
        record(log, i)  # appends go on at the head


def test_an_unreachable_store_refuses_to_record(db: Path) -> None:
    log = stored_log(open_store(url(db), timeout=0.05))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreUnavailableError):
        record(log, 0)
    holder.execute("ROLLBACK")
    holder.close()
    assert len(log) == 0
    assert record(log, 0).sequence == 0  # nothing was half-recorded


def test_a_postgres_chain_survives_a_restart_and_shows_a_deletion(postgres_url: str) -> None:
    import psycopg

    log = stored_log(postgres_url, key=KEY)
    for i in range(3):
        record(log, i)
    again = stored_log(postgres_url, key=KEY)
    assert record(again, 3).sequence == 3
    assert again.verify().entries == 4
    with psycopg.connect(postgres_url, autocommit=True) as raw:
        raw.execute("ALTER TABLE trust_audit DISABLE TRIGGER trust_audit_append_only")
        raw.execute("DELETE FROM trust_audit WHERE sequence = 3")
    verdict = stored_log(postgres_url, key=KEY).verify()
    assert not verdict
    assert "not the expected head" in verdict.reason


def test_a_head_that_disagrees_with_the_rows_is_detected(db: Path) -> None:
    log = stored_log(url(db))
    for i in range(3):
        record(log, i)
    tamper(db, "UPDATE trust_audit_head SET next_sequence = 7")
    verdict = stored_log(url(db)).verify()
    assert not verdict
    assert "head is at sequence 7, the chain holds 3 entries" in verdict.reason


def test_without_a_store_stored_entries_are_the_kept_ones() -> None:
    log = AuditLog()
    entries = [record(log, i) for i in range(4)]
    assert log.store is None
    assert log.stored_entries() == entries
    assert log.stored_entries(1, 2) == entries[1:3]
