"""Interaction modes as pure rules: combining verdicts, and what a child may change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile_constraints import Posing
from tests.strategies import constraint_sets, contexts
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import ConstraintDimensionRegistry, InteractionMode, MultiDimensionEvaluator
from trust.constraints._modes import combine, shape_violations, show
from trust.constraints.builtin import register_builtin_dimensions

MODES = list(InteractionMode)
verdict_lists = st.lists(st.booleans(), min_size=1, max_size=6)


@pytest.mark.parametrize(
    ("mode", "verdicts", "expected"),
    [
        (InteractionMode.CONJUNCTIVE, [True, True], True),
        (InteractionMode.CONJUNCTIVE, [True, False], False),
        (InteractionMode.DISJUNCTIVE, [False, True], True),
        (InteractionMode.DISJUNCTIVE, [False, False], False),
        (InteractionMode.INDEPENDENT, [True, False], False),
        (InteractionMode.INDEPENDENT, [True, False, True], True),
        (InteractionMode.HIERARCHICAL, [False, True, True], False),
        (InteractionMode.HIERARCHICAL, [True, False, False], True),
    ],
)
def test_combine(mode: InteractionMode, verdicts: list[bool], expected: bool) -> None:
    assert combine(mode, verdicts) is expected


@pytest.mark.parametrize("mode", MODES)
def test_no_verdicts_combine_to_a_pass(mode: InteractionMode) -> None:
    assert combine(mode, []) is True


@given(mode=st.sampled_from(MODES), verdicts=verdict_lists, data=st.data())
def test_turning_a_failure_into_a_pass_never_turns_the_whole_into_a_failure(
    mode: InteractionMode, verdicts: list[bool], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(verdicts) - 1))
    better = [*verdicts[:index], True, *verdicts[index + 1 :]]
    if combine(mode, verdicts):
        assert combine(mode, better)


@given(verdicts=verdict_lists)
def test_conjunctive_implies_independent_implies_disjunctive(verdicts: list[bool]) -> None:
    if combine(InteractionMode.CONJUNCTIVE, verdicts):
        assert combine(InteractionMode.INDEPENDENT, verdicts)
    if combine(InteractionMode.INDEPENDENT, verdicts):
        assert combine(InteractionMode.DISJUNCTIVE, verdicts)
    assert combine(InteractionMode.HIERARCHICAL, verdicts) is verdicts[0]


REGISTRY = ConstraintDimensionRegistry()
register_builtin_dimensions(REGISTRY)
EVALUATOR = MultiDimensionEvaluator(REGISTRY, enable_anti_gaming=False)


@settings(deadline=None)
@given(mode=st.sampled_from(MODES), constraints=constraint_sets(), context=contexts())
def test_the_evaluator_combines_exactly_like_combine(
    mode: InteractionMode, constraints: dict[str, Any], context: dict[str, Any]
) -> None:
    result = EVALUATOR.evaluate(constraints, context, mode)
    verdicts = [check.satisfied for check in result.dimension_results.values()]
    assert result.satisfied is combine(mode, verdicts)


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        ("conjunctive", InteractionMode.CONJUNCTIVE),
        (" Hierarchical ", InteractionMode.HIERARCHICAL),
    ],
)
def test_modes_coerce_from_their_values(value: str, mode: InteractionMode) -> None:
    assert InteractionMode.coerce(value) is mode
    assert InteractionMode.coerce(mode) is mode


def test_coercion_names_the_modes_on_failure() -> None:
    message = "mode must be an InteractionMode \\(INDEPENDENT, CONJUNCTIVE, DISJUNCTIVE"
    with pytest.raises(InvalidValueError, match=message):
        InteractionMode.coerce("majority")
    with pytest.raises(InvalidTypeError, match=message):
        InteractionMode.coerce(None)


@pytest.mark.parametrize("mode", MODES)
def test_an_empty_parent_accepts_any_child(mode: InteractionMode) -> None:
    assert shape_violations({}, {"cost_limit": 1, "rate_limit": 2}, mode) == []


def test_shape_messages_name_the_dimension_and_the_value() -> None:
    (dropped,) = shape_violations({"cost_limit": 100}, {}, InteractionMode.CONJUNCTIVE)
    assert dropped == (
        "Dimension 'cost_limit': child drops the parent's constraint (100); under conjunctive "
        "mode a child must keep every parent dimension"
    )
    (added,) = shape_violations(
        {"cost_limit": 100}, {"cost_limit": 100, "rate_limit": 5}, InteractionMode.INDEPENDENT
    )
    assert added == (
        "Dimension 'rate_limit': child adds a constraint (5) the parent does not have; under "
        "independent mode a child must not add dimensions"
    )
    (emptied,) = shape_violations({"cost_limit": 100}, {}, InteractionMode.DISJUNCTIVE)
    assert emptied == (
        "child has no constraints, which allows everything; under disjunctive mode a child may "
        "drop dimensions but must keep at least one"
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (100, "100"),
        ("100/minute", "100/minute"),
        (True, "True"),
        (["a"], "['a']"),
        (Decimal("1.5"), "Decimal('1.5')"),  # not a plain scalar: its repr shows the type
        ("x" * 80, "x" * 80),
        ("x" * 81, None),
        ("x" * 90, None),
    ],
)
def test_show_quotes_values_plainly_and_briefly(raw: object, shown: str | None) -> None:
    text = show(raw)
    if shown is not None:
        assert text == shown
    else:
        assert len(text) < 100
        assert text.endswith(f"({len(raw) + 2} chars)")  # type: ignore[arg-type]


def test_a_mode_name_is_read_as_the_string_it_holds() -> None:
    poser = Posing("hierarchical", like="conjunctive")  # looks up like 'conjunctive'
    assert InteractionMode.coerce(poser) is InteractionMode.HIERARCHICAL


def test_a_subclass_value_is_shown_as_what_it_holds() -> None:
    class Disguised(str):
        def __str__(self) -> str:
            return "something else"

    assert show(Disguised("100/minute")) == "100/minute"
    assert show(10**5000) == "an int of 16610 bits"
