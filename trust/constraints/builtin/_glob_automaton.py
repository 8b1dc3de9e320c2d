"""Globs as automata: a Glushkov NFA per union of globs, for inclusion and for matching.

The NFA has one state per character position of the globs plus a start state (state 0):
state ``i`` means "position ``i`` was just read", so every edge into ``i`` carries ``i``'s
label and the automaton needs no empty moves. Its size is linear in the globs, and
`MAX_AUTOMATON_STATES` bounds it when a `GlobSet` is built: a glob set over the budget is
refused at parse time, before anything is built (`states_of` counts the states from the
text alone).

`Automaton` holds one union's NFA as tables the inclusion searches step through
(`trust.constraints.builtin._glob_inclusion`). Matching reads the same positions and
follow sets (`glushkov`) as bit masks (`trust.constraints.builtin._glob_matcher`), so
the two agree by construction.
"""

from __future__ import annotations

from collections.abc import Iterable

from trust._errors import InvalidValueError

MAX_AUTOMATON_STATES = 10_000
"""NFA states (about one per glob character) one glob set may have; refused at parse past it."""

NFA_STATE_BYTES = 768
"""What one NFA state of an `Automaton` holds at most (its label, steps and sets; measured
with tracemalloc at about 700 bytes, and a test holds the estimate to it)."""

OTHER = "\x00"
"""Stands for every character no glob names; NUL itself is refused in paths."""

ANY = ""
"""The label of a position that reads any one character except ``/`` (``?`` or ``*``)."""

Node = tuple[object, ...]
_ANY_NODE: Node = ("any",)
_SEGMENT: Node = ("seq", (_ANY_NODE, ("star", _ANY_NODE)))  # one non-empty segment
_SLASH: Node = ("lit", "/")


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


def states_of(pattern: str) -> int:
    """``positions(glob_node(pattern))`` for a normalised glob, read off its text alone.

    Linear in the text and without building anything, so a glob set is measured against
    `MAX_AUTOMATON_STATES` before a single node is made.
    """
    absolute = pattern.startswith("/")
    segments = (pattern[1:] if absolute else pattern).split("/")
    if segments == ["**"]:
        return int(absolute) + 5  # a segment (2 states), then ("/" and a segment) repeated
    count = int(absolute)
    last = len(segments) - 1
    after_double_star = False
    for index, segment in enumerate(segments):
        if segment == "**":
            # A segment and a "/" repeated; in the middle, a "/" before them too.
            count += 3 if index in (0, last) else 4
            after_double_star = True
            continue
        if index > 0 and not after_double_star:
            count += 1  # the "/" before this segment
        count += 2 if segment == "*" else len(segment)
        after_double_star = False
    return count


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


def glushkov(patterns: Iterable[str]) -> tuple[list[str], list[set[int]], list[bool]]:
    """The Glushkov NFA of a union of normalised globs: labels, follow sets, acceptance.

    Position 0 is the start; its label is unused.
    """
    positions_of = _Glushkov()
    nullable_union = False
    finals: set[int] = set()
    for pattern in patterns:
        nullable, first, last = positions_of.add(glob_node(pattern))
        positions_of.follow[0] |= first
        finals |= last
        nullable_union = nullable_union or nullable
    accepting = [False] * len(positions_of.labels)
    for position in finals:
        accepting[position] = True
    accepting[0] = nullable_union
    return positions_of.labels, positions_of.follow, accepting


class Automaton:
    """The union of some normalised globs as a Glushkov NFA, in tables a search steps through.

    Attributes:
        size: The number of NFA states; state 0 is the start.
        labels: Each state's label (`ANY` or one character); state 0's is unused.
        accepting: Whether each state accepts.
        literal_steps: For each state, its successors by the character they read.
        any_steps: For each state, its successors that read any character but ``/``.
        literals: Every character some glob names (``/`` included when one has a ``/``).
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        labels, follows, accepting = glushkov(patterns)
        self.size = len(labels)
        self.labels = labels
        self.accepting = accepting
        self.literal_steps: list[dict[str, frozenset[int]]] = []
        self.any_steps: list[frozenset[int]] = []
        for follow in follows:
            by_label: dict[str, list[int]] = {}
            for position in follow:
                by_label.setdefault(labels[position], []).append(position)
            self.any_steps.append(frozenset(by_label.pop(ANY, ())))
            self.literal_steps.append({k: frozenset(v) for k, v in by_label.items()})
        self.literals = frozenset(label for label in labels[1:] if label != ANY)
        self.start = frozenset({0})

    def accepts(self, states: Iterable[int]) -> bool:
        """Whether a set of NFA states holds an accepting one."""
        accepting = self.accepting
        return any(accepting[state] for state in states)

    def step(self, states: Iterable[int], symbol: str) -> frozenset[int]:
        """The NFA states reachable from ``states`` by reading ``symbol``."""
        literal_steps = self.literal_steps
        found: set[int] = set()
        for state in states:
            found.update(literal_steps[state].get(symbol, ()))
        if symbol != "/":
            any_steps = self.any_steps
            for state in states:
                found.update(any_steps[state])
        return frozenset(found)

    @property
    def nfa_bytes(self) -> int:
        """What the NFA holds, estimated from its size (see `NFA_STATE_BYTES`)."""
        return self.size * NFA_STATE_BYTES
