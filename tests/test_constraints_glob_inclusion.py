"""Glob inclusion: exact, with shortest witnesses, the prunings never change an answer."""

from __future__ import annotations

from collections.abc import Generator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import globs
from tests.test_constraints_glob import UNIVERSE
from trust.constraints.builtin import _glob_inclusion as inclusion
from trust.constraints.builtin._glob import GlobSet
from trust.constraints.builtin._glob_automaton import OTHER, PatternTooComplex

SIMULATE_AFTER = inclusion.SIMULATE_AFTER

_SHAPES = st.sampled_from(["*a???", "*a????*", "a*??", "*?a?", "?*a*", "*a???/**", "**/*a??"])
_GLOB_LISTS = st.lists(st.one_of(globs(), _SHAPES), max_size=2)


def finish(search: Generator[None, None, list[str] | None]) -> list[str] | None:
    """Run one search alone to its answer."""
    while True:
        try:
            next(search)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def by_states(inner: GlobSet, outer: GlobSet, *, simulate_after: int) -> list[str] | None:
    saved = inclusion.SIMULATE_AFTER
    inclusion.SIMULATE_AFTER = simulate_after
    try:
        return finish(inclusion._by_states(inner.automata, outer.automata, inclusion.Budget(10**7)))
    finally:
        inclusion.SIMULATE_AFTER = saved


def by_subsets(inner: GlobSet, outer: GlobSet) -> list[str] | None:
    return finish(inclusion._by_subsets(inner.automata, outer.automata, inclusion.Budget(10**7)))


@settings(deadline=None)
@given(child=_GLOB_LISTS, parent=_GLOB_LISTS)
def test_simulation_pruning_never_changes_the_answer(child: list[str], parent: list[str]) -> None:
    inner, outer = GlobSet.union(child), GlobSet.union(parent)
    plain = by_states(inner, outer, simulate_after=10**9)
    pruned = by_states(inner, outer, simulate_after=0)
    assert (plain is None) == (pruned is None)
    if plain is not None and pruned is not None:
        assert len(plain) == len(pruned)  # both shortest


@settings(deadline=None)
@given(child=_GLOB_LISTS, parent=_GLOB_LISTS)
def test_the_witness_is_a_shortest_one(child: list[str], parent: list[str]) -> None:
    inner, outer = GlobSet.union(child), GlobSet.union(parent)
    witness = inner.example_outside(outer)
    shorter = [
        p
        for p in UNIVERSE
        if (witness is None or len(p) < len(witness)) and inner.matches(p) and not outer.matches(p)
    ]
    assert shorter == []


@pytest.mark.parametrize("k", [10, 20, 30])
def test_a_pathological_glob_is_within_itself_and_looser_globs(k: int) -> None:
    child = GlobSet.union(["*a" + "?" * k])
    assert child.is_within(child)
    assert child.is_within(GlobSet.union(["*a*" + "?" * k]))
    assert child.is_within(GlobSet.union(["**"]))
    assert child.is_within(GlobSet.union(["*" + "?" * k]))
    assert GlobSet.union(["x/*a" + "?" * k]).is_within(GlobSet.union(["**/*a" + "?" * k]))
    looser = GlobSet.union(["*b" + "?" * k])
    witness = looser.outside(child)
    assert witness is not None
    assert len(witness) == k + 1
    assert looser.matches(witness)
    assert not child.matches(witness)


def test_the_simulation_is_skipped_when_it_would_eat_the_budget() -> None:
    big = GlobSet.union(["*a" + "?" * 30]).automata[0]
    assert inclusion.simulation(big, big, inclusion.Budget(4 * 33 * 33 - 1)) is None
    relation = inclusion.simulation(big, big, inclusion.Budget(10**6))
    assert relation is not None
    assert all(p in related for p, related in enumerate(relation))  # every state simulates itself


def test_a_spent_budget_names_itself() -> None:
    budget = inclusion.Budget(2)
    budget.spend(2)
    with pytest.raises(PatternTooComplex, match=r"more than 2 units of work .*MAX_INCLUSION_WORK"):
        budget.spend()


def test_characters_no_glob_names_share_one_symbol() -> None:
    inner, outer = GlobSet.union(["?"]), GlobSet.union(["a"])
    assert inclusion.find_outside(inner.automata, outer.automata, inclusion.Budget(100)) == [OTHER]


@settings(deadline=None)
@given(child=_GLOB_LISTS, parent=_GLOB_LISTS, more=_GLOB_LISTS)
def test_the_search_by_subsets_agrees_with_the_search_by_states(
    child: list[str], parent: list[str], more: list[str]
) -> None:
    inner = GlobSet((tuple(child), tuple(more))) if more else GlobSet.union(child)
    outer = GlobSet.union(parent)
    states = by_states(inner, outer, simulate_after=SIMULATE_AFTER)
    subsets = by_subsets(inner, outer)
    assert (states is None) == (subsets is None)
    if states is not None and subsets is not None:
        assert len(states) == len(subsets)


def test_when_the_search_by_states_runs_out_the_search_by_subsets_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def exhausted(
        _inner: object, _outer: object, half: inclusion.Budget
    ) -> Generator[None, None, None]:
        half.spend(half.left + 1)
        yield

    monkeypatch.setattr(inclusion, "_by_states", exhausted)
    inner, outer = GlobSet.union(["data/*"]), GlobSet.union(["data/a*"])
    budget = inclusion.Budget(1_000)
    assert inclusion.find_outside(inner.automata, outer.automata, budget) == list("data/d")
    assert budget.left < 500  # the half given to the search by states is spent


def test_a_spent_shared_budget_refuses_at_once() -> None:
    budget = inclusion.Budget(10)
    budget.spend(10)
    inner = GlobSet.union(["a"])
    with pytest.raises(PatternTooComplex, match="more than 10 units"):
        inclusion.find_outside(inner.automata, inner.automata, budget)
    assert budget.left == 0
