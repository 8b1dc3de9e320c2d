"""`trust._shown`: a message names a value or an error, whatever it does when printed."""

from __future__ import annotations

from tests.hostile_constraints import Unprintable
from trust._shown import describe_error, error_text, shown, type_name


class Opaque:
    def __repr__(self) -> str:
        raise RuntimeError("no")


class NotText:
    def __repr__(self) -> str:
        return 42  # type: ignore[return-value]


class Meta(type):
    @property
    def __name__(cls) -> str:  # type: ignore[override]
        raise RuntimeError("no name")


class Named(metaclass=Meta):
    pass


def test_a_value_whose_repr_raises_is_named_by_a_marker() -> None:
    assert shown(Opaque()) == "<unrepresentable: RuntimeError in __repr__>"
    assert shown(NotText()) == "<unrepresentable: TypeError in __repr__>"


def test_an_int_too_long_for_repr_is_named_by_its_size() -> None:
    assert shown(10**5000) == "an int of 16610 bits"


def test_a_long_repr_is_cut_and_counted() -> None:
    assert shown("fine") == "'fine'"
    assert shown("x" * 1000) == f"'{'x' * 79}... (1002 chars)"


def test_an_exception_that_cannot_print_is_still_described() -> None:
    assert (
        describe_error(Unprintable()) == "Unprintable: <unrepresentable: RuntimeError in __str__>"
    )
    assert describe_error(ValueError("bad")) == "ValueError: bad"
    assert describe_error(ValueError()) == "ValueError"


def test_an_error_message_is_bounded() -> None:
    assert len(error_text(ValueError("x" * 100_000))) < 600


def test_a_type_name_comes_from_the_type_not_its_metaclass() -> None:
    assert type_name(Named()) == "Named"
