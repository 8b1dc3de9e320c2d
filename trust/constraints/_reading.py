"""Reading what callers hand the constraint layer: once, as exact builtins.

A constraint set, a context or a raw constraint may be a mapping that answers differently
on every read, or hold subclasses of str, int and float that lie in their comparisons,
hashes or conversions (see `trust._exact`). The evaluator and the built-in dimensions read
such input only through these functions: each mapping is copied once into a plain dict,
each scalar into the exact builtin it holds, and every later decision, message and cache
lookup uses the copy. Input that cannot be read is refused with the cause, and a value
that cannot print itself (an int past ``sys.get_int_max_str_digits()``, a raising
``__repr__`` or ``__str__``) is still named, so that a refusal cannot fail in turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_number, exact_str, snapshot
from trust._shown import describe_error
from trust.constraints._dimension import ConstraintCheckResult, unchecked_result

_ONLY_STR = frozenset({str})


def read_context(context: object) -> dict[str, Any] | ConstraintCheckResult:
    """``context`` as a plain dict read once, or the failed result that says why it is not one.

    A mapping other than a dict is copied with one read of each key, so that a mapping
    answering differently on every read cannot show one value to a check and another to
    what reports it. A mapping whose reads raise fails, with the cause.
    """
    if not isinstance(context, Mapping):
        return unchecked_result(False, f"context must be a mapping, got {check.shown(context)}")
    try:
        copy = snapshot(context)
    except Exception as exc:
        return unchecked_result(
            False,
            f"context must be a mapping that can be read, got {check.shown(context)}, "
            f"whose reads raised {describe_error(exc)}",
        )
    assert copy is not None  # a Mapping always has a snapshot
    return copy


def read_constraint_set(constraints: object, name: str) -> dict[str, Any]:
    """A constraint set as a plain dict read once, keyed by exact dimension names.

    Everything the evaluator decides about one call reads this copy, so a mapping that
    answers differently on a second read cannot be checked as one set and used as another.
    The values are left as they are: each dimension's ``parse`` reads its own.

    Raises:
        InvalidTypeError: ``constraints`` is not a mapping, or a key is not a string.
        InvalidValueError: Its reads raise, or two keys hold the same string.
    """
    items: dict[Any, Any] | None
    if type(constraints) is dict:
        items = dict(constraints)
    elif isinstance(constraints, Mapping):
        try:
            items = snapshot(constraints)
        except Exception as exc:
            raise InvalidValueError(
                f"{name} must be a mapping that can be read, got {check.shown(constraints)}, "
                f"whose reads raised {describe_error(exc)}"
            ) from None
        assert items is not None  # a Mapping always has a snapshot
    else:
        raise InvalidTypeError(
            f"{name} must be a mapping of dimension name to value, got {check.shown(constraints)}"
        )
    if set(map(type, items)) <= _ONLY_STR:
        return items
    # A str subclass may hash and compare like another name: key by the string it holds.
    plain: dict[str, Any] = {}
    for key, raw in items.items():
        text = exact_str(key)
        if text is None:
            raise InvalidTypeError(f"{name} keys must be dimension names, got {check.shown(key)}")
        if text in plain:
            raise InvalidValueError(
                f"{name} keys must be distinct dimension names, got {check.shown(text)} twice"
            )
        plain[text] = raw
    return plain


def plain_data(value: object, name: str) -> object:
    """A copy of ``value`` made of exact builtins only, read once; raw constraints pass here.

    Strings, ints and floats become their exact builtin; lists, tuples, sets and
    frozensets, and mappings (as dicts), are copied item by item. A value the caller reads
    again later (a message quoting it, a parse of the composed raw value) then shows what
    was decided on, and a subclass cannot lie to the parse.

    Raises:
        InvalidValueError: A mapping or collection raised while being read, or two keys
            are the same string once copied.
    """
    kind = type(value)
    if kind is str or kind is int or kind is float or value is None or kind is bool:
        return value
    text = exact_str(value)
    if text is not None:
        return text
    number = exact_number(value)
    if number is not None:
        return number
    try:
        if isinstance(value, Mapping):
            items = snapshot(value)
            assert items is not None  # a Mapping always has a snapshot
            copy = {plain_data(key, name): plain_data(item, name) for key, item in items.items()}
            if len(copy) != len(items):
                raise InvalidValueError(
                    f"{name} keys must be distinct strings, got {check.shown(value)}"
                )
            return copy
        for builtin in (list, tuple, frozenset, set):
            if issubclass(kind, builtin):  # the real type: isinstance believes __class__
                return builtin(plain_data(item, name) for item in list(value))  # type: ignore[call-overload]
    except InvalidValueError:
        raise
    except Exception as exc:
        raise InvalidValueError(
            f"{name} must be data that can be read, got {check.shown(value)}, whose "
            f"reads raised {describe_error(exc)}"
        ) from None
    return value
