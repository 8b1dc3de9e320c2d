"""The posture cache: hot reads at most Δ old, BLOCKED past Δ, emergencies held until durable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes import FakeClock
from trust import TrustPosture
from trust.store import (
    HistoryEntry,
    PostureCache,
    PostureRow,
    StoreUnavailableError,
    TrustStore,
    open_store,
)
from trust.store._sql import SqlStore

DELTA = 1.0
AT = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


class Outage(SqlStore):
    """A real SQLite store whose engine can be made unreachable, as a network would."""

    def __init__(self, path: Path) -> None:
        inner = open_store(f"sqlite:///{path}")
        assert isinstance(inner, SqlStore)
        self.__dict__.update(inner.__dict__)
        self.down = False
        self.refreshed = threading.Event()

    def _run(self, work, *, write):  # type: ignore[no-untyped-def]
        if self.down:
            raise StoreUnavailableError(f"cannot reach the store {self.url}: connection refused")
        return super()._run(work, write=write)

    def changes_since(self, epoch: int) -> tuple[int, list[PostureRow]]:
        try:
            return super().changes_since(epoch)
        finally:
            self.refreshed.set()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "trust.db"


@pytest.fixture
def store(path: Path) -> Iterator[Outage]:
    outage = Outage(path)
    yield outage
    outage.close()


@pytest.fixture
def other(path: Path, store: Outage) -> Iterator[TrustStore]:
    """Another process's connection to the same file."""
    opened = open_store(f"sqlite:///{path}")
    yield opened
    opened.close()


def change(
    agent: str, frm: TrustPosture, to: TrustPosture, op_id: str | None = None
) -> HistoryEntry:
    return HistoryEntry(
        agent_id=agent, from_posture=frm, to_posture=to, kind="k", at=AT, op_id=op_id
    )


def test_reads_are_blocked_until_the_first_refresh(store: Outage) -> None:
    cache = PostureCache(store, clock=FakeClock())
    assert cache.get("a") is TrustPosture.BLOCKED
    assert "not been refreshed yet" in cache.read("a").reason
    assert cache.refresh()
    assert cache.get("a") is TrustPosture.SUPERVISED  # the default: no row
    assert cache.read("a").fresh


def test_another_processs_downgrade_is_seen_once_delta_has_passed(
    store: Outage, other: TrustStore
) -> None:
    clock = FakeClock()
    cache = PostureCache(store, clock=clock, freshness=DELTA)
    other.transition(
        change("a", TrustPosture.SUPERVISED, TrustPosture.ASSISTED), expected_version=0
    )
    cache.refresh()
    assert cache.get("a") is TrustPosture.ASSISTED
    assert cache.version("a") == 1
    other.transition(
        change("a", TrustPosture.ASSISTED, TrustPosture.HUMAN_DECIDES), expected_version=1
    )
    clock.advance(DELTA)
    # Past Δ the old, higher posture is never used: BLOCKED, then the downgrade.
    assert cache.get("a") is TrustPosture.BLOCKED
    cache.refresh()
    assert cache.get("a") is TrustPosture.HUMAN_DECIDES


def test_an_unreachable_store_fails_closed_after_delta(store: Outage) -> None:
    clock = FakeClock()
    cache = PostureCache(store, clock=clock, freshness=DELTA)
    cache.refresh()
    store.down = True
    assert not cache.refresh()
    clock.advance(DELTA / 2)
    assert cache.get("a") is TrustPosture.SUPERVISED  # still within Δ of the last answer
    clock.advance(DELTA / 2)
    read = cache.read("a")
    assert read.posture is TrustPosture.BLOCKED
    assert not read.fresh
    assert "connection refused" in read.reason
    assert "BLOCKED until the store answers" in read.reason
    store.down = False
    assert cache.refresh()
    assert cache.get("a") is TrustPosture.SUPERVISED


