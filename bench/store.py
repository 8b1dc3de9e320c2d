"""Latency of store writes on SQLite and PostgreSQL, and SQLite throughput across processes.

- p50 and p99, in ms, of one compare-and-set transition, one emergency write, one
  breaker-state write and one audit append (`AuditLog.record` on a store-backed log), on
  an SQLite file (WAL, synchronous=FULL) and on a PostgreSQL server (fsync and
  synchronous_commit on, as shipped), each a durable commit;
- a cached read (`PostureCache.get`, what decisions read), in µs;
- 8 spawned processes x 1,000 transitions on one SQLite file (each on its own agent, so
  every one commits): total transitions per second.

PostgreSQL: ``--postgres URL`` uses that database; without it, a throwaway server is
started with the test suite's helper (tests/pgserver.py), if the binaries are there.

Run: python bench/store.py [--ops N] [--postgres URL] [--processes N] [--each N]
(no timing is asserted anywhere; this only reports)
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._stores import postgres, report, timed  # noqa: E402
from trust import TrustPosture  # noqa: E402
from trust.audit import AuditLog, AuditOutcome  # noqa: E402
from trust.store import (  # noqa: E402
    BreakerRow,
    HistoryEntry,
    PostureCache,
    TrustStore,
    open_store,
)

UP, DOWN = TrustPosture.ASSISTED, TrustPosture.SUPERVISED


def entry(agent: str, frm: TrustPosture, to: TrustPosture, **extra: Any) -> HistoryEntry:
    return HistoryEntry(
        agent_id=agent, from_posture=frm, to_posture=to, kind="bench", at=datetime.now(UTC), **extra
    )


WARM_UP = 1_000


def workloads(store: TrustStore, ops: int) -> dict[str, tuple[float, float]]:
    # Warm up first: the first writes to a new file also grow it (and SQLite's WAL), which
    # would make whichever workload runs first look slower than the rest.
    for _ in range(WARM_UP):
        store.emergency(entry("warm-up", DOWN, TrustPosture.BLOCKED, op_id=uuid.uuid4().hex))

    def transition(i: int) -> None:
        frm, to = (DOWN, UP) if i % 2 == 0 else (UP, DOWN)
        assert store.transition(entry("cas", frm, to), expected_version=i)

    def emergency(i: int) -> None:
        store.emergency(entry("emergency", DOWN, TrustPosture.BLOCKED, op_id=uuid.uuid4().hex))

    def breaker(i: int) -> None:
        state = "open" if i % 2 == 0 else "closed"
        row = BreakerRow(key="breaker", state=state, generation=i + 1, opened_at=time.time())
        assert store.write_breaker(row, expected_generation=i)

    log = AuditLog(store=store)

    def audit(i: int) -> None:
        log.record(
            agent_id="audited",
            posture=DOWN,
            action="run",
            kwargs={"i": i},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=1.0,
        )

    return {
        "CAS transition": timed(ops, transition),
        "emergency write": timed(ops, emergency),
        "breaker-state write": timed(ops, breaker),
        "AuditLog.record": timed(ops, audit),
    }


def racer(url: str, agent: str, each: int, barrier: Any, out: Any) -> None:
    store = open_store(url, timeout=60)
    barrier.wait()
    started = time.perf_counter()
    for i in range(each):
        frm, to = (DOWN, UP) if i % 2 == 0 else (UP, DOWN)
        assert store.transition(entry(agent, frm, to), expected_version=i)
    out.put((started, time.perf_counter()))
    store.close()


def throughput(url: str, processes: int, each: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    children = [
        ctx.Process(target=racer, args=(url, f"agent-{n}", each, barrier, out))
        for n in range(processes)
    ]
    for child in children:
        child.start()
    spans = [out.get(timeout=600) for _ in children]
    for child in children:
        child.join()
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    return processes * each / wall


def cached_get_us(store: TrustStore, ops: int = 1_000_000) -> float:
    """µs per `PostureCache.get` of a stored agent on a fresh cache (best of 5)."""
    cache = PostureCache(store, freshness=3600.0)
    cache.refresh()
    get = cache.get
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(ops):
            get("cas")
        best = min(best, time.perf_counter() - started)
    return best / ops * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=500)
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: a throwaway server)")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--each", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        with open_store(f"sqlite:///{folder}/bench.db") as store:
            report("sqlite", workloads(store, args.ops))
            print(f"sqlite      cached get (PostureCache.get): {cached_get_us(store):.3f} µs/op")
        rate = throughput(f"sqlite:///{folder}/shared.db", args.processes, args.each)
        print(
            f"sqlite      {args.processes} processes x {args.each} transitions, one file: "
            f"{rate:,.0f} transitions/s"
        )
    with postgres(args.postgres) as url:
        if url is not None:
            with open_store(url) as store:
                report("postgresql", workloads(store, args.ops))


if __name__ == "__main__":
    main()
