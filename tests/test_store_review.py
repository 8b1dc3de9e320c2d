"""Regression tests for the adversarial review of the trust store (issue 17).

Each test names a defect the review found: a hostile caller or an unlucky operator made
the store fail open, crash with an unrelated exception, or lose what it promised. They
run on a real SQLite file and on a real PostgreSQL server (``postgres_url``); time comes
from a `FakeClock`, nothing sleeps.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes import FakeClock
from trust import TrustPosture
from trust.audit import AuditLog, AuditOutcome
from trust.postures import PostureStateMachine
from trust.postures._durable import Durable
from trust.store import (
    AsyncTrustStore,
    BreakerRow,
    HistoryEntry,
    PostureCache,
    StoreCorruptError,
    StoreError,
    StoreSchemaError,
    StoreUnavailableError,
    StoreURLError,
    TrustStore,
    Written,
    open_store,
)
from trust.store._records import MAX_TEXT
from trust.store._sql import SqlStore

AT = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
BLOCKED, SUPERVISED, FULL = (
    TrustPosture.BLOCKED,
    TrustPosture.SUPERVISED,
    TrustPosture.FULL_AUTONOMY,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trust.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(url: str) -> Iterator[TrustStore]:
    opened = open_store(url)
    yield opened
    opened.close()


def change(
    agent: str,
    to: TrustPosture,
    *,
    op_id: str | None = None,
    kind: str = "upgrade",
    reason: str = "r",
) -> HistoryEntry:
    return HistoryEntry(
        agent_id=agent,
        from_posture=SUPERVISED,
        to_posture=to,
        kind=kind,
        reason=reason,
        at=AT,
        op_id=op_id,
    )


def emergency(agent: str, op_id: str, *, reason: str = "r") -> HistoryEntry:
    return change(agent, BLOCKED, op_id=op_id, kind="emergency_downgrade", reason=reason)


class Outage(SqlStore):
    """A real store that can be made unreachable, as a network."""

    def __init__(self, url: str) -> None:
        inner = open_store(url)
        assert isinstance(inner, SqlStore)
        self.__dict__.update(inner.__dict__)
        self.down = False

    def _run(self, work, *, write):  # type: ignore[no-untyped-def]
        if self.down:
            raise StoreUnavailableError(f"cannot reach the store {self.url}: connection refused")
        return super()._run(work, write=write)


def machine_on(url: str) -> PostureStateMachine:
    return PostureStateMachine(
        store=url, clock=FakeClock(), auto_refresh=False, require_upgrade_approval=False
    )


def durable(machine: PostureStateMachine) -> Durable:
    assert machine.durable is not None
    return machine.durable


# -- idempotency keys ------------------------------------------------------------------


def test_one_op_id_used_to_block_several_agents_blocks_each(url: str) -> None:
    # An incident id as the key for every agent it involves: the second agent was
    # reported durably BLOCKED while it stayed at FULL_AUTONOMY (the key matched the
    # first agent's emergency, so nothing was written and its old row was cached again).
    machine = machine_on(url)
    try:
        for agent in ("a", "b"):
            assert machine.set_posture(agent, FULL).success
        for agent in ("a", "b"):
            result = machine.emergency_downgrade(agent, "incident 42", op_id="incident-42")
            assert result.metadata["durable"] is True
        assert (machine.get_posture("a"), machine.get_posture("b")) == (BLOCKED, BLOCKED)
        for agent in ("a", "b"):
            row = durable(machine).store.read_posture(agent)
            assert row is not None
            assert row.posture is BLOCKED
    finally:
        durable(machine).close()


def test_an_emergency_whose_op_id_named_an_upgrade_still_blocks(store: TrustStore) -> None:
    # The key of the agent's own upgrade, given again to an emergency: it is no retry of
    # that upgrade, and reporting the upgrade as the emergency's commit left it upgraded.
    assert store.transition(change("a", FULL, op_id="k"), expected_version=0)
    written = store.emergency(emergency("a", "k"))
    assert written.committed
    assert written.row is not None
    assert (written.row.posture, written.row.version) == (BLOCKED, 2)
    assert [e.to_posture for e in store.history("a")] == [FULL, BLOCKED]


def test_a_transition_reusing_an_op_id_for_another_change_is_refused(store: TrustStore) -> None:
    # The same key with a higher target than the change it named: not a retry, so not
    # reported as committed; a ValueError that names the key.
    store.emergency(emergency("a", "k"))
    with pytest.raises(ValueError, match="op_id 'k' was already used for another change"):
        store.transition(change("a", FULL, op_id="k"), expected_version=1)
    row = store.read_posture("a")
    assert row is not None
    assert (row.posture, row.version) == (BLOCKED, 1)


def test_an_emergency_entry_above_blocked_is_refused(store: TrustStore) -> None:
    # The unconditional write took any target: an "emergency" to FULL_AUTONOMY raised the
    # posture past every compare-and-set.
    entry = change("a", FULL, op_id="k", kind="emergency_downgrade")
    with pytest.raises(ValueError, match="must go to blocked, got full_autonomy"):
        store.emergency(entry)
    assert store.read_posture("a") is None


def test_the_cache_holds_each_agents_pending_emergency_under_a_shared_op_id(url: str) -> None:
    # Pending emergencies were keyed by op_id alone: with the store down, the second
    # agent's emergency under the same key was never kept, so never written once the
    # store came back (BLOCKED in this process only, and only until its row changed).
    store = Outage(url)
    try:
        cache = PostureCache(store, clock=FakeClock())
        store.down = True
        assert not cache.emergency(emergency("a", "incident")).durable
        assert not cache.emergency(emergency("b", "incident")).durable
        store.down = False
        assert cache.flush() == 0
        assert not cache.pinned("a")
        assert not cache.pinned("b")
        for agent in ("a", "b"):
            row = store.read_posture(agent)
            assert row is not None
            assert row.posture is BLOCKED
    finally:
        store.close()


# -- URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("trust.db?mode=ro", "without a query"),
        ("trust.db#main", "without a query"),
        ("trust\x00.db", "without a query"),
        (":memory:", "use memory://"),
        ("", "not a directory"),
    ],
)
def test_an_sqlite_url_that_names_no_plain_file_is_refused(
    tmp_path: Path, tail: str, message: str
) -> None:
    # Each opened something else than the operator meant: a file named "trust.db?mode=ro"
    # (another process with sqlite:///trust.db shares nothing with it), a private
    # in-memory store for a durable one, an "unavailable" store for a directory.
    url = f"sqlite:///{tmp_path}/{tail}" if tail != ":memory:" else "sqlite:///:memory:"
    with pytest.raises(StoreURLError, match=message):
        open_store(url)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@127.0.0.1:1/db?password=hunter2",
        "postgresql://u@127.0.0.1:1/db?sslmode=disable&PASSWORD=hunter2",
        "postgresql://u@127.0.0.1:1/db?pass%77ord=hunter2",
        "postgresql://u:hunter2@[::1/db",
        "postgresql://u:hunter2@127.0.0.1:1/db?bogus=1",
    ],
)
def test_a_password_in_any_part_of_a_url_is_never_shown(url: str) -> None:
    # A password given as a query parameter was echoed in every error and in repr; libpq's
    # own parse error quoted the whole URL.
    pytest.importorskip("psycopg", reason="the postgresql:// engine needs psycopg")
    with pytest.raises((StoreError, StoreURLError)) as raised:
        open_store(url, timeout=1)
    # What a logged traceback prints: the error, and each cause or unsuppressed context.
    error: BaseException | None = raised.value
    while error is not None:
        assert "hunter2" not in str(error)
        if error.__cause__ is None and error.__suppress_context__:
            break
        error = error.__cause__ or error.__context__


def test_the_urls_own_server_options_are_kept_and_the_timeouts_still_win(
    postgres_url: str,
) -> None:
    # The store's options replaced the URL's: its search_path was dropped (two
    # deployments kept apart by schema shared one store), and a URL could not keep its
    # own settings. Now the URL's come first and the store's timeouts after, so they win.
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("CREATE SCHEMA staging")
    url = f"{postgres_url}?options=-c%20search_path%3Dstaging%20-c%20statement_timeout%3D0"
    store = open_store(url, timeout=2)
    try:
        store.emergency(emergency("a", "k"))
    finally:
        store.close()
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        found = admin.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'trust_postures'"
        ).fetchall()
        assert found == [("staging",)]
    probe = open_store(url, timeout=2)
    assert isinstance(probe, SqlStore)
    try:
        shown = probe._run(lambda c: probe._x(c, "SHOW statement_timeout").fetchone(), write=False)
    finally:
        probe.close()
    assert shown == ("2s",)


# -- rows someone edited ---------------------------------------------------------------


def edit(url: str, statement: str) -> None:
    """Run ``statement`` on the store's database behind its back, as an editor would."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            connection.execute(statement)
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement.encode())


