"""care-trust against the reference implementation (kailash-kaizen), workload by workload.

Run: ``python bench/compare.py`` (after the README's dev install). The first run downloads
the reference wheel into ``bench/.cache/`` (see ``_reference.py``); both libraries then run
in this one process. Each workload is built once per side with the same agents, constraint
values and contexts, checked to give the expected (passing) answer on both sides, and timed
interleaved, reference then ours, ``--repeats`` times; the table shows the best of each.
``ratio`` is reference / ours, so above 1 means care-trust is faster.

Nothing here is a test: no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import platform
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from typing import Any

import _reference

import trust
from trust import PostureStateMachine, TrustPosture
from trust import postures as our_postures
from trust.circuit_breaker import CircuitBreakerConfig, PostureCircuitBreaker
from trust.constraints import ConstraintDimensionRegistry, MultiDimensionEvaluator
from trust.constraints.builtin import register_builtin_dimensions

Run = Callable[[int], float]
"""Runs a workload ``n`` times and returns the seconds it took."""


@dataclass(frozen=True)
class Workload:
    name: str
    ops: int
    ref: Run
    ours: Run


# -- timing ---------------------------------------------------------------------------


def calls(function: Callable[..., object], *args: object) -> Run:
    """``function(*args)`` n times, in a loop as lean as the language allows."""
    if len(args) == 1:
        (arg,) = args

        def run_one(n: int) -> float:
            started = time.perf_counter()
            for _ in repeat(None, n):
                function(arg)
            return time.perf_counter() - started

        return run_one

    def run(n: int) -> float:
        started = time.perf_counter()
        for _ in repeat(None, n):
            function(*args)
        return time.perf_counter() - started

    return run


def awaits(make: Callable[[], Awaitable[object]]) -> Run:
    """``await make()`` n times inside ONE running loop: the loop's start-up is not timed."""

    async def loop(n: int) -> float:
        started = time.perf_counter()
        for _ in repeat(None, n):
            await make()
        return time.perf_counter() - started

    return lambda n: asyncio.run(loop(n))


def measure(run: Run, ops: int) -> float:
    """One timed run in µs/op, with the collector paused as timeit does."""
    gc.collect()
    gc.disable()
    try:
        return run(ops) / ops * 1e6
    finally:
        gc.enable()


def expect(condition: bool, what: str) -> None:
    """Refuse to time a workload whose answer is not the intended one (an error path)."""
    if not condition:
        raise SystemExit(f"workload check failed: {what}")


# -- postures -------------------------------------------------------------------------


def posture_workloads(ref: Any) -> list[Workload]:
    rp = ref.postures
    # Both machines: default settings (upgrade approval required), one known agent.
    theirs, mine = rp.PostureStateMachine(), PostureStateMachine()
    theirs.set_posture("agent-001", rp.TrustPosture.SUPERVISED)
    mine.set_posture("agent-001", TrustPosture.SUPERVISED)
    expect(theirs.get_posture("agent-001") is rp.TrustPosture.SUPERVISED, "ref get_posture")
    expect(mine.get_posture("agent-001") is TrustPosture.SUPERVISED, "our get_posture")

    def requests(module: Any, posture: Any) -> tuple[Any, Any]:
        up = module.PostureTransitionRequest(
            agent_id="agent-002",
            from_posture=posture.SUPERVISED,
            to_posture=posture.FULL_AUTONOMY,
            reason="proven reliable",
            requester_id="admin-001",
        )
        down = module.PostureTransitionRequest(
            agent_id="agent-002",
            from_posture=posture.FULL_AUTONOMY,
            to_posture=posture.SUPERVISED,
            reason="back to normal",
            requester_id="admin-001",
        )
        return up, down

    def round_trip(machine: Any, up: Any, down: Any) -> Run:
        transition = machine.transition

        def run(n: int) -> float:
            started = time.perf_counter()
            for _ in repeat(None, n):
                transition(up)
                transition(down)
            return time.perf_counter() - started

        return run

    ref_up, ref_down = requests(rp, rp.TrustPosture)
    our_up, our_down = requests(our_postures, TrustPosture)
    for machine, up, down in ((theirs, ref_up, ref_down), (mine, our_up, our_down)):
        machine.set_posture("agent-002", up.from_posture)
        expect(machine.transition(up).success, f"{type(machine).__module__} upgrade")
        expect(machine.transition(down).success, f"{type(machine).__module__} downgrade")

    for machine in (theirs, mine):
        done = machine.emergency_downgrade("agent-003", "incident", "security-bot")
        expect(done.success, f"{type(machine).__module__} emergency_downgrade")

    def emergencies(downgrade: Callable[..., object]) -> Run:
        def run(n: int) -> float:
            started = time.perf_counter()
            for _ in repeat(None, n):
                downgrade("agent-003", "incident", "security-bot")
            return time.perf_counter() - started

        return run

    return [
        Workload(
            "get_posture (known agent)",
            500_000,
            calls(theirs.get_posture, "agent-001"),
            calls(mine.get_posture, "agent-001"),
        ),
        Workload(
            "get_posture (never-seen agent)",
            200_000,
            calls(theirs.get_posture, "agent-never-seen"),
            calls(mine.get_posture, "agent-never-seen"),
        ),
        Workload(
            "transition: upgrade + downgrade",
            20_000,
            round_trip(theirs, ref_up, ref_down),
            round_trip(mine, our_up, our_down),
        ),
        Workload(
            "emergency_downgrade",
            50_000,
            emergencies(theirs.emergency_downgrade),
            emergencies(mine.emergency_downgrade),
        ),
    ]


