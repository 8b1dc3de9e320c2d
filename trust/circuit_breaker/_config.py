"""The circuit breaker's configuration: a frozen, keyword-only value that checks itself."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from types import MappingProxyType

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import snapshot
from trust.postures import TrustPosture

DEFAULT_SEVERITY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"low": 0.5, "medium": 1.0, "high": 2.0, "critical": 5.0}
)
"""The guide's weights: how much one failure of each severity counts toward the threshold."""


def exact(number: float) -> Fraction:
    """``number`` as the decimal the user wrote: ``exact(0.1) == Fraction(1, 10)``.

    A float's binary value is not what anyone meant by ``0.1``; its shortest repr is, so
    ten failures of weight 0.1 reach a threshold of 1 exactly.
    """
    return Fraction(number) if isinstance(number, int) else Fraction(repr(number))


# Named converters: each names its field in the error it raises. Numbers keep their type
# (an int stays an int) so that the config reads back as it was written.
def _positive(value: object, name: str) -> float:
    # The exact copy, so that a float subclass cannot change the arithmetic later.
    return check.positive_number(value, name)


def _failure_threshold(value: object) -> float:
    return _positive(value, "failure_threshold")


def _recovery_timeout(value: object) -> float:
    return _positive(value, "recovery_timeout")


def _failure_window_seconds(value: object) -> float:
    return _positive(value, "failure_window_seconds")


def _probe_timeout(value: object) -> float:
    return _positive(value, "probe_timeout")


def _half_open_max_calls(value: object) -> int:
    return check.positive_int(value, "half_open_max_calls")


def _severity_weights(value: object) -> Mapping[str, float]:
    # Read once, so that a mapping answering differently on each read is checked and kept
    # as one; each weight kept as its exact copy (its repr is what `exact` reads).
    weights = snapshot(value)
    if weights is None:
        raise InvalidTypeError(f"severity_weights must be a mapping, got {check.shown(value)}")
    if not weights:
        raise InvalidValueError("severity_weights must name at least one severity, got {}")
    bad = []
    kept: dict[str, float] = {}
    for severity, weight in weights.items():
        try:
            name = check.identifier(severity, "severity")
            kept[name] = check.positive_number(weight, f"severity_weights[{name!r}]")
        except InvalidValueError as error:
            bad.append(str(error))
    if bad:
        # Every offending entry, not just the first.
        raise InvalidValueError("severity_weights is invalid: " + "; ".join(bad))
    return MappingProxyType(kept)


def _downgrade_on_open(value: object) -> TrustPosture:
    return TrustPosture.coerce(value, "downgrade_on_open")


def _restore_on_close(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidTypeError(f"restore_on_close must be a bool, got {check.shown(value)}")
    return value


@attrs.frozen(kw_only=True)
class CircuitBreakerConfig:
    """How a `PostureCircuitBreaker` trips, recovers and couples to postures.

    Every field is checked when the config is built; a bad value is a `ValueError` that
    names the field and the value. Durations are seconds and may be fractional
    (``failure_window_seconds=0.2`` is valid); NaN, infinities, zero, negatives and bools
    are refused.

    Attributes:
        failure_threshold: The circuit opens when the weighted failures inside the window
            are >= this. Weights are summed exactly (as decimals), so ten failures of
            weight 0.1 reach a threshold of 1.
        recovery_timeout: Seconds an open circuit waits before it turns half-open.
        half_open_max_calls: Probes a half-open circuit admits; that many successes
            close it.
        failure_window_seconds: A failure counts for this many seconds after it is
            recorded, then never again.
        severity_weights: How much one failure of each severity counts. The keys are the
            only severities `PostureCircuitBreaker.record_failure` accepts.
        downgrade_on_open: When the circuit opens, the agent's posture becomes the lower
            of its current posture and this one (a posture or its value, e.g.
            ``"human_decides"``).
        restore_on_close: When the circuit closes, restore the posture the breaker
            displaced, by a guarded upgrade, if nobody changed it meanwhile.
        probe_timeout: Seconds a half-open circuit waits for its admitted probes to report,
            counted from the latest admission; if any is still outstanding then, the
            circuit reopens, so that lost probes cannot hold it half-open forever.
    """

    failure_threshold: float = attrs.field(default=5, converter=_failure_threshold)
    recovery_timeout: float = attrs.field(default=60, converter=_recovery_timeout)
    half_open_max_calls: int = attrs.field(default=3, converter=_half_open_max_calls)
    failure_window_seconds: float = attrs.field(default=300, converter=_failure_window_seconds)
    severity_weights: Mapping[str, float] = attrs.field(
        default=DEFAULT_SEVERITY_WEIGHTS, converter=_severity_weights
    )
    downgrade_on_open: TrustPosture = attrs.field(
        default=TrustPosture.HUMAN_DECIDES, converter=_downgrade_on_open
    )
    restore_on_close: bool = attrs.field(default=True, converter=_restore_on_close)
    probe_timeout: float = attrs.field(default=60, converter=_probe_timeout)

    # Derived once, so that the hot paths add integers: the threshold and every weight as
    # whole multiples of one exact unit (1/lcm of their decimal denominators). Integer sums
    # are exact, as Fraction sums are, and several times cheaper.
    unit: Fraction = attrs.field(init=False, repr=False, eq=False)
    threshold_units: int = attrs.field(init=False, repr=False, eq=False)
    _weight_units: Mapping[str, int] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        threshold = exact(self.failure_threshold)
        weights = {severity: exact(w) for severity, w in self.severity_weights.items()}
        scale = math.lcm(threshold.denominator, *(w.denominator for w in weights.values()))
        object.__setattr__(self, "unit", Fraction(1, scale))
        object.__setattr__(self, "threshold_units", int(threshold * scale))
        units = {severity: int(w * scale) for severity, w in weights.items()}
        object.__setattr__(self, "_weight_units", MappingProxyType(units))

    def weight_units(self, severity: object) -> int:
        """The exact weight of one failure of ``severity``, in multiples of `unit`.

        Raises:
            ValueError: ``severity`` is not a key of ``severity_weights``.
        """
        try:
            return self._weight_units[severity]  # type: ignore[index]
        except (KeyError, TypeError):
            known = ", ".join(self.severity_weights)
            raise InvalidValueError(
                f"severity must be one of {known}, got {check.shown(severity)}"
            ) from None

    def units_to_fraction(self, units: int) -> Fraction:
        """A sum of weights in multiples of `unit`, as the exact fraction it stands for."""
        return units * self.unit
