"""The constraint check a `PostureAwareAgent` makes before it runs, when given an evaluator.

The context is the run's keyword arguments (the approved copy under HUMAN_DECIDES): what
the base agent is about to be called with. The check fails closed as the evaluator does
(an unknown dimension, a missing or malformed context value, a check that raises: each
fails its dimension, with the reason), and an evaluator that raises refuses the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import snapshot
from trust._shown import cut, describe_error

if TYPE_CHECKING:
    from trust.constraints import InteractionMode, MultiDimensionEvaluator


class ConstraintGate:
    """An evaluator with the constraint set and the interaction mode it checks runs by.

    Args:
        evaluator: The `MultiDimensionEvaluator` to ask.
        constraints: The constraint set (``{dimension name: raw value}``), copied now
            (the mapping; its values are the evaluator's to read).
        interaction_mode: How the dimensions' verdicts combine.

    Raises:
        InvalidTypeError: ``evaluator`` is not a `MultiDimensionEvaluator`, or
            ``constraints`` is not a mapping with string keys.
        InvalidValueError: ``interaction_mode`` names no `InteractionMode`.
    """

    __slots__ = ("_constraints", "_evaluator", "mode")

    def __init__(self, evaluator: object, constraints: object, interaction_mode: object) -> None:
        # Imported here: an agent without an evaluator never loads the constraint engine.
        from trust.constraints import InteractionMode, MultiDimensionEvaluator

        if not isinstance(evaluator, MultiDimensionEvaluator):
            raise InvalidTypeError(
                f"evaluator must be a MultiDimensionEvaluator, got {check.shown(evaluator)}"
            )
        copied = snapshot(constraints)
        if copied is None or any(type(name) is not str for name in copied):
            raise InvalidTypeError(
                "constraints must be a mapping of dimension names to values, "
                f"got {check.shown(constraints)}"
            )
        self._evaluator: MultiDimensionEvaluator = evaluator
        # A copy of its own (snapshot returns an exact dict as it is): the caller's later
        # edits must not change what runs are checked against.
        self._constraints: Mapping[str, Any] = dict(copied)
        self.mode: InteractionMode = InteractionMode.coerce(interaction_mode, "interaction_mode")

    def refusal(self, agent_id: str, context: Mapping[str, Any]) -> str | None:
        """Why the constraints refuse a run with ``context``, or None if they allow it."""
        try:
            result = self._evaluator.evaluate(self._constraints, context, self.mode, agent_id)
        except Exception as error:  # fail closed: an evaluation that fails refuses
            return f"constraint evaluation raised {describe_error(error)}"
        if result.satisfied is True:
            return None
        failures = "; ".join(
            f"{name}: {cut(result.dimension_results[name].reason, 200)}"
            for name in result.failed_dimensions
        )
        return (
            f"constraints refused agent {agent_id} ({self.mode.value}): "
            f"{failures or 'not satisfied'}"
        )


def gate_for(evaluator: object, constraints: object, mode: object) -> ConstraintGate | None:
    """The agent's `ConstraintGate`, or None without an evaluator; both or neither."""
    if evaluator is None:
        if constraints is not None:
            raise InvalidValueError(
                "constraints must come with an evaluator, got constraints and evaluator=None"
            )
        return None
    if constraints is None:
        raise InvalidValueError(
            "evaluator must come with constraints (an empty mapping restricts nothing), "
            "got constraints=None"
        )
    return ConstraintGate(evaluator, constraints, mode)
