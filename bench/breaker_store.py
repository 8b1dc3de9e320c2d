"""The store-backed circuit breaker: trip and restore latency, closed-circuit admission.

Through the real `PostureCircuitBreaker` over a `PostureStateMachine(store=...)`:

- breaker trip: the `record_failure_sync` that opens a circuit (its OPEN row and the
  protective downgrade, one durable commit, plus the reads before it): p50 and p99 in ms;
- breaker restore: the `record_success_sync` of the probe that closes it (the CLOSED row
  and the restored posture, one durable commit): p50 and p99 in ms;
- admission on a closed circuit (`can_proceed_sync`, `admit_sync`), which stays a
  plain lookup with no lock and no I/O: µs/op, best of 5.

On an SQLite file (WAL, synchronous=FULL) and on PostgreSQL (``--postgres URL``, or a
throwaway server started with tests/pgserver.py when its binaries are there).

Run: python bench/breaker_store.py [--ops N] [--postgres URL]
(no timing is asserted anywhere; this only reports)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._stores import percentiles, postgres  # noqa: E402
from trust import TrustPosture  # noqa: E402
from trust.circuit_breaker import CircuitBreakerConfig, PostureCircuitBreaker  # noqa: E402
from trust.postures import PostureStateMachine  # noqa: E402
from trust.testing import FakeClock  # noqa: E402

RECOVERY = 30.0


def build(url: str) -> tuple[PostureStateMachine, PostureCircuitBreaker, FakeClock]:
    clock = FakeClock()
    machine = PostureStateMachine(
        store=url, clock=clock, auto_refresh=False, require_upgrade_approval=False
    )
    config = CircuitBreakerConfig(
        failure_threshold=2, recovery_timeout=RECOVERY, half_open_max_calls=1
    )
    return machine, PostureCircuitBreaker(machine, config, auto_refresh=False), clock


def trips_and_restores(url: str, ops: int) -> dict[str, tuple[float, float]]:
    machine, breaker, clock = build(url)
    assert machine.durable is not None
    agents = [f"agent-{i}" for i in range(ops)]
    for agent in agents:  # not timed: each agent starts at FULL_AUTONOMY, one failure in
        machine.set_posture(agent, TrustPosture.FULL_AUTONOMY)
        breaker.record_failure_sync(agent, "Timeout", "t")
    trips = []
    for agent in agents:
        started = time.perf_counter()
        breaker.record_failure_sync(agent, "Timeout", "t")
        trips.append(time.perf_counter() - started)
        assert machine.get_posture(agent) is TrustPosture.HUMAN_DECIDES
    clock.advance(RECOVERY + 1)
    machine.durable.refresh()
    restores = []
    for agent in agents:
        admission = breaker.admit_sync(agent)  # not timed: takes the fleet-wide probe lease
        started = time.perf_counter()
        breaker.record_success_sync(agent, admission)
        restores.append(time.perf_counter() - started)
        assert machine.get_posture(agent) is TrustPosture.FULL_AUTONOMY
    breaker.close()
    machine.durable.close()
    return {"breaker trip": percentiles(trips), "breaker restore": percentiles(restores)}


def closed_admission_us(url: str, ops: int = 1_000_000) -> dict[str, float]:
    machine, breaker, _ = build(url)
    assert machine.durable is not None
    results = {}
    for name, call in (
        ("can_proceed_sync, closed", breaker.can_proceed_sync),
        ("admit_sync, closed", breaker.admit_sync),
    ):
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(ops):
                call("idle-agent")
            best = min(best, time.perf_counter() - started)
        results[name] = best / ops * 1e6
    breaker.close()
    machine.durable.close()
    return results


def report(engine: str, url: str, ops: int) -> None:
    for name, (p50, p99) in trips_and_restores(url, ops).items():
        print(f"{engine:<11} {name:<26} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
    for name, us in closed_admission_us(url).items():
        print(f"{engine:<11} {name:<26} {us:.3f} µs/op")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: a throwaway server)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report("sqlite", f"sqlite:///{folder}/bench.db", args.ops)
    with postgres(args.postgres) as url:
        if url is not None:
            report("postgresql", url, args.ops)


if __name__ == "__main__":
    main()
