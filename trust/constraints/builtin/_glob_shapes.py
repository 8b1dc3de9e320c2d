"""Inclusion of glob sets of the common shapes, decided exactly without automata.

Deciding inclusion on automata costs about a millisecond for a new pair; most constraints
are written in a few shapes (``config/app.yaml``, ``reports/2025/*``, ``data/*.json``,
``data/**``) that are decided here on their text. Two rules, each exact:

- **A glob without ``?`` or ``**``** (literal segments, and ``*`` within any of them).
  Write ``g#`` for ``g`` with every ``*`` replaced by a character ``#`` that no glob can
  name (`STAND_IN`, a control character, refused in globs). ``g#`` is one of ``g``'s
  paths, so if the set does not match it, ``g`` is not within the set. If the set matches
  it and no glob of the set has a ``?``, ``g`` is within: in each union, the glob that
  matches ``g#`` reads every ``#`` with a ``*`` (or a whole segment with ``**``), since it
  names no ``#``, and the same wildcard reads whatever string ``g`` puts there instead.
  With a ``?`` in the set that matches, this is left to the automata (a ``?`` reads one
  ``#`` but not a longer string).
- **A subtree, ``P/**``** with a literal prefix ``P`` (possibly empty; relative or
  absolute). Within one union, a glob ``Q/**`` whose ``Q`` is a segment prefix of ``P``
  covers it. Otherwise, if every glob of the union is literal or ends a literal prefix
  with ``*`` or ``**``, it is not within: those globs cover, under ``P``, only paths
  whose first segment below ``P`` is one some glob names, or at a bounded depth, and
  ``P/x/.../x`` with a segment ``x`` no glob names, deeper than every glob, escapes
  them all. Other unions are left to the automata.

An intersection of unions on the inner side is within the set if one of its unions is;
otherwise the automata decide. `within` returns None for whatever it leaves to them. The
differential tests (``tests/test_constraints_glob_shapes.py``, exhaustive over a small
alphabet and with hypothesis) and the proof run's conformance of ``resources`` hold the two
equal.

Nothing here is cached: each answer costs time linear in the globs' text (and one walk of
the set's matcher), and a cache keyed by glob strings would need a byte budget of its own.
"""

from __future__ import annotations

from typing import Protocol


class Globs(Protocol):
    """What the rules read of a `trust.constraints.builtin.GlobSet` (which calls them)."""

    @property
    def conjuncts(self) -> tuple[tuple[str, ...], ...]: ...

    def matches(self, path: str) -> bool: ...

STAND_IN = "\x01"
"""The ``#`` of the module docstring: a character no glob names (globs refuse control
characters), which paths may hold, and which the automata and the matcher read as any
unnamed character."""


def _instance(glob: str) -> str | None:
    """``g#`` for a glob without ``?`` or a ``**`` segment; None for any other glob."""
    if "?" in glob or "**" in glob:
        return None
    return glob.replace("*", STAND_IN)


def _subtree(glob: str) -> tuple[bool, tuple[str, ...]] | None:
    """``(absolute, P)`` for a glob ``P/**`` with a literal ``P``; None for any other."""
    absolute = glob.startswith("/")
    *prefix, last = (glob[1:] if absolute else glob).split("/")
    if last != "**" or any("*" in s or "?" in s for s in prefix):
        return None
    return absolute, tuple(prefix)


def _bounded(glob: str) -> bool:
    """Whether ``glob`` is literal, or a literal prefix then ``*`` or ``**`` (see above)."""
    absolute = glob.startswith("/")
    *prefix, last = (glob[1:] if absolute else glob).split("/")
    if any("*" in s or "?" in s for s in prefix):
        return False
    return last in ("*", "**") or ("*" not in last and "?" not in last)


def _subtree_within(absolute: bool, prefix: tuple[str, ...], union: tuple[str, ...]) -> bool | None:
    for glob in union:
        found = _subtree(glob)
        if found is not None and found[0] is absolute and prefix[: len(found[1])] == found[1]:
            return True
    return False if all(map(_bounded, union)) else None


def _glob_within(glob: str, outer: Globs, wildcards: bool) -> bool | None:
    """Whether one glob is within ``outer``; ``wildcards``: some glob of it has a ``?``."""
    instance = _instance(glob)
    if instance is not None:
        if not outer.matches(instance):
            return False
        return None if wildcards else True
    subtree = _subtree(glob)
    if subtree is None:
        return None
    verdict: bool | None = True
    for conjunct in outer.conjuncts:
        within = _subtree_within(*subtree, conjunct)
        if within is False:
            return False
        if within is None:
            verdict = None
    return verdict


def _union_within(union: tuple[str, ...], outer: Globs, wildcards: bool) -> bool | None:
    verdict: bool | None = True
    for glob in union:
        within = _glob_within(glob, outer, wildcards)
        if within is False:
            return False
        if within is None:
            verdict = None
    return verdict


def within(inner: Globs, outer: Globs) -> bool | None:
    """Whether ``inner`` is within ``outer``, decided on shapes; None: ask the automata."""
    wildcards = any("?" in glob for conjunct in outer.conjuncts for glob in conjunct)
    conjuncts = inner.conjuncts
    if len(conjuncts) == 1:
        return _union_within(conjuncts[0], outer, wildcards)
    for conjunct in conjuncts:
        if _union_within(conjunct, outer, wildcards) is True:
            return True
    return None
