"""µs/op of a `PostureAwareAgent.run` and of the machine's async writes, in memory.

Run: python bench/agent.py   (no timing is asserted anywhere; this only reports)

Each workload is awaited n times inside ONE running loop (the loop's start-up is not
timed); the best of several runs is reported. Everything is in memory: what is measured
is the wrapper's own cost, which a store-backed engine must not add to when it has no
store.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable

from trust import PostureStateMachine, TrustPosture
from trust.audit import AuditLog, AuditOutcome
from trust.posture_agent import PostureAwareAgent
from trust.postures import PostureTransitionRequest

REPEATS = 7


class Base:
    async def run(self, **kwargs: object) -> object:
        return "done"


def best_us_per_op(make: Callable[[], Awaitable[object]], ops: int) -> float:
    """The best of several timed loops of ``await make()``, in microseconds per operation."""

    async def loop() -> float:
        started = time.perf_counter()
        for _ in range(ops):
            await make()
        return time.perf_counter() - started

    best = float("inf")
    for _ in range(REPEATS):
        gc.collect()
        gc.disable()
        try:
            best = min(best, asyncio.run(loop()))
        finally:
            gc.enable()
    return best / ops * 1e6


def main() -> None:
    machine = PostureStateMachine(require_upgrade_approval=False)
    machine.set_posture("agent-001", TrustPosture.SUPERVISED)
    agent = PostureAwareAgent(Base(), "agent-001", machine, audit_log=AuditLog(max_entries=100))
    log = AuditLog(max_entries=100)
    up = PostureTransitionRequest(
        agent_id="agent-002",
        from_posture=TrustPosture.SUPERVISED,
        to_posture=TrustPosture.FULL_AUTONOMY,
    )
    down = PostureTransitionRequest(
        agent_id="agent-002",
        from_posture=TrustPosture.FULL_AUTONOMY,
        to_posture=TrustPosture.SUPERVISED,
    )

    async def run() -> object:
        return await agent.run(task="x")

    async def sync_round_trip() -> None:
        machine.transition(up)
        machine.transition(down)

    async def record() -> object:
        return log.record(
            agent_id="agent-001",
            posture=TrustPosture.SUPERVISED,
            action="run",
            kwargs={"task": "x"},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=1.0,
        )

    rows = [
        ("agent run (SUPERVISED, in memory)", best_us_per_op(run, 20_000)),
        ("transition up + down, sync (awaited loop)", best_us_per_op(sync_round_trip, 20_000)),
        ("AuditLog.record, sync (awaited loop)", best_us_per_op(record, 20_000)),
    ]
    rows.extend(async_rows(machine, log, up, down))
    width = max(len(name) for name, _ in rows)
    print(f"{'workload'.ljust(width)}  µs/op")
    for name, micros in rows:
        print(f"{name.ljust(width)}  {micros:8.3f}")


def async_rows(
    machine: PostureStateMachine,
    log: AuditLog,
    up: PostureTransitionRequest,
    down: PostureTransitionRequest,
) -> list[tuple[str, float]]:
    """The async variants, where this version has them."""
    if not hasattr(machine, "atransition"):
        return []

    async def async_round_trip() -> None:
        await machine.atransition(up)
        await machine.atransition(down)

    async def arecord() -> object:
        return await log.arecord(
            agent_id="agent-001",
            posture=TrustPosture.SUPERVISED,
            action="run",
            kwargs={"task": "x"},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=1.0,
        )

    rows = [("atransition up + down (in memory)", best_us_per_op(async_round_trip, 20_000))]
    if hasattr(log, "arecord"):
        rows.append(("AuditLog.arecord (in memory)", best_us_per_op(arecord, 20_000)))
    return rows


if __name__ == "__main__":
    main()