def test_an_emergency_blocks_an_agent_whose_stored_posture_is_unreadable(url: str) -> None:
    # The unconditional write read the old posture to record it and crashed with a
    # ValueError on text it did not know: the agent could not be blocked durably at all.
    with open_store(url) as store:
        store.transition(change("a", FULL), expected_version=0)
    edit(url, "UPDATE trust_postures SET posture = 'root'")
    with open_store(url) as store:
        with pytest.raises(StoreCorruptError, match="trust_postures"):
            store.read_posture("a")
        written = store.emergency(emergency("a", "k"))
        assert written.row is not None
        assert (written.row.posture, written.row.version) == (BLOCKED, 2)
        assert store.history("a")[-1].from_posture is SUPERVISED  # what the caller saw


@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("UPDATE trust_postures SET version = 9223372036854775807", "emergency"),
        ("UPDATE trust_postures SET version = -1", "emergency"),
        ("DELETE FROM trust_counters", "changes_since"),
        ("DELETE FROM trust_counters", "emergency"),
        ("DELETE FROM trust_counters", "transition"),
        ("DELETE FROM trust_audit_head", "audit_head"),
    ],
)
def test_a_damaged_count_or_counter_row_is_a_store_corrupt_error(
    url: str, statement: str, operation: str
) -> None:
    # Each crashed with an unrelated exception (OverflowError binding 2**63, TypeError on
    # a missing row): the engines, which fail closed on a StoreError, let those through.
    with open_store(url) as store:
        store.transition(change("a", FULL), expected_version=0)
    edit(url, statement)
    calls = {
        "emergency": lambda s: s.emergency(emergency("a", "k")),
        "changes_since": lambda s: s.changes_since(0),
        "transition": lambda s: s.transition(change("a", SUPERVISED), expected_version=1),
        "audit_head": lambda s: s.audit_head(),
    }
    with open_store(url) as store, pytest.raises(StoreCorruptError, match=r"malformed|lacks"):
        calls[operation](store)


