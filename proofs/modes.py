"""Proofs about the interaction modes: how dimension verdicts combine, and which children tighten.

Both rules are the runtime's own pure functions in `trust.constraints._modes`:

- `combine` is encoded once (`combine_count`): for CONJUNCTIVE, DISJUNCTIVE and INDEPENDENT
  the verdict depends only on how many of the ``n`` dimensions passed, for HIERARCHICAL on
  the first. A property of the proof run checks the encoding against the runtime's `combine`
  on every verdict vector of up to `BOUND` dimensions, and `proofs.conformance.modes` the
  real `MultiDimensionEvaluator.evaluate`, so the proofs are about the code.
- The shape rule is not restated at all: every pattern of parent and child dimension names
  (up to `ORDER_BOUND` distinct names in every order, and up to `BOUND` names with the
  child keeping the parent's order) is put to the runtime's `shape_violations`, and the
  monotonicity claim is made for exactly the patterns it accepts.

Each dimension's verdict on one context is a boolean; per-dimension tightening soundness
(proved dimension by dimension elsewhere) is the premise ``child_x -> parent_x`` for every
dimension ``x`` both sets name. Then "every context the child allows, the parent allows" is
``combine(mode, child verdicts) -> combine(mode, parent verdicts)`` for every verdict vector.

Why the bounds suffice (the general argument). The runtime looks at dimension names only
through membership and list order, so renaming them changes nothing: a parent is
``p1..pk`` and a child's extra names ``c1..cj`` in order of appearance, with no loss. The
rule it enforces, read off the enumeration, is: CONJUNCTIVE keeps every parent dimension,
DISJUNCTIVE adds none and keeps at least one, INDEPENDENT keeps the same set and
HIERARCHICAL the same sequence (an empty parent admits any child). For any ``n``:
CONJUNCTIVE: a passing child passes every dimension, hence every shared one, hence the
parent's (it has no others). DISJUNCTIVE: one child dimension passes; it is the parent's
too and passes there. INDEPENDENT: same dimensions, each pass of the child's a pass of the
parent's, so a strict majority stays one. HIERARCHICAL: the same first dimension decides
both. The ordering of the modes and HIERARCHICAL's agreement with its first dimension are
also proved over a symbolic ``n`` with symbolic counts, not only up to the bound.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence

import attrs
import z3

from trust.constraints._modes import InteractionMode, combine, shape_violations
from trust.proofs._canonical import model_of
from trust.proofs._property import Property, Settings
from trust.proofs._solver import prove
from trust.proofs._verdict import Proved, Refuted, Unknown, Verdict

BOUND = 8
"""Dimensions per constraint set up to which the rules are checked name by name."""

ORDER_BOUND = 5
"""Distinct dimension names up to which every order of the child's names is checked."""

SUBJECT = "interaction modes"

CONJUNCTIVE = InteractionMode.CONJUNCTIVE
DISJUNCTIVE = InteractionMode.DISJUNCTIVE
INDEPENDENT = InteractionMode.INDEPENDENT
HIERARCHICAL = InteractionMode.HIERARCHICAL


def combine_count(
    mode: InteractionMode, n: z3.ArithRef, passed: z3.ArithRef, first: z3.BoolRef
) -> z3.BoolRef:
    """`combine` as z3: ``n`` dimensions, ``passed`` of them passed, ``first`` the first's."""
    if mode is CONJUNCTIVE:
        verdict = passed == n
    elif mode is DISJUNCTIVE:
        verdict = passed > 0
    elif mode is INDEPENDENT:
        verdict = 2 * passed > n
    elif mode is HIERARCHICAL:
        verdict = first
    else:  # pragma: no cover - a new mode must be encoded before it can be proved
        raise ValueError(f"mode must be one of {list(InteractionMode)}, got {mode!r}")
    return z3.If(n == 0, z3.BoolVal(True), verdict)


