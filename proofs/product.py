"""Proofs about the posture and breaker lifecycles together, for every reachable state.

The system is `Product` (see `proofs._product_system`): both `LifecycleSpec`s and the
engine's coupling, counters symbolic. Its invariant is proved inductive (initiation and
consecution, by z3), and each claim below is then checked of every step from a state
satisfying it, so it holds along every path of any length. A failure is printed as a
concrete path of events from the initial state (see `proofs._induction`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import z3

from trust.model import BREAKER_SPEC, COUPLING_SPEC, POSTURE_SPEC, CouplingSpec, LifecycleSpec
from trust.proofs._induction import (
    StateClaim,
    StepClaim,
    Vars,
    prove_inductive,
    prove_state_claim,
    prove_step_claim,
)
from trust.proofs._product_show import RESTORE, SET_POSTURE
from trust.proofs._product_system import (
    EMERGENCY,
    UPGRADE,
    Product,
    breaker_event,
    posture_event,
)
from trust.proofs._property import Property, Settings
from trust.proofs._verdict import Proved, Verdict

# The claims. Each is checked under the inductive invariant, so for every reachable state.


def _emergency(prod: Product) -> StepClaim:
    blocked = prod.pos.state["blocked"]

    def claim(p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        return z3.Implies(
            prod.is_event(i, posture_event(EMERGENCY)),
            z3.And(
                n["posture"] == blocked,
                z3.Not(z3.And(n["holds"], n["hold_version"] == n["version"])),
            ),
        )

    return claim


def _emergency_enabled(prod: Product) -> StepClaim:
    """From every state, with every value of every guard, the move to blocked exists."""
    blocked = prod.pos.state["blocked"]
    emergency = prod.pos.event[EMERGENCY]

    def claim(p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        guards = {g: i[f"pg.{g}"] for g in prod.posture.guards}
        return prod.pos.moves(s["posture"], emergency, blocked, guards=guards)

    return claim


def _autonomy(prod: Product) -> StepClaim:
    def claim(p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        approved = z3.And(i["pg.requester_present"], i["pg.guards_pass"])
        return z3.Implies(
            prod.level(n["posture"]) > prod.level(s["posture"]),
            z3.Or(
                z3.And(prod.is_event(i, posture_event(UPGRADE)), approved),
                z3.And(
                    prod.is_event(i, RESTORE),
                    approved,
                    n["posture"] == s["restore_displaced"],
                    prod.level(n["posture"]) <= prod.level(s["ceiling"]),
                ),
                prod.is_event(i, SET_POSTURE),
            ),
        )

    return claim


def _restore_fenced(prod: Product) -> StepClaim:
    def claim(p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        breaker_changed = z3.And(
            n["version"] != s["version"],
            z3.Not(z3.Or(*[prod.is_event(i, posture_event(e)) for e in prod.posture.events])),
            z3.Not(prod.is_event(i, SET_POSTURE)),
        )
        raises = prod.level(n["posture"]) > prod.level(s["posture"])
        # The breaker raises a posture only by its restore, and only if nobody else has
        # changed it (an emergency or manual downgrade, anything) since its own downgrade.
        return z3.Implies(
            z3.And(breaker_changed, raises),
            z3.And(
                prod.is_event(i, RESTORE),
                s["last_other"] < s["restore_version"],
                s["version"] == s["restore_version"],
            ),
        )

    return claim


def _held_down_while_open(prod: Product) -> StepClaim:
    closed = prod.brk.state["closed"]

    def claim(p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        others = [prod.is_event(i, posture_event(e)) for e in prod.posture.events]
        # Opening leaves the posture at most downgrade_on_open; while the circuit stays
        # open or half-open, only someone else raises it: never the breaker's restore.
        return z3.And(
            z3.Implies(
                z3.And(s["breaker"] == closed, n["breaker"] != closed),
                prod.level(n["posture"]) <= prod.level(p["downgrade_on_open"]),
            ),
            z3.Implies(
                z3.And(
                    s["breaker"] != closed,
                    n["breaker"] != closed,
                    prod.level(n["posture"]) > prod.level(s["posture"]),
                ),
                z3.Or(*others, prod.is_event(i, SET_POSTURE)),
            ),
        )

    return claim


def _opens_at_threshold(prod: Product) -> StepClaim:
    closed, opened = prod.brk.state["closed"], prod.brk.state["open"]

    def claim(p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        return z3.Implies(
            z3.And(s["breaker"] == closed, n["breaker"] == opened),
            z3.Or(
                z3.And(prod.is_event(i, breaker_event("failure")), n["window"] >= p["threshold"]),
                prod.is_event(i, breaker_event("force_open")),
            ),
        )

    return claim


def _probes_bounded(prod: Product) -> StepClaim:
    def claim(p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        return z3.And(
            n["probes_admitted"] <= p["max_probes"], n["probes_succeeded"] <= n["probes_admitted"]
        )

    return claim


def _closes_after_n(prod: Product) -> StepClaim:
    closed = prod.brk.state["closed"]

    def claim(p: Vars, s: Vars, i: Vars, n: Vars) -> z3.BoolRef:
        return z3.Implies(
            z3.And(s["breaker"] != closed, n["breaker"] == closed),
            z3.Or(
                z3.And(
                    prod.is_event(i, breaker_event("probe_success")),
                    s["probes_succeeded"] + 1 == p["max_probes"],
                ),
                prod.is_event(i, breaker_event("reset")),
            ),
        )

    return claim


@functools.cache
def _inductive(prod: Product, timeout_ms: int) -> Verdict:
    return prove_inductive(prod.system, prod.invariant, timeout_ms=timeout_ms)


def check_claim(
    prod: Product, claim: Callable[[Product], StepClaim], settings: Settings, *, free: bool = False
) -> Verdict:
    """Whether ``claim`` holds of every step (every state, if ``free``) reachable in ``prod``.

    The invariant must be inductive first; if it is not, that is the verdict.
    """
    inductive = _inductive(prod, settings.timeout_ms)
    if not isinstance(inductive, Proved):
        return inductive
    invariant: StateClaim = prod.invariant
    if free:
        return prove_state_claim(
            prod.system, invariant, claim(prod), timeout_ms=settings.timeout_ms
        )
    return prove_step_claim(prod.system, invariant, claim(prod), timeout_ms=settings.timeout_ms)


def product_properties(
    posture: LifecycleSpec = POSTURE_SPEC,
    breaker: LifecycleSpec = BREAKER_SPEC,
    coupling: CouplingSpec = COUPLING_SPEC,
) -> list[Property]:
    """The properties of the posture x breaker product, coupled by ``coupling``, for every
    reachable state."""
    subject = f"{posture.name} x {breaker.name}"

    def prop(name: str, claim: Callable[[Product], StepClaim], *, free: bool = False) -> Property:
        return Property(
            name=name,
            subject=subject,
            method="z3, inductive invariant",
            check=lambda settings: check_claim(
                Product.of(posture, breaker, coupling), claim, settings, free=free
            ),
        )

    return [
        Property(
            name="the product invariant holds initially and every step preserves it",
            subject=subject,
            method="z3, inductive invariant",
            check=lambda settings: _inductive(
                Product.of(posture, breaker, coupling), settings.timeout_ms
            ),
        ),
        prop(
            "emergency downgrade is enabled from every reachable state, whatever the guards",
            _emergency_enabled,
            free=True,
        ),
        prop("emergency downgrade reaches blocked and forfeits any hold", _emergency),
        prop(
            "autonomy rises only by an approved upgrade, a breaker restore to the displaced "
            "posture (never above what others set), or an administrative set_posture",
            _autonomy,
        ),
        prop(
            "a breaker restore never overrides a later downgrade (emergency, manual, any change)",
            _restore_fenced,
        ),
        prop(
            "opening holds the posture at most downgrade_on_open, and while the circuit is "
            "not closed only someone else raises it (a restore never commits into it)",
            _held_down_while_open,
        ),
        prop(
            "closed -> open only when weighted failures >= threshold (or forced)",
            _opens_at_threshold,
        ),
        prop("half_open admits at most N = half_open_max_calls probes", _probes_bounded),
        prop("closed is re-entered only at the N-th probe success (or a reset)", _closes_after_n),
    ]


__all__ = ["Product", "check_claim", "product_properties"]
