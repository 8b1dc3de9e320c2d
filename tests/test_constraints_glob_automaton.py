"""Glob automata: a Glushkov NFA per union, and a matching DFA held within a byte budget."""

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
from trust.constraints.builtin import _glob_automaton
from trust.constraints.builtin._glob import GlobSet, normalise_glob
from trust.constraints.builtin._glob_automaton import Automaton, glob_node, positions

PATHOLOGICAL = "*a" + "?" * 30
"""Its DFA must remember where each ``a`` of the last 31 characters was: 2**31 states."""


def random_paths(count: int, length: int, seed: int = 3) -> list[str]:
    choose = random.Random(seed).choice
    return ["".join(choose("ab") for _ in range(length)) for _ in range(count)]


@pytest.mark.parametrize(
    ("pattern", "states"),
    [("a", 1), ("a?b", 3), ("*", 2), ("a*", 2), ("**", 5), ("a/**", 4), ("/a", 2)],
)
def test_the_nfa_has_one_state_per_position_plus_the_start(pattern: str, states: int) -> None:
    assert positions(glob_node(pattern)) == states
    assert Automaton([pattern]).size == states + 1


def test_the_nfa_of_a_pathological_glob_is_small() -> None:
    assert Automaton([PATHOLOGICAL]).size == 33


@settings(deadline=None)
@given(pattern=globs(), path=paths(), budget=st.sampled_from([1, 600, 2_000, 1 << 22]))
def test_matching_is_the_same_whatever_the_dfa_budget(pattern: str, path: str, budget: int) -> None:
    automaton = Automaton([normalise_glob(pattern)], budget)
    expected = reference_match(normalise_glob(pattern), path)
    assert automaton.matches(path) == expected
    assert automaton.matches(path) == expected  # again, on what the first walk built


def test_the_dfa_never_holds_more_than_its_budget() -> None:
    automaton = Automaton([PATHOLOGICAL], 50_000)
    for path in random_paths(30, 400):
        assert automaton.matches(path) == (path[-31] == "a")
        assert automaton.dfa_bytes <= 50_000


def test_a_glob_set_splits_the_dfa_budget_among_its_conjuncts() -> None:
    single = GlobSet.union(["data/**"])
    assert [a.dfa_budget for a in single.automata] == [_glob_automaton.MAX_DFA_BYTES]
    met = GlobSet((("data/**",), ("**/*.log",), ("*/*/*",)))
    assert [a.dfa_budget for a in met.automata] == [_glob_automaton.MAX_DFA_BYTES // 3] * 3


def test_the_byte_estimate_covers_what_the_dfa_really_holds() -> None:
    automaton = Automaton([PATHOLOGICAL, "data/**", "logs/*.log"], 1 << 30)
    sample = [*random_paths(5, 300), "data/a/b", "logs/x.log"]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for path in sample:
        automaton.matches(path)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert 0 < held <= automaton.dfa_bytes


def test_a_path_walked_on_dropped_tables_is_simulated() -> None:
    automaton = Automaton(["data/*"])
    stale = automaton._dfa
    automaton._dfa = type(stale)(automaton)  # as if another thread had dropped them
    assert automaton._grow(stale, 0, "d") == -1
    assert automaton.matches("data/x")


def test_concurrent_matching_under_a_small_budget_agrees_with_the_reference() -> None:
    automaton = Automaton([PATHOLOGICAL, "b*"], 20_000)
    work = random_paths(40, 120, seed=11)
    barrier = threading.Barrier(4)
    wrong: list[str] = []

    def run(offset: int) -> None:
        barrier.wait()
        for path in work[offset:] + work[:offset]:
            if automaton.matches(path) != (path[-31] == "a" or path.startswith("b")):
                wrong.append(path)

    threads = [threading.Thread(target=run, args=(n * 10,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert automaton.dfa_bytes <= 20_000


def test_every_dfa_of_the_process_together_stays_within_the_total_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Caches may keep thousands of glob sets alive; each DFA alone within MAX_DFA_BYTES is
    # not enough. The process-wide budget drops the DFA grown least recently first.
    monkeypatch.setattr(_glob_automaton, "MAX_TOTAL_DFA_BYTES", 200_000)
    ledger = _glob_automaton._LEDGER
    held_before = ledger.total
    automata = [Automaton([PATHOLOGICAL.replace("a", letter)]) for letter in "abcdefgh"]
    for n, path in enumerate(random_paths(40, 300)):
        automaton = automata[n % len(automata)]
        letter = "abcdefgh"[n % len(automata)]
        path = path.replace("a", letter)
        assert automaton.matches(path) == (path[-31] == letter)
        assert ledger.total <= max(200_000, held_before)
    assert sum(a.dfa_bytes for a in automata) <= 200_000


def test_a_collected_automaton_gives_its_dfa_bytes_back() -> None:
    ledger = _glob_automaton._LEDGER
    before = ledger.total
    automaton = Automaton([PATHOLOGICAL])
    for path in random_paths(5, 200):
        automaton.matches(path)
    assert ledger.total > before
    del automaton
    gc.collect()
    assert ledger.total == before
