"""``resources``: which paths an agent may touch, as globs.

Set semantics: a constraint denotes the set of normalised paths its globs match (see
`trust.constraints.builtin._glob` for the syntax: ``*`` and ``?`` never cross ``/``,
``**`` spans whole segments). A list of globs is their union; ``{"all_of": [a, b]}`` (the
form compose produces) is the intersection of ``a`` and ``b``. An empty list allows no
path.

Tightening is exact language inclusion, decided on automata: a child is refused as soon
as it matches one path the parent does not, and the violation names a shortest such path.
Compose is the exact intersection, kept as an intersection of unions of globs (globs are
not closed under intersection), minus conjuncts another conjunct already implies.

Budgets (see `trust.constraints.builtin._glob`): a constraint whose automata would have
more than ``MAX_AUTOMATON_STATES`` (10,000) states, about one per glob character, is
refused at parse, counted from the text before anything is built. Inclusion never
determinises the child, so ``"*a" + "?" * 30`` is within ``"**"`` at once; a pair that
still needs more than ``MAX_INCLUSION_WORK`` (400,000) units of work, about a second at
worst, is not decided: `validate_tightening` raises `PatternTooComplex` ("pattern too
complex to decide"), which the evaluator reports as a violation naming it. A compose, and
so an ``all_of`` value, meets every part at once within one ``MAX_MEET_WORK`` (100,000
units) and holds at most ``MAX_ALL_OF_PARTS`` (64) parts. Matching steps every conjunct
at once on bit masks, one step per character, so any path of at most 4,096 characters is
checked in tens of milliseconds at worst; one constraint's matching DFA holds at most
``MAX_DFA_BYTES`` (4 MiB), and the verdicts remembered per dimension hold at most
`RECENT_BYTES`, counting their paths and the glob sets they keep alive.

Context: ``resource_requested``. Absent: the action touches no resource, so it passes.
Otherwise it must be a string naming a normalised path (non-empty, no NUL or backslash,
no ``..``, ``.`` or empty segment, at most 4096 characters); anything else fails with the
reason, whatever the globs. A `str` subclass is read as the plain string it holds, and a
mapping other than a `dict` is read once, so neither can steer the verdict or the cache.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from trust import _validators as check
from trust._errors import InvalidTypeError
from trust._exact import exact_str, snapshot
from trust.constraints._cache import MISSING, BoundedCache
from trust.constraints._dimension import ConstraintCheckResult, ConstraintValue, unchecked_result
from trust.constraints.builtin._glob import GlobSet, path_problem
from trust.constraints.builtin._lattice import (
    RECENT_RESULTS,
    BuiltinDimension,
    all_of_items,
)

CONTEXT_KEY = "resource_requested"
RECENT_BYTES = 16 * 1024 * 1024
"""Bytes the remembered verdicts may hold together: their paths (up to 16 KiB each) and the
glob sets they keep alive."""

_NOTHING_REQUESTED = unchecked_result(True, "no resource requested")
_ABSENT = object()
_ENTRY_BYTES = 400  # a cache entry beyond its path: key tuple, dict slots, the result


def parse_globs(value: object) -> GlobSet:
    """The union of one glob or a list of globs.

    Raises:
        InvalidTypeError: ``value`` is neither a string nor a list of strings.
        InvalidValueError: A glob is malformed (see the glob syntax).
    """
    if isinstance(value, str):
        return GlobSet.union([value])
    if isinstance(value, list | tuple | set | frozenset):
        return GlobSet.union(value)
    raise InvalidTypeError(
        "Resource patterns must be string or list: resources must be a glob or a list of "
        f"globs, got {check.shown(value)}"
    )


class ResourceDimension(BuiltinDimension[GlobSet]):
    """Resource access patterns using glob syntax.

    >>> dim = ResourceDimension()
    >>> dim.check(dim.parse(["data/**"]), {"resource_requested": "data/a/b.json"}).satisfied
    True
    """

    value_type = GlobSet

    def __init__(self) -> None:
        # Verdicts by (globs, path): a pure function, asked about the same few paths.
        self._recent: BoundedCache[tuple[GlobSet, str], ConstraintCheckResult] = BoundedCache(
            RECENT_RESULTS, max_bytes=RECENT_BYTES, weigh=_weight
        )

    @property
    def name(self) -> str:
        return "resources"

    @property
    def description(self) -> str:
        return "Allowed resource patterns (glob syntax)"

    def parse(self, value: Any) -> ConstraintValue:
        """Parse a glob, a list of globs, or ``{"all_of": [...]}``."""
        if isinstance(value, Mapping) and all_of_items(value) is not None:
            return self.parse_all_of(value)
        globs = parse_globs(value)
        return ConstraintValue(
            dimension=self.name,
            raw_value=value,
            parsed=globs,
            metadata={"pattern_count": sum(len(c) for c in globs.conjuncts)},
        )

    def meet_all(self, values: list[GlobSet]) -> GlobSet:
        """The intersection, met at once within one work budget (see `GlobSet.meet_all`)."""
        return GlobSet.meet_all(values)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        """Pass iff no resource is requested, or the requested path is in the set."""
        if type(context) is not dict:
            try:
                # A dict subclass is read from its storage, whatever it overrides.
                is_dict = issubclass(type(context), dict)
                copied = dict.copy(context) if is_dict else snapshot(context)
            except Exception as exc:
                return unchecked_result(False, f"context could not be read: {check.shown(exc)}")
            if copied is None:
                return unchecked_result(
                    False, f"context must be a mapping, got {check.shown(context)}"
                )
            context = copied
        requested = context.get(CONTEXT_KEY, _ABSENT)
        if requested is _ABSENT:
            return _NOTHING_REQUESTED
        # The plain str first, without a call: this runs on every evaluate.
        path = requested if type(requested) is str else exact_str(requested)
        if path is None:
            return unchecked_result(
                False, f"{CONTEXT_KEY} must be a path string, got {check.shown(requested)}"
            )
        globs: GlobSet = constraint.parsed
        key = (globs, path)
        known = self._recent.get(key)
        if known is not MISSING:
            return known  # type: ignore[return-value]
        return self._recent.put(key, _verdict(globs, path))

    def loosening_example(self, parent: ConstraintValue, child: ConstraintValue) -> str | None:
        """A shortest path the child's globs match and the parent's do not."""
        path = self.value_of(child, "child").example_outside(self.value_of(parent, "parent"))
        if path is None:
            return None
        return f"the child allows {{'{CONTEXT_KEY}': {path!r}}}, the parent does not"


def _weight(key: tuple[GlobSet, str], _: ConstraintCheckResult) -> int:
    # The entry keeps its glob set alive: count what the glob set holds too.
    return sys.getsizeof(key[1]) + _ENTRY_BYTES + key[0].held_bytes


def _verdict(globs: GlobSet, path: str) -> ConstraintCheckResult:
    problem = path_problem(path)
    if problem is not None:
        return unchecked_result(
            False, f"security violation: resource path {check.shown(path)} {problem}"
        )
    if globs.matches(path):
        return unchecked_result(True, "matches an allowed pattern")
    return unchecked_result(
        False, f"resource {check.shown(path)} does not match any allowed pattern"
    )
