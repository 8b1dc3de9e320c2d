"""The twins of ``resources``: bounded law proofs, and exact z3 regexes for real globs.

Unbounded domain: globs and paths. Two encodings, both from the glob syntax:

- `ResourcesTwin` (the laws): a fresh constraint is a union of up to two globs of one or
  two segments, each segment one of `SHAPES`; contexts range over `UNIVERSE`, every
  relative path of one to three segments among `WORDS` (``a``, ``b``, ``ab``, ``bb``: one
  for each way the shapes tell segments apart). A constraint is the bit vector of the
  universe paths it matches (tabulated once), so tightening is ``child & ~parent == 0``
  and compose is ``&``. The proofs are therefore bounded: they hold for those globs and
  those paths; conformance holds the runtime to this twin on every one of them.
- `PathTwin` (real globs): any constraint as a z3 regex (`proofs.twins.globs`) over a
  string context; inclusion and witnesses are decided by z3's sequence theory. Its
  tightening is language inclusion and its compose intersection by definition, so every
  law holds of it; conformance holds the runtime's automata to it.

Both read a value as the user wrote it (`read_globs`: a glob, a list of globs, or an
``all_of`` of those), collapsing runs of ``**`` segments as the runtime's normalisation
does; `ResourcesTwin.encode` refuses globs outside its shapes with a ValueError.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import attrs
import z3

from trust.constraints import ConstraintValue
from trust.proofs._canonical import solve
from trust.proofs.twins._concrete import all_of, as_bool, as_int, first
from trust.proofs.twins.globs import NORMALISED, conjuncts_regex, python_regex

SHAPES = ("a", "*", "a*", "?", "**")
"""The segments a glob of the bounded proofs is made of."""

WORDS = ("a", "b", "ab", "bb")
"""The segments of the bounded proofs' paths: one for each way the shapes can match a
segment (``bb`` is matched by ``*`` alone: without it ``*`` would look within ``a*, ?``)."""

UNIVERSE: tuple[str, ...] = tuple(
    "/".join(words) for length in (1, 2, 3) for words in itertools.product(WORDS, repeat=length)
)
"""The paths the bounded proofs quantify over."""

_WIDTH = len(UNIVERSE)
_GLOBS = 2
_PATTERNS = [(s,) for s in SHAPES] + list(itertools.product(SHAPES, repeat=2))


def read_globs(raw: object) -> tuple[tuple[str, ...], ...]:
    """The unions of globs a raw ``resources`` value intersects (one, or an ``all_of``'s).

    Raises:
        ValueError: ``raw`` is not a glob, a list of globs or an ``all_of`` of them.
    """
    items = all_of(raw)
    if items is not None:
        return tuple(union for item in items for union in read_globs(item))
    globs = [raw] if type(raw) is str else raw
    if not isinstance(globs, list | tuple | set | frozenset) or not all(
        type(g) is str for g in globs
    ):
        raise ValueError(f"the resources twin reads globs, lists of globs and all_of, got {raw!r}")
    return (tuple(sorted({_collapsed(g) for g in globs})),)


def _collapsed(glob: str) -> str:
    absolute = glob.startswith("/")
    kept: list[str] = []
    for segment in (glob[1:] if absolute else glob).split("/"):
        if not (segment == "**" and kept and kept[-1] == "**"):
            kept.append(segment)
    return ("/" if absolute else "") + "/".join(kept)


@functools.cache
def _table() -> dict[tuple[str, ...], int]:
    table = {}
    for segments in _PATTERNS:
        glob = "/".join(segments)
        regex = python_regex(glob)
        table[segments] = sum(1 << i for i, p in enumerate(UNIVERSE) if regex.fullmatch(p))
    return table


@attrs.frozen
class Glob:
    on: z3.BoolRef
    two: z3.BoolRef
    first: z3.ArithRef
    second: z3.ArithRef


@attrs.frozen
class Paths:
    """A constraint of the bounded proofs: its universe bits and its globs, per conjunct."""

    bits: z3.BitVecRef
    conjuncts: tuple[tuple[Glob, ...], ...]


def _glob_bits(glob: Glob) -> z3.BitVecRef:
    table = _table()
    one: z3.BitVecRef = z3.BitVecVal(0, _WIDTH)
    two: z3.BitVecRef = z3.BitVecVal(0, _WIDTH)
    for i, shape in enumerate(SHAPES):
        one = z3.If(glob.first == i, z3.BitVecVal(table[(shape,)], _WIDTH), one)
        for j, other in enumerate(SHAPES):
            cell = z3.BitVecVal(table[(shape, other)], _WIDTH)
            two = z3.If(z3.And(glob.first == i, glob.second == j), cell, two)
    return z3.If(glob.on, z3.If(glob.two, two, one), z3.BitVecVal(0, _WIDTH))


def _bit(bits: z3.BitVecRef, index: z3.ArithRef) -> z3.BoolRef:
    return z3.Or(*[z3.And(index == i, z3.Extract(i, i, bits) == 1) for i in range(_WIDTH)])


class ResourcesTwin:
    """The bounded twin for the laws; see the module docstring."""

    exact = True

    def constraint(self, name: str) -> Paths:
        globs = tuple(
            Glob(
                z3.Bool(f"{name}.{k}.on"),
                z3.Bool(f"{name}.{k}.two"),
                z3.Int(f"{name}.{k}.first"),
                z3.Int(f"{name}.{k}.second"),
            )
            for k in range(_GLOBS)
        )
        bits = functools.reduce(lambda a, b: a | b, [_glob_bits(g) for g in globs])
        return Paths(bits, (globs,))

    def context(self, name: str) -> z3.ArithRef:
        return z3.Int(f"{name}.path")

    def well_formed(self, c: Paths) -> z3.BoolRef:
        return z3.And(
            *[
                z3.And(g.first >= 0, g.first < len(SHAPES), g.second >= 0, g.second < len(SHAPES))
                for conjunct in c.conjuncts
                for g in conjunct
            ]
        )

    def admissible(self, x: z3.ArithRef) -> z3.BoolRef:
        return z3.And(x >= 0, x < _WIDTH)

    def allows(self, c: Paths, x: z3.ArithRef) -> z3.BoolRef:
        return _bit(c.bits, x)

    def tighter(self, child: Paths, parent: Paths) -> z3.BoolRef:
        return child.bits & ~parent.bits == 0

    def meet(self, a: Paths, b: Paths) -> Paths:
        return Paths(a.bits & b.bits, a.conjuncts + b.conjuncts)

    def witness(self, child: Paths, parent: Paths) -> z3.ArithRef:
        loose = child.bits & ~parent.bits
        return first(
            [(z3.Extract(i, i, loose) == 1, z3.IntVal(i)) for i in range(_WIDTH)], z3.IntVal(0)
        )

    def show_constraint(self, model: z3.ModelRef, c: Paths) -> str:
        shown = []
        for conjunct in c.conjuncts:
            globs = [
                "/".join(
                    SHAPES[as_int(model, s)]
                    for s in ((g.first, g.second) if as_bool(model, g.two) else (g.first,))
                )
                for g in conjunct
                if as_bool(model, g.on)
            ]
            shown.append(repr(globs))
        return shown[0] if len(shown) == 1 else "all_of [" + ", ".join(shown) + "]"

    def show_context(self, model: z3.ModelRef, x: z3.ArithRef) -> str:
        return f"resource_requested {UNIVERSE[as_int(model, x)]!r}"

    def encode(self, value: ConstraintValue) -> Paths:
        """The universe paths ``value.raw_value`` matches, as its bits.

        Raises:
            ValueError: It holds a glob that is not one or two segments of `SHAPES`, or a
                list of more than two globs: outside the bounded twin's constraints.
        """
        table = _table()
        bits = (1 << _WIDTH) - 1
        for union in read_globs(value.raw_value):
            shapes = [tuple(g.split("/")) for g in union]
            if len(union) > _GLOBS or any(s not in table for s in shapes):
                raise ValueError(
                    f"the bounded resources twin encodes unions of up to {_GLOBS} globs of one "
                    f"or two segments among {list(SHAPES)}, got {value.raw_value!r}"
                )
            matched = 0
            for segments in shapes:
                matched |= table[segments]
            bits &= matched
        return Paths(z3.BitVecVal(bits, _WIDTH), ())

    def encode_context(self, context: dict[str, Any]) -> z3.ArithRef:
        """The index of the requested path in `UNIVERSE`.

        Raises:
            ValueError: No path is requested, or one outside `UNIVERSE`.
        """
        path = context.get("resource_requested")
        if type(path) is not str or path not in UNIVERSE:
            raise ValueError(
                "the bounded resources twin encodes paths of one to three segments among "
                f"{list(WORDS)} (its universe), got {path!r}"
            )
        return z3.IntVal(UNIVERSE.index(path))

    def runtime_context(self, model: z3.ModelRef, x: z3.ArithRef) -> dict[str, Any]:
        return {"resource_requested": UNIVERSE[as_int(model, x)]}


@attrs.frozen
class Request:
    """A context: whether a resource is requested, and its path."""

    given: z3.BoolRef
    path: z3.SeqRef


MAX_PATH = 4096
"""The runtime's limit on a requested path's length (longer ones are refused)."""
_READABLE = z3.Star(z3.Union(z3.Range("a", "z"), z3.Range("0", "9"), z3.Re("."), z3.Re("/")))


class PathTwin:
    """Real glob sets as z3 regexes over a string context (see the module docstring).

    It encodes runtime values only (``constraint`` makes no fresh symbolic glob).
    """

    exact = True

    def encode(self, value: ConstraintValue) -> z3.ReRef:
        """The paths ``value.raw_value`` matches (`read_globs`), as a z3 regex."""
        return conjuncts_regex(read_globs(value.raw_value))

    def context(self, name: str) -> Request:
        return Request(z3.Bool(f"{name}.given"), z3.String(f"{name}.resource_requested"))

    def admissible(self, x: Request) -> z3.BoolRef:
        # Readable witnesses: the globs' own literals are found before odd characters.
        return z3.Implies(x.given, z3.InRe(x.path, z3.Intersect(NORMALISED, _READABLE)))

    def allows(self, c: z3.ReRef, x: Request) -> z3.BoolRef:
        return z3.Or(z3.Not(x.given), z3.InRe(x.path, c))

    def outside(self, child: z3.ReRef, parent: z3.ReRef, timeout_ms: int = 5000) -> str | None:
        """A path ``child`` matches and ``parent`` does not, or None when there is none.

        Raises:
            ValueError: z3 could not decide within ``timeout_ms``.
        """
        path = z3.String("path")
        # Solved in a fresh context: the same path whatever ran before.
        answer = solve([z3.InRe(path, z3.Intersect(child, z3.Complement(parent)))], timeout_ms)
        if answer.unsat:
            return None
        if answer.model is None:
            raise ValueError(f"z3 could not decide inclusion: {answer.reason}")
        return str(answer.model.eval(path).as_string())

    def encode_context(self, context: dict[str, Any]) -> Request:
        """The requested path; one the runtime refuses whatever the globs (not a string,
        longer than its 4096 characters) as the empty path, which no glob set matches.

        Raises:
            ValueError: The path is a subclass of str, which the twin does not read.
        """
        path = context.get("resource_requested")
        if type(path) is not str and isinstance(path, str):
            raise ValueError(f"the resources twin reads exact strings, got {path!r}")
        if type(path) is not str or len(path) > MAX_PATH:
            path = ""
        return Request(z3.BoolVal("resource_requested" in context), z3.StringVal(path))

    def runtime_context(self, model: z3.ModelRef, x: Request) -> dict[str, Any]:
        if not as_bool(model, x.given):
            return {}
        return {"resource_requested": model.eval(x.path, model_completion=True).as_string()}

    def show_context(self, model: z3.ModelRef, x: Request) -> str:
        return repr(self.runtime_context(model, x))
