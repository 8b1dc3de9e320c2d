"""Matching a path against a glob set: the NFA simulated on bit masks, cached as a lazy DFA.

A set of NFA states is a Python int, bit ``i`` for position ``i`` (every conjunct's
positions side by side in one int), and a step is a few whole-int operations, each
linear in the number of positions and run in C: no per-state Python loop, so the cost of
a step does not grow with how many states are active at once. A position of a glob is
followed only by positions at most five places after it or two before it (a ``*`` loops
on itself; ``**`` loops back over its segment and may be skipped whole), so the follow
relation is a handful of masks ``E_d``, one per distance ``d``, and::

    next(S, c) = (OR over d of shift(S & E_d, d)) & label(c)

where ``label(c)`` holds the positions that read ``c``. The states in which the matcher
starts are a sentinel (`_START`): they step to the first positions of every glob.

Matching walks a DFA whose states are these masks, each made the first time a path needs
it: a path that follows known transitions costs one dict lookup per character. A DFA can
have exponentially many states (``*a??????????`` must remember where every ``a`` was), so
each glob set's DFA holds at most `MAX_DFA_BYTES`, and all the DFAs of the process at
most `MAX_TOTAL_DFA_BYTES` (however many glob sets caches keep alive, the DFA grown least
recently is dropped first). When a path needs more, the DFA is dropped and started afresh
(as RE2 does: the states in use come back soon), and the rest of the path is stepped on
masks, keeping nothing. Either way a character costs at most one step: a few dozen
operations on ints as wide as the glob set has positions (at most `MAX_AUTOMATON_STATES`
bits), so a 4,096-character path is matched in tens of milliseconds at worst, whatever
the globs (`tests/test_constraints_glob_match_budget.py` holds it to that).
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Iterable, Sequence

from trust.constraints.builtin._glob_automaton import ANY, OTHER, glushkov

MAX_DFA_BYTES = 4 * 1024 * 1024
"""Bytes the matching DFA of one glob set may hold."""

MAX_TOTAL_DFA_BYTES = 64 * 1024 * 1024
"""Bytes the matching DFAs of every glob set in the process may hold together."""

_START = -1
"""The DFA's start state: before the first character, no position has been read."""

# Bytes a DFA state costs beyond its mask: its row dict, its slots in three lists and its
# entry in the id dict; and what one more row entry costs (a row's first entry allocates
# its table). Measured with tracemalloc; a test holds the estimate to it.
_STATE_BYTES = 64 + 3 * 8 + 112
_EDGE_BYTES = 128


