"""Path globs as regular languages: linear-time matching, exact inclusion, intersection.

Syntax. A glob is ``/``-separated segments, optionally with a leading ``/`` (absolute). In
a segment, ``*`` matches any run of characters (possibly empty) and ``?`` one character;
neither ever matches ``/``. A segment that is exactly ``**`` matches zero or more whole
segments, so ``data/**`` matches ``data``, ``data/a`` and ``data/a/b``, and ``a/**/b``
matches ``a/b``. Every other character is literal. Refused at parse: empty or blank
segments (``a//b``, a trailing ``/``, ``a/ /b``), ``.`` and ``..`` segments, control or
invisible characters, ``**`` inside a longer segment,
NUL, backslash and the brackets ``[ ]`` (character classes are not supported).

Universe. Only normalised paths are ever matched: non-empty, no NUL or backslash, no
empty, ``.`` or ``..`` segment, at most `MAX_PATH_LENGTH` characters. `path_problem`
says why a string is not one.

A `GlobSet` is an intersection of unions of globs, ``AND_k OR_i L(g_ki)``: a plain list of
patterns is one union; compose adds conjuncts. Inclusion ``A ⊆ B`` is decided exactly by
exploring the product of the subset constructions of every union's NFA with the
normalised-path automaton, looking for a path that ``A`` accepts and ``B`` rejects; the
breadth-first search returns a shortest such path as the witness. Characters that no
pattern names behave alike, so one stand-in (`OTHER`) covers them all and the search is
finite. Matching walks a DFA built lazily from the same NFA, so it is linear in the path
(no regex backtracking) and agrees with inclusion by construction.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Iterable

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError

MAX_PATH_LENGTH = 4096
MAX_SEARCH_STATES = 200_000
"""Inclusion gives up (and answers "not included", which is safe) beyond this many states."""

OTHER = "\x00"
"""Stands for every character no pattern names; NUL itself is refused in paths."""

_ANY = ""  # edge label: any one character except "/"
_Node = tuple[object, ...]
_FORBIDDEN = {"\x00": "NUL", "\\": "a backslash", "[": "'['", "]": "']'"}


class SearchTooLarge(Exception):
    """The inclusion search passed `MAX_SEARCH_STATES`; the answer is unknown."""


def normalise_glob(pattern: object, name: str = "pattern") -> str:
    """Validate a glob and return it with runs of ``**`` segments collapsed.

    Raises:
        InvalidTypeError: ``pattern`` is not a string.
        InvalidValueError: It breaks a rule of the module docstring.
    """
    if not isinstance(pattern, str):
        raise InvalidTypeError(f"{name} must be a glob string, got {check.shown(pattern)}")
    for char, what in _FORBIDDEN.items():
        if char in pattern:
            raise InvalidValueError(f"{name} must not contain {what}, got {check.shown(pattern)}")
    if not pattern.isprintable():
        raise InvalidValueError(
            f"{name} must not contain control or invisible characters, got {check.shown(pattern)}"
        )
    absolute = pattern.startswith("/")
    segments = (pattern[1:] if absolute else pattern).split("/")
    kept: list[str] = []
    for segment in segments:
        if segment.strip() in ("", ".", ".."):
            raise InvalidValueError(
                f"{name} must not have empty, '.' or '..' segments, got {check.shown(pattern)}"
            )
        if "**" in segment and segment != "**":
            raise InvalidValueError(
                f"{name} may use '**' only as a whole segment (e.g. 'data/**/x.json'; use '*' "
                f"within a segment), got {check.shown(pattern)}"
            )
        if not (segment == "**" and kept and kept[-1] == "**"):
            kept.append(segment)
    return ("/" if absolute else "") + "/".join(kept)


def path_problem(path: str) -> str | None:
    """Why ``path`` is not a normalised path, or None when it is one."""
    if not path:
        return "is empty"
    if len(path) > MAX_PATH_LENGTH:
        return f"is longer than {MAX_PATH_LENGTH} characters"
    if "\x00" in path:
        return "contains a NUL character"
    if "\\" in path:
        return "contains a backslash"
    for segment in (path[1:] if path[0] == "/" else path).split("/"):
        if segment == "..":
            return "contains path traversal (..)"
        if segment in ("", "."):
            return "is not normalised (empty or '.' segment)"
    return None


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


# -- globs to NFAs -----------------------------------------------------------------------
_ANY_NODE: _Node = ("any",)
_SEGMENT: _Node = ("seq", (_ANY_NODE, ("star", _ANY_NODE)))  # one non-empty segment
_SLASH: _Node = ("lit", "/")


def _segment_node(segment: str) -> _Node:
    if set(segment) == {"*"}:
        # Segments are never empty; an empty match here would turn "*/a" into "/a".
        return _SEGMENT
    parts: list[_Node] = []
    for char in segment:
        if char == "*":
            parts.append(("star", _ANY_NODE))
        elif char == "?":
            parts.append(_ANY_NODE)
        else:
            parts.append(("lit", char))
    return ("seq", tuple(parts))


def _glob_node(pattern: str) -> _Node:
    absolute = pattern.startswith("/")
    segments = (pattern[1:] if absolute else pattern).split("/")
    parts: list[_Node] = [_SLASH] if absolute else []
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


class Automaton:
    """The union of some globs as an NFA, with a DFA built lazily from it for matching."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._edges: list[list[tuple[str, int]]] = []
        self._eps: list[list[int]] = []
        start = self._state()
        accepting: set[int] = set()
        for pattern in patterns:
            begin, end = self._build(_glob_node(pattern))
            self._eps[start].append(begin)
            accepting.add(end)
        self._accepting = frozenset(accepting)
        self.literals = frozenset(
            label for edges in self._edges for label, _ in edges if label != _ANY
        )
        self.start = self._closure({start})
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}
        self._labels: dict[frozenset[int], tuple[bool, frozenset[str]]] = {}
        self._lock = threading.Lock()
        # The matching DFA: state ids, one transition row per id, and acceptance.
        self._ids: dict[frozenset[int], int] = {self.start: 0}
        self._sets: list[frozenset[int]] = [self.start]
        self._rows: list[dict[str, int]] = [{}]
        self._final: list[bool] = [self.accepts(self.start)]

    def _state(self) -> int:
        self._edges.append([])
        self._eps.append([])
        return len(self._edges) - 1

    def _build(self, node: _Node) -> tuple[int, int]:
        kind = node[0]
        if kind == "seq":
            begin = end = self._state()
            for child in node[1]:  # type: ignore[attr-defined]
                child_begin, child_end = self._build(child)
                self._eps[end].append(child_begin)
                end = child_end
            return begin, end
        begin, end = self._state(), self._state()
        if kind == "star":
            inner_begin, inner_end = self._build(node[1])  # type: ignore[arg-type]
            self._eps[begin] += [inner_begin, end]
            self._eps[inner_end] += [inner_begin, end]
        else:
            self._edges[begin].append((_ANY if kind == "any" else str(node[1]), end))
        return begin, end

    def _closure(self, states: Iterable[int]) -> frozenset[int]:
        seen = set(states)
        stack = list(seen)
        while stack:
            for target in self._eps[stack.pop()]:
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return frozenset(seen)

    def accepts(self, states: frozenset[int]) -> bool:
        return not self._accepting.isdisjoint(states)

    def step(self, states: frozenset[int], symbol: str) -> frozenset[int]:
        """The NFA states reachable from ``states`` by one ``symbol``."""
        key = (states, symbol)
        found = self._steps.get(key)
        if found is None:
            found = self._closure(
                target
                for state in states
                for label, target in self._edges[state]
                if label == symbol or (label == _ANY and symbol != "/")
            )
            with self._lock:
                self._steps[key] = found
        return found

    def labels(self, states: frozenset[int]) -> tuple[bool, frozenset[str]]:
        """Where `step` from ``states`` is not empty: (every symbol but "/", these symbols)."""
        found = self._labels.get(states)
        if found is None:
            labels = {label for state in states for label, _ in self._edges[state]}
            found = (_ANY in labels, frozenset(labels - {_ANY}))
            with self._lock:
                self._labels[states] = found
        return found

    def matches(self, path: str) -> bool:
        """Whether the union matches ``path`` (assumed normalised; see `path_problem`)."""
        literals, rows, state = self.literals, self._rows, 0
        for char in path:
            if char not in literals and char != "/":
                char = OTHER
            following = rows[state].get(char)
            if following is None:
                following = self._grow(state, char)
            state = following
        return self._final[state]

    def _grow(self, state: int, symbol: str) -> int:
        target = self.step(self._sets[state], symbol)
        with self._lock:
            index = self._ids.get(target)
            if index is None:
                index = self._ids[target] = len(self._sets)
                self._sets.append(target)
                self._final.append(self.accepts(target))
                self._rows.append({})
            self._rows[state][symbol] = index
        return index


