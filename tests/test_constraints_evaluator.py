"""The evaluator: fail-closed evaluation under four modes, and mode-aware tightening."""

from __future__ import annotations

import threading
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fakes import FakeClock
from tests.hostile import LyingFloat, LyingInt, LyingStr, ShiftyMapping
from tests.hostile_constraints import BrokenMapping, Unprintable
from tests.strategies import CASES, constraint_sets, contexts
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import (
    Comparison,
    ConstraintCheckResult,
    ConstraintDimension,
    ConstraintDimensionRegistry,
    ConstraintValue,
    EvaluationResult,
    InteractionMode,
    MultiDimensionEvaluator,
)
from trust.constraints.builtin import register_builtin_dimensions

ALL_NAMES = tuple(CASES)
CONJ, DISJ = InteractionMode.CONJUNCTIVE, InteractionMode.DISJUNCTIVE
INDEP, HIER = InteractionMode.INDEPENDENT, InteractionMode.HIERARCHICAL


def make_evaluator(*extra: ConstraintDimension, review: bool = False) -> MultiDimensionEvaluator:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    for dimension in extra:
        registry.register(dimension, requires_review=review)
    return MultiDimensionEvaluator(registry, enable_anti_gaming=False)


@attrs.define
class Probe(ConstraintDimension):
    """A custom dimension whose parse and check can be made to misbehave."""

    dimension_name: str = "probe"
    parses: int = 0
    check_result: Any = None
    check_error: Exception | None = None

    @property
    def name(self) -> str:
        return self.dimension_name

    @property
    def description(self) -> str:
        return "probe"

    def parse(self, value: Any) -> ConstraintValue:
        self.parses += 1
        if value == "bad":
            raise ValueError("probe value must not be 'bad'")
        return ConstraintValue(dimension=self.name, raw_value=value, parsed=value)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        if self.check_error is not None:
            raise self.check_error
        if self.check_result is not None:
            return self.check_result  # type: ignore[no-any-return]
        return ConstraintCheckResult(satisfied=bool(context.get("probe_ok")), reason="probe")


PASS = {"cost_limit": 100}
FAIL = {"rate_limit": 1}
CONTEXT = {"cost_used": 10, "requests_in_period": 5}


# -- modes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "constraints", "satisfied"),
    [
        (CONJ, {**PASS, **FAIL}, False),
        (CONJ, PASS, True),
        (DISJ, {**PASS, **FAIL}, True),
        (DISJ, FAIL, False),
        (INDEP, {**PASS, **FAIL}, False),  # a tie fails
        (INDEP, {**PASS, **FAIL, "data_access": "allow_all"}, True),
        (INDEP, {**FAIL, **PASS, "time_window": "00:00-00:00"}, False),
        (HIER, {**PASS, **FAIL}, True),
        (HIER, {**FAIL, **PASS}, False),
    ],
)
def test_modes_combine_verdicts(
    mode: InteractionMode, constraints: dict[str, Any], satisfied: bool
) -> None:
    context = {**CONTEXT, "current_time": datetime(2025, 1, 1, 12, 0)}
    result = make_evaluator().evaluate(constraints, context, mode)
    assert result.satisfied is satisfied
    assert result.interaction_mode is mode
    assert list(result.dimension_results) == list(constraints)


@pytest.mark.parametrize("mode", list(InteractionMode))
def test_an_empty_constraint_set_is_satisfied_in_every_mode(mode: InteractionMode) -> None:
    result = make_evaluator().evaluate({}, {}, mode)
    assert result.satisfied
    assert result.interaction_mode is mode
    assert (result.failed_dimensions, result.anti_gaming_flags) == ((), ())
    assert result.warnings == ("no constraints given: an empty constraint set restricts nothing",)


def test_modes_resolve_from_strings_in_any_case() -> None:
    result = make_evaluator().evaluate({**PASS, **FAIL}, CONTEXT, "Disjunctive")  # type: ignore[arg-type]
    assert result.interaction_mode is DISJ
    assert result.satisfied


@pytest.mark.parametrize(
    ("mode", "error"), [("majority", InvalidValueError), (3, InvalidTypeError)]
)
def test_an_unknown_mode_is_refused(mode: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="mode must be an InteractionMode"):
        make_evaluator().evaluate(PASS, CONTEXT, mode)


