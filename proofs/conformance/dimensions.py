"""Conformance of the six built-in dimensions: the code that runs against the proved twins.

For each dimension, one property runs the runtime's ``check``, ``validate_tightening``
and ``compose`` (the dimension objects of `trust.constraints.builtin`, as the evaluator
calls them) on every case of a bounded universe and compares each verdict with the twin
the laws of `proofs.dimensions` are proved on (`proofs.conformance._compare`). The
property's ``bound`` names the universe; ``--deep`` enlarges it. ``resources`` has a
second property for globs beyond its bounded twin, against the exact regex twin.
"""

from __future__ import annotations

from collections.abc import Callable

from trust.proofs._property import Property, Settings
from trust.proofs._verdict import Verdict
from trust.proofs.conformance._compare import conformance
from trust.proofs.conformance._hosts import communication_scope
from trust.proofs.conformance._paths import REAL_GLOBS_BOUND, real_globs, resources_scope
from trust.proofs.conformance._scalars import Scope, cost_scope, data_access_scope, rate_scope
from trust.proofs.conformance._time import time_scope

NAME = "runtime check, validate_tightening and compose agree with the twin"
REAL_GLOBS = "runtime check and validate_tightening agree with the z3 regex twin on real globs"
METHOD = "runtime vs twin, exhaustive"

SCOPES: dict[str, Callable[[bool], Scope]] = {
    "cost_limit": cost_scope,
    "time_window": time_scope,
    "resources": resources_scope,
    "rate_limit": rate_scope,
    "data_access": data_access_scope,
    "communication": communication_scope,
}
"""Each built-in dimension's universe, by dimension name (``deep`` -> its scope)."""


def _check(scope: Callable[[bool], Scope]) -> Callable[[Settings], Verdict]:
    def check(settings: Settings) -> Verdict:
        return conformance(scope(settings.deep).universe)

    return check


def _real_globs(settings: Settings) -> Verdict:
    return real_globs(settings.deep)


def conformance_properties() -> list[Property]:
    """The conformance properties of the built-in dimensions, in the order of the laws."""
    props = []
    for name, scope in SCOPES.items():
        subject = f"{name} dimension"
        props.append(
            Property(
                name=NAME,
                subject=subject,
                method=METHOD,
                check=_check(scope),
                bound=scope(False).bound,
            )
        )
        if name == "resources":
            props.append(
                Property(
                    name=REAL_GLOBS,
                    subject=subject,
                    method=f"{METHOD}; z3 inclusion",
                    check=_real_globs,
                    bound=REAL_GLOBS_BOUND,
                )
            )
    return props


__all__ = ["METHOD", "NAME", "REAL_GLOBS", "SCOPES", "conformance_properties"]
