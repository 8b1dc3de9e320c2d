"""Naming a value or an error in a message, whatever the value does when asked to print.

A refusal names the value it refuses. The value may be hostile: its ``__repr__`` or
``__str__`` may raise, its metaclass may lie about its type's name, an int may be too long
for ``repr`` (``sys.get_int_max_str_digits()``), a repr may be megabytes long. Every
function here returns a bounded `str` and never raises, so a message about a bad value
cannot fail in turn.
"""

from __future__ import annotations

from collections.abc import Callable

SHOWN = 80
"""Characters of a value's repr that a message quotes; the rest is counted, not shown."""

_NAME_LIMIT = 60
_MESSAGE_LIMIT = 500
_TYPE_NAME = type.__dict__["__name__"]


def type_name(value: object) -> str:
    """The real name of ``value``'s type, in at most 60 ASCII characters.

    Read from `type` itself, so a metaclass cannot lie about it or raise instead.
    """
    name = exact_text(_TYPE_NAME.__get__(type(value), type)) or "?"
    if not name.isascii():
        name = ascii(name)[1:-1]
    return name if len(name) <= _NAME_LIMIT else name[: _NAME_LIMIT - 3] + "..."


def guarded(show: Callable[[object], object], value: object, method: str) -> str:
    """``show(value)`` as an exact `str`, or a marker naming what went wrong."""
    try:
        text = exact_text(show(value))
    except Exception as error:
        return unrepresentable(error, method)
    return text if text is not None else f"<unrepresentable: {method} returned a non-string>"


def unrepresentable(error: BaseException, where: str) -> str:
    """The marker for a value whose ``where`` raised ``error``."""
    return f"<unrepresentable: {type_name(error)} in {where}>"


def exact_text(value: object) -> str | None:
    """``value`` as an exact `str` if it is a string (a subclass's overrides ignored)."""
    return str.__str__(value) if issubclass(type(value), str) else None


def cut(text: str, limit: int = SHOWN) -> str:
    """``text``, or its first ``limit`` characters and how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def shown(value: object) -> str:
    """``repr(value)`` cut to `SHOWN` characters; never raises.

    An int too long for ``repr`` is named by its size, and a ``__repr__`` that raises or
    returns a non-string by a marker naming it.
    """
    if type(value) is int and value.bit_length() > 10_000:
        return f"an int of {value.bit_length()} bits"
    return cut(guarded(repr, value, "__repr__"))


def error_text(error: BaseException) -> str:
    """What ``error`` says, cut to 500 characters; a ``__str__`` that raises is named."""
    return cut(guarded(str, error, "__str__"), _MESSAGE_LIMIT)


def describe_error(error: BaseException) -> str:
    """``"Type: message"`` for an exception (just ``"Type"`` when it says nothing)."""
    name = type_name(error)
    message = error_text(error)
    return f"{name}: {message}" if message else name