# -- failing closed ------------------------------------------------------------------


def test_an_unknown_dimension_fails_with_a_reason_and_a_warning() -> None:
    result = make_evaluator().evaluate({"cost_limit": 100, "cost_limt": 5}, CONTEXT)
    assert not result.satisfied
    assert result.failed_dimensions == ("cost_limt",)
    assert result.dimension_results["cost_limt"].reason == "unknown dimension 'cost_limt'"
    assert result.warnings == ("unknown dimension 'cost_limt'",)


def test_a_pending_dimension_fails_until_approved_even_with_a_warm_cache() -> None:
    probe = Probe()
    evaluator = make_evaluator(probe, review=True)
    constraints, context = {"probe": 1}, {"probe_ok": True}
    pending = evaluator.evaluate(constraints, context)
    assert not pending.satisfied
    assert (
        pending.dimension_results["probe"].reason == "dimension 'probe' is pending security review"
    )
    evaluator.registry.approve_dimension("probe", reviewer="security-team")
    assert evaluator.evaluate(constraints, context).satisfied


def test_a_value_that_does_not_parse_fails_that_dimension() -> None:
    result = make_evaluator().evaluate({"rate_limit": -5, **PASS}, CONTEXT, DISJ)
    reason = result.dimension_results["rate_limit"].reason
    assert reason.startswith(
        "invalid constraint -5: Invalid rate limit count: rate_limit must be a non-negative"
    )
    assert result.failed_dimensions == ("rate_limit",)
    # Unlike an unknown dimension (likely a typo), a bad value is no warning: its result says it.
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("constraints", "context"),
    [
        ({"cost_limt": 1}, {}),
        ({"rate_limit": -5}, {}),
        ({"probe": 1}, {}),
        ({"cost_limit": 1}, None),
    ],
)
def test_a_dimension_that_cannot_be_checked_is_a_plain_failure(
    constraints: dict[str, Any], context: Any
) -> None:
    result = make_evaluator(Probe(check_error=RuntimeError("boom"))).evaluate(constraints, context)
    (checked,) = result.dimension_results.values()
    assert checked.satisfied is False


@pytest.mark.parametrize(
    ("probe", "reason"),
    [
        (
            Probe(check_error=RuntimeError("boom")),
            "evaluation error: check raised RuntimeError: boom",
        ),
        (Probe(check_result="yes"), "check must return a ConstraintCheckResult, got 'yes'"),
    ],
)
def test_a_misbehaving_check_fails_its_dimension(probe: Probe, reason: str) -> None:
    result = make_evaluator(probe).evaluate({"probe": 1, **PASS}, CONTEXT, DISJ)
    assert result.dimension_results["probe"].reason == reason
    assert result.failed_dimensions == ("probe",)
    assert result.satisfied  # DISJUNCTIVE: cost_limit still passes


@pytest.mark.parametrize("context", [None, ["cost_used"], "cost_used=1"])
def test_a_context_that_is_not_a_mapping_fails_every_dimension(context: Any) -> None:
    result = make_evaluator().evaluate({**PASS, "data_access": "allow_all"}, context, DISJ)
    assert not result.satisfied
    for check in result.dimension_results.values():
        assert check.reason.startswith("context must be a mapping, got")


def test_the_context_is_checked_before_any_custom_check_runs() -> None:
    result = make_evaluator(Probe()).evaluate({"probe": 1}, ["probe_ok"])
    assert result.dimension_results["probe"].reason == "context must be a mapping, got ['probe_ok']"


def test_any_mapping_is_a_context() -> None:
    result = make_evaluator(Probe()).evaluate(
        {"probe": 1, **PASS}, MappingProxyType({"probe_ok": True, "cost_used": 1})
    )
    assert result.satisfied, result.dimension_results


def test_a_check_may_return_a_subclass_of_the_result() -> None:
    @attrs.frozen(kw_only=True, slots=False)
    class Detailed(ConstraintCheckResult):
        detail: str = ""

    answer = Detailed(satisfied=True, reason="fine", detail="x")
    result = make_evaluator(Probe(check_result=answer)).evaluate({"probe": 1}, {})
    assert result.satisfied
    assert result.dimension_results["probe"] is answer


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        ([("cost_limit", 1)], "constraints must be a mapping"),
        ({1: 100}, "constraints keys must be dimension names, got 1"),
    ],
)
def test_a_malformed_constraint_set_is_refused(constraints: Any, message: str) -> None:
    with pytest.raises(InvalidTypeError, match=message):
        make_evaluator().evaluate(constraints, CONTEXT)


