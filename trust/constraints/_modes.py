"""Interaction modes: how dimension verdicts combine, and what a delegated child may change.

Both are pure functions of their arguments, so the proofs can state them directly:

- `combine` is the verdict of a whole constraint set under a mode, from the verdicts of
  its dimensions in order. An empty set is satisfied in every mode: it restricts nothing.
  It is stated once, in `combine_counts`; the evaluator's hot path calls that too.
- `shape_violations` lists what a child constraint set does to its parent's dimensions
  that could let it allow more under the mode. Under CONJUNCTIVE every dimension must
  pass, so adding one only restricts and dropping one may widen; under DISJUNCTIVE one
  passing dimension suffices, so dropping one only restricts (as long as one is left:
  an empty set allows everything) and adding one may widen; INDEPENDENT counts a
  majority, so both may widen; HIERARCHICAL follows the first dimension, so the order
  must stay too. A parent with no constraints allows everything: nothing a child does
  can widen it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trust import _validators as check
from trust._enums import FoldedStrEnum
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_number, exact_str


class InteractionMode(FoldedStrEnum):
    """How the verdicts of several dimensions combine into one.

    - ``CONJUNCTIVE``: every dimension must pass (the default).
    - ``DISJUNCTIVE``: at least one must pass.
    - ``INDEPENDENT``: a strict majority must pass; a tie fails.
    - ``HIERARCHICAL``: the first dimension, in the constraint set's order, decides; the
      order of the mapping is the priority. The others are still checked and reported.

    Values resolve in any case: ``InteractionMode("Conjunctive")``.
    """

    INDEPENDENT = "independent"
    CONJUNCTIVE = "conjunctive"
    DISJUNCTIVE = "disjunctive"
    HIERARCHICAL = "hierarchical"

    @classmethod
    def coerce(cls, value: object, name: str = "mode") -> InteractionMode:
        """A mode from a mode or its value in any case.

        Raises:
            InvalidTypeError: ``value`` is neither a mode nor a string.
            InvalidValueError: ``value`` names no mode.
        """
        if type(value) is InteractionMode:
            return value
        names = ", ".join(m.name for m in cls)
        # The exact string: a subclass could hash and compare like another mode's value.
        text = exact_str(value)
        if text is None:
            raise InvalidTypeError(
                f"{name} must be an InteractionMode ({names}), got {check.shown(value)}"
            )
        try:
            return cls(text)
        except ValueError:
            raise InvalidValueError(
                f"{name} must be an InteractionMode ({names}), got {check.shown(value)}"
            ) from None


def combine(mode: InteractionMode, verdicts: Sequence[bool]) -> bool:
    """The verdict of a constraint set whose dimensions, in order, gave ``verdicts``."""
    return combine_counts(
        mode, len(verdicts), verdicts.count(True), bool(verdicts) and verdicts[0] is True
    )


def combine_counts(mode: InteractionMode, total: int, passed: int, first: bool) -> bool:
    """`combine` of ``total`` verdicts, ``passed`` of them True and the first one ``first``.

    The one statement of the rule: `combine` and the evaluator's hot path both call it.
    Every mode's verdict depends on these three numbers only, which is what lets the
    proofs encode it over a symbolic number of dimensions.
    """
    if total == 0:
        return True
    if mode is InteractionMode.CONJUNCTIVE:
        return passed == total
    if mode is InteractionMode.DISJUNCTIVE:
        return passed > 0
    if mode is InteractionMode.INDEPENDENT:
        return 2 * passed > total
    if mode is InteractionMode.HIERARCHICAL:
        return first
    raise InvalidValueError(f"mode must be an InteractionMode, got {check.shown(mode)}")


def show(raw: object) -> str:
    """A raw constraint value as messages quote it: plain for scalars, else its repr.

    A subclass of str, int or float is quoted as the value it holds, whatever its
    ``__str__`` says.
    """
    scalar: str | int | float | None = exact_str(raw)
    if scalar is None:
        scalar = exact_number(raw)
    if scalar is None:
        return check.shown(raw)
    try:
        text = str(scalar)
    except ValueError:  # an int too long to print
        return check.shown(scalar)
    return text if len(text) <= 80 else check.shown(scalar)


def shape_violations(
    parent: Mapping[str, Any], child: Mapping[str, Any], mode: InteractionMode
) -> list[str]:
    """What ``child`` adds, drops or reorders that ``mode`` does not allow (see above)."""
    if not parent:
        return []
    dropped = [name for name in parent if name not in child]
    added = [name for name in child if name not in parent]
    violations: list[str] = []
    if mode is not InteractionMode.DISJUNCTIVE:
        for name in dropped:
            violations.append(
                f"Dimension '{name}': child drops the parent's constraint ({show(parent[name])}); "
                f"under {mode.value} mode a child must keep every parent dimension"
            )
    if mode is not InteractionMode.CONJUNCTIVE:
        for name in added:
            violations.append(
                f"Dimension '{name}': child adds a constraint ({show(child[name])}) the parent "
                f"does not have; under {mode.value} mode a child must not add dimensions"
            )
    if mode is InteractionMode.DISJUNCTIVE and not child:
        violations.append(
            "child has no constraints, which allows everything; under disjunctive mode a "
            "child may drop dimensions but must keep at least one"
        )
    if (
        mode is InteractionMode.HIERARCHICAL
        and not dropped
        and not added
        and list(parent) != list(child)
    ):
        violations.append(
            f"child's priority order {list(child)} differs from the parent's "
            f"{list(parent)}; under hierarchical mode the first dimension decides"
        )
    return violations
