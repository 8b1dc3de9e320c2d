"""µs/op of the circuit breaker hot paths, and the same for the reference implementation.

- ``can_proceed`` on a closed circuit (an idle agent, and an agent with failures counted);
- ``record_failure`` with 10,000 failures in the window (each call ages one out; see
  `Ticks`).

The async methods are timed inside one running event loop; the ``_sync`` variants from
plain code. The reference is loaded by ``_reference.py``, the loader every benchmark
shares (it downloads the wheel on first use); ``compare.py`` times both side by side.

Run: python bench/breaker.py   (no timing is asserted anywhere; this only reports)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import _reference

from trust import PostureStateMachine, TrustPosture
from trust.circuit_breaker import CircuitBreakerConfig, PostureCircuitBreaker

REPEATS = 5
IN_WINDOW = 10_000


def best_us_per_op(run: Callable[[int], float], ops: int) -> float:
    """The best of several runs of ``run(ops)`` (which returns its own seconds), in µs/op."""
    return min(run(ops) for _ in range(REPEATS)) / ops * 1e6


def timed_sync(call: Callable[[], object]) -> Callable[[int], float]:
    def run(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            call()
        return time.perf_counter() - started

    return run


def timed_in_loop(call: Callable[[], Awaitable[object]]) -> Callable[[int], float]:
    """Time ``n`` awaits of ``call()`` inside one running loop (loop start-up excluded)."""

    async def loop(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            await call()
        return time.perf_counter() - started

    return lambda n: asyncio.run(loop(n))


Workload = tuple[str, Callable[[int], float]]


class Ticks:
    """A clock whose monotonic time moves one second per reading.

    With a window of IN_WINDOW seconds, every record_failure then ages one failure out and
    adds one: the window holds exactly IN_WINDOW failures throughout, pruning included.
    """

    def __init__(self) -> None:
        self.seconds = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        self.seconds += 1.0
        return self.seconds


def ours() -> list[Workload]:
    machine = PostureStateMachine()
    machine.set_posture("busy", TrustPosture.FULL_AUTONOMY)
    config = CircuitBreakerConfig(failure_threshold=10**9, failure_window_seconds=IN_WINDOW)
    breaker = PostureCircuitBreaker(machine, config, clock=Ticks())
    breaker.record_failure_sync("counted", "E", "m")
    for _ in range(IN_WINDOW):
        breaker.record_failure_sync("busy", "ConnectionError", "refused", "call", "medium")

    async def fail() -> None:
        await breaker.record_failure("busy", "ConnectionError", "refused", "call", "medium")

    can, sync = breaker.can_proceed, breaker.can_proceed_sync

    def fail_sync() -> None:
        breaker.record_failure_sync("busy", "ConnectionError", "refused", "call", "medium")

    window = f"{IN_WINDOW:,} in window"
    return [
        ("can_proceed, closed (idle agent)", timed_in_loop(lambda: breaker.can_proceed("idle"))),
        ("can_proceed, closed (failures counted)", timed_in_loop(lambda: can("counted"))),
        ("can_proceed_sync, closed (idle agent)", timed_sync(lambda: sync("idle"))),
        (f"record_failure, {window}", timed_in_loop(fail)),
        (f"record_failure_sync, {window}", timed_sync(fail_sync)),
    ]


def reference() -> list[Workload]:
    loaded = _reference.load()
    ref, postures = loaded.circuit_breaker, loaded.postures
    machine = postures.PostureStateMachine()
    config = ref.CircuitBreakerConfig(failure_threshold=10**9, failure_window_seconds=3600)
    breaker = ref.PostureCircuitBreaker(machine, config)

    async def preload() -> None:
        for _ in range(IN_WINDOW):
            await breaker.record_failure("busy", "ConnectionError", "refused", "call", "medium")

    asyncio.run(preload())

    async def fail() -> None:
        await breaker.record_failure("busy", "ConnectionError", "refused", "call", "medium")

    return [
        ("reference can_proceed, closed", timed_in_loop(lambda: breaker.can_proceed("idle"))),
        (f"reference record_failure, {IN_WINDOW:,} in window", timed_in_loop(fail)),
    ]


# Operations per timed run: the reference's record_failure is O(window), so fewer of it.
OPS = {"record_failure": 20_000, "reference record_failure": 200}


def main() -> None:
    rows = ours() + reference()
    width = max(len(name) for name, _ in rows)
    print(f"{'workload'.ljust(width)}  µs/op")
    for name, run in rows:
        ops = next((n for prefix, n in OPS.items() if name.startswith(prefix)), 100_000)
        print(f"{name.ljust(width)}  {best_us_per_op(run, ops):9.3f}")


if __name__ == "__main__":
    main()
