"""The constraint-algebra laws for the six built-in dimensions, proved on their twins."""

from __future__ import annotations

from proofs._property import Property
from proofs.laws import law_properties
from proofs.twins import builtin_twins


def dimension_properties() -> list[Property]:
    """The ten laws of `proofs.laws` for every built-in dimension, in report order."""
    return [
        prop
        for name, twin in builtin_twins().items()
        for prop in law_properties(twin, f"{name} dimension")
    ]


__all__ = ["dimension_properties"]