def test_an_agent_id_must_be_an_identifier() -> None:
    with pytest.raises(InvalidValueError, match="agent_id must be a non-blank string"):
        make_evaluator().evaluate(PASS, CONTEXT, agent_id=" ")


def test_results_are_frozen_and_read_only() -> None:
    result = make_evaluator().evaluate(PASS, CONTEXT)
    assert isinstance(result, EvaluationResult)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.satisfied = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.dimension_results["x"] = result.dimension_results["cost_limit"]  # type: ignore[index]


# -- caching -------------------------------------------------------------------------


def test_a_constraint_set_is_parsed_once() -> None:
    probe = Probe()
    evaluator = make_evaluator(probe)
    for _ in range(5):
        evaluator.evaluate({"probe": [1, 2], **PASS}, {"probe_ok": True})
    assert probe.parses == 1


def test_a_changed_constraint_set_is_parsed_again() -> None:
    probe = Probe()
    evaluator = make_evaluator(probe)
    constraints: dict[str, Any] = {"probe": [1]}
    evaluator.evaluate(constraints, {})
    constraints["probe"].append(2)
    evaluator.evaluate(constraints, {})
    assert probe.parses == 2


def test_values_of_other_types_are_not_confused_in_the_cache() -> None:
    evaluator = make_evaluator()
    assert evaluator.evaluate({"cost_limit": 1}, {"cost_used": 1}).satisfied
    refused = evaluator.evaluate({"cost_limit": True}, {"cost_used": 1})
    assert not refused.satisfied
    assert "got True" in refused.dimension_results["cost_limit"].reason


def test_uncacheable_values_are_parsed_every_time() -> None:
    class Tag:
        pass

    probe = Probe()
    evaluator = make_evaluator(probe)
    tag = Tag()
    evaluator.evaluate({"probe": tag}, {})
    evaluator.evaluate({"probe": tag}, {})
    assert probe.parses == 2


@pytest.mark.parametrize(
    "raw",
    [LyingStr("x"), [LyingStr("x")], {"k": LyingStr("x")}, LyingInt(1), (1, LyingFloat(1.0))],
)
def test_a_raw_value_holding_a_subclass_is_never_cached(raw: Any) -> None:
    # A LyingStr equals, and hashes like, every other one: cached, it could be served the
    # parse (or tightening verdict) of another value.
    probe = Probe()
    evaluator = make_evaluator(probe)
    evaluator.evaluate({"probe": raw}, {})
    evaluator.evaluate({"probe": raw}, {})
    evaluator.validate_tightening({"probe": raw}, {"probe": raw})
    assert probe.parses == 4


def test_a_lying_cost_is_not_served_a_cached_verdict() -> None:
    evaluator = make_evaluator()
    assert evaluator.evaluate({"cost_limit": 100}, {"cost_used": 50}).satisfied
    assert not evaluator.evaluate({"cost_limit": 100}, {"cost_used": LyingFloat(1e9)}).satisfied
    assert evaluator.validate_tightening({"cost_limit": 100}, {"cost_limit": 50}) == []
    assert evaluator.validate_tightening({"cost_limit": 100}, {"cost_limit": LyingInt(10**9)})


# -- tightening ----------------------------------------------------------------------

