"""The constraint-algebra laws for the six built-in dimensions, proved on their twins."""

from __future__ import annotations

import attrs

from proofs._property import Property, Settings
from proofs._verdict import Verdict
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
    """The ten laws of `proofs.laws` for every built-in dimension, in report order."""
    return [
        _at_least(prop, LEAST_TIMEOUT_MS.get(name, 0))
        for name, twin in builtin_twins().items()
        for prop in law_properties(twin, f"{name} dimension")
    ]


__all__ = ["LEAST_TIMEOUT_MS", "dimension_properties"]
