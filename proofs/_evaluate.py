"""A twin's z3 formulas, compiled once into Python functions of their constants.

Conformance (`proofs.conformance`) evaluates a twin's ``allows``, ``tighter`` and ``meet``
on thousands of concrete cases. Asking z3 about each closed formula costs about half a
millisecond; one query over all of them at once makes z3 case-split integer arithmetic,
which is slower still. Instead the twin's formula is built *once*, over placeholder
constants shaped like the encoded values, and that z3 term (the twin's own rule, not a
restatement) is translated operator by operator into a Python function of the
placeholders. Each case is then one call on the encoded values' constants, in
microseconds.

Only the operators the built-in twins use are translated (Boolean connectives, integer
and real arithmetic, bit vectors); any other raises `ValueError` naming it, so nothing is
evaluated by guess. (`proofs.conformance._evaluator` decides a sample of cases, and every
disagreement, with z3 itself too.)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import attrs
import z3
from z3 import z3core

Shape = tuple[Any, ...]


_LEAVES: dict[int, tuple[z3.ExprRef, str, Any]] = {}
"""Per term id: the term (kept alive, so the id is not reused), its sort, its constant."""
_MOST_LEAVES = 200_000


def _leaf(term: z3.ExprRef) -> tuple[z3.ExprRef, str, Any]:
    key = term.get_id()
    found = _LEAVES.get(key)
    if found is None:
        if len(_LEAVES) >= _MOST_LEAVES:
            _LEAVES.clear()
        constant = _constant(term) if term.num_args() == 0 else None
        found = _LEAVES[key] = (term, term.sort().sexpr(), constant)
    return found


def leaves(value: Any) -> list[z3.ExprRef]:
    """The z3 terms of an encoded value (a z3 term, tuples and attrs values of them)."""
    if isinstance(value, z3.ExprRef):
        return [value]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in leaves(item)]
    if attrs.has(type(value)):
        return [leaf for f in _fields(value) for leaf in leaves(getattr(value, f))]
    return []


def shape(value: Any) -> Shape:
    """What two values must share to be given to one compiled function."""
    if isinstance(value, z3.ExprRef):
        return ("term", _leaf(value)[1])
    if isinstance(value, tuple):
        return ("tuple", *(shape(item) for item in value))
    if attrs.has(type(value)):
        return (type(value), *(shape(getattr(value, f)) for f in _fields(value)))
    return ("python", repr(value))


def placeholder(value: Any, prefix: str) -> Any:
    """``value`` with every z3 term replaced by a fresh constant of its sort."""
    counter = itertools.count()

    def build(item: Any) -> Any:
        if isinstance(item, z3.ExprRef):
            return z3.Const(f"{prefix}.{next(counter)}", item.sort())
        if isinstance(item, tuple):
            return tuple(build(part) for part in item)
        if attrs.has(type(item)):
            return type(item)(**{f: build(getattr(item, f)) for f in _fields(item)})
        return item

    return build(value)


def flatten(value: Any) -> list[Any]:
    """The plain values of a structure of tuples and attrs values, in `leaves` order."""
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in flatten(item)]
    if attrs.has(type(value)):
        return [leaf for f in _fields(value) for leaf in flatten(getattr(value, f))]
    return [value]


def unflatten(value: Any, constants: Sequence[Any]) -> Any:
    """``value``'s structure with its terms replaced, in order, by ``constants``."""
    items = iter(constants)

    def build(item: Any) -> Any:
        if isinstance(item, z3.ExprRef):
            return next(items)
        if isinstance(item, tuple):
            return tuple(build(part) for part in item)
        if attrs.has(type(item)):
            return type(item)(**{f: build(getattr(item, f)) for f in _fields(item)})
        return item

    return build(value)


def _fields(value: Any) -> list[str]:
    return [f.name for f in attrs.fields(type(value)) if f.init]


def constants(value: Any) -> list[Any]:
    """The Python values of an encoded value's terms (bools, ints, fractions).

    Raises:
        ValueError: A term is not a constant, even once simplified.
    """
    return [_leaf(leaf)[2] if leaf.num_args() == 0 else _constant(leaf) for leaf in leaves(value)]


def _constant(term: z3.ExprRef) -> Any:
    for candidate in (term, z3.simplify(term)):
        if z3.is_true(candidate):
            return True
        if z3.is_false(candidate):
            return False
        if z3.is_int_value(candidate) or z3.is_bv_value(candidate):
            return candidate.as_long()
        if z3.is_rational_value(candidate):
            return Fraction(candidate.numerator_as_long(), candidate.denominator_as_long())
    raise ValueError(f"an encoded value holds a term that is not a constant: {term}")


def compile_term(term: z3.ExprRef, parameters: Sequence[z3.ExprRef]) -> Callable[..., Any]:
    """A Python function of ``parameters`` (z3 constants) computing ``term``.

    Raises:
        ValueError: ``term`` uses an operator this translation does not know, or a
            constant that is not among ``parameters``.
    """
    function = compile_terms([term], parameters)
    return lambda *values: function(*values)[0]