# -- circuit breaker ------------------------------------------------------------------

IN_WINDOW = 10_000


class Ticks:
    """Our breaker's clock: monotonic time moves one second per reading.

    Our breaker reads it once per call, so with a window of IN_WINDOW seconds each
    record_failure ages exactly one failure out as it adds one: the window holds
    IN_WINDOW failures throughout, pruning included.
    """

    def __init__(self) -> None:
        self.seconds = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        self.seconds += 1.0
        return self.seconds


def breaker_workloads(ref: Any) -> list[Workload]:
    rb = ref.circuit_breaker
    failure = ("busy", "ConnectionError", "refused", "call", "medium")

    # The reference reads the wall clock itself (no injectable clock) with a window of an
    # hour here, so nothing ages out while it runs; its list grows by the timed calls, and
    # is cut back to IN_WINDOW before each run (see `trimmed`).
    ref_machine = ref.postures.PostureStateMachine()
    ref_machine.set_posture("busy", ref.postures.TrustPosture.FULL_AUTONOMY)
    theirs = rb.PostureCircuitBreaker(
        ref_machine, rb.CircuitBreakerConfig(failure_threshold=10**9, failure_window_seconds=3600)
    )
    ticks = Ticks()
    mine_machine = PostureStateMachine()
    mine_machine.set_posture("busy", TrustPosture.FULL_AUTONOMY)
    mine = PostureCircuitBreaker(
        mine_machine,
        CircuitBreakerConfig(failure_threshold=10**9, failure_window_seconds=IN_WINDOW),
        clock=ticks,
    )

    async def preload() -> None:
        for breaker in (theirs, mine):
            await breaker.record_failure("counted", "ConnectionError", "refused", "call", "low")
            for _ in range(IN_WINDOW):
                await breaker.record_failure(*failure)

    asyncio.run(preload())
    expect(len(theirs._failures["busy"]) == IN_WINDOW, "ref window")
    # Reading ticks the clock too, aging one failure out; it is wound back after.
    expect(len(mine.get_failures("busy")) == IN_WINDOW - 1, "our window")
    ticks.seconds -= 1
    expect(mine.get_state("busy").value == "closed", "our circuit stays closed")
    expect(theirs.get_state("busy").value == "closed", "ref circuit stays closed")
    for breaker in (theirs, mine):
        expect(asyncio.run(breaker.can_proceed("counted")) is True, "can_proceed when closed")

    def trimmed(run: Run) -> Run:
        def run_trimmed(n: int) -> float:
            theirs._failures["busy"] = theirs._failures["busy"][-IN_WINDOW:]
            return run(n)

        return run_trimmed

    async def ref_fail() -> None:
        await theirs.record_failure(*failure)

    async def our_fail() -> None:
        await mine.record_failure(*failure)

    ref_can, our_can = theirs.can_proceed, mine.can_proceed
    return [
        Workload(
            "breaker can_proceed (closed)",
            200_000,
            awaits(lambda: ref_can("counted")),
            awaits(lambda: our_can("counted")),
        ),
        Workload(
            f"breaker record_failure ({IN_WINDOW:,} in window)",
            300,
            trimmed(awaits(ref_fail)),
            awaits(our_fail),
        ),
    ]


# -- constraints ----------------------------------------------------------------------

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
# The reference checks tightening only for cost_limit, time_window and resources (for the
# others it logs a warning and reports a violation), so the tightening workloads use those.
PARENT_3 = {
    "cost_limit": 1000,
    "time_window": "09:00-17:00",
    "resources": ["data/**", "logs/*.log"],
}
CHILD_3 = {
    "cost_limit": 500,
    "time_window": "10:00-16:00",
    "resources": ["data/public/*.json"],
}


PARENT_1 = {"cost_limit": 100}
CHILD_1 = {"cost_limit": 50}
PARENT_GLOB = {"resources": ["data/**", "logs/*.log"]}


