"""Hostile values at the posture machine and the breaker: only exact builtins decide.

An agent id must be an exact `str`: a subclass whose ``__hash__`` and ``__eq__`` lie
could read another agent's posture or circuit, and one whose ``__hash__`` raises must be
refused like any other bad id (a `ValueError`), not crash the caller. Numbers the
lifecycle compares (a version fence, a history limit, the breaker's configuration, an
admission's fencing token) are read as exact copies, so that no subclass operator decides.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.hostile import LyingFloat, LyingInt, LyingStr, ShiftyMapping
from trust import (
    CircuitBreakerConfig,
    CircuitState,
    InvalidTypeError,
    PostureCircuitBreaker,
    PostureStateMachine,
    TrustPosture,
)
from trust.circuit_breaker import Admission
from trust.postures import PostureTransitionRequest


class PosingAs(str):
    """Hashes and compares like ``"agent-001"``, whatever it holds."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash("agent-001")

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False


class HashRaises(str):
    __slots__ = ()

    def __hash__(self) -> int:
        raise RuntimeError("boom hash")


class NotAString:
    def __hash__(self) -> int:
        raise RuntimeError("boom hash")

    def __repr__(self) -> str:
        raise RuntimeError("boom repr")


class NeverDifferent(int):
    """An int equal to every other: its ``!=`` would wave any version fence through."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = int.__hash__


HOSTILE_IDS = [PosingAs("other"), HashRaises("x"), LyingStr("agent-001"), NotAString()]


def blocked_machine() -> PostureStateMachine:
    machine = PostureStateMachine()
    machine.set_posture("agent-001", TrustPosture.BLOCKED)
    return machine


@pytest.mark.parametrize("agent_id", HOSTILE_IDS, ids=lambda v: type(v).__name__)
def test_get_posture_refuses_anything_but_an_exact_str_with_a_value_error(agent_id: Any) -> None:
    machine = blocked_machine()
    machine.get_posture("agent-001")  # cached: the fast path is the one under test
    with pytest.raises(InvalidTypeError, match=r"^agent_id must be a str"):
        machine.get_posture(agent_id)


BREAKER_READS: dict[str, Callable[[PostureCircuitBreaker, Any], object]] = {
    "admit_sync": lambda b, a: b.admit_sync(a),
    "can_proceed_sync": lambda b, a: b.can_proceed_sync(a),
    "can_proceed": lambda b, a: asyncio.run(b.can_proceed(a)),
    "admit": lambda b, a: asyncio.run(b.admit(a)),
    "get_state": lambda b, a: b.get_state(a),
    "get_metrics": lambda b, a: b.get_metrics(a),
    "get_failures": lambda b, a: b.get_failures(a),
}


@pytest.mark.parametrize("read", sorted(BREAKER_READS))
@pytest.mark.parametrize("agent_id", HOSTILE_IDS, ids=lambda v: type(v).__name__)
def test_breaker_reads_refuse_anything_but_an_exact_str_with_a_value_error(
    read: str, agent_id: Any
) -> None:
    breaker = PostureCircuitBreaker(blocked_machine())
    breaker.force_open("agent-001", "incident")
    with pytest.raises(InvalidTypeError, match=r"^agent_id must be a str"):
        BREAKER_READS[read](breaker, agent_id)
    assert breaker.get_state("agent-001") is CircuitState.OPEN


def test_a_version_fence_holds_against_an_int_that_equals_everything() -> None:
    machine = PostureStateMachine()
    machine.set_posture("agent-001", TrustPosture.ASSISTED)
    machine.set_posture("agent-001", TrustPosture.FULL_AUTONOMY)  # version 2 now
    stale = machine.transition(
        PostureTransitionRequest(
            agent_id="agent-001",
            from_posture=TrustPosture.FULL_AUTONOMY,
            to_posture=TrustPosture.SUPERVISED,
        ),
        expected_version=NeverDifferent(1),
    )
    assert not stale.success
    assert stale.reason == "posture changed since version 1 (now 2)"
    assert machine.get_posture("agent-001") is TrustPosture.FULL_AUTONOMY


def test_history_limits_are_read_as_the_ints_they_hold() -> None:
    machine = PostureStateMachine(history_limit=LyingInt(2))
    for posture in (TrustPosture.ASSISTED, TrustPosture.BLOCKED, TrustPosture.ASSISTED):
        machine.set_posture("agent-001", posture)
    assert len(machine.get_transition_history("agent-001")) == 2
    assert len(machine.get_transition_history("agent-001", limit=LyingInt(1))) == 1


def test_breaker_config_keeps_exact_copies_of_its_numbers() -> None:
    config = CircuitBreakerConfig(
        failure_threshold=LyingFloat(2.0),
        recovery_timeout=LyingInt(10),
        half_open_max_calls=LyingInt(1),
        severity_weights=ShiftyMapping({"medium": 1.0}, {"medium": 0.0001}),
    )
    assert (type(config.failure_threshold), config.failure_threshold) == (float, 2.0)
    assert (type(config.recovery_timeout), config.recovery_timeout) == (int, 10)
    assert (type(config.half_open_max_calls), config.half_open_max_calls) == (int, 1)
    assert dict(config.severity_weights) == {"medium": 1.0}
    breaker = PostureCircuitBreaker(PostureStateMachine(), config)
    for _ in range(2):
        breaker.record_failure_sync("agent-001", "E", "m")
    assert breaker.get_state("agent-001") is CircuitState.OPEN


def test_an_int_too_large_for_a_float_is_a_value_error_not_an_overflow() -> None:
    with pytest.raises(ValueError, match=r"^recovery_timeout must be a finite number"):
        CircuitBreakerConfig(recovery_timeout=10**400)


def admission(**fields: Any) -> Admission:
    values: dict[str, Any] = {
        "allowed": True,
        "agent_id": "agent-001",
        "state": CircuitState.HALF_OPEN,
        "generation": 0,
        "probe": True,
        "reason": "forged",
    }
    return Admission(**{**values, **fields})


@pytest.mark.parametrize(
    ("forged", "message"),
    [
        (admission(agent_id=PosingAs("other")), r"^admission must be for agent 'agent-001'"),
        (admission(generation="7"), r"^admission.generation must be an int"),
        (admission(generation=10**9, allowed=1), r"^admission must be one that allowed"),
    ],
)
def test_an_admission_is_read_through_exact_types(forged: Admission, message: str) -> None:
    breaker = PostureCircuitBreaker(PostureStateMachine())
    with pytest.raises(ValueError, match=message):
        breaker.record_success_sync("agent-001", forged)


class PosingAsFullAutonomy(str):
    __slots__ = ()

    def __hash__(self) -> int:
        return hash("full_autonomy")

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False


def test_a_posture_named_by_a_str_subclass_is_the_one_it_spells() -> None:
    assert TrustPosture.coerce(PosingAsFullAutonomy("blocked")) is TrustPosture.BLOCKED
    request = PostureTransitionRequest(
        agent_id="agent-001",
        from_posture=TrustPosture.SUPERVISED,
        to_posture=PosingAsFullAutonomy("blocked"),
    )
    assert request.to_posture is TrustPosture.BLOCKED
