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
patterns is one union; compose adds conjuncts. Each union is an `Automaton`
(`trust.constraints.builtin._glob_automaton`): matching is linear in the path, in bounded
memory. Inclusion ``A ⊆ B`` is decided exactly by a search for a path ``A`` accepts and
``B`` rejects (`trust.constraints.builtin._glob_inclusion`), which returns a shortest one as
the witness.

Budgets (read when used, from the modules that define them). A glob set whose automata
would have more than ``MAX_AUTOMATON_STATES`` states (about one per glob character) is
refused when it is built. An inclusion question that needs more than
``MAX_INCLUSION_WORK`` units of work raises `PatternTooComplex` ("pattern too complex to
decide"): the tightening is refused in well under a second rather than decided after a
minute, and the answer is remembered. The matching DFAs of one glob set hold at most
``MAX_DFA_BYTES`` together.
Every string is read through `trust._exact.exact_str`: a subclass cannot lie to a verdict.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_str
from trust.constraints._cache import MISSING, BoundedCache
from trust.constraints.builtin import _glob_automaton as automaton
from trust.constraints.builtin import _glob_inclusion as inclusion
from trust.constraints.builtin._glob_automaton import OTHER, Automaton, PatternTooComplex

__all__ = [
    "MAX_PATH_LENGTH",
    "OTHER",
    "Automaton",
    "GlobSet",
    "PatternTooComplex",
    "normalise_glob",
    "path_problem",
]

MAX_PATH_LENGTH = 4096
INCLUSION_ANSWERS = 2048
"""How many inclusion answers (witness, None, or too complex) are remembered."""

INCLUSION_ANSWER_BYTES = 32 * 1024 * 1024
"""What the remembered inclusion answers may keep alive, counting the glob sets they name."""

_FORBIDDEN = {"\x00": "NUL", "\\": "a backslash", "[": "'['", "]": "']'"}


def normalise_glob(pattern: object, name: str = "pattern") -> str:
    """Validate a glob and return it with runs of ``**`` segments collapsed.

    Raises:
        InvalidTypeError: ``pattern`` is not a string.
        InvalidValueError: It breaks a rule of the module docstring.
    """
    text = exact_str(pattern)
    if text is None:
        raise InvalidTypeError(f"{name} must be a glob string, got {check.shown(pattern)}")
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
        return "contains a NUL character"
    if "\\" in path:
        return "contains a backslash"
    for segment in (path[1:] if path[0] == "/" else path).split("/"):
        if segment == "..":
            return "contains path traversal (..)"
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
    automata: tuple[Automaton, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        _check_size(self.conjuncts)
        share = automaton.MAX_DFA_BYTES // len(self.conjuncts)
        object.__setattr__(self, "automata", tuple(Automaton(c, share) for c in self.conjuncts))

    @classmethod
    def union(cls, patterns: Iterable[str]) -> GlobSet:
        return cls((tuple(patterns),))

    @property
    def held_bytes(self) -> int:
        """What the automata hold beyond their matching DFAs (bounded process-wide apart).

        A cache that keeps a glob set alive weighs it by this, so that caching many large
        glob sets is bounded in bytes, not only in entries.
        """
        return sum(automaton.nfa_bytes for automaton in self.automata)

    def matches(self, path: str) -> bool:
        """Whether ``path`` (normalised) is in the set."""
        if type(path) is not str:
            exact = exact_str(path)
            if exact is None:
                return False
            path = exact
        return all(automaton.matches(path) for automaton in self.automata)

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

        Raises:
            PatternTooComplex: Deciding it needs more than ``MAX_INCLUSION_WORK`` units;
                the caller refuses the tightening (fail closed), naming this reason.
        """
        return self.outside(other) is None

    def meet(self, other: GlobSet) -> GlobSet:
        """The intersection, keeping only conjuncts no other conjunct already implies.

        A conjunct whose implication is too complex to decide within one
        ``MAX_INCLUSION_WORK`` for the whole meet is kept: a redundant conjunct changes
        nothing but speed.
        """
        kept: list[tuple[str, ...]] = []
        # One budget for all the questions: c conjuncts ask up to c * c of them.
        budget = inclusion.Budget(inclusion.MAX_INCLUSION_WORK)

        def implies(inner: GlobSet, outer: GlobSet) -> bool:
            return _outside(inner, outer, budget) is None

        for conjunct in sorted(set(self.conjuncts) | set(other.conjuncts)):
            candidate = GlobSet((conjunct,))
            if any(implies(GlobSet((k,)), candidate) for k in kept):
                continue
            kept = [k for k in kept if not implies(candidate, GlobSet((k,)))]
            kept.append(conjunct)
        return GlobSet(tuple(kept))


def _check_size(conjuncts: tuple[tuple[str, ...], ...]) -> None:
    """Refuse glob sets whose automata would pass ``MAX_AUTOMATON_STATES``, before building."""
    budget = automaton.MAX_AUTOMATON_STATES
    patterns = [p for conjunct in conjuncts for p in conjunct]
    # A glob makes at least one state per character and at most three ("**" makes five):
    # lengths bound the count without building anything.
    if 3 * sum(map(len, patterns)) <= budget:
        return
    for pattern in patterns:
        if len(pattern) > budget or automaton.positions(automaton.glob_node(pattern)) > budget:
            raise PatternTooComplex(
                f"pattern {check.shown(pattern)} is too complex: its automaton would have "
                f"more than {budget:,} states (the budget MAX_AUTOMATON_STATES)"
            )
    total = sum(automaton.positions(automaton.glob_node(p)) for p in patterns)
    if total > budget:
        raise PatternTooComplex(
            f"globs {check.shown(conjuncts)} are too complex: their automata would have "
            f"{total:,} states, over the budget of {budget:,} (MAX_AUTOMATON_STATES)"
        )


_STAND_INS = "xyzqwXYZQW0123456789" + "".join(map(chr, range(0x100, 0x400)))
_answers: BoundedCache[tuple[GlobSet, GlobSet], str | PatternTooComplex | None] = BoundedCache(
    INCLUSION_ANSWERS,
    max_bytes=INCLUSION_ANSWER_BYTES,
    weigh=lambda key, _: key[0].held_bytes + key[1].held_bytes + 1024,
)


def _outside(
    inner: GlobSet, outer: GlobSet, shared: inclusion.Budget | None = None
) -> str | PatternTooComplex | None:
    """A shortest path ``inner`` matches and ``outer`` does not, None, or why undecided.

    With a ``shared`` budget (several questions, one budget), running out of it is not
    remembered: asked alone, with a whole budget, the question may be decided.
    """
    key = (inner, outer)
    known = _answers.get(key)
    if known is not MISSING:
        return known  # type: ignore[return-value]
    budget = inclusion.Budget(inclusion.MAX_INCLUSION_WORK) if shared is None else shared
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
        if shared is not None:
            return found
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
