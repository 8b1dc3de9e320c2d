"""Canonical solving: the same question gets the same model whatever ran before it."""

from __future__ import annotations

import attrs
import z3

from trust.model import BREAKER_SPEC, POSTURE_SPEC, LifecycleSpec
from trust.proofs import Refuted, Settings
from trust.proofs._canonical import model_of, solve
from trust.proofs._runner import run
from trust.proofs.product import product_properties


def _planted(name: str, change: tuple[str, str, str], guards: tuple[str, ...]) -> LifecycleSpec:
    return attrs.evolve(
        BREAKER_SPEC,
        name=name,
        transitions=tuple(
            attrs.evolve(t, guards=guards) if (t.source, t.event, t.target) == change else t
            for t in BREAKER_SPEC.transitions
        ),
    )


def _refuted(claim: str, breaker: LifecycleSpec) -> Refuted:
    (prop,) = [p for p in product_properties(POSTURE_SPEC, breaker) if p.name.startswith(claim)]
    (outcome,) = run([prop], Settings(timeout_ms=5000))
    assert isinstance(outcome.verdict, Refuted), outcome.verdict
    return outcome.verdict


def _one_success() -> Refuted:
    planted = _planted(
        "planted_one_success",
        ("half_open", "probe_success", "closed"),
        ("outcome_current", "probe_outstanding"),
    )
    return _refuted("closed is re-entered only", planted)


def test_a_counterexample_is_the_same_whatever_ran_before_in_the_process() -> None:
    # The path search once read its model off an incremental solver, and the canonical
    # solve translated terms into a fresh context, which brings along every datatype the
    # process had declared: the planted bug's path started from another posture once a
    # second planted lifecycle had been checked (as `--only` changed what ran before).
    first = _one_success()
    _refuted(
        "the product invariant",
        _planted("planted_unlimited_probes", ("half_open", "probe_admitted", "half_open"), ()),
    )
    assert _one_success() == first


def test_model_of_an_incremental_solver_is_the_fresh_solve_of_its_assertions() -> None:
    x, y = z3.Ints("x y")
    solver = z3.Solver()
    solver.add(x > 0)
    solver.push()
    solver.add(x < 0)
    assert solver.check() == z3.unsat
    solver.pop()
    solver.add(y > x, y < 100)
    assert solver.check() == z3.sat
    model = model_of(solver, 5000)
    fresh = solve([x > 0, y > x, y < 100], 5000).model
    assert fresh is not None
    assert (model.eval(x), model.eval(y)) == (fresh.eval(x), fresh.eval(y))
    assert model.eval(x).as_long() > 0
    assert model.eval(y).as_long() > model.eval(x).as_long()


def test_names_that_need_quoting_survive_the_text_round_trip() -> None:
    colour, (red, green) = z3.EnumSort("colour", ["red", "green"])
    odd = z3.Const("guard:guards pass|x", colour)
    counter = z3.Int("ceiling@0")
    answer = solve([odd != red, counter == 3], 5000)
    assert answer.sat
    assert answer.model is not None
    assert answer.model.eval(odd) == green
    assert answer.model.eval(counter).as_long() == 3
    assert solve([counter == 1, counter == 2], 5000).unsat


def test_any_name_gives_a_model_of_the_callers_own_constants() -> None:
    names = ["a b", "ü≡", 'q"uote', "new\nline", "back\\slash", "pipe|", "(paren)", "x@1"]
    constants = [z3.Int(name) for name in names]
    claims = [c == i + 10 for i, c in enumerate(constants)]
    answer = solve(claims, 5000)
    assert answer.model is not None
    assert [answer.model.eval(c).as_long() for c in constants] == list(range(10, 10 + len(names)))
