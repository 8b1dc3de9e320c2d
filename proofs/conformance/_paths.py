"""The conformance universes of ``resources``: the bounded twin's globs, and real globs.

Two twins, two checks:

- `resources_scope`: every glob of one or two segments among the bounded twin's shapes
  (``a``, ``*``, ``a*``, ``?``, ``**``: so ``**`` against ``*``, ``a/**`` against ``a/*``),
  unions of two, ``all_of`` values and every composed pair, against the twin the laws are
  proved on (`proofs.twins.ResourcesTwin`), on every path of its universe (one to three
  segments over ``a``, ``b``, ``ab``).
- `real_globs`: globs beyond those shapes (absolute, longer, literals, ``**`` inside,
  wildcards within a segment, ``all_of``), against the exact z3 regex twin
  (`proofs.twins.PathTwin`): every check on paths at their edges and refused ones, and
  every tightening, whose "within" z3 confirms by language inclusion and whose "not
  within" is confirmed on the runtime's own witness path. Where the common shapes decide
  a tightening without automata (`GlobSet.within_by_shapes`), the automata must give the
  same answer, so both paths are held to the twin.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Any

import z3

from trust.constraints.builtin import ResourceDimension
from trust.proofs._verdict import Proved, Refuted, Unknown, Verdict
from trust.proofs.conformance._compare import Universe
from trust.proofs.conformance._evaluator import confirm
from trust.proofs.conformance._scalars import Scope
from trust.proofs.twins import PathTwin, ResourcesTwin
from trust.proofs.twins.resources import SHAPES, UNIVERSE, WORDS

_PAIRS: tuple[tuple[str, str], ...] = (
    ("a/*", "a/**"),
    ("*", "**"),
    ("*/a", "a/*"),
    ("a*", "?"),
    ("**/a", "a/**"),
    ("*/*", "a"),
)


@functools.cache
def resources_scope(deep: bool) -> Scope:
    """Every glob of the bounded twin's shapes, some unions and all_of; every path."""
    patterns = list(SHAPES) + ["/".join(p) for p in itertools.product(SHAPES, repeat=2)]
    values: list[Any] = [list(pair) for pair in _PAIRS]
    values += [{"all_of": [["a/**"], ["*/a", "**/a"]]}, {"all_of": ["**", ["?/**"]]}, [], "**"]
    values += [[p] for p in patterns]
    if deep:
        values += [list(pair) for pair in itertools.combinations(patterns, 2)]
    contexts = tuple({"resource_requested": path} for path in UNIVERSE)
    return Scope(
        universe=Universe(
            dimension=ResourceDimension(),
            values=tuple(values),
            contexts=contexts,
            twin=lambda parsed: ResourcesTwin(),
            tightening_composed=100 if deep else 10,
            ordered_pairs=deep,
            composing=40 if deep else 18,
        ),
        bound=(
            f"{len(values)} glob lists (each glob of one or two segments among "
            f"{list(SHAPES)}, {'every union of two' if deep else 'unions of two'}, all_of) "
            f"and the pairs of the first {40 if deep else 18} composed, x the "
            f"{len(contexts)} paths of one to three segments among {list(WORDS)} (the "
            "bounded twin's universe)"
        ),
        twins=(lambda parsed: ResourcesTwin(), lambda parsed: PathTwin()),
    )


_REAL_GLOBS: tuple[Any, ...] = (
    "/data/**",
    "data/*",
    "data/x.json",
    "data/*.json",
    ["data/**/raw/*.csv", "logs/*"],
    "data/???",
    "**/secret/**",
    "data/reports/2024/**",
    {"all_of": ["data/**", "**/*.json"]},
    [],
)
_DEEP_GLOBS: tuple[Any, ...] = ("*/*/*", "/**", "d*a/**", ["data", "data/**"], "**/*")
_REAL_PATHS: tuple[Any, ...] = (
    "data",
    "data/x.json",
    "data/a/x.json",
    "data/abc",
    "data/ab",
    "/data",
    "/data/x",
    "data/raw/x.csv",
    "data/a/b/raw/x.csv",
    "logs/a",
    "logs/a/b",
    "secret",
    "a/secret/b",
    "data/reports/2024",
    "data/reports/2024/q1/x.json",
    "data/../secret",
    "data//x.json",
    "./data",
    "",
    "a\\b",
    "x" * 4097,
    5,
)


