"""Proving a claim of every reachable state of a transition system, by an inductive invariant.

A `System` is symbolic: state variables, per-step inputs, fixed parameters, an initial
condition and a transition relation ``T(state, inputs, next)``. An invariant ``I`` covers
every reachable state when it holds initially (initiation) and every step from a state
satisfying it leads to one satisfying it (consecution). A claim about states or steps is
then proved for all reachable ones by checking it under ``I`` alone: no depth bound.

When a check fails, the failure is made concrete: a bounded search from the initial state
looks for a real path that ends in the failure and reports it event by event. If no path of
at most `SEARCH_DEPTH` steps reaches it, the one-step counterexample to induction is
reported instead, marked as such (the invariant may be too weak rather than the claim false).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs
import z3

from trust.proofs._canonical import model_of, solve
from trust.proofs._verdict import Proved, Refuted, Unknown, Verdict

SEARCH_DEPTH = 8
"""The longest path the search for a concrete counterexample tries."""

Vars = Mapping[str, z3.ExprRef]
StateClaim = Callable[[Vars, Vars], z3.BoolRef]  # (params, state)
StepClaim = Callable[[Vars, Vars, Vars, Vars], z3.BoolRef]  # (params, state, inputs, next)


@attrs.frozen(kw_only=True)
class System:
    """A symbolic transition system and how to print its states and steps.

    Attributes:
        state: Each state variable's name and sort.
        inputs: Each per-step input's name and sort (the event and what it carries).
        params: Each fixed parameter's name and sort (configuration).
        assume: What the parameters satisfy.
        init: The initial states.
        step: The transition relation.
        show_params: The parameters of a model, as text.
        show_state: A state of a model, as text.
        show_step: The inputs of a step of a model, as text.
    """

    state: Mapping[str, z3.SortRef]
    inputs: Mapping[str, z3.SortRef]
    params: Mapping[str, z3.SortRef]
    assume: Callable[[Vars], z3.BoolRef]
    init: StateClaim
    step: StepClaim
    show_params: Callable[[z3.ModelRef, Vars], str]
    show_state: Callable[[z3.ModelRef, Vars], str]
    show_step: Callable[[z3.ModelRef, Vars, Vars, Vars], str]

    def fresh(self, sorts: Mapping[str, z3.SortRef], tag: str) -> dict[str, z3.ExprRef]:
        return {name: z3.Const(f"{name}@{tag}", sort) for name, sort in sorts.items()}

    def parameters(self) -> dict[str, z3.ExprRef]:
        return {name: z3.Const(name, sort) for name, sort in self.params.items()}


def _check(solver: z3.Solver) -> z3.CheckSatResult:
    return solver.check()


def prove_inductive(system: System, invariant: StateClaim, *, timeout_ms: int) -> Verdict:
    """Whether ``invariant`` holds initially and is preserved by every step."""
    params = system.parameters()
    now, inputs, after = (
        system.fresh(system.state, "0"),
        system.fresh(system.inputs, "0"),
        system.fresh(system.state, "1"),
    )
    initiation = z3.Implies(
        z3.And(system.assume(params), system.init(params, now)), invariant(params, now)
    )
    failed = _refute(initiation, timeout_ms)
    if failed is not None:
        return (
            failed
            if isinstance(failed, Unknown)
            else _path_to(
                system, lambda p, s, i, n: z3.Not(invariant(p, s)), timeout_ms, "invariant broken"
            )
        )
    consecution = z3.Implies(
        z3.And(
            system.assume(params),
            invariant(params, now),
            system.step(params, now, inputs, after),
        ),
        invariant(params, after),
    )
    failed = _refute(consecution, timeout_ms)
    if failed is None:
        return Proved()
    if isinstance(failed, Unknown):
        return failed
    return _explain(
        system,
        lambda p, s, i, n: z3.And(invariant(p, s), z3.Not(invariant(p, n))),
        timeout_ms,
        "invariant not preserved",
        cti=z3.And(
            system.assume(params),
            invariant(params, now),
            system.step(params, now, inputs, after),
            z3.Not(invariant(params, after)),
        ),
        cti_vars=(params, now, inputs, after),
    )


def prove_step_claim(
    system: System, invariant: StateClaim, claim: StepClaim, *, timeout_ms: int
) -> Verdict:
    """Whether every step from a state satisfying ``invariant`` satisfies ``claim``."""
    params = system.parameters()
    now, inputs, after = (
        system.fresh(system.state, "0"),
        system.fresh(system.inputs, "0"),
        system.fresh(system.state, "1"),
    )
    premise = z3.And(
        system.assume(params), invariant(params, now), system.step(params, now, inputs, after)
    )
    failed = _refute(z3.Implies(premise, claim(params, now, inputs, after)), timeout_ms)
    if failed is None:
        return Proved()
    if isinstance(failed, Unknown):
        return failed
    return _explain(
        system,
        lambda p, s, i, n: z3.Not(claim(p, s, i, n)),
        timeout_ms,
        "claim broken",
        cti=z3.And(premise, z3.Not(claim(params, now, inputs, after))),
        cti_vars=(params, now, inputs, after),
    )


def prove_state_claim(
    system: System, invariant: StateClaim, claim: StepClaim, *, timeout_ms: int
) -> Verdict:
    """Whether every state satisfying ``invariant`` satisfies ``claim`` for every input.

    ``claim`` is called with the state as both its state and its next state.
    """
    params = system.parameters()
    now, inputs = system.fresh(system.state, "0"), system.fresh(system.inputs, "0")
    premise = z3.And(system.assume(params), invariant(params, now))
    failed = _refute(z3.Implies(premise, claim(params, now, inputs, now)), timeout_ms)
    if failed is None:
        return Proved()
    if isinstance(failed, Unknown):
        return failed
    return _explain(
        system,
        lambda p, s, i, n: z3.Not(claim(p, n, i, n)),
        timeout_ms,
        "claim broken",
        cti=z3.And(premise, z3.Not(claim(params, now, inputs, now))),
        cti_vars=(params, now, inputs, now),
        on_state=True,
    )


def _refute(claim: z3.BoolRef, timeout_ms: int) -> Refuted | Unknown | None:
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(z3.Not(claim))
    answer = _check(solver)
    if answer == z3.unsat:
        return None
    if answer == z3.sat:
        return Refuted({})
    return Unknown(solver.reason_unknown() or "solver returned unknown")


def _explain(
    system: System,
    bad_step: StepClaim,
    timeout_ms: int,
    what: str,
    *,
    cti: z3.BoolRef,
    cti_vars: tuple[Vars, Vars, Vars, Vars],
    on_state: bool = False,
) -> Verdict:
    found = _path_to(system, bad_step, timeout_ms, what, on_state=on_state)
    if isinstance(found, Refuted) and found.counterexample:
        return found
    # Solved in a fresh context: the same counterexample whatever ran before.
    answer = solve([cti], timeout_ms)
    if answer.model is None:  # pragma: no cover - the same query was just satisfiable
        return Unknown("the counterexample could not be reproduced")
    model = answer.model
    params, now, inputs, after = cti_vars
    return Refuted(
        {
            "0 kind": f"{what}: counterexample to induction; no path of at most "
            f"{SEARCH_DEPTH} steps from the initial state reaches it",
            "1 params": system.show_params(model, params),
            "2 state": system.show_state(model, now),
            "3 step": system.show_step(model, params, now, inputs),
            "4 next": system.show_state(model, after),
        }
    )


def _path_to(
    system: System, bad_step: StepClaim, timeout_ms: int, what: str, *, on_state: bool = False
) -> Verdict:
    """A shortest path from an initial state whose last step satisfies ``bad_step``.

    With ``on_state``, ``bad_step`` is a condition on the last state (its next state) and
    on inputs offered there, and a path of no steps is tried first. An empty `Refuted`
    means no path of at most `SEARCH_DEPTH` steps.
    """
    params = system.parameters()
    states = [system.fresh(system.state, "0")]
    inputs: list[dict[str, z3.ExprRef]] = []
    offered = system.fresh(system.inputs, "offered")
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(system.assume(params), system.init(params, states[0]))
    for depth in range(SEARCH_DEPTH + 1):
        solver.push()
        if on_state:
            solver.add(bad_step(params, states[-1], offered, states[-1]))
        elif depth == 0:
            solver.add(z3.BoolVal(False))
        else:
            solver.add(bad_step(params, states[-2], inputs[-1], states[-1]))
        if solver.check() == z3.sat:
            model = model_of(solver, timeout_ms)
            shown = _render(system, model, params, states, inputs, what)
            if on_state:
                shown["3 offered"] = system.show_step(model, params, states[-1], offered)
                # The claim may hinge on a guard the offered step does not read: show them all.
                guards = sorted(k for k, v in offered.items() if z3.is_bool(v))
                shown["4 guards"] = ", ".join(
                    f"{k}={model.eval(offered[k], model_completion=True)}" for k in guards
                )
            return Refuted(shown)
        solver.pop()
        inputs.append(system.fresh(system.inputs, str(depth)))
        states.append(system.fresh(system.state, str(depth + 1)))
        solver.add(system.step(params, states[-2], inputs[-1], states[-1]))
    return Refuted({})


def _render(
    system: System,
    model: z3.ModelRef,
    params: Vars,
    states: list[dict[str, z3.ExprRef]],
    inputs: list[dict[str, z3.ExprRef]],
    what: str,
) -> dict[str, str]:
    width = len(str(len(inputs)))
    shown = {
        "0 kind": f"{what}: a path of {len(inputs)} step(s) from the initial state",
        "1 params": system.show_params(model, params),
        f"2 state {0:0{width}d}": system.show_state(model, states[0]),
    }
    for index, step in enumerate(inputs, start=1):
        event = system.show_step(model, params, states[index - 1], step)
        shown[f"2 state {index:0{width}d}"] = (
            f"--{event}--> {system.show_state(model, states[index])}"
        )
    return shown


__all__ = [
    "SEARCH_DEPTH",
    "System",
    "prove_inductive",
    "prove_state_claim",
    "prove_step_claim",
]
