"""Conformance of the six built-in dimensions: the code that runs against the proved twins.

For each dimension, one property runs the runtime's ``check``, ``validate_tightening``
and ``compose`` (the dimension objects of `trust.constraints.builtin`, as the evaluator
calls them) on every case of a bounded universe and compares each verdict with the twin
the laws of `proofs.dimensions` are proved on (`proofs.conformance._compare`). The
property's ``bound`` names the universe; ``--deep`` enlarges it.
"""

from __future__ import annotations

from collections.abc import Callable

from proofs._property import Property, Settings
from proofs._verdict import Verdict
from proofs.conformance._compare import conformance
from proofs.conformance._hosts import communication_scope
from proofs.conformance._scalars import Scope, cost_scope, data_access_scope, rate_scope
from proofs.conformance._time import time_scope

NAME = "runtime check, validate_tightening and compose agree with the twin"

SCOPES: dict[str, Callable[[bool], Scope]] = {
    "cost_limit": cost_scope,
    "time_window": time_scope,
    "rate_limit": rate_scope,
    "data_access": data_access_scope,
    "communication": communication_scope,
}
"""Each built-in dimension's universe, by dimension name (``deep`` -> its scope)."""


def _check(scope: Callable[[bool], Scope]) -> Callable[[Settings], Verdict]:
    def check(settings: Settings) -> Verdict:
        return conformance(scope(settings.deep).universe)

    return check


def conformance_properties() -> list[Property]:
    """One conformance property per built-in dimension, in the order of the laws."""
    return [
        Property(
            name=NAME,
            subject=f"{name} dimension",
            method="runtime vs twin, exhaustive",
            check=_check(scope),
            bound=scope(False).bound,
        )
        for name, scope in SCOPES.items()
    ]


__all__ = ["NAME", "SCOPES", "conformance_properties"]