REAL_GLOBS = "runtime check and validate_tightening agree with the z3 regex twin on real globs"
"""The name of `real_globs` in the proof table."""
REAL_GLOBS_BOUND = (
    f"{len(_REAL_GLOBS)} glob lists beyond the bounded shapes (absolute, literal, wildcards "
    f"within segments, ** inside, all_of) x {len(_REAL_PATHS)} paths (at their edges, "
    "refused ones); every tightening between them (deep: more globs), where the common "
    "shapes decide it, the automata's answer too"
)


def real_globs(deep: bool) -> Verdict:
    """Real globs against the exact regex twin: every check and every tightening."""
    return compare_real_globs(_REAL_GLOBS + (_DEEP_GLOBS if deep else ()), _REAL_PATHS)


def compare_real_globs(globs: Sequence[Any], paths: Sequence[Any]) -> Verdict:
    """The runtime against the regex twin on every glob list x path, every tightening."""
    dim, twin = ResourceDimension(), PathTwin()
    values = [dim.parse(g) for g in globs]
    regexes = [twin.encode(v) for v in values]
    cases = 0
    for value, regex in zip(values, regexes, strict=True):
        for path in paths:
            context = {"resource_requested": path}
            runtime = dim.check(value, context).satisfied
            if runtime != _allows(twin, regex, context):
                return Refuted(
                    {
                        "1 relation": "check",
                        "2 constraint": repr(value.raw_value),
                        "3 context": repr(context),
                        "4 runtime": "allows" if runtime else "refuses",
                        "5 twin": "refuses" if runtime else "allows",
                    }
                )
            cases += 1
    for (child, inner), (parent, outer) in itertools.product(
        zip(values, regexes, strict=True), repeat=2
    ):
        found = _tightening(dim, twin, child, inner, parent, outer)
        if found is not None:
            return found
        cases += 1
    return Proved(note=f"runtime ≡ twin on {cases:,} cases")


def _within(within: bool) -> str:
    return "the child is within the parent" if within else "the child is not within the parent"


def _allows(twin: PathTwin, regex: z3.ReRef, context: dict[str, Any]) -> bool:
    return confirm(twin.allows(regex, twin.encode_context(context)))


def _tightening(
    dim: ResourceDimension,
    twin: PathTwin,
    child: Any,
    inner: z3.ReRef,
    parent: Any,
    outer: z3.ReRef,
) -> Verdict | None:
    shown = {
        "1 relation": "validate_tightening(parent, child)",
        "2 parent": repr(parent.raw_value),
        "3 child": repr(child.raw_value),
    }
    fast = child.parsed.within_by_shapes(parent.parsed)
    if fast is not None:
        # The fast path must be the automata's answer, not only the twin's.
        try:
            automata: bool | str = child.parsed.outside(parent.parsed) is None
        except ValueError as error:  # too complex for the automata: nothing to compare
            automata = str(error)
        if automata is not fast and type(automata) is bool:
            return Refuted(
                {
                    **shown,
                    "4 runtime": f"the shapes' fast path says {_within(fast)}",
                    "5 automata": f"the automata say {_within(automata)}",
                }
            )
    if dim.validate_tightening(parent, child):
        try:
            outside = twin.outside(inner, outer)
        except ValueError as error:
            return Unknown(f"z3 could not decide inclusion of {shown}: {error}")
        if outside is None:
            return None
        return Refuted(
            {
                **shown,
                "4 runtime": "the child is tighter",
                "5 twin": f"the child is not tighter: it allows {outside!r}, the parent does not",
            }
        )
    path = child.parsed.outside(parent.parsed)
    context = {"resource_requested": path}
    if path is not None and _allows(twin, inner, context) and not _allows(twin, outer, context):
        return None
    return Refuted(
        {
            **shown,
            "4 runtime": f"the child is not tighter; its witness is {path!r}",
            "5 twin": "the witness is not a path the child allows and the parent refuses",
        }
    )
