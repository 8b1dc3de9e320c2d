"""The six built-in dimensions of `proofs.CATALOGUE`: their laws, proved on their twins
over the bounds the catalogue states, and the runtime's conformance to those twins
(`proofs.conformance.dimensions`)."""

from __future__ import annotations

import attrs

from trust.proofs._catalogue import CATALOGUE
from trust.proofs._property import Property, Settings
from trust.proofs._verdict import Verdict
from trust.proofs.conformance.dimensions import conformance_properties
from trust.proofs.laws import law_properties


def _at_least(prop: Property, least_ms: int) -> Property:
    def check(settings: Settings) -> Verdict:
        return prop.check(Settings(timeout_ms=max(settings.timeout_ms, least_ms)))

    return attrs.evolve(prop, check=check)


def dimension_properties() -> list[Property]:
    """For every built-in dimension, in report order: the ten laws of `proofs.laws` on its
    twin, then the conformance of the runtime to that twin."""
    conforming = conformance_properties()
    return [
        prop
        for entry in CATALOGUE.values()
        for prop in [
            *[
                attrs.evolve(_at_least(law, entry.least_timeout_ms), bound=entry.law_bound)
                for law in law_properties(entry.laws(), f"{entry.name} dimension")
            ],
            *[p for p in conforming if p.subject == f"{entry.name} dimension"],
        ]
    ]


__all__ = ["dimension_properties"]
