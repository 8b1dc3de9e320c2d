"""How two postures or two breaker configs compare: which way is looser, field by field.

A looser value lets an agent act with more autonomy or for longer before the breaker
stops it. Per field of `CircuitBreakerConfig` (docs/policy.md):

- ``failure_threshold``: higher is looser (more weighted failures before it opens);
- ``recovery_timeout``: shorter is looser (an open circuit admits probes sooner);
- ``failure_window_seconds``: shorter is looser (a failure stops counting sooner);
- ``probe_timeout``: shorter is looser (a silent probe is written off sooner, and new
  probes follow after the recovery timeout);
- ``severity_weights``: per severity, a lower weight is looser, and so is a severity
  removed (its failures can no longer be recorded); a severity added is tighter;
- ``downgrade_on_open``: a higher posture is looser (the agent keeps more autonomy);
- ``restore_on_close``: turning it on is looser (the displaced posture comes back);
- ``half_open_max_calls``: any change is incomparable: more probes are admitted while
  half-open, but more successes are needed to close.

No breaker is looser than any breaker. A higher posture is looser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from trust.circuit_breaker import CircuitBreakerConfig
from trust.constraints import Comparison
from trust.postures import TrustPosture

LOWER_IS_LOOSER = ("recovery_timeout", "failure_window_seconds", "probe_timeout")
HIGHER_IS_LOOSER = ("failure_threshold",)

WHY: Mapping[str, str] = {
    "failure_threshold": "more weighted failures before the circuit opens",
    "recovery_timeout": "an open circuit admits probes sooner",
    "failure_window_seconds": "a failure stops counting sooner",
    "probe_timeout": "a silent probe is written off sooner, and new probes follow",
    "severity_weights": "failures of some severity count for less, or cannot be recorded",
    "downgrade_on_open": "an open circuit leaves the agent more autonomy",
    "restore_on_close": "the displaced posture comes back when the circuit closes",
    "half_open_max_calls": "more probes are admitted, but more successes are needed to close",
}
"""What a looser (or, for half_open_max_calls, any) change of each field means."""


@attrs.frozen
class Verdict:
    """A verdict of ``diff`` with its witness, or with why it has none (None: unverified)."""

    comparison: Comparison | None  # None: unverified
    witness: Mapping[str, Any] | None = None
    note: str = ""

    @property
    def name(self) -> str:
        return "unverified" if self.comparison is None else self.comparison.value


def join(verdicts: list[Comparison]) -> Comparison:
    """The verdict of several parts together: looser and tighter parts make incomparable."""
    kinds = set(verdicts) - {Comparison.EQUIVALENT}
    if not kinds:
        return Comparison.EQUIVALENT
    if len(kinds) == 1:
        return kinds.pop()
    return Comparison.INCOMPARABLE


def _numbers(new: float, old: float, lower_is_looser: bool) -> Comparison:
    if new == old:
        return Comparison.EQUIVALENT
    looser = new < old if lower_is_looser else new > old
    return Comparison.LOOSER if looser else Comparison.TIGHTER


def posture(new: TrustPosture, old: TrustPosture) -> Comparison:
    """A higher posture (more autonomy) is looser."""
    return _numbers(new.autonomy_level, old.autonomy_level, lower_is_looser=False)


def _weights(new: Mapping[str, float], old: Mapping[str, float]) -> Comparison:
    parts = [
        Comparison.LOOSER
        if severity not in new
        else Comparison.TIGHTER
        if severity not in old
        else _numbers(new[severity], old[severity], lower_is_looser=True)
        for severity in dict.fromkeys([*old, *new])
    ]
    return join(parts)


def breaker_fields(new: CircuitBreakerConfig, old: CircuitBreakerConfig) -> dict[str, Comparison]:
    """Each field's verdict, new against old (see the module docstring)."""
    verdicts: dict[str, Comparison] = {}
    for field in HIGHER_IS_LOOSER:
        verdicts[field] = _numbers(getattr(new, field), getattr(old, field), False)
    for field in LOWER_IS_LOOSER:
        verdicts[field] = _numbers(getattr(new, field), getattr(old, field), True)
    verdicts["severity_weights"] = _weights(new.severity_weights, old.severity_weights)
    verdicts["downgrade_on_open"] = posture(new.downgrade_on_open, old.downgrade_on_open)
    verdicts["restore_on_close"] = _numbers(new.restore_on_close, old.restore_on_close, False)
    verdicts["half_open_max_calls"] = (
        Comparison.EQUIVALENT
        if new.half_open_max_calls == old.half_open_max_calls
        else Comparison.INCOMPARABLE
    )
    return verdicts


__all__ = [
    "HIGHER_IS_LOOSER",
    "LOWER_IS_LOOSER",
    "WHY",
    "Verdict",
    "breaker_fields",
    "join",
    "posture",
]
