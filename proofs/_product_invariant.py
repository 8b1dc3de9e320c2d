"""The inductive invariant of the posture x breaker product: what every reachable state keeps.

`proofs.product` proves it inductive (it holds initially and every step keeps it), then
checks each claim under it alone; the conformance check asks it of every observed state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import z3

from trust.proofs._induction import Vars
from trust.proofs._product_meaning import COMMITTED, NONE, PENDING


def invariant(
    lvl: Callable[[z3.ExprRef], z3.ArithRef], brk: Mapping[str, z3.ExprRef], p: Vars, s: Vars
) -> z3.BoolRef:
    """What holds in every reachable state of the product (proved by `prove_inductive`).

    ``lvl`` is a posture's autonomy level; ``brk`` the breaker's states as z3 terms.
    """
    closed, half_open = brk["closed"], brk["half_open"]
    live_restore = z3.And(s["restores"] >= 1, s["restore_version"] == s["version"])
    return z3.And(
        # Breaker counters.
        s["window"] >= 0,
        z3.Implies(s["breaker"] == closed, s["window"] < p["threshold"]),
        s["probes_succeeded"] >= 0,
        s["probes_succeeded"] <= s["probes_admitted"],
        s["probes_admitted"] <= p["max_probes"],
        z3.Implies(
            s["breaker"] != half_open,
            z3.And(s["probes_admitted"] == 0, s["probes_succeeded"] == 0),
        ),
        z3.Implies(s["forced"], s["breaker"] == brk["open"]),
        # Posture versions and the ceiling others set.
        lvl(s["posture"]) <= lvl(s["ceiling"]),
        s["last_other"] >= 0,
        s["last_other"] <= s["version"],
        # The hold: only while not closed, and forfeited by any change of the posture.
        z3.Implies(
            s["holds"],
            z3.And(
                s["breaker"] != closed,
                s["hold_version"] == s["version"],
                s["posture"] == s["hold_held"],
                s["hold_held"] == p["downgrade_on_open"],
                lvl(s["hold_displaced"]) <= lvl(s["ceiling"]),
                s["last_other"] < s["hold_version"],
            ),
        ),
        # Restores in flight: the newest is the only one that may still commit, and a
        # take-over finds its hold (the newest's) current only through it.
        s["restores"] >= 0,
        z3.Or(
            s["restore_phase"] == NONE,
            s["restore_phase"] == PENDING,
            s["restore_phase"] == COMMITTED,
        ),
        z3.Implies(s["restore_phase"] != NONE, s["restores"] >= 1),
        z3.Implies(
            s["restores"] >= 1,
            z3.And(
                s["restore_version"] <= s["version"],
                s["restore_held"] == p["downgrade_on_open"],
            ),
        ),
        z3.Implies(
            z3.And(s["holds"], s["restore_phase"] != NONE),
            s["restore_version"] <= s["hold_version"],
        ),
        z3.Implies(
            live_restore,
            z3.And(
                s["posture"] == s["restore_held"],
                lvl(s["restore_displaced"]) <= lvl(s["ceiling"]),
                s["last_other"] < s["restore_version"],
            ),
        ),
    )


__all__ = ["invariant"]
