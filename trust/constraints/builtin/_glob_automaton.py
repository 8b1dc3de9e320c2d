"""Globs as automata: a Glushkov NFA per union of globs, and a DFA built lazily, in a budget.

The NFA has one state per character position of the globs plus a start state (state 0):
state ``i`` means "position ``i`` was just read", so every edge into ``i`` carries ``i``'s
label and the automaton needs no empty moves. Its size is linear in the globs, and
`MAX_AUTOMATON_STATES` bounds it when a `GlobSet` is built: a glob set over the budget is
refused at parse time, before anything is built.

Matching walks a DFA whose states are sets of NFA states, each made the first time a
path needs it, so matching is linear in the path (no regex backtracking). A DFA can have
exponentially many states (``*a??????????`` must remember where every ``a`` was), and
each distinct path may need new ones, so each automaton's DFA is kept within a byte
budget (a glob set splits `MAX_DFA_BYTES` among its conjuncts), and all the DFAs of the
process within `MAX_TOTAL_DFA_BYTES` (however many glob sets caches keep alive, the DFA
grown least recently is dropped first). When a path needs more, the DFA is dropped and
started afresh (as RE2 does: the states in use come back soon), and that path is matched
by simulating the NFA, a set of states stepped per character: linear time, nothing kept.
Both walks read the same NFA, so they agree by construction.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Iterable

from trust._errors import InvalidValueError

MAX_AUTOMATON_STATES = 10_000
"""NFA states (about one per glob character) one glob set may have; refused at parse past it."""

MAX_DFA_BYTES = 4 * 1024 * 1024
"""Bytes the matching DFAs of one glob set may hold together (split among its conjuncts)."""

NFA_STATE_BYTES = 768
"""What one NFA state holds at most (its label, steps and sets; measured with tracemalloc
at about 700 bytes, and a test holds the estimate to it)."""

MAX_TOTAL_DFA_BYTES = 64 * 1024 * 1024
"""Bytes the matching DFAs of every glob set in the process may hold together."""

OTHER = "\x00"
"""Stands for every character no glob names; NUL itself is refused in paths."""

ANY = ""
"""The label of a position that reads any one character except ``/`` (``?`` or ``*``)."""

Node = tuple[object, ...]
_ANY_NODE: Node = ("any",)
_SEGMENT: Node = ("seq", (_ANY_NODE, ("star", _ANY_NODE)))  # one non-empty segment
_SLASH: Node = ("lit", "/")
# Bytes a DFA state costs beyond its tuple of NFA states: its row dict, its slots in three
# lists and its entry in the id dict; and what one more row entry costs (a row's first
# entry allocates its table). Measured with tracemalloc; a test holds the estimate to it.
_STATE_BYTES = 64 + 3 * 8 + 112
_EDGE_BYTES = 128


class PatternTooComplex(InvalidValueError):
    """A glob set passes a complexity budget: too large to build, or to decide inclusion."""


def _segment_node(segment: str) -> Node:
    if set(segment) == {"*"}:
        # Segments are never empty; an empty match here would turn "*/a" into "/a".
        return _SEGMENT
    parts: list[Node] = []
    for char in segment:
        if char == "*":
            parts.append(("star", _ANY_NODE))
        elif char == "?":
            parts.append(_ANY_NODE)
        else:
            parts.append(("lit", char))
    return ("seq", tuple(parts))


def glob_node(pattern: str) -> Node:
    """A normalised glob as a regular expression tree (seq, star, any, lit)."""
    absolute = pattern.startswith("/")
    segments = (pattern[1:] if absolute else pattern).split("/")
    parts: list[Node] = [_SLASH] if absolute else []
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "**":
            if last == 0:
                parts += [_SEGMENT, ("star", ("seq", (_SLASH, _SEGMENT)))]
            elif index == 0:
                parts.append(("star", ("seq", (_SEGMENT, _SLASH))))
            elif index == last:
                parts.append(("star", ("seq", (_SLASH, _SEGMENT))))
            else:
                parts += [_SLASH, ("star", ("seq", (_SEGMENT, _SLASH)))]
        else:
            if index > 0 and segments[index - 1] != "**":
                parts.append(_SLASH)
            parts.append(_segment_node(segment))
    return ("seq", tuple(parts))


def positions(node: Node) -> int:
    """How many NFA states (character positions) ``node`` makes."""
    kind = node[0]
    if kind == "seq":
        children: tuple[Node, ...] = node[1]  # type: ignore[assignment]
        return sum(positions(child) for child in children)
    if kind == "star":
        return positions(node[1])  # type: ignore[arg-type]
    return 1


class _Glushkov:
    """Positions, and which may follow which, read off regular expression trees.

    The classic construction: each leaf is a position; a tree is summarised by whether it
    matches the empty string and by its first and last positions, and a sequence or a star
    links the last positions of one part to the first of the next.
    """

    def __init__(self) -> None:
        self.labels: list[str] = [ANY]  # position 0 is the start
        self.follow: list[set[int]] = [set()]

    def add(self, node: Node) -> tuple[bool, set[int], set[int]]:
        """``node``'s positions: (matches the empty string, first positions, last ones)."""
        kind = node[0]
        if kind == "seq":
            nullable = True
            first: set[int] = set()
            last: set[int] = set()
            follow = self.follow
            for child in node[1]:  # type: ignore[attr-defined]
                child_nullable, child_first, child_last = self.add(child)
                for position in last:
                    follow[position] |= child_first
                if nullable:
                    first |= child_first
                last = last | child_last if child_nullable else child_last
                nullable = nullable and child_nullable
            return nullable, first, last
        if kind == "star":
            _, first, last = self.add(node[1])  # type: ignore[arg-type]
            for position in last:
                self.follow[position] |= first
            return True, first, last
        self.labels.append(ANY if kind == "any" else str(node[1]))
        self.follow.append(set())
        position = len(self.labels) - 1
        return False, {position}, {position}


