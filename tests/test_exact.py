"""`trust._exact`: exact builtin copies that ignore every override of a lying subclass."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hostile import LyingFloat, LyingInt, LyingStr, ShiftyMapping
from trust._exact import exact_float, exact_int, exact_number, exact_str, snapshot


def test_a_lying_str_becomes_the_plain_str_it_holds() -> None:
    value = exact_str(LyingStr("secrets/prod.key"))
    assert type(value) is str
    assert value == "secrets/prod.key"
    assert value != "data/x"
    assert hash(value) == hash("secrets/prod.key")


def test_a_lying_int_becomes_the_plain_int_it_holds() -> None:
    value = exact_int(LyingInt(10**30))
    assert type(value) is int
    assert value == 10**30
    assert not value <= 100


def test_a_lying_float_becomes_the_plain_float_it_holds() -> None:
    value = exact_float(LyingFloat(1e9))
    assert type(value) is float
    assert value == 1e9
    assert exact_number(LyingFloat(1e9)) == 1e9
    assert exact_number(LyingInt(7)) == 7


@pytest.mark.parametrize("value", [True, False, 1.5, "1", None, b"1"])
def test_exact_int_refuses_what_is_not_an_int(value: Any) -> None:
    assert exact_int(value) is None


@pytest.mark.parametrize("value", [True, "1.0", None, 1])
def test_exact_float_refuses_what_is_not_a_float(value: Any) -> None:
    assert exact_float(value) is None


@pytest.mark.parametrize("value", [True, "1", None, 1j])
def test_exact_number_refuses_bools_and_non_numbers(value: Any) -> None:
    assert exact_number(value) is None


@pytest.mark.parametrize("value", [b"x", 1, None])
def test_exact_str_refuses_what_is_not_a_str(value: Any) -> None:
    assert exact_str(value) is None


def test_a_snapshot_reads_a_shifty_mapping_once() -> None:
    shifty = ShiftyMapping({"cost_limit": 10}, {"cost_limit": 10**9})
    copy = snapshot(shifty)
    assert copy == {"cost_limit": 10}
    assert type(copy) is dict
    assert copy["cost_limit"] == 10  # the copy does not shift


def test_a_snapshot_refuses_what_is_not_a_mapping() -> None:
    assert snapshot([("a", 1)]) is None


class PosesAsBuiltins:
    """Not a str, an int or a float, but says it is one (``isinstance`` believes it)."""

    def __init__(self, kind: type) -> None:
        self._kind = kind

    @property
    def __class__(self) -> type:  # type: ignore[override]
        return self._kind


@pytest.mark.parametrize(
    ("kind", "exact"), [(str, exact_str), (int, exact_int), (float, exact_float)]
)
def test_an_object_posing_as_a_builtin_is_not_one(kind: type, exact: Any) -> None:
    poser = PosesAsBuiltins(kind)
    assert isinstance(poser, kind)  # what the check must not rely on
    assert exact(poser) is None
    assert exact_number(PosesAsBuiltins(kind)) is None
