"""Every built-in dimension is a lattice: tightening is inclusion, compose is the meet.

These laws are what the z3 proofs state about the symbolic twins; here they are checked on
the runtime, for every built-in, on generated values and contexts.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import CASES, DimensionCase
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import Comparison, ConstraintDimension, ConstraintValue
from trust.constraints.builtin import CostLimitDimension, ResourceDimension

NAMES = sorted(CASES)


def _case(name: str) -> tuple[ConstraintDimension, DimensionCase]:
    case = CASES[name]
    return case.make(), case


def _within(dim: ConstraintDimension, child: ConstraintValue, parent: ConstraintValue) -> bool:
    return dim.validate_tightening(parent, child)


def _allows(dim: ConstraintDimension, value: ConstraintValue, context: dict[str, Any]) -> bool:
    return dim.check(value, context).satisfied


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(data=st.data())
def test_tightening_is_reflexive(name: str, data: st.DataObject) -> None:
    dim, case = _case(name)
    value = dim.parse(data.draw(case.values))
    assert _within(dim, value, value)
    assert dim.compare(value, value) is Comparison.EQUIVALENT


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(data=st.data())
def test_tightening_is_transitive(name: str, data: st.DataObject) -> None:
    dim, case = _case(name)
    a, b, c = (dim.parse(data.draw(case.values)) for _ in range(3))
    if _within(dim, a, b) and _within(dim, b, c):
        assert _within(dim, a, c)
    # A chain built by composing is tighter at every step, and so end to end.
    middle = dim.compose([a, b])
    bottom = dim.compose([middle, c])
    assert _within(dim, bottom, middle)
    assert _within(dim, middle, a)
    assert _within(dim, bottom, a)


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(data=st.data())
def test_compose_is_the_greatest_lower_bound(name: str, data: st.DataObject) -> None:
    dim, case = _case(name)
    a, b, x = (dim.parse(data.draw(case.values)) for _ in range(3))
    meet = dim.compose([a, b])
    assert _within(dim, meet, a)
    assert _within(dim, meet, b)
    if _within(dim, x, a) and _within(dim, x, b):
        assert _within(dim, x, meet)
    below_both = dim.compose([a, b, x])
    assert _within(dim, below_both, meet)


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(data=st.data())
def test_compose_is_commutative_associative_and_idempotent(name: str, data: st.DataObject) -> None:
    dim, case = _case(name)
    a, b, c = (dim.parse(data.draw(case.values)) for _ in range(3))
    equivalent = Comparison.EQUIVALENT
    assert dim.compare(dim.compose([a, b]), dim.compose([b, a])) is equivalent
    left = dim.compose([dim.compose([a, b]), c])
    right = dim.compose([a, dim.compose([b, c])])
    assert dim.compare(left, right) is equivalent
    assert dim.compare(dim.compose([a, a]), a) is equivalent


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(data=st.data())
def test_a_tighter_child_allows_only_what_its_parent_allows(name: str, data: st.DataObject) -> None:
    dim, case = _case(name)
    parent, other = (dim.parse(data.draw(case.values)) for _ in range(2))
    children = [other, dim.compose([parent, other])]
    context = data.draw(case.contexts)
    for child in children:
        if _within(dim, child, parent) and _allows(dim, child, context):
            assert _allows(dim, parent, context), (child, parent, context)


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(data=st.data())
def test_compose_allows_exactly_what_every_part_allows(name: str, data: st.DataObject) -> None:
    dim, case = _case(name)
    a, b = (dim.parse(data.draw(case.values)) for _ in range(2))
    context = data.draw(case.contexts)
    expected = _allows(dim, a, context) and _allows(dim, b, context)
    assert _allows(dim, dim.compose([a, b]), context) == expected


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(data=st.data())
def test_the_raw_value_of_a_composition_parses_back_to_it(name: str, data: st.DataObject) -> None:
    dim, case = _case(name)
    a, b = (dim.parse(data.draw(case.values)) for _ in range(2))
    composed = dim.compose([a, b])
    again = dim.parse(composed.raw_value)
    assert dim.compare(again, composed) is Comparison.EQUIVALENT


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(data=st.data())
def test_compare_agrees_with_tightening_both_ways(name: str, data: st.DataObject) -> None:
    dim, case = _case(name)
    a, b = (dim.parse(data.draw(case.values)) for _ in range(2))
    expected = Comparison.from_inclusions(_within(dim, a, b), _within(dim, b, a))
    assert dim.compare(a, b) is expected
    flipped = {
        Comparison.TIGHTER: Comparison.LOOSER,
        Comparison.LOOSER: Comparison.TIGHTER,
    }.get(expected, expected)
    assert dim.compare(b, a) is flipped


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(data=st.data())
def test_a_looser_child_gets_an_example(name: str, data: st.DataObject) -> None:
    dim, case = _case(name)
    parent, child = (dim.parse(data.draw(case.values)) for _ in range(2))
    example = dim.loosening_example(parent, child)
    assert (example is None) == _within(dim, child, parent)


@pytest.mark.parametrize("name", NAMES)
def test_compose_refuses_an_empty_list_and_foreign_values(name: str) -> None:
    dim, _ = _case(name)
    with pytest.raises(InvalidValueError, match="non-empty"):
        dim.compose([])
    foreign = ConstraintValue(dimension="elsewhere", raw_value=1, parsed=1)
    with pytest.raises((InvalidValueError, InvalidTypeError)):
        dim.validate_tightening(foreign, foreign)


def test_compose_of_one_value_is_that_value() -> None:
    dim = ResourceDimension()
    value = dim.parse(["data/**"])
    assert dim.compose([value]) is value


def test_cost_uses_the_default_numeric_order() -> None:
    dim = CostLimitDimension()
    assert type(dim).validate_tightening is ConstraintDimension.validate_tightening
    assert type(dim).compose is ConstraintDimension.compose


def test_values_of_the_wrong_kind_are_refused_by_name() -> None:
    dim = ResourceDimension()
    with pytest.raises(InvalidTypeError, match="child must be a ConstraintValue of 'resources'"):
        dim.validate_tightening(dim.parse("a"), "a")  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="constraints must be a list of ConstraintValue"):
        dim.compose("a")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", NAMES)
def test_every_built_in_describes_itself(name: str) -> None:
    dim, _ = _case(name)
    assert dim.name == name
    assert dim.description
    assert dim.version == "1.0.0"
    assert dim.requires_audit is (name in ("cost_limit", "data_access"))
