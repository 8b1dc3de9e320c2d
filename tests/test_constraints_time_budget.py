"""``time_window`` denial of service: the zone budget, and tightening cost under it.

Tightening used to try every combination of every zone's offsets, about ten times the
work per zone: a 7-zone child took 36 s against a whole-day parent. It now takes time
linear in the offsets, and a value spans at most `MAX_ZONES` zones. The worst cases run
in a subprocess under a generous time and address-space limit, so a regression fails
here instead of hanging the suite; they are the only tests here that read a clock, as
the house rules allow for DoS regressions.
"""

from __future__ import annotations

import pytest

from tests.bounded import run_bounded
from trust.constraints import ConstraintDimensionRegistry, MultiDimensionEvaluator
from trust.constraints.builtin import TimeDimension, register_builtin_dimensions
from trust.constraints.builtin._time import MAX_ZONES, TooManyZones

DIM = TimeDimension()

# Zones with the most offsets in their history (twelve for Moscow), so the most work.
MANY_OFFSETS = (
    "Europe/Moscow",
    "W-SU",
    "America/Goose_Bay",
    "Asia/Kuala_Lumpur",
    "Europe/Vilnius",
    "Pacific/Apia",
    "America/Montevideo",
    "America/Nome",
    "Asia/Dacca",
    "Asia/Dhaka",
    "Europe/Kaliningrad",
    "Asia/Jakarta",
    "America/Caracas",
    "Asia/Singapore",
    "Africa/Casablanca",
    "Europe/Simferopol",
)


def test_tightening_across_the_whole_zone_budget_is_quick() -> None:
    # The case (a 7-zone child under a whole-day parent: 36 s with these zones),
    # then the worst the budget allows: a full child under a full parent of other zones,
    # through the evaluator, which also builds the example it reports.
    results = run_bounded(
        f"""
        import json, time
        from trust.constraints import ConstraintDimensionRegistry, MultiDimensionEvaluator
        from trust.constraints.builtin import register_builtin_dimensions
        registry = ConstraintDimensionRegistry()
        register_builtin_dimensions(registry)
        evaluator = MultiDimensionEvaluator(registry)
        zones, most = {list(MANY_OFFSETS)!r}, {MAX_ZONES}
        def window(hours, chosen):
            return {{"time_window": {{"all_of": [f"{{hours}} {{z}}" for z in chosen]}}}}
        day = {{"time_window": "00:00-24:00"}}
        full = window("09:00-17:00", zones[:most])
        cases = [
            (day, window("09:00-17:00", zones[:7])),
            (day, full),
            (window("08:00-18:00", zones[most:]), full),
            (full, full),
        ]
        results = []
        for parent, child in cases:
            started = time.perf_counter()
            violations = evaluator.validate_tightening(parent, child)
            results.append([time.perf_counter() - started, len(violations)])
        print(json.dumps(results))
        """
    )
    assert [violations for _, violations in results] == [0, 0, 1, 0]
    assert all(seconds < 10 for seconds, _ in results), results


def test_a_value_past_the_zone_budget_is_refused_at_parse_time() -> None:
    raw = {"all_of": [f"09:00-17:00 {z}" for z in MANY_OFFSETS[: MAX_ZONES + 1]]}
    with pytest.raises(TooManyZones) as refused:
        DIM.parse(raw)
    message = str(refused.value)
    assert f"must span at most {MAX_ZONES} zones (the zone budget), got {MAX_ZONES + 1}" in message
    assert "Europe/Moscow" in message
    assert "09:00-17:00 Europe/Moscow" in message
    assert isinstance(refused.value, ValueError)


def test_the_zone_budget_counts_zones_that_restrict() -> None:
    # A whole-day window in a zone restricts nothing and spans no zone.
    raw = {"all_of": [f"00:00-24:00 {z}" for z in MANY_OFFSETS]}
    assert str(DIM.parse(raw).parsed) == "00:00-24:00 UTC"
    at_budget = {"all_of": [f"09:00-17:00 {z}" for z in MANY_OFFSETS[:MAX_ZONES]]}
    assert len(DIM.parse(at_budget).parsed.parts) == MAX_ZONES


def test_compose_past_the_zone_budget_is_refused() -> None:
    half = MAX_ZONES // 2 + 1
    a = DIM.parse({"all_of": [f"09:00-17:00 {z}" for z in MANY_OFFSETS[:half]]})
    b = DIM.parse({"all_of": [f"09:00-17:00 {z}" for z in MANY_OFFSETS[half : 2 * half]]})
    with pytest.raises(TooManyZones, match="the zone budget"):
        DIM.compose([a, b])


def test_the_evaluator_refuses_a_child_past_the_budget_with_a_reason() -> None:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    evaluator = MultiDimensionEvaluator(registry)
    child = {"time_window": {"all_of": [f"09:00-17:00 {z}" for z in MANY_OFFSETS]}}
    violations = evaluator.validate_tightening({"time_window": "00:00-24:00"}, child)
    assert len(violations) == 1
    assert "the zone budget" in violations[0]
    assert "cannot check tightening" in violations[0]
