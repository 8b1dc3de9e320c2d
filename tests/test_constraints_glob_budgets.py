"""Denial of service through globs: every cost is bounded by a stated budget.

The cases that once took minutes or gigabytes run in a subprocess under a generous time
and address-space limit, so a regression fails here instead of hanging the suite. These
are the only tests that read a clock, as the house rules allow for DoS regressions.
"""

from __future__ import annotations

import re

import pytest

from tests.bounded import run_bounded
from trust._errors import InvalidValueError
from trust.constraints import ConstraintDimensionRegistry, MultiDimensionEvaluator
from trust.constraints.builtin import ResourceDimension, register_builtin_dimensions
from trust.constraints.builtin import _glob_automaton as automaton
from trust.constraints.builtin._glob import GlobSet
from trust.constraints.builtin._glob_automaton import PatternTooComplex


def test_star_a_then_many_question_marks_is_within_double_star_at_once() -> None:
    # The case: k=20 took 58 s and 432 MiB, then was refused though valid.
    results = run_bounded(
        """
        import json, time, tracemalloc
        from trust.constraints.builtin import ResourceDimension
        dim = ResourceDimension()
        parent = dim.parse("**")
        results = []
        for k in range(10, 31):
            tracemalloc.start()
            started = time.perf_counter()
            within = dim.validate_tightening(parent, dim.parse("*a" + "?" * k))
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            results.append([k, within, seconds, peak])
        print(json.dumps(results))
        """
    )
    assert [k for k, *_ in results] == list(range(10, 31))
    for k, within, seconds, peak in results:
        assert within is True, k
        assert seconds < 2.0, (k, seconds)
        assert peak < 16 * 2**20, (k, peak)


def test_a_pair_too_complex_to_decide_is_refused_within_a_second_or_so() -> None:
    # NFA inclusion is PSPACE-complete: some pairs stay hard, and are refused, quickly.
    # The old engine gave up on this one after 16 s and answered "not within".
    outcome = run_bounded(
        """
        import json, resource, time
        from trust.constraints import ConstraintDimensionRegistry, MultiDimensionEvaluator
        from trust.constraints.builtin import register_builtin_dimensions
        registry = ConstraintDimensionRegistry()
        register_builtin_dimensions(registry)
        evaluator = MultiDimensionEvaluator(registry)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        violations = evaluator.validate_tightening(
            {"resources": ["**/*.?????????????aa"]},
            {"resources": ["**/*.?????????????aa", "**/*b?????????????aa"]},
        )
        seconds = time.perf_counter() - started
        grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
        print(json.dumps([violations, seconds, grew]))
        """
    )
    violations, seconds, grew = outcome
    assert len(violations) == 1
    assert "pattern too complex to decide" in violations[0]
    assert "MAX_INCLUSION_WORK" in violations[0]
    assert seconds < 5.0  # under a second; generous for a loaded machine
    assert grew < 64 * 2**20  # peak resident memory


def test_distinct_long_paths_under_a_pathological_glob_keep_memory_bounded() -> None:
    # Each distinct 4,000-character path used to keep about 9 MiB of DFA states; 20 paths
    # of 2,000 characters kept about 90 MiB.
    outcome = run_bounded(
        """
        import gc, json, random, tracemalloc
        from trust.constraints.builtin import ResourceDimension
        dim = ResourceDimension()
        constraint = dim.parse("*a" + "?" * 30)
        choose = random.Random(7).choice
        paths = ["".join(choose("ab") for _ in range(2000)) for _ in range(20)]
        dim.check(constraint, {"resource_requested": "warm"})
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        verdicts = [dim.check(constraint, {"resource_requested": p}).satisfied for p in paths]
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
        expected = [p[-31] == "a" for p in paths]
        print(json.dumps([verdicts == expected, kept]))
        """
    )
    agrees, kept = outcome
    assert agrees
    # What may stay: the DFA (MAX_DFA_BYTES, 4 MiB) and remembered verdicts (RECENT_BYTES).
    assert kept < 8 * 2**20


def test_a_glob_whose_automaton_passes_the_budget_is_refused_at_parse() -> None:
    budget = automaton.MAX_AUTOMATON_STATES
    with pytest.raises(PatternTooComplex, match=re.escape(f"more than {budget:,} states")):
        GlobSet.union(["a" * (budget + 1)])
    with pytest.raises(PatternTooComplex, match="its automaton would have"):
        GlobSet.union(["/".join(["**", "*"] * (budget // 5))])  # short text, many states
    with pytest.raises(InvalidValueError, match="MAX_AUTOMATON_STATES"):
        ResourceDimension().parse([f"data/{n:05d}/" + "?" * 100 for n in range(100)])
    assert GlobSet.union(["a" * (budget // 2)]).matches("a" * (budget // 2))


def test_a_glob_set_too_complex_as_a_whole_names_the_budget() -> None:
    many = [f"team-{n}/project-*/reports/**/*.csv" for n in range(400)]
    with pytest.raises(PatternTooComplex, match=r"their automata would have [\d,]+ states"):
        GlobSet.union(many)
    assert GlobSet.union(many[:100]).matches("team-7/project-x/reports/2024/q1.csv")


def test_an_evaluator_reports_a_glob_over_budget_as_an_invalid_constraint() -> None:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    evaluator = MultiDimensionEvaluator(registry)
    huge = "a" * (automaton.MAX_AUTOMATON_STATES + 1)
    result = evaluator.evaluate({"resources": [huge]}, {"resource_requested": "a"})
    assert not result.satisfied
    assert "MAX_AUTOMATON_STATES" in result.dimension_results["resources"].reason
    violations = evaluator.validate_tightening({"resources": "**"}, {"resources": [huge]})
    assert any("too complex" in v for v in violations)
