"""Reading caller input once, as exact builtins; naming values that cannot print."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hostile import LyingFloat, LyingInt, LyingStr, ShiftyMapping
from tests.hostile_constraints import BrokenMapping, Posing
from trust._errors import InvalidTypeError, InvalidValueError
from trust.constraints import ConstraintCheckResult
from trust.constraints._reading import plain_data, read_constraint_set, read_context


def test_a_context_is_read_once_into_a_plain_dict() -> None:
    read = read_context(ShiftyMapping({"cost_used": 1}, {"cost_used": 2}))
    assert type(read) is dict
    assert read == {"cost_used": 1}


@pytest.mark.parametrize(
    ("context", "reason"),
    [
        (None, "context must be a mapping, got None"),
        (BrokenMapping(), "whose reads raised RuntimeError: boom"),
    ],
)
def test_a_context_that_cannot_be_read_is_a_failed_result(context: Any, reason: str) -> None:
    read = read_context(context)
    assert isinstance(read, ConstraintCheckResult)
    assert read.satisfied is False
    assert reason in read.reason


def test_a_constraint_set_is_keyed_by_the_names_it_holds() -> None:
    read = read_constraint_set({LyingStr("cost_limit"): 1}, "constraints")
    assert [type(name) for name in read] == [str]
    assert read == {"cost_limit": 1}


@pytest.mark.parametrize(
    ("constraints", "error", "message"),
    [
        ([("cost_limit", 1)], InvalidTypeError, "constraints must be a mapping of dimension"),
        ({1: 100}, InvalidTypeError, "constraints keys must be dimension names, got 1"),
        ({"rate_limit": 1, Posing("rate_limit", like="x"): 2}, InvalidValueError, "twice"),
        (BrokenMapping(), InvalidValueError, "must be a mapping that can be read"),
    ],
)
def test_a_constraint_set_that_cannot_be_read_is_refused(
    constraints: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        read_constraint_set(constraints, "constraints")


def test_plain_data_copies_every_level_into_exact_builtins_once() -> None:
    raw = ShiftyMapping(
        {"a": [LyingStr("x"), (LyingInt(1), LyingFloat(2.0))], "b": frozenset({LyingStr("y")})},
        {"a": [], "b": frozenset()},
    )
    copy = plain_data(raw, "raw")
    assert copy == {"a": ["x", (1, 2.0)], "b": frozenset({"y"})}
    kinds = [type(copy), type(copy["a"]), type(copy["a"][0]), type(copy["a"][1][0])]
    assert kinds == [dict, list, str, int]
    assert type(copy["a"][1][1]) is float


def test_plain_data_refuses_what_cannot_be_read_or_nests_without_end() -> None:
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(InvalidValueError, match="raw must be data that can be read"):
        plain_data({"a": BrokenMapping()}, "raw")
    with pytest.raises(InvalidValueError, match="RecursionError"):
        plain_data(looped, "raw")
