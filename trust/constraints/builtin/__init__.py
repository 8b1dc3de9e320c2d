"""The six built-in constraint dimensions.

Each parses its constraints into a small immutable value with an exact set meaning, so
tightening (set inclusion) and compose (intersection) are exact; each module's docstring
states the meaning, the context keys, and what a missing or malformed key does.

Besides the dimensions and their values, this package exports the pieces of their
semantics that the symbolic twins of `trust.proofs` read (context keys, how a target's
host and a context's time are read, a zone's offsets): a twin is held to the runtime's
own reading, never to a copy of it, and never reaches into a private module for it.
"""

from __future__ import annotations

from collections.abc import Iterable

from trust._clock import Clock
from trust.constraints._registry import ConstraintDimensionRegistry
from trust.constraints.builtin._communication import CONTEXT_KEY as COMMUNICATION_CONTEXT_KEY
from trust.constraints.builtin._communication import CommunicationDimension, HostSet
from trust.constraints.builtin._cost import CONTEXT_KEY as COST_CONTEXT_KEY
from trust.constraints.builtin._cost import CostLimitDimension
from trust.constraints.builtin._data_access import DataAccessDimension, DataAccessPolicy
from trust.constraints.builtin._glob import GlobSet
from trust.constraints.builtin._lattice import ALL_OF
from trust.constraints.builtin._moment import Unplaceable, exact_moment
from trust.constraints.builtin._moment import placed as placed_moment
from trust.constraints.builtin._rate import WINDOWS as RATE_WINDOWS
from trust.constraints.builtin._rate import RateLimit, RateLimitDimension
from trust.constraints.builtin._rate import rules_of as rate_rules_of
from trust.constraints.builtin._resources import ResourceDimension
from trust.constraints.builtin._target import NoHost, parse_target, read_host
from trust.constraints.builtin._time import CONTEXT_KEY as TIME_CONTEXT_KEY
from trust.constraints.builtin._time import TimeDimension, TimeWindows, ZoneWindow
from trust.constraints.builtin._window_inclusion import MINUTES as MINUTES_PER_DAY
from trust.constraints.builtin._window_inclusion import intervals_of as minute_intervals
from trust.constraints.builtin._zones import instant_at
from trust.constraints.builtin._zones import offset_minutes as zone_offset_minutes
from trust.constraints.builtin._zones import together as offsets_together

__all__ = [
    "ALL_OF",
    "COMMUNICATION_CONTEXT_KEY",
    "COST_CONTEXT_KEY",
    "MINUTES_PER_DAY",
    "RATE_WINDOWS",
    "TIME_CONTEXT_KEY",
    "CommunicationDimension",
    "CostLimitDimension",
    "DataAccessDimension",
    "DataAccessPolicy",
    "GlobSet",
    "HostSet",
    "NoHost",
    "RateLimit",
    "RateLimitDimension",
    "ResourceDimension",
    "TimeDimension",
    "TimeWindows",
    "Unplaceable",
    "ZoneWindow",
    "exact_moment",
    "instant_at",
    "minute_intervals",
    "offsets_together",
    "parse_target",
    "placed_moment",
    "rate_rules_of",
    "read_host",
    "register_builtin_dimensions",
    "zone_offset_minutes",
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
