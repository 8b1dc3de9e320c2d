"""``cost_limit``: a budget, in cents.

Set semantics: the limit ``L`` (a finite float ``>= 0``) allows exactly the contexts whose
``cost_used`` is a finite number with ``0 <= cost_used <= L``. So a child is tighter iff
``L_child <= L_parent``, and compose is the minimum: both exact. These are the defaults of
`ConstraintDimension`, which this dimension keeps.

Parse: an int, a float or a numeric string; it must be finite and non-negative. Bools are
refused (``True`` is not a budget).

Context: ``cost_used`` must be present and a finite, non-negative int or float. A missing
key, a string, a bool, NaN, infinity or a negative number fails the check with the reason:
the cost of an action that does not say what it cost is unknown.
"""

from __future__ import annotations

import math
from typing import Any

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints._dimension import (
    ConstraintCheckResult,
    ConstraintDimension,
    ConstraintValue,
    trusted_result,
)
from trust.constraints.builtin._lattice import finite_non_negative, is_number, not_a_mapping

CONTEXT_KEY = "cost_used"
_METADATA = {"unit": "cents"}


def parse_limit(value: object) -> float:
    """A finite, non-negative budget from a number or a numeric string.

    Raises:
        InvalidTypeError: ``value`` is a bool or neither a number nor a string.
        InvalidValueError: It is not numeric, not finite, or negative.
    """
    rule = "a finite, non-negative number of cents"
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise InvalidValueError(
                f"cost_limit must be {rule}, got {check.shown(value)}"
            ) from None
    elif is_number(value):
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:
            raise InvalidValueError(
                f"cost_limit must be {rule}, got {check.shown(value)}"
            ) from None
    else:
        raise InvalidTypeError(f"cost_limit must be {rule}, got {check.shown(value)}")
    if not math.isfinite(number) or number < 0:
        raise InvalidValueError(f"cost_limit must be {rule}, got {check.shown(value)}")
    return number


class CostLimitDimension(ConstraintDimension):
    """Maximum cost budget in cents; the context reports ``cost_used``.

    >>> dim = CostLimitDimension()
    >>> dim.check(dim.parse(1000.0), {"cost_used": 500.0}).remaining
    500.0
    """

    @property
    def name(self) -> str:
        return "cost_limit"

    @property
    def description(self) -> str:
        return "Maximum cost limit in cents"

    @property
    def requires_audit(self) -> bool:
        return True

    def parse(self, value: Any) -> ConstraintValue:
        """Parse a budget; see the module docstring for what is accepted."""
        return ConstraintValue(
            dimension=self.name, raw_value=value, parsed=parse_limit(value), metadata=_METADATA
        )

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        """Pass iff ``0 <= context["cost_used"] <= limit``."""
        if context.__class__ is not dict:
            bad = not_a_mapping(context)
            if bad is not None:
                return bad
        limit = constraint.parsed
        used = context.get(CONTEXT_KEY, _ABSENT)
        kind = used.__class__
        if (kind is float or kind is int) and 0 <= used <= limit:  # the common case, fast
            used = float(used)
            return trusted_result(True, _WITHIN, limit - used, used, limit)
        if used is _ABSENT:
            return trusted_result(
                False, f"{CONTEXT_KEY} is missing: the cost of the action is unknown", limit=limit
            )
        used = finite_non_negative(used)
        if used is None:
            return trusted_result(
                False,
                f"{CONTEXT_KEY} must be a finite, non-negative number, got "
                f"{check.shown(context[CONTEXT_KEY])}",
                limit=limit,
            )
        # Compare the reported value itself: an int beyond 2**53 rounds down as a float
        # and could pass a limit it exceeds.
        if context[CONTEXT_KEY] <= limit:
            return trusted_result(True, _WITHIN, limit - used, used, limit)
        return trusted_result(False, f"over budget by {used - limit:g}", 0.0, used, limit)

    def loosening_example(self, parent: ConstraintValue, child: ConstraintValue) -> str | None:
        """The child's own limit as ``cost_used``: the child allows it, the parent does not."""
        if float(child.parsed) <= float(parent.parsed):
            return None
        return f"the child allows {{'{CONTEXT_KEY}': {float(child.parsed)!r}}}, the parent does not"


_WITHIN = "within budget"


class _Absent:
    __slots__ = ()


_ABSENT = _Absent()
