"""The emergency downgrade's step: to the model's target (BLOCKED), whatever the guards.

Part of the pure posture core (`trust.postures._core`): no lock, no clock, no I/O. The
target from each posture is the model's (``trust/_generated/posture.py``), checked at
import to exist for every posture and to need no guard. Each posture's entry is built by
a constructor with everything the move fixes built in (`EMERGENCY_ENTRY`), so that the
engine's incident path costs one call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType

from trust._generated import posture as _lifecycle
from trust._unchecked import unchecked_constructor
from trust._validators import EMPTY_MAPPING
from trust.postures._core import (
    EMERGENCY_KIND,
    RECORDED_ALERT,
    UNRECORDED_ALERT,
    Step,
    guardless,
)
from trust.postures._posture import TrustPosture
from trust.postures._transition import TransitionResult

guardless(EMERGENCY_KIND)
EMERGENCY: Mapping[TrustPosture, TrustPosture] = {
    TrustPosture(source): TrustPosture(target)
    for source, event, target, _ in _lifecycle.TRANSITIONS
    if event == EMERGENCY_KIND
}
"""Each posture's emergency target (BLOCKED, as the model says)."""

if set(EMERGENCY) != set(TrustPosture):
    # emergency_downgrade promises BLOCKED from every posture: a gap would crash it.
    missing = sorted(p.value for p in set(TrustPosture) - set(EMERGENCY))
    raise ImportError(f"the posture model has no emergency_downgrade from {missing}")


def emergency(
    agent_id: str,
    posture: TrustPosture,
    version: int,
    recorded: bool,
    reason: str,
    requester_id: str | None,
    now: datetime,
    sequence: int,
) -> Step:
    """The emergency downgrade: to the model's target (BLOCKED), whatever the guards.

    It is always a new version, recorded or not (an emergency fences every transition
    checked before it).
    """
    entry = EMERGENCY_ENTRY[posture](reason, now, agent_id, requester_id, version + 1, sequence)
    keeps_record = recorded or entry.to_posture is not posture
    return entry, RECORDED_ALERT if keeps_record else UNRECORDED_ALERT


def _emergency_entries() -> Mapping[TrustPosture, EmergencyEntry]:
    makers: dict[TrustPosture, EmergencyEntry] = {}
    for posture in TrustPosture:
        target = EMERGENCY[posture]
        makers[posture] = unchecked_constructor(
            TransitionResult,
            fixed={
                "success": True,
                "from_posture": posture,
                "to_posture": target,
                "transition_type": EMERGENCY_KIND,
                "blocked_by": None,
                "metadata": EMPTY_MAPPING,
                "administrative": False,
                "protective": False,
            },
        )
    return MappingProxyType(makers)


EmergencyEntry = Callable[[str, datetime, str, "str | None", int, int], TransitionResult]
"""``make(reason, timestamp, agent_id, requester_id, version, sequence)``."""

EMERGENCY_ENTRY: Mapping[TrustPosture, EmergencyEntry] = _emergency_entries()
"""The entry of an emergency downgrade from each posture, with everything the move fixes
(its target, its kind, success, no metadata) built in: `emergency` without its frame,
for the engine's incident path. Pass the agent's next version (one more than now)."""
