"""The runtime against its twin on concrete cases: ``check``, ``validate_tightening``, ``compose``.

A law proved on a twin says something about the runtime only if the runtime does what
the twin says. For each operation, every case is run through both: the runtime on the
raw values, the twin on their encodings (`proofs.twins.ConcreteTwin`), and z3 decides
the twin's closed formula. When the runtime accepts a tightening the twin rejects, the
twin's witness, confirmed by the runtime's ``check``, shows what the child lets through.

Which laws rest on which operations is `LAW_OPERATIONS`: a law is established for the
runtime when it is proved on the twin and the runtime agrees with the twin on each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import z3

from trust.constraints import ConstraintDimension, ConstraintValue
from trust.proofs._canonical import solve
from trust.proofs._cases import Law, Lists, Undecided, distinct
from trust.proofs.twins._concrete import decide

OPERATIONS = ("check", "validate_tightening", "compose")

SHAPES = {"check": (1, 1), "validate_tightening": (2, 0), "compose": (2, 1)}
"""How many raw values and contexts each operation's cases draw."""

LAW_OPERATIONS: Mapping[str, tuple[str, ...]] = {
    "tightening is sound": ("validate_tightening", "check"),
    "tightening is exact": ("validate_tightening", "check"),
    "tightening is reflexive": ("validate_tightening",),
    "tightening is transitive": ("validate_tightening",),
    "compose is a lower bound of each input": ("compose", "validate_tightening"),
    "compose is the greatest lower bound": ("compose", "validate_tightening"),
    "compose allows exactly what every input allows": ("compose", "check"),
    "compose is commutative": ("compose", "validate_tightening"),
    "compose is associative": ("compose", "validate_tightening"),
    "compose is idempotent": ("compose", "validate_tightening"),
}

ENCODES = ("encode", "encode_context", "allows", "tighter", "meet")
"""What a twin needs for the runtime to be held to it case by case."""

TwinFor = Callable[[Sequence[ConstraintValue]], Any]
"""The twin that encodes the given parsed values."""


def can_encode(twin: object) -> bool:
    return all(callable(getattr(twin, m, None)) for m in ENCODES)


def _decide(formula: z3.BoolRef, timeout_ms: int) -> bool:
    try:
        return decide(formula, timeout_ms)
    except ValueError as error:
        raise Undecided(str(error)) from None


def _witnessed(
    dim: ConstraintDimension, twin: Any, child: ConstraintValue, parent: ConstraintValue
) -> str | None:
    """A context ``child`` allows and ``parent`` refuses, from the twin, if the runtime agrees."""
    if not all(callable(getattr(twin, m, None)) for m in ("witness", "runtime_context")):
        return None
    term = twin.witness(twin.encode(child), twin.encode(parent))
    answer = solve([twin.admissible(term)], 5000)
    if answer.model is None:
        return None
    context = twin.runtime_context(answer.model, term)
    if (
        dim.check(child, dict(context)).satisfied is True
        and dim.check(parent, dict(context)).satisfied is not True
    ):
        return f"{context!r} (the runtime's check: the child allows it, the parent refuses it)"
    return None


def operation_law(
    dim: ConstraintDimension, twin_for: TwinFor, operation: str, timeout_ms: int
) -> Law:
    """The law "the runtime's ``operation`` agrees with the twin's" over raw cases."""

    def law(raws: list[Any], ctxs: list[dict[str, Any]]) -> Mapping[str, str] | None:
        if operation == "validate_tightening":
            shown = {"parent": repr(raws[1]), "child": repr(raws[0])}
        else:
            shown = {"a": repr(raws[0]), **({"b": repr(raws[1])} if len(raws) > 1 else {})}
            shown["context"] = repr(ctxs[0])
        try:
            parsed = [dim.parse(raw) for raw in raws]
            twin = twin_for(parsed)
            encoded = [twin.encode(value) for value in parsed]
            if operation == "check":
                what = "check(a, context)"
                runtime = dim.check(parsed[0], dict(ctxs[0])).satisfied is True
                symbolic = twin.allows(encoded[0], twin.encode_context(dict(ctxs[0])))
            elif operation == "validate_tightening":
                what = "validate_tightening(parent, child)"
                runtime = dim.validate_tightening(parsed[1], parsed[0]) is True
                symbolic = twin.tighter(encoded[0], encoded[1])
            else:
                what = "check(compose([a, b]), context)"
                met = dim.compose([parsed[0], parsed[1]])
                runtime = dim.check(met, dict(ctxs[0])).satisfied is True
                context = twin.encode_context(dict(ctxs[0]))
                symbolic = twin.allows(twin.meet(encoded[0], encoded[1]), context)
            expected = _decide(symbolic, timeout_ms)
            if runtime == expected:
                return None
            shown["because"] = f"the runtime's {what} is {runtime}, the twin's {expected}"
            if operation == "validate_tightening" and runtime:
                example = _witnessed(dim, twin, parsed[0], parsed[1])
                if example is not None:
                    shown["context"] = example
        except Undecided:
            raise
        except Exception as error:  # a runtime or twin that raises on valid inputs
            shown["raised"] = f"{type(error).__name__}: {error}"
        return shown

    return law


def generated(twin: Any, timeout_ms: int) -> Lists | None:
    """Raw values and contexts from the twin's own models, or None if it cannot decode them.

    A twin that decodes (``runtime_value(model, constraint)`` and ``runtime_context``)
    gives one case for each way two constraints and a context can relate: each is or is
    not within the other, and each allows or refuses the context, as far as the twin
    admits it. Solved canonically, so the same every time.
    """
    if not all(callable(getattr(twin, m, None)) for m in ("runtime_value", "runtime_context")):
        return None
    a, b, x = twin.constraint("sample.a"), twin.constraint("sample.b"), twin.context("sample.x")
    base = [twin.well_formed(a), twin.well_formed(b), twin.admissible(x)]
    relations = [twin.tighter(a, b), twin.tighter(b, a), twin.allows(a, x), twin.allows(b, x)]
    values: list[Any] = []
    contexts: list[dict[str, Any]] = []
    for signs in range(1 << len(relations)):
        wanted = [r if signs >> i & 1 else z3.Not(r) for i, r in enumerate(relations)]
        answer = solve([*base, *wanted], timeout_ms)
        if answer.model is not None:
            values += [twin.runtime_value(answer.model, a), twin.runtime_value(answer.model, b)]
            contexts.append(twin.runtime_context(answer.model, x))
    if not values:
        return None
    return Lists(distinct(values), distinct(contexts), "generated from the twin's models")


__all__ = [
    "LAW_OPERATIONS",
    "OPERATIONS",
    "SHAPES",
    "can_encode",
    "generated",
    "operation_law",
]
