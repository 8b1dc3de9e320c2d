"""Failures and the sliding window they count in."""

from __future__ import annotations

from collections import Counter, deque
from datetime import datetime

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError
from trust._unchecked import unchecked_constructor


def _timestamp(value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidTypeError(f"timestamp must be an aware datetime, got {check.shown(value)}")
    return value


def _error_type(value: object) -> str:
    return check.text(value, "error_type")


def _error_message(value: object) -> str:
    return check.text(value, "error_message")


def _action(value: object) -> str:
    return check.text(value, "action")


def _severity(value: object) -> str:
    return check.identifier(value, "severity")


# No __weakref__ slot: see trust._unchecked.
@attrs.frozen(kw_only=True, weakref_slot=False)
class FailureEvent:
    """One failure recorded against an agent.

    Attributes:
        timestamp: When it was recorded (aware, UTC, from the breaker's clock).
        error_type: The type or class of the error, e.g. ``"ConnectionError"``.
        error_message: What the error said.
        action: The action that failed, e.g. ``"api_call"``.
        severity: How bad it was; one of the breaker config's ``severity_weights`` keys.
    """

    timestamp: datetime = attrs.field(converter=_timestamp)
    error_type: str = attrs.field(converter=_error_type)
    error_message: str = attrs.field(converter=_error_message)
    action: str = attrs.field(default="", converter=_action)
    severity: str = attrs.field(default="medium", converter=_severity)


_make_failure = unchecked_constructor(FailureEvent)


def failure_event(
    timestamp: datetime, error_type: object, error_message: object, action: object, severity: str
) -> FailureEvent:
    """A `FailureEvent` from the breaker's own clock stamp and an already known severity.

    Only the caller's strings are checked, which is all that can be wrong: the breaker's
    clock gives aware stamps, and a severity it has a weight for is a valid name.
    """
    return _make_failure(
        timestamp,
        _error_type(error_type),
        _error_message(error_message),
        _action(action),
        severity,
    )


class FailureWindow:
    """The failures of one agent that still count, with their running weighted sum.

    Failures arrive in time order, so the oldest is always on the left: pruning pops from
    the left and subtracts, and adding appends and adds, so both are O(1) amortised however
    many failures the window holds. Weights are exact integers (see
    `CircuitBreakerConfig.unit`), so the running sum never drifts.

    A failure recorded at ``t`` counts while ``now < t + span``; at ``t + span`` it leaves.
    """

    __slots__ = ("_entries", "_span", "_units")

    def __init__(self, span: float) -> None:
        self._span = span
        self._units = 0
        self._entries: deque[tuple[float, int, FailureEvent]] = deque()

    def prune(self, now: float) -> None:
        """Drop the failures that have left the window at ``now``."""
        entries = self._entries
        span = self._span
        while entries and entries[0][0] + span <= now:
            self._units -= entries.popleft()[1]

    def add(self, at: float, units: int, failure: FailureEvent) -> None:
        """Count ``failure``, of weight ``units``, from monotonic time ``at``."""
        self._entries.append((at, units, failure))
        self._units += units

    def clear(self) -> None:
        self._entries.clear()
        self._units = 0

    @property
    def units(self) -> int:
        """The weighted sum of the failures in the window, in config units."""
        return self._units

    def __len__(self) -> int:
        return len(self._entries)

    def failures(self) -> list[FailureEvent]:
        """The failures in the window, oldest first."""
        return [failure for _, _, failure in self._entries]

    def by_severity(self) -> dict[str, int]:
        """How many failures of each severity are in the window."""
        return dict(Counter(failure.severity for _, _, failure in self._entries))
