"""Posture transition requests, results and guards."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from trust import _validators as check
from trust._clock import SYSTEM_CLOCK
from trust._errors import InvalidTypeError, InvalidValueError
from trust._generated import posture as _lifecycle
from trust.postures._posture import TrustPosture


class PostureTransition(StrEnum):
    """The kind of a posture change; each value is an event of the posture lifecycle."""

    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    MAINTAIN = "maintain"
    EMERGENCY_DOWNGRADE = "emergency_downgrade"


REQUESTABLE = frozenset(
    {PostureTransition.UPGRADE, PostureTransition.DOWNGRADE, PostureTransition.MAINTAIN}
)
"""The kinds a `PostureTransitionRequest` can ask for; emergencies have their own call."""

EDGES: dict[tuple[TrustPosture, TrustPosture], tuple[PostureTransition, tuple[str, ...]]] = {
    (TrustPosture(source), TrustPosture(target)): (PostureTransition(event), guards)
    for source, event, target, guards in _lifecycle.TRANSITIONS
    if event in REQUESTABLE
}
"""(from, to) -> (kind, guard names), read from the generated lifecycle table."""


# Named converters: each names its field in the error it raises.
def _from_posture(value: object) -> TrustPosture:
    return TrustPosture.coerce(value, "from_posture")


def _to_posture(value: object) -> TrustPosture:
    return TrustPosture.coerce(value, "to_posture")


def _reason(value: object) -> str:
    return check.text(value, "reason")


def _requester_id(value: object) -> str | None:
    return check.optional_text(value, "requester_id")


def _metadata(value: object) -> Mapping[str, Any]:
    return check.frozen_mapping(value, "metadata")


def _reason_on_failure(value: object) -> str:
    return check.text(value, "reason_on_failure")


@attrs.frozen(kw_only=True)
class PostureTransitionRequest:
    """A request to move an agent from one posture to another.

    The request is checked when built: a malformed field raises `ValueError` naming it.
    ``metadata`` is copied into a read-only mapping, so a guard sees exactly what the
    requester sent.
    """

    agent_id: str = attrs.field(converter=check.identifier)
    from_posture: TrustPosture = attrs.field(converter=_from_posture)
    to_posture: TrustPosture = attrs.field(converter=_to_posture)
    reason: str = attrs.field(default="", converter=_reason)
    requester_id: str | None = attrs.field(default=None, converter=_requester_id)
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=_metadata)

    @property
    def transition_type(self) -> PostureTransition:
        """The kind of change asked for, as the posture lifecycle classifies it."""
        return EDGES[self.from_posture, self.to_posture][0]

    @property
    def is_upgrade(self) -> bool:
        return self.transition_type is PostureTransition.UPGRADE

    @property
    def is_downgrade(self) -> bool:
        return self.transition_type is PostureTransition.DOWNGRADE


# No __weakref__ slot, so that the machine can build it fast (see trust._unchecked).
@attrs.frozen(kw_only=True, weakref_slot=False)
class TransitionResult:
    """What happened to a transition, an emergency downgrade or an administrative change.

    Every result is also a history entry. ``from_posture`` is the posture the agent held
    when the result was recorded and, on success, ``to_posture`` the one it holds after;
    so the last entry of an agent's history always agrees with its current posture.

    Attributes:
        success: Whether the posture changed (or was maintained) as asked.
        blocked_by: The name of the guard that refused, if a guard refused.
        agent_id: The agent the entry is about.
        requester_id: Who asked.
        administrative: True for `PostureStateMachine.set_posture`, which bypasses guards.
        protective: True for `PostureStateMachine.protective_downgrade` (what the circuit
            breaker does when it opens), which only lowers autonomy and bypasses guards.
        version: The agent's posture `PostureStateMachine.version` once this entry was
            recorded: after the change it made, or unchanged for a refusal. Pass it as
            ``expected_version`` to act only if nothing has changed since.
        sequence: The entry's place among everything its machine recorded, for every
            agent: 1 for the first entry, one more for each entry after it. It orders
            ``get_transition_history()`` across agents.
    """

    success: bool
    from_posture: TrustPosture
    to_posture: TrustPosture
    transition_type: PostureTransition
    reason: str = ""
    blocked_by: str | None = None
    timestamp: datetime = attrs.field(factory=SYSTEM_CLOCK.now)
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=_metadata)
    agent_id: str | None = None
    requester_id: str | None = None
    administrative: bool = False
    protective: bool = False
    version: int | None = None
    sequence: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "success": self.success,
            "agent_id": self.agent_id,
            "from_posture": self.from_posture.value,
            "to_posture": self.to_posture.value,
            "transition_type": self.transition_type.value,
            "reason": self.reason,
            "blocked_by": self.blocked_by,
            "requester_id": self.requester_id,
            "administrative": self.administrative,
            "protective": self.protective,
            "version": self.version,
            "sequence": self.sequence,
            "timestamp": self.timestamp.isoformat(),
            "metadata": dict(self.metadata),
        }


def _guard_name(value: object) -> str:
    return check.identifier(value, "guard name")


def _check_fn(value: object) -> Callable[[PostureTransitionRequest], object]:
    if not callable(value):
        raise InvalidTypeError(f"check_fn must be callable, got {check.shown(value)}")
    return value


def _applies_to(value: object) -> frozenset[PostureTransition]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidTypeError(
            f"applies_to must be a collection of PostureTransition, got {check.shown(value)}"
        )
    kinds = []
    for item in value:
        try:
            kinds.append(PostureTransition(item))
        except ValueError:
            raise InvalidValueError(
                f"applies_to must hold PostureTransition values, got {check.shown(item)}"
            ) from None
    if PostureTransition.EMERGENCY_DOWNGRADE in kinds:
        raise InvalidValueError(
            "applies_to must not include EMERGENCY_DOWNGRADE: emergency downgrades bypass "
            f"every guard, got {check.shown(value)}"
        )
    return frozenset(kinds)


@attrs.frozen(kw_only=True)
class TransitionGuard:
    """A named check that may veto a posture transition.

    ``check_fn(request)`` approves only by returning ``True`` itself; ``False``, any other
    value, or an exception refuses the transition, and the result names the guard.
    Emergency downgrades bypass every guard, so ``applies_to`` cannot name them.
    """

    name: str = attrs.field(converter=_guard_name)
    check_fn: Callable[[PostureTransitionRequest], object] = attrs.field(converter=_check_fn)
    applies_to: frozenset[PostureTransition] = attrs.field(
        default=frozenset({PostureTransition.UPGRADE}), converter=_applies_to
    )
    reason_on_failure: str = attrs.field(default="Guard check failed", converter=_reason_on_failure)

    def check(self, request: PostureTransitionRequest) -> bool:
        """Whether this guard lets ``request`` through (True when it does not apply).

        Exceptions from ``check_fn`` propagate; `PostureStateMachine` turns them into a
        refusal.
        """
        if request.transition_type not in self.applies_to:
            return True
        return self.check_fn(request) is True
