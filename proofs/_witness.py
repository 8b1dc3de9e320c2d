"""The witness search of `proofs.verify_delegation`: a context one set allows and another refuses.

The dimensions' twins (from the one catalogue, `proofs.witness_twin`) encode both
sets' runtime values; z3 looks for a context the child allows and the parent refuses
under the mode (the proved encoding of combine, `proofs.modes.combine_term`). A dimension
without a twin, or whose values lie outside its twin's bounds, is *blind*: its verdicts
are left free. Every candidate goes to the runtime evaluator, and only one it confirms
is reported. An unconfirmed candidate is not the end: the search pins each blind
dimension to the verdict the runtime gave it, blocks that candidate and asks again, up
to `MAX_CANDIDATES` candidates. The outcome is a `Search`:

- ``CONFIRMED``: a witness the runtime confirms;
- ``NONE``: z3 shows that no context within the twins' bounds widens, whatever the blind
  dimensions say (the runtime's rejection is then stricter than needed, not unsound);
- ``UNCONFIRMED``: candidates existed but the runtime confirmed none within the bound, a
  failure of the verification (a twin and its runtime disagree, or a blind dimension
  decided against every candidate);
- ``UNKNOWN``: z3 gave up, also a failure.

Every model is solved canonically (`proofs._canonical`), so the same hop gets the same
candidates and the same report in every call and process.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs
import z3

from trust.constraints import (
    ConstraintDimensionRegistry,
    EvaluationResult,
    InteractionMode,
    MultiDimensionEvaluator,
)
from trust.proofs._canonical import assignment, solve
from trust.proofs._catalogue import witness_twin
from trust.proofs.modes import combine_term

MAX_CANDIDATES = 8
"""Candidates the runtime is asked to confirm before a hop's search is UNCONFIRMED."""

BOUND = (
    f"within the twins' bounds, up to {MAX_CANDIDATES} candidates per hop, each confirmed "
    "by the runtime evaluator"
)


class Search(enum.Enum):
    """How a hop's witness search ended (see the module docstring)."""

    CONFIRMED = "confirmed"
    NONE = "none"
    UNCONFIRMED = "unconfirmed"
    UNKNOWN = "unknown"


@attrs.frozen
class Found:
    """A search's outcome: the confirmed context (if any), the status and what to say."""

    context: dict[str, Any] | None
    search: Search
    note: str


@attrs.frozen
class _Query:
    """Both sets as z3: each twin's context, each side's verdicts, and the blind names."""

    contexts: dict[str, tuple[Any, Any]]
    verdicts: dict[str, dict[str, z3.BoolRef]]
    blind: dict[str, str]


@attrs.frozen
class Side:
    """One constraint set of a search: its values, its mode, and the runtime that reads it.

    Two sides may be read by different registries (two versions of a policy whose
    dimension settings differ); each candidate is confirmed by each side's evaluator.
    """

    constraints: Mapping[str, Any]
    mode: InteractionMode
    registry: ConstraintDimensionRegistry
    evaluator: MultiDimensionEvaluator


def _encode(parent: Side, child: Side) -> _Query:
    contexts: dict[str, tuple[Any, Any]] = {}
    verdicts: dict[str, dict[str, z3.BoolRef]] = {"parent": {}, "child": {}}
    blind: dict[str, str] = {}
    for name in dict.fromkeys([*parent.constraints, *child.constraints]):
        dim = None
        parsed = {}
        for side, given in (("parent", parent), ("child", child)):
            if name not in given.constraints:
                continue
            found = given.registry.get(name)
            dim = dim or found
            try:
                if found is None:
                    raise LookupError(f"dimension '{name}' is unknown or pending review")
                parsed[side] = found.parse(given.constraints[name])
            except Exception:
                # The evaluator fails an unusable dimension in every context.
                verdicts[side][name] = z3.BoolVal(False)
        if dim is None or not parsed:
            continue
        try:
            twin = witness_twin(dim, list(parsed.values()))
            why = "no twin"
            encoded = {} if twin is None else {s: twin.encode(v) for s, v in parsed.items()}
        except Exception as error:  # outside what the twin encodes
            twin, why = None, f"outside its twin's bounds: {error}"
        if twin is None:
            # Blind: its verdicts are free, and the runtime decides.
            blind[name] = why
            for side in parsed:
                verdicts[side][name] = z3.Bool(f"{side}.{name}.passes")
            continue
        ctx = twin.context(name)
        contexts[name] = (twin, ctx)
        for side, value in encoded.items():
            verdicts[side][name] = twin.allows(value, ctx)
    return _Query(contexts, verdicts, blind)


