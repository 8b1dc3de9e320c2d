"""The registry: review before use, unique names, recorded reviewers, thread safety."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.hostile_constraints import Posing
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import (
    ConstraintCheckResult,
    ConstraintDimension,
    ConstraintDimensionRegistry,
    ConstraintValue,
)
from trust.constraints.builtin import CostLimitDimension, register_builtin_dimensions


class Named(ConstraintDimension):
    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return "test dimension"

    def parse(self, value: Any) -> ConstraintValue:
        return ConstraintValue(dimension=self._name, raw_value=value, parsed=value)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        return ConstraintCheckResult(satisfied=True, reason="ok")


def test_a_dimension_needing_review_is_pending_until_approved() -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(Named("token_limit"), requires_review=True)
    assert registry.has("token_limit")
    assert registry.is_pending("token_limit")
    assert registry.get("token_limit") is None
    assert registry.pending_review() == ["token_limit"]
    registry.approve_dimension("token_limit", reviewer="security-team")
    assert registry.get("token_limit") is not None
    assert registry.pending_review() == []
    assert registry.reviewer("token_limit") == "security-team"


def test_a_custom_dimension_named_after_a_built_in_still_needs_review() -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(Named("cost_limit"), requires_review=True)
    assert registry.get("cost_limit") is None
    assert registry.pending_review() == ["cost_limit"]


def test_a_dimension_without_review_is_usable_at_once_and_has_no_reviewer() -> None:
    registry = ConstraintDimensionRegistry()
    dimension = Named("plain")
    registry.register(dimension)
    assert registry.get("plain") is dimension
    assert registry.reviewer("plain") is None
    assert registry.reviewer("unknown") is None


def test_test_mode_hands_out_pending_dimensions_but_keeps_them_pending() -> None:
    registry = ConstraintDimensionRegistry(allow_unreviewed=True)
    registry.register(Named("token_limit"), requires_review=True)
    assert registry.get("token_limit") is not None
    assert registry.pending_review() == ["token_limit"]
    assert registry.allow_unreviewed


def test_a_taken_name_is_refused() -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(Named("x"))
    with pytest.raises(InvalidValueError, match="dimension name must be unique, got 'x'"):
        registry.register(Named("x"), requires_review=True)


def test_approving_twice_keeps_the_first_reviewer() -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(Named("x"), requires_review=True)
    registry.approve_dimension("x", reviewer="alice")
    registry.approve_dimension("x", reviewer="bob")
    assert registry.reviewer("x") == "alice"


@pytest.mark.parametrize(
    ("name", "reviewer", "message"),
    [
        ("missing", "alice", "name must be a registered dimension, got 'missing'"),
        ("x", " ", "reviewer must be a non-blank string"),
        ("x", None, "reviewer must be a string"),
    ],
)
def test_approval_needs_a_known_dimension_and_a_reviewer(
    name: str, reviewer: Any, message: str
) -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(Named("x"), requires_review=True)
    with pytest.raises(InvalidValueError, match=message):
        registry.approve_dimension(name, reviewer=reviewer)
    assert registry.is_pending("x")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.register("cost_limit"), "dimension must be a ConstraintDimension"),
        (lambda r: r.register(Named("")), "dimension name must be a non-blank string"),
        (lambda r: r.register(Named("x"), requires_review="yes"), "requires_review must be a bool"),
        (lambda r: ConstraintDimensionRegistry(allow_unreviewed=1), "allow_unreviewed must be"),
    ],
)
def test_malformed_registrations_are_refused(call: Any, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        call(ConstraintDimensionRegistry())


def test_all_lists_every_dimension_in_registration_order() -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(Named("b"))
    registry.register(Named("a"), requires_review=True)
    assert [name for name, _ in registry.all()] == ["b", "a"]
    assert repr(registry) == "ConstraintDimensionRegistry(['b', 'a'])"


def test_every_change_bumps_the_generation() -> None:
    registry = ConstraintDimensionRegistry()
    start = registry.generation
    registry.register(Named("x"), requires_review=True)
    registry.approve_dimension("x", reviewer="alice")
    registry.approve_dimension("x", reviewer="alice")  # no change
    assert registry.generation == start + 2


def test_concurrent_registrations_of_one_name_admit_exactly_one() -> None:
    registry = ConstraintDimensionRegistry()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def register() -> None:
        barrier.wait()
        try:
            registry.register(Named("shared"))
            outcomes.append("registered")
        except InvalidValueError:
            outcomes.append("refused")

    threads = [threading.Thread(target=register) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["registered"]


def test_register_builtin_dimensions_is_idempotent_even_concurrently() -> None:
    registry = ConstraintDimensionRegistry()
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def register() -> None:
        barrier.wait()
        try:
            register_builtin_dimensions(registry)
        except BaseException as exc:  # pragma: no cover - the test fails on any
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [name for name, _ in registry.all()] == [
        "cost_limit",
        "time_window",
        "resources",
        "rate_limit",
        "data_access",
        "communication",
    ]
    assert registry.pending_review() == []


def test_builtin_registration_refuses_a_name_taken_by_another_kind() -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(Named("rate_limit"), requires_review=True)
    with pytest.raises(InvalidValueError, match="'rate_limit' must be free"):
        register_builtin_dimensions(registry)
    assert registry.has("rate_limit")
    assert not registry.has("cost_limit")  # nothing half-registered


def test_a_built_in_registered_for_review_stays_pending() -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(CostLimitDimension(), requires_review=True)
    register_builtin_dimensions(registry)
    assert registry.pending_review() == ["cost_limit"]


def test_builtin_registration_needs_a_registry() -> None:
    with pytest.raises(InvalidTypeError, match="registry must be a ConstraintDimensionRegistry"):
        register_builtin_dimensions({})  # type: ignore[arg-type]


def test_builtin_registration_passes_the_clock_and_internal_domains_on() -> None:
    from datetime import UTC, datetime

    from tests.fakes import FakeClock
    from trust.constraints import MultiDimensionEvaluator

    registry = ConstraintDimensionRegistry()
    clock = FakeClock(datetime(2025, 1, 15, 3, 0, tzinfo=UTC))
    register_builtin_dimensions(registry, clock=clock, internal_domains=["corp.example"])
    evaluator = MultiDimensionEvaluator(registry)
    night = {"time_window": "22:00-06:00"}
    assert evaluator.evaluate(night, {}).satisfied
    clock.advance(6 * 3600)
    assert not evaluator.evaluate(night, {}).satisfied
    internal = {"communication": "internal_only"}
    assert evaluator.evaluate(internal, {"communication_target": "wiki.corp.example"}).satisfied
    assert not evaluator.evaluate(internal, {"communication_target": "x.internal"}).satisfied


def test_a_name_posing_as_another_finds_nothing() -> None:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    poser = Posing("evil", like="cost_limit")  # hashes and compares like 'cost_limit'
    assert registry.get(poser) is None
    assert not registry.has(poser)
    assert registry.reviewer(poser) is None


def test_a_name_posing_as_a_pending_one_approves_nothing() -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(Named("token_limit"), requires_review=True)
    with pytest.raises(InvalidValueError, match="name must be a registered dimension"):
        registry.approve_dimension(Posing("other", like="token_limit"), reviewer="mallory")
    assert registry.is_pending("token_limit")
    assert not registry.is_pending(Posing("other", like="token_limit"))


def test_parse_constraint_parses_with_the_named_dimension() -> None:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    parsed = registry.parse_constraint("cost_limit", "1000")
    assert parsed is not None
    assert (parsed.dimension, parsed.parsed) == ("cost_limit", 1000.0)
    with pytest.raises(ValueError, match="cost_limit must be a finite, non-negative number"):
        registry.parse_constraint("cost_limit", "lots")


def test_parse_constraint_finds_nothing_unknown_or_pending() -> None:
    registry = ConstraintDimensionRegistry()
    registry.register(Named("custom"), requires_review=True)
    assert registry.parse_constraint("nowhere", 1) is None
    assert registry.parse_constraint("custom", 1) is None
    registry.approve_dimension("custom", "security-team")
    parsed = registry.parse_constraint("custom", 1)
    assert parsed is not None
    assert parsed.parsed == 1
    assert registry.parse_constraint(Posing("nowhere", "custom"), 1) is None
