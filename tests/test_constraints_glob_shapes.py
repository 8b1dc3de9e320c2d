"""Glob inclusion on the common shapes: decided without automata, equal to the automata.

The fast path (`GlobSet.within_by_shapes`) must give the automata's answer
(`GlobSet.outside`) wherever it answers at all: exhaustively over globs of one and two
segments from a small alphabet, and on random globs, unions and intersections.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trust.constraints.builtin import GlobSet
from trust.constraints.builtin import _glob as glob_module
from trust.constraints.builtin._glob_automaton import PatternTooComplex

SEGMENTS = ("a", "b", "*", "a*", "*b", "**", "?")


def _globs(segments: tuple[str, ...]) -> list[str]:
    found = list(segments) + ["/".join(p) for p in itertools.product(segments, repeat=2)]
    found = [g for g in found if g != "**/**"]
    return found + ["/" + g for g in found if g.count("/") == 0]


def _automata(inner: GlobSet, outer: GlobSet) -> bool | None:
    try:
        return inner.outside(outer) is None
    except PatternTooComplex:
        return None


def _agree(inner: GlobSet, outer: GlobSet) -> bool:
    fast = inner.within_by_shapes(outer)
    return fast is None or fast == _automata(inner, outer)


def test_the_fast_path_equals_the_automata_on_every_small_pair() -> None:
    globs = _globs(SEGMENTS)
    inners = [GlobSet.union([g]) for g in globs if "?" not in g]
    inners += [GlobSet.union(pair) for pair in [("a/*", "b"), ("a/**", "*b"), ("/a", "/*")]]
    inners.append(GlobSet((("a/**",), ("*/b", "a"))))  # an intersection
    outers = [GlobSet.union([g]) for g in globs]
    outers += [GlobSet.union(p) for p in itertools.combinations(_globs(("a", "*", "**")), 2)]
    outers.append(GlobSet((("**",), ("a/*", "b/**"))))
    decided = 0
    for inner, outer in itertools.product(inners, outers):
        assert _agree(inner, outer), (inner.conjuncts, outer.conjuncts)
        decided += inner.within_by_shapes(outer) is not None
    # Most pairs are decided by shapes, not a handful: the check compares something.
    assert decided > len(inners) * len(outers) // 2


_segment = st.sampled_from(("a", "b", "ab", "*", "a*", "*b", "*a*", "**", "?", "a?", ".a"))
_glob_text = st.builds(
    lambda absolute, segments: ("/" if absolute else "") + "/".join(segments),
    st.booleans(),
    st.lists(_segment, min_size=1, max_size=3),
).filter(lambda g: "**/**" not in g)
_union = st.lists(_glob_text, min_size=1, max_size=3)
_globset = st.builds(
    lambda unions: GlobSet(tuple(tuple(u) for u in unions)),
    st.lists(_union, min_size=1, max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(inner=_globset, outer=_globset)
def test_the_fast_path_equals_the_automata_on_random_glob_sets(
    inner: GlobSet, outer: GlobSet
) -> None:
    assert _agree(inner, outer)


def test_the_common_shapes_are_decided_without_automata(monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression (issue 16): a never-seen child of the common shapes cost the automata
    # about 1.4 ms; now the shapes decide it and no automaton is built.
    def no_automaton(conjunct: tuple[str, ...]) -> None:
        raise AssertionError(f"an automaton was built for {conjunct}")

    monkeypatch.setattr(glob_module, "Automaton", no_automaton)
    parent = GlobSet.union(["data/**", "logs/*.log"])
    children = [
        GlobSet.union(["data/t1/c1/*", "logs/app.log"]),
        GlobSet.union(["data/t1/c1/**"]),
        GlobSet.union(["data/public/*.json"]),
        GlobSet.union(["logs/2025-*.log", "data"]),
    ]
    for child in children:
        assert child.is_within(parent)
        assert child.within_by_shapes(parent) is True
    assert GlobSet.union(["logs/**"]).within_by_shapes(parent) is None  # left to automata
    assert GlobSet.union(["data/**"]).within_by_shapes(GlobSet.union(["data/*", "data"])) is False
    assert GlobSet.union(["/data/*"]).within_by_shapes(parent) is False  # absolute
    monkeypatch.undo()
    assert not GlobSet.union(["logs/**"]).is_within(parent)


def test_a_wildcard_in_the_parent_leaves_a_match_to_the_automata() -> None:
    # "a/?" reads the stand-in as one character, but "a/*" also allows "a/bc".
    assert GlobSet.union(["a/*"]).within_by_shapes(GlobSet.union(["a/?"])) is None
    assert not GlobSet.union(["a/*"]).is_within(GlobSet.union(["a/?"]))
    assert GlobSet.union(["a/*"]).is_within(GlobSet.union(["a/?", "a/??*"]))
