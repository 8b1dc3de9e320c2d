"""The fields of an audit entry, checked and snapshotted before anything is linked.

Snapshots run the caller's ``__repr__`` and ``__str__``: `AuditLog` takes them here,
never under its lock, so that one that is slow, or that reads the log, cannot stall or
deadlock it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_str
from trust.audit._entry import AuditOutcome
from trust.audit._snapshot import snapshot, snapshot_text
from trust.postures import TrustPosture


def entry_fields(
    *,
    agent_id: str,
    posture: TrustPosture,
    action: str,
    kwargs: Mapping[str, Any],
    outcome: AuditOutcome,
    duration_ms: float,
    result: Any,
    error: str | None,
    run_id: int | None,
) -> dict[str, Any]:
    """The entry's fields, checked, with snapshots of what the caller gave."""
    # Checked before anything is queued or linked: a malformed posture or outcome
    # failed only when the entry was hashed (an AttributeError), a run_id of any type
    # was chained as it was.
    posture = TrustPosture.coerce(posture, "posture")
    outcome = _outcome(outcome)
    if run_id is not None:
        run_id = check.non_negative_int(run_id, "run_id")
    kept_kwargs = snapshot(kwargs)
    if type(kept_kwargs) is not dict:
        kept_kwargs = {"<kwargs>": kept_kwargs}
    return {
        "agent_id": snapshot_text(agent_id),
        "posture": posture,
        "action": snapshot_text(action),
        "kwargs": kept_kwargs,
        "outcome": outcome,
        "result": snapshot(result),
        "error": None if error is None else snapshot_text(error),
        "duration_ms": float(duration_ms),
        "run_id": run_id,
    }


def _outcome(value: object) -> AuditOutcome:
    """``value`` as an `AuditOutcome` (a member, or its value as an exact str)."""
    if type(value) is AuditOutcome:
        return value
    text = exact_str(value)
    if text is None:
        raise InvalidTypeError(f"outcome must be an AuditOutcome, got {check.shown(value)}")
    try:
        return AuditOutcome(text)
    except ValueError:
        raise InvalidValueError(
            f"outcome must be one of {', '.join(o.value for o in AuditOutcome)}, "
            f"got {check.shown(value)}"
        ) from None
