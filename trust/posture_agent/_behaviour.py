"""What a `PostureAwareAgent` does under each posture: one table, complete or refused.

Every posture has exactly one `Behaviour`, and the table is checked when this module is
imported: a posture without one (a sixth posture added to the model, say) stops the
import with an `ImportError` that names it, rather than falling through to "run". A run
also looks its posture up with no default, so that a posture the table does not hold is
refused, never run.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any

from trust.postures import TrustPosture


class Behaviour(Enum):
    """What a run does before the base agent may be called (see `BEHAVIOURS`)."""

    RUN = "runs"
    NOTIFY_THEN_RUN = "notifies, waits out the cancel window, then runs"
    APPROVE_THEN_RUN = "runs only if the approval handler answers True in time"
    REFUSE = "refuses with PermissionError"


BEHAVIOURS: Mapping[TrustPosture, Behaviour] = MappingProxyType(
    {
        TrustPosture.FULL_AUTONOMY: Behaviour.RUN,
        TrustPosture.ASSISTED: Behaviour.NOTIFY_THEN_RUN,
        TrustPosture.SUPERVISED: Behaviour.RUN,
        TrustPosture.HUMAN_DECIDES: Behaviour.APPROVE_THEN_RUN,
        TrustPosture.BLOCKED: Behaviour.REFUSE,
    }
)
"""Each posture's behaviour (read-only)."""


def check_complete(table: Mapping[Any, object]) -> None:
    """Raise `ImportError` unless ``table`` gives every posture a `Behaviour`, and no more.

    It lists every posture missing, and every key or value that does not belong.
    """
    problems = [
        f"posture {p.value!r} has no behaviour: add it to BEHAVIOURS"
        for p in TrustPosture
        if p not in table
    ]
    problems += [f"{key!r} is not a TrustPosture" for key in table if type(key) is not TrustPosture]
    problems += [
        f"{key!r} maps to {value!r}, not a Behaviour"
        for key, value in table.items()
        if type(value) is not Behaviour
    ]
    if problems:
        raise ImportError(
            "the posture-aware agent's behaviour table is incomplete:\n- " + ("\n- ".join(problems))
        )


def why_refused(agent_id: str, posture: TrustPosture, behaviour: Behaviour | None) -> str:
    """Why a run of ``agent_id`` under ``posture`` is refused: ``behaviour`` refuses, or
    there is none (None)."""
    if posture is TrustPosture.BLOCKED:
        return f"agent {agent_id} is BLOCKED"
    if behaviour is None:
        return f"agent {agent_id} is {posture.name}, which has no behaviour; refused"
    return f"agent {agent_id} is {posture.name}, which refuses every run"


check_complete(BEHAVIOURS)
