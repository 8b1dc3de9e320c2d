"""Metric snapshots: values a caller can build and serialise."""

from __future__ import annotations

from datetime import UTC, datetime

from trust.metrics import ConstraintMetrics


def test_constraint_metrics_default_every_field_to_nothing_counted() -> None:
    # kaizen.trust 1.2.5 lets ConstraintMetrics() be built bare; migrating code does so.
    before = datetime.now(UTC)
    metrics = ConstraintMetrics()
    assert metrics.to_dict() | {"timestamp": None} == {
        "evaluations_total": 0,
        "evaluations_passed": 0,
        "evaluations_failed": 0,
        "dimension_failures": {},
        "anti_gaming_flags": {},
        "average_evaluation_time_ms": 0.0,
        "total_evaluation_time_ms": 0.0,
        "timestamp": None,
    }
    assert metrics.timestamp.tzinfo is UTC
    assert metrics.timestamp >= before


def test_constraint_metrics_defaults_are_not_shared() -> None:
    assert ConstraintMetrics().dimension_failures is not ConstraintMetrics().dimension_failures
