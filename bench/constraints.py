"""Micro-benchmark of the constraint evaluator: prints microseconds per operation.

Run ``python bench/constraints.py``. Each figure is the best of several repeats of a
timed loop (time.perf_counter), so it reflects the code rather than machine noise. Pass
``--reference`` to time the reference implementation on the same inputs, loaded by the
shared ``_reference.py``. Note that the reference checks tightening only for cost_limit,
time_window and resources: on the others its figure times a refusal. ``compare.py`` is the
like-for-like comparison.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import _reference

CONSTRAINTS_2 = {"cost_limit": 1000, "rate_limit": "100/minute"}
CONTEXT_2 = {"cost_used": 500, "requests_in_period": 50}
CONSTRAINTS_6 = {
    **CONSTRAINTS_2,
    "time_window": "09:00-17:00",
    "resources": ["data/**", "logs/*.log"],
    "data_access": "no_pii",
    "communication": {
        "mode": "allowed_domains",
        "allowed_domains": ["api.openai.com", "anthropic.com"],
    },
}
CONTEXT_6 = {
    **CONTEXT_2,
    "current_time": datetime(2025, 1, 15, 10, 30),
    "resource_requested": "data/users.json",
    "contains_pii": False,
    "communication_target": "api.openai.com",
}
CHILD_6 = {
    **CONSTRAINTS_6,
    "cost_limit": 500,
    "rate_limit": "1/second",
    "resources": ["data/public/*.json"],
}


def best_us(operation: Callable[[], object], loops: int = 20_000, repeats: int = 7) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            operation()
        best = min(best, (time.perf_counter() - start) / loops)
    return best * 1e6


def cases(module_evaluator: Any, registry_factory: Callable[[], Any]) -> dict[str, float]:
    plain = module_evaluator(registry_factory(), enable_anti_gaming=False)
    gaming = module_evaluator(registry_factory(), enable_anti_gaming=True)
    return {
        "evaluate, 2 dims": best_us(lambda: plain.evaluate(CONSTRAINTS_2, CONTEXT_2)),
        "evaluate, 6 dims": best_us(lambda: plain.evaluate(CONSTRAINTS_6, CONTEXT_6)),
        "evaluate, 6 dims + anti-gaming": best_us(
            lambda: gaming.evaluate(CONSTRAINTS_6, CONTEXT_6, agent_id="agent-001")
        ),
        "validate_tightening, 6 dims": best_us(
            lambda: plain.validate_tightening(CONSTRAINTS_6, CHILD_6), loops=5_000
        ),
    }


def ours() -> dict[str, float]:
    from trust.constraints import ConstraintDimensionRegistry, MultiDimensionEvaluator
    from trust.constraints.builtin import register_builtin_dimensions

    def registry() -> ConstraintDimensionRegistry:
        made = ConstraintDimensionRegistry()
        register_builtin_dimensions(made)
        return made

    results = cases(MultiDimensionEvaluator, registry)
    # Every call after the first hits the caches; this is the cost of a first sight.
    results["validate_tightening, 6 dims, cold caches"] = best_us(
        lambda: MultiDimensionEvaluator(registry()).validate_tightening(
            CONSTRAINTS_6, {**CHILD_6, "resources": [f"data/x{time.perf_counter_ns()}/*"]}
        ),
        loops=200,
    )
    return results


def reference() -> dict[str, float]:
    logging.disable(logging.CRITICAL)  # its warnings would be timed otherwise
    ref = _reference.load()

    def registry() -> Any:
        made = ref.dimension.ConstraintDimensionRegistry()
        ref.builtin.register_builtin_dimensions(made)
        return made

    return cases(ref.evaluator.MultiDimensionEvaluator, registry)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference", action="store_true", help="also time the reference (see _reference.py)"
    )
    args = parser.parse_args()
    mine = ours()
    theirs = reference() if args.reference else {}
    header = f"{'operation':<44}{'ours µs/op':>12}"
    print(header + (f"{'ref µs/op':>12}{'ratio':>8}" if theirs else ""))
    for name, value in mine.items():
        line = f"{name:<44}{value:>12.2f}"
        if name in theirs:
            line += f"{theirs[name]:>12.2f}{theirs[name] / value:>7.1f}x"
        print(line)


if __name__ == "__main__":
    main()
