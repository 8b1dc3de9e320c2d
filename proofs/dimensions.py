"""The six built-in dimensions: their laws, proved on their twins, and the runtime's
conformance to those twins (`proofs.conformance.dimensions`)."""

from __future__ import annotations

import attrs

from proofs._property import Property, Settings
from proofs._verdict import Verdict
from proofs.conformance.dimensions import conformance_properties
from proofs.laws import law_properties
from proofs.twins import builtin_twins

LEAST_TIMEOUT_MS = {"time_window": 30_000}
"""The per-query solver time some twins' laws get at least, whatever ``--timeout`` says.

The time_window twin checks every one of the 1440 minutes of a day in several zones; its
slowest laws take z3 about two seconds, too close to the default timeout on a busy
machine for a verdict that must not flip to unknown.
"""


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
        for name, twin in builtin_twins().items()
        for prop in [
            *[
                _at_least(law, LEAST_TIMEOUT_MS.get(name, 0))
                for law in law_properties(twin, f"{name} dimension")
            ],
            *[p for p in conforming if p.subject == f"{name} dimension"],
        ]
    ]


__all__ = ["LEAST_TIMEOUT_MS", "dimension_properties"]
