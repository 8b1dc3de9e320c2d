"""The runtime of a dimension against its twin: check, validate_tightening and compose.

A `Universe` lists raw constraint values and contexts. `conformance` parses the values
with the runtime, composes every pair with the runtime, encodes each value (composed ones
too) with the twin, and compares on every case:

- check: the runtime's ``check(value, context).satisfied`` with ``twin.allows``;
- tightening: the runtime's ``validate_tightening(parent, child)`` with ``twin.tighter``;
- compose: the runtime's ``compose([a, b])``, encoded, with ``twin.meet(a, b)``, which
  must be tighter than each other (the same constraint to the twin). Where the runtime
  writes the composed value as ``{"all_of": [a, b]}`` (time windows, resources,
  communication), the twin reads that as its meet, so the comparison is the composed
  value's own: its ``check`` and ``validate_tightening`` (the runtime's meet at work)
  against the twin's meet, in the first two relations.

The twin reads each value as the user wrote it (its ``raw_value``), so the runtime's parse
is held to the twin too. A value the twin cannot encode is a failure: a path the runtime
takes that no proof covers. A disagreement is a `Refuted` that names the values, the
context, what the runtime said and what the twin says.

The twin's formulas are evaluated by `proofs.conformance._evaluator` (compiled from the
twin's own z3 terms); a few cases per relation, and every disagreement before it is
reported, are decided by z3 too, so the translation cannot hide or invent one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import z3

from trust.constraints import ConstraintDimension, ConstraintValue
from trust.constraints.builtin import ALL_OF
from trust.proofs._canonical import solve
from trust.proofs._verdict import Proved, Refuted, Unknown, Verdict
from trust.proofs.conformance._evaluator import Concrete, Evaluator, confirm
from trust.proofs.twins._concrete import all_of

TwinFor = Callable[[Sequence[ConstraintValue]], Any]
"""Builds the twin whose domain covers the given values (zones, names, sizes...)."""

SAMPLE = 8
"""Cases per relation that z3 also decides, to hold the compiled formulas to it (and
every disagreement, before it is reported)."""


@attrs.frozen(kw_only=True)
class Universe:
    """The cases one conformance check enumerates.

    Attributes:
        dimension: The runtime dimension (the object the evaluator calls).
        values: Raw constraint values; every pair of them is also composed.
        contexts: Contexts every value (composed ones too) is checked on.
        contexts_for: Contexts one value (composed ones too) is also checked on, read off
            its twin encoding: those at its own boundaries.
        twin: Builds the twin for the parsed values.
        tightening_composed: How many composed values (evenly spread) also take part
            in the tightening comparison, as child and as parent.
        ordered_pairs: Compose ``[a, b]`` and ``[b, a]`` both, not only one order.
        composing: Compose pairs among the first this many values only (None: all).
        confirmations: Cases per relation z3 decides too (spread evenly; `SAMPLE`).
    """

    dimension: ConstraintDimension
    values: tuple[Any, ...]
    contexts: tuple[Mapping[str, Any], ...]
    twin: TwinFor
    contexts_for: Callable[[Any], Sequence[Mapping[str, Any]]] | None = None
    tightening_composed: int = 0
    ordered_pairs: bool = False
    composing: int | None = None
    confirmations: int = SAMPLE


@attrs.frozen
class _Cases:
    """The parsed values (base first, then composed), and which pair composed to which."""

    values: list[ConstraintValue]
    base: int
    pairs: list[tuple[int, int, int]]  # (a, b, composed), indices into values
    read_as_meet: int  # pairs whose composed raw value is all_of the two raw values


class _Failed(Exception):
    def __init__(self, verdict: Refuted | Unknown) -> None:
        super().__init__(str(verdict))
        self.verdict = verdict


@attrs.frozen
class _Run:
    """What every comparison needs: the cases, the twin and its compiled formulas."""

    universe: Universe
    cases: _Cases
    twin: Any
    evaluator: Evaluator
    encoded: list[Concrete]
    contexts: list[Concrete]
    seen: dict[str, int] = attrs.field(factory=dict)

    def verdict(self, relation: str, expected: bool, *values: Concrete) -> bool:
        """Whether the twin's verdict on ``values`` is ``expected`` (the runtime's).

        z3 decides some cases, spread evenly, and every disagreement too: the compiled
        formula must agree with it, or the check is unknown.
        """
        found = self.evaluator.call(relation, *values)
        count = self.seen[relation] = self.seen.get(relation, -1) + 1
        stride = max(1, self.size(relation) // max(1, self.universe.confirmations))
        if found != expected or (self.universe.confirmations and count % stride == 0):
            decided = confirm(self.evaluator.term(relation, *[v.value for v in values]))
            if decided != found:
                raise _Failed(
                    Unknown(
                        f"the compiled twin formula ({relation}) says {found} and z3 says "
                        f"{decided}: the conformance evaluator is wrong"
                    )
                )
        return found == expected

    def size(self, relation: str) -> int:
        if relation == "allows":
            return max(1, len(self.encoded) * (len(self.contexts) + 8))
        if relation == "tighter":
            return max(1, len(self.encoded) ** 2)
        return max(1, len(self.cases.pairs))


def conformance(universe: Universe) -> Verdict:
    """Whether the runtime agrees with the twin on every case of ``universe``."""
    try:
        cases = _cases(universe)
        twin = universe.twin(cases.values)
        run = _Run(
            universe,
            cases,
            twin,
            Evaluator(twin),
            [_encode(twin, value) for value in cases.values],
            [_encode_context(twin, dict(c)) for c in universe.contexts],
        )
        total = _check(run) + _tightening(run) + _compose(run)
    except _Failed as failed:
        return failed.verdict
    return Proved(note=f"runtime ≡ twin on {total:,} cases")


def _shown(value: object) -> str:
    return repr(value.raw_value) if isinstance(value, ConstraintValue) else repr(value)


def _runtime(what: str, call: Callable[..., Any], *args: Any, **shown: object) -> Any:
    """``call(*args)``, or a refutation naming what raised: the runtime decides every case."""
    try:
        return call(*args)
    except Exception as error:
        raise _Failed(
            Refuted(
                {
                    "1 relation": what,
                    **{f"2 {k}": _shown(v) for k, v in shown.items()},
                    "3 runtime": f"raised {type(error).__name__}: {error}",
                }
            )
        ) from None


def _cases(universe: Universe) -> _Cases:
    dim = universe.dimension
    values = [_runtime("parse", dim.parse, raw, value=raw) for raw in universe.values]
    base = len(values)
    known = {repr(v.raw_value): i for i, v in enumerate(values)}
    pairs, read_as_meet = [], 0
    among = base if universe.composing is None else min(base, universe.composing)
    for i in range(among):
        for k in range(among) if universe.ordered_pairs else range(i, among):
            a, b = values[i], values[k]
            met = _runtime("compose", dim.compose, [a, b], a=a, b=b)
            key = repr(met.raw_value)
            if key not in known:
                known[key] = len(values)
                values.append(met)
            if met.raw_value == {ALL_OF: [*_items(a.raw_value), *_items(b.raw_value)]}:
                read_as_meet += 1
            else:
                pairs.append((i, k, known[key]))
    return _Cases(values, base, pairs, read_as_meet)


def _items(raw: object) -> list[Any]:
    """The values an ``all_of`` intersects, or the value itself."""
    items = all_of(raw)
    return [raw] if items is None else items


def _outside(what: str, subject: object, error: ValueError) -> _Failed:
    return _Failed(
        Refuted(
            {
                "1 relation": f"the twin encodes every {what} the runtime accepts",
                f"2 {what}": _shown(subject),
                "3 twin": f"cannot encode it: {error}",
            }
        )
    )


def _encode(twin: Any, value: ConstraintValue) -> Concrete:
    try:
        return Concrete.of(twin.encode(value))
    except ValueError as error:
        raise _outside("value", value, error) from None


def _encode_context(twin: Any, context: dict[str, Any]) -> Concrete:
    try:
        return Concrete.of(twin.encode_context(context))
    except ValueError as error:
        raise _outside("context", context, error) from None


def _said(allowed: bool) -> str:
    return "allows" if allowed else "refuses"


def _check(run: _Run) -> int:
    dim, common = run.universe.dimension, [dict(c) for c in run.universe.contexts]
    extra = run.universe.contexts_for
    seen: dict[str, Concrete] = {}
    total = 0
    for i, value in enumerate(run.cases.values):
        own = [dict(c) for c in extra(run.encoded[i].value)] if extra is not None else []
        for context in own:
            if repr(context) not in seen:
                seen[repr(context)] = _encode_context(run.twin, context)
        encoded = run.contexts + [seen[repr(c)] for c in own]
        for context, concrete in zip(common + own, encoded, strict=True):
            result = _runtime("check", dim.check, value, context, constraint=value, context=context)
            if not run.verdict("allows", result.satisfied is True, run.encoded[i], concrete):
                raise _Failed(
                    Refuted(
                        {
                            "1 relation": "check",
                            "2 constraint": _shown(value),
                            "3 context": repr(context),
                            "4 runtime": f"{_said(result.satisfied)} ({result.reason})",
                            "5 twin": _said(not result.satisfied),
                        }
                    )
                )
        total += len(encoded)
    return total


def _spread(count: int, among: list[int]) -> list[int]:
    if count >= len(among):
        return among
    step = len(among) / count
    return [among[int(k * step)] for k in range(count)]


def _tightening(run: _Run) -> int:
    dim, cases = run.universe.dimension, run.cases
    composed = list(range(cases.base, len(cases.values)))
    chosen = list(range(cases.base)) + _spread(run.universe.tightening_composed, composed)
    for c in chosen:
        for p in chosen:
            child, parent = cases.values[c], cases.values[p]
            accepted = _runtime(
                "validate_tightening",
                dim.validate_tightening,
                parent,
                child,
                parent=parent,
                child=child,
            )
            if not run.verdict("tighter", accepted is True, run.encoded[c], run.encoded[p]):
                raise _Failed(Refuted(_loosened(run, c, p, accepted is True)))
    return len(chosen) ** 2


def _loosened(run: _Run, c: int, p: int, accepted: bool) -> dict[str, str]:
    child, parent = run.cases.values[c], run.cases.values[p]
    shown = {
        "1 relation": "validate_tightening(parent, child)",
        "2 parent": _shown(parent),
        "3 child": _shown(child),
        "4 runtime": "the child is tighter" if accepted else "the child is not tighter",
        "5 twin": "the child is tighter",
    }
    if accepted:
        shown["5 twin"] = "the child is not tighter" + _witness(
            run.twin, run.encoded[c].value, run.encoded[p].value
        )
    else:
        example = run.universe.dimension.loosening_example(parent, child)
        shown["4 runtime"] += f" ({example})" if example else ""
    return shown


def _closed_model() -> z3.ModelRef:
    """A model with no constants: it evaluates closed terms."""
    solver = z3.Solver()
    solver.check()
    return solver.model()


def _witness(twin: Any, child: Any, parent: Any) -> str:
    """``: it allows <context>`` from the twin's witness, or "" if the twin has none."""
    make = getattr(twin, "witness", None)
    if make is None:
        return ""
    try:
        context = twin.runtime_context(_closed_model(), make(child, parent))
    except Exception:  # a twin that cannot show a witness still has a verdict
        return ""
    return f": the child allows {context!r}, the parent does not"


