"""Conformance of the evaluator's real entry points with the proved interaction modes.

`proofs.modes` proves the modes on the z3 encoding of `combine` and on the runtime's
shape rule. These checks put the very calls users make to the test:

- `MultiDimensionEvaluator.evaluate` must decide every verdict vector as the encoding
  does, list exactly the failing dimensions in mapping order, and under HIERARCHICAL
  follow the first dimension of the mapping (not of the registry, not of sorted names).
- `MultiDimensionEvaluator.validate_tightening` must accept exactly the children the
  monotonicity proof covers (a name pattern the shape rule admits, every shared dimension
  tightened), and on every one of them ``evaluate`` must be monotone: each context the
  child passes, the parent passes.

Both run over probe dimensions whose verdict the context sets: a probe's constraint is a
set of letters, and it allows a context whose value under its name is one of them.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import z3

from trust.constraints import (
    ConstraintCheckResult,
    ConstraintDimension,
    ConstraintDimensionRegistry,
    ConstraintValue,
    InteractionMode,
    MultiDimensionEvaluator,
)
from trust.proofs._property import Property, Settings
from trust.proofs._verdict import Proved, Refuted, Verdict
from trust.proofs.modes import SUBJECT, Pattern, accepted, combine_count, patterns

VECTOR_BOUND = 8
"""Dimensions per constraint set up to which every verdict vector is evaluated."""

DEEP_VECTOR_BOUND = 12

NAME_BOUND = 2
"""Distinct dimension names up to which every parent/child pair is put to the runtime."""

DEEP_NAME_BOUND = 3

LETTERS = "ab"
VALUES = ("a", "b", "ab")
"""A probe's constraints: ``{a}`` and ``{b}`` are incomparable, both within ``{a, b}``."""


class Probe(ConstraintDimension):
    """A test dimension: allows a context whose value under its name is one of its letters."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return "conformance probe: the context's letter must be one of the constraint's"

    def parse(self, value: Any) -> ConstraintValue:
        if type(value) is not str or not value or not set(value) <= set(LETTERS):
            raise ValueError(f"{self._name} must be letters of {LETTERS!r}, got {value!r}")
        return ConstraintValue(dimension=self._name, raw_value=value, parsed=frozenset(value))

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        letter = context.get(self._name)
        return ConstraintCheckResult(
            satisfied=letter in constraint.parsed, reason=f"{self._name}={letter!r}"
        )

    def validate_tightening(self, parent: ConstraintValue, child: ConstraintValue) -> bool:
        return bool(child.parsed <= parent.parsed)

    def compose(self, constraints: list[ConstraintValue]) -> ConstraintValue:
        letters = frozenset.intersection(*(c.parsed for c in constraints))
        return ConstraintValue(
            dimension=self._name, raw_value="".join(sorted(letters)), parsed=letters
        )


def _evaluator(names: Sequence[str]) -> MultiDimensionEvaluator:
    registry = ConstraintDimensionRegistry()
    for name in names:
        registry.register(Probe(name))
    return MultiDimensionEvaluator(registry, enable_anti_gaming=False)


@functools.cache
def _encoded(mode: InteractionMode, n: int, passed: int, first: bool) -> bool:
    """The z3 encoding's verdict; `combine_term` is `combine_count` at these three values."""
    term = combine_count(mode, z3.IntVal(n), z3.IntVal(passed), z3.BoolVal(first))
    return bool(z3.is_true(z3.simplify(term)))


def _orders(n: int) -> Iterator[tuple[int, ...]]:
    """Mapping orders of ``n`` registered names: as registered, reversed, rotated by one."""
    seen: set[tuple[int, ...]] = set()
    plain = tuple(range(n))
    for order in (plain, plain[::-1], plain[1:] + plain[:1]):
        if order not in seen:
            seen.add(order)
            yield order


def _vector_cases(bound: int) -> Iterator[tuple[tuple[str, ...], tuple[bool, ...]]]:
    """(names in mapping order, the verdict of each) for every vector and order up to ``bound``."""
    for n in range(bound + 1):
        for order in _orders(n):
            names = tuple(f"d{i + 1}" for i in order)
            for bits in itertools.product((False, True), repeat=n):
                yield names, bits


