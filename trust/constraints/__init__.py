"""Constraint dimensions, their registry, and the multi-dimension evaluator.

Each parsed constraint denotes the set of contexts it allows: tightening is set inclusion
and compose is intersection. The built-in dimensions live in `trust.constraints.builtin`.
"""

from trust.constraints._dimension import (
    Comparison,
    ConstraintCheckResult,
    ConstraintDimension,
    ConstraintValue,
)
from trust.constraints._evaluator import (
    ConstraintMetricsSink,
    EvaluationResult,
    MultiDimensionEvaluator,
)
from trust.constraints._modes import InteractionMode
from trust.constraints._registry import ConstraintDimensionRegistry

__all__ = [
    "Comparison",
    "ConstraintCheckResult",
    "ConstraintDimension",
    "ConstraintDimensionRegistry",
    "ConstraintMetricsSink",
    "ConstraintValue",
    "EvaluationResult",
    "InteractionMode",
    "MultiDimensionEvaluator",
]
