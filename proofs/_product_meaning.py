"""What each name in the specs means over the variables of the posture x breaker product.

The specs say which transitions exist, with which guards and actions; the meaning of each
guard, action and fence, as z3 terms over the product's variables, is given here, once per
name, as the runtime's cores give it once over the engines' values. `check_interpretable`
refuses a spec that uses a name without a meaning: the proof must not read it as true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import z3

from trust.model import CouplingSpec, LifecycleSpec
from trust.proofs._induction import Vars

FREE_BREAKER_GUARDS = ("outcome_current", "recovery_elapsed", "probe_wait_elapsed")
"""Breaker guards that depend on the clock or on fencing tokens: free at every step."""

# Restore phases of the newest restore in flight.
NONE, PENDING, COMMITTED = 0, 1, 2

COUPLED = (
    "posture",
    "version",
    "holds",
    "hold_displaced",
    "hold_held",
    "hold_version",
    "restores",
    "restore_phase",
    "restore_displaced",
    "restore_held",
    "restore_version",
)
"""The variables a coupling transition may change: the posture, the hold, the restores."""

Terms = dict[str, z3.ExprRef]
Lowers = Callable[[z3.ExprRef], z3.BoolRef]
"""Whether the protective downgrade to ``downgrade_on_open`` lowers a posture."""


# How each counter guard of the breaker model reads the state: `trust.circuit_breaker._core`
# GUARDS, with the window's weighted sum (before this failure) plus its ``weight``.
COUNTER_GUARDS: Mapping[str, Callable[[Vars, Vars, Vars], z3.BoolRef]] = {
    "below_threshold": lambda p, s, i: s["window"] + i["weight"] < p["threshold"],
    "at_threshold": lambda p, s, i: s["window"] + i["weight"] >= p["threshold"],
    "not_forced": lambda p, s, i: z3.Not(s["forced"]),
    "probe_slot_free": lambda p, s, i: s["probes_admitted"] < p["max_probes"],
    "probe_outstanding": lambda p, s, i: s["probes_succeeded"] < s["probes_admitted"],
    "probes_incomplete": lambda p, s, i: s["probes_succeeded"] + 1 < p["max_probes"],
    "probes_complete": lambda p, s, i: s["probes_succeeded"] + 1 >= p["max_probes"],
}

_Counters = Terms


def _fresh_circuit(forced: bool) -> Callable[[Vars, Vars, str, str], _Counters]:
    return lambda s, i, source, target: {
        "probes_admitted": z3.IntVal(0),
        "probes_succeeded": z3.IntVal(0),
        "forced": z3.BoolVal(forced),
    }


def _failure(s: Vars, i: Vars, source: str, target: str) -> _Counters:
    # A failure counts (joins the window) only while closed; a weight is at least one unit.
    counted: _Counters = {"window": s["window"] + i["weight"]} if source == "closed" else {}
    if target == "closed":
        return counted
    return counted | _fresh_circuit(False)(s, i, source, target)


def _probe_success(s: Vars, i: Vars, source: str, target: str) -> _Counters:
    if target == "half_open":
        return {"probes_succeeded": s["probes_succeeded"] + 1}
    return _fresh_circuit(False)(s, i, source, target)


# The bookkeeping of each breaker event (`trust.circuit_breaker._core` _ENTRIES): the
# counters it sets; a state entered afresh starts with no probes and unforced.
BOOKKEEPING: Mapping[str, Callable[[Vars, Vars, str, str], _Counters]] = {
    "failure": _failure,
    "recovery_timeout": _fresh_circuit(False),
    "probe_admitted": lambda s, i, source, target: {"probes_admitted": s["probes_admitted"] + 1},
    "probe_success": _probe_success,
    "probe_timeout": _fresh_circuit(False),
    "force_open": _fresh_circuit(True),
    "reset": _fresh_circuit(False),
}


def _protect(p: Vars, terms: Terms, before: z3.ExprRef, lowers: Lowers) -> None:
    lowered = lowers(terms["posture"])
    terms["posture"] = z3.If(lowered, p["downgrade_on_open"], terms["posture"])
    terms["version"] = z3.If(lowered, terms["version"] + 1, terms["version"])


def _hold(p: Vars, terms: Terms, before: z3.ExprRef, lowers: Lowers) -> None:
    # What the protect displaced, what it set, and the version right after.
    terms["hold_displaced"], terms["hold_held"], terms["hold_version"] = (
        before,
        terms["posture"],
        terms["version"],
    )


def _take_over(p: Vars, terms: Terms, before: z3.ExprRef, lowers: Lowers) -> None:
    terms["hold_displaced"], terms["hold_held"], terms["hold_version"] = (
        terms["restore_displaced"],
        terms["restore_held"],
        terms["restore_version"],
    )


def _restore(p: Vars, terms: Terms, before: z3.ExprRef, lowers: Lowers) -> None:
    # A restore in flight: the newest, pending; it commits in a later step.
    terms["restores"] = terms["restores"] + 1
    terms["restore_phase"] = z3.IntVal(PENDING)
    terms["restore_displaced"], terms["restore_held"], terms["restore_version"] = (
        terms["hold_displaced"],
        terms["hold_held"],
        terms["hold_version"],
    )


def _forfeit(p: Vars, terms: Terms, before: z3.ExprRef, lowers: Lowers) -> None:
    pass  # the hold is dropped: the target state is free


# What each action of the coupling model does to the coupled variables (`trust.circuit_breaker.
# _coupling.PostureCoupling` carries out the same actions on the real engines).
ACTIONS: Mapping[str, Callable[[Vars, Terms, z3.ExprRef, Lowers], None]] = {
    "protect": _protect,
    "hold": _hold,
    "take_over": _take_over,
    "restore": _restore,
    "forfeit": _forfeit,
}


def _restore_pending(p: Vars, s: Vars, i: Vars, lowers: Lowers) -> z3.BoolRef:
    # The engine takes over the hold of any live restore in flight; only the newest is
    # tracked, so whether one is found is left free, when the newest is live.
    return z3.And(s["restores"] >= 1, s["restore_version"] == s["version"], i["takeover"])


# How each guard of the coupling model reads the state (`trust.circuit_breaker.
# _coupling_core` GUARDS reads the same facts from the engine).
COUPLING_GUARDS: Mapping[str, Callable[[Vars, Vars, Vars, Lowers], z3.BoolRef]] = {
    "lowered": lambda p, s, i, lowers: lowers(s["posture"]),
    "lowered_nothing": lambda p, s, i, lowers: z3.Not(lowers(s["posture"])),
    "restore_pending": _restore_pending,
    "no_restore_pending": lambda p, s, i, lowers: z3.Not(_restore_pending(p, s, i, lowers)),
    "restore_on_close": lambda p, s, i, lowers: p["restore_on_close"],
    "keep_on_close": lambda p, s, i, lowers: z3.Not(p["restore_on_close"]),
}

# What each fence of a restore reads at its commit (`trust.circuit_breaker._coupling`
# enforces the same ones: a compare-and-set on the version, the breaker's closed fence).
FENCES: Mapping[str, Callable[[Vars, z3.ExprRef], z3.BoolRef]] = {
    "posture_unchanged": lambda s, closed: s["version"] == s["restore_version"],
    "circuit_closed": lambda s, closed: s["breaker"] == closed,
}


def check_interpretable(breaker: LifecycleSpec, coupling: CouplingSpec) -> None:
    """Refuse specs that use a guard, event, action or fence with no meaning here.

    Raises:
        ValueError: naming every such name.
    """
    unknown = set(breaker.guards) - set(FREE_BREAKER_GUARDS) - set(COUNTER_GUARDS)
    unknown |= set(breaker.events) - set(BOOKKEEPING)
    unknown |= set(coupling.lifecycle.guards) - set(COUPLING_GUARDS)
    unknown |= set(coupling.lifecycle.actions) - set(ACTIONS)
    unknown |= set(coupling.restore_fences) - set(FENCES)
    if unknown:
        raise ValueError(
            "the breaker and coupling specs use guards, events, actions or fences the product "
            f"cannot interpret: {sorted(unknown)}"
        )


__all__ = [
    "ACTIONS",
    "BOOKKEEPING",
    "COMMITTED",
    "COUNTER_GUARDS",
    "COUPLED",
    "COUPLING_GUARDS",
    "FENCES",
    "FREE_BREAKER_GUARDS",
    "NONE",
    "PENDING",
    "Lowers",
    "Terms",
    "check_interpretable",
]