def fresh_children(n: int) -> list[dict[str, Any]]:
    """``n`` tightenings of PARENT_3 never seen before: every cache misses."""
    tag = time.perf_counter_ns()
    return [{**CHILD_3, "resources": [f"data/t{tag}/c{i}/*.json"]} for i in range(n)]


def fresh_globs(n: int, shape: str) -> list[dict[str, Any]]:
    """``n`` resource children of PARENT_GLOB never seen before, of one ``shape``.

    The fast-path shapes (literal prefix and a ``*`` or ``**`` tail, literals), and one
    the fast path does not decide (a ``?`` and ``*`` inside a segment), which takes the
    automata.
    """
    tag = time.perf_counter_ns()
    shapes = {
        "star": "data/t{tag}/c{i}/*",
        "globstar": "data/t{tag}/c{i}/**",
        "literal": "logs/t{tag}-c{i}.log",
        "automata": "data/t{tag}/c{i}/x?*.json",
    }
    return [
        {"resources": [shapes[shape].format(tag=tag, i=i), "logs/app.log"]} for i in range(n)
    ]


def constraint_workloads(ref: Any) -> list[Workload]:
    def ref_registry() -> Any:
        made = ref.dimension.ConstraintDimensionRegistry()
        ref.builtin.register_builtin_dimensions(made)
        return made

    def our_registry() -> ConstraintDimensionRegistry:
        made = ConstraintDimensionRegistry()
        register_builtin_dimensions(made)
        return made

    ref_evaluator = ref.evaluator.MultiDimensionEvaluator
    theirs = ref_evaluator(ref_registry(), enable_anti_gaming=False)
    theirs_gaming = ref_evaluator(ref_registry(), enable_anti_gaming=True)
    mine = MultiDimensionEvaluator(our_registry(), enable_anti_gaming=False)
    mine_gaming = MultiDimensionEvaluator(our_registry(), enable_anti_gaming=True)

    for evaluator in (theirs, mine):
        for constraints, context in ((CONSTRAINTS_2, CONTEXT_2), (CONSTRAINTS_6, CONTEXT_6)):
            verdict = evaluator.evaluate(constraints, context)
            expect(
                verdict.satisfied and not verdict.failed_dimensions,
                f"{type(evaluator).__module__} evaluate passes: {verdict}",
            )
            expect(len(verdict.dimension_results) == len(constraints), "every dimension ran")
        for child in (CHILD_3, *fresh_children(2)):
            expect(evaluator.validate_tightening(PARENT_3, child) == [], "child tightens")
            expect(len(evaluator.validate_tightening(child, PARENT_3)) == 3, "parent loosens")
        expect(evaluator.validate_tightening(PARENT_1, CHILD_1) == [], "cost child tightens")
        expect(len(evaluator.validate_tightening(CHILD_1, PARENT_1)) == 1, "cost parent loosens")
        for shape in ("star", "globstar", "literal", "automata"):
            for child in fresh_globs(2, shape):
                expect(evaluator.validate_tightening(PARENT_GLOB, child) == [], "glob tightens")
    for evaluator in (theirs_gaming, mine_gaming):
        for _ in range(12):  # past the reference's 10-evaluation splitting window
            verdict = evaluator.evaluate(CONSTRAINTS_6, CONTEXT_6, agent_id="agent-001")
        expect(verdict.satisfied and not verdict.anti_gaming_flags, "no gaming flagged")

    def evaluations(evaluator: Any, constraints: Any, context: Any, agent: str = "") -> Run:
        evaluate = evaluator.evaluate
        if agent:
            mode = type(evaluator.evaluate(constraints, context).interaction_mode).CONJUNCTIVE
            return calls(evaluate, constraints, context, mode, agent)
        return calls(evaluate, constraints, context)

    return [
        Workload(
            "evaluate, 2 dims",
            50_000,
            evaluations(theirs, CONSTRAINTS_2, CONTEXT_2),
            evaluations(mine, CONSTRAINTS_2, CONTEXT_2),
        ),
        Workload(
            "evaluate, 6 dims",
            20_000,
            evaluations(theirs, CONSTRAINTS_6, CONTEXT_6),
            evaluations(mine, CONSTRAINTS_6, CONTEXT_6),
        ),
        Workload(
            "evaluate, 6 dims + anti-gaming",
            20_000,
            evaluations(theirs_gaming, CONSTRAINTS_6, CONTEXT_6, "agent-001"),
            evaluations(mine_gaming, CONSTRAINTS_6, CONTEXT_6, "agent-001"),
        ),
        Workload(
            "validate_tightening, 3 dims (same sets)",
            10_000,
            calls(theirs.validate_tightening, PARENT_3, CHILD_3),
            calls(mine.validate_tightening, PARENT_3, CHILD_3),
        ),
        Workload(
            "validate_tightening, 3 dims (new child each)",
            2_000,
            first_sights(theirs.validate_tightening),
            first_sights(mine.validate_tightening),
        ),
        Workload(
            "validate_tightening, 1 dim (cost_limit 100 -> 50)",
            50_000,
            calls(theirs.validate_tightening, PARENT_1, CHILD_1),
            calls(mine.validate_tightening, PARENT_1, CHILD_1),
        ),
        *[
            Workload(
                f"validate_tightening, new glob child ({shape})",
                1_000,
                first_sights(theirs.validate_tightening, shape),
                first_sights(mine.validate_tightening, shape),
            )
            for shape in ("star", "globstar", "literal", "automata")
        ],
    ]