@pytest.mark.parametrize("value", ["1.5", "1e300"])
def test_a_version_sqlite_kept_as_another_type_is_a_store_corrupt_error(
    tmp_path: Path, value: str
) -> None:
    # SQLite keeps what an editor types into a BIGINT column; int() read 1.5 as version 1.
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    with open_store(url) as store:
        store.transition(change("a", FULL), expected_version=0)
    edit(url, f"UPDATE trust_postures SET version = {value}")
    with open_store(url) as store, pytest.raises(StoreCorruptError, match="trust_postures"):
        store.read_posture("a")


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("DROP TABLE trust_history", "lacks the tables trust_history"),
        ("DELETE FROM trust_meta", "holds trust tables but no schema version"),
    ],
)
def test_a_store_missing_a_table_or_its_schema_row_is_refused_at_open(
    url: str, statement: str, message: str
) -> None:
    # A dropped table opened fine and then read as an outage ("no such table" is an
    # OperationalError) at every write, retried for ever; a deleted schema row made the
    # open re-seed and fail on a duplicate key.
    open_store(url).close()
    edit(url, statement)
    with pytest.raises(StoreSchemaError, match=message):
        open_store(url)


# -- text every engine can keep; a pending emergency never stops the refreshes -----------


@pytest.mark.parametrize("reason", ["lone \ud800 surrogate", "nul \x00 byte"])
def test_an_emergency_with_unstorable_text_is_durable_and_refreshes_go_on(
    url: str, reason: str
) -> None:
    # A lone surrogate (either engine) or a NUL (PostgreSQL) in the reason: the emergency
    # raised UnicodeEncodeError, or was never durable, and the entry left pending made
    # every later refresh raise, so every agent of the process read BLOCKED for good.
    clock = FakeClock()
    machine = PostureStateMachine(store=url, clock=clock, auto_refresh=False)
    try:
        result = machine.emergency_downgrade("a", reason, requester_id=reason)
        assert result.metadata["durable"] is True
        clock.advance(5)
        assert durable(machine).refresh()
        assert machine.get_posture("other") is SUPERVISED
        kept = durable(machine).stored_history("a")[-1]
        assert kept.reason == reason.replace("\ud800", "\\ud800").replace("\x00", "\\u0000")
        assert kept.requester_id == kept.reason
    finally:
        durable(machine).close()


