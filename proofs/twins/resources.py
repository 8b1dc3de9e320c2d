"""The twins of ``resources``: bounded law proofs, and exact z3 regexes for real globs.

Unbounded domain: globs and paths. Two encodings, both from the glob syntax:

- `ResourcesTwin` (the laws): a fresh constraint is a union of up to two globs of one or
  two segments, each segment one of `SHAPES`; contexts range over `UNIVERSE`, every
  relative path of one to three segments over ``a``, ``b`` and ``ab``. A constraint is
  the bit vector of the universe paths it matches (tabulated once), so tightening is
  ``child & ~parent == 0`` and compose is ``&``. The proofs are therefore bounded: they
  hold for those globs and those paths.
- `PathTwin` (real globs): any parsed constraint as a z3 regex (`proofs.twins.globs`)
  over a string context; inclusion and witnesses are decided by z3's sequence theory.
  The differential tests tie it to the runtime's automata on generated globs and paths.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import attrs
import z3

from proofs.twins._concrete import as_bool, as_int, first
from proofs.twins.globs import NORMALISED, conjuncts_regex, python_regex
from trust.constraints import ConstraintValue
from trust.constraints.builtin._glob import GlobSet

SHAPES = ("a", "*", "a*", "?", "**")
"""The segments a glob of the bounded proofs is made of."""

UNIVERSE: tuple[str, ...] = tuple(
    "/".join(words)
    for length in (1, 2, 3)
    for words in itertools.product(("a", "b", "ab"), repeat=length)
)
"""The paths the bounded proofs quantify over."""

_WIDTH = len(UNIVERSE)
_GLOBS = 2
_PATTERNS = [(s,) for s in SHAPES] + list(itertools.product(SHAPES, repeat=2))


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


@attrs.frozen
class Request:
    """A context: whether a resource is requested, and its path."""

    given: z3.BoolRef
    path: z3.SeqRef


_READABLE = z3.Star(z3.Union(z3.Range("a", "z"), z3.Range("0", "9"), z3.Re("."), z3.Re("/")))


class PathTwin:
    """Real glob sets as z3 regexes over a string context (see the module docstring).

    It encodes runtime values only (``constraint`` makes no fresh symbolic glob).
    """

    exact = True

    def encode(self, value: ConstraintValue) -> z3.ReRef:
        globs: GlobSet = value.parsed
        return conjuncts_regex(globs.conjuncts)

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
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(z3.InRe(path, z3.Intersect(child, z3.Complement(parent))))
        answer = solver.check()
        if answer == z3.unknown:
            raise ValueError(f"z3 could not decide inclusion: {solver.reason_unknown()}")
        if answer == z3.unsat:
            return None
        return str(solver.model().eval(path).as_string())

    def encode_context(self, context: dict[str, Any]) -> Request:
        path = context.get("resource_requested")
        return Request(z3.BoolVal("resource_requested" in context), z3.StringVal(path or ""))

    def runtime_context(self, model: z3.ModelRef, x: Request) -> dict[str, Any]:
        if not as_bool(model, x.given):
            return {}
        return {"resource_requested": model.eval(x.path, model_completion=True).as_string()}

    def show_context(self, model: z3.ModelRef, x: Request) -> str:
        return repr(self.runtime_context(model, x))