def first_sights(validate: Callable[[Any, Any], object], shape: str = "") -> Run:
    """Tightening of children never seen before (`fresh_children`, or `fresh_globs`)."""
    parent = PARENT_GLOB if shape else PARENT_3

    def run(n: int) -> float:
        # Built before the clock starts.
        children = fresh_globs(n, shape) if shape else fresh_children(n)
        started = time.perf_counter()
        for child in children:
            validate(parent, child)
        return time.perf_counter() - started

    return run


# -- import time ----------------------------------------------------------------------

OUR_IMPORT = "import time\nt = time.perf_counter()\nimport trust\nprint(time.perf_counter() - t)\n"
# `import trust` loads its parts on first use, so the row above times the name table only;
# this one loads our counterparts of every module the reference's import loads.
OUR_SCOPE_IMPORT = (
    "import time\nt = time.perf_counter()\n"
    "import trust.postures, trust.circuit_breaker, trust.posture_agent, trust.metrics\n"
    "import trust.constraints, trust.constraints.builtin\n"
    "print(time.perf_counter() - t)\n"
)


def import_workloads(root: Path) -> list[Workload]:
    """Seconds to import each library in a fresh interpreter (start-up itself not timed)."""
    ref_script = _reference.IMPORT_SNIPPET.format(root=str(root))
    project = str(Path(trust.__file__).resolve().parents[1])

    def fresh(script: str) -> Run:
        def run(n: int) -> float:
            best = float("inf")
            for _ in range(n):
                done = subprocess.run(
                    [sys.executable, "-c", script],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=project,
                )
                best = min(best, float(done.stdout))
            return best * n  # measure() divides by n: this reports the best single import

        return run

    return [
        Workload("import (fresh interpreter)", 3, fresh(ref_script), fresh(OUR_IMPORT)),
        Workload("import, same scope (fresh)", 3, fresh(ref_script), fresh(OUR_SCOPE_IMPORT)),
    ]


# -- the table ------------------------------------------------------------------------


def compare(workloads: list[Workload], repeats: int) -> list[tuple[str, float, float]]:
    rows = []
    for workload in workloads:
        ref_best = ours_best = float("inf")
        for _ in range(repeats):
            ref_best = min(ref_best, measure(workload.ref, workload.ops))
            ours_best = min(ours_best, measure(workload.ours, workload.ops))
        rows.append((workload.name, ref_best, ours_best))
    return rows


def table(rows: list[tuple[str, float, float]]) -> str:
    width = max(len(name) for name, _, _ in rows)
    lines = [
        f"| {'workload'.ljust(width)} | {'ref µs/op':>10} | {'ours µs/op':>10} | {'ratio':>6} |",
        f"| {'-' * width} | {'-' * 9}: | {'-' * 9}: | {'-' * 5}: |",
    ]
    for name, theirs, ours in rows:
        lines.append(
            f"| {name.ljust(width)} | {theirs:10.3f} | {ours:10.3f} | {theirs / ours:5.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per side (best kept)")
    parser.add_argument("--only", default="", help="run the workloads whose name contains this")
    args = parser.parse_args()
    # The reference logs a warning per unknown dimension and per error; none is expected,
    # and handler output would be timed.
    logging.disable(logging.CRITICAL)
    ref = _reference.load()
    workloads = [
        *posture_workloads(ref),
        *breaker_workloads(ref),
        *constraint_workloads(ref),
        *import_workloads(_reference.ROOT),
    ]
    chosen = [w for w in workloads if args.only in w.name]
    for workload in chosen:  # warm both sides up (caches, specialisation) before timing
        workload.ref(min(workload.ops, 1000))
        workload.ours(min(workload.ops, 1000))
    rows = compare(chosen, args.repeats)
    print(
        f"care-trust vs {_reference.REQUIREMENT}; Python {platform.python_version()}, "
        f"best of {args.repeats} interleaved runs; ratio = ref / ours (>1: care-trust faster)"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
