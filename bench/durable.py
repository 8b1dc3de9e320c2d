"""Latency through the engine over a durable store: PostureStateMachine and AuditLog.

What bench/store.py measures at the store, measured through the classes users call:

- a cached ``get_posture`` on a store-backed machine, in µs/op (goal: at most 0.5 µs),
  beside the in-memory machine's for reference;
- p50 and p99, in ms, of ``transition`` (an approved upgrade or a downgrade, compare-and-set),
  ``emergency_downgrade`` (returns once durable) and ``AuditLog(store=...).record``, on an
  SQLite file (WAL, synchronous=FULL) and on a PostgreSQL server (fsync on, as shipped);
- 8 spawned processes x 1,000 transitions through their own PostureStateMachine on one
  SQLite file (each on its own agent, so every one commits): total transitions per second.

The machines run as users get them: the posture cache refreshed on its thread every Δ/4.
PostgreSQL: ``--postgres URL`` uses that database; without it, a throwaway server is
started with the test suite's helper (tests/pgserver.py), if the binaries are there.

Run: python bench/durable.py [--ops N] [--postgres URL] [--processes N] [--each N]
(no timing is asserted anywhere; this only reports)
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._stores import postgres, report, timed  # noqa: E402
from trust import PostureStateMachine, TrustPosture  # noqa: E402
from trust.audit import AuditLog, AuditOutcome  # noqa: E402
from trust.postures import PostureTransitionRequest  # noqa: E402
from trust.store import open_store  # noqa: E402

UP, DOWN = TrustPosture.ASSISTED, TrustPosture.SUPERVISED
WARM_UP = 1_000


def flip(agent: str, i: int) -> PostureTransitionRequest:
    """An approved upgrade on even steps, a downgrade back on odd ones."""
    frm, to = (DOWN, UP) if i % 2 == 0 else (UP, DOWN)
    return PostureTransitionRequest(
        agent_id=agent, from_posture=frm, to_posture=to, reason="bench", requester_id="operator"
    )


def workloads(machine: PostureStateMachine, ops: int) -> dict[str, tuple[float, float]]:
    assert machine.durable is not None
    # Warm up first: the first writes to a new file also grow it (and SQLite's WAL).
    for _ in range(WARM_UP):
        machine.emergency_downgrade("warm-up", op_id=uuid.uuid4().hex)

    def transition(i: int) -> None:
        assert machine.transition(flip("cas", i)).success

    def emergency(i: int) -> None:
        assert machine.emergency_downgrade("emergency").metadata["durable"] is True

    log = AuditLog(store=machine.durable.store)

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
        "transition": timed(ops, transition),
        "emergency_downgrade": timed(ops, emergency),
        "AuditLog.record": timed(ops, audit),
    }


def engine(name: str, url: str, ops: int) -> None:
    """Latencies of the writes, then the cached read, on one machine over ``url``."""
    machine = PostureStateMachine(store=url)
    report(name, workloads(machine, ops))
    print(f"{name:<11} get_posture (cached): {get_posture_us(machine, 'cas'):.3f} µs/op")
    assert machine.durable is not None
    machine.durable.close()


def get_posture_us(machine: PostureStateMachine, agent: str, ops: int = 1_000_000) -> float:
    """µs per ``machine.get_posture(agent)`` (best of 5)."""
    get = machine.get_posture
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(ops):
            get(agent)
        best = min(best, time.perf_counter() - started)
    return best / ops * 1e6


def racer(url: str, agent: str, each: int, barrier: Any, out: Any) -> None:
    machine = PostureStateMachine(store=open_store(url, timeout=60))
    barrier.wait()
    started = time.perf_counter()
    for i in range(each):
        assert machine.transition(flip(agent, i)).success
    out.put((started, time.perf_counter()))
    assert machine.durable is not None
    machine.durable.close()


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=500)
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: a throwaway server)")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--each", type=int, default=1_000)
    args = parser.parse_args()
    in_memory = PostureStateMachine()
    in_memory.set_posture("cas", UP)
    print(f"memory      get_posture (no store): {get_posture_us(in_memory, 'cas'):.3f} µs/op")
    with tempfile.TemporaryDirectory() as folder:
        engine("sqlite", f"sqlite:///{folder}/bench.db", args.ops)
        rate = throughput(f"sqlite:///{folder}/shared.db", args.processes, args.each)
        print(
            f"sqlite      {args.processes} processes x {args.each} transitions through "
            f"PostureStateMachine, one file: {rate:,.0f} transitions/s"
        )
    with postgres(args.postgres) as url:
        if url is not None:
            engine("postgresql", url, args.ops)


if __name__ == "__main__":
    main()
