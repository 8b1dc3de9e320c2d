"""Import time of ``trust``: the median of fresh interpreters, start-up itself not timed.

    .venv/bin/python bench/import_time.py            # --runs N (default 20), --reference

Rows:

- ``import trust``: what a script pays before its first line of its own.
- ``import trust + every public name``: ``import trust`` followed by reading every name in
  ``trust.__all__``, so every lazily loaded part is loaded too. This is the like-for-like
  row against the reference, whose import loads its posture, breaker, agent, metrics and
  constraint modules.
- ``reference`` (with ``--reference``): kaizen.trust 1.2.5's modules, loaded as
  ``bench/_reference.py`` loads them (its heavy package ``__init__`` files stubbed out).

Each run is a new ``python -c`` process; the script inside times only its imports with
``time.perf_counter``. Bytecode caches are written and used (one untimed warm-up run first),
as for an installed package, even when ``PYTHONDONTWRITEBYTECODE`` is set in the caller's
environment (the reference's modules get theirs too).
``python -X importtime -c "import trust"`` shows where the time goes.
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

IMPORT_ONLY = "import time\nt = time.perf_counter()\nimport trust\nprint(time.perf_counter() - t)\n"
IMPORT_ALL = (
    "import time\n"
    "t = time.perf_counter()\n"
    "import trust\n"
    "for name in trust.__all__:\n"
    "    getattr(trust, name)\n"
    "print(time.perf_counter() - t)\n"
)


def median_ms(script: str, runs: int) -> tuple[float, float, float]:
    """Median, best and worst milliseconds of ``script`` over ``runs`` fresh interpreters."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    samples = []
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
            samples.append(float(done.stdout) * 1000)
    return statistics.median(samples), min(samples), max(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reference", action="store_true", help="add kaizen.trust 1.2.5")
    args = parser.parse_args(argv)
    rows = [
        ("import trust", IMPORT_ONLY),
        ("import trust + every public name", IMPORT_ALL),
    ]
    if args.reference:
        root = _reference.fetch()
        snippet = _reference.IMPORT_SNIPPET.format(root=str(root))
        rows.append(("reference (kaizen.trust 1.2.5)", snippet))
    print(f"median of {args.runs} fresh interpreters, Python {sys.version.split()[0]}")
    print(f"| {'what':<34} | {'median ms':>9} | {'best ms':>7} | {'worst ms':>8} |")
    print(f"| {'-' * 34} | {'-' * 8}: | {'-' * 6}: | {'-' * 7}: |")
    for name, script in rows:
        median, best, worst = median_ms(script, args.runs)
        print(f"| {name:<34} | {median:>9.1f} | {best:>7.1f} | {worst:>8.1f} |")


if __name__ == "__main__":
    main()
