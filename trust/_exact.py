"""Exact builtin copies of caller values, so that a subclass cannot lie to a decision.

A `str` subclass may override ``__eq__`` and ``__hash__`` to hit another value's cache
entry; a `float` subclass may override ``__le__`` to pass a budget it exceeds; any class may
override ``__class__`` to look like a builtin (and ``isinstance`` believes it). Decisions
therefore read a value only through these functions: they test the real type with ``type()``
(which nothing can override) and copy a subclass instance with the builtin's own conversion,
which reads the stored value and ignores every override. What comes back is an instance of
exactly the builtin, equal to what the value really holds.

Each returns None when ``value`` is not of the kind asked for; the caller refuses it with a
reason naming the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def exact_str(value: object) -> str | None:
    """``value`` as an exact `str`, or None if it is not a string."""
    if type(value) is str:
        return value
    if issubclass(type(value), str):
        # str.__str__ copies a subclass instance's characters into a plain str.
        return str.__str__(value)
    return None


def exact_int(value: object) -> int | None:
    """``value`` as an exact `int`, or None if it is not an int or is a bool."""
    if type(value) is int:
        return value
    kind = type(value)
    if issubclass(kind, int) and kind is not bool:
        return int.__int__(value)  # type: ignore[arg-type]  # an int subclass, checked above
    return None


def exact_float(value: object) -> float | None:
    """``value`` as an exact `float`, or None if it is not a float."""
    if type(value) is float:
        return value
    if issubclass(type(value), float):
        return float.__float__(value)  # type: ignore[arg-type]  # a float subclass
    return None


def exact_number(value: object) -> int | float | None:
    """``value`` as an exact `int` or `float` (never a bool), or None if it is neither."""
    kind = type(value)
    if kind is int or kind is float:
        return value  # type: ignore[return-value]
    number = exact_int(value)
    return number if number is not None else exact_float(value)


def snapshot(value: object) -> dict[Any, Any] | None:
    """A plain `dict` copy of a mapping, read once, or None if ``value`` is not a mapping.

    A mapping may answer differently on every read; deciding on one copy means the check
    and whatever is reported about it see the same values.
    """
    if type(value) is dict:
        return value
    if isinstance(value, Mapping):
        return {key: value[key] for key in list(value.keys())}
    return None
