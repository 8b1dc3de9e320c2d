"""µs/op of the traced hot paths with OpenTelemetry off and on.

    .venv/bin/python bench/otel.py            # --repeats N, --modes off,api,sdk

Modes:

- ``off``: nothing instrumented, ``trust.otel`` never imported: the code every user runs
  who does not ask for spans. Run it against another checkout (``PYTHONPATH=<checkout>
  python bench/otel.py --modes off``) for the before/after figure.
- ``api``: instrumented, with only the OpenTelemetry API configured (no SDK): the spans are
  the API's no-op spans.
- ``sdk``: instrumented, with the SDK's ``TracerProvider`` and no exporter: every span is
  recorded and ended, then dropped (exporting is the application's cost, not ours).

The workloads are those of ``bench/compare.py``: an upgrade plus a downgrade, the
breaker's ``can_proceed`` on a closed circuit (sync and async), and an evaluation of two
dimensions. The best of ``--repeats`` runs is kept, the collector paused. Nothing is
asserted about timings anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import Callable

import trust
from trust import (
    ConstraintDimensionRegistry,
    MultiDimensionEvaluator,
    PostureCircuitBreaker,
    PostureStateMachine,
    TrustPosture,
)
from trust.constraints.builtin import register_builtin_dimensions
from trust.postures import PostureTransitionRequest

A = "agent-001"
Workload = Callable[[int], None]


def workloads() -> tuple[dict[str, Workload], list[object]]:
    """The timed loops, and the objects they run on (to instrument)."""
    machine = PostureStateMachine(history_limit=100)
    machine.set_posture(A, TrustPosture.SUPERVISED)
    up = PostureTransitionRequest(
        agent_id=A,
        from_posture=TrustPosture.SUPERVISED,
        to_posture=TrustPosture.FULL_AUTONOMY,
        requester_id="admin-001",
    )
    down = PostureTransitionRequest(
        agent_id=A, from_posture=TrustPosture.FULL_AUTONOMY, to_posture=TrustPosture.SUPERVISED
    )
    breaker = PostureCircuitBreaker(PostureStateMachine())
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    evaluator = MultiDimensionEvaluator(registry)
    constraints = {"cost_limit": 1000, "rate_limit": 100}
    context = {"cost_used": 10, "requests_in_period": 5}

    def transition(n: int) -> None:
        for _ in range(n):
            machine.transition(up)
            machine.transition(down)

    def can_proceed_sync(n: int) -> None:
        for _ in range(n):
            breaker.can_proceed_sync(A)

    def can_proceed_async(n: int) -> None:
        async def loop() -> None:
            for _ in range(n):
                await breaker.can_proceed(A)

        asyncio.run(loop())

    def evaluate(n: int) -> None:
        for _ in range(n):
            evaluator.evaluate(constraints, context)

    loops: dict[str, Workload] = {
        "transition: upgrade + downgrade": transition,
        "breaker can_proceed_sync (closed)": can_proceed_sync,
        "breaker can_proceed, async (closed)": can_proceed_async,
        "evaluate, 2 dims": evaluate,
    }
    return loops, [machine, breaker, evaluator]


OPS = {
    "transition: upgrade + downgrade": 2_000,
    "breaker can_proceed_sync (closed)": 20_000,
    "breaker can_proceed, async (closed)": 20_000,
    "evaluate, 2 dims": 5_000,
}


def best_us(run: Workload, ops: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.disable()
        try:
            started = time.perf_counter()
            run(ops)
            best = min(best, time.perf_counter() - started)
        finally:
            gc.enable()
    return best / ops * 1e6


def measure(mode: str, repeats: int) -> dict[str, float]:
    loops, objects = workloads()
    tracing = None
    if mode != "off":
        from trust.otel import instrument

        if mode == "sdk":
            from opentelemetry.sdk.trace import TracerProvider

            tracing = instrument(*objects, tracer_provider=TracerProvider())
        else:
            from opentelemetry.trace import NoOpTracerProvider

            tracing = instrument(*objects, tracer_provider=NoOpTracerProvider())
    try:
        return {name: best_us(run, OPS[name], repeats) for name, run in loops.items()}
    finally:
        if tracing is not None:
            tracing.uninstrument()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--modes", default="off,api,sdk")
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    results = {mode: measure(mode, args.repeats) for mode in modes}
    print(f"trust from {trust.__file__}, Python {sys.version.split()[0]}, best of {args.repeats}")
    header = " | ".join(f"{mode + ' µs/op':>12}" for mode in modes)
    print(f"| {'workload':<36} | {header} |")
    print(f"| {'-' * 36} | " + " | ".join("-" * 11 + ":" for _ in modes) + " |")
    for name in OPS:
        row = " | ".join(f"{results[mode][name]:>12.3f}" for mode in modes)
        print(f"| {name:<36} | {row} |")


if __name__ == "__main__":
    main()
