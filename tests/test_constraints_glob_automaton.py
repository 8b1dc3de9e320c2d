"""Glob automata: a Glushkov NFA per union, its size read off the text before it is built."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import globs
from trust.constraints.builtin._glob import normalise_glob
from trust.constraints.builtin._glob_automaton import Automaton, glob_node, positions, states_of

PATHOLOGICAL = "*a" + "?" * 30
"""Its DFA must remember where each ``a`` of the last 31 characters was: 2**31 states."""


@pytest.mark.parametrize(
    ("pattern", "states"),
    [("a", 1), ("a?b", 3), ("*", 2), ("a*", 2), ("**", 5), ("a/**", 4), ("/a", 2)],
)
def test_the_nfa_has_one_state_per_position_plus_the_start(pattern: str, states: int) -> None:
    assert positions(glob_node(pattern)) == states
    assert states_of(pattern) == states
    assert Automaton([pattern]).size == states + 1


def test_the_nfa_of_a_pathological_glob_is_small() -> None:
    assert Automaton([PATHOLOGICAL]).size == 33


@given(parts=st.lists(globs(), min_size=1, max_size=4))
def test_the_states_read_off_the_text_are_the_states_built(parts: list[str]) -> None:
    # The budget is checked on the text, before anything is built: it must be exact.
    pattern = normalise_glob(parts[0] + "".join("/" + p.lstrip("/") for p in parts[1:]))
    assert states_of(pattern) == positions(glob_node(pattern))
