"""Naming a value or an error in a message, whatever the value does when asked to print.

A refusal names the value it refuses. The value may be hostile: its ``__repr__`` or
``__str__`` may raise, its metaclass may lie about its type's name, an int may be too long
for ``repr`` (``sys.get_int_max_str_digits()``), a repr may be megabytes long. Every
function here returns a bounded `str`, so a message about a bad value cannot fail in turn.

Whatever a value raises while it is printed becomes a marker, `BaseException` included
(a hostile ``__repr__`` may raise one that ``except Exception`` does not see), except a
request to stop the process: a `KeyboardInterrupt` or `SystemExit` (`is_stop_request`).
Swallowing one would break Ctrl-C, so it is passed on: at once, or, inside a `deferring`
scope (the audit log opens one around writing an entry), when the scope ends, so that
what was being recorded is written first.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from types import TracebackType

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
    """``show(value)`` as an exact `str`, or a marker naming what went wrong.

    A stop request raised by ``show`` is passed on (see `absorb`); anything else it raises
    becomes the marker.
    """
    try:
        text = exact_text(show(value))
    except BaseException as error:  # a hostile value may raise a non-Exception
        absorb(error)
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
    """``repr(value)`` cut to `SHOWN` characters; never raises but a stop request.

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


STOP_REQUESTS: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit)
"""What a value's method may raise that printing it never swallows."""

_GROUP_EXCEPTIONS = BaseExceptionGroup.__dict__["exceptions"]
_GROUP_SCAN = 1_000  # members looked at inside nested groups; a larger group is a value's doing


def is_stop_request(error: BaseException) -> bool:
    """Whether ``error`` asks the process to stop: a `STOP_REQUESTS` member, or a group
    holding one (read from the group itself, so a subclass cannot hide its members)."""
    pending: list[BaseException] = [error]
    for _ in range(_GROUP_SCAN):
        if not pending:
            return False
        current = pending.pop()
        if issubclass(type(current), STOP_REQUESTS):
            return True
        if issubclass(type(current), BaseExceptionGroup):
            pending.extend(_GROUP_EXCEPTIONS.__get__(current))
    return False  # a group too large to scan is a value's doing: an interrupt is never in one


class _Held:
    __slots__ = ("first",)

    def __init__(self) -> None:
        self.first: BaseException | None = None


_HELD: ContextVar[_Held | None] = ContextVar("trust_held_stop_requests", default=None)


def absorb(error: BaseException) -> None:
    """Let ``error`` be replaced by a marker, unless it is a stop request.

    Call it from ``except BaseException`` around synchronous code only (never around an
    ``await``: a real cancellation must propagate). A stop request is raised again at
    once, or, inside a `deferring` scope, kept and raised when the outermost scope ends.
    """
    if not is_stop_request(error):
        return
    held = _HELD.get()
    if held is None:
        raise error
    if held.first is None:
        held.first = error


class deferring:  # lower case: it reads as a function, ``with deferring(): ...``
    """A scope in which stop requests met while printing wait until the scope ends.

    Scopes nest: an inner one joins the outermost, which raises the first stop request
    held when it ends, unless a stop request is already on its way: the one the scope
    ends with, or ``passing`` (the exception its caller is about to re-raise). The scope
    is per thread and per asyncio task (a `ContextVar`).

    Args:
        passing: An exception the caller will raise after the scope; if it is itself a
            stop request, the held one is dropped in its favour.
    """

    __slots__ = ("_held", "_passing", "_token")

    def __init__(self, passing: BaseException | None = None) -> None:
        self._passing = passing
        self._held: _Held | None = None
        self._token: Token[_Held | None] | None = None

    def __enter__(self) -> None:
        if _HELD.get() is None:
            self._held = _Held()
            self._token = _HELD.set(self._held)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._held is None or self._token is None:  # an inner scope: the outermost raises
            return
        try:
            _HELD.reset(self._token)
        except ValueError:  # a coroutine driven by hand, ended in another context
            _HELD.set(None)
        stop = self._held.first
        if stop is None:
            return
        for under_way in (error, self._passing):
            if under_way is not None and is_stop_request(under_way):
                return
        if stop.__context__ is None and self._passing is not None and self._passing is not stop:
            stop.__context__ = self._passing  # what the caller would have raised is kept
        raise stop