class Automaton:
    """The union of some normalised globs as a Glushkov NFA, matched through a bounded DFA.

    ``dfa_budget`` bounds the bytes the matching DFA holds (estimated from what it stores).

    Attributes:
        size: The number of NFA states; state 0 is the start.
        labels: Each state's label (`ANY` or one character); state 0's is unused.
        accepting: Whether each state accepts.
        literal_steps: For each state, its successors by the character they read.
        any_steps: For each state, its successors that read any character but ``/``.
        literals: Every character some glob names (``/`` included when one has a ``/``).
    """

    def __init__(self, patterns: Iterable[str], dfa_budget: int = MAX_DFA_BYTES) -> None:
        glushkov = _Glushkov()
        accepting = {0: False}
        for pattern in patterns:
            nullable, first, last = glushkov.add(glob_node(pattern))
            glushkov.follow[0] |= first
            accepting.update(dict.fromkeys(last, True))
            accepting[0] = accepting[0] or nullable
        self.size = len(glushkov.labels)
        self.labels = glushkov.labels
        self.accepting: list[bool] = [accepting.get(p, False) for p in range(self.size)]
        self.literal_steps: list[dict[str, frozenset[int]]] = []
        self.any_steps: list[frozenset[int]] = []
        labels = self.labels
        for follow in glushkov.follow:
            by_label: dict[str, list[int]] = {}
            for position in follow:
                by_label.setdefault(labels[position], []).append(position)
            self.any_steps.append(frozenset(by_label.pop(ANY, ())))
            self.literal_steps.append({k: frozenset(v) for k, v in by_label.items()})
        self.literals = frozenset(label for label in self.labels[1:] if label != ANY)
        self.start = frozenset({0})
        self.dfa_budget = dfa_budget
        self._dfa = _Dfa(self)
        _LEDGER.enter(self)

    def accepts(self, states: Iterable[int]) -> bool:
        """Whether a set of NFA states holds an accepting one."""
        accepting = self.accepting
        return any(accepting[state] for state in states)

    def step(self, states: Iterable[int], symbol: str) -> frozenset[int]:
        """The NFA states reachable from ``states`` by reading ``symbol`` (uncached)."""
        literal_steps = self.literal_steps
        found: set[int] = set()
        for state in states:
            found.update(literal_steps[state].get(symbol, ()))
        if symbol != "/":
            any_steps = self.any_steps
            for state in states:
                found.update(any_steps[state])
        return frozenset(found)

    def matches(self, path: str) -> bool:
        """Whether the union matches ``path`` (assumed normalised; see `path_problem`)."""
        dfa = self._dfa
        literals, rows, state = self.literals, dfa.rows, 0
        for char in path:
            if char not in literals and char != "/":
                char = OTHER
            following = rows[state].get(char)
            if following is None:
                following = self._grow(dfa, state, char)
                if following < 0:
                    return self._simulate(path)
            state = following
        return dfa.final[state]

    @property
    def nfa_bytes(self) -> int:
        """What the NFA holds, estimated from its size (see `NFA_STATE_BYTES`)."""
        return self.size * NFA_STATE_BYTES

    @property
    def dfa_bytes(self) -> int:
        """What the matching DFA holds now, estimated as its budget counts it."""
        return self._dfa.bytes

    def _simulate(self, path: str) -> bool:
        literals, states = self.literals, self.start
        for char in path:
            states = self.step(states, char if char in literals or char == "/" else OTHER)
            if not states:
                return False
        return self.accepts(states)

    def _grow(self, dfa: _Dfa, state: int, symbol: str) -> int:
        """The DFA state after ``state`` on ``symbol``, or -1 to simulate this path instead.

        Past the budget, the tables are dropped and started again (the states in use come
        back soon; a working set too large for the budget costs time, never memory).
        """
        target = tuple(sorted(self.step(dfa.sets[state], symbol)))
        with _LEDGER.lock:
            if dfa is not self._dfa:
                return -1  # dropped while this path was walked
            index = dfa.ids.get(target)
            cost = _EDGE_BYTES + (_state_bytes(target) if index is None else 0)
            if dfa.bytes + cost > self.dfa_budget or not _LEDGER.charge(self, cost):
                _LEDGER.restart(self)
                return -1
            if index is None:
                index = dfa.ids[target] = len(dfa.sets)
                dfa.sets.append(target)
                dfa.final.append(self.accepts(target))
                dfa.rows.append({})
            dfa.rows[state][symbol] = index
        return index


