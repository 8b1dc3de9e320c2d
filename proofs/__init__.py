"""The z3 proof layer: lifecycles, their product, the constraint dimensions and the
interaction modes, checked by ``python -m trust.proofs``.

A property concludes `Proved`, `Refuted` (with a concrete counterexample) or `Unknown`
(with the solver's reason); `Unknown` is never reported as proved.

For users' own dimensions and delegations: `verify_dimension` proves the same laws for a
custom dimension on its twin and holds its runtime to the twin (or samples the laws on
the runtime when it has no symbolic twin), and `verify_delegation` checks a chain of
delegated constraint sets, with counterexamples the runtime confirms. Both give the same
report for the same input in every call and process. `unproved` says why a constraint
value lies outside what the proofs cover (None when it does not).

`CATALOGUE` states, once, everything the proofs know about each built-in dimension: its
twins, their bounds, its runtime cases and its conformance universe.
"""

from trust.proofs._catalogue import CATALOGUE, CatalogueEntry, law_twin, witness_twin
from trust.proofs._delegation import DelegationReport, Hop, verify_delegation
from trust.proofs._property import Outcome, Property, Settings
from trust.proofs._solver import prove
from trust.proofs._unproved import unproved
from trust.proofs._verdict import Proved, Refuted, Unknown, Verdict
from trust.proofs._verify import DimensionReport, verify_dimension
from trust.proofs._witness import Search
from trust.proofs.conformance.lifecycles import lifecycle_conformance_properties
from trust.proofs.conformance.modes import conformance_properties as mode_conformance_properties
from trust.proofs.dimensions import dimension_properties
from trust.proofs.lifecycles import lifecycle_properties
from trust.proofs.modes import mode_properties
from trust.proofs.product import product_properties


def all_properties() -> list[Property]:
    """Every property ``python -m trust.proofs`` checks, in report order."""
    return (
        lifecycle_properties()
        + product_properties()
        + dimension_properties()
        + mode_properties()
        + mode_conformance_properties()
        + lifecycle_conformance_properties()
    )


__all__ = [
    "CATALOGUE",
    "CatalogueEntry",
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
    "law_twin",
    "mode_properties",
    "product_properties",
    "prove",
    "unproved",
    "verify_delegation",
    "verify_dimension",
    "witness_twin",
]
