"""Inclusion of glob sets, decided exactly by two searches within one work budget.

A `GlobSet` is an intersection of unions of globs, one `Automaton` per union. ``A ⊆ B``
fails exactly when some normalised path is accepted by every automaton of ``A`` and
rejected by some automaton of ``B``. Both searches look for one breadth first, in the
product with the normalised-path automaton (state ``v``), with ``B`` determinised on the
fly (one set ``S`` of NFA states per automaton); breadth first, the first counterexample
found is reached by a shortest path, the witness. Characters that no glob names behave
alike, so one stand-in (`OTHER`) covers them all and the search is finite.

- By states: ``A``'s nondeterminism is explored, never determinised (one NFA state ``p``
  per automaton), so the child's own blow-up, as in ``*a????????????????????``, never
  happens. ``(v, p, S)`` is skipped when some ``(v, p, S')`` with every ``S'_j ⊆ S_j``
  was reached no later (an antichain: ``S'`` rejects whatever ``S`` rejects), or when every
  ``S_j`` holds a state that simulates one of the ``p`` (it accepts every continuation they
  accept). The simulation is computed only past `SIMULATE_AFTER` configurations.
- By subsets: ``A`` is determinised too (one set ``P`` per automaton), which wins when
  many runs of ``A`` share their sets; ``(v, P, S)`` is skipped when some ``(v, P', S)``
  with every ``P_i ⊆ P'_i`` was reached no later (``P'`` accepts whatever ``P`` accepts).

References: De Wulf, Doyen, Henzinger, Raskin, "Antichains: a new algorithm for checking
universality of finite automata", CAV 2006; Abdulla, Chen, Holík, Mayr, Vojnar, "When
simulation meets antichains", TACAS 2010. The prunings never change an answer.

Each search wins on some pairs (by states on a pathological child, by subsets on a
large union of globs sharing prefixes), so they take turns, each on half the budget.
NFA inclusion is PSPACE-complete, so some pairs stay hard: every configuration, step,
antichain comparison and simulation pair spends a unit of a `Budget`, and when both
halves are spent `PatternTooComplex` is raised and the caller refuses (fail closed).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Generator, Hashable, Iterable, Sequence
from typing import TypeVar

from trust.constraints.builtin._glob_automaton import OTHER, Automaton, PatternTooComplex

MAX_INCLUSION_WORK = 400_000
"""Units of work one inclusion question may take (about a second at worst); then refused."""

SIMULATE_AFTER = 2_000
"""Configurations the plain search by states may reach before the simulation is computed."""

STATES_FIRST = 2_000
"""Units the search by states spends alone before the two take turns (most pairs need less)."""

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

    @property
    def spent(self) -> int:
        """Units spent, at most `limit`."""
        return self.limit - max(self.left, 0)

    def spend(self, units: int = 1) -> None:
        self.left -= units
        if self.left < 0:
            raise self.exhausted()

    def exhausted(self) -> PatternTooComplex:
        """The error that says this budget ran out."""
        return PatternTooComplex(
            f"pattern too complex to decide: more than {self.limit:,} units of work "
            "(the budget MAX_INCLUSION_WORK)"
        )


_Sets = tuple[frozenset[int], ...]
_Key = TypeVar("_Key", bound=Hashable)
_Config = tuple[int, tuple[int, ...], _Sets]
_SubsetConfig = tuple[int, _Sets, _Sets]
_Simulations = list[list[list[frozenset[int]] | None]]


class _Grew(Exception):
    """The plain search by states passed `SIMULATE_AFTER` configurations."""


def find_outside(
    inner: Sequence[Automaton], outer: Sequence[Automaton], budget: Budget
) -> list[str] | None:
    """The symbols of a shortest path every ``inner`` accepts and some ``outer`` rejects.

    None when there is no such path. `OTHER` in the result stands for any character no
    automaton names. The search by states goes alone for `STATES_FIRST` units, then the
    two take turns, each with half of ``budget``, the one that has spent less going next:
    the answer costs at most about twice what the cheaper search for this pair needs.

    Raises:
        PatternTooComplex: Both searches ran out of their halves first.
    """
    if budget.left <= 0:
        raise budget.exhausted()
    halves = [Budget(budget.left // 2), Budget(budget.left - budget.left // 2)]
    searches = [_by_states(inner, outer, halves[0]), _by_subsets(inner, outer, halves[1])]
    running = [0, 1]
    head_start = [STATES_FIRST, 0]
    try:
        while running:
            turn = min(running, key=lambda index: halves[index].spent - head_start[index])
            try:
                next(searches[turn])
            except StopIteration as done:
                found: list[str] | None = done.value
                return found
            except PatternTooComplex:
                running.remove(turn)
        raise budget.exhausted()
    finally:
        budget.left -= sum(half.spent for half in halves)
        for search in searches:
            search.close()


_Search = Generator[None, None, list[str] | None]


def _by_states(inner: Sequence[Automaton], outer: Sequence[Automaton], budget: Budget) -> _Search:
    try:
        return (yield from _search_states(inner, outer, budget, None))
    except _Grew:
        pass
    simulations = [[simulation(a, b, budget) for b in outer] for a in inner]
    return (yield from _search_states(inner, outer, budget, simulations))


class _Steps:
    """The on-the-fly subset construction of some automata, memoised for one search."""

    def __init__(self, automata: Sequence[Automaton], budget: Budget) -> None:
        self._automata = automata
        self._budget = budget
        self._found: dict[tuple[int, frozenset[int], str], frozenset[int]] = {}

    def after(self, sets: _Sets, symbol: str) -> _Sets:
        following: list[frozenset[int]] = []
        for index, states in enumerate(sets):
            key = (index, states, symbol)
            found = self._found.get(key)
            if found is None:
                self._budget.spend(1 + len(states))
                found = self._found[key] = self._automata[index].step(states, symbol)
            following.append(found)
        return tuple(following)


def _alphabet(inner: Sequence[Automaton], outer: Sequence[Automaton]) -> list[str]:
    literals = frozenset().union(*(a.literals for a in (*inner, *outer)))
    return [*sorted(literals | {"/", "."}), OTHER]


def _search_states(
    inner: Sequence[Automaton],
    outer: Sequence[Automaton],
    budget: Budget,
    simulations: _Simulations | None,
) -> _Search:
    alphabet = _alphabet(inner, outer)
    steps = _Steps(outer, budget)
    start: _Config = (_V_START, tuple(0 for _ in inner), tuple(b.start for b in outer))
    if simulations is not None and _covered(simulations, start[1], start[2]):
        return None
    came_from: dict[_Config, tuple[_Config, str] | None] = {start: None}
    seen: dict[tuple[int, tuple[int, ...]], list[_Sets]] = {start[:2]: [start[2]]}
    queue: deque[_Config] = deque([start])
    while queue:
        yield
        config = queue.popleft()
        v, states, sets = config
        if (
            v == _V_ACCEPT
            and all(a.accepting[p] for a, p in zip(inner, states, strict=True))
            and not all(b.accepts(s) for b, s in zip(outer, sets, strict=True))
        ):
            return _symbols(came_from, config)
        for symbol in _readable(alphabet, inner, [(p,) for p in states]):
            following_v = _v_step(v, symbol)
            if following_v == _V_DEAD:
                continue
            choices = [_successors(a, p, symbol) for a, p in zip(inner, states, strict=True)]
            following = steps.after(sets, symbol)
            for following_states in itertools.product(*choices):
                budget.spend()
                candidate: _Config = (following_v, following_states, following)
                if candidate in came_from:
                    continue
                if simulations is not None and _covered(simulations, following_states, following):
                    continue
                if not _keep(seen, (following_v, following_states), following, _below, budget):
                    continue
                came_from[candidate] = (config, symbol)
                queue.append(candidate)
                if simulations is None and len(came_from) > SIMULATE_AFTER:
                    raise _Grew
    return None


def _by_subsets(inner: Sequence[Automaton], outer: Sequence[Automaton], budget: Budget) -> _Search:
    alphabet = _alphabet(inner, outer)
    inner_steps, outer_steps = _Steps(inner, budget), _Steps(outer, budget)
    start: _SubsetConfig = (_V_START, tuple(a.start for a in inner), tuple(b.start for b in outer))
    came_from: dict[_SubsetConfig, tuple[_SubsetConfig, str] | None] = {start: None}
    seen: dict[tuple[int, _Sets], list[_Sets]] = {(start[0], start[2]): [start[1]]}
    queue: deque[_SubsetConfig] = deque([start])
    while queue:
        yield
        config = queue.popleft()
        v, inner_sets, outer_sets = config
        if (
            v == _V_ACCEPT
            and all(a.accepts(s) for a, s in zip(inner, inner_sets, strict=True))
            and not all(b.accepts(s) for b, s in zip(outer, outer_sets, strict=True))
        ):
            return _symbols(came_from, config)
        for symbol in _readable(alphabet, inner, inner_sets):
            following_v = _v_step(v, symbol)
            if following_v == _V_DEAD:
                continue
            following_inner = inner_steps.after(inner_sets, symbol)
            following_outer = outer_steps.after(outer_sets, symbol)
            budget.spend()
            candidate: _SubsetConfig = (following_v, following_inner, following_outer)
            if candidate in came_from:
                continue
            if not _keep(seen, (following_v, following_outer), following_inner, _above, budget):
                continue
            came_from[candidate] = (config, symbol)
            queue.append(candidate)
    return None


def _keep(
    seen: dict[_Key, list[_Sets]],
    key: _Key,
    sets: _Sets,
    covers: Callable[[_Sets, _Sets], bool],
    budget: Budget,
) -> bool:
    """Whether no earlier ``sets`` under ``key`` covers these; if so, record them.

    The list stays an antichain: entries these now cover are dropped (they prune nothing
    these do not), which keeps every comparison short.
    """
    earlier = seen.setdefault(key, [])
    budget.spend(2 * len(earlier))
    if any(covers(old, sets) for old in earlier):
        return False
    earlier[:] = [old for old in earlier if not covers(sets, old)]
    earlier.append(sets)
    return True


def _below(old: _Sets, new: _Sets) -> bool:
    """Outer sets: ``old`` rejects whatever ``new`` rejects (every ``old_j ⊆ new_j``)."""
    return all(a <= b for a, b in zip(old, new, strict=True))


def _above(old: _Sets, new: _Sets) -> bool:
    """Inner sets: ``old`` accepts whatever ``new`` accepts (every ``old_i ⊇ new_i``)."""
    return all(a >= b for a, b in zip(old, new, strict=True))


def _readable(
    alphabet: list[str], automata: Sequence[Automaton], sets: Sequence[Iterable[int]]
) -> list[str]:
    """The symbols every automaton can read from its states: any other ends the branch.

    The same order as ``alphabet``, so the witness does not change; every symbol returned
    has a successor in every automaton, which the searches rely on.
    """
    symbols = alphabet
    for automaton, states in zip(automata, sets, strict=True):
        labels: set[str] = set()
        anything = False
        for state in states:
            labels.update(automaton.literal_steps[state])
            anything = anything or bool(automaton.any_steps[state])
        symbols = [x for x in symbols if x in labels or (anything and x != "/")]
    return symbols


def _successors(automaton: Automaton, state: int, symbol: str) -> frozenset[int]:
    literal = automaton.literal_steps[state].get(symbol, _EMPTY)
    return literal if symbol == "/" else literal | automaton.any_steps[state]


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


_AnyConfig = TypeVar("_AnyConfig", _Config, _SubsetConfig)


def _symbols(
    came_from: dict[_AnyConfig, tuple[_AnyConfig, str] | None], config: _AnyConfig
) -> list[str]:
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
