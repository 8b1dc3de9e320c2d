"""Inclusion of glob sets, decided without determinising the child, within a work budget.

A `GlobSet` is an intersection of unions of globs, one `Automaton` per union. ``A ⊆ B``
fails exactly when some normalised path is accepted by every automaton of ``A`` and
rejected by some automaton of ``B``. The search explores, breadth first, configurations
``(v, p, S)``: ``v`` the state of the normalised-path automaton, ``p`` one NFA state per
automaton of ``A`` (its nondeterminism is explored, never determinised: the child's own
blow-up, as in ``*a????????????????????``, never happens), and ``S`` one set of NFA states
per automaton of ``B`` (determinised on the fly). A configuration where ``v`` and every
``p`` accept and some ``S`` rejects is a counterexample; breadth first, the first one
found is reached by a shortest path, the witness. Characters that no glob names behave
alike, so one stand-in (`OTHER`) covers them all and the search is finite.

Two prunings shrink the search without changing its answer (De Wulf, Doyen, Henzinger,
Raskin, "Antichains", CAV 2006; Abdulla, Chen, Holík, Mayr, Vojnar, "When simulation meets
antichains", TACAS 2010):

- antichain: ``(v, p, S)`` is skipped when some ``(v, p, S')`` with every ``S'_j ⊆ S_j``
  was reached no later (``S'`` rejects whatever ``S`` rejects, at no greater depth);
- simulation: ``(v, p, S)`` is skipped when every ``S_j`` holds a state that simulates one
  of the ``p`` (it accepts every continuation they accept, so nothing beyond is a
  counterexample). The simulation is computed only once the plain search passes
  `SIMULATE_AFTER` configurations: most pairs are decided long before.

NFA inclusion is PSPACE-complete, so some pairs stay hard. Every configuration, successor,
antichain comparison and simulation pair spends a unit of a `Budget`; past it the search
raises `PatternTooComplex` and the caller refuses (fail closed).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Sequence

from trust.constraints.builtin._glob_automaton import OTHER, Automaton, PatternTooComplex

MAX_INCLUSION_WORK = 250_000
"""Units of work one inclusion question may take (about a second at worst); then refused."""

SIMULATE_AFTER = 2_000
"""Configurations the plain search may reach before the simulation is computed."""

_EMPTY: frozenset[int] = frozenset()

# -- the normalised-path automaton -----------------------------------------------------
# 0 start, 1 after a '/', 2 segment ".", 3 segment "..", 4 inside a valid segment; -1 dead.
_V_START, _V_DEAD, _V_ACCEPT = 0, -1, 4
_V_SLASH = {0: 1, 4: 1}
_V_DOT = {0: 2, 1: 2, 2: 3, 3: 4, 4: 4}


def _v_step(state: int, symbol: str) -> int:
    if symbol == "/":
        return _V_SLASH.get(state, _V_DEAD)
    if symbol == ".":
        return _V_DOT[state]
    return _V_ACCEPT


class Budget:
    """Units of work left; `spend` raises `PatternTooComplex` when they run out."""

    def __init__(self, units: int) -> None:
        self.limit = units
        self.left = units

    def spend(self, units: int = 1) -> None:
        self.left -= units
        if self.left < 0:
            raise PatternTooComplex(
                f"pattern too complex to decide: more than {self.limit:,} units of work "
                "(the budget MAX_INCLUSION_WORK)"
            )


_Config = tuple[int, tuple[int, ...], tuple[frozenset[int], ...]]
_Simulations = list[list[list[frozenset[int]] | None]]


class _Grew(Exception):
    """The plain search passed `SIMULATE_AFTER` configurations."""


def find_outside(
    inner: Sequence[Automaton], outer: Sequence[Automaton], budget: Budget
) -> list[str] | None:
    """The symbols of a shortest path every ``inner`` accepts and some ``outer`` rejects.

    None when there is no such path. `OTHER` in the result stands for any character no
    automaton names.

    Raises:
        PatternTooComplex: ``budget`` ran out first.
    """
    try:
        return _search(inner, outer, budget, None)
    except _Grew:
        pass
    simulations = [[simulation(a, b, budget) for b in outer] for a in inner]
    return _search(inner, outer, budget, simulations)


def _search(
    inner: Sequence[Automaton],
    outer: Sequence[Automaton],
    budget: Budget,
    simulations: _Simulations | None,
) -> list[str] | None:
    literals = frozenset().union(*(a.literals for a in (*inner, *outer)))
    alphabet = [*sorted(literals | {"/", "."}), OTHER]
    start: _Config = (_V_START, tuple(0 for _ in inner), tuple(b.start for b in outer))
    if simulations is not None and _covered(simulations, start[1], start[2]):
        return None
    came_from: dict[_Config, tuple[_Config, str] | None] = {start: None}
    seen: dict[tuple[int, tuple[int, ...]], list[tuple[frozenset[int], ...]]] = {
        start[:2]: [start[2]]
    }
    outer_steps: dict[tuple[int, frozenset[int], str], frozenset[int]] = {}
    queue: deque[_Config] = deque([start])
    while queue:
        config = queue.popleft()
        v, states, sets = config
        if (
            v == _V_ACCEPT
            and all(a.accepting[p] for a, p in zip(inner, states, strict=True))
            and not all(b.accepts(s) for b, s in zip(outer, sets, strict=True))
        ):
            return _symbols(came_from, config)
        for symbol in alphabet:
            following_v = _v_step(v, symbol)
            if following_v == _V_DEAD:
                continue
            choices = [_successors(a, p, symbol) for a, p in zip(inner, states, strict=True)]
            if not all(choices):
                continue  # an inner automaton cannot read this symbol here
            following_sets: list[frozenset[int]] = []
            for index, (b, s) in enumerate(zip(outer, sets, strict=True)):
                key = (index, s, symbol)
                found = outer_steps.get(key)
                if found is None:
                    budget.spend(1 + len(s))
                    found = outer_steps[key] = b.step(s, symbol)
                following_sets.append(found)
            following = tuple(following_sets)
            for following_states in itertools.product(*choices):
                budget.spend()
                candidate: _Config = (following_v, following_states, following)
                if candidate in came_from:
                    continue
                if simulations is not None and _covered(simulations, following_states, following):
                    continue
                earlier = seen.setdefault((following_v, following_states), [])
                budget.spend(len(earlier))
                if any(_all_subsets(old, following) for old in earlier):
                    continue
                earlier.append(following)
                came_from[candidate] = (config, symbol)
                queue.append(candidate)
                if simulations is None and len(came_from) > SIMULATE_AFTER:
                    raise _Grew
    return None


def _successors(automaton: Automaton, state: int, symbol: str) -> frozenset[int]:
    literal = automaton.literal_steps[state].get(symbol, _EMPTY)
    return literal if symbol == "/" else literal | automaton.any_steps[state]


def _all_subsets(smaller: tuple[frozenset[int], ...], larger: tuple[frozenset[int], ...]) -> bool:
    return all(a <= b for a, b in zip(smaller, larger, strict=True))


def _covered(
    simulations: _Simulations, states: tuple[int, ...], sets: tuple[frozenset[int], ...]
) -> bool:
    """Whether every outer set holds a state simulating one of the inner states."""
    return all(
        any(
            relation is not None and not relation[state].isdisjoint(outer_set)
            for relation, state in zip((row[index] for row in simulations), states, strict=True)
        )
        for index, outer_set in enumerate(sets)
    )


def _symbols(came_from: dict[_Config, tuple[_Config, str] | None], config: _Config) -> list[str]:
    symbols: list[str] = []
    step = came_from[config]
    while step is not None:
        config, symbol = step
        symbols.append(symbol)
        step = came_from[config]
    symbols.reverse()
    return symbols


def simulation(a: Automaton, b: Automaton, budget: Budget) -> list[frozenset[int]] | None:
    """For each state ``p`` of ``a``, the states of ``b`` that simulate it.

    ``q`` simulates ``p`` when ``q`` accepts if ``p`` does, and every move of ``p`` can be
    answered by a move of ``q`` on the same character to a state that simulates the target:
    then ``q`` accepts every continuation ``p`` accepts. This is the largest such relation,
    by refinement from "accepts if ``p`` does". None (no pruning) when the pairs alone would
    take more than a quarter of what is left of ``budget``.
    """
    pairs = a.size * b.size
    if pairs > budget.left // 4:
        return None
    budget.spend(pairs)
    accepting = frozenset(q for q in range(b.size) if b.accepting[q])
    every = frozenset(range(b.size))
    relation = [set(accepting if a.accepting[p] else every) for p in range(a.size)]
    changed = True
    while changed:
        changed = False
        # Positions mostly lead to higher numbers: refining backwards converges sooner.
        for p in reversed(range(a.size)):
            kept = relation[p]
            for q in list(kept):
                budget.spend()
                if not _answers(a, b, p, q, relation):
                    kept.discard(q)
                    changed = True
    return [frozenset(r) for r in relation]


def _answers(a: Automaton, b: Automaton, p: int, q: int, relation: list[set[int]]) -> bool:
    """Whether every move of ``p`` has a move of ``q`` to a state in ``relation`` of it."""
    b_any = b.any_steps[q]
    # A move on any character includes characters no glob names: only q's any-moves read them.
    for target in a.any_steps[p]:
        if relation[target].isdisjoint(b_any):
            return False
    b_literal = b.literal_steps[q]
    for label, targets in a.literal_steps[p].items():
        answers = b_literal.get(label, _EMPTY)
        if label != "/":
            answers = answers | b_any
        for target in targets:
            if relation[target].isdisjoint(answers):
                return False
    return True
