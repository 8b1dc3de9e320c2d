"""`verify_delegation`: check a chain of delegated constraint sets hop by hop.

Each hop is checked by the runtime's own mode-aware `validate_tightening`. For a hop it
rejects, the twins look for a context the child allows and the parent refuses; the
runtime evaluator must confirm that context before it is reported, so a counterexample
is never a twin's opinion alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs
import z3

from proofs.twins import (
    CommunicationTwin,
    CostTwin,
    DataAccessTwin,
    PathTwin,
    RateTwin,
    TimeWindowTwin,
)
from proofs.twins.data_access import NAMES
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import (
    ConstraintDimension,
    ConstraintDimensionRegistry,
    ConstraintValue,
    InteractionMode,
    MultiDimensionEvaluator,
)
from trust.constraints.builtin import (
    CommunicationDimension,
    CostLimitDimension,
    DataAccessDimension,
    RateLimitDimension,
    ResourceDimension,
    TimeDimension,
    register_builtin_dimensions,
)


def _frozen(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if value is None else MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class Hop:
    """One delegation, ``chain[index]`` (parent) to ``chain[index + 1]`` (child).

    Attributes:
        violations: The runtime's `validate_tightening` messages; empty when valid.
        counterexample: A context the child allows and the parent refuses, confirmed by
            the runtime evaluator; None when the hop is valid or no witness was found.
        note: Why there is no counterexample for a failing hop ("" otherwise).
    """

    index: int
    parent: Mapping[str, Any] = attrs.field(converter=_frozen)
    child: Mapping[str, Any] = attrs.field(converter=_frozen)
    violations: tuple[str, ...]
    counterexample: Mapping[str, Any] | None = attrs.field(default=None, converter=_frozen)
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.violations


@attrs.frozen(kw_only=True)
class DelegationReport:
    """What `verify_delegation` concluded.

    Attributes:
        mode: The interaction mode every set of the chain is evaluated under.
        hops: One `Hop` per delegation, root first.
        effective: What the whole chain allows, per dimension (see `verify_delegation`);
            None when it cannot be stated, with ``effective_note`` saying why.
    """

    mode: InteractionMode
    hops: tuple[Hop, ...]
    effective: Mapping[str, ConstraintValue] | None = attrs.field(converter=_frozen)
    effective_note: str = ""

    @property
    def ok(self) -> bool:
        """Whether every hop is a valid tightening."""
        return all(hop.ok for hop in self.hops)

    def __str__(self) -> str:
        count = len(self.hops)
        lines = [f"verify_delegation ({self.mode.value}): {count} hop{'' if count == 1 else 's'}"]
        for hop in self.hops:
            verdict = "ok" if hop.ok else "WIDENS"
            lines.append(f"hop {hop.index} -> {hop.index + 1}: {verdict}")
            lines += [f"  {v}" for v in hop.violations]
            if hop.counterexample is not None:
                lines.append(
                    f"  counterexample (confirmed by the runtime): {dict(hop.counterexample)!r}"
                )
            elif hop.note:
                lines.append(f"  no counterexample: {hop.note}")
        if self.effective is None:
            lines.append(f"effective: unknown ({self.effective_note})")
        else:
            shown = {name: value.raw_value for name, value in self.effective.items()}
            lines.append(f"effective: {shown!r}")
        return "\n".join(lines)


def _witness_twin(dim: ConstraintDimension, values: list[ConstraintValue]) -> Any:
    """A twin that encodes runtime values and decodes contexts for ``dim``, or None."""
    if type(dim) is CostLimitDimension:
        return CostTwin()
    if type(dim) is TimeDimension:
        # Over the runtime's offset tables of the zones the values are written in.
        return TimeWindowTwin.for_values(values)
    if type(dim) is ResourceDimension:
        return PathTwin()
    if type(dim) is RateLimitDimension:
        return RateTwin()
    if type(dim) is CommunicationDimension:
        # Bounded (a few labels, one small block): other values are refused by encode.
        return CommunicationTwin()
    if type(dim) is DataAccessDimension:
        # The twin's classification universe must hold every name the values list.
        listed = {n for v in values for n in (v.parsed.classifications or ())}
        return DataAccessTwin(tuple(sorted(set(NAMES) | listed)))
    make = getattr(dim, "symbolic", None)
    twin = make() if callable(make) else None
    needed = ("encode", "context", "admissible", "allows", "runtime_context")
    return twin if all(callable(getattr(twin, m, None)) for m in needed) else None


def _combine(mode: InteractionMode, verdicts: list[z3.BoolRef]) -> z3.BoolRef:
    """`trust.constraints._modes.combine` as a z3 term."""
    if not verdicts:
        return z3.BoolVal(True)
    if mode is InteractionMode.CONJUNCTIVE:
        return z3.And(*verdicts)
    if mode is InteractionMode.DISJUNCTIVE:
        return z3.Or(*verdicts)
    if mode is InteractionMode.INDEPENDENT:
        return 2 * z3.Sum(*[z3.If(v, 1, 0) for v in verdicts]) > len(verdicts)
    return verdicts[0]


def _witness(
    parent: Mapping[str, Any],
    child: Mapping[str, Any],
    mode: InteractionMode,
    registry: ConstraintDimensionRegistry,
    evaluator: MultiDimensionEvaluator,
    timeout_ms: int,
) -> tuple[dict[str, Any] | None, str]:
    """A context ``child`` allows and ``parent`` refuses, confirmed; else why there is none."""
    contexts: dict[str, tuple[Any, Any]] = {}
    verdicts: dict[str, dict[str, z3.BoolRef]] = {"parent": {}, "child": {}}
    blind: list[str] = []
    for name in dict.fromkeys([*parent, *child]):
        dim = registry.get(name)
        sides = {s: v for s, v in (("parent", parent), ("child", child)) if name in v}
        twin, encoded = None, {}
        if dim is not None:
            try:
                parsed = {side: dim.parse(values[name]) for side, values in sides.items()}
                twin = _witness_twin(dim, list(parsed.values()))
                if twin is not None:
                    encoded = {side: twin.encode(value) for side, value in parsed.items()}
            except Exception:  # unparsable or outside what the twin encodes: no twin
                twin = None
        if twin is None:
            # Unknown to the twins: its verdicts are free, and the runtime decides.
            blind.append(name)
            for side in sides:
                verdicts[side][name] = z3.Bool(f"{side}.{name}.passes")
            continue
        ctx = twin.context(name)
        contexts[name] = (twin, ctx)
        for side, value in encoded.items():
            verdicts[side][name] = twin.allows(value, ctx)
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*[twin.admissible(ctx) for twin, ctx in contexts.values()])
    solver.add(_combine(mode, [verdicts["child"][n] for n in child]))
    solver.add(z3.Not(_combine(mode, [verdicts["parent"][n] for n in parent])))
    answer = solver.check()
    without = f" (dimensions without a twin: {blind})" if blind else ""
    if answer != z3.sat:
        what = "none exists on the twins" if answer == z3.unsat else f"z3: {answer}"
        return (
            None,
            f"no context found that the child allows and the parent refuses; {what}{without}",
        )
    model = solver.model()
    context: dict[str, Any] = {}
    for twin, ctx in contexts.values():
        context.update(twin.runtime_context(model, ctx))
    if (
        evaluator.evaluate(child, context, mode).satisfied
        and not evaluator.evaluate(parent, context, mode).satisfied
    ):
        return context, ""
    return None, f"the twins' candidate {context!r} is not confirmed by the runtime{without}"


def _effective(
    chain: list[dict[str, Any]],
    mode: InteractionMode,
    registry: ConstraintDimensionRegistry,
    valid: bool,
) -> tuple[dict[str, ConstraintValue] | None, str]:
    if mode is not InteractionMode.CONJUNCTIVE:
        if not valid:
            return None, (
                f"under {mode.value} mode the meet of sets that do not nest is not one "
                "constraint set"
            )
        # Every set lies within its parent, so the leaf is the meet of them all.
        chain = chain[-1:]
    parsed: dict[str, list[ConstraintValue]] = {}
    for constraints in chain:
        for name, raw in constraints.items():
            dim = registry.get(name)
            if dim is None:
                return None, f"dimension '{name}' is unknown or pending review"
            try:
                parsed.setdefault(name, []).append(dim.parse(raw))
            except Exception as error:
                return None, f"dimension '{name}' cannot parse {raw!r}: {error}"
    effective = {}
    for name, values in parsed.items():
        dim = registry.get(name)
        assert dim is not None  # every name was looked up above
        try:
            effective[name] = dim.compose(values)
        except Exception as error:
            return None, f"dimension '{name}' cannot compose its values: {error}"
    return effective, ""


def _chain(chain: object) -> list[dict[str, Any]]:
    if isinstance(chain, str | bytes | Mapping) or not isinstance(chain, Sequence):
        raise InvalidTypeError(
            f"chain must be a list of constraint sets (dicts), root first, got {chain!r}"
        )
    if not chain:
        raise InvalidValueError("chain must hold at least one constraint set, got []")
    for index, constraints in enumerate(chain):
        if not isinstance(constraints, Mapping) or not all(isinstance(k, str) for k in constraints):
            raise InvalidTypeError(
                f"chain[{index}] must be a dict of dimension name to raw value, got {constraints!r}"
            )
    return [dict(c) for c in chain]


def verify_delegation(
    chain: Sequence[Mapping[str, Any]],
    mode: InteractionMode | str = InteractionMode.CONJUNCTIVE,
    registry: ConstraintDimensionRegistry | None = None,
    *,
    timeout_ms: int = 5000,
) -> DelegationReport:
    """Check that every set in ``chain`` (root first) tightens the one before it.

    Each hop is checked by `MultiDimensionEvaluator.validate_tightening` under ``mode``.
    For a failing hop, the dimensions' twins search for a context the child allows and
    the parent refuses, and the runtime evaluator confirms it before it is reported as
    the hop's ``counterexample``; otherwise the hop's ``note`` says why there is none (a
    dimension without a twin, a candidate the runtime did not confirm, a twin that cannot
    encode the value).

    The effective constraint is what the whole chain allows. Under CONJUNCTIVE it is the
    meet: per dimension, ``compose`` of every set's value for it, so it holds whether or
    not the hops are valid. Under the other modes a meet of sets is in general not one
    constraint set of that mode, so ``effective`` is the leaf's set when every hop is
    valid (each set then lies within its parent) and None otherwise.

    Args:
        chain: Constraint sets (``{dimension name: raw value}``) from root to leaf.
        mode: The interaction mode of every set.
        registry: Where dimensions are looked up (default: the six built-ins).
        timeout_ms: Per-hop z3 timeout of the witness search.

    Raises:
        InvalidTypeError: ``chain`` is not a non-empty list of dicts with str keys, or
            ``registry`` is not a `ConstraintDimensionRegistry`.
        InvalidValueError: ``mode`` names no `InteractionMode`, or ``timeout_ms`` is not
            a positive int.
    """
    sets = _chain(chain)
    mode = InteractionMode.coerce(mode)
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms <= 0:
        raise InvalidValueError(f"timeout_ms must be a positive int, got {timeout_ms!r}")
    if registry is None:
        registry = ConstraintDimensionRegistry()
        register_builtin_dimensions(registry)
    elif not isinstance(registry, ConstraintDimensionRegistry):
        raise InvalidTypeError(f"registry must be a ConstraintDimensionRegistry, got {registry!r}")
    evaluator = MultiDimensionEvaluator(registry, enable_anti_gaming=False)
    hops = []
    for index, (parent, child) in enumerate(itertools.pairwise(sets)):
        violations = tuple(evaluator.validate_tightening(parent, child, mode))
        context, note = (
            _witness(parent, child, mode, registry, evaluator, timeout_ms)
            if violations
            else (None, "")
        )
        hops.append(
            Hop(
                index=index,
                parent=parent,
                child=child,
                violations=violations,
                counterexample=context,
                note=note,
            )
        )
    effective, why = _effective(sets, mode, registry, all(h.ok for h in hops))
    return DelegationReport(mode=mode, hops=tuple(hops), effective=effective, effective_note=why)


__all__ = ["DelegationReport", "Hop", "verify_delegation"]