SHAPES: list[tuple[InteractionMode, dict[str, Any], dict[str, Any], list[str]]] = [
    (CONJ, {"cost_limit": 100}, {"cost_limit": 100, "rate_limit": 5}, []),
    (CONJ, {"cost_limit": 100, "rate_limit": 5}, {"cost_limit": 100}, ["child drops"]),
    (DISJ, {"cost_limit": 100, "rate_limit": 5}, {"cost_limit": 100}, []),
    (DISJ, {"cost_limit": 100}, {"cost_limit": 100, "rate_limit": 5}, ["child adds"]),
    (DISJ, {"cost_limit": 100}, {}, ["child has no constraints"]),
    (INDEP, {"cost_limit": 100}, {"cost_limit": 100, "rate_limit": 5}, ["child adds"]),
    (INDEP, {"cost_limit": 100, "rate_limit": 5}, {"rate_limit": 5, "cost_limit": 50}, []),
    (HIER, {"cost_limit": 100, "rate_limit": 5}, {"rate_limit": 5, "cost_limit": 50}, ["order"]),
    (HIER, {"cost_limit": 100, "rate_limit": 5}, {"cost_limit": 50, "rate_limit": 5}, []),
    (HIER, {}, {"rate_limit": 5}, []),
    (DISJ, {}, {"rate_limit": 5}, []),
]


@pytest.mark.parametrize(("mode", "parent", "child", "expected"), SHAPES)
def test_what_a_child_may_add_or_drop_depends_on_the_mode(
    mode: InteractionMode, parent: dict[str, Any], child: dict[str, Any], expected: list[str]
) -> None:
    violations = make_evaluator().validate_tightening(parent, child, mode)
    assert len(violations) == len(expected), violations
    for violation, fragment in zip(violations, expected, strict=True):
        assert fragment in violation


def test_a_looser_shared_dimension_is_named_with_both_values_and_an_example() -> None:
    violations = make_evaluator().validate_tightening(
        {"resources": ["data/**"]}, {"resources": ["data/**", "secrets/*"]}
    )
    assert violations == [
        "Dimension 'resources': child constraint (['data/**', 'secrets/*']) is looser than "
        "parent (['data/**']); for example the child allows {'resource_requested': 'secrets/a'}, "
        "the parent does not"
    ]


def test_an_incomparable_child_is_not_within_its_parent() -> None:
    (violation,) = make_evaluator().validate_tightening(
        {"data_access": "no_pii"}, {"data_access": "internal_only"}
    )
    assert "child constraint (internal_only) is not within parent (no_pii)" in violation


def test_unknown_pending_and_unparsable_dimensions_cannot_be_validated() -> None:
    evaluator = make_evaluator(Probe(), review=True)
    violations = evaluator.validate_tightening(
        {"cost_limit": "lots", "probe": 1}, {"cost_limit": 1, "probe": 1, "mystery": 2}
    )
    assert violations == [
        "Dimension 'cost_limit': parent invalid constraint lots: Cannot parse cost limit: "
        "cost_limit must be a finite, non-negative number of cents, got 'lots'; cannot check "
        "tightening",
        "Dimension 'probe': parent dimension 'probe' is pending security review; cannot check "
        "tightening",
        "Dimension 'probe': child dimension 'probe' is pending security review; cannot check "
        "tightening",
        "Dimension 'mystery': child unknown dimension 'mystery'; cannot check tightening",
    ]


def test_a_comparison_that_raises_is_a_violation() -> None:
    class Fussy(Probe):
        def validate_tightening(self, parent: ConstraintValue, child: ConstraintValue) -> bool:
            raise RuntimeError("cannot tell")

    (violation,) = make_evaluator(Fussy()).validate_tightening({"probe": 1}, {"probe": 1})
    assert violation == (
        "Dimension 'probe': error validating: could not compare child constraint (1) with "
        "parent (1): RuntimeError: cannot tell"
    )


def test_a_non_bool_tightening_verdict_is_not_a_yes() -> None:
    class Vague(Probe):
        def validate_tightening(self, parent: ConstraintValue, child: ConstraintValue) -> bool:
            return "yes"  # type: ignore[return-value]

    assert make_evaluator(Vague()).validate_tightening({"probe": 1}, {"probe": 1}) != []


@pytest.mark.parametrize("bad", [None, [("cost_limit", 1)], {2: 1}])
def test_tightening_needs_two_constraint_sets(bad: Any) -> None:
    with pytest.raises(InvalidTypeError, match=r"^parent_constraints "):
        make_evaluator().validate_tightening(bad, {})
    with pytest.raises(InvalidTypeError, match=r"^child_constraints "):
        make_evaluator().validate_tightening({}, bad)


