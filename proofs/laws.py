"""The laws every dimension's constraint algebra must obey, stated over a `SymbolicTwin`.

Each law is one z3 validity query on fresh symbolic constraints and contexts, so it holds
for every value the twin's ``well_formed`` and ``admissible`` admit. A refutation names
the constraints and the context in the dimension's own notation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import z3

from trust.proofs._property import Property, Settings
from trust.proofs._solver import prove
from trust.proofs._verdict import Verdict
from trust.proofs.twins._protocol import SymbolicTwin

Shown = Sequence[tuple[str, str, Any]]
"""What a counterexample prints: (label, "constraint" or "context", symbolic value)."""

LAW_NAMES = (
    "tightening is sound",
    "tightening is exact",
    "tightening is reflexive",
    "tightening is transitive",
    "compose is a lower bound of each input",
    "compose is the greatest lower bound",
    "compose allows exactly what every input allows",
    "compose is commutative",
    "compose is associative",
    "compose is idempotent",
)


def _check(
    twin: SymbolicTwin, build: Callable[[SymbolicTwin], tuple[z3.BoolRef, Shown]]
) -> Callable[[Settings], Verdict]:
    def check(settings: Settings) -> Verdict:
        claim, shown = build(twin)

        def describe(model: z3.ModelRef) -> dict[str, str]:
            return {
                label: (
                    twin.show_constraint(model, value)
                    if kind == "constraint"
                    else twin.show_context(model, value)
                )
                for label, kind, value in shown
            }

        return prove(claim, timeout_ms=settings.timeout_ms, describe=describe)

    return check


def _same(twin: SymbolicTwin, a: Any, b: Any) -> z3.BoolRef:
    return z3.And(twin.tighter(a, b), twin.tighter(b, a))


def _sound(t: SymbolicTwin) -> tuple[z3.BoolRef, Shown]:
    parent, child, ctx = t.constraint("parent"), t.constraint("child"), t.context("ctx")
    claim = z3.Implies(
        z3.And(
            t.well_formed(parent),
            t.well_formed(child),
            t.admissible(ctx),
            t.tighter(child, parent),
            t.allows(child, ctx),
        ),
        t.allows(parent, ctx),
    )
    return claim, [
        ("parent", "constraint", parent),
        ("child", "constraint", child),
        ("context", "context", ctx),
    ]


def _exact(t: SymbolicTwin) -> tuple[z3.BoolRef, Shown]:
    parent, child = t.constraint("parent"), t.constraint("child")
    witness = t.witness(child, parent)
    claim = z3.Implies(
        z3.And(t.well_formed(parent), t.well_formed(child), z3.Not(t.tighter(child, parent))),
        z3.And(t.admissible(witness), t.allows(child, witness), z3.Not(t.allows(parent, witness))),
    )
    return claim, [
        ("parent", "constraint", parent),
        ("child", "constraint", child),
        ("context", "context", witness),
    ]


def _reflexive(t: SymbolicTwin) -> tuple[z3.BoolRef, Shown]:
    a = t.constraint("a")
    return z3.Implies(t.well_formed(a), t.tighter(a, a)), [("constraint", "constraint", a)]


def _transitive(t: SymbolicTwin) -> tuple[z3.BoolRef, Shown]:
    a, b, c = t.constraint("a"), t.constraint("b"), t.constraint("c")
    claim = z3.Implies(
        z3.And(
            t.well_formed(a), t.well_formed(b), t.well_formed(c), t.tighter(a, b), t.tighter(b, c)
        ),
        t.tighter(a, c),
    )
    return claim, [("a", "constraint", a), ("b", "constraint", b), ("c", "constraint", c)]


def _lower_bound(t: SymbolicTwin) -> tuple[z3.BoolRef, Shown]:
    a, b = t.constraint("a"), t.constraint("b")
    met = t.meet(a, b)
    claim = z3.Implies(
        z3.And(t.well_formed(a), t.well_formed(b)),
        z3.And(t.tighter(met, a), t.tighter(met, b)),
    )
    return claim, [("a", "constraint", a), ("b", "constraint", b), ("composed", "constraint", met)]


def _greatest(t: SymbolicTwin) -> tuple[z3.BoolRef, Shown]:
    a, b, x = t.constraint("a"), t.constraint("b"), t.constraint("x")
    met = t.meet(a, b)
    claim = z3.Implies(
        z3.And(
            t.well_formed(a), t.well_formed(b), t.well_formed(x), t.tighter(x, a), t.tighter(x, b)
        ),
        t.tighter(x, met),
    )
    return claim, [
        ("a", "constraint", a),
        ("b", "constraint", b),
        ("below both", "constraint", x),
        ("composed", "constraint", met),
    ]


def _intersection(t: SymbolicTwin) -> tuple[z3.BoolRef, Shown]:
    a, b, ctx = t.constraint("a"), t.constraint("b"), t.context("ctx")
    met = t.meet(a, b)
    claim = z3.Implies(
        z3.And(t.well_formed(a), t.well_formed(b), t.admissible(ctx)),
        t.allows(met, ctx) == z3.And(t.allows(a, ctx), t.allows(b, ctx)),
    )
    return claim, [
        ("a", "constraint", a),
        ("b", "constraint", b),
        ("composed", "constraint", met),
        ("context", "context", ctx),
    ]


def _commutative(t: SymbolicTwin) -> tuple[z3.BoolRef, Shown]:
    a, b = t.constraint("a"), t.constraint("b")
    claim = z3.Implies(
        z3.And(t.well_formed(a), t.well_formed(b)), _same(t, t.meet(a, b), t.meet(b, a))
    )
    return claim, [("a", "constraint", a), ("b", "constraint", b)]


def _associative(t: SymbolicTwin) -> tuple[z3.BoolRef, Shown]:
    a, b, c = t.constraint("a"), t.constraint("b"), t.constraint("c")
    claim = z3.Implies(
        z3.And(t.well_formed(a), t.well_formed(b), t.well_formed(c)),
        _same(t, t.meet(t.meet(a, b), c), t.meet(a, t.meet(b, c))),
    )
    return claim, [("a", "constraint", a), ("b", "constraint", b), ("c", "constraint", c)]


def _idempotent(t: SymbolicTwin) -> tuple[z3.BoolRef, Shown]:
    a = t.constraint("a")
    return z3.Implies(t.well_formed(a), _same(t, t.meet(a, a), a)), [("a", "constraint", a)]


_LAWS: tuple[Callable[[SymbolicTwin], tuple[z3.BoolRef, Shown]], ...] = (
    _sound,
    _exact,
    _reflexive,
    _transitive,
    _lower_bound,
    _greatest,
    _intersection,
    _commutative,
    _associative,
    _idempotent,
)


def law_properties(twin: SymbolicTwin, subject: str) -> list[Property]:
    """The ten laws of `LAW_NAMES` for ``twin``, as z3 properties of ``subject``.

    When the twin is not exact, "tightening is exact" is expected to be refuted: the
    report then shows a pair the runtime conservatively rejects although no context
    tells them apart.
    """
    return [
        Property(
            name=name
            if name != "tightening is exact" or twin.exact
            else "tightening is exact (deliberately conservative: refutation expected)",
            subject=subject,
            method="z3",
            check=_check(twin, law),
            expect_refuted=name == "tightening is exact" and not twin.exact,
        )
        for name, law in zip(LAW_NAMES, _LAWS, strict=True)
    ]


__all__ = ["LAW_NAMES", "law_properties"]
