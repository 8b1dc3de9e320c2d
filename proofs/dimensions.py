"""The six built-in dimensions: their laws, proved on their twins, and the runtime's
conformance to those twins (`proofs.conformance.dimensions`)."""

from __future__ import annotations

import attrs

from trust.proofs._property import Property, Settings
from trust.proofs._verdict import Verdict
from trust.proofs.conformance.dimensions import conformance_properties
from trust.proofs.laws import law_properties
from trust.proofs.twins import builtin_twins

LEAST_TIMEOUT_MS = {"time_window": 30_000, "resources": 30_000, "communication": 30_000}
"""The per-query solver time some twins' laws get at least, whatever ``--timeout`` says.

The time_window twin checks every one of the 1440 minutes of a day in several zones, the
resources twin every path of its 84-path universe, the communication twin label rules
and two address families; their slowest laws take z3 one to four seconds, too close to
the default timeout on a busy machine for a verdict that must not flip to unknown.
"""


LAW_BOUNDS = {
    "cost_limit": "",
    "time_window": (
        "two zones with offset tables {0, 60} and {0, 1140} minutes (every window in each, "
        "every combination of offsets); the real zones' tables only through conformance"
    ),
    "resources": (
        "unions of up to two globs of one or two segments among a, *, a*, ?, **; paths of "
        "one to three segments among a, b, ab, bb; other globs only through conformance "
        "(against the exact regex twin)"
    ),
    "rate_limit": "values of up to two rules (a count per period, or in total)",
    "data_access": (
        "three classification names and one stand-in for every other (each name's "
        "membership is independent of the others')"
    ),
    "communication": (
        "two rules of up to two labels among com, openai, api, evil, each requiring at most "
        "one label; hosts of up to four labels (one more label than those); one address "
        "block per value, 4 bits per family (IPv4, IPv6); real sizes only through "
        "conformance"
    ),
}
"""What the laws of each built-in dimension are proved over, where their twin is bounded."""


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
                attrs.evolve(_at_least(law, LEAST_TIMEOUT_MS.get(name, 0)), bound=LAW_BOUNDS[name])
                for law in law_properties(twin, f"{name} dimension")
            ],
            *[p for p in conforming if p.subject == f"{name} dimension"],
        ]
    ]


__all__ = ["LAW_BOUNDS", "LEAST_TIMEOUT_MS", "dimension_properties"]