def combine_term(mode: InteractionMode, verdicts: Sequence[z3.BoolRef]) -> z3.BoolRef:
    """`combine(mode, verdicts)` as z3, for a known number of dimensions."""
    if not verdicts:
        return combine_count(mode, z3.IntVal(0), z3.IntVal(0), z3.BoolVal(True))
    passed = z3.Sum(*[z3.If(v, 1, 0) for v in verdicts])
    return combine_count(mode, z3.IntVal(len(verdicts)), passed, verdicts[0])


@attrs.frozen(order=True)
class Pattern:
    """A parent's and a child's dimension names, in their mapping order."""

    parent: tuple[str, ...]
    child: tuple[str, ...]

    @property
    def shared(self) -> tuple[str, ...]:
        return tuple(name for name in self.child if name in self.parent)

    def size(self) -> int:
        return len(set(self.parent) | set(self.child))


def _parent(k: int) -> tuple[str, ...]:
    return tuple(f"p{i}" for i in range(1, k + 1))


def _added(j: int) -> tuple[str, ...]:
    return tuple(f"c{i}" for i in range(1, j + 1))


def _ordered_patterns(bound: int) -> Iterator[Pattern]:
    """Every parent/child pair of at most ``bound`` names, up to renaming, in every order."""
    for k in range(bound + 1):
        parent = _parent(k)
        for j in range(bound - k + 1):
            added = _added(j)
            for i in range(k + 1):
                for kept in itertools.permutations(parent, i):
                    # The added names are interchangeable: only where they stand matters.
                    for slots in itertools.combinations(range(i + j), j):
                        kept_iter, added_iter = iter(kept), iter(added)
                        child = tuple(
                            next(added_iter) if at in slots else next(kept_iter)
                            for at in range(i + j)
                        )
                        yield Pattern(parent, child)


def _presence_patterns(bound: int) -> Iterator[Pattern]:
    """Every pair of at most ``bound`` names whose child keeps the parent's order.

    Added names stand all before or all after the kept ones.
    """
    for k in range(bound + 1):
        parent = _parent(k)
        for mask in itertools.product((False, True), repeat=k):
            kept = tuple(name for name, keep in zip(parent, mask, strict=True) if keep)
            for j in range(bound - k + 1):
                added = _added(j)
                yield Pattern(parent, kept + added)
                yield Pattern(parent, added + kept)


@functools.cache
def patterns() -> tuple[Pattern, ...]:
    """The name patterns put to the runtime's shape rule, smallest first."""
    found = set(_ordered_patterns(ORDER_BOUND)) | set(_presence_patterns(BOUND))
    return tuple(sorted(found, key=lambda p: (p.size(), p)))


@functools.cache
def accepted(mode: InteractionMode) -> tuple[Pattern, ...]:
    """The patterns whose child the runtime's `shape_violations` lets through under ``mode``."""
    return tuple(
        p
        for p in patterns()
        if not shape_violations(dict.fromkeys(p.parent, 1), dict.fromkeys(p.child, 1), mode)
    )


@functools.cache
def _parent_verdict(name: str) -> z3.BoolRef:
    return z3.Bool(f"parent:{name}")


@functools.cache
def _child_verdict(name: str) -> z3.BoolRef:
    return z3.Bool(f"child:{name}")


def _monotone(mode: InteractionMode, pattern: Pattern) -> z3.BoolRef:
    tightened = z3.And(*[z3.Implies(_child_verdict(x), _parent_verdict(x)) for x in pattern.shared])
    child = combine_term(mode, [_child_verdict(x) for x in pattern.child])
    parent = combine_term(mode, [_parent_verdict(x) for x in pattern.parent])
    return z3.Implies(tightened, z3.Implies(child, parent))


def _claim_key(mode: InteractionMode, pattern: Pattern) -> object:
    """Patterns with one key have the same claim up to renaming the verdict variables.

    Except under HIERARCHICAL, `combine_term` counts passes, so only how many names are
    shared, the parent's alone and the child's alone matters, not which or in what order.
    """
    if mode is HIERARCHICAL:
        return pattern
    shared = len(pattern.shared)
    return (shared, len(pattern.parent) - shared, len(pattern.child) - shared)


