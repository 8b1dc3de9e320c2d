"""Times ``care-trust check`` and ``care-trust diff`` on generated 100-agent policies.

Run ``python bench/policy.py`` (``--agents N``, ``--widening K``, ``--changed K``,
``--repeats R``). The policy has ``N / 4`` chains of four agents (three delegation hops
each), every agent constrained on all six built-in dimensions, each child tighter than its
parent; ``--widening`` hops are made to widen (each then costs a witness search). The new
version for the diff changes ``--changed`` agents: half looser, half tighter, each on
several dimensions, plus a posture and a breaker field. ``--changed all`` changes every
agent, the worst case. Each figure is the best of ``--repeats`` runs, in one process after
one warm-up run (z3's first call and the zone tables are paid once per process; the
first figure printed is the cold run). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from trust.proofs.policy import check_policy, diff_policies

DOMAINS = ["arxiv.org", "pypi.org", "example.org", "corp.example", "python.org"]


def agent(name: str, depth: int, chain: int, looser: bool = False, tighter: bool = False) -> str:
    """One agent's tables: the deeper, the tighter; ``looser`` or ``tighter`` change it."""
    cost = 10_000 // (depth + 1) + (5_000 if looser else 0) - (10 if tighter else 0)
    rate = f"{200 // (depth + 1) + (100 if looser else 0)}/minute"
    start = 7 + depth - (1 if looser else 0)
    window = f"{start:02d}:00-{22 - depth:02d}:00 Europe/Berlin"
    base = f"projects/p{chain}" + "/sub" * depth
    resources = [f"{base}/**"] + ([f"shared/c{chain}/**"] if looser else [])
    if tighter:
        resources = [f"{base}/only/**"]
    classes = ["public", "internal", "confidential"][: max(1, 3 - depth)]
    data = f'{{ mode = "no_pii", allowed_classifications = {classes!r} }}'.replace("'", '"')
    domains = DOMAINS[: max(1, 5 - depth)] + (["evil.example"] if looser else [])
    comm = f'{{ mode = "allowed_domains", allowed_domains = {domains!r} }}'.replace("'", '"')
    posture = ["assisted", "supervised", "supervised", "human_decides"][depth]
    if looser:
        posture = "full_autonomy"
    threshold = 5 - depth + (10 if looser else 0)
    return f"""
[agents.{name}]
posture = "{posture}"
[agents.{name}.constraints]
cost_limit = {cost}
rate_limit = "{rate}"
time_window = "{window}"
resources = {resources!r}
data_access = {data}
communication = {comm}
[agents.{name}.breaker]
failure_threshold = {threshold}
recovery_timeout = {300 - 60 * depth}
""".replace("'", '"')


def policy(agents: int, widening: int, changed: int, seed_looser: bool = True) -> str:
    """The policy text: ``agents`` agents in chains of four; ``widening`` hops widen;
    ``changed`` agents changed (alternately looser and tighter)."""
    parts = ["version = 1\n"]
    delegations = []
    widened = 0
    for index in range(agents):
        chain, depth = divmod(index, 4)
        name = f"c{chain}-a{depth}"
        change = index < changed
        looser = change and index % 2 == 0
        tighter = change and index % 2 == 1
        # A widening hop: a child loosened against its parent.
        if depth == 2 and widened < widening and not change:
            looser, widened = True, widened + 1
        parts.append(agent(name, depth, chain, looser=looser, tighter=tighter))
        if depth > 0:
            parent = f"c{chain}-a{depth - 1}"
            delegations.append(f'[[delegations]]\nparent = "{parent}"\nchild = "{name}"\n')
    return "".join(parts) + "\n" + "\n".join(delegations)


def best(run: object, repeats: int) -> tuple[float, float, object]:
    """(cold seconds, best warm seconds, last result) of ``run()``."""
    times, result = [], None
    for _ in range(repeats + 1):
        started = time.perf_counter()
        result = run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return times[0], min(times[1:]), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--widening", type=int, default=5)
    parser.add_argument("--changed", default="10", help="agents changed in v2, or 'all'")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    changed = args.agents if args.changed == "all" else int(args.changed)
    folder = Path(tempfile.mkdtemp(prefix="care-trust-bench-"))
    old, new = folder / "v1.toml", folder / "v2.toml"
    old.write_text(policy(args.agents, args.widening, 0), encoding="utf-8")
    new.write_text(policy(args.agents, args.widening, changed), encoding="utf-8")
    hops = args.agents - args.agents // 4
    print(
        f"{args.agents} agents, {hops} hops ({args.widening} widening), all six dimensions; "
        f"{old.stat().st_size:,} bytes"
    )
    cold, warm, report = best(lambda: check_policy(old), args.repeats)
    summary = report.summary  # type: ignore[attr-defined]
    print(
        f"check: {warm:.2f} s (cold {cold:.2f} s); hops {dict(summary['hops'])}, "
        f"findings {dict(summary['findings'])}"
    )
    cold, warm, report = best(lambda: diff_policies(old, new), args.repeats)
    summary = report.summary  # type: ignore[attr-defined]
    print(
        f"diff ({changed} agents changed): {warm:.2f} s (cold {cold:.2f} s); "
        f"verdict {summary['verdict']}, counts {dict(summary['counts'])}"
    )


if __name__ == "__main__":
    main()