def test_constraint_sets_compare_under_the_mode_given() -> None:
    evaluator = make_evaluator()
    fewer, more = {"cost_limit": 100}, {"cost_limit": 100, "rate_limit": 5}
    # Dropping a dimension widens a CONJUNCTIVE set and narrows a DISJUNCTIVE one.
    assert evaluator.compare(fewer, more) is Comparison.LOOSER
    assert evaluator.compare(fewer, more, DISJ) is Comparison.TIGHTER
    assert evaluator.compare(more, fewer, DISJ) is Comparison.LOOSER


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"cost_limit": 50}, {"cost_limit": 100}, Comparison.TIGHTER),
        ({"cost_limit": 100}, {"cost_limit": 50}, Comparison.LOOSER),
        ({"cost_limit": 50}, {"cost_limit": 50.0}, Comparison.EQUIVALENT),
        ({"cost_limit": 50, "rate_limit": 9}, {"cost_limit": 100}, Comparison.TIGHTER),
        ({"cost_limit": 50}, {"rate_limit": 9}, Comparison.INCOMPARABLE),
    ],
)
def test_constraint_sets_compare(
    a: dict[str, Any], b: dict[str, Any], expected: Comparison
) -> None:
    assert make_evaluator().compare(a, b) is expected


# -- properties ----------------------------------------------------------------------

EVALUATOR = make_evaluator()
DIMENSIONS = dict(EVALUATOR.registry.all())


@st.composite
def derived_children(draw: st.DrawFn, parent: dict[str, Any]) -> dict[str, Any]:
    """A child that keeps, drops, tightens or reorders the parent's dimensions and may add."""
    child: dict[str, Any] = {}
    for name, raw in parent.items():
        action = draw(st.sampled_from(["keep", "drop", "tighten", "replace"]))
        if action == "drop":
            continue
        if action == "keep":
            child[name] = raw
        else:
            other = draw(CASES[name].values)
            if action == "tighten":
                dim = DIMENSIONS[name]
                other = dim.compose([dim.parse(raw), dim.parse(other)]).raw_value
            child[name] = other
    for name in draw(st.lists(st.sampled_from(ALL_NAMES), max_size=2)):
        child.setdefault(name, draw(CASES[name].values))
    if draw(st.integers(0, 3)) == 0:
        child = dict(reversed(list(child.items())))
    return child


@settings(deadline=None)
@given(data=st.data(), mode=st.sampled_from(list(InteractionMode)))
def test_a_validated_child_never_passes_where_its_parent_fails(
    data: st.DataObject, mode: InteractionMode
) -> None:
    parent = data.draw(constraint_sets())
    child = data.draw(derived_children(parent))
    if EVALUATOR.validate_tightening(parent, child, mode):
        return
    for _ in range(5):
        context = data.draw(contexts())
        if EVALUATOR.evaluate(child, context, mode).satisfied:
            assert EVALUATOR.evaluate(parent, context, mode).satisfied, (parent, child, context)


@settings(deadline=None)
@given(data=st.data(), mode=st.sampled_from(list(InteractionMode)))
def test_tightening_one_dimension_never_turns_a_failure_into_a_pass(
    data: st.DataObject, mode: InteractionMode
) -> None:
    constraints = data.draw(constraint_sets())
    name = data.draw(st.sampled_from(sorted(constraints)))
    dim = DIMENSIONS[name]
    tighter = dim.compose([dim.parse(constraints[name]), dim.parse(data.draw(CASES[name].values))])
    tightened = {**constraints, name: tighter.raw_value}
    context = data.draw(contexts())
    if EVALUATOR.evaluate(tightened, context, mode).satisfied:
        assert EVALUATOR.evaluate(constraints, context, mode).satisfied


@settings(deadline=None)
@given(constraints=constraint_sets(), context=contexts())
def test_conjunctive_implies_independent_implies_disjunctive(
    constraints: dict[str, Any], context: dict[str, Any]
) -> None:
    verdict = {mode: EVALUATOR.evaluate(constraints, context, mode) for mode in InteractionMode}
    if verdict[CONJ].satisfied:
        assert verdict[INDEP].satisfied
    if verdict[INDEP].satisfied:
        assert verdict[DISJ].satisfied
    first = next(iter(constraints))
    assert verdict[HIER].satisfied == verdict[HIER].dimension_results[first].satisfied
    assert verdict[CONJ].failed_dimensions == verdict[DISJ].failed_dimensions


