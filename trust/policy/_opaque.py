"""A custom dimension whose code is not at hand: compared by equality, never passed.

A policy may name custom dimensions that the deployment registers in code. Reading the
file without that code (``care-trust check`` and ``diff`` do) still needs the dimension in
the registry, so that the rest of each set can be checked: `OpaqueDimension` stands in for
it. Its values are the file's plain data; two are comparable only when they are equal
(equal values of one dimension allow the same contexts, whatever its code does), and its
check fails every context, naming why: an evaluation never passes on a stand-in.
"""

from __future__ import annotations

import json
from typing import Any

from trust import _validators as check
from trust._errors import InvalidValueError
from trust.constraints import ConstraintCheckResult, ConstraintDimension, ConstraintValue
from trust.constraints.builtin._lattice import all_of_items


def _canonical(value: object) -> str:
    """Plain data as one canonical text; `all_of` parts in any order are one value."""
    try:
        parts = all_of_items(value)
        if parts is not None:
            return json.dumps(sorted({_canonical(p) for p in parts}))
        return json.dumps(value, sort_keys=True, default=repr)
    except (TypeError, ValueError) as error:
        raise InvalidValueError(
            f"custom value must be plain data, got {check.shown(value)}"
        ) from error


class OpaqueDimension(ConstraintDimension):
    """Stands in for the custom dimension ``name`` (see the module docstring)."""

    def __init__(self, name: str) -> None:
        self._name = check.identifier(name, "dimension name")

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return f"custom dimension {self._name!r} (its code is not loaded)"

    def parse(self, value: Any) -> ConstraintValue:
        return ConstraintValue(dimension=self._name, raw_value=value, parsed=_canonical(value))

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        return ConstraintCheckResult(
            satisfied=False,
            reason=f"custom dimension {self._name!r}: its code is not loaded, so nothing passes",
        )

    def validate_tightening(self, parent: ConstraintValue, child: ConstraintValue) -> bool:
        return bool(parent.parsed == child.parsed)

    def compose(self, constraints: list[ConstraintValue]) -> ConstraintValue:
        if not constraints:
            raise InvalidValueError("constraints must be a non-empty list to compose, got []")
        distinct = {c.parsed: c for c in constraints}
        if len(distinct) == 1:
            return constraints[0]
        raw = {"all_of": [c.raw_value for c in distinct.values()]}
        return self.parse(raw)


__all__ = ["OpaqueDimension"]
