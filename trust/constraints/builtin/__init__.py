"""The six built-in constraint dimensions.

Each parses its constraints into a small immutable value with an exact set meaning, so
tightening (set inclusion) and compose (intersection) are exact; each module's docstring
states the meaning, the context keys, and what a missing or malformed key does.
"""

from __future__ import annotations

from collections.abc import Iterable

from trust._clock import Clock
from trust.constraints._registry import ConstraintDimensionRegistry
from trust.constraints.builtin._communication import CommunicationDimension, HostSet
from trust.constraints.builtin._cost import CostLimitDimension
from trust.constraints.builtin._data_access import DataAccessDimension, DataAccessPolicy
from trust.constraints.builtin._glob import GlobSet
from trust.constraints.builtin._rate import RateLimit, RateLimitDimension
from trust.constraints.builtin._resources import ResourceDimension
from trust.constraints.builtin._time import TimeDimension, TimeWindows, ZoneWindow

__all__ = [
    "CommunicationDimension",
    "CostLimitDimension",
    "DataAccessDimension",
    "DataAccessPolicy",
    "GlobSet",
    "HostSet",
    "RateLimit",
    "RateLimitDimension",
    "ResourceDimension",
    "TimeDimension",
    "TimeWindows",
    "ZoneWindow",
    "register_builtin_dimensions",
]


def register_builtin_dimensions(
    registry: ConstraintDimensionRegistry,
    *,
    clock: Clock | None = None,
    internal_domains: Iterable[str] | None = None,
) -> None:
    """Register the six built-ins, approved, skipping any already registered.

    Idempotent and atomic: calling it twice, or from several threads at once, registers
    each built-in once. A name already taken by a dimension of another class (say a custom
    ``cost_limit``) is an error rather than silently shadowed, and a built-in someone
    registered for review stays pending.

    Args:
        registry: Where to register them.
        clock: The clock `TimeDimension` reads when a context gives no time.
        internal_domains: Replaces the default internal name rules of
            `CommunicationDimension` (see its docstring).

    Raises:
        InvalidTypeError: ``registry`` is not a `ConstraintDimensionRegistry`.
        InvalidValueError: A built-in name is taken by another kind of dimension.
    """
    if not isinstance(registry, ConstraintDimensionRegistry):
        from trust import _validators as check
        from trust._errors import InvalidTypeError

        raise InvalidTypeError(
            f"registry must be a ConstraintDimensionRegistry, got {check.shown(registry)}"
        )
    registry._register_missing(
        [
            CostLimitDimension(),
            TimeDimension(clock=clock),
            ResourceDimension(),
            RateLimitDimension(),
            DataAccessDimension(),
            CommunicationDimension(internal_domains=internal_domains),
        ]
    )
