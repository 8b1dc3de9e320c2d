"""The symbolic-twin protocol: a dimension's constraint algebra as z3 terms.

A twin mirrors what a dimension's runtime does, not an idealisation of it: ``allows`` is
the twin of ``check``, ``tighter`` of ``validate_tightening`` and ``meet`` of ``compose``.
The laws of `proofs.laws` are stated over any object with these methods, so a custom
dimension proves the same laws as the built-ins by returning one from ``symbolic()``.

The ``symbolic()`` protocol: a `ConstraintDimension` that defines a method
``symbolic(self) -> SymbolicTwin`` (no arguments) has its laws proved by z3 in
`proofs.verify_dimension`; one without it can only be law-checked by sampling. If the
twin also has the `proofs.twins.ConcreteTwin` methods (``encode``, ``encode_context``,
``runtime_context``), `verify_dimension` can test that the runtime agrees with it, and
`proofs.verify_delegation` can turn a widening hop into a concrete context. ``trust`` never
calls ``symbolic()``, so a dimension may import z3 inside it and stay light at run time.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import z3


@runtime_checkable
class SymbolicTwin(Protocol):
    """A dimension's constraints, contexts, check, tightening and compose as z3 terms.

    Symbolic values are whatever the twin likes (a z3 term, a tuple of them, an attrs
    value holding them); the laws only pass them back to the twin. Every law is proved
    for all values of the free constants that ``well_formed`` and ``admissible`` admit.

    Attributes:
        exact: Whether ``tighter`` is claimed to be exact: ``not tighter(c, p)`` implies
            that ``witness(c, p)`` is a context ``c`` allows and ``p`` refuses. A twin of a
            deliberately conservative runtime says False; the exactness law is then
            expected to be refuted, and its counterexample shows where.
    """

    @property
    def exact(self) -> bool: ...

    def constraint(self, name: str) -> Any:
        """A fresh symbolic constraint whose constants are prefixed with ``name``."""

    def context(self, name: str) -> Any:
        """A fresh symbolic context whose constants are prefixed with ``name``."""

    def well_formed(self, constraint: Any) -> z3.BoolRef:
        """What the parser guarantees of a constraint (bounds, normal form)."""

    def admissible(self, context: Any) -> z3.BoolRef:
        """The domain of contexts (bounds of a finite encoding)."""

    def allows(self, constraint: Any, context: Any) -> z3.BoolRef:
        """The twin of ``check(constraint, context).satisfied``."""

    def tighter(self, child: Any, parent: Any) -> z3.BoolRef:
        """The twin of ``validate_tightening(parent, child)``."""

    def meet(self, a: Any, b: Any) -> Any:
        """The twin of ``compose([a, b])``."""

    def witness(self, child: Any, parent: Any) -> Any:
        """A context ``child`` allows and ``parent`` refuses whenever ``child`` is not tighter.

        A symbolic term built from the two constraints (the twin of
        ``loosening_example``); the exactness law proves it is one.
        """

    def show_constraint(self, model: z3.ModelRef, constraint: Any) -> str:
        """A constraint as the user writes it, read off ``model``."""

    def show_context(self, model: z3.ModelRef, context: Any) -> str:
        """A context in the user's notation, read off ``model``."""
