"""The protocols a `PostureAwareAgent` calls out to: approvers, notifiers, the breaker.

Two breaker protocols are accepted: `AdmittingBreaker` (`PostureCircuitBreaker`), and
kaizen.trust 1.2.5's `SimpleBreaker` (``is_open()``, ``record_success()``,
``record_failure()``), which `as_admitting` adapts to the first.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import attrs

from trust._errors import InvalidTypeError
from trust._shown import shown


@runtime_checkable
class ApprovalHandler(Protocol):
    """Asks a human whether an action may run (HUMAN_DECIDES).

    Only a return value of ``True`` itself approves. ``False``, any other value, an
    exception, or no answer within the agent's ``approval_timeout_seconds`` denies, and
    so does an answer that comes later than that, ``True`` included.

    ``request_approval`` may also be a plain (synchronous) method: it then runs in a
    thread of its own, so that it neither blocks the event loop nor outlives its timeout
    (Python cannot stop the thread; its late answer is ignored). It must be thread-safe.
    """

    async def request_approval(
        self, agent_id: str, action_description: str, kwargs: dict[str, Any]
    ) -> bool: ...


@runtime_checkable
class NotificationHandler(Protocol):
    """Tells a human an action is about to run (ASSISTED), so that they may cancel it.

    Bounded by the agent's ``notification_timeout_seconds`` like an approval; a plain
    (synchronous) ``notify`` runs in a thread of its own.
    """

    async def notify(self, agent_id: str, message: str, action_kwargs: dict[str, Any]) -> None: ...


class Admission(Protocol):
    """A breaker's answer to "may this call run?" (see `PostureCircuitBreaker.admit`)."""

    @property
    def allowed(self) -> bool: ...

    @property
    def reason(self) -> str: ...


class AdmittingBreaker(Protocol):
    """The part of `PostureCircuitBreaker` the agent uses."""

    async def admit(self, agent_id: str) -> Any: ...

    async def record_success(self, agent_id: str, admission: Any = None) -> None: ...

    async def record_failure(
        self,
        agent_id: str,
        error_type: str,
        error_message: str,
        action: str = "",
        severity: str = "medium",
        admission: Any = None,
    ) -> None: ...


class SimpleBreaker(Protocol):
    """The breaker protocol of kaizen.trust 1.2.5's agent: no agent id, no admission.

    ``is_open()`` is asked before each run: only ``False`` admits it (``True``, any other
    answer or an exception refuses). ``record_success()`` and ``record_failure()`` are
    told of the base agent's outcome. Each may be a plain or an ``async`` method.
    """

    def is_open(self) -> Any: ...

    def record_success(self) -> Any: ...

    def record_failure(self) -> Any: ...


@attrs.frozen
class SimpleAdmission:
    """A `SimpleBreaker`'s answer, in the shape the agent reads (`Admission`)."""

    allowed: bool
    reason: str


_ADMITTED = SimpleAdmission(True, "circuit breaker is closed")


class SimpleBreakerAdapter:
    """A `SimpleBreaker` seen as an `AdmittingBreaker`, the one shape the agent runs."""

    __slots__ = ("breaker",)

    def __init__(self, breaker: SimpleBreaker) -> None:
        self.breaker = breaker

    async def admit(self, agent_id: str) -> SimpleAdmission:
        answer = await _called(self.breaker.is_open)
        if answer is False:
            return _ADMITTED
        if answer is True:
            return SimpleAdmission(False, "circuit breaker is open")
        # Fail closed: a breaker that cannot say it is closed is taken as open.
        return SimpleAdmission(False, f"is_open() returned {shown(answer)}, not a bool")

    async def record_success(self, agent_id: str, admission: Any = None) -> None:
        await _called(self.breaker.record_success)

    async def record_failure(
        self,
        agent_id: str,
        error_type: str,
        error_message: str,
        action: str = "",
        severity: str = "medium",
        admission: Any = None,
    ) -> None:
        await _called(self.breaker.record_failure)


async def _called(method: Callable[[], object]) -> object:
    result = method()
    if inspect.isawaitable(result):
        result = await result
    return result


def as_admitting(breaker: object) -> AdmittingBreaker | None:
    """``breaker`` as the agent runs it: an `AdmittingBreaker`, adapting a `SimpleBreaker`.

    Raises:
        InvalidTypeError: ``breaker`` has neither protocol's methods.
    """
    if breaker is None:
        return None
    if _has(breaker, ADMITTING_METHODS):
        return breaker  # type: ignore[return-value]
    if _has(breaker, SIMPLE_METHODS):
        return SimpleBreakerAdapter(breaker)  # type: ignore[arg-type]
    wanted = " or ".join(
        ", ".join(f"{m}()" for m in methods) for methods in (ADMITTING_METHODS, SIMPLE_METHODS)
    )
    raise InvalidTypeError(f"circuit_breaker must have {wanted}, got {shown(breaker)}")


ADMITTING_METHODS = ("admit", "record_success", "record_failure")
SIMPLE_METHODS = ("is_open", "record_success", "record_failure")


def _has(value: object, methods: tuple[str, ...]) -> bool:
    return all(callable(getattr(value, m, None)) for m in methods)


def require_methods(value: object, name: str, methods: tuple[str, ...]) -> None:
    if value is None:
        return
    missing = [m for m in methods if not callable(getattr(value, m, None))]
    if missing:
        raise InvalidTypeError(
            f"{name} must have {', '.join(m + '()' for m in missing)}, got {shown(value)}"
        )
