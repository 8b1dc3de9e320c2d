"""Compose and ``all_of`` denial of service: one work budget per compose, a bound on parts.

Composing ``all_of`` glob constraints used to meet the parts pair by pair, each meet with
a fresh inclusion budget and each rebuilding automata for every pair of conjuncts: 50
parts took 1.6 s to parse, 100 parts 30 s, 200 parts 6 minutes. A compose now meets all
its values at once within one `MAX_MEET_WORK`, parts are parsed without building
automata, and an ``all_of`` holds at most `MAX_ALL_OF_PARTS` parts. The worst shapes run
in a subprocess under a generous time and address-space limit, so a regression fails
here instead of hanging the suite; they are the only tests here that read a clock, as
the house rules allow for DoS regressions.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.bounded import run_bounded
from trust._errors import InvalidValueError
from trust.constraints.builtin import (
    CommunicationDimension,
    ResourceDimension,
    TimeDimension,
    _glob,
    _glob_inclusion,
)
from trust.constraints.builtin._glob import GlobSet
from trust.constraints.builtin._lattice import MAX_ALL_OF_PARTS

RESOURCES = ResourceDimension()
COMMUNICATION = CommunicationDimension()


def nested(depth: int, leaf: object) -> dict[str, Any]:
    value: dict[str, Any] = {"all_of": [leaf]}
    for _ in range(depth - 1):
        value = {"all_of": [value]}
    return value


def test_parsing_and_composing_the_worst_shapes_is_quick() -> None:
    # Before: 50 parts 1.6 s, 100 parts 30 s, 200 parts 6 min; communication 60 parts 24 s.
    results = run_bounded(
        """
        import ipaddress, json, time
        from trust.constraints import ConstraintDimensionRegistry, MultiDimensionEvaluator
        from trust.constraints.builtin import register_builtin_dimensions
        registry = ConstraintDimensionRegistry()
        register_builtin_dimensions(registry)
        evaluator = MultiDimensionEvaluator(registry)

        def nested(depth, leaf):
            value = {"all_of": [leaf]}
            for _ in range(depth - 1):
                value = {"all_of": [value]}
            return value

        def hosts(names):
            return {"mode": "allowed_domains", "allowed_domains": names}

        teams = [f"team-{n}/project-*/reports/**/*.csv" for n in range(60)]
        numbered = [f"d{n}" for n in range(1600)]
        addresses = [str(ipaddress.ip_address(0x0A000000 + 2 * n)) for n in range(3000)]
        cases = {
            "64 single-glob parts": ("resources", {"all_of": [[f"d{i}"] for i in range(64)]}),
            "100 parts": ("resources", {"all_of": [[f"d{i}"] for i in range(100)]}),
            "200 parts": ("resources", {"all_of": [[f"d{i}"] for i in range(200)]}),
            "64 parts, nested 7 deep": (
                "resources", {"all_of": [nested(7, [f"d{i}"]) for i in range(8)]}
            ),
            "nested 100,000 deep": ("resources", nested(100_000, ["d1"])),
            "64 parts of 60 globs": (
                "resources", {"all_of": [teams[:59] + [f"x{n}/**"] for n in range(64)]}
            ),
            "2 parts of 1,600 globs": (
                "resources",
                {"all_of": [numbered, [*numbered, "e*"]]},
            ),
            "2 parts of 1,600 globs, too complex": (
                "resources",
                {"all_of": [numbered, [f"{glob}*" for glob in numbered]]},
            ),
            "64 communication parts": (
                "communication", {"all_of": [hosts([f"d{i}.com"]) for i in range(64)]}
            ),
            "communication, 3,000 addresses twice": (
                "communication", {"all_of": [hosts(addresses), hosts(addresses[::-1])]}
            ),
        }
        results = {}
        for name, (dimension, value) in cases.items():
            started = time.perf_counter()
            context = {"resource_requested": "d1", "communication_target": "d1.com"}
            result = evaluator.evaluate({dimension: value}, context)
            violations = evaluator.validate_tightening({dimension: value}, {dimension: value})
            seconds = time.perf_counter() - started
            reason = result.dimension_results[dimension].reason
            results[name] = [result.satisfied, reason, violations, seconds]
        print(json.dumps(results))
        """,
        timeout=120,
    )
    print({name: round(seconds, 3) for name, (*_, seconds) in results.items()})
    for name, (_, _, _, seconds) in results.items():
        assert seconds < 5.0, (name, seconds)  # each well under a second; generous here
    for name in ("100 parts", "200 parts", "nested 100,000 deep"):
        satisfied, reason, violations, _ = results[name]
        assert not satisfied
        assert "MAX_ALL_OF_PARTS" in reason, name
        assert violations  # parent and child both invalid: the tightening is refused
        assert all("MAX_ALL_OF_PARTS" in v for v in violations)
    for name in ("64 single-glob parts", "64 parts, nested 7 deep", "64 communication parts"):
        satisfied, reason, violations, _ = results[name]
        assert not satisfied  # no path is d0 and d1 at once
        assert "does not match" in reason or "not allowed: not in" in reason, name
        assert violations == []
    assert results["2 parts of 1,600 globs"][0] is True
    for name in ("64 parts of 60 globs", "2 parts of 1,600 globs, too complex"):
        # Undecided redundancy keeps both conjuncts, which then pass the automaton budget.
        assert "MAX_AUTOMATON_STATES" in results[name][1], name
    assert results["communication, 3,000 addresses twice"][2] == []


def test_a_compose_spends_one_budget_on_all_its_redundancy_questions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Met pair by pair, 64 parts asked about 4,000 questions, each with a fresh budget.
    budgets: set[int] = set()
    asked = 0
    find_outside = _glob_inclusion.find_outside

    def counting(inner: Any, outer: Any, budget: _glob_inclusion.Budget) -> Any:
        nonlocal asked
        asked += 1
        budgets.add(id(budget))
        return find_outside(inner, outer, budget)

    monkeypatch.setattr(_glob_inclusion, "find_outside", counting)
    monkeypatch.setattr(_glob, "MAX_MEET_WORK", 20 * _glob.MEET_QUESTION_UNITS)
    value = RESOURCES.parse({"all_of": [[f"d{i}"] for i in range(64)]})
    assert len(budgets) == 1
    assert asked <= 20
    # What the budget left undecided is kept: the intersection is still exact.
    assert len(value.parsed.conjuncts) == 64
    assert not any(value.parsed.matches(f"d{i}") for i in range(64))


def test_a_compose_decides_what_the_budget_allows() -> None:
    value = RESOURCES.parse(
        {"all_of": [["data/**"], ["data/x/*"], ["data/x/*", "logs/*"], ["**/*.json"]]}
    )
    assert value.parsed.conjuncts == (("**/*.json",), ("data/x/*",))
    assert value.parsed.matches("data/x/a.json")
    assert not value.parsed.matches("data/y/a.json")


def test_an_all_of_with_more_parts_than_the_budget_is_refused_naming_it() -> None:
    message = re.escape(f"at most {MAX_ALL_OF_PARTS} parts (the budget MAX_ALL_OF_PARTS")
    with pytest.raises(InvalidValueError, match=message):
        RESOURCES.parse({"all_of": [[f"d{i}"] for i in range(MAX_ALL_OF_PARTS + 1)]})
    with pytest.raises(InvalidValueError, match=message):
        COMMUNICATION.parse({"all_of": ["internal_only"] * (MAX_ALL_OF_PARTS + 1)})
    with pytest.raises(InvalidValueError, match=message):
        TimeDimension().parse({"all_of": ["09:00-17:00"] * (MAX_ALL_OF_PARTS + 1)})
    # Nested all_of values count, so nesting is bounded too, and read without recursion.
    with pytest.raises(InvalidValueError, match=message):
        RESOURCES.parse(nested(MAX_ALL_OF_PARTS + 1, ["a"]))
    with pytest.raises(InvalidValueError, match=message):
        RESOURCES.parse(nested(50_000, ["a"]))
    assert RESOURCES.parse(nested(MAX_ALL_OF_PARTS, ["a"])).parsed == GlobSet.union(["a"])


def test_nested_all_of_values_are_flattened_into_one_intersection() -> None:
    flat = RESOURCES.parse({"all_of": [["data/**"], ["**/*.json"], ["data/x/**"]]})
    deep = RESOURCES.parse(
        {"all_of": [["data/**"], {"all_of": [["**/*.json"], {"all_of": [["data/x/**"]]}]}]}
    )
    assert deep.parsed == flat.parsed
    with pytest.raises(InvalidValueError, match="non-empty list of constraints"):
        RESOURCES.parse({"all_of": [["data/**"], {"all_of": []}]})


def test_compose_refuses_what_would_not_parse_back() -> None:
    parts = [RESOURCES.parse({"all_of": [[f"d{i}"] for i in range(40)]})] * 2
    with pytest.raises(InvalidValueError, match="compose must join at most 64 parts"):
        RESOURCES.compose(parts)
    composed = RESOURCES.compose([parts[0], RESOURCES.parse(["d1"])])
    assert RESOURCES.parse(composed.raw_value).parsed == composed.parsed


def test_communication_networks_meet_and_compare_exactly() -> None:
    wide = COMMUNICATION.parse({"mode": "allowed_domains", "allowed_domains": ["10.0.0.0/8"]})
    narrow = COMMUNICATION.parse(
        {"mode": "allowed_domains", "allowed_domains": ["10.1.0.0/16", "192.168.0.1", "::1"]}
    )
    met = COMMUNICATION.compose([wide, narrow])
    assert [str(n) for n in met.parsed.networks] == ["10.1.0.0/16"]
    assert COMMUNICATION.validate_tightening(wide, met)
    assert COMMUNICATION.validate_tightening(narrow, met)
    assert not COMMUNICATION.validate_tightening(wide, narrow)
    example = COMMUNICATION.loosening_example(wide, narrow)
    assert example is not None
    assert "192.168.0.1" in example
