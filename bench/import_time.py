"""Import time of ``trust``: the median of fresh interpreters, start-up itself not timed.

    .venv/bin/python bench/import_time.py            # --runs N (default 20), --reference

Rows:

- ``import trust``: what a script pays before its first line of its own.
- ``from trust import <core names>``: the posture machine, the breaker, the evaluator and
  the registry, as a script that governs agents without the agent wrapper starts.
- ``the reference's scope``: ``trust.postures``, ``trust.circuit_breaker``,
  ``trust.posture_agent``, ``trust.metrics``, ``trust.constraints`` and
  ``trust.constraints.builtin``: the counterparts of the modules the reference row loads,
  so the like-for-like row.
- ``import trust + every public name``: ``import trust`` followed by reading every name in
  ``trust.__all__``, so every lazily loaded part is loaded too (the policy loader as well,
  which the reference has no counterpart of).
- ``reference`` (with ``--reference``): kaizen.trust 1.2.5's modules, loaded as
  ``bench/_reference.py`` loads them (its heavy package ``__init__`` files stubbed out).

Each run is a new ``python -c`` process; the script inside times only its imports, by the
wall clock (``time.perf_counter``) and in CPU time (``time.process_time``: on a shared,
loaded machine the wall-clock figures swing, the CPU figures much less). Bytecode caches
are written and used (one untimed warm-up run first), as for an installed package, even
when ``PYTHONDONTWRITEBYTECODE`` is set in the caller's environment (the reference's
modules get theirs too). ``python -X importtime -c "import trust"`` shows where the time
goes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

import _reference

PROJECT = Path(__file__).resolve().parents[1]

START = "import time\nt, c = time.perf_counter(), time.process_time()\n"
STOP = "print(time.perf_counter() - t, time.process_time() - c)\n"
"""Each script prints the wall-clock and the CPU seconds its imports took."""

IMPORT_ONLY = f"{START}import trust\n{STOP}"
IMPORT_CORE = (
    START + "from trust import (ConstraintDimensionRegistry, MultiDimensionEvaluator,\n"
    "    PostureCircuitBreaker, PostureStateMachine, TrustPosture)\n" + STOP
)
IMPORT_REFERENCE_SCOPE = (
    START + "import trust.postures, trust.circuit_breaker, trust.posture_agent, trust.metrics\n"
    "import trust.constraints, trust.constraints.builtin\n" + STOP
)
IMPORT_ALL = START + "import trust\nfor name in trust.__all__:\n    getattr(trust, name)\n" + STOP


def medians(script: str, runs: int) -> tuple[float, float, float]:
    """Median wall ms, best wall ms and median CPU ms of ``script`` over ``runs`` interpreters."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    wall, cpu = [], []
    for run in range(runs + 1):
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=PROJECT,
            env=env,
        )
        if run:  # the first run only writes the bytecode caches
            seconds, cpu_seconds = map(float, done.stdout.split())
            wall.append(seconds * 1000)
            cpu.append(cpu_seconds * 1000)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def reference_script() -> str:
    """`_reference.IMPORT_SNIPPET`, timing CPU as well as wall-clock time."""
    snippet = _reference.IMPORT_SNIPPET.format(root=str(_reference.fetch()))
    for old, new in (
        ("t = time.perf_counter()\n", START.split("\n", 1)[1]),
        ("print(time.perf_counter() - t)\n", STOP),
    ):
        if old not in snippet:
            raise RuntimeError(f"bench/_reference.py's IMPORT_SNIPPET no longer has {old!r}")
        snippet = snippet.replace(old, new)
    return snippet


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reference", action="store_true", help="add kaizen.trust 1.2.5")
    args = parser.parse_args(argv)
    rows = [
        ("import trust", IMPORT_ONLY),
        ("from trust import <core names>", IMPORT_CORE),
        ("the reference's scope", IMPORT_REFERENCE_SCOPE),
        ("import trust + every public name", IMPORT_ALL),
    ]
    if args.reference:
        rows.append(("reference (kaizen.trust 1.2.5)", reference_script()))
    print(f"{args.runs} fresh interpreters each, Python {sys.version.split()[0]}")
    print(f"| {'what':<34} | median ms | best ms | median CPU ms |")
    print(f"| {'-' * 34} | --------: | ------: | ------------: |")
    for name, script in rows:
        median, best, cpu = medians(script, args.runs)
        print(f"| {name:<34} | {median:>9.1f} | {best:>7.1f} | {cpu:>13.1f} |")


if __name__ == "__main__":
    main()