def test_concurrent_evaluations_agree() -> None:
    evaluator = make_evaluator()
    barrier = threading.Barrier(8)
    verdicts: list[bool] = []

    def evaluate(index: int) -> None:
        barrier.wait()
        for n in range(200):
            constraints = {"cost_limit": 100 + n % 7, "rate_limit": f"{n % 5 + 10}/minute"}
            result = evaluator.evaluate(constraints, {"cost_used": 50, "requests_in_period": 9})
            verdicts.append(result.satisfied)

    threads = [threading.Thread(target=evaluate, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts == [True] * 1600


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("registry", {}, "registry must be a ConstraintDimensionRegistry"),
        ("enable_anti_gaming", "yes", "enable_anti_gaming must be a bool"),
        ("max_cached_constraint_sets", 0, "max_cached_constraint_sets must be a positive"),
        ("max_tracked_agents", -1, "max_agents must be a positive integer"),
    ],
)
def test_malformed_evaluator_configuration_is_refused(
    argument: str, value: Any, message: str
) -> None:
    arguments: dict[str, Any] = {"registry": ConstraintDimensionRegistry(), argument: value}
    with pytest.raises(InvalidValueError, match=message):
        MultiDimensionEvaluator(**arguments)


def test_a_parse_that_returns_something_else_fails_the_dimension() -> None:
    class Sloppy(Probe):
        def parse(self, value: Any) -> ConstraintValue:
            return value  # type: ignore[no-any-return]

    result = make_evaluator(Sloppy()).evaluate({"probe": 1}, {})
    assert result.dimension_results["probe"].reason == (
        "parse must return a ConstraintValue, got 1"
    )


def test_uncacheable_values_are_still_validated() -> None:
    class Models(list[str]):
        pass

    evaluator = make_evaluator()
    parent = {"resources": Models(["data/**"])}
    assert evaluator.validate_tightening(parent, {"resources": Models(["data/a"])}) == []
    assert evaluator.validate_tightening(parent, {"resources": Models(["x"])}) != []


def test_an_example_that_raises_leaves_the_plain_violation() -> None:
    class Muddled(Probe):
        def validate_tightening(self, parent: ConstraintValue, child: ConstraintValue) -> bool:
            return bool(child.parsed <= parent.parsed)

        def loosening_example(self, parent: ConstraintValue, child: ConstraintValue) -> str:
            raise RuntimeError("no idea")

    violations = make_evaluator(Muddled()).validate_tightening({"probe": 1}, {"probe": 2})
    assert violations == ["Dimension 'probe': child constraint (2) is looser than parent (1)"]


def test_one_uncacheable_side_does_not_confuse_tightening_verdicts() -> None:
    class Models(list[str]):
        pass

    evaluator = make_evaluator()
    child = {"resources": ["data/a"]}
    assert evaluator.validate_tightening({"resources": Models(["data/**"])}, child) == []
    assert evaluator.validate_tightening({"resources": Models(["logs/**"])}, child) != []
    parent = {"resources": ["data/**"]}
    assert evaluator.validate_tightening(parent, {"resources": Models(["data/a"])}) == []
    assert evaluator.validate_tightening(parent, {"resources": Models(["logs/a"])}) != []


class RecordingSink:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def record_constraint_evaluation(self, **fields: Any) -> None:
        self.calls.append(fields)


def test_the_metrics_sink_gets_the_verdict_the_flags_and_the_duration_in_ms() -> None:
    ticks = iter([10.0, 10.25, 20.0, 20.5])

    class Ticking(FakeClock):
        def monotonic(self) -> float:
            return next(ticks)

    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    sink = RecordingSink()
    evaluator = MultiDimensionEvaluator(registry, metrics=sink, clock=Ticking())
    limits = {"cost_limit": 100, "rate_limit": 10}
    near = evaluator.evaluate(limits, {"cost_used": 99, "requests_in_period": 1}, agent_id="a")
    over = evaluator.evaluate(limits, {"cost_used": 500, "requests_in_period": 1}, DISJ, "a")
    assert near.anti_gaming_flags != ()
    assert sink.calls == [
        {
            "passed": True,
            "failed_dimensions": (),
            "gaming_flags": near.anti_gaming_flags,
            "duration_ms": 250.0,
        },
        {
            "passed": True,  # DISJUNCTIVE: a passed evaluation is never recorded with failures
            "failed_dimensions": (),
            "gaming_flags": over.anti_gaming_flags,
            "duration_ms": 500.0,
        },
    ]


