"""The events the posture machine's conformance check runs: its alphabet (`alphabet`).

A transition request to each posture (requester present, absent or the agent itself; a
guard that passes, refuses or raises), ``emergency_downgrade``, the administrative
``set_posture`` and the breaker's ``protective_downgrade`` to each posture.
"""

from __future__ import annotations

import attrs

from trust.model import POSTURE_SPEC

VERDICTS = ("passes", "refuses", "raises")
"""What a request's guard does."""


@attrs.frozen
class Request:
    """A transition request from the current posture to ``target``."""

    target: str
    requester: str
    guard: str

    def __str__(self) -> str:
        return f"request to {self.target} (requester {self.requester}, guard {self.guard})"


@attrs.frozen
class Emergency:
    def __str__(self) -> str:
        return "emergency_downgrade"


@attrs.frozen
class SetPosture:
    target: str

    def __str__(self) -> str:
        return f"set_posture({self.target})"


@attrs.frozen
class Protect:
    target: str

    def __str__(self) -> str:
        return f"protective_downgrade({self.target})"


Event = Request | Emergency | SetPosture | Protect


def alphabet(deep: bool) -> list[Event]:
    """Requests to every posture (requester x guard verdict), and every other event."""
    requesters = ("present", "absent", "self") if deep else ("present", "absent")
    events: list[Event] = [
        Request(target, who, verdict)
        for target in POSTURE_SPEC.states
        for who in requesters
        for verdict in VERDICTS
    ]
    events.append(Emergency())
    events += [SetPosture(target) for target in POSTURE_SPEC.states]
    events += [Protect(target) for target in POSTURE_SPEC.states]
    return events


__all__ = ["VERDICTS", "Emergency", "Event", "Protect", "Request", "SetPosture", "alphabet"]