class _Dfa:
    """The matching DFA's tables: state ids, one transition row per id, and acceptance.

    Only ever appended to; readers walk one `_Dfa` without the lock, and a state id is
    added to a row only once the state is complete.
    """

    __slots__ = ("bytes", "final", "ids", "rows", "sets")

    def __init__(self, automaton: Automaton) -> None:
        start = (0,)
        self.ids: dict[tuple[int, ...], int] = {start: 0}
        self.sets: list[tuple[int, ...]] = [start]
        self.rows: list[dict[str, int]] = [{}]
        self.final: list[bool] = [automaton.accepts(start)]
        self.bytes = _state_bytes(start)


class _Ledger:
    """What every live automaton's DFA holds, within `MAX_TOTAL_DFA_BYTES` together.

    One lock for every DFA's growth (a cold path: it runs only when a path needs a state
    or an edge no earlier path needed), so dropping another automaton's DFA never takes a
    second lock. Automata are kept least recently grown first, by weak reference: the
    ledger never keeps a glob set alive, and forgets its bytes when it is collected.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0
        self._held: dict[int, tuple[weakref.ref[Automaton], _Dfa]] = {}

    def enter(self, automaton: Automaton) -> None:
        key = id(automaton)
        with self.lock:
            self._held[key] = (weakref.ref(automaton), automaton._dfa)
            self.total += automaton._dfa.bytes
        weakref.finalize(automaton, self._forget, key)

    def charge(self, automaton: Automaton, cost: int) -> bool:
        """Add ``cost`` to ``automaton``'s DFA, dropping the DFAs grown least recently first.

        False when even alone it would pass the process budget. Called with the lock held.
        """
        key = id(automaton)
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
        automaton._dfa.bytes += cost
        self.total += cost
        return True

    def restart(self, automaton: Automaton) -> None:
        """Drop ``automaton``'s DFA for an empty one. Called with the lock held."""
        holder, old = self._held[id(automaton)]
        fresh = automaton._dfa = _Dfa(automaton)
        self.total += fresh.bytes - old.bytes
        self._held[id(automaton)] = (holder, fresh)

    def _forget(self, key: int) -> None:
        with self.lock:
            self._forget_locked(key)

    def _forget_locked(self, key: int) -> None:
        held = self._held.pop(key, None)
        if held is not None:
            self.total -= held[1].bytes


_LEDGER = _Ledger()


def _state_bytes(states: tuple[int, ...]) -> int:
    return sys.getsizeof(states) + _STATE_BYTES