def _describe(mode: InteractionMode, pattern: Pattern, model: z3.ModelRef) -> dict[str, str]:
    def shown(verdict: Callable[[str], z3.BoolRef], names: Sequence[str]) -> str:
        values = [f"{x}={z3.is_true(model.eval(verdict(x), model_completion=True))}" for x in names]
        return ", ".join(values) or "(none)"

    return {
        "1 mode": mode.name,
        "2 parent dims": f"[{', '.join(pattern.parent)}]",
        "3 child dims": f"[{', '.join(pattern.child)}]",
        "4 parent verdicts": shown(_parent_verdict, pattern.parent),
        "5 child verdicts": shown(_child_verdict, pattern.child),
        "6 outcome": "the child allows the context, the parent refuses it",
    }


def monotone_under(
    mode: InteractionMode, shape_mode: InteractionMode, settings: Settings
) -> Verdict:
    """Whether every child the shape rule of ``shape_mode`` accepts tightens under ``mode``.

    ``shape_mode`` is ``mode`` for the runtime's own rule; another mode shows what a
    mode-blind rule would let through. Patterns are tried smallest first, so a refutation
    names the smallest pattern that fails, with the verdicts that break it.
    """
    solver = z3.Solver()
    solver.set("timeout", settings.timeout_ms)
    tried: set[object] = set()
    for pattern in accepted(shape_mode):
        key = _claim_key(mode, pattern)
        if key in tried:
            continue
        tried.add(key)
        solver.push()
        solver.add(z3.Not(_monotone(mode, pattern)))
        answer = solver.check()
        if answer == z3.sat:
            return Refuted(_describe(mode, pattern, model_of(solver, settings.timeout_ms)))
        if answer != z3.unsat:
            return Unknown(solver.reason_unknown() or "solver returned unknown")
        solver.pop()
    return Proved()


def combine_matches_runtime(settings: Settings) -> Verdict:
    """Whether `combine_term` equals the runtime's `combine` on every vector up to `BOUND`.

    `combine_term` is `combine_count` at the vector's length, count of passes and first
    verdict, so it is enough that the runtime's verdict is a function of those three and
    that `combine_count` gives it: every vector is put to the runtime, and z3 checks the
    encoding at each ``(n, passed, first)`` the vectors reach.
    """
    for mode in InteractionMode:
        seen: dict[tuple[int, int, bool], tuple[list[bool], bool]] = {}
        claims = []
        for n in range(BOUND + 1):
            for bits in itertools.product((False, True), repeat=n):
                vector = list(bits)
                runtime = combine(mode, vector)
                key = (n, sum(vector), bool(vector) and vector[0])
                if key in seen:
                    if seen[key][1] != runtime:
                        return Refuted(
                            {
                                "mode": mode.name,
                                "verdicts": f"{seen[key][0]} and {vector}",
                                "runtime combine": f"{seen[key][1]} and {runtime}",
                                "note": "the same n, passes and first verdict, different results",
                            }
                        )
                    continue
                seen[key] = (vector, runtime)
                encoded = combine_count(
                    mode, z3.IntVal(key[0]), z3.IntVal(key[1]), z3.BoolVal(key[2])
                )
                claims.append((vector, runtime, encoded))
        for vector, runtime, encoded in claims:
            if z3.is_true(z3.simplify(encoded)) != runtime:
                return Refuted(
                    {
                        "mode": mode.name,
                        "verdicts": str(vector),
                        "runtime combine": str(runtime),
                        "encoding": str(not runtime),
                    }
                )
    return Proved()