def test_evaluation_durations_come_from_the_injected_clock() -> None:
    # The duration is what the clock the evaluator was given says, not the process's.
    clock = FakeClock()

    class Slow(Probe):
        def check(
            self, constraint: ConstraintValue, context: dict[str, Any]
        ) -> ConstraintCheckResult:
            clock.advance(0.125)
            return super().check(constraint, context)

    registry = ConstraintDimensionRegistry()
    registry.register(Slow())
    sink = RecordingSink()
    evaluator = MultiDimensionEvaluator(registry, metrics=sink, clock=clock)
    assert evaluator.evaluate({"probe": 1}, {"probe_ok": True}).satisfied
    assert [call["duration_ms"] for call in sink.calls] == [125.0]


def test_the_clock_must_be_a_clock() -> None:
    with pytest.raises(InvalidTypeError, match=r"^clock must provide now\(\) and monotonic\(\)"):
        MultiDimensionEvaluator(ConstraintDimensionRegistry(), clock=object())  # type: ignore[arg-type]


def test_configuration_errors_show_the_value() -> None:
    registry = ConstraintDimensionRegistry()
    with pytest.raises(InvalidTypeError, match=r"^enable_anti_gaming must be a bool, got 'yes'$"):
        MultiDimensionEvaluator(registry, enable_anti_gaming="yes")  # type: ignore[arg-type]
    with pytest.raises(
        InvalidTypeError,
        match=r"^metrics collector must have record_constraint_evaluation\(\), got <object ",
    ):
        MultiDimensionEvaluator(registry).attach_metrics(object())  # type: ignore[arg-type]


def test_anti_gaming_history_is_kept_per_agent() -> None:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    evaluator = MultiDimensionEvaluator(registry)
    small = ({"cost_limit": 100}, {"cost_used": 1})
    flags = [evaluator.evaluate(*small, agent_id="splitter").anti_gaming_flags for _ in range(8)]
    assert flags[6] == ()
    assert flags[7] == ("constraint_splitting:detected (8/10 evaluations with small ops)",)
    assert evaluator.evaluate(*small, agent_id="newcomer").anti_gaming_flags == ()


# -- hostile values: each argument read once, as the builtin it holds -----------------


def test_a_constraint_set_that_shifts_is_compared_as_one_reading() -> None:
    shifty = ShiftyMapping({"cost_limit": 10}, {"cost_limit": 1000})
    assert make_evaluator().compare(shifty, {"cost_limit": 100}) is Comparison.TIGHTER


def test_a_nested_constraint_that_shifts_is_compared_as_one_reading() -> None:
    shifty = ShiftyMapping({"mode": "no_pii"}, {"mode": "allow_all"})
    evaluator = make_evaluator()
    assert evaluator.compare({"data_access": shifty}, {"data_access": "allow_all"}) is (
        Comparison.TIGHTER
    )


def test_a_context_that_shifts_is_read_once_for_every_dimension() -> None:
    context = ShiftyMapping({"cost_used": 10**9}, {"cost_used": 10})
    result = make_evaluator().evaluate({"cost_limit": 100}, context)
    assert not result.satisfied
    assert result.dimension_results["cost_limit"].used == 1e9


def test_every_check_sees_the_same_reading_of_the_context() -> None:
    seen: list[Any] = []

    class Recorder(Probe):
        def check(
            self, constraint: ConstraintValue, context: dict[str, Any]
        ) -> ConstraintCheckResult:
            seen.append(context["probe_ok"])
            return super().check(constraint, context)

    context = ShiftyMapping({"probe_ok": True}, {"probe_ok": False})
    evaluator = make_evaluator(Recorder(), Recorder(dimension_name="probe_2"))
    assert evaluator.evaluate({"probe": 1, "probe_2": 1}, context).satisfied
    assert seen == [True, True]


