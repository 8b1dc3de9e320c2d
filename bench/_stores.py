"""What the durability benches share: p50/p99 timing, and a PostgreSQL server to time.

Used by bench/store.py, bench/durable.py and bench/breaker_store.py.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 of ``samples`` (seconds), in ms."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1e3, cuts[98] * 1e3


def timed(ops: int, call: Callable[[int], object]) -> tuple[float, float]:
    """p50 and p99, in ms, of ``call(i)`` for i in range(ops)."""
    samples = []
    for i in range(ops):
        started = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def report(engine: str, results: dict[str, tuple[float, float]]) -> None:
    for name, (p50, p99) in results.items():
        print(f"{engine:<11} {name:<20} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")


@contextmanager
def postgres(given: str | None) -> Iterator[str | None]:
    """``given``, or a throwaway server's new database (tests/pgserver.py); None: no server."""
    if given is not None:
        yield given
        return
    from tests import pgserver

    reason = pgserver.unavailable_reason()
    binaries = pgserver.find_binaries()
    if reason is not None or binaries is None:
        print(f"postgresql  skipped: {reason}")
        yield None
        return
    server = pgserver.Server(binaries)
    try:
        yield server.new_database()
    finally:
        server.stop()
