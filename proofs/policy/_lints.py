"""The lints of ``care-trust check``: sets that allow nothing or everything, constraints that
add nothing, dimensions no proof covers, ids that pass for one another.

Each is a warning, stated precisely (docs/policy.md lists them):

- ``set.allows-nothing``: no context passes the set under its mode. Each dimension's value
  is asked on its twin whether any context (within the twin's bounds) passes it; the
  built-ins read disjoint context keys, so one context can pass every dimension that can
  be passed, and the set allows nothing exactly when the mode's combine of those answers
  is False. A dimension no twin decides counts as passable.
- ``set.allows-everything``: the set allows every context: it is empty, or the mode's
  combine of "this dimension allows everything" is True (a DISJUNCTIVE set with one such
  dimension, a HIERARCHICAL set led by one).
- ``constraint.allows-everything``: a value at least as loose as the broadest value its
  dimension has (`BROADEST`), compared by the runtime's ``validate_tightening``, never by
  spelling: ``["data/**", "**"]`` is caught like ``"**"``.
- ``constraint.redundant``: a constraint implied by another: a part of an ``all_of`` that
  another part lies within (the intersection is the same without it), or an agent's value
  that its role's value for the same dimension lies within (the agent is held to both, so
  its own adds nothing).
- ``proof.unproved``: a value outside what the proof run covers (`trust.proofs.unproved`).
- ``dimension.custom`` and ``dimension.unreviewed``: a custom dimension, which ``check``
  cannot verify (no code) and the proofs do not cover; one without ``reviewed_by`` stays
  pending review and fails every evaluation.
- ``id.lookalike``: two ids that differ only in case, ``-`` and ``_``, or ASCII
  characters that print alike (``l``, ``I``, ``1``; ``O``, ``0``; ``rn``, ``m``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from trust.constraints import InteractionMode
from trust.constraints._modes import combine, show
from trust.constraints.builtin._lattice import all_of_items
from trust.policy import AgentSpec, ConstraintSet, Finding, Level
from trust.policy._schema import KeyPath
from trust.proofs._unproved import unproved
from trust.proofs.policy._analysis import Analysis

BROADEST: Mapping[str, tuple[Any, str, bool]] = {
    "resources": ("**", "every path", True),
    "time_window": ("00:00-24:00", "every minute of the day", True),
    "data_access": ("allow_all", "all data, PII included, of every classification", True),
    # Not the top: a communication value can always list more names; but every address.
    "communication": (
        {"mode": "allowed_domains", "allowed_domains": ["0.0.0.0/0", "::/0"]},
        "every IP address",
        False,
    ),
}
"""Per dimension: its broadest value, what that allows, and whether it allows everything the
dimension can see. ``cost_limit`` and ``rate_limit`` have none: every value is a bound."""


def _warning(rule: str, analysis: Analysis, path: KeyPath, message: str) -> Finding:
    return Finding(
        rule=rule, level=Level.WARNING, message=message, location=analysis.spec.location(path)
    )


def broadest(analysis: Analysis, name: str, raw: Any) -> tuple[str, bool] | None:
    """What ``raw`` allows if it is at least its dimension's broadest value, else None."""
    entry = BROADEST.get(name)
    if entry is None or analysis.is_custom(name):
        return None
    dimension = analysis.dimension(name)
    widest = analysis.parse(name, entry[0])
    if dimension.validate_tightening(analysis.parse(name, raw), widest) is True:
        return entry[1], entry[2]
    return None


def _as_loose(name: str, raw: Any) -> str:
    widest = BROADEST[name][0]
    return "" if raw == widest else f" (it is at least as loose as {show(widest)})"


def _why_everything(mode: InteractionMode, first: bool) -> str:
    if mode is InteractionMode.CONJUNCTIVE:
        return "it restricts nothing: narrow it or drop it"
    if mode is InteractionMode.DISJUNCTIVE:
        return "it passes every context, and under disjunctive mode so does the whole set"
    if mode is InteractionMode.INDEPENDENT:
        return "it counts as a passing vote in every context"
    if first:
        return "it comes first under hierarchical mode, so the whole set allows everything"
    return "it restricts nothing"


def constraint_lints(analysis: Analysis, chosen: ConstraintSet) -> Iterator[Finding]:
    """The per-constraint lints of a set as written: too broad, unproved, redundant parts."""
    for index, (name, raw) in enumerate(chosen.constraints.items()):
        if analysis.is_custom(name):
            continue
        path = (*chosen.path, name)
        why = unproved(name, raw)
        if why is not None:
            yield _warning("proof.unproved", analysis, path, f"{name} = {show(raw)}: {why}")
        wide = broadest(analysis, name, raw)
        if wide is not None:
            yield _warning(
                "constraint.allows-everything",
                analysis,
                path,
                f"{name} = {show(raw)} allows {wide[0]}{_as_loose(name, raw)}: "
                f"{_why_everything(chosen.mode, index == 0)}",
            )
        yield from _redundant_parts(analysis, name, raw, path)


