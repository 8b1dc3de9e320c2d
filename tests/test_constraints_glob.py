"""The glob engine: matching and inclusion agree with a brute-force reading of the syntax."""

from __future__ import annotations

import fnmatch
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile import LyingStr
from tests.strategies import globs, paths
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints.builtin import _glob, _glob_inclusion
from trust.constraints.builtin._glob import GlobSet, normalise_glob, path_problem
from trust.constraints.builtin._glob_automaton import PatternTooComplex


def reference_match(pattern: str, path: str) -> bool:
    """The documented semantics, written the slow, obvious way."""
    if pattern.startswith("/") != path.startswith("/"):
        return False
    pattern_segments = pattern.lstrip("/").split("/")
    path_segments = path.lstrip("/").split("/")

    def match(p: list[str], s: list[str]) -> bool:
        if not p:
            return not s
        if p[0] == "**":
            return any(match(p[1:], s[i:]) for i in range(len(s) + 1))
        return bool(s) and fnmatch.fnmatchcase(s[0], p[0]) and match(p[1:], s[1:])

    return match(pattern_segments, path_segments)


def universe(max_segments: int = 3) -> list[str]:
    """Every normalised path of up to ``max_segments`` segments over a tiny alphabet."""
    segments = ["".join(chars) for n in (1, 2) for chars in itertools.product("ab.", repeat=n)]
    segments = [s for s in segments if s not in (".", "..")]
    found = []
    for count in range(1, max_segments + 1):
        for parts in itertools.product(segments, repeat=count):
            found.append("/".join(parts))
            found.append("/" + "/".join(parts))
    return found


UNIVERSE = universe()


@settings(deadline=None)
@given(pattern=globs(), path=paths())
def test_matching_agrees_with_the_reference_reading(pattern: str, path: str) -> None:
    assert GlobSet.union([pattern]).matches(path) == reference_match(normalise_glob(pattern), path)


@settings(deadline=None)
@given(child=st.lists(globs(), max_size=2), parent=st.lists(globs(), max_size=2))
def test_inclusion_is_exact_with_a_real_witness(child: list[str], parent: list[str]) -> None:
    inner, outer = GlobSet.union(child), GlobSet.union(parent)
    witness = inner.outside(outer)
    if witness is None:
        for path in UNIVERSE:
            if inner.matches(path):
                assert outer.matches(path), path
    else:
        assert path_problem(witness) is None
        assert inner.matches(witness)
        assert not outer.matches(witness)
        assert any(reference_match(normalise_glob(g), witness) for g in child)


@settings(deadline=None)
@given(a=st.lists(globs(), max_size=2), b=st.lists(globs(), max_size=2), path=paths())
def test_the_meet_matches_exactly_what_both_match(a: list[str], b: list[str], path: str) -> None:
    left, right = GlobSet.union(a), GlobSet.union(b)
    assert left.meet(right).matches(path) == (left.matches(path) and right.matches(path))


@pytest.mark.parametrize(
    ("pattern", "path", "matched"),
    [
        ("*", "a", True),
        ("*", "a/b", False),  # * never crosses /
        ("?", "ab", False),
        ("a?", "ab", True),
        ("data/**", "data", True),  # ** matches zero segments
        ("data/**", "data/a/b/c", True),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("**/b", "b", True),
        ("**", "a/b", True),
        ("**", "/a", False),  # relative globs never match absolute paths
        ("/**", "/a/b", True),
        ("logs/*.log", "logs/app.log", True),
        ("logs/*.log", "logs/a/app.log", False),
        ("*.json", ".json", True),
    ],
)
def test_glob_semantics(pattern: str, path: str, matched: bool) -> None:
    assert GlobSet.union([pattern]).matches(path) is matched


@pytest.mark.parametrize(
    ("child", "parent", "within"),
    [
        (["data/users/*"], ["data/**"], True),
        (["data/**"], ["data/*"], False),
        (["data/*"], ["data/**"], True),
        (["a/**/b"], ["a/*/b"], False),
        (["x*y*z"], ["x*z"], True),
        (["x*z"], ["x*y*z"], False),
        (["a", "b"], ["?"], True),
        ([], ["a"], True),
        (["a/b"], [], False),
        (["**/*.log"], ["**"], True),
    ],
)
def test_inclusion_examples(child: list[str], parent: list[str], within: bool) -> None:
    assert GlobSet.union(child).is_within(GlobSet.union(parent)) is within


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("a//b", "empty, '.' or '..' segments"),
        ("a/", "empty, '.' or '..' segments"),
        ("../a", "empty, '.' or '..' segments"),
        ("a/./b", "empty, '.' or '..' segments"),
        ("a**", "'**' only as a whole segment"),
        ("a/***", "'**' only as a whole segment"),
        ("a\\b", "must not contain a backslash"),
        ("a\x00", "must not contain NUL"),
        ("[ab]", "must not contain '['"),
        ("", "empty, '.' or '..' segments"),
    ],
)
def test_malformed_globs_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(InvalidValueError, match=re.escape(message)):
        normalise_glob(pattern)


def test_a_glob_must_be_a_string() -> None:
    with pytest.raises(InvalidTypeError, match="pattern must be a glob string, got 3"):
        normalise_glob(3)


