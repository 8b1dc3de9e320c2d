"""The protocols a `PostureAwareAgent` calls out to: approvers, notifiers, the breaker."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


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