def _symbolic_counts() -> tuple[z3.ArithRef, z3.ArithRef, z3.BoolRef, z3.BoolRef]:
    """Any number of dimensions ``n >= 1``, ``passed`` of them, and the first's verdict."""
    n, passed, first = z3.Int("n"), z3.Int("passed"), z3.Bool("first")
    sane = z3.And(
        n >= 1,
        passed >= 0,
        passed <= n,
        z3.Implies(first, passed >= 1),
        z3.Implies(z3.Not(first), passed <= n - 1),
    )
    return n, passed, first, sane


def _ordering_claim(verdicts: Sequence[z3.BoolRef]) -> z3.BoolRef:
    conj, indep, disj = (combine_term(m, verdicts) for m in (CONJUNCTIVE, INDEPENDENT, DISJUNCTIVE))
    return z3.And(z3.Implies(conj, indep), z3.Implies(indep, disj))


def _vectors() -> list[list[z3.BoolRef]]:
    return [[z3.Bool(f"v{i}") for i in range(1, n + 1)] for n in range(BOUND + 1)]


def _ordering(settings: Settings) -> Verdict:
    n, passed, first, sane = _symbolic_counts()
    conj, indep, disj = (
        combine_count(m, n, passed, first) for m in (CONJUNCTIVE, INDEPENDENT, DISJUNCTIVE)
    )
    every_n = z3.Implies(sane, z3.And(z3.Implies(conj, indep), z3.Implies(indep, disj)))
    named = z3.And(*[_ordering_claim(v) for v in _vectors()])
    return prove(z3.And(every_n, named), timeout_ms=settings.timeout_ms)


def _hierarchical_first(settings: Settings) -> Verdict:
    n, passed, first, sane = _symbolic_counts()
    every_n = z3.Implies(sane, combine_count(HIERARCHICAL, n, passed, first) == first)
    named = z3.And(*[combine_term(HIERARCHICAL, v) == v[0] for v in _vectors() if v])
    return prove(z3.And(every_n, named), timeout_ms=settings.timeout_ms)


def _monotonicity(mode: InteractionMode) -> Property:
    return Property(
        name=(
            f"{mode.name}: a child validate_tightening accepts allows only what its parent "
            f"allows (n <= {BOUND}, every order for n <= {ORDER_BOUND})"
        ),
        subject=SUBJECT,
        method="z3 over the runtime's shape rule",
        check=lambda settings: monotone_under(mode, mode, settings),
    )


def mode_properties() -> list[Property]:
    """The interaction-mode properties, in report order."""
    return [
        Property(
            name=f"the z3 encoding of combine equals the runtime's on every vector, n <= {BOUND}",
            subject=SUBJECT,
            method="z3 vs runtime truth table",
            check=combine_matches_runtime,
        ),
        Property(
            name=(
                f"CONJUNCTIVE => INDEPENDENT => DISJUNCTIVE on the same verdicts "
                f"(every n; and n <= {BOUND} dimension by dimension)"
            ),
            subject=SUBJECT,
            method="z3",
            check=_ordering,
        ),
        Property(
            name=f"HIERARCHICAL equals its first dimension (every n; and n <= {BOUND})",
            subject=SUBJECT,
            method="z3",
            check=_hierarchical_first,
        ),
        *[_monotonicity(mode) for mode in (CONJUNCTIVE, DISJUNCTIVE, INDEPENDENT, HIERARCHICAL)],
        Property(
            name="mode-blind tightening (a DISJUNCTIVE child may add a dimension) is sound",
            subject=SUBJECT,
            method="z3 over the runtime's shape rule",
            check=lambda settings: monotone_under(DISJUNCTIVE, CONJUNCTIVE, settings),
            expect_refuted=True,
        ),
    ]


def pattern_counts() -> Mapping[InteractionMode, int]:
    """How many name patterns each mode's shape rule accepts (for the report and tests)."""
    return {mode: len(accepted(mode)) for mode in InteractionMode}


__all__ = [
    "BOUND",
    "ORDER_BOUND",
    "Pattern",
    "accepted",
    "combine_count",
    "combine_matches_runtime",
    "combine_term",
    "mode_properties",
    "monotone_under",
    "pattern_counts",
    "patterns",
]