def test_runs_of_double_stars_collapse() -> None:
    assert normalise_glob("a/**/**/b") == "a/**/b"
    assert GlobSet.union(["b", "a", "a"]) == GlobSet((("a", "b"),))


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "is empty"),
        ("a" * 4097, "is longer than 4096 characters"),
        ("a\x00", "contains null byte (NUL)"),
        ("a\\b", "contains a backslash"),
        ("a/../b", "contains path traversal (..)"),
        ("a//b", "is not normalised (empty or '.' segment)"),
        ("a/./b", "is not normalised (empty or '.' segment)"),
        ("a/", "is not normalised (empty or '.' segment)"),
        ("/", "is not normalised (empty or '.' segment)"),
        ("/a/b.c", None),
        ("...", None),
    ],
)
def test_path_problems(path: str, problem: str | None) -> None:
    assert path_problem(path) == problem


def test_matching_never_backtracks() -> None:
    # A backtracking regex takes minutes on this; the lazy DFA is linear in the path.
    hostile = GlobSet.union(["*a*a*a*a*a*a*a*b"])
    assert not hostile.matches("a" * 4000)


def test_an_empty_conjunct_matches_nothing() -> None:
    nothing = GlobSet((("a",), ()))
    assert nothing == GlobSet(((),))
    assert not nothing.matches("a")
    assert nothing.is_within(GlobSet.union(["b"]))


def test_conjuncts_must_be_a_tuple() -> None:
    with pytest.raises(InvalidTypeError, match="conjuncts must be a tuple"):
        GlobSet(["a"])  # type: ignore[arg-type]


def test_the_meet_drops_implied_conjuncts() -> None:
    narrow, wide = GlobSet.union(["data/x/*"]), GlobSet.union(["data/**", "logs/*"])
    assert narrow.meet(wide) == narrow
    crossing = GlobSet.union(["**/*.log"]).meet(wide)
    assert len(crossing.conjuncts) == 2
    assert crossing.matches("logs/a.log")
    assert not crossing.matches("data/a.txt")


def test_an_inclusion_past_the_work_budget_is_too_complex_to_decide(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_glob_inclusion, "MAX_INCLUSION_WORK", 3)
    _glob._answers.clear()
    # A '?' keeps the question off the shapes' fast path, which spends no budget.
    inner, outer = GlobSet.union(["a/b?/c/d"]), GlobSet.union(["**"])
    with pytest.raises(PatternTooComplex, match="pattern too complex to decide: more than 3 "):
        inner.outside(outer)
    with pytest.raises(PatternTooComplex, match=re.escape("within (('**',),)")):
        inner.is_within(outer)
    assert inner.example_outside(outer) is None
    monkeypatch.undo()
    _glob._answers.clear()
    assert inner.is_within(outer)


def test_a_meet_keeps_a_conjunct_whose_implication_is_too_complex(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_glob, "MAX_MEET_WORK", 3)
    met = GlobSet.union(["data/x/*"]).meet(GlobSet.union(["data/**"]))
    assert met.conjuncts == (("data/**",), ("data/x/*",))  # redundant, still exact
    monkeypatch.undo()
    assert GlobSet.union(["data/x/*"]).meet(GlobSet.union(["data/**"])).conjuncts == (
        ("data/x/*",),
    )


def test_witnesses_use_a_character_no_glob_names() -> None:
    witness = GlobSet.union(["*"]).outside(GlobSet.union(["x*", "y*", "z*"]))
    assert witness is not None
    assert witness[0] not in "xyz"


@pytest.mark.parametrize(("pattern", "path"), [("*/a", "/a"), ("*", "/"), ("*/*", "/a")])
def test_a_star_segment_never_matches_the_empty_first_segment(pattern: str, path: str) -> None:
    assert not GlobSet.union([pattern]).matches(path)
    assert GlobSet.union([pattern]).is_within(GlobSet.union(["**"]))


def test_a_lying_str_is_matched_as_the_string_it_holds() -> None:
    data = GlobSet.union(["data/**"])
    assert data.matches(LyingStr("data/a"))
    assert not data.matches(LyingStr("secrets/prod.key"))
    assert not data.matches(5)  # type: ignore[arg-type]
    assert normalise_glob(LyingStr("secrets/**")) == "secrets/**"  # its startswith lies


def test_globs_the_parent_lists_verbatim_need_no_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # A large union against itself, or against a copy narrowed in one glob, is decided on
    # a budget far too small for a search of the whole union (which takes about 426,000).
    teams = [f"team-{n}/project-*/reports/**/*.csv" for n in range(200)]
    narrowed = [*teams[1:], "team-0/project-*/reports/*.csv"]
    monkeypatch.setattr(_glob_inclusion, "MAX_INCLUSION_WORK", 10_000)
    _glob._answers.clear()
    assert GlobSet.union(teams).is_within(GlobSet.union(teams))
    assert GlobSet.union(narrowed).is_within(GlobSet.union(teams))
    assert GlobSet.union(teams[:50]).is_within(GlobSet((tuple(teams), (*teams[:50], "x"))))
    assert GlobSet((tuple(teams[:3]), ("x",))).is_within(GlobSet.union(teams[:3]))
    assert GlobSet.union(teams).outside(GlobSet.union(narrowed)) == "team-0/project-/reports/-/.csv"
    monkeypatch.undo()
    _glob._answers.clear()