def evaluate_matches_encoding(settings: Settings) -> Verdict:
    """Whether the real ``evaluate`` decides every vector as the z3 encoding of the modes."""
    bound = DEEP_VECTOR_BOUND if settings.deep else VECTOR_BOUND
    evaluator = _evaluator([f"d{i + 1}" for i in range(bound)])
    cases = 0
    for names, bits in _vector_cases(bound):
        constraints = dict.fromkeys(names, "a")
        context = {name: "a" if bit else "b" for name, bit in zip(names, bits, strict=True)}
        failing = tuple(name for name, bit in zip(names, bits, strict=True) if not bit)
        expected_first = bool(bits) and bits[0]
        for mode in InteractionMode:
            cases += 1
            result = evaluator.evaluate(constraints, context, mode)
            encoded = _encoded(mode, len(bits), sum(bits), expected_first)
            problem = None
            if result.satisfied is not encoded:
                problem = f"evaluate says satisfied={result.satisfied}, the encoding {encoded}"
            elif result.failed_dimensions != failing:
                problem = (
                    f"failed_dimensions={list(result.failed_dimensions)}, expected {list(failing)}"
                )
            elif tuple(result.dimension_results) != names:
                problem = f"dimension_results in order {list(result.dimension_results)}"
            if problem is not None:
                return Refuted(
                    {
                        "1 mode": mode.name,
                        "2 constraints (mapping order)": repr(constraints),
                        "3 verdicts": ", ".join(
                            f"{n}={b}" for n, b in zip(names, bits, strict=True)
                        )
                        or "(none)",
                        "4 context": repr(context),
                        "5 problem": problem,
                    }
                )
    return Proved(note=f"evaluate ≡ encoding on {cases:,} cases")


def _sets(names: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(VALUES, repeat=len(names))
    ]


def _contexts(names: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        dict(zip(names, letters, strict=True))
        for letters in itertools.product(LETTERS, repeat=len(names))
    ]


def _proved_rule(
    mode: InteractionMode, pattern: Pattern, parent: dict[str, str], child: dict[str, str]
) -> bool:
    """What the monotonicity proof covers: an admitted pattern, every shared name tightened."""
    return pattern in _accepted(mode) and all(
        set(child[x]) <= set(parent[x]) for x in pattern.shared
    )


@functools.cache
def _accepted(mode: InteractionMode) -> frozenset[Pattern]:
    return frozenset(accepted(mode))


def _hop(mode: InteractionMode, parent: dict[str, str], child: dict[str, str]) -> dict[str, str]:
    return {
        "1 mode": mode.name,
        "2 parent": repr(parent),
        "3 child": repr(child),
    }


def tightening_matches_proof(settings: Settings) -> Verdict:
    """Whether the real ``validate_tightening`` accepts exactly the proved children, soundly."""
    bound = DEEP_NAME_BOUND if settings.deep else NAME_BOUND
    chosen = [p for p in patterns() if p.size() <= bound]
    names = sorted({n for p in chosen for n in (*p.parent, *p.child)})
    evaluator = _evaluator(names)
    decisions = contexts_checked = 0
    for pattern in chosen:
        everyone = tuple(dict.fromkeys((*pattern.parent, *pattern.child)))
        contexts = _contexts(everyone)
        for parent, child in itertools.product(_sets(pattern.parent), _sets(pattern.child)):
            for mode in InteractionMode:
                decisions += 1
                accepts = not evaluator.validate_tightening(parent, child, mode)
                if accepts != _proved_rule(mode, pattern, parent, child):
                    return Refuted(
                        {
                            **_hop(mode, parent, child),
                            "4 runtime": "accepts" if accepts else "rejects",
                            "5 proved rule": "rejects" if accepts else "accepts",
                        }
                    )
                if not accepts:
                    continue
                for context in contexts:
                    contexts_checked += 1
                    if (
                        evaluator.evaluate(child, context, mode).satisfied
                        and not evaluator.evaluate(parent, context, mode).satisfied
                    ):
                        return Refuted(
                            {
                                **_hop(mode, parent, child),
                                "4 context": repr(context),
                                "5 outcome": "tightening accepted; the child allows the "
                                "context, the parent refuses it",
                            }
                        )
    note = f"{decisions:,} tightening decisions ≡ proof, monotone on {contexts_checked:,} contexts"
    return Proved(note=note)


def conformance_properties() -> list[Property]:
    """The modes' conformance checks, in report order."""
    return [
        Property(
            name="MultiDimensionEvaluator.evaluate decides every verdict vector as the encoding",
            subject=SUBJECT,
            method="runtime vs z3 encoding",
            check=evaluate_matches_encoding,
            bound=(
                f"every verdict vector of up to {VECTOR_BOUND} dimensions ({DEEP_VECTOR_BOUND} "
                "with --deep), each in 3 mapping orders (as registered, reversed, rotated), "
                "every mode; probe dimensions"
            ),
        ),
        Property(
            name=(
                "MultiDimensionEvaluator.validate_tightening accepts exactly the children the "
                "monotonicity proof covers, and evaluate is monotone on them"
            ),
            subject=SUBJECT,
            method="runtime vs proof, exhaustive",
            check=tightening_matches_proof,
            bound=(
                f"parent/child sets over up to {NAME_BOUND} names ({DEEP_NAME_BOUND} with "
                "--deep) in every order, each value one of {a}, {b}, {a, b}, every context, "
                "every mode; probe dimensions"
            ),
        ),
    ]


__all__ = [
    "Probe",
    "conformance_properties",
    "evaluate_matches_encoding",
    "tightening_matches_proof",
]