def test_a_huge_reason_is_kept_cut_to_a_bound(store: TrustStore) -> None:
    # Unbounded, each of the newest history_limit entries kept all of it, and every
    # history read loaded all of them.
    store.emergency(emergency("a", "k", reason="x" * 5_000_000))
    (kept,) = store.history("a")
    assert len(kept.reason) == MAX_TEXT
    assert kept.reason.endswith("... (5000000 chars)")


class BuggyStore(SqlStore):
    """A store (a user's own, say) whose emergency write has a bug for one agent."""

    def __init__(self, url: str) -> None:
        inner = open_store(url)
        assert isinstance(inner, SqlStore)
        self.__dict__.update(inner.__dict__)

    def emergency(self, entry: HistoryEntry, *, history_limit: int = 100) -> Written:
        if entry.agent_id == "unlucky":
            raise RuntimeError("a bug in the store")
        return super().emergency(entry, history_limit=history_limit)


def test_an_emergency_write_that_raises_keeps_the_agent_blocked_and_refreshes_going(
    url: str,
) -> None:
    # Only StoreError was caught: anything else reached the caller of the emergency and
    # stayed pending, raised again by every refresh, so every agent went BLOCKED for good.
    store = BuggyStore(url)
    clock = FakeClock()
    cache = PostureCache(store, clock=clock)
    try:
        outcome = cache.emergency(emergency("unlucky", "k"))
        assert not outcome.durable
        assert "RuntimeError('a bug in the store')" in outcome.reason
        clock.advance(5)
        assert cache.refresh()
        assert cache.get("unlucky") is BLOCKED
        assert cache.pinned("unlucky")
        assert cache.get("anyone") is SUPERVISED
    finally:
        store.close()


def test_the_cache_refuses_an_emergency_above_blocked_before_keeping_it(store: TrustStore) -> None:
    # The store refuses it; kept pending, it was refused again by every refresh.
    clock = FakeClock()
    cache = PostureCache(store, clock=clock)
    with pytest.raises(ValueError, match="must go to blocked"):
        cache.emergency(change("a", FULL, op_id="k", kind="emergency_downgrade"))
    assert not cache.pinned("a")
    clock.advance(5)
    assert cache.refresh()
    assert cache.get("a") is SUPERVISED


def test_an_audit_record_with_a_lone_surrogate_is_recorded(url: str) -> None:
    # The action and agent id went unescaped into the hash's UTF-8: UnicodeEncodeError,
    # and the action went unaudited (in memory too).
    for log in (AuditLog(), AuditLog(store=url)):
        entry = log.record(
            agent_id="agent-\ud800",
            posture=SUPERVISED,
            action="run-\udfff",
            kwargs={},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=1.0,
        )
        assert (entry.agent_id, entry.action) == ("agent-\\ud800", "run-\\udfff")
        assert log.verify().valid
        if log.store is not None:
            log.store.close()


# -- the freshness bound -----------------------------------------------------------------


class SteppedClock:
    """A monotonic reading someone can step back: a wall clock passed as monotonic."""

    def __init__(self) -> None:
        self.reading = 1000.0

    def now(self) -> datetime:
        return AT

    def monotonic(self) -> float:
        return self.reading


def test_a_clock_stepped_back_does_not_stretch_the_freshness_bound(store: TrustStore) -> None:
    # Fresh meant "now < last refresh + Δ": a clock stepped back an hour kept the cache
    # fresh for an hour with nothing refreshed, so another process's emergency went
    # unseen (fail open). Fresh now means within [last refresh, last refresh + Δ).
    clock = SteppedClock()
    cache = PostureCache(store, clock=clock, freshness=1.0)
    assert cache.refresh()
    assert cache.get("a") is SUPERVISED
    store.emergency(emergency("a", "elsewhere"))  # another process; not refreshed here
    clock.reading -= 3600.0
    assert cache.get("a") is BLOCKED
    assert not cache.read("a").fresh
    assert cache.refresh()  # a refresh that succeeds makes it fresh again, from now on
    assert cache.get("a") is BLOCKED
    assert cache.read("a").fresh


# -- a server that does not answer -------------------------------------------------------


