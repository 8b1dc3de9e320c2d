"""Solving so that the same question always gets the same model.

z3 picks a model by heuristics that depend on the identities of the terms it is given,
and in one process those depend on every term built before: two identical queries on
fresh solvers can get different models. A counterexample or a witness that changes from
call to call cannot be pinned in CI, so every model the verification layer reports is
found here instead: the assertions are written out as SMT-LIB text and read back into a
fresh z3 context, where the same text gets the same terms, sorts and declarations, and so
the same model, in every call and every process. (Translating the terms into the fresh
context instead is not enough: a translated datatype sort brings along every datatype the
process declared before, so the model still depended on what ran earlier, e.g. on which
properties a ``--only`` selected.) The model is copied back to the main context, so the
caller evaluates its own terms in it.
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
    try:
        answer = _solve(assertions, timeout_ms, _smt2(assertions))
    except z3.Z3Exception:
        # A name SMT-LIB cannot write (one with "|" or "\\").
        answer = None
    if answer is None or (answer.model is not None and not _holds(answer.model, assertions)):
        # Translated terms give a model all the same, if not always the same one.
        answer = _solve(assertions, timeout_ms, None)
    return answer


def _solve(assertions: Sequence[z3.BoolRef], timeout_ms: int, text: str | None) -> Answer:
    context = z3.Context()
    solver = z3.Solver(ctx=context)
    solver.set("timeout", timeout_ms)
    if text is not None:
        solver.from_string(text)
    else:
        for assertion in assertions:
            solver.add(assertion.translate(context))
    result = solver.check()
    if result == z3.sat:
        return Answer(result, solver.model().translate(z3.main_ctx()))
    if result == z3.unsat:
        return Answer(result)
    return Answer(result, reason=solver.reason_unknown() or "solver returned unknown")


def _holds(model: z3.ModelRef, assertions: Sequence[z3.BoolRef]) -> bool:
    """Whether the model read back satisfies the caller's own assertions (it names their
    constants, not look-alikes the text round trip made)."""
    return all(z3.is_true(model.eval(a, model_completion=True)) for a in assertions)


def _smt2(assertions: Sequence[z3.BoolRef]) -> str:
    """The assertions as SMT-LIB text: what they say, and nothing of the process's history."""
    text = z3.Solver()
    text.add(*assertions)
    return str(text.to_smt2())


def model_of(solver: z3.Solver, timeout_ms: int) -> z3.ModelRef:
    """The canonical model of what ``solver`` holds, once it has answered ``sat``.

    A solver used incrementally (pushes, pops, earlier checks) picks its model by its own
    history; the assertions it holds now, solved afresh, give the same model whatever ran
    before. Its own model is the fallback when the fresh solve cannot decide in time: a
    counterexample all the same, if not always the same one.
    """
    answer = solve(list(solver.assertions()), timeout_ms)
    return answer.model if answer.model is not None else solver.model()


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


__all__ = ["Answer", "assignment", "model_of", "solve"]