def _blind_text(blind: Mapping[str, str]) -> str:
    if not blind:
        return ""
    shown = "; ".join(f"{name}: {why}" for name, why in blind.items())
    return f" (dimensions the twins cannot see, left to the runtime: {shown})"


def _pins(query: _Query, sides: Mapping[str, EvaluationResult]) -> list[z3.BoolRef]:
    """Each blind dimension's verdict as the runtime gave it on the last candidate."""
    pins = []
    for side, result in sides.items():
        for name in query.blind:
            if name in query.verdicts[side]:
                given = result.dimension_results[name].satisfied is True
                pins.append(query.verdicts[side][name] == z3.BoolVal(given))
    return pins


def _widens(context: Mapping[str, Any], parent: Side, child: Side) -> bool:
    return bool(
        child.evaluator.evaluate(child.constraints, context, child.mode).satisfied
        and not parent.evaluator.evaluate(parent.constraints, context, parent.mode).satisfied
    )


def _shortened(context: dict[str, Any], parent: Side, child: Side) -> dict[str, Any]:
    """The confirmed ``context`` with each host name cut to its shortest confirmed suffix.

    z3 returns any model, and a host like ``org.org.pypi.org`` is as good a witness as
    ``pypi.org`` but a worse one to read. Dropping leading labels while the runtime still
    confirms the widening is deterministic, and every step is confirmed again.
    """
    shortened = dict(context)
    for key, value in context.items():
        if type(value) is not str or "/" in value or ":" in value:
            continue  # a host name only: a path or a URL keeps the form the twin gave
        while "." in value:
            shorter = value.split(".", 1)[1]
            if not shorter or not _widens({**shortened, key: shorter}, parent, child):
                break
            value = shorter
        shortened[key] = value
    return shortened


def search(
    parent: Mapping[str, Any],
    child: Mapping[str, Any],
    mode: InteractionMode,
    registry: ConstraintDimensionRegistry,
    evaluator: MultiDimensionEvaluator,
    timeout_ms: int,
) -> Found:
    """A context ``child`` allows and ``parent`` refuses under ``mode``, confirmed; or why not."""
    return search_sides(
        Side(parent, mode, registry, evaluator), Side(child, mode, registry, evaluator), timeout_ms
    )


def search_sides(parent: Side, child: Side, timeout_ms: int) -> Found:
    """A context ``child`` allows and ``parent`` refuses, each under its own mode and read
    by its own runtime, confirmed by both; or why not."""
    query = _encode(parent, child)
    base = [twin.admissible(ctx) for twin, ctx in query.contexts.values()]
    base.append(combine_term(child.mode, [query.verdicts["child"][n] for n in child.constraints]))
    base.append(
        z3.Not(combine_term(parent.mode, [query.verdicts["parent"][n] for n in parent.constraints]))
    )
    blind_vars = frozenset(
        str(v) for side in query.verdicts.values() for n, v in side.items() if n in query.blind
    )
    blocked: list[z3.BoolRef] = []
    pins: list[z3.BoolRef] = []
    tried: list[dict[str, Any]] = []
    for _ in range(MAX_CANDIDATES):
        answer = solve([*base, *blocked, *pins], timeout_ms)
        if answer.unsat and not tried:
            return Found(
                None,
                Search.NONE,
                "none exists within the twins' bounds: the runtime rejects a child that "
                f"allows nothing more{_blind_text(query.blind)}",
            )
        if answer.unsat:
            break
        if answer.model is None:
            return Found(None, Search.UNKNOWN, f"z3 gave up: {answer.reason}")
        model = answer.model
        context: dict[str, Any] = {}
        for twin, ctx in query.contexts.values():
            context.update(twin.runtime_context(model, ctx))
        sides = {
            "child": child.evaluator.evaluate(child.constraints, context, child.mode),
            "parent": parent.evaluator.evaluate(parent.constraints, context, parent.mode),
        }
        if sides["child"].satisfied and not sides["parent"].satisfied:
            return Found(_shortened(context, parent, child), Search.CONFIRMED, "")
        tried.append(context)
        blocked.append(z3.Not(assignment(model, blind_vars)))
        pins = _pins(query, sides)
    count = len(tried)
    ended = (
        f"the search stops at {MAX_CANDIDATES}"
        if count == MAX_CANDIDATES
        else "no other candidate exists within the twins' bounds"
    )
    return Found(
        None,
        Search.UNCONFIRMED,
        f"the twins' {count} candidate{'' if count == 1 else 's'} (first: {tried[0]!r}) "
        f"{'was' if count == 1 else 'were'} not confirmed by the runtime, and "
        f"{ended}{_blind_text(query.blind)}",
    )


__all__ = ["BOUND", "MAX_CANDIDATES", "Found", "Search", "Side", "search", "search_sides"]