def test_a_server_that_stops_answering_fails_the_call_within_its_deadline(
    postgres_url: str,
) -> None:
    # The timeouts were the server's own (statement_timeout ...): a server process that
    # does not run answers nothing, and the call waited for ever, holding the store's
    # lock and the posture machine's (an emergency in that process could not even BLOCK
    # locally). A DoS regression test: the call runs on a thread, joined under a budget
    # far above its deadline (3 x 0.5 s + 1 s), so that a regression fails, never hangs.
    store = open_store(postgres_url, timeout=0.5)
    assert isinstance(store, SqlStore)
    backend = store._run(
        lambda c: store._x(c, "SELECT pg_backend_pid()").fetchone()[0], write=False
    )
    outcome: list[BaseException | None] = []

    def call() -> None:
        try:
            store.read_posture("a")
        except BaseException as error:  # the test reports whatever it was
            outcome.append(error)
        else:
            outcome.append(None)

    os.kill(backend, signal.SIGSTOP)
    try:
        worker = threading.Thread(target=call, daemon=True)
        worker.start()
        worker.join(60)
        assert not worker.is_alive(), "the call still waits on a server that does not answer"
    finally:
        os.kill(backend, signal.SIGCONT)
    (error,) = outcome
    assert type(error) is StoreUnavailableError
    assert "did not answer within 2.5 s" in str(error)
    assert store.read_posture("a") is None  # reconnected: the store works again
    store.close()


# -- probe leases ------------------------------------------------------------------------


def test_only_the_circuits_own_generation_takes_probe_slots(store: TrustStore) -> None:
    # A process that missed the circuit's last change (generation 3) took slots beside
    # the two the current generation (4) held: four probes at once for max_calls=2. One
    # ahead of the circuit (99) freed the current holders' slots while they still probed.
    store.write_breaker(BreakerRow(key="a", state="half_open", generation=4), expected_generation=0)
    take = {"max_calls": 2, "ttl": 60.0, "now": 100.0}
    assert store.acquire_probe("a", generation=4, holder="p1", **take) == 0  # type: ignore[arg-type]
    assert store.acquire_probe("a", generation=4, holder="p2", **take) == 1  # type: ignore[arg-type]
    for generation in (3, 99):
        assert store.acquire_probe("a", generation=generation, holder="x", **take) is None  # type: ignore[arg-type]
    store.release_probe("a", generation=4, slot=0, holder="p1")
    assert store.acquire_probe("a", generation=4, holder="p3", **take) == 0  # type: ignore[arg-type]


def test_without_a_circuit_row_an_older_generation_waits_for_the_newer_leases(
    store: TrustStore,
) -> None:
    take = {"max_calls": 1, "ttl": 60.0, "now": 100.0}
    assert store.acquire_probe("b", generation=2, holder="new", **take) == 0  # type: ignore[arg-type]
    assert store.acquire_probe("b", generation=1, holder="old", **take) is None  # type: ignore[arg-type]


# -- the stored audit chain ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "RecursionError"),
        ('"' + "x" * 2_000_000 + '"', "more than any entry's"),
    ],
)
def test_a_hostile_row_appended_by_hand_makes_verify_report_not_crash(
    url: str, payload: str, reason: str
) -> None:
    # The table refuses updates and deletes, not inserts: a row nested deep enough made
    # verify() raise RecursionError instead of reporting the chain broken there.
    log = AuditLog(store=url)
    for _ in range(3):
        log.record(
            agent_id="a",
            posture=SUPERVISED,
            action="run",
            kwargs={},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=1.0,
        )
    assert log.store is not None
    head = log.store.audit_head()[1]
    edit(
        url,
        f"INSERT INTO trust_audit (sequence, previous_hash, hash, payload) "
        f"VALUES (3, '{head}', '{'f' * 64}', '{payload}')",
    )
    verdict = log.verify()
    assert not verdict.valid
    assert verdict.broken_at == 3
    assert reason in (verdict.reason or "")
    log.store.close()


