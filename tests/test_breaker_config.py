"""CircuitBreakerConfig: the guide's fields and defaults, checked when built."""

from __future__ import annotations

import math
from fractions import Fraction

import attrs
import pytest

from trust import TrustPosture
from trust.circuit_breaker import DEFAULT_SEVERITY_WEIGHTS, CircuitBreakerConfig

DURATIONS = ["recovery_timeout", "failure_window_seconds", "probe_timeout"]
NUMBERS = ["failure_threshold", *DURATIONS]


def test_defaults_are_the_guides() -> None:
    config = CircuitBreakerConfig()
    assert config.failure_threshold == 5
    assert config.recovery_timeout == 60
    assert config.half_open_max_calls == 3
    assert config.failure_window_seconds == 300
    assert dict(config.severity_weights) == {
        "low": 0.5,
        "medium": 1.0,
        "high": 2.0,
        "critical": 5.0,
    }
    assert config.downgrade_on_open is TrustPosture.HUMAN_DECIDES
    assert config.restore_on_close is True
    assert config.probe_timeout == 60


def test_the_guides_configuration_builds() -> None:
    config = CircuitBreakerConfig(
        failure_threshold=5,
        recovery_timeout=60,
        half_open_max_calls=3,
        failure_window_seconds=300,
        severity_weights={"low": 0.5, "medium": 1.0, "high": 2.0, "critical": 5.0},
        downgrade_on_open="human_decides",
    )
    assert config == CircuitBreakerConfig()


@pytest.mark.parametrize("field", DURATIONS)
def test_fractional_seconds_are_allowed(field: str) -> None:
    config = CircuitBreakerConfig(**{field: 0.2})
    assert getattr(config, field) == 0.2


@pytest.mark.parametrize("field", NUMBERS)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -1, 0, 0.0, True, "5", None])
def test_numbers_must_be_positive_and_finite(field: str, bad: object) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must be .*got {bad!r}"):
        CircuitBreakerConfig(**{field: bad})


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "3"])
def test_half_open_max_calls_is_a_positive_int(bad: object) -> None:
    with pytest.raises(
        ValueError, match=rf"half_open_max_calls must be a positive integer, got {bad!r}"
    ):
        CircuitBreakerConfig(half_open_max_calls=bad)  # type: ignore[arg-type]


def test_every_bad_severity_weight_is_named() -> None:
    with pytest.raises(ValueError, match="severity_weights is invalid") as caught:
        CircuitBreakerConfig(severity_weights={"low": math.nan, "high": -2, "ok": 1, " ": 1})
    message = str(caught.value)
    assert "severity_weights['low'] must be a finite number, got nan" in message
    assert "severity_weights['high'] must be a positive finite number, got -2" in message
    assert "severity must be a non-blank string" in message
    assert "'ok'" not in message


@pytest.mark.parametrize("bad", [{}, [("low", 1)], None])
def test_severity_weights_is_a_non_empty_mapping(bad: object) -> None:
    with pytest.raises(ValueError, match="severity_weights must"):
        CircuitBreakerConfig(severity_weights=bad)  # type: ignore[arg-type]


def test_severity_weights_cannot_be_edited_afterwards() -> None:
    weights = {"low": 1.0}
    config = CircuitBreakerConfig(severity_weights=weights)
    weights["low"] = 100.0
    assert config.severity_weights["low"] == 1.0
    with pytest.raises(TypeError):
        config.severity_weights["low"] = 2.0  # type: ignore[index]
    assert DEFAULT_SEVERITY_WEIGHTS["critical"] == 5.0


@pytest.mark.parametrize(
    ("value", "posture"),
    [("human_decides", TrustPosture.HUMAN_DECIDES), ("BLOCKED", TrustPosture.BLOCKED)],
)
def test_downgrade_on_open_is_a_posture(value: str, posture: TrustPosture) -> None:
    assert CircuitBreakerConfig(downgrade_on_open=value).downgrade_on_open is posture


@pytest.mark.parametrize("bad", ["lenient", 3, None])
def test_downgrade_on_open_must_name_a_posture(bad: object) -> None:
    with pytest.raises(ValueError, match="downgrade_on_open must be"):
        CircuitBreakerConfig(downgrade_on_open=bad)  # type: ignore[arg-type]


def test_restore_on_close_is_a_bool() -> None:
    with pytest.raises(ValueError, match="restore_on_close must be a bool, got 1"):
        CircuitBreakerConfig(restore_on_close=1)  # type: ignore[arg-type]


def test_the_config_is_frozen_and_keyword_only() -> None:
    config = CircuitBreakerConfig()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.failure_threshold = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        CircuitBreakerConfig(5)  # type: ignore[misc]


def test_weights_are_summed_exactly_as_the_decimals_written() -> None:
    config = CircuitBreakerConfig(failure_threshold=1, severity_weights={"a": 0.1, "b": 0.3})
    ten_tenths = 10 * config.weight_units("a")
    assert ten_tenths == config.threshold_units
    assert config.units_to_fraction(config.weight_units("b")) == Fraction(3, 10)
    assert sum([0.1] * 10) != 1.0  # what a float sum would have said


def test_unknown_severity_names_the_known_ones() -> None:
    config = CircuitBreakerConfig()
    for bad in ("fatal", "Medium", None, ["low"]):
        with pytest.raises(ValueError, match="severity must be one of low, medium, high, critical"):
            config.weight_units(bad)
