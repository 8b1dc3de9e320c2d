"""`trust._shown`: a message names a value or an error, whatever it does when printed."""

from __future__ import annotations

import asyncio

import pytest

from tests.hostile_constraints import Unprintable
from trust._shown import deferring, describe_error, error_text, is_stop_request, shown, type_name


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


# --- what printing may raise: a marker for anything but a stop request ---------------------


class Weird(BaseException):
    """Neither an `Exception` nor a stop request."""


class Raises:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __repr__(self) -> str:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [Weird(), GeneratorExit(), asyncio.CancelledError(), BaseExceptionGroup("g", [Weird()])],
    ids=["BaseException subclass", "GeneratorExit", "CancelledError", "group"],
)
def test_any_base_exception_but_a_stop_request_becomes_a_marker(error: BaseException) -> None:
    # Before: only Exception was caught, and a message about the value raised instead.
    assert shown(Raises(error)) == f"<unrepresentable: {type(error).__name__} in __repr__>"


@pytest.mark.parametrize(
    "stop",
    [
        KeyboardInterrupt(),
        SystemExit(1),
        BaseExceptionGroup("g", [ValueError(), BaseExceptionGroup("h", [KeyboardInterrupt()])]),
    ],
    ids=["KeyboardInterrupt", "SystemExit", "nested group holding one"],
)
def test_a_stop_request_is_passed_on_at_once_outside_a_scope(stop: BaseException) -> None:
    assert is_stop_request(stop)
    with pytest.raises(type(stop)) as caught:
        shown(Raises(stop))
    assert caught.value is stop


def test_a_group_subclass_cannot_hide_a_stop_request() -> None:
    class Hiding(BaseExceptionGroup):  # type: ignore[type-arg]
        @property
        def exceptions(self) -> tuple[BaseException, ...]:  # type: ignore[override]
            return ()

    assert is_stop_request(Hiding("h", [KeyboardInterrupt()]))
    assert not is_stop_request(BaseExceptionGroup("g", [Weird()]))


def test_inside_a_scope_a_stop_request_is_a_marker_and_is_raised_when_the_scope_ends() -> None:
    stop = KeyboardInterrupt()
    done: list[str] = []

    def in_scopes() -> None:
        with deferring():
            done.append(shown(Raises(stop)))
            with deferring():  # an inner scope joins the outermost one
                done.append(shown(Raises(SystemExit(2))))
            done.append("after the inner scope")

    with pytest.raises(KeyboardInterrupt) as caught:
        in_scopes()
    assert caught.value is stop  # the first one held
    assert done == [
        "<unrepresentable: KeyboardInterrupt in __repr__>",
        "<unrepresentable: SystemExit in __repr__>",
        "after the inner scope",
    ]
    with pytest.raises(KeyboardInterrupt):  # the scope is over: at once again
        shown(Raises(stop))


def test_a_scope_keeps_a_stop_request_already_on_its_way() -> None:
    on_its_way = SystemExit(3)

    def ends_with_it() -> None:
        with deferring():
            shown(Raises(KeyboardInterrupt()))
            raise on_its_way

    with pytest.raises(SystemExit) as caught:
        ends_with_it()
    assert caught.value is on_its_way
    with deferring(passing=on_its_way):  # the caller re-raises it after the scope
        shown(Raises(KeyboardInterrupt()))


def test_a_held_stop_request_keeps_what_the_caller_was_about_to_raise_as_context() -> None:
    failure = ValueError("the agent's")
    with pytest.raises(KeyboardInterrupt) as caught, deferring(passing=failure):
        shown(Raises(KeyboardInterrupt()))
    assert caught.value.__context__ is failure


def test_scopes_are_per_task() -> None:
    async def scenario() -> list[str]:
        gate = asyncio.Event()
        seen: list[str] = []

        async def outside() -> None:
            await gate.wait()
            try:
                shown(Raises(KeyboardInterrupt()))
            except KeyboardInterrupt:
                seen.append("raised at once in another task")

        other = asyncio.ensure_future(outside())
        with deferring():
            gate.set()
            await other
        return seen

    assert asyncio.run(scenario()) == ["raised at once in another task"]


def test_a_scope_ended_in_another_context_still_ends() -> None:
    import contextvars

    scope = deferring()
    contextvars.copy_context().run(scope.__enter__)
    scope.__exit__(None, None, None)  # ended here: nothing held, nothing raised
    with pytest.raises(KeyboardInterrupt):  # and no scope is left open here
        shown(Raises(KeyboardInterrupt()))


def test_a_group_too_large_to_scan_is_a_marker_not_a_stop_request() -> None:
    huge = BaseExceptionGroup("g", [KeyboardInterrupt()] + [ValueError()] * 2_000)
    assert not is_stop_request(huge)
    assert shown(Raises(huge)) == "<unrepresentable: BaseExceptionGroup in __repr__>"