def test_a_chain_cut_at_its_end_with_its_head_moved_back_fails_against_a_checkpoint(
    url: str,
) -> None:
    # The store keeps its head beside the rows: whoever can delete rows (dropping the
    # trigger) can move the head back too, and verify() passed, even for a keyed chain.
    # A checkpoint kept apart must still be in the chain.
    key = b"k" * 16
    log = AuditLog(store=url, key=key)
    for i in range(5):
        log.record(
            agent_id="a",
            posture=SUPERVISED,
            action=f"run-{i}",
            kwargs={},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=1.0,
        )
    checkpoint = log.head_hash
    assert log.verify(checkpoint=checkpoint).valid
    assert log.store is not None
    log.store.close()
    if url.startswith("sqlite:///"):
        edit(url, "DROP TRIGGER trust_audit_no_delete")
    else:
        edit(url, "DROP TRIGGER trust_audit_append_only ON trust_audit")
    edit(url, "DELETE FROM trust_audit WHERE sequence >= 3")
    edit(
        url,
        "UPDATE trust_audit_head SET next_sequence = 3, "
        "head = (SELECT hash FROM trust_audit WHERE sequence = 2)",
    )
    reopened = AuditLog(store=url, key=key)
    assert reopened.verify().valid  # what the store alone can show
    verdict = reopened.verify(checkpoint=checkpoint)
    assert not verdict.valid
    assert "is not in the stored chain of 3 entries" in (verdict.reason or "")
    assert reopened.store is not None
    reopened.store.close()


def test_a_checkpoint_without_a_store_is_refused() -> None:
    with pytest.raises(ValueError, match="checkpoint needs a store"):
        AuditLog().verify(checkpoint="0" * 64)


# -- AsyncTrustStore -------------------------------------------------------------------------


def test_an_async_store_used_after_aclose_raises_a_store_error(store: TrustStore) -> None:
    # Its worker was shut down: every later call raised a bare RuntimeError ("cannot
    # schedule new futures after shutdown"), which callers that fail closed on StoreError
    # let through; a second aclose raised it too.
    async def scenario() -> None:
        wrapped = AsyncTrustStore(store)
        await wrapped.aclose()
        await wrapped.aclose()
        with pytest.raises(StoreError, match="is closed"):
            await wrapped.read_posture("a")

    asyncio.run(scenario())


@pytest.mark.parametrize("timeout", [40_000.0, 3e6, 1e300])
def test_a_timeout_no_engine_can_keep_is_a_configuration_error(url: str, timeout: float) -> None:
    # Linux refuses a keepalive idle time past 32,767 s, PostgreSQL a statement_timeout
    # past 2**31 - 1 ms: the connection failed and the store read as unavailable (retried
    # for ever) instead of misconfigured.
    with pytest.raises(ValueError, match="timeout must be at most 3600 seconds"):
        open_store(url, timeout=timeout)


def test_a_cache_rereads_a_store_restored_from_a_backup(tmp_path: Path) -> None:
    # After a restore the store's epoch and versions went back: the cache, which keeps
    # the newest epoch and version it saw, skipped every later change (an emergency
    # among them) until the store caught up, and read FULL_AUTONOMY as fresh meanwhile.
    path = tmp_path / "trust.db"
    url = f"sqlite:///{path}"
    with open_store(url) as writer:
        writer.transition(change("x", TrustPosture.ASSISTED), expected_version=0)
        with sqlite3.connect(path) as live, sqlite3.connect(tmp_path / "backup.db") as copy:
            live.backup(copy)
        for version in range(1, 6):
            writer.transition(
                change("x", FULL if version % 2 else SUPERVISED), expected_version=version
            )
        writer.transition(change("y", FULL), expected_version=0)  # written after the backup
    reader = open_store(url)
    clock = FakeClock()
    cache = PostureCache(reader, clock=clock)
    try:
        assert cache.refresh()
        assert (cache.get("x"), cache.version("x"), cache.get("y")) == (FULL, 6, FULL)
        with sqlite3.connect(tmp_path / "backup.db") as copy, sqlite3.connect(path) as live:
            copy.backup(live)  # the operator restores last night's backup
        with open_store(url) as other:
            other.emergency(emergency("x", "after-restore"))
        assert cache.refresh()
        assert (cache.get("x"), cache.version("x")) == (BLOCKED, 2)
        assert cache.get("y") is SUPERVISED  # the restored store never wrote it
    finally:
        reader.close()


def test_an_async_change_on_a_closed_machine_fails_closed(tmp_path: Path) -> None:
    # The machine's writer thread was shut down: an awaited emergency raised the
    # executor's bare RuntimeError, which callers failing closed on StoreError let through.
    # Now it fails closed as the synchronous call does on a closed machine.
    machine = machine_on(f"sqlite:///{tmp_path / 'trust.db'}")
    durable(machine).close()

    async def scenario() -> None:
        result = await machine.aemergency_downgrade("a")
        assert result.metadata["durable"] is False
        assert "is closed" in str(result.metadata["durability"])

    asyncio.run(scenario())