def _redundant_parts(analysis: Analysis, name: str, raw: Any, path: KeyPath) -> Iterator[Finding]:
    parts = all_of_items(raw)
    if not parts or len(parts) < 2:
        return
    dimension = analysis.dimension(name)
    values = [analysis.parse(name, part) for part in parts]
    for j, part in enumerate(values):
        for i, other in enumerate(values):
            if i == j:
                continue
            inside = dimension.validate_tightening(part, other) is True
            # Of two equal parts, the later one is the copy.
            equal = inside and dimension.validate_tightening(other, part) is True
            if inside and (not equal or i < j):
                yield _warning(
                    "constraint.redundant",
                    analysis,
                    (*path, "all_of", str(j)),
                    f"{name} all_of part {j} ({show(parts[j])}) is implied by part {i} "
                    f"({show(parts[i])}): the intersection is the same without it; drop it",
                )
                break


def role_lints(analysis: Analysis, agent: AgentSpec) -> Iterator[Finding]:
    """An agent's constraints its role's already imply (``constraint.redundant``)."""
    role = analysis.spec.roles.get(agent.role) if agent.role is not None else None
    if role is None:
        return
    for name, raw in agent.written.constraints.items():
        theirs = role.constraints.constraints.get(name)
        if theirs is None:
            continue
        dimension = analysis.dimension(name)
        mine, parent = analysis.parse(name, raw), analysis.parse(name, theirs)
        if dimension.validate_tightening(mine, parent) is True:
            yield _warning(
                "constraint.redundant",
                analysis,
                (*agent.written.path, name),
                f"agents.{agent.id}.constraints.{name} = {show(raw)} adds nothing to its role "
                f"{role.id!r}'s {name} = {show(theirs)}, which it is held to as well: drop "
                "it, or make it tighter than the role's",
            )


def set_lints(analysis: Analysis, chosen: ConstraintSet, subject: str) -> Iterator[Finding]:
    """The whole-set lints: allows nothing, allows everything."""
    names = list(chosen.constraints)
    mode = chosen.mode
    tops = [
        (wide := broadest(analysis, n, r)) is not None and wide[1]
        for n, r in chosen.constraints.items()
    ]
    if combine(mode, tops):
        if not names:
            message = f"{subject} has no constraints: an empty set allows every action"
        else:
            deciding = [n for n, top in zip(names, tops, strict=True) if top]
            message = (
                f"{subject}'s set allows every context under {mode.value} mode: {deciding} "
                "allow everything and decide"
            )
        yield _warning("set.allows-everything", analysis, chosen.path, message)
        return
    passable = [analysis.satisfiable(n, r) for n, r in chosen.constraints.items()]
    if not combine(mode, [p is not False for p in passable]):
        empty = [n for n, p in zip(names, passable, strict=True) if p is False]
        yield _warning(
            "set.allows-nothing",
            analysis,
            chosen.path,
            f"{subject}'s set allows no context under {mode.value} mode: {empty} allow none "
            "(decided on their twins)",
        )


def custom_lints(analysis: Analysis) -> Iterator[Finding]:
    """What check cannot verify about each custom dimension."""
    for name, custom in analysis.spec.custom.items():
        path = ("dimensions", name)
        yield _warning(
            "dimension.custom",
            analysis,
            path,
            f"custom dimension {name!r}: check has no code for it, so it compares its values "
            "only for equality, and the proof run does not cover it (prove its laws with "
            "trust.proofs.verify_dimension, its delegations with verify_delegation)",
        )
        if custom.reviewed_by is None:
            yield _warning(
                "dimension.unreviewed",
                analysis,
                path,
                f"custom dimension {name!r} has no reviewed_by: it stays pending security "
                "review, and every evaluation using it fails until it is approved",
            )


_ALIKE = str.maketrans({"I": "l", "1": "l", "|": "l", "O": "o", "0": "o", "_": "-"})


def _skeleton(ident: str) -> str:
    return ident.translate(_ALIKE).casefold().replace("rn", "m")


def lookalike_lints(analysis: Analysis) -> Iterator[Finding]:
    """Ids (agents and roles) that differ only in characters that print alike."""
    seen: dict[str, tuple[str, str]] = {}
    spec = analysis.spec
    for section, ids in (("roles", spec.roles), ("agents", spec.agents)):
        for ident in ids:
            skeleton = _skeleton(ident)
            if skeleton in seen:
                other = seen[skeleton]
                yield _warning(
                    "id.lookalike",
                    analysis,
                    (section, ident),
                    f"{section[:-1]} {ident!r} prints like {other[0][:-1]} {other[1]!r}: a "
                    "reader may take one for the other; rename one",
                )
            else:
                seen[skeleton] = (section, ident)


__all__ = [
    "BROADEST",
    "broadest",
    "constraint_lints",
    "custom_lints",
    "lookalike_lints",
    "role_lints",
    "set_lints",
]
