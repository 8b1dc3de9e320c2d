"""The twin of ``data_access``: a PII boolean and a finite set of classifications.

Unbounded domain: classification names are any strings. Order and meet act on each name
alone (a name is in a set or not, whatever the other names do), and every name no
constraint mentions behaves alike, so the proofs use the finite universe `NAMES` plus one
stand-in for "any other name"; a set is one boolean per name, with a flag for "every
classification". `DataAccessTwin.for_values` extends the universe with the names some
values mention, so that every value the runtime parses is encoded.

``encode`` reads the value as the user wrote it (``raw_value``: a mode, or a mode and
``allowed_classifications``, or the form compose writes), by the rules of the
``data_access`` docstring restated here, not through the runtime's parse: conformance
then holds the parse to them too.

A context is ``contains_pii`` (absent, False, True, or malformed: not a bool) and
``data_classification`` (absent, a name, another name, or malformed: not a non-blank
string). Every policy refuses a malformed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import z3

from trust.constraints import ConstraintValue
from trust.constraints.builtin import DataAccessPolicy
from trust.proofs.twins._concrete import as_bool, as_int, first

NAMES: tuple[str, ...] = ("internal", "public", "secret")
"""The classification universe of the proofs; index ``len(NAMES)`` is any other name."""

ABSENT, FALSE, TRUE, MALFORMED = 0, 1, 2, 3
"""``contains_pii`` in a context."""
NO_CLASS, BAD_CLASS = -1, -2
"""``data_classification`` in a context, besides a name's index: absent, malformed."""
MODES: dict[str, tuple[bool, frozenset[str] | None]] = {
    "no_pii": (False, None),
    "internal_only": (True, frozenset({"internal"})),
    "allow_all": (True, None),
}
"""Each mode as (PII allowed, classifications; None: every one), as documented."""


@attrs.frozen
class Policy:
    pii: z3.BoolRef
    every: z3.BoolRef
    member: tuple[z3.BoolRef, ...]


@attrs.frozen
class Access:
    """A context: ``contains_pii`` as ABSENT/FALSE/TRUE/MALFORMED; the class as an index
    of the names (``len(names)``: another name), `NO_CLASS` or `BAD_CLASS`."""

    pii: z3.ArithRef
    classification: z3.ArithRef


def _empty(p: Policy) -> z3.BoolRef:
    return z3.And(z3.Not(p.every), *[z3.Not(m) for m in p.member])


class DataAccessTwin:
    """Booleans and finite sets; see the module docstring."""

    exact = True

    def __init__(self, names: tuple[str, ...] = NAMES) -> None:
        self.names = names

    @classmethod
    def for_values(cls, values: Sequence[ConstraintValue]) -> DataAccessTwin:
        """The twin whose universe holds `NAMES` and every name ``values`` mention.

        Raises:
            ValueError: A value is not one the twin reads (see `encode`).
        """
        listed = {n for v in values for n in (_read(v.raw_value)[1] or ())}
        return cls(tuple(sorted(set(NAMES) | listed)))

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
            x.pii <= MALFORMED,
            x.classification >= BAD_CLASS,
            x.classification <= len(self.names),
        )

    def allows(self, p: Policy, x: Access) -> z3.BoolRef:
        listed = z3.Or(*[z3.And(x.classification == i, m) for i, m in enumerate(p.member)])
        return z3.And(
            x.pii != MALFORMED,
            x.classification != BAD_CLASS,
            z3.Or(p.pii, x.pii == FALSE),
            z3.Or(p.every, listed),
        )

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
        child_class = first(
            [(m, z3.IntVal(i)) for i, m in enumerate(child.member)], z3.IntVal(NO_CLASS)
        )
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
                z3.If(child.every, z3.IntVal(NO_CLASS), child_class),
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
        """The policy ``value.raw_value`` denotes (see `_read`).

        Raises:
            ValueError: The raw value is not one the twin reads, or names a
                classification outside the twin's universe.
        """
        pii, classes = _read(value.raw_value)
        missing = set(classes or ()) - set(self.names)
        if missing:
            raise ValueError(
                f"the data_access twin's universe {list(self.names)} lacks {sorted(missing)}"
            )
        if classes == frozenset():
            pii = False  # no classification allows nothing: the one bottom value
        return Policy(
            z3.BoolVal(pii),
            z3.BoolVal(classes is None),
            tuple(z3.BoolVal(classes is not None and n in classes) for n in self.names),
        )

    def encode_context(self, context: dict[str, Any]) -> Access:
        """The context's two keys, each absent, a value, or malformed.

        Raises:
            ValueError: ``data_classification`` is a subclass of str, which the twin does
                not read.
        """
        pii = context.get("contains_pii")
        raw = context.get("data_classification")
        if raw is not None and type(raw) is not str and isinstance(raw, str):
            raise ValueError(f"the data_access twin reads exact strings, got {raw!r}")
        if pii is None:
            code = ABSENT
        else:
            code = (TRUE if pii else FALSE) if type(pii) is bool else MALFORMED
        if raw is None:
            index = NO_CLASS
        elif type(raw) is not str or not raw.strip():
            index = BAD_CLASS
        else:
            name = raw.strip().casefold()
            index = self.names.index(name) if name in self.names else len(self.names)
        return Access(z3.IntVal(code), z3.IntVal(index))

    def runtime_context(self, model: z3.ModelRef, x: Access) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        pii = as_int(model, x.pii)
        if pii != ABSENT:
            shown["contains_pii"] = "yes" if pii == MALFORMED else pii == TRUE
        index = as_int(model, x.classification)
        if 0 <= index < len(self.names):
            shown["data_classification"] = self.names[index]
        elif index == len(self.names):
            other = "unclassified"
            while other in self.names:
                other += "_"
            shown["data_classification"] = other
        elif index == BAD_CLASS:
            shown["data_classification"] = 0
        return shown


def _read(raw: object) -> tuple[bool, frozenset[str] | None]:
    """(PII allowed, classifications) of a raw ``data_access`` value, by its documented rules.

    Raises:
        ValueError: ``raw`` is not a mode, a mode dict or the form compose writes.
    """
    if type(raw) is str:
        return _mode(raw)
    if type(raw) is not dict or not set(raw) <= {"mode", "allowed_classifications"}:
        raise ValueError(f"the data_access twin does not read {raw!r}")
    pii, classes = _mode(raw.get("mode", "no_pii"))
    listed = raw.get("allowed_classifications")
    if listed is None:
        return pii, classes
    items = [listed] if type(listed) is str else listed
    if type(items) not in (list, tuple, set, frozenset) or not all(
        type(item) is str and item.strip() for item in items
    ):
        raise ValueError(f"the data_access twin does not read {raw!r}")
    given = frozenset(item.strip().casefold() for item in items)
    return pii, given if classes is None else classes & given


def _mode(mode: object) -> tuple[bool, frozenset[str] | None]:
    found = MODES.get(mode.strip().lower()) if type(mode) is str else None
    if found is None:
        raise ValueError(f"the data_access twin reads the modes {list(MODES)}, got {mode!r}")
    return found
