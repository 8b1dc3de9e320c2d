"""Whether a delegated child constraint set only tightens its parent, and why not.

What a child may add or drop is the mode's shape rule (`trust.constraints._modes`); each
dimension both sets share must be tighter or equal in the child, by the dimension's own
``validate_tightening``. Unknown, pending and unparsable dimensions on either side are
violations: they cannot be checked. Verdicts about a pair of cacheable values are
remembered: a name's dimension never changes once registered, so one never goes stale.
Whole answers are remembered too, by both sets and the mode, for the registry generation
they were given in (a registration or an approval may make an unusable dimension usable):
asking the same question again is a lookup.
"""

from __future__ import annotations

import marshal
from collections.abc import Mapping
from typing import Any, NamedTuple

from trust._shown import describe_error
from trust.constraints._cache import MISSING, BoundedCache, cache_key
from trust.constraints._dimension import ConstraintValue
from trust.constraints._modes import InteractionMode, shape_violations, show
from trust.constraints._parsing import ValueParser
from trust.constraints._reading import read_constraint_set
from trust.constraints._registry import ConstraintDimensionRegistry

Answers = BoundedCache[tuple[InteractionMode, bytes], tuple[int, tuple[str, ...]]]
"""Remembered answers by (mode, key of both sets): the generation and the violations."""


class Side(NamedTuple):
    """One constraint set of a tightening question, read and parsed once.

    ``parsed`` holds each value that parsed with its raw value's cache key (None when it
    cannot be cached), in the set's order; ``problems`` why the others cannot be used.
    """

    items: dict[str, Any]
    parsed: dict[str, tuple[ConstraintValue, bytes | None]]
    problems: dict[str, str]


class Tightening:
    """Answers tightening questions about constraint sets already read.

    Args:
        registry: Where the dimensions are looked up.
        parser: The parser (and value cache) the evaluator shares.
        verdicts: Remembered verdicts by (name, parent key, child key).
        answers: Remembered answers (see `Answers`).
    """

    def __init__(
        self,
        registry: ConstraintDimensionRegistry,
        parser: ValueParser,
        verdicts: BoundedCache[tuple[str, bytes, bytes], str | None],
        answers: Answers,
    ) -> None:
        self._registry = registry
        self._parser = parser
        self._verdicts = verdicts
        self._answers = answers

    def answer(
        self,
        parent_constraints: Mapping[str, Any],
        child_constraints: Mapping[str, Any],
        mode: InteractionMode,
    ) -> list[str]:
        """Why ``child_constraints`` may allow something ``parent_constraints`` refuses.

        Raises:
            InvalidTypeError: Either set is not a mapping with str keys.
            InvalidValueError: A set cannot be read or holds two keys that are the same
                string.
        """
        generation = self._registry.generation
        frozen = cache_key((parent_constraints, child_constraints))
        if frozen is not None:
            key = (mode, frozen)
            known = self._answers.get(key)
            if known is not MISSING and known[0] == generation:  # type: ignore[index]
                return list(known[1])  # type: ignore[index]
            # Decide on a copy of what the key holds: sets another thread changes meanwhile
            # cannot leave an answer under a key it is not the answer for.
            parent_constraints, child_constraints = marshal.loads(frozen)
        parent = self.side(read_constraint_set(parent_constraints, "parent_constraints"))
        child = self.side(read_constraint_set(child_constraints, "child_constraints"))
        violations = self.violations(parent, child, mode)
        if frozen is not None:
            self._answers.put(key, (generation, tuple(violations)), replace=True)
        return violations

    def side(self, items: dict[str, Any]) -> Side:
        """``items`` with every value parsed once."""
        generation = self._registry.generation
        parsed: dict[str, tuple[ConstraintValue, bytes | None]] = {}
        problems: dict[str, str] = {}
        for name, raw in items.items():
            frozen = cache_key(raw)
            value, problem = self._parser.parse(name, raw, frozen, generation)
            if value is None:
                problems[name] = problem or f"dimension '{name}' cannot be used"
            else:
                parsed[name] = (value, frozen)
        return Side(items, parsed, problems)

    def violations(self, parent: Side, child: Side, mode: InteractionMode) -> list[str]:
        """Why ``child`` may allow something ``parent`` refuses under ``mode`` (empty: none)."""
        violations = shape_violations(parent.items, child.items, mode)
        for role, side in (("parent", parent), ("child", child)):
            for name, why in side.problems.items():
                violations.append(f"Dimension '{name}': {role} {why}; cannot check tightening")
        theirs = parent.parsed
        for name, mine in child.parsed.items():
            if name in theirs:
                problem = self._shared_violation(name, theirs[name], mine)
                if problem is not None:
                    violations.append(problem)
        return violations

    def _shared_violation(
        self,
        name: str,
        parent: tuple[ConstraintValue, bytes | None],
        child: tuple[ConstraintValue, bytes | None],
    ) -> str | None:
        if parent[1] is None or child[1] is None:
            return self._dimension_violation(name, parent[0], child[0])
        key = (name, parent[1], child[1])
        known = self._verdicts.get(key)
        if known is not MISSING:
            return known  # type: ignore[return-value]
        return self._verdicts.put(key, self._dimension_violation(name, parent[0], child[0]))

    def _dimension_violation(
        self, name: str, parent: ConstraintValue, child: ConstraintValue
    ) -> str | None:
        dimension = self._registry.get(name)
        if dimension is None:  # pragma: no cover - parsing already required it
            return f"Dimension '{name}': unknown dimension; cannot check tightening"
        try:
            if dimension.validate_tightening(parent, child) is True:
                return None
            looser = dimension.validate_tightening(child, parent) is True
        except Exception as exc:
            shown_parent, shown_child = show(parent.raw_value), show(child.raw_value)
            return (
                f"Dimension '{name}': error validating: could not compare child constraint "
                f"({shown_child}) with parent ({shown_parent}): {describe_error(exc)}"
            )
        shown_parent, shown_child = show(parent.raw_value), show(child.raw_value)
        relation = "is looser than" if looser else "is not within"
        message = (
            f"Dimension '{name}': child constraint ({shown_child}) {relation} "
            f"parent ({shown_parent})"
        )
        try:
            example = dimension.loosening_example(parent, child)
        except Exception:
            example = None
        return f"{message}; for example {example}" if example else message
