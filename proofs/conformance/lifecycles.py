"""The lifecycle conformance checks: the posture machine, the breaker, and the two coupled."""

from __future__ import annotations

from trust.proofs._property import Property
from trust.proofs.conformance import breaker, coupling, ladder, posture


def lifecycle_conformance_properties() -> list[Property]:
    """The runtime's lifecycles held to the posture spec, the breaker spec and the product."""
    return posture.properties() + ladder.properties() + breaker.properties() + coupling.properties()


__all__ = ["lifecycle_conformance_properties"]
