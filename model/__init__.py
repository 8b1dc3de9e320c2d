"""The lifecycles of care-trust, declared once as python-statemachine classes.

Everything else that needs to know which transitions exist (the runtime tables in
``trust/_generated/``, the diagrams in ``diagrams/``, the proofs) reads them from here
through `read_spec`.
"""

from trust.model.breaker import SPEC as BREAKER_SPEC
from trust.model.breaker import BreakerLifecycle
from trust.model.coupling_lifecycle import SPEC as COUPLING_SPEC
from trust.model.coupling_lifecycle import CouplingLifecycle, CouplingSpec, Trigger
from trust.model.posture import SPEC as POSTURE_SPEC
from trust.model.posture import PostureLifecycle
from trust.model.spec import LifecycleDefinitionError, LifecycleSpec, Transition, read_spec

LIFECYCLES: tuple[LifecycleSpec, ...] = (POSTURE_SPEC, BREAKER_SPEC)
"""Every declared lifecycle, in the order codegen and diagrams process them."""

TABLES: tuple[LifecycleSpec | CouplingSpec, ...] = (*LIFECYCLES, COUPLING_SPEC)
"""Everything codegen writes a runtime table for: the lifecycles, then their coupling."""

__all__ = [
    "BREAKER_SPEC",
    "COUPLING_SPEC",
    "LIFECYCLES",
    "POSTURE_SPEC",
    "TABLES",
    "BreakerLifecycle",
    "CouplingLifecycle",
    "CouplingSpec",
    "LifecycleDefinitionError",
    "LifecycleSpec",
    "PostureLifecycle",
    "Transition",
    "Trigger",
    "read_spec",
]