def test_a_context_whose_reads_raise_fails_every_dimension() -> None:
    result = make_evaluator().evaluate({**PASS, "data_access": "allow_all"}, BrokenMapping(), DISJ)
    assert not result.satisfied
    for check in result.dimension_results.values():
        assert check.reason.startswith("context must be a mapping that can be read, got <")
        assert check.reason.endswith("whose reads raised RuntimeError: boom")


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda e, bad: e.evaluate(bad, CONTEXT), "constraints"),
        (lambda e, bad: e.validate_tightening(bad, PASS), "parent_constraints"),
        (lambda e, bad: e.validate_tightening(PASS, bad), "child_constraints"),
        (lambda e, bad: e.compare(bad, PASS), "a"),
        (lambda e, bad: e.compare(PASS, bad), "b"),
    ],
)
def test_a_constraint_set_whose_reads_raise_is_refused_naming_it(call: Any, name: str) -> None:
    with pytest.raises(
        InvalidValueError, match=rf"^{name} must be a mapping that can be read, got <"
    ):
        call(make_evaluator(), BrokenMapping())


def test_dimension_names_are_read_as_the_strings_they_hold() -> None:
    result = make_evaluator().evaluate({LyingStr("cost_limit"): 100}, {"cost_used": 50})
    assert result.satisfied, result.dimension_results
    (name,) = result.dimension_results
    assert type(name) is str
    assert name == "cost_limit"
    assert (
        make_evaluator().validate_tightening({"cost_limit": 100}, {LyingStr("cost_limit"): 50})
        == []
    )


def test_two_names_holding_the_same_string_are_refused() -> None:
    constraints = {"cost_limit": 10**9, LyingStr("cost_limit"): 10}
    with pytest.raises(InvalidValueError, match="constraints keys must be distinct dimension"):
        make_evaluator().evaluate(constraints, CONTEXT)


def test_a_mode_posing_as_an_interaction_mode_is_refused() -> None:
    class FakeMode:
        @property
        def __class__(self) -> type:
            return InteractionMode

    with pytest.raises(InvalidTypeError, match="mode must be an InteractionMode"):
        make_evaluator().evaluate({**PASS, **FAIL}, CONTEXT, FakeMode())  # type: ignore[arg-type]


def test_a_verdict_is_read_once() -> None:
    class FlipFlop(ConstraintCheckResult):
        """Fails on the first read of ``satisfied`` and passes on every later one."""

        reads = 0

        @property  # type: ignore[misc]
        def satisfied(self) -> bool:
            type(self).reads += 1
            return type(self).reads > 1

    answer: ConstraintCheckResult = object.__new__(FlipFlop)
    answer.__dict__.update(reason="flip", remaining=None, used=None, limit=None)
    result = make_evaluator(Probe(check_result=answer)).evaluate(
        {"probe": 1, **PASS}, CONTEXT, HIER
    )
    assert result.failed_dimensions == ("probe",)
    assert result.satisfied is False


def test_an_exception_that_cannot_print_still_fails_its_dimension() -> None:
    result = make_evaluator(Probe(check_error=Unprintable())).evaluate({"probe": 1}, {})
    assert result.dimension_results["probe"].reason == (
        "evaluation error: check raised Unprintable: <unrepresentable: RuntimeError in __str__>"
    )


def test_a_constraint_too_long_to_print_fails_closed() -> None:
    evaluator = make_evaluator()
    result = evaluator.evaluate({"cost_limit": 10**5000}, CONTEXT)
    assert not result.satisfied
    assert result.dimension_results["cost_limit"].reason.startswith(
        "invalid constraint an int of 16610 bits: Cannot parse cost limit: cost_limit must be"
    )
    (violation,) = evaluator.validate_tightening({"cost_limit": 1}, {"cost_limit": 10**5000})
    assert violation.startswith("Dimension 'cost_limit': child invalid constraint an int of")


def test_a_result_posing_as_a_check_result_is_refused() -> None:
    class Poser:
        satisfied = True
        reason = "trust me"

        @property
        def __class__(self) -> type:  # type: ignore[override]
            return ConstraintCheckResult

    result = make_evaluator(Probe(check_result=Poser())).evaluate({"probe": 1}, {})
    assert not result.satisfied
    assert result.dimension_results["probe"].reason.startswith(
        "check must return a ConstraintCheckResult, got <"
    )
