"""The twin of ``data_access``: a PII boolean and a finite set of classifications.

Unbounded domain: classification names are any strings. The laws involve at most four
constraints and one context, and every name no constraint mentions behaves alike, so the
proofs use the finite universe `NAMES` plus one stand-in for "any other name"; a set is
one boolean per name, with a flag for "every classification". Encoded values (from the
runtime) extend the universe with the names they mention.

A context is ``contains_pii`` (absent, False or True) and ``data_classification`` (absent,
a name, or another name). Malformed values are refused by every policy, so they add
nothing to the laws; the runtime's bad-input tests cover them.
"""

from __future__ import annotations

from typing import Any

import attrs
import z3

from proofs.twins._concrete import as_bool, as_int, first
from trust.constraints import ConstraintValue
from trust.constraints.builtin._data_access import DataAccessPolicy

NAMES: tuple[str, ...] = ("internal", "public", "secret")
"""The classification universe of the proofs; index ``len(NAMES)`` is any other name."""

ABSENT, FALSE, TRUE = 0, 1, 2


@attrs.frozen
class Policy:
    pii: z3.BoolRef
    every: z3.BoolRef
    member: tuple[z3.BoolRef, ...]


@attrs.frozen
class Access:
    """A context: ``contains_pii`` as ABSENT/FALSE/TRUE; the class as an index, -1 absent."""

    pii: z3.ArithRef
    classification: z3.ArithRef


def _empty(p: Policy) -> z3.BoolRef:
    return z3.And(z3.Not(p.every), *[z3.Not(m) for m in p.member])


class DataAccessTwin:
    """Booleans and finite sets; see the module docstring."""

    exact = True

    def __init__(self, names: tuple[str, ...] = NAMES) -> None:
        self.names = names

    def constraint(self, name: str) -> Policy:
        return Policy(
            z3.Bool(f"{name}.pii_allowed"),
            z3.Bool(f"{name}.every_classification"),
            tuple(z3.Bool(f"{name}.allows.{n}") for n in self.names),
        )

    def context(self, name: str) -> Access:
        return Access(z3.Int(f"{name}.contains_pii"), z3.Int(f"{name}.classification"))

    def well_formed(self, p: Policy) -> z3.BoolRef:
        # The runtime normalises "allows no classification" to one bottom, without PII.
        return z3.Implies(_empty(p), z3.Not(p.pii))

    def admissible(self, x: Access) -> z3.BoolRef:
        return z3.And(
            x.pii >= ABSENT,
            x.pii <= TRUE,
            x.classification >= -1,
            x.classification <= len(self.names),
        )

    def allows(self, p: Policy, x: Access) -> z3.BoolRef:
        listed = z3.Or(*[z3.And(x.classification == i, m) for i, m in enumerate(p.member)])
        return z3.And(z3.Or(p.pii, x.pii == FALSE), z3.Or(p.every, listed))

    def tighter(self, child: Policy, parent: Policy) -> z3.BoolRef:
        classes = z3.Or(
            parent.every,
            z3.And(
                z3.Not(child.every),
                *[z3.Implies(c, p) for c, p in zip(child.member, parent.member, strict=True)],
            ),
        )
        return z3.Or(_empty(child), z3.And(z3.Implies(child.pii, parent.pii), classes))

    def meet(self, a: Policy, b: Policy) -> Policy:
        member = tuple(
            z3.If(a.every, mb, z3.If(b.every, ma, z3.And(ma, mb)))
            for ma, mb in zip(a.member, b.member, strict=True)
        )
        every = z3.And(a.every, b.every)
        pii = z3.And(a.pii, b.pii, z3.Or(every, *member))
        return Policy(pii, every, member)

    def witness(self, child: Policy, parent: Policy) -> Access:
        other = z3.IntVal(len(self.names))
        child_class = first([(m, z3.IntVal(i)) for i, m in enumerate(child.member)], z3.IntVal(-1))
        loose_class = first(
            [
                (z3.And(c, z3.Not(p)), z3.IntVal(i))
                for i, (c, p) in enumerate(zip(child.member, parent.member, strict=True))
            ],
            other,
        )
        pii_case = z3.And(child.pii, z3.Not(parent.pii))
        return Access(
            z3.If(pii_case, z3.IntVal(TRUE), z3.IntVal(FALSE)),
            z3.If(
                pii_case,
                z3.If(child.every, z3.IntVal(-1), child_class),
                z3.If(child.every, other, loose_class),
            ),
        )

    def show_constraint(self, model: z3.ModelRef, p: Policy) -> str:
        classes = (
            None
            if as_bool(model, p.every)
            else frozenset(
                n for n, m in zip(self.names, p.member, strict=True) if as_bool(model, m)
            )
        )
        return repr(DataAccessPolicy(as_bool(model, p.pii), classes).to_raw())

    def show_context(self, model: z3.ModelRef, x: Access) -> str:
        return repr(self.runtime_context(model, x))

    def encode(self, value: ConstraintValue) -> Policy:
        policy: DataAccessPolicy = value.parsed
        missing = set(policy.classifications or ()) - set(self.names)
        if missing:
            raise ValueError(
                f"the data_access twin's universe {list(self.names)} lacks {sorted(missing)}"
            )
        classes = policy.classifications
        return Policy(
            z3.BoolVal(policy.pii_allowed),
            z3.BoolVal(classes is None),
            tuple(z3.BoolVal(classes is not None and n in classes) for n in self.names),
        )

    def encode_context(self, context: dict[str, Any]) -> Access:
        pii = context.get("contains_pii")
        raw = context.get("data_classification")
        name = raw.strip().casefold() if isinstance(raw, str) else None
        index = (
            -1
            if name is None
            else (self.names.index(name) if name in self.names else len(self.names))
        )
        return Access(
            z3.IntVal(ABSENT if pii is None else TRUE if pii else FALSE), z3.IntVal(index)
        )

    def runtime_context(self, model: z3.ModelRef, x: Access) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        pii = as_int(model, x.pii)
        if pii != ABSENT:
            shown["contains_pii"] = pii == TRUE
        index = as_int(model, x.classification)
        if 0 <= index < len(self.names):
            shown["data_classification"] = self.names[index]
        elif index == len(self.names):
            other = "unclassified"
            while other in self.names:
                other += "_"
            shown["data_classification"] = other
        return shown
