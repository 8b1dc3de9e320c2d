"""Small checks shared by every public entry point.

Each returns the checked (and possibly normalised) value or raises an error whose message
names the field, the rule and the value, in the form ``"{name} must be {rule}, got {value!r}"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from trust import _lookalikes
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_int, exact_number
from trust._shown import shown as shown  # re-exported: every message quotes through check.shown

MAX_ID_LENGTH = 256
"""Agent ids and names longer than this are refused: they are identifiers, not payloads."""


def identifier(value: object, name: str = "agent_id") -> str:
    """A non-blank string of at most `MAX_ID_LENGTH` printable characters, unpadded.

    Control, format and invisible characters (NUL, newlines, zero-width joiners, bidi
    overrides, non-breaking spaces) and leading or trailing spaces are refused: an id
    that prints like another id, or breaks the line of a log, is not an identifier. So
    is a non-ASCII id that could pass for another (`trust._lookalikes`): one not in NFKC
    form, one with a non-ASCII digit, punctuation or symbol, one mixing scripts, and one
    whose non-ASCII letters all look like ASCII letters. A `str` subclass is refused: its
    methods could answer differently from the string it holds.
    """
    # The common case first, without allocating (``strip`` returns the string itself
    # when there is nothing to strip): this runs on every hot-path call. ``isascii`` is
    # a flag read; only other ids pay for the script analysis.
    if (
        type(value) is str
        and 0 < len(value) <= MAX_ID_LENGTH
        and value.isascii()
        and value.isprintable()
        and value.strip() == value
    ):
        return value
    if not isinstance(value, str):
        raise InvalidTypeError(f"{name} must be a string, got {shown(value)}")
    if type(value) is not str:
        raise InvalidTypeError(f"{name} must be a str, not a subclass of it, got {shown(value)}")
    if not value.strip():
        raise InvalidValueError(f"{name} must be a non-blank string, got {shown(value)}")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidValueError(
            f"{name} must be at most {MAX_ID_LENGTH} characters, got {shown(value)}"
        )
    if not value.isprintable():
        raise InvalidValueError(
            f"{name} must not hold control or invisible characters, got {shown(value)}"
        )
    if value.strip() != value:
        raise InvalidValueError(f"{name} must not start or end with whitespace, got {shown(value)}")
    refusal = _lookalikes.refusal(value)
    if refusal is not None:
        raise InvalidValueError(f"{name} must be {refusal}, got {shown(value)}")
    return value


def text(value: object, name: str) -> str:
    """Any string, possibly empty."""
    if not isinstance(value, str):
        raise InvalidTypeError(f"{name} must be a string, got {shown(value)}")
    return value


def optional_text(value: object, name: str) -> str | None:
    """None or a string."""
    return None if value is None else text(value, name)


# The number checks read the value through `trust._exact` and return that exact copy: an
# int subclass could otherwise answer ``<=`` or ``!=`` as it likes, both here and wherever
# the caller compares the value later. Use what they return, never the argument.


def positive_int(value: object, name: str) -> int:
    """An exact int greater than zero (an int subclass is copied); bools are refused."""
    number = exact_int(value)
    if number is None:
        raise InvalidTypeError(f"{name} must be a positive integer, got {shown(value)}")
    if number <= 0:
        raise InvalidValueError(f"{name} must be a positive integer, got {shown(value)}")
    return number


def non_negative_int(value: object, name: str) -> int:
    """An exact int of zero or more (an int subclass is copied); bools are refused."""
    number = exact_int(value)
    if number is None:
        raise InvalidTypeError(f"{name} must be a non-negative integer, got {shown(value)}")
    if number < 0:
        raise InvalidValueError(f"{name} must be a non-negative integer, got {shown(value)}")
    return number


def exact_finite(value: object, name: str, *, minimum: float = -math.inf) -> int | float:
    """A finite int or float (bools refused) of at least ``minimum``, as an exact copy.

    An int stays an int; an int too large to be a float is not finite.
    """
    number = exact_number(value)
    if number is None:
        raise InvalidTypeError(f"{name} must be a finite number, got {shown(value)}")
    try:
        finite = math.isfinite(number)
    except OverflowError:  # an int beyond the largest float
        finite = False
    if not finite:
        raise InvalidValueError(f"{name} must be a finite number, got {shown(value)}")
    if number < minimum:
        raise InvalidValueError(f"{name} must be at least {minimum:g}, got {shown(value)}")
    return number


def finite_number(value: object, name: str, *, minimum: float = -math.inf) -> float:
    """A finite int or float (bools refused) of at least ``minimum``, as a float."""
    return float(exact_finite(value, name, minimum=minimum))


def positive_finite(value: object, name: str) -> float:
    """A finite number greater than zero (bools refused), as a float."""
    return float(positive_number(value, name))


def positive_number(value: object, name: str) -> int | float:
    """A finite number greater than zero (bools refused), as an exact int or float."""
    number = exact_finite(value, name)
    if number <= 0:
        raise InvalidValueError(f"{name} must be a positive finite number, got {shown(value)}")
    return number


class FrozenDict(dict[str, Any]):
    """A dict that refuses every change, so that what was recorded stays as recorded."""

    __slots__ = ()

    def _read_only(self, *args: object, **kwargs: object) -> Any:
        raise TypeError(f"{type(self).__name__} is read-only")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


EMPTY_MAPPING: Mapping[str, Any] = FrozenDict()


def frozen_mapping(value: object, name: str) -> Mapping[str, Any]:
    """A read-only copy of a mapping, so that a recorded value cannot be edited later.

    A `FrozenDict` is kept as it is (it cannot change), so passing one on, a request's
    metadata into its result, costs nothing.
    """
    if type(value) is FrozenDict:
        return value
    if type(value) is dict and not value:
        return EMPTY_MAPPING
    if not isinstance(value, Mapping):
        raise InvalidTypeError(f"{name} must be a mapping, got {shown(value)}")
    return FrozenDict(value)
