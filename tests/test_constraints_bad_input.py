"""Malformed input, dimension by dimension: constraints raise naming the value, contexts fail.

Two tables. ``BAD_CONSTRAINTS``: each raw value must raise `ValueError` (our
`InvalidValueError`, or `InvalidTypeError` for a wrong type) with a message naming it, and
must make `evaluate` fail that dimension instead of raising. ``BAD_CONTEXTS``: each context
must fail the check with a reason, both directly and through `evaluate`, whatever the mode.
"""

from __future__ import annotations

import math
from datetime import UTC, time
from typing import Any

import pytest

from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import ConstraintDimensionRegistry, InteractionMode, MultiDimensionEvaluator
from trust.constraints.builtin import register_builtin_dimensions

REGISTRY = ConstraintDimensionRegistry()
register_builtin_dimensions(REGISTRY)
DIMENSIONS = dict(REGISTRY.all())
EVALUATOR = MultiDimensionEvaluator(REGISTRY, enable_anti_gaming=False)

T, V = InvalidTypeError, InvalidValueError

BAD_CONSTRAINTS: list[tuple[str, Any, type[Exception], str]] = [
    # cost_limit
    ("cost_limit", -1, V, "cost_limit must be a finite, non-negative number of cents, got -1"),
    ("cost_limit", math.nan, V, "got nan"),
    ("cost_limit", math.inf, V, "got inf"),
    ("cost_limit", "-inf", V, "got '-inf'"),
    ("cost_limit", "ten", V, "got 'ten'"),
    ("cost_limit", True, T, "got True"),
    ("cost_limit", None, T, "got None"),
    ("cost_limit", [100], T, "got [100]"),
    ("cost_limit", 10**400, V, "cost_limit must be a finite"),
    # time_window
    ("time_window", "9-5", V, "time_window must be 'HH:MM-HH:MM"),
    ("time_window", "25:00-26:00", V, "hours must be 0-23"),
    ("time_window", "09:00-17:00 Nowhere/City", V, "IANA time zone name, got 'Nowhere/City'"),
    ("time_window", "09:00-17:00 UTC extra", V, "time_window must be"),
    ("time_window", 9, T, "got 9"),
    ("time_window", ["09:00-17:00"], T, "got ['09:00-17:00']"),
    ("time_window", {"all_of": "09:00-17:00"}, V, "all_of"),
    # resources
    ("resources", "../secrets/*", V, "must not have empty, '.' or '..' segments"),
    ("resources", ["data/**", "data/../x"], V, "got 'data/../x'"),
    ("resources", "data//x", V, "empty, '.' or '..' segments"),
    ("resources", "data/**.json", V, "'**' only as a whole segment"),
    ("resources", "data\\x", V, "must not contain a backslash"),
    ("resources", "data/\x00", V, "must not contain NUL"),
    ("resources", "data/[ab]", V, "must not contain '['"),
    ("resources", ["data/*", 3], T, "pattern must be a glob string, got 3"),
    ("resources", 3, T, "resources must be a glob or a list of globs, got 3"),
    ("resources", {"data/**": True}, T, "resources must be a glob or a list of globs"),
    # rate_limit
    ("rate_limit", 99.9, T, "got 99.9"),
    ("rate_limit", True, T, "got True"),
    ("rate_limit", -5, V, "got -5"),
    ("rate_limit", "100/fortnight", V, "got '100/fortnight'"),
    ("rate_limit", "1e3/minute", V, "got '1e3/minute'"),
    ("rate_limit", "100 per minute", V, "got '100 per minute'"),
    ("rate_limit", None, T, "got None"),
    # data_access
    (
        "data_access",
        "pii_ok",
        V,
        "data_access mode must be one of no_pii, internal_only, allow_all",
    ),
    ("data_access", {"mode": "everything"}, V, "got 'everything'"),
    ("data_access", {"mode": None}, T, "data_access mode must be one of"),
    ("data_access", {"mode": "allow_all", "allowed_classification": []}, V, "unknown"),
    ("data_access", {"allowed_classifications": [""]}, V, "must be a non-blank string"),
    ("data_access", {"allowed_classifications": [1]}, T, "must be a string, got 1"),
    ("data_access", {"allowed_classifications": 1}, T, "must be a list of strings, got 1"),
    ("data_access", ["no_pii"], T, "mode string or a mapping"),
    # communication
    ("communication", "external", V, "mode must be one of none, internal_only, allowed_domains"),
    ("communication", "allowed_domains", V, "needs an allowed_domains list"),
    ("communication", {"mode": "allowed_domains", "allowed_domains": ["a.com/x"]}, V, "a.com/x"),
    ("communication", {"mode": "allowed_domains", "allowed_domains": ["*.a.com"]}, V, "'*'"),
    ("communication", {"mode": "allowed_domains", "allowed_domains": [None]}, T, "got None"),
    ("communication", {"mode": "internal_only", "allowed_domains": []}, V, "applies only"),
    ("communication", {"mode": "none", "extra": 1}, V, "keys must be among"),
    ("communication", 0, T, "mode string or a mapping, got 0"),
]


