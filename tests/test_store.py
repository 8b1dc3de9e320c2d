"""The store contract, on every engine: memory, an SQLite file, a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trust import TrustPosture
from trust.store import (
    SCHEMA_VERSION,
    AuditRecord,
    BreakerRow,
    HistoryEntry,
    PostureWrite,
    StoreCorruptError,
    StoreError,
    StoreSchemaError,
    StoreUnavailableError,
    StoreURLError,
    TrustStore,
    open_store,
    resolve_store,
)
from trust.store._open import redacted

AT = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrustStore]:
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'trust.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = open_store(url)
    yield opened
    opened.close()


def change(
    agent: str,
    to: TrustPosture,
    frm: TrustPosture = TrustPosture.SUPERVISED,
    op_id: str | None = None,
    kind: str = "upgrade",
) -> HistoryEntry:
    return HistoryEntry(
        agent_id=agent, from_posture=frm, to_posture=to, kind=kind, reason="r", at=AT, op_id=op_id
    )


def emergency(agent: str, op_id: str) -> HistoryEntry:
    return change(agent, TrustPosture.BLOCKED, op_id=op_id, kind="emergency_downgrade")


def test_a_transition_commits_the_change_and_its_history_together(store: TrustStore) -> None:
    written = store.transition(change("a", TrustPosture.ASSISTED), expected_version=0)
    assert written.committed
    assert written.row is not None
    assert (written.row.posture, written.row.version) == (TrustPosture.ASSISTED, 1)
    assert [(e.version, e.to_posture) for e in store.history("a")] == [(1, TrustPosture.ASSISTED)]
    assert store.read_posture("a") == written.row
    assert store.read_posture("never") is None


def test_a_stale_version_is_refused_and_writes_nothing(store: TrustStore) -> None:
    store.transition(change("a", TrustPosture.ASSISTED), expected_version=0)
    for stale in (0, 2, 7):
        written = store.transition(
            change("a", TrustPosture.FULL_AUTONOMY, TrustPosture.ASSISTED), expected_version=stale
        )
        assert not written
        assert written.row is not None
        assert (written.row.posture, written.row.version) == (TrustPosture.ASSISTED, 1)
    assert len(store.history("a")) == 1


def test_history_is_bounded_to_the_newest_entries(store: TrustStore) -> None:
    postures = [TrustPosture.ASSISTED, TrustPosture.SUPERVISED] * 5
    for version, posture in enumerate(postures):
        assert store.transition(change("a", posture), expected_version=version, history_limit=3)
    kept = store.history("a")
    assert [e.version for e in kept] == [8, 9, 10]
    assert [e.version for e in store.history("a", limit=2)] == [9, 10]


def test_an_emergency_is_unconditional_and_idempotent(store: TrustStore) -> None:
    store.transition(change("a", TrustPosture.ASSISTED), expected_version=0)
    first = store.emergency(emergency("a", "op-1"))
    assert first.row is not None
    assert (first.row.posture, first.row.version) == (TrustPosture.BLOCKED, 2)
    assert first.entry is not None
    assert first.entry.from_posture is TrustPosture.ASSISTED  # what it displaced, as stored
    retried = store.emergency(emergency("a", "op-1"))
    assert retried.entry == first.entry
    assert retried.row == first.row
    assert len(store.history("a")) == 2
    # A new emergency is applied again and bumps the version: in-flight upgrades go stale.
    again = store.emergency(emergency("a", "op-2"))
    assert again.row is not None
    assert again.row.version == 3
    assert not store.transition(change("a", TrustPosture.SUPERVISED), expected_version=2)


def test_an_emergency_on_a_never_written_agent_starts_its_row(store: TrustStore) -> None:
    written = store.emergency(emergency("fresh", "op-1"))
    assert written.row is not None
    assert (written.row.posture, written.row.version) == (TrustPosture.BLOCKED, 1)


def test_an_emergency_needs_an_idempotency_key(store: TrustStore) -> None:
    with pytest.raises(ValueError, match="op_id"):
        store.emergency(change("a", TrustPosture.BLOCKED))


def test_a_transition_with_an_applied_op_id_is_not_applied_twice(store: TrustStore) -> None:
    first = store.transition(change("a", TrustPosture.ASSISTED, op_id="t-1"), expected_version=0)
    again = store.transition(change("a", TrustPosture.ASSISTED, op_id="t-1"), expected_version=0)
    assert again.committed
    assert again.entry == first.entry
    assert len(store.history("a")) == 1


def test_changes_since_reports_what_other_writers_changed(store: TrustStore) -> None:
    epoch, rows = store.changes_since(0)
    assert (epoch, rows) == (0, [])
    store.transition(change("a", TrustPosture.ASSISTED), expected_version=0)
    store.emergency(emergency("b", "op-1"))
    epoch, rows = store.changes_since(0)
    assert epoch == 2
    assert [(r.agent_id, r.posture) for r in rows] == [
        ("a", TrustPosture.ASSISTED),
        ("b", TrustPosture.BLOCKED),
    ]
    assert store.changes_since(epoch) == (2, [])
    store.transition(change("a", TrustPosture.SUPERVISED), expected_version=1)
    assert [r.agent_id for r in store.changes_since(epoch)[1]] == ["a"]


def opened(generation: int, posture: TrustPosture | None = TrustPosture.ASSISTED) -> BreakerRow:
    return BreakerRow(
        key="a",
        state="open",
        generation=generation,
        opened_at=1000.5,
        displaced_posture=posture,
        displaced_version=1 if posture else None,
    )


def test_the_breaker_row_is_compare_and_set_on_its_generation(store: TrustStore) -> None:
    assert store.read_breaker("a") is None
    assert store.write_breaker(opened(1), expected_generation=0)
    assert store.read_breaker("a") == opened(1)
    assert not store.write_breaker(opened(2), expected_generation=0)  # stale
    closed = BreakerRow(key="a", state="closed", generation=2)
    assert store.write_breaker(closed, expected_generation=1)
    assert store.read_breaker("a") == closed
    with pytest.raises(ValueError, match="greater than expected_generation"):
        store.write_breaker(closed, expected_generation=2)


def test_a_trip_writes_the_breaker_and_the_displaced_posture_together(store: TrustStore) -> None:
    store.transition(change("a", TrustPosture.ASSISTED), expected_version=0)
    protective = change("a", TrustPosture.SUPERVISED, TrustPosture.ASSISTED, kind="protective")
    # The posture moved meanwhile (stale version): neither row is written.
    assert not store.write_breaker(
        opened(1), expected_generation=0, posture=PostureWrite(expected_version=0, entry=protective)
    )
    assert store.read_breaker("a") is None
    assert len(store.history("a")) == 1
    assert store.write_breaker(
        opened(1), expected_generation=0, posture=PostureWrite(expected_version=1, entry=protective)
    )
    row = store.read_posture("a")
    assert row is not None
    assert (row.posture, row.version) == (TrustPosture.SUPERVISED, 2)


def test_probe_leases_bound_probes_and_expire(store: TrustStore) -> None:
    take = {"generation": 3, "max_calls": 2, "ttl": 10.0}
    assert store.acquire_probe("a", holder="p1", now=100.0, **take) == 0  # type: ignore[arg-type]
    assert store.acquire_probe("a", holder="p2", now=100.0, **take) == 1  # type: ignore[arg-type]
    assert store.acquire_probe("a", holder="p3", now=105.0, **take) is None  # type: ignore[arg-type]
    store.release_probe("a", generation=3, slot=0, holder="someone-else")  # not its lease
    assert store.acquire_probe("a", holder="p3", now=105.0, **take) is None  # type: ignore[arg-type]
    store.release_probe("a", generation=3, slot=0, holder="p1")
    assert store.acquire_probe("a", holder="p3", now=105.0, **take) == 0  # type: ignore[arg-type]
    # A holder that crashed: its lease expires.
    assert store.acquire_probe("a", holder="p4", now=110.0, **take) == 1  # type: ignore[arg-type]
    # A new generation frees the old one's slots.
    newer = {**take, "generation": 4}
    assert store.acquire_probe("a", holder="p5", now=111.0, **newer) == 0  # type: ignore[arg-type]


def chain(store: TrustStore, n: int) -> list[AuditRecord]:
    return [
        store.append_audit(
            lambda seq, prev, i=i: AuditRecord(
                sequence=seq, previous_hash=prev, hash=f"h{i}", payload=f'{{"i":{i}}}'
            )
        )
        for i in range(n)
    ]


def test_audit_records_chain_from_the_stored_head(store: TrustStore) -> None:
    assert store.audit_head() == (0, "0" * 64)
    records = chain(store, 3)
    assert [(r.sequence, r.previous_hash) for r in records] == [
        (0, "0" * 64),
        (1, "h0"),
        (2, "h1"),
    ]
    assert store.audit_head() == (3, "h2")
    assert store.audit_records() == records
    assert store.audit_records(start=1, limit=1) == records[1:2]


def test_an_audit_builder_must_link_to_the_head(store: TrustStore) -> None:
    with pytest.raises(ValueError, match="linked to"):
        store.append_audit(
            lambda seq, prev: AuditRecord(
                sequence=seq + 5, previous_hash=prev, hash="x", payload="{}"
            )
        )
    assert store.audit_head() == (0, "0" * 64)


def test_stored_audit_rows_cannot_be_updated_or_deleted(tmp_path: Path) -> None:
    path = tmp_path / "trust.db"
    with open_store(f"sqlite:///{path}") as store:
        chain(store, 2)
    raw = sqlite3.connect(path)
    for statement in ("UPDATE trust_audit SET payload = '{}'", "DELETE FROM trust_audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(statement)
    raw.close()


def test_postgres_audit_rows_cannot_be_updated_or_deleted(postgres_url: str) -> None:
    import psycopg

    with open_store(postgres_url) as store:
        chain(store, 2)
    with psycopg.connect(postgres_url, autocommit=True) as raw:
        for statement in ("UPDATE trust_audit SET payload = '{}'", "DELETE FROM trust_audit"):
            with pytest.raises(psycopg.Error, match="append-only"):
                raw.execute(statement)


def test_a_store_written_by_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trust.db"
    open_store(f"sqlite:///{path}").close()
    raw = sqlite3.connect(path)
    raw.execute(
        "UPDATE trust_meta SET value = ? WHERE name = 'schema_version'", (str(SCHEMA_VERSION + 1),)
    )
    raw.commit()
    raw.close()
    with pytest.raises(StoreSchemaError, match=r"schema version 2, newer .* upgrade care-trust"):
        open_store(f"sqlite:///{path}")


def test_reopening_a_store_keeps_its_state(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    with open_store(url) as store:
        store.emergency(emergency("a", "op-1"))
    with open_store(url) as store:
        row = store.read_posture("a")
        assert row is not None
        assert row.posture is TrustPosture.BLOCKED


def test_a_locked_sqlite_store_is_unavailable_within_its_timeout(tmp_path: Path) -> None:
    path = tmp_path / "trust.db"
    store = open_store(f"sqlite:///{path}", timeout=0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    with pytest.raises(StoreUnavailableError, match="database is locked"):
        store.emergency(emergency("a", "op-1"))
    holder.execute("ROLLBACK")
    # The retry (same key) goes through once the lock is free.
    assert store.emergency(emergency("a", "op-1")).committed
    holder.close()
    store.close()


def test_an_unreachable_postgres_is_unavailable_not_hung() -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreUnavailableError, match="cannot connect to the store"):
        open_store(f"postgresql://u:secret@127.0.0.1:{port}/db", timeout=1)


def test_a_postgres_store_that_goes_down_is_unavailable_and_recovers(postgres_url: str) -> None:
    import psycopg

    store = open_store(postgres_url)
    store.transition(change("a", TrustPosture.ASSISTED), expected_version=0)
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # cut every other session
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises(StoreUnavailableError):
        store.read_posture("a")
    row = store.read_posture("a")  # reconnected
    assert row is not None
    assert row.version == 1
    store.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://h/db", "store must be memory://"),
        ("sqlite://", "store must be sqlite:///"),
        ("sqlite:///", "store must be sqlite:///"),
        ("postgres:/nohost", "store must be memory://"),
    ],
)
def test_a_bad_url_is_refused_with_the_url(url: str, message: str) -> None:
    with pytest.raises(StoreURLError, match=message):
        open_store(url)


def test_a_url_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(TypeError, match="store must be a URL string"):
        open_store(b"sqlite:///x.db")  # type: ignore[arg-type]


def test_messages_never_show_the_password() -> None:
    with pytest.raises(StoreURLError) as raised:
        open_store("mysql://user:hunter2@host/db")
    assert "hunter2" not in str(raised.value)
    assert "user:***@host" in str(raised.value)


def test_a_closed_store_refuses_every_operation(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'trust.db'}")
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.read_posture("a")


def test_a_file_that_is_not_a_store_is_an_error_not_an_outage(tmp_path: Path) -> None:
    path = tmp_path / "trust.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="file is not a database") as raised:
        open_store(f"sqlite:///{path}")
    assert not isinstance(raised.value, StoreUnavailableError)


def test_the_sqlite_store_is_durable_and_shared(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'trust.db'}")
    connection = store._connected()  # type: ignore[attr-defined]
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert connection.execute("PRAGMA busy_timeout").fetchone() == (5000,)
    store.close()


def test_an_exception_of_the_callers_own_commits_nothing(tmp_path: Path) -> None:
    armed = False

    def fault(point: str) -> None:
        if armed and point == "written":
            raise RuntimeError("planted")

    store = open_store(f"sqlite:///{tmp_path / 'trust.db'}", fault=fault)
    armed = True
    with pytest.raises(RuntimeError, match="planted"):
        store.emergency(emergency("a", "op-1"))
    armed = False
    assert store.read_posture("a") is None
    store.close()


def test_a_transaction_that_loses_a_race_runs_again(postgres_url: str) -> None:
    import psycopg

    losses = [psycopg.errors.SerializationFailure("lost"), psycopg.errors.UniqueViolation("dup")]

    def fault(point: str) -> None:
        if point == "written" and armed and losses:
            raise losses.pop()

    armed = False
    store = open_store(postgres_url, fault=fault)
    armed = True
    written = store.emergency(emergency("a", "op-1"))
    assert not losses  # both losses happened, and the third run committed
    assert written.row is not None
    assert written.row.version == 1
    assert len(store.history("a")) == 1
    store.close()


def test_postgres_errors_are_classified() -> None:
    import psycopg

    from trust.store._engine import Failure
    from trust.store._postgres import _classify

    assert _classify(psycopg.errors.DeadlockDetected()) is Failure.RETRY
    assert _classify(psycopg.errors.QueryCanceled()) is Failure.UNAVAILABLE  # statement timeout
    assert _classify(psycopg.errors.LockNotAvailable()) is Failure.UNAVAILABLE  # lock timeout
    assert _classify(psycopg.InterfaceError()) is Failure.UNAVAILABLE
    assert _classify(psycopg.errors.RaiseException()) is Failure.ERROR
    assert _classify(RuntimeError()) is None


def test_without_psycopg_a_postgres_url_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StoreError, match=r"pip install 'care-trust\[postgres\]'"):
        open_store("postgresql://h/db")


def test_values_of_the_wrong_type_are_refused(store: TrustStore) -> None:
    with pytest.raises(TypeError, match="entry must be a HistoryEntry"):
        store.transition({"agent_id": "a"}, expected_version=0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="row must be a BreakerRow"):
        store.write_breaker("open", expected_generation=0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="posture must be a PostureWrite"):
        store.write_breaker(opened(1), expected_generation=0, posture="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected_version must be a non-negative integer"):
        store.transition(change("a", TrustPosture.ASSISTED), expected_version=-1)


def test_rows_refuse_malformed_fields() -> None:
    with pytest.raises(TypeError, match="at must be an aware datetime"):
        HistoryEntry(
            agent_id="a",
            from_posture="blocked",
            to_posture="blocked",
            kind="k",
            at=datetime(2025, 1, 1),
        )
    with pytest.raises(TypeError, match="kind must be a string"):
        HistoryEntry(agent_id="a", from_posture="blocked", to_posture="blocked", kind=3, at=AT)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="posture"):
        HistoryEntry(agent_id="a", from_posture="root", to_posture="blocked", kind="k", at=AT)


def test_resolve_store_takes_none_a_store_or_a_url() -> None:
    assert resolve_store(None) is None
    store = open_store("memory://")
    assert resolve_store(store) is store
    opened = resolve_store("memory://")
    assert isinstance(opened, TrustStore)
    assert repr(opened) == "SqliteStore('memory://')"
    opened.close()
    store.close()


def test_a_malformed_url_is_never_echoed_with_its_password() -> None:
    assert redacted("postgresql://u:pw@[::1/db") == "<a malformed URL>"
    assert redacted("postgresql://u:pw@h:5/db") == "postgresql://u:***@h:5/db"
    assert redacted("postgresql://h/db") == "postgresql://h/db"


def test_import_trust_loads_no_database_driver() -> None:
    import subprocess

    code = "import sys, trust, trust.store\nprint(sorted(m for m in sys.modules if 'psycopg' in m))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_malformed_row_is_reported_as_a_corrupt_store(tmp_path: Path) -> None:
    path = tmp_path / "trust.db"
    with open_store(f"sqlite:///{path}") as store:
        store.transition(change("a", TrustPosture.ASSISTED), expected_version=0)
    raw = sqlite3.connect(path)
    raw.execute("UPDATE trust_postures SET posture = 'root' WHERE agent_id = 'a'")
    raw.commit()
    raw.close()
    with open_store(f"sqlite:///{path}") as store:
        with pytest.raises(StoreCorruptError, match=r"malformed trust_postures row .*'root'"):
            store.read_posture("a")
        with pytest.raises(StoreCorruptError):
            store.changes_since(0)


def test_a_postgres_store_written_by_a_newer_schema_is_refused(postgres_url: str) -> None:
    import psycopg

    open_store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as raw:
        raw.execute("UPDATE trust_meta SET value = '9' WHERE name = 'schema_version'")
    with pytest.raises(StoreSchemaError, match=r"schema version 9, newer .* upgrade care-trust"):
        open_store(postgres_url)