def _conjunct(patterns: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({normalise_glob(p) for p in patterns}))


def _conjuncts(value: object) -> tuple[tuple[str, ...], ...]:
    if isinstance(value, str) or not isinstance(value, tuple):
        raise InvalidTypeError(
            f"conjuncts must be a tuple of tuples of globs, got {check.shown(value)}"
        )
    conjuncts = sorted({_conjunct(c) for c in value})
    if not conjuncts or () in conjuncts:
        return ((),)
    return tuple(conjuncts)


@attrs.frozen(cache_hash=True)
class GlobSet:
    """The paths matched by at least one glob of every conjunct (see the module docstring).

    ``GlobSet((("data/**", "logs/*.log"),))`` is the union of two globs; ``((),)`` matches
    nothing. Globs are normalised and sorted when the value is built.
    """

    conjuncts: tuple[tuple[str, ...], ...] = attrs.field(converter=_conjuncts)
    automata: tuple[Automaton, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "automata", tuple(Automaton(c) for c in self.conjuncts))

    @classmethod
    def union(cls, patterns: Iterable[str]) -> GlobSet:
        return cls((tuple(patterns),))

    def matches(self, path: str) -> bool:
        """Whether ``path`` (normalised) is in the set."""
        return all(automaton.matches(path) for automaton in self.automata)

    def outside(self, other: GlobSet) -> str | None:
        """A shortest path in this set and not in ``other``, or None if there is none.

        Raises:
            SearchTooLarge: The search passed `MAX_SEARCH_STATES`.
        """
        return _outside(self, other)

    def example_outside(self, other: GlobSet) -> str | None:
        """Like `outside`, but None also when the search is too large."""
        try:
            return _outside(self, other)
        except SearchTooLarge:
            return None

    def is_within(self, other: GlobSet) -> bool:
        """Whether this set is a subset of ``other``; False if the search is too large."""
        try:
            return _outside(self, other) is None
        except SearchTooLarge:
            return False

    def meet(self, other: GlobSet) -> GlobSet:
        """The intersection, keeping only conjuncts no other conjunct already implies."""
        kept: list[tuple[str, ...]] = []
        for conjunct in sorted(set(self.conjuncts) | set(other.conjuncts)):
            candidate = GlobSet((conjunct,))
            if any(GlobSet((k,)).is_within(candidate) for k in kept):
                continue
            kept = [k for k in kept if not candidate.is_within(GlobSet((k,)))]
            kept.append(conjunct)
        return GlobSet(tuple(kept))


