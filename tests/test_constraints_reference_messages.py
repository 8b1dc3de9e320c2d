"""Refusals kaizen.trust 1.2.5 also makes carry its key phrase beside care-trust's detail.

A user moving from kaizen.trust may match its messages (``pytest.raises(ValueError,
match="Invalid period")``, a log filter on "path traversal"). Where both libraries refuse
for the same reason, the message holds the reference's phrase, as the reference writes it.
Refusals the reference does not make (or makes for another reason) are not listed.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from trust.constraints import (
    ConstraintCheckResult,
    ConstraintDimension,
    ConstraintDimensionRegistry,
    ConstraintValue,
    MultiDimensionEvaluator,
)
from trust.constraints.builtin import (
    CommunicationDimension,
    CostLimitDimension,
    DataAccessDimension,
    RateLimitDimension,
    ResourceDimension,
    TimeDimension,
    register_builtin_dimensions,
)

DIMENSIONS: dict[str, ConstraintDimension] = {
    "cost_limit": CostLimitDimension(),
    "time_window": TimeDimension(),
    "resources": ResourceDimension(),
    "rate_limit": RateLimitDimension(),
    "data_access": DataAccessDimension(),
    "communication": CommunicationDimension(),
}


@pytest.mark.parametrize(
    ("name", "value", "phrase"),
    [
        ("cost_limit", "abc", "Cannot parse cost limit"),
        ("cost_limit", [1], "Cannot parse cost limit"),
        ("cost_limit", -5, "Cost limit must be non-negative"),
        ("time_window", 900, "Time window must be a string"),
        ("time_window", "9-17", "Invalid time window format"),
        ("time_window", "25:00-26:00", "Invalid start time"),
        ("time_window", "09:00-24:30", "Invalid end time"),
        ("resources", 5, "Resource patterns must be string or list"),
        ("resources", [5], "Resource pattern must be a string"),
        ("rate_limit", "x/minute", "Invalid rate limit count"),
        ("rate_limit", "10/fortnight", "Invalid period"),
        ("rate_limit", "1/2/3", "Invalid period"),
        ("rate_limit", "ten", "Invalid rate limit"),
        ("rate_limit", [1], "Rate limit must be int or string"),
        ("data_access", "sometimes", "Invalid data access mode"),
        ("data_access", {"mode": "sometimes"}, "Invalid data access mode"),
        ("data_access", 5, "Data access config must be string or dict"),
        ("communication", "sometimes", "Invalid communication mode"),
        ("communication", {"mode": "sometimes"}, "Invalid communication mode"),
        ("communication", 5, "Communication config must be string or dict"),
    ],
)
def test_a_refused_constraint_names_the_reference_reason(
    name: str, value: Any, phrase: str
) -> None:
    with pytest.raises(ValueError, match=phrase) as refused:
        DIMENSIONS[name].parse(value)
    assert ", got " in str(refused.value)  # and care-trust's own rule and value


@pytest.mark.parametrize(
    ("name", "value", "context", "phrase"),
    [
        ("cost_limit", 100, {"cost_used": 150}, "over budget by 50"),
        ("time_window", "09:00-17:00", {"current_time": time(18, 0)}, "outside time window"),
        ("resources", ["data/*"], {"resource_requested": "data/../etc"}, "path traversal (..)"),
        ("resources", ["data/*"], {"resource_requested": "..\\etc"}, "path traversal (..)"),
        ("resources", ["data/*"], {"resource_requested": "data\x00x"}, "null byte"),
        (
            "resources",
            ["data/*"],
            {"resource_requested": "logs/x"},
            "resource 'logs/x' does not match any allowed pattern",
        ),
        ("rate_limit", "10/minute", {"requests_in_period": 15}, "exceeded by 5"),
        ("data_access", "no_pii", {"contains_pii": True}, "PII access not allowed"),
        (
            "data_access",
            "internal_only",
            {"data_classification": "public"},
            "classification 'public' not allowed",
        ),
        (
            "data_access",
            {"mode": "internal_only", "allowed_classifications": ["internal"]},
            {"data_classification": "secret"},
            "classification 'secret' not allowed: not in allowed list",
        ),
        (
            "communication",
            "none",
            {"communication_target": "api.x.com"},
            "all external communication blocked",
        ),
        (
            "communication",
            "internal_only",
            {"communication_target": "api.x.com"},
            "target 'api.x.com' not allowed",
        ),
        (
            "communication",
            {"mode": "allowed_domains", "allowed_domains": ["a.com"]},
            {"communication_target": "b.com"},
            "target 'b.com' not allowed: not in allowed domains",
        ),
    ],
)
def test_a_failed_check_names_the_reference_reason(
    name: str, value: Any, context: dict[str, Any], phrase: str
) -> None:
    dimension = DIMENSIONS[name]
    result = dimension.check(dimension.parse(value), context)
    assert not result.satisfied
    assert phrase in result.reason


def test_traversal_is_reported_before_a_backslash() -> None:
    # Regression (issue 16): "..\\etc" was reported only for its backslash; kaizen.trust
    # splits on both separators and reports the traversal, the attempt that matters.
    dimension = DIMENSIONS["resources"]
    for path in ("..\\etc", "data\\..\\secrets", "data/..\\x"):
        reason = dimension.check(dimension.parse("**"), {"resource_requested": path}).reason
        assert reason == f"security violation: resource path {path!r} contains path traversal (..)"
    reason = dimension.check(dimension.parse("**"), {"resource_requested": "a\\b"}).reason
    assert reason.endswith("contains a backslash")


@pytest.mark.parametrize(
    "context",
    [
        {"requests_in_period": "many"},
        {"requests_in_period": -1},
        {"requests_by_period": {"fortnight": 1}},
        {"requests_by_period": []},
        {"requests_by_period": {}},
        {},
    ],
)
def test_a_malformed_rate_count_reports_nothing_remaining(context: dict[str, Any]) -> None:
    # Regression (issue 16): remaining was None; kaizen.trust reports 0 left to spend.
    dimension = DIMENSIONS["rate_limit"]
    result = dimension.check(dimension.parse("10/minute"), context)
    assert not result.satisfied
    assert result.remaining == 0.0
    assert result.limit == 10.0


class Raising(ConstraintDimension):
    @property
    def name(self) -> str:
        return "raising"

    @property
    def description(self) -> str:
        return "raises"

    def parse(self, value: Any) -> ConstraintValue:
        return ConstraintValue(dimension=self.name, raw_value=value, parsed=value)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        raise RuntimeError("boom")

    def validate_tightening(self, parent: ConstraintValue, child: ConstraintValue) -> bool:
        raise RuntimeError("cannot tell")


def test_the_evaluator_names_the_reference_reasons() -> None:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    registry.register(Raising())
    evaluator = MultiDimensionEvaluator(registry, enable_anti_gaming=False)
    result = evaluator.evaluate({"raising": 1, "mystery": 1}, {})
    assert "evaluation error" in result.dimension_results["raising"].reason.lower()
    assert "unknown dimension" in result.dimension_results["mystery"].reason.lower()
    assert any("unknown dimension" in w.lower() for w in result.warnings)
    (violation,) = evaluator.validate_tightening({"raising": 1}, {"raising": 1})
    assert "error validating" in violation.lower()
    (unknown, _) = evaluator.validate_tightening({"mystery": 1}, {"mystery": 1})
    assert "unknown dimension" in unknown.lower()
