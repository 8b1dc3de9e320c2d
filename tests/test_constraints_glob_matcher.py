"""Matching on bit masks, cached as a DFA held within a byte budget."""

from __future__ import annotations

import gc
import random
import threading
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import globs, paths
from tests.test_constraints_glob import reference_match
from trust.constraints.builtin import _glob_matcher
from trust.constraints.builtin._glob import GlobSet, normalise_glob
from trust.constraints.builtin._glob_matcher import Matcher

PATHOLOGICAL = "*a" + "?" * 30
"""Its DFA must remember where each ``a`` of the last 31 characters was: 2**31 states."""


def random_paths(count: int, length: int, seed: int = 3) -> list[str]:
    choose = random.Random(seed).choice
    return ["".join(choose("ab") for _ in range(length)) for _ in range(count)]


@settings(deadline=None)
@given(
    conjuncts=st.lists(st.lists(globs(), min_size=1, max_size=3), min_size=1, max_size=3),
    path=paths(),
    budget=st.sampled_from([1, 600, 2_000, 1 << 22]),
)
def test_matching_agrees_with_the_reference_whatever_the_dfa_budget(
    conjuncts: list[list[str]], path: str, budget: int
) -> None:
    normalised = [[normalise_glob(g) for g in union] for union in conjuncts]
    matcher = Matcher(normalised, budget)
    expected = all(any(reference_match(g, path) for g in union) for union in normalised)
    assert matcher.matches(path) == expected
    assert matcher.matches(path) == expected  # again, on what the first walk built


@given(pattern=globs())
def test_a_position_is_followed_only_by_positions_nearby(pattern: str) -> None:
    # What keeps a step to a handful of operations: a few distances, each one mask.
    distances = Matcher([[normalise_glob(pattern)]]).distances
    assert set(distances) <= {-2, -1, 0, 1, 2, 4, 5}


def test_the_conjuncts_of_a_glob_set_are_matched_in_one_walk() -> None:
    met = GlobSet((("data/**",), ("**/*.log",), ("*/*/*",)))
    assert met.matches("data/a/b.log")
    assert not met.matches("data/b.log")  # two segments, not three
    assert not met.matches("data/a/b.txt")
    assert not met.matches("logs/a/b.log")


def test_a_glob_set_with_an_empty_union_matches_nothing() -> None:
    assert not Matcher([["a"], []]).matches("a")
    assert not Matcher([[]]).matches("a")


def test_the_dfa_never_holds_more_than_its_budget() -> None:
    matcher = Matcher([[PATHOLOGICAL]], 50_000)
    for path in random_paths(30, 400):
        assert matcher.matches(path) == (path[-31] == "a")
        assert matcher.dfa_bytes <= 50_000


def test_the_byte_estimate_covers_what_the_dfa_really_holds() -> None:
    matcher = Matcher([[PATHOLOGICAL, "data/**", "logs/*.log"]], 1 << 30)
    sample = [*random_paths(5, 300), "data/a/b", "logs/x.log"]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for path in sample:
        matcher.matches(path)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert 0 < held <= matcher.dfa_bytes


def test_a_path_walked_on_dropped_tables_is_finished_on_masks() -> None:
    matcher = Matcher([["data/*"]])
    stale = matcher._dfa
    matcher._dfa = type(stale)(False)  # as if another thread had dropped them
    assert matcher._add(stale, 0, "d", matcher.step(-1, "d")) == -1
    assert matcher.matches("data/x")


def test_concurrent_matching_under_a_small_budget_agrees_with_the_reference() -> None:
    matcher = Matcher([[PATHOLOGICAL, "b*"]], 20_000)
    work = random_paths(40, 120, seed=11)
    barrier = threading.Barrier(4)
    wrong: list[str] = []

    def run(offset: int) -> None:
        barrier.wait()
        for path in work[offset:] + work[:offset]:
            if matcher.matches(path) != (path[-31] == "a" or path.startswith("b")):
                wrong.append(path)

    threads = [threading.Thread(target=run, args=(n * 10,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert matcher.dfa_bytes <= 20_000


def test_every_dfa_of_the_process_together_stays_within_the_total_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Caches may keep thousands of glob sets alive; each DFA alone within MAX_DFA_BYTES is
    # not enough. The process-wide budget drops the DFA grown least recently first.
    monkeypatch.setattr(_glob_matcher, "MAX_TOTAL_DFA_BYTES", 200_000)
    ledger = _glob_matcher._LEDGER
    held_before = ledger.total
    matchers = [Matcher([[PATHOLOGICAL.replace("a", letter)]]) for letter in "abcdefgh"]
    for n, path in enumerate(random_paths(40, 300)):
        matcher = matchers[n % len(matchers)]
        letter = "abcdefgh"[n % len(matchers)]
        path = path.replace("a", letter)
        assert matcher.matches(path) == (path[-31] == letter)
        assert ledger.total <= max(200_000, held_before)
    assert sum(m.dfa_bytes for m in matchers) <= 200_000


def test_a_collected_matcher_gives_its_dfa_bytes_back() -> None:
    ledger = _glob_matcher._LEDGER
    before = ledger.total
    matcher = Matcher([[PATHOLOGICAL]])
    for path in random_paths(5, 200):
        matcher.matches(path)
    assert ledger.total > before
    del matcher
    gc.collect()
    assert ledger.total == before