_STAND_INS = "xyzqwXYZQW0123456789" + "".join(map(chr, range(0x100, 0x400)))


def _concrete(symbols: Iterable[str], literals: frozenset[str]) -> str:
    stand_in = next(c for c in _STAND_INS if c not in literals)
    return "".join(stand_in if s == OTHER else s for s in symbols)


# (normalised-path state, inner union states, outer union states)
_State = tuple[int, tuple[frozenset[int], ...], tuple[frozenset[int], ...]]


@functools.lru_cache(maxsize=2048)
def _outside(inner: GlobSet, outer: GlobSet) -> str | None:
    inner_automata, outer_automata = inner.automata, outer.automata
    literals = frozenset().union(*(a.literals for a in inner_automata + outer_automata))
    alphabet = [*sorted(literals | {"/", "."}), OTHER]
    start: _State = (
        _V_START,
        tuple(a.start for a in inner_automata),
        tuple(a.start for a in outer_automata),
    )
    came_from: dict[_State, tuple[_State, str] | None] = {start: None}
    queue: deque[_State] = deque([start])
    while queue:
        state = queue.popleft()
        v, inner_sets, outer_sets = state
        if (
            v == _V_ACCEPT
            and all(a.accepts(s) for a, s in zip(inner_automata, inner_sets, strict=True))
            and not all(a.accepts(s) for a, s in zip(outer_automata, outer_sets, strict=True))
        ):
            symbols: list[str] = []
            step = came_from[state]
            while step is not None:
                state, symbol = step
                symbols.append(symbol)
                step = came_from[state]
            return _concrete(reversed(symbols), literals)
        # Only symbols on which every inner automaton can move: any other empties an
        # inner set, a branch skipped below anyway. Same order, so the same example.
        symbols = alphabet
        for automaton, states in zip(inner_automata, inner_sets, strict=True):
            any_but_slash, labels = automaton.labels(states)
            symbols = [x for x in symbols if (any_but_slash and x != "/") or x in labels]
        for symbol in symbols:
            following_v = _v_step(v, symbol)
            if following_v == _V_DEAD:
                continue
            following_inner = tuple(
                a.step(s, symbol) for a, s in zip(inner_automata, inner_sets, strict=True)
            )
            if not all(following_inner):
                continue  # the inner set can no longer accept anything on this branch
            following: _State = (
                following_v,
                following_inner,
                tuple(a.step(s, symbol) for a, s in zip(outer_automata, outer_sets, strict=True)),
            )
            if following not in came_from:
                if len(came_from) >= MAX_SEARCH_STATES:
                    raise SearchTooLarge(f"more than {MAX_SEARCH_STATES} states")
                came_from[following] = (state, symbol)
                queue.append(following)
    return None
