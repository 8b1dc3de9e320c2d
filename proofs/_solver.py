"""Asking z3 whether a claim is valid, one fresh solver per query."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import z3

from trust.proofs._canonical import solve
from trust.proofs._verdict import Proved, Refuted, Unknown, Verdict

DEFAULT_TIMEOUT_MS = 5000


def prove(
    claim: z3.BoolRef,
    *,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    describe: Callable[[z3.ModelRef], Mapping[str, str]] | None = None,
) -> Verdict:
    """Whether ``claim`` holds for every value of its free constants.

    z3 looks for a model of ``not claim``: none means proved, one is the counterexample
    (rendered by ``describe``, or as every constant ``name=value``), and anything else is
    `Unknown` with z3's reason. The counterexample is solved for canonically
    (`proofs._canonical`), so it is the same in every call and process.
    """
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(z3.Not(claim))
    answer = solver.check()
    if answer == z3.unsat:
        return Proved()
    if answer == z3.sat:
        # The counterexample from a fresh context: the same in every call and process.
        canonical = solve([z3.Not(claim)], timeout_ms)
        model = canonical.model if canonical.model is not None else solver.model()
        if describe is not None:
            return Refuted(describe(model))
        return Refuted({decl.name(): str(model[decl]) for decl in model.decls()})
    return Unknown(solver.reason_unknown() or "solver returned unknown")