def compile_terms(
    terms: Sequence[z3.ExprRef], parameters: Sequence[z3.ExprRef]
) -> Callable[..., tuple[Any, ...]]:
    """A Python function of ``parameters`` computing every term of ``terms``, as a tuple.

    The term graph is read through z3's C API (`_Reader`): the Python objects of z3's own
    API cost more than the translation.

    Raises:
        ValueError: As `compile_term`.
    """
    reader = _Reader(terms[0].ctx if terms else z3.main_ctx())
    names = {reader.id(p.as_ast()): f"p{k}" for k, p in enumerate(parameters)}
    lines: list[str] = []
    consts: dict[str, Any] = {"_signed": _signed, "_shr": _shr, "_shl": _shl, "_rot": _rot}
    done: dict[int, str] = dict(names)
    stack: list[tuple[Any, bool]] = [(t.as_ast(), False) for t in reversed(terms)]
    while stack:
        node, expanded = stack.pop()
        key = reader.id(node)
        if key in done:
            continue
        children = reader.args(node)
        if not expanded and children:
            stack.append((node, True))
            stack += [(child, False) for child in children if reader.id(child) not in done]
            continue
        name = f"t{len(lines)}"
        lines.append(f"    {name} = {_python(reader, node, children, done, consts)}")
        done[key] = name
    results = "".join(f"{done[reader.id(t.as_ast())]}, " for t in terms)
    source = f"def evaluate({', '.join(names.values())}):\n" + "\n".join(lines)
    source += f"\n    return ({results})\n"
    scope = dict(consts)
    exec(compile(source, "<twin formula>", "exec"), scope)  # our own translation, not input
    return scope["evaluate"]  # type: ignore[no-any-return]


class _Reader:
    """The parts of a z3 term graph the translation reads, through z3's C API."""

    def __init__(self, context: z3.Context) -> None:
        self.ref = context.ref()

    def id(self, node: Any) -> int:
        return int(z3core.Z3_get_ast_id(self.ref, node))

    def args(self, node: Any) -> list[Any]:
        count = z3core.Z3_get_app_num_args(self.ref, node)
        return [z3core.Z3_get_app_arg(self.ref, node, i) for i in range(count)]

    def kind(self, node: Any) -> int:
        return int(z3core.Z3_get_decl_kind(self.ref, z3core.Z3_get_app_decl(self.ref, node)))

    def bits(self, node: Any) -> int:
        """The width of a bit-vector term; 0 for any other sort."""
        sort = z3core.Z3_get_sort(self.ref, node)
        if z3core.Z3_get_sort_kind(self.ref, sort) != z3.Z3_BV_SORT:
            return 0
        return int(z3core.Z3_get_bv_sort_size(self.ref, sort))

    def params(self, node: Any) -> list[int]:
        decl = z3core.Z3_get_app_decl(self.ref, node)
        count = z3core.Z3_get_decl_num_parameters(self.ref, decl)
        return [int(z3core.Z3_get_decl_int_parameter(self.ref, decl, i)) for i in range(count)]

    def numeral(self, node: Any) -> int | Fraction:
        text = z3core.Z3_get_numeral_string(self.ref, node)
        return Fraction(text) if "/" in text else int(text)

    def shown(self, node: Any) -> str:
        return str(z3core.Z3_ast_to_string(self.ref, node))


def _python(
    reader: _Reader, node: Any, children: list[Any], done: dict[int, str], consts: dict[str, Any]
) -> str:
    """One node as a Python expression over its children's names."""
    kind = reader.kind(node)
    if kind == z3.Z3_OP_UNINTERPRETED:
        raise ValueError(
            f"the formula has a constant that is not a parameter: {reader.shown(node)}"
        )
    if kind in (z3.Z3_OP_TRUE, z3.Z3_OP_FALSE):
        return repr(kind == z3.Z3_OP_TRUE)
    if kind in (z3.Z3_OP_ANUM, z3.Z3_OP_BNUM):
        value = reader.numeral(node)
        if isinstance(value, Fraction):
            name = f"c{len(consts)}"
            consts[name] = value
            return name
        return repr(value)
    args = [done[reader.id(child)] for child in children]
    bits = reader.bits(node)
    simple = _SIMPLE.get(kind)
    if simple is not None:
        return simple(args, bits, [reader.bits(child) for child in children])
    operand = args[0] if args else ""
    if kind == z3.Z3_OP_EXTRACT:
        high, low = reader.params(node)
        return f"(({operand} >> {low}) & {(1 << (high - low + 1)) - 1})"
    if kind in (z3.Z3_OP_ROTATE_LEFT, z3.Z3_OP_ROTATE_RIGHT):
        steps = reader.params(node)[0] % bits
        to_left = steps if kind == z3.Z3_OP_ROTATE_LEFT else (bits - steps) % bits
        return f"_rot({operand}, {to_left}, {bits})"
    if kind in (z3.Z3_OP_EXT_ROTATE_LEFT, z3.Z3_OP_EXT_ROTATE_RIGHT):
        amount = f"({args[1]} % {bits})"
        left = amount if kind == z3.Z3_OP_EXT_ROTATE_LEFT else f"(({bits} - {amount}) % {bits})"
        return f"_rot({operand}, {left}, {bits})"
    if kind == z3.Z3_OP_ZERO_EXT:
        return operand
    raise ValueError(f"the conformance evaluator does not translate {reader.shown(node)}")


