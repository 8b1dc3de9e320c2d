"""`verify_delegation`: check a chain of delegated constraint sets hop by hop.

Each hop is checked by the runtime's own mode-aware `validate_tightening`. For a hop it
rejects, the twins search for a context the child allows and the parent refuses
(`proofs._witness`); the runtime evaluator must confirm a candidate before it is
reported, so a counterexample is never a twin's opinion alone, and a candidate it does
not confirm is reported as a failure of the verification, never as "no counterexample".
The search is deterministic: the same chain gets the same report in every call and
process.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from trust import InvalidTypeError, InvalidValueError
from trust.constraints import (
    ConstraintDimensionRegistry,
    ConstraintValue,
    InteractionMode,
    MultiDimensionEvaluator,
)
from trust.constraints.builtin import register_builtin_dimensions
from trust.proofs._witness import BOUND, Search, search


class _NoClock:
    """The default registry's clock: a witness names its time, so none is ever read.

    A context without ``current_time`` would otherwise be checked against the wall clock,
    and the same chain would get a different report at a different hour.
    """

    def now(self) -> datetime:
        raise LookupError("verify_delegation reads no clock: a context must give current_time")

    def monotonic(self) -> float:
        return 0.0


def _frozen(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if value is None else MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class Hop:
    """One delegation, ``chain[index]`` (parent) to ``chain[index + 1]`` (child).

    Attributes:
        violations: The runtime's `validate_tightening` messages; empty when valid.
        counterexample: A context the child allows and the parent refuses, confirmed by
            the runtime evaluator; None when the hop is valid or no witness was found.
        search: How the witness search of a failing hop ended (None for a valid hop):
            ``CONFIRMED``, ``NONE`` (no widening context within the twins' bounds: the
            runtime's rejection is stricter than needed), ``UNCONFIRMED`` or ``UNKNOWN``
            (failures of the verification itself).
        note: Why there is no counterexample for a failing hop ("" otherwise).
    """

    index: int
    parent: Mapping[str, Any] = attrs.field(converter=_frozen)
    child: Mapping[str, Any] = attrs.field(converter=_frozen)
    violations: tuple[str, ...]
    counterexample: Mapping[str, Any] | None = attrs.field(default=None, converter=_frozen)
    search: Search | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def verified(self) -> bool:
        """Whether the hop's verdict is established: valid, or a failing hop whose search
        ended with a confirmed witness or a proof that none exists."""
        return self.ok or self.search in (Search.CONFIRMED, Search.NONE)


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
        """Whether every hop is a valid tightening (what a CI asserts)."""
        return all(hop.ok for hop in self.hops)

    @property
    def verified(self) -> bool:
        """Whether every hop's verdict is established (see `Hop.verified`): an
        unconfirmed or unknown witness search is a failure of the verification."""
        return all(hop.verified for hop in self.hops)

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
            elif hop.search is Search.NONE:
                lines.append(f"  no counterexample: {hop.note}")
            elif hop.search is not None:
                lines.append(
                    f"  {hop.search.name} (a failure of the verification, not a verdict on "
                    f"the hop): {hop.note}"
                )
        if not self.ok:
            lines.append(f"witness search: {BOUND}")
        if self.effective is None:
            lines.append(f"effective: unknown ({self.effective_note})")
        else:
            shown = {name: value.raw_value for name, value in self.effective.items()}
            lines.append(f"effective: {shown!r}")
        return "\n".join(lines)


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
    For a failing hop, the dimensions' twins (`proofs.witness_twin`) search for a
    context the child allows and the parent refuses, and the runtime evaluator confirms
    it before it is reported as the hop's ``counterexample``. The search is complete
    within the twins' bounds and up to `proofs._witness.MAX_CANDIDATES` candidates: a
    candidate the runtime does not confirm is blocked and the search goes on. The hop's
    ``search`` says how it ended and ``note`` why there is no counterexample; an
    unconfirmed or unknown search is a failure of the verification (``report.verified``
    is False), never "no counterexample". The same chain gets the same report in every
    call and process. With the default registry no clock is read: a context without
    ``current_time`` fails ``time_window``.

    The effective constraint is what the whole chain allows. Under CONJUNCTIVE it is the
    meet: per dimension, ``compose`` of every set's value for it, so it holds whether or
    not the hops are valid. Under the other modes a meet of sets is in general not one
    constraint set of that mode, so ``effective`` is the leaf's set when every hop is
    valid (each set then lies within its parent) and None otherwise.

    Args:
        chain: Constraint sets (``{dimension name: raw value}``) from root to leaf.
        mode: The interaction mode of every set.
        registry: Where dimensions are looked up (default: the six built-ins, reading
            no clock).
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
        register_builtin_dimensions(registry, clock=_NoClock())
    elif not isinstance(registry, ConstraintDimensionRegistry):
        raise InvalidTypeError(f"registry must be a ConstraintDimensionRegistry, got {registry!r}")
    evaluator = MultiDimensionEvaluator(registry, enable_anti_gaming=False)
    hops = []
    for index, (parent, child) in enumerate(itertools.pairwise(sets)):
        violations = tuple(evaluator.validate_tightening(parent, child, mode))
        found = search(parent, child, mode, registry, evaluator, timeout_ms) if violations else None
        hops.append(
            Hop(
                index=index,
                parent=parent,
                child=child,
                violations=violations,
                counterexample=None if found is None else found.context,
                search=None if found is None else found.search,
                note="" if found is None else found.note,
            )
        )
    effective, why = _effective(sets, mode, registry, all(h.ok for h in hops))
    return DelegationReport(mode=mode, hops=tuple(hops), effective=effective, effective_note=why)


__all__ = ["DelegationReport", "Hop", "verify_delegation"]