def _compose(run: _Run) -> int:
    values, encoded = run.cases.values, run.encoded
    for a, b, met in run.cases.pairs:
        if not run.verdict("is_meet", True, encoded[met], encoded[a], encoded[b]):
            twin_met = run.twin.meet(encoded[a].value, encoded[b].value)
            raise _Failed(
                Refuted(
                    {
                        "1 relation": "compose([a, b]) is the twin's meet",
                        "2 a": _shown(values[a]),
                        "3 b": _shown(values[b]),
                        "4 runtime compose": _shown(values[met]),
                        "5 twin": _differ(run.twin, encoded[met].value, twin_met),
                    }
                )
            )
    return len(run.cases.pairs)


def _differ(twin: Any, runtime: Any, met: Any) -> str:
    """A context the runtime's composed value and the twin's meet disagree on, if any."""
    context = twin.context("differs")
    # Solved in a fresh context: the same context whatever ran before.
    answer = solve(
        [twin.admissible(context), twin.allows(runtime, context) != twin.allows(met, context)],
        10_000,
    )
    if answer.model is None:
        return "the meet is not the same constraint (no context tells them apart)"
    model = answer.model
    allowed = z3.is_true(model.eval(twin.allows(met, context), model_completion=True))
    shown = twin.runtime_context(model, context)
    return f"the meet {_said(allowed)} {shown!r}, the composed value {_said(not allowed)} it"