def test_an_emergency_blocks_at_once_and_is_retried_until_durable(
    store: Outage, other: TrustStore
) -> None:
    clock = FakeClock()
    cache = PostureCache(store, clock=clock)
    cache.refresh()
    store.down = True
    outcome = cache.emergency(change("a", TrustPosture.SUPERVISED, TrustPosture.BLOCKED, "op-1"))
    assert not outcome.durable
    assert "not yet durable" in outcome.reason
    assert cache.get("a") is TrustPosture.BLOCKED  # at once, before anything is stored
    assert cache.flush() == 1
    store.down = False
    # Meanwhile another process upgraded the agent: the pending emergency still wins here.
    other.transition(
        change("a", TrustPosture.SUPERVISED, TrustPosture.ASSISTED), expected_version=0
    )
    assert cache.refresh()
    assert cache.flush() == 0
    assert cache.get("a") is TrustPosture.BLOCKED
    row = other.read_posture("a")
    assert row is not None
    assert (row.posture, row.version) == (TrustPosture.BLOCKED, 2)
    assert [e.op_id for e in other.history("a")] == [None, "op-1"]  # applied once


def test_a_durable_emergency_says_so(store: Outage) -> None:
    cache = PostureCache(store, clock=FakeClock())
    outcome = cache.emergency(change("a", TrustPosture.SUPERVISED, TrustPosture.BLOCKED, "op-1"))
    assert outcome.durable
    assert outcome.row is not None
    assert outcome.row.posture is TrustPosture.BLOCKED
    with pytest.raises(ValueError, match="op_id"):
        cache.emergency(change("a", TrustPosture.SUPERVISED, TrustPosture.BLOCKED))


def test_a_row_older_than_the_one_known_is_ignored(store: Outage) -> None:
    cache = PostureCache(store, clock=FakeClock())
    cache.refresh()
    cache.note(PostureRow(agent_id="a", posture=TrustPosture.HUMAN_DECIDES, version=3))
    cache.note(PostureRow(agent_id="a", posture=TrustPosture.FULL_AUTONOMY, version=2))
    assert cache.get("a") is TrustPosture.HUMAN_DECIDES


def test_the_refresh_thread_keeps_the_cache_fresh(store: Outage, other: TrustStore) -> None:
    cache = PostureCache(store, freshness=60.0)
    cache.start()
    assert store.refreshed.wait(30)
    cache.stop()
    assert cache.get("a") is TrustPosture.SUPERVISED


def test_freshness_must_be_a_positive_number(store: Outage) -> None:
    with pytest.raises(ValueError, match="freshness must be"):
        PostureCache(store, freshness=0)
    assert PostureCache(store).freshness == 1.0


def test_a_corrupt_store_leaves_the_cache_failing_closed(store: Outage, path: Path) -> None:
    import sqlite3

    clock = FakeClock()
    cache = PostureCache(store, clock=clock, freshness=DELTA)
    cache.refresh()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO trust_postures VALUES ('a', 'root', 1, 99)")
    raw.execute("UPDATE trust_counters SET value = 99")
    raw.commit()
    raw.close()
    assert not cache.refresh()
    clock.advance(DELTA)
    read = cache.read("a")
    assert read.posture is TrustPosture.BLOCKED
    assert "malformed trust_postures row" in read.reason


def test_two_pending_emergencies_hold_the_agent_until_both_are_durable(store: Outage) -> None:
    cache = PostureCache(store, clock=FakeClock())
    cache.refresh()
    store.down = True
    cache.emergency(change("a", TrustPosture.SUPERVISED, TrustPosture.BLOCKED, "op-1"))
    cache.emergency(change("a", TrustPosture.SUPERVISED, TrustPosture.BLOCKED, "op-2"))
    cache.emergency(change("a", TrustPosture.SUPERVISED, TrustPosture.BLOCKED, "op-2"))  # retry
    assert cache.flush() == 2
    store.down = False
    assert cache.flush() == 0
    assert [e.op_id for e in store.history("a")] == ["op-1", "op-2"]
    assert cache.get("a") is TrustPosture.BLOCKED


def test_starting_twice_runs_one_refresh_thread(store: Outage) -> None:
    cache = PostureCache(store, freshness=60.0)
    cache.start()
    first = cache._thread  # type: ignore[attr-defined]
    cache.start()
    assert cache._thread is first  # type: ignore[attr-defined]
    cache.stop()
    cache.stop()  # stopping a stopped cache is harmless
