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
patterns is one union; compose adds conjuncts. Its automata are built the first time they
are needed, so that parsing a value costs time linear in its text: one `Automaton` per
union for inclusion (`trust.constraints.builtin._glob_automaton`), and one `Matcher` for
the whole set (`trust.constraints.builtin._glob_matcher`): matching steps every conjunct
at once on bit masks, at most one step per character, in bounded memory. Inclusion
``A ⊆ B`` is decided exactly by a search for a path ``A`` accepts and ``B`` rejects
(`trust.constraints.builtin._glob_inclusion`), which returns a shortest one as the witness.

Budgets (read when used, from the modules that define them). A glob set whose automata
would have more than ``MAX_AUTOMATON_STATES`` states (about one per glob character) is
refused when it is built, from its text alone. An inclusion question that needs more than
``MAX_INCLUSION_WORK`` units of work raises `PatternTooComplex` ("pattern too complex to
decide"): the tightening is refused in well under a second rather than decided after a
minute, and the answer is remembered. A meet of any number of glob sets spends one
`MAX_MEET_WORK` on all its redundancy questions and the automata they need. The
matching DFA of one glob set holds at most ``MAX_DFA_BYTES``.
Every string is read through `trust._exact.exact_str`: a subclass cannot lie to a verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_str
from trust.constraints._cache import MISSING, BoundedCache
from trust.constraints.builtin import _glob_automaton as automaton
from trust.constraints.builtin import _glob_inclusion as inclusion
from trust.constraints.builtin import _glob_shapes as shapes
from trust.constraints.builtin._glob_automaton import (
    OTHER,
    Automaton,
    PatternTooComplex,
    states_of,
)
from trust.constraints.builtin._glob_matcher import Matcher

__all__ = [
    "MAX_PATH_LENGTH",
    "GlobSet",
    "normalise_glob",
    "path_problem",
]

MAX_PATH_LENGTH = 4096
INCLUSION_ANSWERS = 2048
"""How many inclusion answers (witness, None, or too complex) are remembered."""

INCLUSION_ANSWER_BYTES = 32 * 1024 * 1024
"""What the remembered inclusion answers may keep alive, counting the glob sets they name."""

MAX_MEET_WORK = 100_000
"""Units of work one meet (one compose, however many glob sets it joins) may spend on its
redundancy questions and the automata they need: about a quarter of a second at worst.
What it leaves undecided is kept: a redundant conjunct changes nothing but speed."""

MEET_QUESTION_UNITS = 50
"""Units one redundancy question costs before its search starts: what setting a search up
takes, measured in what a unit of search takes."""

BUILD_UNITS_PER_STATE = 8
"""Units that building one NFA state for a meet's questions costs, measured likewise."""

_FORBIDDEN = {"\x00": "NUL", "\\": "a backslash", "[": "'['", "]": "']'"}


def normalise_glob(pattern: object, name: str = "pattern") -> str:
    """Validate a glob and return it with runs of ``**`` segments collapsed.

    Raises:
        InvalidTypeError: ``pattern`` is not a string.
        InvalidValueError: It breaks a rule of the module docstring.
    """
    text = exact_str(pattern)
    if text is None:
        raise InvalidTypeError(
            f"Resource pattern must be a string: {name} must be a glob string, "
            f"got {check.shown(pattern)}"
        )
    for char, what in _FORBIDDEN.items():
        if char in text:
            raise InvalidValueError(f"{name} must not contain {what}, got {check.shown(text)}")
    if not text.isprintable():
        raise InvalidValueError(
            f"{name} must not contain control or invisible characters, got {check.shown(text)}"
        )
    absolute = text.startswith("/")
    segments = (text[1:] if absolute else text).split("/")
    kept: list[str] = []
    for segment in segments:
        if segment.strip() in ("", ".", ".."):
            raise InvalidValueError(
                f"{name} must not have empty, '.' or '..' segments, got {check.shown(text)}"
            )
        if "**" in segment and segment != "**":
            raise InvalidValueError(
                f"{name} may use '**' only as a whole segment (e.g. 'data/**/x.json'; use '*' "
                f"within a segment), got {check.shown(text)}"
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
        return "contains null byte (NUL)"
    # Traversal first, with either separator: "..\\etc" is an attempt to climb out,
    # and is reported as one, before it is refused for its backslash.
    if ".." in path and ".." in path.replace("\\", "/").split("/"):
        return "contains path traversal (..)"
    if "\\" in path:
        return "contains a backslash"
    for segment in (path[1:] if path[0] == "/" else path).split("/"):
        if segment in ("", "."):
            return "is not normalised (empty or '.' segment)"
    return None


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


class _Built:
    """A glob set's automata, built the first time they are needed.

    Two threads may both build one; they build equal automata, and one of them is kept.
    """

    __slots__ = ("automata", "matcher")

    def __init__(self) -> None:
        self.automata: tuple[Automaton, ...] | None = None
        self.matcher: Matcher | None = None


@attrs.frozen(cache_hash=True)
class GlobSet:
    """The paths matched by at least one glob of every conjunct (see the module docstring).

    ``GlobSet((("data/**", "logs/*.log"),))`` is the union of two globs; ``((),)`` matches
    nothing. Globs are normalised and sorted when the value is built.

    Raises:
        InvalidTypeError: ``conjuncts`` is not a tuple of tuples of glob strings.
        InvalidValueError: A glob is malformed.
        PatternTooComplex: The automata would pass ``MAX_AUTOMATON_STATES``.
    """

    conjuncts: tuple[tuple[str, ...], ...] = attrs.field(converter=_conjuncts)
    held_bytes: int = attrs.field(init=False, eq=False, repr=False)
    """What the glob set holds once its automata are built, at most (its matching DFA is
    bounded apart, process-wide). A cache that keeps a glob set alive weighs it by this,
    so that caching many large glob sets is bounded in bytes, not only in entries."""
    _built: _Built = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        states = _check_size(self.conjuncts)
        object.__setattr__(self, "held_bytes", _held_bytes(self.conjuncts, states))
        object.__setattr__(self, "_built", _Built())

    @classmethod
    def union(cls, patterns: Iterable[str]) -> GlobSet:
        return cls((tuple(patterns),))

    @property
    def automata(self) -> tuple[Automaton, ...]:
        """One NFA per conjunct, for the inclusion searches."""
        automata = self._built.automata
        if automata is None:
            automata = self._built.automata = tuple(Automaton(c) for c in self.conjuncts)
        return automata

    def matches(self, path: str) -> bool:
        """Whether ``path`` (normalised) is in the set."""
        if type(path) is not str:
            exact = exact_str(path)
            if exact is None:
                return False
            path = exact
        matcher = self._built.matcher
        if matcher is None:
            matcher = self._built.matcher = Matcher(self.conjuncts)
        return matcher.matches(path)

    def outside(self, other: GlobSet) -> str | None:
        """A shortest path in this set and not in ``other``, or None if there is none.

        Raises:
            PatternTooComplex: Deciding it needs more than ``MAX_INCLUSION_WORK`` units.
        """
        found = _outside(self, other)
        if isinstance(found, PatternTooComplex):
            raise PatternTooComplex(str(found))
        return found

    def example_outside(self, other: GlobSet) -> str | None:
        """Like `outside`, but None also when it is too complex to decide."""
        found = _outside(self, other)
        return None if isinstance(found, PatternTooComplex) else found

    def is_within(self, other: GlobSet) -> bool:
        """Whether this set is a subset of ``other``.

        Globs of the common shapes (a literal prefix with a literal, ``*`` or ``**`` last
        segment) are decided on their text (`trust.constraints.builtin._glob_shapes`,
        exact); the rest by the automata.

        Raises:
            PatternTooComplex: Deciding it needs more than ``MAX_INCLUSION_WORK`` units;
                the caller refuses the tightening (fail closed), naming this reason.
        """
        fast = shapes.within(self, other)
        if fast is not None:
            return fast
        return self.outside(other) is None

    def within_by_shapes(self, other: GlobSet) -> bool | None:
        """`is_within` as the common shapes decide it, or None where they leave it to the
        automata (`outside`). The proof run and the differential tests hold the two equal.
        """
        return shapes.within(self, other)

    def meet(self, other: GlobSet) -> GlobSet:
        """The intersection (see `meet_all`)."""
        return GlobSet.meet_all([self, other])

    @classmethod
    def meet_all(cls, sets: Sequence[GlobSet]) -> GlobSet:
        """The intersection of ``sets``, keeping only conjuncts no other conjunct implies.

        One `MAX_MEET_WORK` covers the whole meet, however many sets it joins: each
        redundancy question (`MEET_QUESTION_UNITS` to set up, then its search) and each
        automaton built for one (`BUILD_UNITS_PER_STATE` a state). Once it is spent, the
        remaining conjuncts are kept unasked: a redundant conjunct changes nothing but
        speed. So a meet takes one budget plus time linear in its conjuncts.

        Raises:
            PatternTooComplex: The kept conjuncts pass ``MAX_AUTOMATON_STATES`` together.
        """
        pooled = sorted({conjunct for s in sets for conjunct in s.conjuncts})
        if not pooled or () in pooled:
            return cls(((),))
        budget = inclusion.Budget(MAX_MEET_WORK)
        built: dict[tuple[str, ...], Automaton] = {}

        def nfa(conjunct: tuple[str, ...]) -> Automaton:
            found = built.get(conjunct)
            if found is None:
                budget.spend(BUILD_UNITS_PER_STATE * sum(map(states_of, conjunct)))
                found = built[conjunct] = Automaton(conjunct)
            return found

        def implies(inner: tuple[str, ...], outer: tuple[str, ...]) -> bool:
            budget.spend(1 + len(inner) + len(outer))
            if set(inner) <= set(outer):
                return True  # every glob of inner is one of outer's
            budget.spend(MEET_QUESTION_UNITS)
            return inclusion.find_outside([nfa(inner)], [nfa(outer)], budget) is None

        kept: list[tuple[str, ...]] = []
        for index, conjunct in enumerate(pooled):
            try:
                if any(implies(k, conjunct) for k in kept):
                    continue
                kept = [k for k in kept if not implies(conjunct, k)]
            except PatternTooComplex:
                kept.extend(pooled[index:])  # sorted and distinct: none is kept yet
                break
            kept.append(conjunct)
        return cls(tuple(kept))


def _check_size(conjuncts: tuple[tuple[str, ...], ...]) -> int:
    """The states the automata would have; refused past ``MAX_AUTOMATON_STATES``, unbuilt."""
    budget = automaton.MAX_AUTOMATON_STATES
    total = 0
    for conjunct in conjuncts:
        for pattern in conjunct:
            states = len(pattern) + 1 if len(pattern) > budget else states_of(pattern)
            if states > budget:
                raise PatternTooComplex(
                    f"pattern {check.shown(pattern)} is too complex: its automaton would have "
                    f"more than {budget:,} states (the budget MAX_AUTOMATON_STATES)"
                )
            total += states
    if total > budget:
        raise PatternTooComplex(
            f"globs {check.shown(conjuncts)} are too complex: their automata would have "
            f"{total:,} states, over the budget of {budget:,} (MAX_AUTOMATON_STATES)"
        )
    return total


def _held_bytes(conjuncts: tuple[tuple[str, ...], ...], states: int) -> int:
    """What a glob set's automata hold once built, at most: the NFAs, and the matcher's
    masks (a dozen, one per conjunct, and one per character a glob names, each an int
    of up to ``states`` bits)."""
    nfa = (states + len(conjuncts)) * automaton.NFA_STATE_BYTES
    literals = len({char for conjunct in conjuncts for pattern in conjunct for char in pattern})
    masks = 12 + len(conjuncts) + literals
    return nfa + masks * (32 + states // 7) + 256 * literals + 1024


_STAND_INS = "xyzqwXYZQW0123456789" + "".join(map(chr, range(0x100, 0x400)))
_answers: BoundedCache[tuple[GlobSet, GlobSet], str | PatternTooComplex | None] = BoundedCache(
    INCLUSION_ANSWERS,
    max_bytes=INCLUSION_ANSWER_BYTES,
    weigh=lambda key, _: key[0].held_bytes + key[1].held_bytes + 1024,
)


def _outside(inner: GlobSet, outer: GlobSet) -> str | PatternTooComplex | None:
    """A shortest path ``inner`` matches and ``outer`` does not, None, or why undecided."""
    key = (inner, outer)
    known = _answers.get(key)
    if known is not MISSING:
        return known  # type: ignore[return-value]
    budget = inclusion.Budget(inclusion.MAX_INCLUSION_WORK)
    rest = _unlisted(inner, outer)
    try:
        symbols = (
            None if rest is None else inclusion.find_outside(rest.automata, outer.automata, budget)
        )
    except PatternTooComplex as exc:
        found: str | PatternTooComplex | None = PatternTooComplex(
            f"{exc} deciding whether {check.shown(inner.conjuncts)} is within "
            f"{check.shown(outer.conjuncts)}"
        )
    else:
        found = None if symbols is None or rest is None else _concrete(symbols, rest, outer)
    return _answers.put(key, found)


def _unlisted(inner: GlobSet, outer: GlobSet) -> GlobSet | None:
    """What is left to search of ``inner`` once the globs ``outer`` lists verbatim are set aside.

    A glob every conjunct of ``outer`` lists is within ``outer``: a union keeps only its
    other globs (the paths outside ``outer`` are theirs), and a conjunct made only of such
    globs puts all of ``inner`` within ``outer``. None when nothing is left. A large union
    compared with itself, or with a copy changed in one glob, is then decided at once.
    """
    listed = set.intersection(*(set(conjunct) for conjunct in outer.conjuncts))
    if any(set(conjunct) <= listed for conjunct in inner.conjuncts):
        return None
    if len(inner.conjuncts) == 1 and not listed.isdisjoint(inner.conjuncts[0]):
        return GlobSet.union(g for g in inner.conjuncts[0] if g not in listed)
    return inner


def _concrete(symbols: list[str], inner: GlobSet, outer: GlobSet) -> str:
    literals = frozenset().union(*(a.literals for a in inner.automata + outer.automata))
    stand_in = next(c for c in _STAND_INS if c not in literals)
    return "".join(stand_in if s == OTHER else s for s in symbols)
