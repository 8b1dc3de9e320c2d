"""The z3 proof layer: properties of the lifecycles, checked by ``python -m proofs``.

A property concludes `Proved`, `Refuted` (with a concrete counterexample) or `Unknown`
(with the solver's reason); `Unknown` is never reported as proved.
"""

from proofs._property import Outcome, Property, Settings
from proofs._solver import prove
from proofs._verdict import Proved, Refuted, Unknown, Verdict
from proofs.lifecycles import lifecycle_properties
from proofs.modes import mode_properties
from proofs.product import product_properties


def all_properties() -> list[Property]:
    """Every property ``python -m proofs`` checks, in report order."""
    properties = lifecycle_properties()
    properties += product_properties()
    properties += mode_properties()
    return properties


__all__ = [
    "Outcome",
    "Property",
    "Proved",
    "Refuted",
    "Settings",
    "Unknown",
    "Verdict",
    "all_properties",
    "mode_properties",
    "product_properties",
    "prove",
]
