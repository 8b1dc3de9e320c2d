"""The z3 proof layer: lifecycles, their product, the constraint dimensions and the
interaction modes, checked by ``python -m proofs``.

A property concludes `Proved`, `Refuted` (with a concrete counterexample) or `Unknown`
(with the solver's reason); `Unknown` is never reported as proved.

For users' own dimensions and delegations: `verify_dimension` proves the same laws for a
custom dimension on its twin and holds its runtime to the twin (or samples the laws on
the runtime when it has no symbolic twin), and `verify_delegation` checks a chain of
delegated constraint sets, with counterexamples the runtime confirms. Both give the same
report for the same input in every call and process. `unproved` says why a constraint
value lies outside what the proofs cover (None when it does not).
"""

from proofs._delegation import DelegationReport, Hop, Search, verify_delegation
from proofs._property import Outcome, Property, Settings
from proofs._solver import prove
from proofs._unproved import unproved
from proofs._verdict import Proved, Refuted, Unknown, Verdict
from proofs._verify import DimensionReport, verify_dimension
from proofs.conformance.lifecycles import lifecycle_conformance_properties
from proofs.conformance.modes import conformance_properties as mode_conformance_properties
from proofs.dimensions import dimension_properties
from proofs.lifecycles import lifecycle_properties
from proofs.modes import mode_properties
from proofs.product import product_properties


def all_properties() -> list[Property]:
    """Every property ``python -m proofs`` checks, in report order."""
    return (
        lifecycle_properties()
        + product_properties()
        + dimension_properties()
        + mode_properties()
        + mode_conformance_properties()
        + lifecycle_conformance_properties()
    )


__all__ = [
    "DelegationReport",
    "DimensionReport",
    "Hop",
    "Outcome",
    "Property",
    "Proved",
    "Refuted",
    "Search",
    "Settings",
    "Unknown",
    "Verdict",
    "all_properties",
    "dimension_properties",
    "mode_properties",
    "product_properties",
    "prove",
    "unproved",
    "verify_delegation",
    "verify_dimension",
]