@pytest.mark.parametrize(("name", "raw", "error", "message"), BAD_CONSTRAINTS)
def test_a_bad_constraint_raises_naming_the_value(
    name: str, raw: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        DIMENSIONS[name].parse(raw)
    assert isinstance(caught.value, ValueError)
    assert message in str(caught.value)


@pytest.mark.parametrize(("name", "raw", "error", "message"), BAD_CONSTRAINTS)
@pytest.mark.parametrize("mode", list(InteractionMode))
def test_a_bad_constraint_fails_its_dimension_in_evaluate(
    name: str, raw: Any, error: type[Exception], message: str, mode: InteractionMode
) -> None:
    result = EVALUATOR.evaluate({name: raw}, {}, mode)
    assert not result.satisfied
    assert result.failed_dimensions == (name,)
    reason = result.dimension_results[name].reason
    assert reason.startswith("invalid constraint ")
    assert message in reason


BAD_CONTEXTS: list[tuple[str, Any, dict[str, Any], str]] = [
    # cost_limit: unknown or malformed cost
    ("cost_limit", 100, {}, "cost_used is missing"),
    ("cost_limit", 100, {"cost_used": "5"}, "cost_used must be a finite, non-negative number"),
    ("cost_limit", 100, {"cost_used": math.nan}, "got nan"),
    ("cost_limit", 100, {"cost_used": -0.5}, "got -0.5"),
    ("cost_limit", 100, {"cost_used": False}, "got False"),
    # time_window: wrong types (a missing time uses the clock instead)
    ("time_window", "00:00-23:59", {"current_time": 12}, "current_time must be a datetime"),
    ("time_window", "00:00-23:59", {"current_time": [12, 0]}, "current_time must be a datetime"),
    (
        "time_window",
        "00:00-23:59",
        {"current_time": time(12, tzinfo=UTC)},
        "an aware time of day",
    ),
    # resources: non-strings and unsafe paths (a missing path means no resource)
    ("resources", "**", {"resource_requested": None}, "must be a path string"),
    ("resources", "**", {"resource_requested": 7}, "must be a path string"),
    ("resources", "**", {"resource_requested": "a/../b"}, "path traversal"),
    ("resources", "**", {"resource_requested": "a/./b"}, "is not normalised"),
    ("resources", "/**", {"resource_requested": "/"}, "is not normalised"),
    ("resources", "**", {"resource_requested": "a\x00"}, "NUL"),
    # rate_limit: unknown or malformed counts
    ("rate_limit", 10, {}, "requests_in_period is missing"),
    ("rate_limit", 10, {"requests_in_period": 1.5}, "must be a non-negative integer, got 1.5"),
    ("rate_limit", 10, {"requests_in_period": "3"}, "got '3'"),
    ("rate_limit", 10, {"requests_in_period": -3}, "got -3"),
    ("rate_limit", 10, {"requests_by_period": {"minute": True}}, "requests_by_period must map"),
    ("rate_limit", 10, {"requests_by_period": "minute=3"}, "must be a mapping"),
    # data_access: malformed flags, and facts a restriction needs but nobody gave
    ("data_access", "allow_all", {"contains_pii": "false"}, "contains_pii must be a bool"),
    ("data_access", "allow_all", {"contains_pii": 0}, "contains_pii must be a bool"),
    ("data_access", "allow_all", {"data_classification": ["internal"]}, "must be a non-blank"),
    ("data_access", "no_pii", {}, "contains_pii is missing"),
    ("data_access", "internal_only", {"contains_pii": False}, "data_classification is missing"),
    # communication: non-strings and strings with no valid host
    ("communication", "internal_only", {"communication_target": None}, "must be a URL or host"),
    ("communication", "internal_only", {"communication_target": b"localhost"}, "must be a URL"),
    ("communication", "internal_only", {"communication_target": "http://[::1"}, "not a valid URL"),
    ("communication", "internal_only", {"communication_target": "ex ample.com"}, "spaces"),
    ("communication", "internal_only", {"communication_target": "127.1"}, "no valid ASCII"),
    ("communication", "internal_only", {"communication_target": "xn--.com."}, "no valid ASCII"),
]


@pytest.mark.parametrize(("name", "raw", "context", "reason"), BAD_CONTEXTS)
def test_a_bad_context_fails_the_check_with_a_reason(
    name: str, raw: Any, context: dict[str, Any], reason: str
) -> None:
    dimension = DIMENSIONS[name]
    result = dimension.check(dimension.parse(raw), context)
    assert result.satisfied is False
    assert reason in result.reason


@pytest.mark.parametrize(("name", "raw", "context", "reason"), BAD_CONTEXTS)
@pytest.mark.parametrize("mode", list(InteractionMode))
def test_a_bad_context_fails_through_evaluate_in_every_mode(
    name: str, raw: Any, context: dict[str, Any], reason: str, mode: InteractionMode
) -> None:
    result = EVALUATOR.evaluate({name: raw}, context, mode)
    assert not result.satisfied
    assert reason in result.dimension_results[name].reason


@pytest.mark.parametrize("name", sorted(DIMENSIONS))
@pytest.mark.parametrize("context", [None, "cost_used=1", [("cost_used", 1)], 42])
def test_a_context_that_is_not_a_mapping_fails_every_dimension(name: str, context: Any) -> None:
    raw = {
        "cost_limit": 1,
        "time_window": "00:00-23:59",
        "resources": "**",
        "rate_limit": 1,
        "data_access": "allow_all",
        "communication": "internal_only",
    }[name]
    dimension = DIMENSIONS[name]
    result = dimension.check(dimension.parse(raw), context)
    assert not result.satisfied
    assert result.reason.startswith("context must be a mapping")
