"""The z3 proof layer: lifecycles, their product, the constraint dimensions and the
interaction modes, checked by ``python -m proofs``.

A property concludes `Proved`, `Refuted` (with a concrete counterexample) or `Unknown`
(with the solver's reason); `Unknown` is never reported as proved.
"""

from proofs._property import Outcome, Property, Settings
from proofs._solver import prove
from proofs._verdict import Proved, Refuted, Unknown, Verdict
from proofs.dimensions import dimension_properties
from proofs.lifecycles import lifecycle_properties
from proofs.modes import mode_properties
from proofs.product import product_properties


def all_properties() -> list[Property]:
    """Every property ``python -m proofs`` checks, in report order."""
    return (
        lifecycle_properties() + product_properties() + dimension_properties() + mode_properties()
    )


__all__ = [
    "Outcome",
    "Property",
    "Proved",
    "Refuted",
    "Settings",
    "Unknown",
    "Verdict",
    "all_properties",
    "dimension_properties",
    "mode_properties",
    "product_properties",
    "prove",
]
