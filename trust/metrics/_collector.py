"""Trust metrics: posture distribution, transitions, breaker opens, constraint evaluations.

Counters are exact: every record is counted under one lock, the average evaluation time
is a running mean over every evaluation, and per-agent tracking is bounded by evicting the
least recently updated agent, which also removes it from the distribution, so the
distribution always sums to the number of agents tracked.

Label cardinality stays bounded: anti-gaming flags are keyed by kind and dimension
(``"boundary_pushing:cost_limit"``, never the whole string with its ratio), and at most
``max_label_values`` distinct dimensions or flags are kept; the rest count under
``"other"``.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable

from trust import _validators as check
from trust._clock import Clock, resolve_clock
from trust._errors import InvalidTypeError, InvalidValueError
from trust.metrics._exposition import render
from trust.metrics._families import MetricFamily, metric_families
from trust.metrics._snapshots import ConstraintMetrics, PostureMetrics
from trust.postures import POSTURE_LEVEL_MAP, PostureTransition, TrustPosture

OVERFLOW_LABEL = "other"
"""Where dimensions and flags beyond ``max_label_values`` are counted."""


def flag_key(flag: str) -> str:
    """The bounded key of an anti-gaming flag: its ``kind:dimension`` part.

    >>> flag_key("boundary_pushing:cost_limit (usage_ratio=0.96)")
    'boundary_pushing:cost_limit'
    """
    return flag.split(" (", 1)[0].strip()


class TrustMetricsCollector:
    """Thread-safe collector of posture and constraint metrics.

    Args:
        max_agents: Agents whose posture is tracked; beyond it the least recently
            updated agent is dropped from the distribution (and counted as evicted).
        max_label_values: Distinct dimensions and flags kept; more count as ``"other"``.
        clock: Where snapshot timestamps come from.

    Attach it to a `PostureStateMachine` or a `PostureCircuitBreaker` with their
    ``attach_metrics`` to record transitions, emergencies and trips automatically.
    """

    def __init__(
        self,
        *,
        max_agents: int = 100_000,
        max_label_values: int = 1000,
        clock: Clock | None = None,
    ) -> None:
        self._max_agents = check.positive_int(max_agents, "max_agents")
        self._max_labels = check.positive_int(max_label_values, "max_label_values")
        self._clock = resolve_clock(clock)
        self._lock = threading.Lock()
        self._reset_locked()

    def _reset_locked(self) -> None:
        self._postures: OrderedDict[str, TrustPosture] = OrderedDict()
        self._distribution: Counter[TrustPosture] = Counter()
        self._level_sum = 0
        self._evicted = 0
        self._transitions: Counter[str] = Counter()
        self._breaker_opens = 0
        self._emergencies = 0
        self._evaluations = 0
        self._passed = 0
        self._duration_sum = 0.0
        self._dimension_failures: Counter[str] = Counter()
        self._flags: Counter[str] = Counter()

    def record_posture(self, agent_id: str, posture: TrustPosture) -> None:
        """Record the agent's current posture."""
        check.identifier(agent_id)
        posture = TrustPosture.coerce(posture)
        with self._lock:
            previous = self._postures.pop(agent_id, None)
            if previous is not None:
                self._distribution[previous] -= 1
                self._level_sum -= POSTURE_LEVEL_MAP[previous]
            elif len(self._postures) >= self._max_agents:
                _, dropped = self._postures.popitem(last=False)
                self._distribution[dropped] -= 1
                self._level_sum -= POSTURE_LEVEL_MAP[dropped]
                self._evicted += 1
            self._postures[agent_id] = posture
            self._distribution[posture] += 1
            self._level_sum += POSTURE_LEVEL_MAP[posture]

    def record_transition(self, transition_type: PostureTransition | str) -> None:
        """Count a transition of the given kind (a `PostureTransition` or its value)."""
        try:
            kind = PostureTransition(transition_type)
        except ValueError:
            kinds = ", ".join(k.value for k in PostureTransition)
            raise InvalidValueError(
                f"transition_type must be one of {kinds}, got {check.shown(transition_type)}"
            ) from None
        with self._lock:
            self._transitions[kind.value] += 1

    def record_circuit_breaker_open(self) -> None:
        """Count one circuit breaker trip."""
        with self._lock:
            self._breaker_opens += 1

    def record_emergency_downgrade(self) -> None:
        """Count one emergency downgrade."""
        with self._lock:
            self._emergencies += 1

    def record_constraint_evaluation(
        self,
        passed: bool,
        failed_dimensions: Iterable[str] | None = None,
        gaming_flags: Iterable[str] | None = None,
        duration_ms: float = 0.0,
    ) -> None:
        """Count one constraint evaluation.

        Raises:
            ValueError: ``passed`` is not a bool, ``passed=True`` comes with failed
                dimensions, a name is not a string, or ``duration_ms`` is negative, NaN or
                infinite.
        """
        if not isinstance(passed, bool):
            raise InvalidTypeError(f"passed must be a bool, got {check.shown(passed)}")
        dimensions = _names(failed_dimensions, "failed_dimensions")
        flags = [flag_key(f) for f in _names(gaming_flags, "gaming_flags")]
        if passed and dimensions:
            raise InvalidValueError(
                f"failed_dimensions must be empty when passed=True, got {check.shown(dimensions)}"
            )
        duration = check.finite_number(duration_ms, "duration_ms", minimum=0.0)
        with self._lock:
            self._evaluations += 1
            self._passed += passed
            self._duration_sum += duration
            for name in dimensions:
                self._count_label(self._dimension_failures, name)
            for key in flags:
                self._count_label(self._flags, key)

    def _count_label(self, counts: Counter[str], label: str) -> None:
        if label in counts or len(counts) < self._max_labels:
            counts[label] += 1
        else:
            counts[OVERFLOW_LABEL] += 1

    def get_posture_metrics(self) -> PostureMetrics:
        """A snapshot of the posture metrics."""
        with self._lock:
            tracked = len(self._postures)
            return PostureMetrics(
                posture_distribution={p.value: self._distribution[p] for p in TrustPosture},
                transitions_by_type=dict(self._transitions),
                circuit_breaker_opens=self._breaker_opens,
                emergency_downgrades=self._emergencies,
                average_posture_level=self._level_sum / tracked if tracked else 0.0,
                agents_tracked=tracked,
                agents_evicted=self._evicted,
                timestamp=self._clock.now(),
            )

    def get_constraint_metrics(self) -> ConstraintMetrics:
        """A snapshot of the constraint-evaluation metrics."""
        with self._lock:
            return ConstraintMetrics(
                evaluations_total=self._evaluations,
                evaluations_passed=self._passed,
                evaluations_failed=self._evaluations - self._passed,
                dimension_failures=dict(self._dimension_failures),
                anti_gaming_flags=dict(self._flags),
                average_evaluation_time_ms=(
                    self._duration_sum / self._evaluations if self._evaluations else 0.0
                ),
                total_evaluation_time_ms=self._duration_sum,
                timestamp=self._clock.now(),
            )

    def agent_postures(self) -> dict[str, TrustPosture]:
        """The tracked agents and their postures, least recently updated first."""
        with self._lock:
            return dict(self._postures)

    def reset(self) -> None:
        """Forget everything recorded."""
        with self._lock:
            self._reset_locked()

    def metric_families(self, *, include_agents: bool = False) -> tuple[MetricFamily, ...]:
        """Every metric as frozen `MetricFamily` values, what each exporter renders.

        With ``include_agents=True`` each tracked agent gets its own series.
        """
        agents = self.agent_postures() if include_agents else None
        return metric_families(self.get_posture_metrics(), self.get_constraint_metrics(), agents)

    def to_prometheus(self, *, include_agents: bool = False) -> str:
        """The metrics in the Prometheus text exposition format (version 0.0.4).

        With ``include_agents=True`` each tracked agent gets its own series; label values
        are escaped, so no agent id can inject a line.
        """
        return render(self.metric_families(include_agents=include_agents))


def _names(values: Iterable[str] | None, name: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidTypeError(f"{name} must be a list of strings, got {check.shown(values)}")
    names = list(values)
    for value in names:
        if not isinstance(value, str):
            raise InvalidTypeError(f"{name} must hold strings, got {check.shown(value)}")
    return names