def _mask(bits: Iterable[int]) -> int:
    """The int with exactly ``bits`` set (built in one pass: OR-ing bits one by one into a
    growing int would be quadratic)."""
    positions = list(bits)
    if not positions:
        return 0
    table = bytearray(max(positions) // 8 + 1)
    for bit in positions:
        table[bit >> 3] |= 1 << (bit & 7)
    return int.from_bytes(table, "little")


class Matcher:
    """Whether paths are in an intersection of unions of globs, one walk for all of them.

    Args:
        conjuncts: The unions, each a sequence of normalised globs.
        dfa_budget: Bytes the matching DFA may hold (estimated from what it stores).

    Attributes:
        positions: The number of positions (NFA states but the starts) of every conjunct.
        held_bytes: What the masks hold (the DFA is bounded apart, process-wide).
    """

    def __init__(self, conjuncts: Sequence[Sequence[str]], dfa_budget: int = MAX_DFA_BYTES) -> None:
        any_bits: list[int] = []
        literal_bits: dict[str, list[int]] = {}
        by_distance: dict[int, list[int]] = {}
        first_bits: list[int] = []
        self._accepting: list[int] = []
        starts_accepting = True
        base = 0
        for patterns in conjuncts:
            labels, follows, accepting = glushkov(patterns)
            offset = base - 1  # position p of this conjunct is bit p + offset (p >= 1)
            for position in range(1, len(labels)):
                label = labels[position]
                bit = position + offset
                (any_bits if label == ANY else literal_bits.setdefault(label, [])).append(bit)
                for target in follows[position]:
                    by_distance.setdefault(target - position, []).append(bit)
            first_bits.extend(target + offset for target in follows[0])
            finals = (p + offset for p in range(1, len(labels)) if accepting[p])
            self._accepting.append(_mask(finals))
            starts_accepting = starts_accepting and accepting[0]
            base += len(labels) - 1
        self.positions = base
        self._moves = tuple((_mask(bits), d) for d, bits in sorted(by_distance.items()))
        self._any = _mask(any_bits)
        self._literal = {label: _mask(bits) for label, bits in literal_bits.items()}
        self._slash = self._literal.get("/", 0)
        self._first = _mask(first_bits)
        self._starts_accepting = starts_accepting
        # Characters with a transition of their own; every other one reads as OTHER.
        self._symbols = frozenset(self._literal) | {"/"}
        masks = [self._any, self._first, *self._accepting, *self._literal.values()]
        masks += [edges for edges, _ in self._moves]
        self.held_bytes = (
            sum(map(sys.getsizeof, masks))
            + sys.getsizeof(self._literal)
            + sys.getsizeof(self._symbols)
            + 72 * len(self._symbols)  # a one-character str each
        )
        self.dfa_budget = dfa_budget
        self._dfa = _Dfa(starts_accepting)
        _LEDGER.enter(self)

    @property
    def distances(self) -> tuple[int, ...]:
        """The distances ``d`` of the follow masks ``E_d`` (see the module docstring)."""
        return tuple(d for _, d in self._moves)

    @property
    def dfa_bytes(self) -> int:
        """What the matching DFA holds now, estimated as its budget counts it."""
        return self._dfa.bytes

    def matches(self, path: str) -> bool:
        """Whether every conjunct matches ``path`` (assumed normalised; see `path_problem`)."""
        dfa = self._dfa
        symbols, rows, state = self._symbols, dfa.rows, 0
        for index, char in enumerate(path):
            following = rows[state].get(char if char in symbols else OTHER)
            if following is None:
                return self._walk_on(dfa, state, path, index)
            state = following
        final = dfa.final[state]
        if final is None:
            final = dfa.final[state] = self._accepts(dfa.states[state])
        return final

    def step(self, states: int, symbol: str) -> int:
        """The positions reachable from ``states`` (a mask, or `_START`) on ``symbol``."""
        if states == _START:
            following = self._first
        else:
            following = 0
            for edges, distance in self._moves:
                moving = states & edges
                if moving:
                    following |= moving << distance if distance >= 0 else moving >> -distance
        if symbol == "/":
            return following & self._slash
        if symbol == OTHER:
            return following & self._any
        return following & (self._any | self._literal[symbol])

    def _accepts(self, states: int) -> bool:
        if states == _START:
            return self._starts_accepting
        return all(states & accepting for accepting in self._accepting)

    def _walk_on(self, dfa: _Dfa, state: int, path: str, index: int) -> bool:
        """Walk ``path`` from ``index`` on, adding what is missing while the budget lasts."""
        symbols = self._symbols
        states = dfa.states[state]
        for char in path[index:]:
            symbol = char if char in symbols else OTHER
            if state >= 0:
                following = dfa.rows[state].get(symbol)
                if following is not None:
                    state, states = following, dfa.states[following]
                    continue
            states = self.step(states, symbol)
            if state >= 0:
                state = self._add(dfa, state, symbol, states)
            if not states:
                return False
        return self._accepts(states)

    def _add(self, dfa: _Dfa, state: int, symbol: str, states: int) -> int:
        """The DFA state for ``states``, reached from ``state`` on ``symbol``; -1 when it
        does not fit (the rest of the path is then stepped on masks alone).

        Past the budget, the tables are dropped and started again (the states in use come
        back soon; a working set too large for the budget costs time, never memory).
        """
        with _LEDGER.lock:
            if dfa is not self._dfa:
                return -1  # dropped while this path was walked
            index = dfa.ids.get(states)
            cost = _EDGE_BYTES + (_state_bytes(states) if index is None else 0)
            if dfa.bytes + cost > self.dfa_budget or not _LEDGER.charge(self, cost):
                _LEDGER.restart(self)
                return -1
            if index is None:
                index = dfa.ids[states] = len(dfa.states)
                dfa.states.append(states)
                dfa.final.append(None)
                dfa.rows.append({})
            dfa.rows[state][symbol] = index
        return index


class _Dfa:
    """The matching DFA's tables: state ids, one transition row per id, and acceptance.

    Only ever appended to; readers walk one `_Dfa` without the lock, and a state id is
    added to a row only once the state is complete. ``final`` is filled in when a path
    first ends in the state (None until then).
    """

    __slots__ = ("bytes", "final", "ids", "rows", "states")

    def __init__(self, starts_accepting: bool) -> None:
        self.ids: dict[int, int] = {_START: 0}
        self.states: list[int] = [_START]
        self.rows: list[dict[str, int]] = [{}]
        self.final: list[bool | None] = [starts_accepting]
        self.bytes = _state_bytes(_START)


class _Ledger:
    """What every live matcher's DFA holds, within `MAX_TOTAL_DFA_BYTES` together.

    One lock for every DFA's growth (a cold path: it runs only when a path needs a state
    or an edge no earlier path needed), so dropping another matcher's DFA never takes a
    second lock. Matchers are kept least recently grown first, by weak reference: the
    ledger never keeps a glob set alive, and forgets its bytes when it is collected.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0
        self._held: dict[int, tuple[weakref.ref[Matcher], _Dfa]] = {}

    def enter(self, matcher: Matcher) -> None:
        key = id(matcher)
        with self.lock:
            self._held[key] = (weakref.ref(matcher), matcher._dfa)
            self.total += matcher._dfa.bytes
        weakref.finalize(matcher, self._forget, key)

    def charge(self, matcher: Matcher, cost: int) -> bool:
        """Add ``cost`` to ``matcher``'s DFA, dropping the DFAs grown least recently first.

        False when even alone it would pass the process budget. Called with the lock held.
        """
        key = id(matcher)
        self._held[key] = self._held.pop(key)  # most recently grown: dropped last
        while self.total + cost > MAX_TOTAL_DFA_BYTES:
            oldest = next(iter(self._held))
            if oldest == key:
                return False
            holder = self._held[oldest][0]()
            if holder is None:  # collected, its finalizer not run yet
                self._forget_locked(oldest)
            else:
                self.restart(holder)
                self._held[oldest] = self._held.pop(oldest)  # fresh: last in line
        matcher._dfa.bytes += cost
        self.total += cost
        return True

    def restart(self, matcher: Matcher) -> None:
        """Drop ``matcher``'s DFA for an empty one. Called with the lock held."""
        holder, old = self._held[id(matcher)]
        fresh = matcher._dfa = _Dfa(matcher._starts_accepting)
        self.total += fresh.bytes - old.bytes
        self._held[id(matcher)] = (holder, fresh)

    def _forget(self, key: int) -> None:
        with self.lock:
            self._forget_locked(key)

    def _forget_locked(self, key: int) -> None:
        held = self._held.pop(key, None)
        if held is not None:
            self.total -= held[1].bytes


_LEDGER = _Ledger()


def _state_bytes(states: int) -> int:
    return sys.getsizeof(states) + _STATE_BYTES
