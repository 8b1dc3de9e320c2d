"""``cost_limit``: a budget, in cents.

Set semantics: the limit ``L`` (a finite float ``>= 0``) allows exactly the contexts whose
``cost_used`` is a finite number with ``0 <= cost_used <= L``. So a child is tighter iff
``L_child <= L_parent``, and compose is the minimum: both exact. These are the defaults of
`ConstraintDimension`, which this dimension keeps.

Parse: an int, a float or a numeric string; it must be finite and non-negative. Bools are
refused (``True`` is not a budget). A value no float holds exactly is read as the nearest
float, but never rounded up past a whole number of cents (``2**53 + 3`` is read as
``2**53 + 2``), so an int cost above the written limit never passes. Subclasses of int,
float and str are read as the builtin value they hold.

Context: ``cost_used`` must be present and a finite, non-negative int or float. A missing
key, a string, a bool, NaN, infinity or a negative number fails the check with the reason:
the cost of an action that does not say what it cost is unknown. It is read once, as the
number it holds, and compared exactly (an int is never rounded to a float first).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_number, exact_str
from trust.constraints._dimension import (
    ConstraintCheckResult,
    ConstraintDimension,
    ConstraintValue,
    unchecked_result,
)
from trust.constraints._reading import plain_data, read_context
from trust.constraints.builtin._lattice import finite_non_negative

CONTEXT_KEY = "cost_used"
_METADATA = {"unit": "cents"}


def parse_limit(value: object) -> float:
    """A finite, non-negative budget from a number or a numeric string.

    The budget is the nearest float, except that it is never rounded up to a whole number
    of cents above the value written (``2**53 + 3`` would round to ``2**53 + 4``; it is read
    as ``2**53 + 2``): an int ``cost_used`` passes exactly when it is within the limit as
    written. (A float ``cost_used`` is compared with the float limit, as written in Python.)

    Raises:
        InvalidTypeError: ``value`` is a bool or neither a number nor a string.
        InvalidValueError: It is not numeric, not finite, or negative.
    """
    # Each message opens with kaizen.trust's words for the same refusal.
    refusal = f"cost_limit must be a finite, non-negative number of cents, got {check.shown(value)}"
    text = exact_str(value)
    written: int | float | Decimal | None
    if text is not None:
        try:
            number = float(text.strip())
            written = Decimal(text.strip()) if math.isfinite(number) else None
        except (ValueError, ArithmeticError):
            raise InvalidValueError(f"Cannot parse cost limit: {refusal}") from None
    else:
        written = exact_number(value)
        if written is None:
            raise InvalidTypeError(f"Cannot parse cost limit: {refusal}")
        try:
            number = float(written)
        except OverflowError:
            raise InvalidValueError(f"Cannot parse cost limit: {refusal}") from None
    if not math.isfinite(number):
        raise InvalidValueError(f"Cannot parse cost limit: {refusal}")
    if number < 0:
        raise InvalidValueError(f"Cost limit must be non-negative: {refusal}")
    # Decimal(float) is exact, and math.floor of an int, a float or a Decimal is exact too.
    exact = Decimal(number) if type(written) is Decimal else number
    if exact > written and math.floor(number) > math.floor(written):  # type: ignore[operator,arg-type]
        number = math.nextafter(number, 0.0)
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
        parsed = parse_limit(value)
        # Keep the exact value parsed, not a subclass that may show something else later.
        raw = plain_data(value, self.name)
        return ConstraintValue(
            dimension=self.name, raw_value=raw, parsed=parsed, metadata=_METADATA
        )

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        """Pass iff ``0 <= context["cost_used"] <= limit``."""
        if type(context) is not dict:
            read = read_context(context)
            if isinstance(read, ConstraintCheckResult):
                return read
            context = read
        limit = constraint.parsed
        used = context.get(CONTEXT_KEY, _ABSENT)
        kind = type(used)
        if (kind is float or kind is int) and 0 <= used <= limit:  # the common case, fast
            used = float(used)
            return unchecked_result(True, _WITHIN, limit - used, used, limit)
        if used is _ABSENT:
            return unchecked_result(
                False, f"{CONTEXT_KEY} is missing: the cost of the action is unknown", limit=limit
            )
        # Read once, as the number it holds: a subclass may lie in its comparisons.
        exact = exact_number(used)
        number = finite_non_negative(exact)
        if exact is None or number is None:
            return unchecked_result(
                False,
                f"{CONTEXT_KEY} must be a finite, non-negative number, got {check.shown(used)}",
                limit=limit,
            )
        # Compare the reported value itself: an int beyond 2**53 rounds as a float and
        # could pass a limit it exceeds.
        if exact <= limit:
            return unchecked_result(True, _WITHIN, limit - number, number, limit)
        return unchecked_result(False, f"over budget by {number - limit:g}", 0.0, number, limit)

    def loosening_example(self, parent: ConstraintValue, child: ConstraintValue) -> str | None:
        """The child's own limit as ``cost_used``: the child allows it, the parent does not."""
        if float(child.parsed) <= float(parent.parsed):
            return None
        return f"the child allows {{'{CONTEXT_KEY}': {float(child.parsed)!r}}}, the parent does not"


_WITHIN = "within budget"


class _Absent:
    __slots__ = ()


_ABSENT = _Absent()
