"""Solving so that the same question always gets the same model.

z3 picks a model by heuristics that depend on the identities of the terms it is given,
and in one process those depend on every term built before: two identical queries on
fresh solvers can get different models. A counterexample or a witness that changes from
call to call cannot be pinned in CI, so every model the verification layer reports is
found here instead: the assertions are copied into a fresh z3 context, in order, and
solved there, where the same assertions get the same term identities and so the same
model, in every call and every process. The model is copied back to the main context,
so the caller evaluates its own terms in it.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import z3


@attrs.frozen
class Answer:
    """What a canonical solve found: ``sat`` with a model, ``unsat``, or ``unknown`` and why."""

    result: z3.CheckSatResult
    model: z3.ModelRef | None = None
    reason: str = ""

    @property
    def sat(self) -> bool:
        return bool(self.result == z3.sat)

    @property
    def unsat(self) -> bool:
        return bool(self.result == z3.unsat)


def solve(assertions: Sequence[z3.BoolRef], timeout_ms: int) -> Answer:
    """Whether ``assertions`` hold together, with the model a fresh context gives for them."""
    context = z3.Context()
    solver = z3.Solver(ctx=context)
    solver.set("timeout", timeout_ms)
    for assertion in assertions:
        solver.add(assertion.translate(context))
    result = solver.check()
    if result == z3.sat:
        return Answer(result, solver.model().translate(z3.main_ctx()))
    if result == z3.unsat:
        return Answer(result)
    return Answer(result, reason=solver.reason_unknown() or "solver returned unknown")


def assignment(model: z3.ModelRef, skip: frozenset[str] = frozenset()) -> z3.BoolRef:
    """The model's values of its constants (but those named in ``skip``), as one conjunction.

    ``z3.Not`` of it blocks that candidate from the next solve.
    """
    decls = sorted(
        (d for d in model.decls() if d.arity() == 0 and d.name() not in skip),
        key=lambda d: d.name(),
    )
    equalities = [d() == model[d] for d in decls]
    return z3.And(*equalities) if equalities else z3.BoolVal(True)


__all__ = ["Answer", "assignment", "solve"]
