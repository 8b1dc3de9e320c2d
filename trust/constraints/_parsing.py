"""Raw constraint values parsed once per registry generation: the evaluator's value cache.

Evaluation plans and tightening questions both parse raw values through one `ValueParser`,
so a value is parsed once whichever asks first. Parsing fails closed: an unknown or
pending dimension, a ``parse`` that raises or returns something other than a
`ConstraintValue`, each comes back as the reason the value cannot be used.
"""

from __future__ import annotations

from trust import _validators as check
from trust._shown import error_text
from trust.constraints._cache import MISSING, BoundedCache
from trust.constraints._dimension import ConstraintValue
from trust.constraints._modes import show
from trust.constraints._registry import ConstraintDimensionRegistry

Parsed = tuple[ConstraintValue | None, str | None]
"""A parsed raw value, or why it cannot be used: ``(value, None)`` or ``(None, message)``."""


class ValueParser:
    """Parses raw values with the registry's dimensions, caching by the raw value's key.

    A cached value is reused only under the registry generation it was parsed in:
    registering or approving a dimension makes every earlier answer stale.
    """

    def __init__(
        self,
        registry: ConstraintDimensionRegistry,
        cache: BoundedCache[tuple[str, bytes], tuple[int, Parsed]],
    ) -> None:
        self._registry = registry
        self._values = cache

    def parse(self, name: str, raw: object, frozen: bytes | None, generation: int) -> Parsed:
        """``raw`` parsed by dimension ``name``; ``frozen`` is its cache key (None: uncached)."""
        if frozen is None:
            return self._parse_uncached(name, raw)
        key = (name, frozen)
        cached = self._values.get(key)
        if cached is not MISSING and cached[0] == generation:  # type: ignore[index]
            return cached[1]  # type: ignore[index]
        parsed = self._parse_uncached(name, raw)
        self._values.put(key, (generation, parsed), replace=True)
        return parsed

    def _parse_uncached(self, name: str, raw: object) -> Parsed:
        dimension = self._registry.get(name)
        if dimension is None:
            if self._registry.has(name):
                return None, f"dimension '{name}' is pending security review"
            return None, f"unknown dimension '{name}'"
        try:
            value = dimension.parse(raw)
        except Exception as exc:
            return None, f"invalid constraint {show(raw)}: {error_text(exc)}"
        if not isinstance(value, ConstraintValue):
            return None, f"parse must return a ConstraintValue, got {check.shown(value)}"
        return value, None