def _joined(op: str) -> Callable[[list[str], int, list[int]], str]:
    return lambda args, bits, widths: "(" + f" {op} ".join(args) + ")"


def _masked(op: str) -> Callable[[list[str], int, list[int]], str]:
    return lambda args, bits, widths: "((" + f" {op} ".join(args) + f") & {(1 << bits) - 1})"


def _compare(op: str, signed: bool = False) -> Callable[[list[str], int, list[int]], str]:
    def build(args: list[str], bits: int, widths: list[int]) -> str:
        a, b = args
        if signed:
            a, b = f"_signed({a}, {widths[0]})", f"_signed({b}, {widths[1]})"
        return f"({a} {op} {b})"

    return build


def _concat(args: list[str], bits: int, widths: list[int]) -> str:
    terms, shift = [], 0
    for arg, size in reversed(list(zip(args, widths, strict=True))):
        terms.append(f"({arg} << {shift})")
        shift += size
    return "(" + " | ".join(terms) + ")"


def _distinct(args: list[str], bits: int, widths: list[int]) -> str:
    return f"(len({{{', '.join(args)}}}) == {len(args)})"


_SIMPLE: dict[int, Callable[[list[str], int, list[int]], str]] = {
    z3.Z3_OP_AND: lambda a, b, w: "(" + " and ".join(a) + ")" if a else "True",
    z3.Z3_OP_OR: lambda a, b, w: "(" + " or ".join(a) + ")" if a else "False",
    z3.Z3_OP_NOT: lambda a, b, w: f"(not {a[0]})",
    z3.Z3_OP_IMPLIES: lambda a, b, w: f"((not {a[0]}) or {a[1]})",
    z3.Z3_OP_XOR: lambda a, b, w: f"({a[0]} != {a[1]})",
    z3.Z3_OP_EQ: lambda a, b, w: f"({a[0]} == {a[1]})",
    z3.Z3_OP_DISTINCT: _distinct,
    z3.Z3_OP_ITE: lambda a, b, w: f"({a[1]} if {a[0]} else {a[2]})",
    z3.Z3_OP_LE: _compare("<="),
    z3.Z3_OP_LT: _compare("<"),
    z3.Z3_OP_GE: _compare(">="),
    z3.Z3_OP_GT: _compare(">"),
    z3.Z3_OP_ADD: _joined("+"),
    z3.Z3_OP_SUB: _joined("-"),
    z3.Z3_OP_MUL: _joined("*"),
    z3.Z3_OP_UMINUS: lambda a, b, w: f"(-{a[0]})",
    z3.Z3_OP_TO_REAL: lambda a, b, w: a[0],  # ints and fractions compare exactly
    z3.Z3_OP_BNOT: lambda a, b, w: f"(~{a[0]} & {(1 << b) - 1})",
    z3.Z3_OP_BAND: _joined("&"),
    z3.Z3_OP_BOR: _joined("|"),
    z3.Z3_OP_BXOR: _joined("^"),
    z3.Z3_OP_BADD: _masked("+"),
    z3.Z3_OP_BSUB: _masked("-"),
    z3.Z3_OP_BMUL: _masked("*"),
    z3.Z3_OP_BNEG: lambda a, b, w: f"((-{a[0]}) & {(1 << b) - 1})",
    z3.Z3_OP_ULEQ: _compare("<="),
    z3.Z3_OP_ULT: _compare("<"),
    z3.Z3_OP_UGEQ: _compare(">="),
    z3.Z3_OP_UGT: _compare(">"),
    z3.Z3_OP_SLEQ: _compare("<=", signed=True),
    z3.Z3_OP_SLT: _compare("<", signed=True),
    z3.Z3_OP_SGEQ: _compare(">=", signed=True),
    z3.Z3_OP_SGT: _compare(">", signed=True),
    z3.Z3_OP_BLSHR: lambda a, b, w: f"_shr({a[0]}, {a[1]}, {b})",
    z3.Z3_OP_BSHL: lambda a, b, w: f"_shl({a[0]}, {a[1]}, {b})",
    z3.Z3_OP_CONCAT: _concat,
}


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def _shr(value: int, amount: int, bits: int) -> int:
    return value >> amount if amount < bits else 0


def _shl(value: int, amount: int, bits: int) -> int:
    return (value << amount) & ((1 << bits) - 1) if amount < bits else 0


def _rot(value: int, left: int, bits: int) -> int:
    return ((value << left) | (value >> (bits - left))) & ((1 << bits) - 1) if left else value
