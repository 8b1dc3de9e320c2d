"""Per-agent detection of two ways to game usage limits.

- **Boundary pushing**: a dimension reports a usage ratio (``used / limit``) above 0.95
  and at most 1.0. Usage over the limit is a plain failure of that dimension, not gaming.
- **Constraint splitting**: at least 8 of the agent's last 10 evaluations (this one
  included) reported small usage, meaning some dimension reported a usage ratio above 0
  (``0 < used``) and below 0.1. Evaluations that report no usage, or zero usage, are never
  small: an agent that reports nothing is never flagged.

Flags are advice for monitoring: they never change whether an evaluation passes. Memory is
bounded: 10 booleans per agent and at most ``max_agents`` agents, least recently seen
dropped first.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable

from trust import _validators as check
from trust._exact import exact_number
from trust.constraints._dimension import ConstraintCheckResult

BOUNDARY_RATIO = 0.95
SMALL_RATIO = 0.1
WINDOW = 10
SPLITTING_THRESHOLD = 8
DEFAULT_MAX_AGENTS = 10_000


def usage_ratio(result: ConstraintCheckResult) -> float | None:
    """``used / limit`` when both are reported, finite, ``used >= 0`` and ``limit > 0``.

    Each is read once, as the number it holds.
    """
    used, limit = result.used, result.limit
    if used is None or limit is None:
        return None
    if type(used) is not float or type(limit) is not float:
        # A check may hand over a subclass whose comparisons lie: read the numbers held.
        used, limit = _measure(used), _measure(limit)
        if used is None or limit is None:
            return None
    if not (limit > 0 and used >= 0 and math.isfinite(limit) and math.isfinite(used)):
        return None
    return used / limit


def _measure(value: object) -> float | None:
    number = exact_number(value)
    if number is None:
        return None
    try:
        return float(number)
    except OverflowError:
        return None


class AntiGamingDetector:
    """Keeps each agent's recent small-usage history and flags the two patterns."""

    def __init__(self, max_agents: int = DEFAULT_MAX_AGENTS) -> None:
        self._max_agents = check.positive_int(max_agents, "max_agents")
        self._history: OrderedDict[str, deque[bool]] = OrderedDict()
        self._lock = threading.Lock()

    def observe(
        self, agent_id: str, results: Iterable[tuple[str, ConstraintCheckResult]]
    ) -> tuple[str, ...]:
        """Record one evaluation of ``agent_id`` and return the flags it raises."""
        flags: list[str] = []
        small = False
        for name, result in results:
            ratio = usage_ratio(result)
            if ratio is None:
                continue
            if BOUNDARY_RATIO < ratio <= 1.0:
                flags.append(f"boundary_pushing:{name} (usage_ratio={ratio:.2f})")
            # A positive ratio is positive usage (the limit is finite): read once, above.
            if 0 < ratio < SMALL_RATIO:
                small = True
        with self._lock:
            window = self._history.get(agent_id)
            if window is None:
                if len(self._history) >= self._max_agents:
                    self._history.popitem(last=False)
                window = self._history[agent_id] = deque(maxlen=WINDOW)
            else:
                self._history.move_to_end(agent_id)
            window.append(small)
            count = sum(window)
        if count >= SPLITTING_THRESHOLD:
            flags.append(
                f"constraint_splitting:detected ({count}/{WINDOW} evaluations with small ops)"
            )
        return tuple(flags)

    def tracked_agents(self) -> int:
        """How many agents currently have a history."""
        with self._lock:
            return len(self._history)

    def forget(self, agent_id: str) -> None:
        """Drop an agent's history (for example when the agent is retired)."""
        with self._lock:
            self._history.pop(agent_id, None)
