"""The events the breaker's conformance check runs: its alphabet (`alphabet`).

Failures of each severity and successes (each with or without the latest admission as its
fencing token), admissions (``admit_sync`` or ``can_proceed_sync``), clock advances by a
configured duration, and the operator's ``force_open`` and ``reset``.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Fail:
    severity: str
    fenced_by_last: bool = False

    def __str__(self) -> str:
        return f"failure({self.severity}{', last admission' if self.fenced_by_last else ''})"


@attrs.frozen
class Succeed:
    fenced_by_last: bool = False

    def __str__(self) -> str:
        return f"success({'last admission' if self.fenced_by_last else ''})"


@attrs.frozen
class Admit:
    """``admit_sync``, or ``can_proceed_sync`` (its lock-free answer on a closed circuit)."""

    via: str = "admit"

    def __str__(self) -> str:
        return self.via


@attrs.frozen
class Advance:
    what: str  # "recovery", "probe" or "window": the config duration to advance by

    def __str__(self) -> str:
        return f"advance {self.what}"


@attrs.frozen
class Operate:
    name: str  # "force_open" or "reset"

    def __str__(self) -> str:
        return self.name


Event = Fail | Succeed | Admit | Advance | Operate


def alphabet(deep: bool) -> list[Event]:
    events: list[Event] = [Fail("low"), Fail("high"), Succeed(), Succeed(fenced_by_last=True)]
    if deep:
        events.append(Fail("low", fenced_by_last=True))
    events += [Admit(), Admit("can_proceed"), Advance("recovery"), Advance("probe")]
    events.append(Advance("window"))
    events += [Operate("force_open"), Operate("reset")]
    return events


__all__ = ["Admit", "Advance", "Event", "Fail", "Operate", "Succeed", "alphabet"]
