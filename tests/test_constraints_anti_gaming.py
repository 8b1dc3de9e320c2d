"""Anti-gaming: boundary pushing and constraint splitting, with bounded memory."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.hostile import LyingFloat
from trust._errors import InvalidValueError
from trust.constraints import (
    ConstraintCheckResult,
    ConstraintDimensionRegistry,
    MultiDimensionEvaluator,
)
from trust.constraints._anti_gaming import AntiGamingDetector, usage_ratio
from trust.constraints._dimension import unchecked_result
from trust.constraints.builtin import register_builtin_dimensions


def usage(used: float | None, limit: float | None) -> list[tuple[str, ConstraintCheckResult]]:
    result = ConstraintCheckResult(satisfied=True, reason="", used=used, limit=limit)
    return [("cost_limit", result)]


@pytest.mark.parametrize(
    ("used", "limit", "flagged"),
    [
        (95, 100, False),
        (95.1, 100, True),
        (96, 100, True),
        (100, 100, True),
        (100.5, 100, False),  # over the limit is a plain failure, not gaming
        (5, None, False),
        (0, 0, False),
    ],
)
def test_boundary_pushing_is_a_ratio_above_095_up_to_1(
    used: float, limit: float | None, flagged: bool
) -> None:
    flags = AntiGamingDetector().observe("agent", usage(used, limit))
    assert bool(flags) is flagged
    if flagged:
        assert flags == (f"boundary_pushing:cost_limit (usage_ratio={used / limit:.2f})",)  # type: ignore[operator]


def test_constraint_splitting_needs_8_small_of_the_last_10() -> None:
    detector = AntiGamingDetector()
    flags = [detector.observe("agent", usage(5, 100)) for _ in range(7)]
    assert all(flag == () for flag in flags)
    assert detector.observe("agent", usage(5, 100)) == (
        "constraint_splitting:detected (8/10 evaluations with small ops)",
    )


def test_splitting_counts_only_the_last_10_evaluations() -> None:
    detector = AntiGamingDetector()
    for _ in range(8):
        detector.observe("agent", usage(5, 100))
    for _ in range(3):
        detector.observe("agent", usage(50, 100))
    # Window: 7 small, 3 large.
    assert detector.observe("agent", usage(50, 100)) == ()
    assert detector.observe("agent", usage(5, 100)) == ()


@pytest.mark.parametrize(("used", "limit"), [(None, None), (0, 100), (None, 100)])
def test_an_agent_reporting_no_usage_is_never_flagged(
    used: float | None, limit: float | None
) -> None:
    detector = AntiGamingDetector()
    assert all(detector.observe("agent", usage(used, limit)) == () for _ in range(30))


def test_agents_are_tracked_separately_and_the_least_recent_is_forgotten() -> None:
    detector = AntiGamingDetector(max_agents=2)
    for _ in range(7):
        detector.observe("a", usage(1, 100))
    detector.observe("b", usage(1, 100))
    detector.observe("a", usage(1, 100))  # a is now the most recent
    detector.observe("c", usage(1, 100))  # evicts b
    assert detector.tracked_agents() == 2
    assert detector.observe("a", usage(1, 100))  # a kept its history: 9 small
    detector.forget("a")
    assert detector.observe("a", usage(1, 100)) == ()


def test_usage_ratio_needs_finite_non_negative_usage_and_a_positive_limit() -> None:
    def ratio(used: float | None, limit: float | None) -> float | None:
        return usage_ratio(ConstraintCheckResult(satisfied=True, reason="", used=used, limit=limit))

    assert ratio(50, 100) == 0.5
    assert ratio(-1, 100) is None
    assert ratio(1, float("inf")) is None
    assert ratio(float("inf"), 100) is None
    assert ratio(1, 0) is None


def test_the_detector_needs_a_positive_agent_bound() -> None:
    with pytest.raises(InvalidValueError, match="max_agents must be a positive integer"):
        AntiGamingDetector(max_agents=0)


def make_evaluator(enabled: bool = True) -> MultiDimensionEvaluator:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    return MultiDimensionEvaluator(registry, enable_anti_gaming=enabled)


def test_flags_never_change_the_verdict() -> None:
    evaluator = make_evaluator()
    result = evaluator.evaluate({"cost_limit": 100}, {"cost_used": 99}, agent_id="agent")
    assert result.satisfied
    assert result.anti_gaming_flags == ("boundary_pushing:cost_limit (usage_ratio=0.99)",)


def test_evaluations_without_an_agent_or_with_detection_off_raise_no_flags() -> None:
    assert make_evaluator().evaluate({"cost_limit": 100}, {"cost_used": 99}).anti_gaming_flags == ()
    disabled = make_evaluator(enabled=False)
    assert not disabled.anti_gaming_enabled
    result = disabled.evaluate({"cost_limit": 100}, {"cost_used": 99}, agent_id="agent")
    assert result.anti_gaming_flags == ()


def test_splitting_is_detected_through_the_evaluator_on_the_rate_limit() -> None:
    evaluator = make_evaluator()
    constraints = {"rate_limit": "1000/hour"}
    flags = [
        evaluator.evaluate(
            constraints, {"requests_in_period": 3}, agent_id="agent"
        ).anti_gaming_flags
        for _ in range(8)
    ]
    assert flags[-1] == ("constraint_splitting:detected (8/10 evaluations with small ops)",)


def test_concurrent_observations_of_one_agent_are_all_counted() -> None:
    detector = AntiGamingDetector()
    barrier = threading.Barrier(10)
    flags: list[tuple[str, ...]] = []

    def observe() -> None:
        barrier.wait()
        flags.append(detector.observe("agent", usage(1, 100)))

    threads = [threading.Thread(target=observe) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    detected = {flag[0] for flag in flags if flag}
    assert len(flags) == 10
    assert detected == {
        "constraint_splitting:detected (8/10 evaluations with small ops)",
        "constraint_splitting:detected (9/10 evaluations with small ops)",
        "constraint_splitting:detected (10/10 evaluations with small ops)",
    }


def test_a_lying_measure_is_read_as_the_number_it_holds() -> None:
    # unchecked_result skips validation: a check that builds one from a context value may
    # hand over a subclass whose comparisons lie.
    result = unchecked_result(True, "", used=LyingFloat(99.0), limit=LyingFloat(100.0))
    assert usage_ratio(result) == 0.99
    flags = AntiGamingDetector().observe("agent", [("cost_limit", result)])
    assert flags == ("boundary_pushing:cost_limit (usage_ratio=0.99)",)


@pytest.mark.parametrize(("used", "limit"), [(10**400, 1.0), ("99", 100.0), (99.0, None)])
def test_a_measure_that_is_no_finite_number_reports_no_usage(used: Any, limit: Any) -> None:
    assert usage_ratio(unchecked_result(True, "", used=used, limit=limit)) is None
