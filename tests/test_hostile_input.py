"""The hostile input matrix: every public entry point, fed what a broken or hostile caller sends.

One place, table-driven. Every case must end in one of two ways:

- **raised**: a `ValueError` (our `InvalidValueError`, or `InvalidTypeError` for a wrong
  type, which is also a `TypeError`) whose message names the value;
- **refused**: a refusal that carries a reason: a failed check or evaluation, a failed
  transition, a closed admission, a `PermissionError` from the agent, a BLOCKED mapping.

Never a pass, and never another exception type. The inputs: wrong types, NaN and
infinities, negative, zero and huge numbers, empty, blank and very long strings, control
and invisible characters, unicode look-alikes in hosts and paths, ``..`` and NUL in paths,
ports, userinfo and IP forms in hosts. The run ends with a one-line summary (cases,
refused, raised), printed by ``tests/conftest.py``.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable
from datetime import UTC, time
from typing import Any

import attrs
import pytest

from tests.fakes import FakeClock
from trust import (
    Admission,
    AuditLog,
    CircuitBreakerConfig,
    ConstraintCheckResult,
    EvaluationResult,
    PostureAwareAgent,
    PostureCircuitBreaker,
    PostureResult,
    PostureStateMachine,
    TransitionGuard,
    TransitionResult,
    TrustMetricsCollector,
    TrustPosture,
    TrustPostureMapper,
    verify_audit_chain,
)
from trust._errors import InvalidTypeError, InvalidValueError
from trust._validators import shown
from trust.audit import ChainVerification
from trust.constraints import ConstraintDimensionRegistry, InteractionMode, MultiDimensionEvaluator
from trust.constraints.builtin import CostLimitDimension, register_builtin_dimensions
from trust.postures import PostureTransitionRequest

TALLY: Counter[str] = Counter()
"""How each case ended, for the summary line: ``raised`` or ``refused``."""

LONG = "a" * 100_000

REGISTRY = ConstraintDimensionRegistry()
register_builtin_dimensions(REGISTRY)
DIMENSIONS = dict(REGISTRY.all())
EVALUATOR = MultiDimensionEvaluator(REGISTRY, enable_anti_gaming=False)

T, V = InvalidTypeError, InvalidValueError

BAD_CONSTRAINTS: list[tuple[str, Any, type[Exception], str]] = [
    # cost_limit
    ("cost_limit", -1, V, "cost_limit must be a finite, non-negative number of cents, got -1"),
    ("cost_limit", math.nan, V, "got nan"),
    ("cost_limit", math.inf, V, "got inf"),
    ("cost_limit", "-inf", V, "got '-inf'"),
    ("cost_limit", "ten", V, "got 'ten'"),
    ("cost_limit", True, T, "got True"),
    ("cost_limit", None, T, "got None"),
    ("cost_limit", [100], T, "got [100]"),
    ("cost_limit", 10**400, V, "cost_limit must be a finite"),
    # time_window
    ("time_window", "9-5", V, "time_window must be 'HH:MM-HH:MM"),
    ("time_window", "25:00-26:00", V, "Invalid start time 25:00"),
    ("time_window", "09:00-17:00 Nowhere/City", V, "IANA time zone name, got 'Nowhere/City'"),
    ("time_window", "09:00-17:00 UTC extra", V, "time_window must be"),
    ("time_window", 9, T, "got 9"),
    ("time_window", ["09:00-17:00"], T, "got ['09:00-17:00']"),
    ("time_window", {"all_of": "09:00-17:00"}, V, "all_of"),
    # resources
    ("resources", "../secrets/*", V, "must not have empty, '.' or '..' segments"),
    ("resources", ["data/**", "data/../x"], V, "got 'data/../x'"),
    ("resources", "data//x", V, "empty, '.' or '..' segments"),
    ("resources", "data/**.json", V, "'**' only as a whole segment"),
    ("resources", "data\\x", V, "must not contain a backslash"),
    ("resources", "data/\x00", V, "must not contain NUL"),
    ("resources", "data/[ab]", V, "must not contain '['"),
    ("resources", ["data/*", 3], T, "pattern must be a glob string, got 3"),
    ("resources", 3, T, "resources must be a glob or a list of globs, got 3"),
    ("resources", {"data/**": True}, T, "resources must be a glob or a list of globs"),
    # rate_limit
    ("rate_limit", 99.9, T, "got 99.9"),
    ("rate_limit", True, T, "got True"),
    ("rate_limit", -5, V, "got -5"),
    ("rate_limit", "100/fortnight", V, "got '100/fortnight'"),
    ("rate_limit", "1e3/minute", V, "got '1e3/minute'"),
    ("rate_limit", "100 per minute", V, "got '100 per minute'"),
    ("rate_limit", None, T, "got None"),
    # data_access
    (
        "data_access",
        "pii_ok",
        V,
        "data_access mode must be one of no_pii, internal_only, allow_all",
    ),
    ("data_access", {"mode": "everything"}, V, "got 'everything'"),
    ("data_access", {"mode": None}, T, "data_access mode must be one of"),
    ("data_access", {"mode": "allow_all", "allowed_classification": []}, V, "unknown"),
    ("data_access", {"allowed_classifications": [""]}, V, "must be a non-blank string"),
    ("data_access", {"allowed_classifications": [1]}, T, "must be a string, got 1"),
    ("data_access", {"allowed_classifications": 1}, T, "must be a list of strings, got 1"),
    ("data_access", ["no_pii"], T, "mode string or a mapping"),
    # communication
    ("communication", "external", V, "mode must be one of none, internal_only, allowed_domains"),
    ("communication", "allowed_domains", V, "needs an allowed_domains list"),
    ("communication", {"mode": "allowed_domains", "allowed_domains": ["a.com/x"]}, V, "a.com/x"),
    ("communication", {"mode": "allowed_domains", "allowed_domains": ["*.a.com"]}, V, "'*'"),
    ("communication", {"mode": "allowed_domains", "allowed_domains": [None]}, T, "got None"),
    ("communication", {"mode": "internal_only", "allowed_domains": []}, V, "applies only"),
    ("communication", {"mode": "none", "extra": 1}, V, "keys must be among"),
    ("communication", 0, T, "mode string or a mapping, got 0"),
    # blank, very long, look-alike and padded values, dimension by dimension
    ("cost_limit", "   ", V, "got '   '"),
    ("cost_limit", LONG, V, "(100002 chars)"),
    ("cost_limit", 1e309, V, "got inf"),
    ("time_window", "   ", V, "got '   '"),
    ("time_window", LONG, V, "(100002 chars)"),
    ("time_window", "\uff10\uff19:00-17:00", V, "got '\uff10\uff19:00-17:00'"),  # fullwidth 09
    ("time_window", "09:00-17:00\x00", V, "time_window must be"),
    ("resources", "   ", V, "got '   '"),
    ("resources", "data/ /x", V, "got 'data/ /x'"),
    ("resources", "data/\u200bsecret/*", V, "control or invisible characters"),
    ("resources", "data/\n/*", V, "control or invisible characters"),
    ("resources", "a/" * 50_000, V, "(100002 chars)"),
    ("rate_limit", "   ", V, "got '   '"),
    ("rate_limit", "\uff11\uff10\uff10/minute", V, "got '\uff11\uff10\uff10/minute'"),
    ("rate_limit", math.inf, T, "got inf"),
    ("rate_limit", LONG, V, "(100002 chars)"),
    ("data_access", "   ", V, "got '   '"),
    ("data_access", {"mode": "no_pii", "allowed_classifications": ["  "]}, V, "non-blank"),
    ("communication", "   ", V, "got '   '"),
    ("communication", LONG, V, "(100002 chars)"),
    (
        "communication",
        {"mode": "allowed_domains", "allowed_domains": ["ex\u0430mple.com"]},
        V,
        "ex",
    ),
    (
        "communication",
        {"mode": "allowed_domains", "allowed_domains": ["example.com:443"]},
        V,
        ":443",
    ),
    ("communication", {"mode": "allowed_domains", "allowed_domains": ["u@example.com"]}, V, "u@"),
    (
        "communication",
        {"mode": "allowed_domains", "allowed_domains": ["https://a.com"]},
        V,
        "https",
    ),
    (
        "communication",
        {"mode": "allowed_domains", "allowed_domains": ["a" * 300 + ".com"]},
        V,
        "aaa",
    ),
    ("communication", {"mode": "allowed_domains", "allowed_domains": [""]}, V, "got ''"),
]


@pytest.mark.parametrize(("name", "raw", "error", "message"), BAD_CONSTRAINTS)
def test_a_bad_constraint_raises_naming_the_value(
    name: str, raw: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        DIMENSIONS[name].parse(raw)
    assert isinstance(caught.value, ValueError)
    assert message in str(caught.value)
    TALLY["raised"] += 1


@pytest.mark.parametrize(("name", "raw", "error", "message"), BAD_CONSTRAINTS)
@pytest.mark.parametrize("mode", list(InteractionMode))
def test_a_bad_constraint_fails_its_dimension_in_evaluate(
    name: str, raw: Any, error: type[Exception], message: str, mode: InteractionMode
) -> None:
    result = EVALUATOR.evaluate({name: raw}, {}, mode)
    assert not result.satisfied
    assert result.failed_dimensions == (name,)
    reason = result.dimension_results[name].reason
    assert reason.startswith("invalid constraint ")
    assert message in reason
    TALLY["refused"] += 1


ALLOWED = {"mode": "allowed_domains", "allowed_domains": ["example.com"]}

BAD_CONTEXTS: list[tuple[str, Any, dict[str, Any], str]] = [
    # cost_limit: unknown or malformed cost
    ("cost_limit", 100, {}, "cost_used is missing"),
    ("cost_limit", 100, {"cost_used": "5"}, "cost_used must be a finite, non-negative number"),
    ("cost_limit", 100, {"cost_used": math.nan}, "got nan"),
    ("cost_limit", 100, {"cost_used": -0.5}, "got -0.5"),
    ("cost_limit", 100, {"cost_used": False}, "got False"),
    # time_window: wrong types (a missing time uses the clock instead)
    ("time_window", "00:00-23:59", {"current_time": 12}, "current_time must be a datetime"),
    ("time_window", "00:00-23:59", {"current_time": [12, 0]}, "current_time must be a datetime"),
    (
        "time_window",
        "00:00-23:59",
        {"current_time": time(12, tzinfo=UTC)},
        "an aware time of day",
    ),
    # resources: non-strings and unsafe paths (a missing path means no resource)
    ("resources", "**", {"resource_requested": None}, "must be a path string"),
    ("resources", "**", {"resource_requested": 7}, "must be a path string"),
    ("resources", "**", {"resource_requested": "a/../b"}, "path traversal"),
    ("resources", "**", {"resource_requested": "a/./b"}, "is not normalised"),
    ("resources", "/**", {"resource_requested": "/"}, "is not normalised"),
    ("resources", "**", {"resource_requested": "a\x00"}, "NUL"),
    # rate_limit: unknown or malformed counts
    ("rate_limit", 10, {}, "requests_in_period is missing"),
    ("rate_limit", 10, {"requests_in_period": 1.5}, "must be a non-negative integer, got 1.5"),
    ("rate_limit", 10, {"requests_in_period": "3"}, "got '3'"),
    ("rate_limit", 10, {"requests_in_period": -3}, "got -3"),
    ("rate_limit", 10, {"requests_by_period": {"minute": True}}, "requests_by_period must map"),
    ("rate_limit", 10, {"requests_by_period": "minute=3"}, "must be a mapping"),
    # data_access: malformed flags, and facts a restriction needs but nobody gave
    ("data_access", "allow_all", {"contains_pii": "false"}, "contains_pii must be a bool"),
    ("data_access", "allow_all", {"contains_pii": 0}, "contains_pii must be a bool"),
    ("data_access", "allow_all", {"data_classification": ["internal"]}, "must be a non-blank"),
    ("data_access", "no_pii", {}, "contains_pii is missing"),
    ("data_access", "internal_only", {"contains_pii": False}, "data_classification is missing"),
    # communication: non-strings and strings with no valid host
    ("communication", "internal_only", {"communication_target": None}, "must be a URL or host"),
    ("communication", "internal_only", {"communication_target": b"localhost"}, "must be a URL"),
    ("communication", "internal_only", {"communication_target": "http://[::1"}, "bracketed IPv6"),
    ("communication", "internal_only", {"communication_target": "ex ample.com"}, "spaces"),
    ("communication", "internal_only", {"communication_target": "127.1"}, "numeric host"),
    ("communication", "internal_only", {"communication_target": "xn--.com."}, "no valid hostname"),
    # resources: look-alikes, encodings and padding never reach a pattern they only resemble
    ("resources", "data/**", {"resource_requested": "d\u0430ta/x"}, "does not match"),
    ("resources", "data/*", {"resource_requested": "data\uff0f..\uff0fetc"}, "does not match"),
    ("resources", "data/*", {"resource_requested": "data/%2e%2e/x"}, "does not match"),
    ("resources", "data/**", {"resource_requested": "data/../etc/passwd"}, "path traversal"),
    ("resources", "data/**", {"resource_requested": "/data/x"}, "does not match"),
    ("resources", "data/*", {"resource_requested": "data/x/"}, "is not normalised"),
    ("resources", "data/**", {"resource_requested": "data\\..\\x"}, "path traversal (..)"),
    ("resources", "data/**", {"resource_requested": ""}, "is empty"),
    ("resources", "data/**", {"resource_requested": "   "}, "does not match"),
    ("resources", "data/**", {"resource_requested": "data/" + LONG}, "longer than"),
    # cost_limit and rate_limit: infinities and huge counts
    ("cost_limit", 100, {"cost_used": math.inf}, "got inf"),
    ("cost_limit", 100, {"cost_used": -math.inf}, "got -inf"),
    ("cost_limit", 100, {"cost_used": 10**400}, "finite, non-negative"),
    ("rate_limit", 10, {"requests_in_period": math.nan}, "got nan"),
    ("rate_limit", 10, {"requests_in_period": 10**100}, "exceeded"),
    ("data_access", "internal_only", {"contains_pii": False, "data_classification": "  "}, "blank"),
    (
        "data_access",
        {"mode": "allow_all", "allowed_classifications": ["public"]},
        {"data_classification": "publi\u0441"},  # Cyrillic es
        "not in allowed list",
    ),
    # communication: look-alikes, userinfo and fragment tricks, ports, IP forms
    *[
        ("communication", ALLOWED, {"communication_target": target}, reason)
        for target, reason in [
            ("https://ex\u0430mple.com/", "non-ASCII character"),  # Cyrillic a
            ("https://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "non-ASCII"),
            ("example\uff0ecom", "non-ASCII character"),  # fullwidth full stop
            ("ex%61mple.com", "'%' in its host"),
            ("xn--exmple-cua.com", "target 'xn--exmple-cua.com' not allowed: not in"),
            ("xn--exmple-4nf.com", "mixes scripts: CYRILLIC, LATIN"),  # ex\u0430mple
            ("https://example.com@evil.com/", "'@' before the path"),
            ("https://evil.com#@example.com", "'@' before the path"),
            ("https://example.com\\@evil.com", "holds a backslash"),
            ("http://127.0.0.1:8080\\@example.com/", "holds a backslash"),  # issue 12
            ("https://example.com.evil.com", "not allowed: not in"),
            ("https://evil.com/example.com", "target 'evil.com' not allowed: not in"),
            ("evil.com:443", "target 'evil.com' not allowed: not in"),
            ("//evil.com", "starts with '/'"),
            ("127.0.0.1", "target '127.0.0.1' not allowed: not in"),
            ("0x7f000001", "numeric host"),
            ("2130706433", "numeric host"),
            ("[::1]", "target '::1' not allowed: not in"),
            ("http://[::ffff:127.0.0.1]/", "embeds the IPv4 address 127.0.0.1"),
            ("example.com\x00.evil.com", "control characters"),
            ("", "is empty"),
            ("   ", "spaces"),
            (LONG, "too long"),
        ]
    ],
    *[
        ("communication", "internal_only", {"communication_target": target}, reason)
        for target, reason in [
            ("http://169.254.169.254/latest/meta-data", "not allowed: not in internal hosts"),
            ("0.0.0.0", "not allowed: not in internal hosts"),
            ("localhost.evil.com", "not allowed: not in internal hosts"),
            ("https://localhost@evil.com", "'@' before the path"),
            ("http://exfil.example\\@localhost/", "holds a backslash"),  # issue 12
        ]
    ],
]


@pytest.mark.parametrize(("name", "raw", "context", "reason"), BAD_CONTEXTS)
def test_a_bad_context_fails_the_check_with_a_reason(
    name: str, raw: Any, context: dict[str, Any], reason: str
) -> None:
    dimension = DIMENSIONS[name]
    result = dimension.check(dimension.parse(raw), context)
    assert result.satisfied is False
    assert reason in result.reason
    TALLY["refused"] += 1


@pytest.mark.parametrize(("name", "raw", "context", "reason"), BAD_CONTEXTS)
@pytest.mark.parametrize("mode", list(InteractionMode))
def test_a_bad_context_fails_through_evaluate_in_every_mode(
    name: str, raw: Any, context: dict[str, Any], reason: str, mode: InteractionMode
) -> None:
    result = EVALUATOR.evaluate({name: raw}, context, mode)
    assert not result.satisfied
    assert reason in result.dimension_results[name].reason
    TALLY["refused"] += 1


@pytest.mark.parametrize("name", sorted(DIMENSIONS))
@pytest.mark.parametrize("context", [None, "cost_used=1", [("cost_used", 1)], 42])
def test_a_context_that_is_not_a_mapping_fails_every_dimension(name: str, context: Any) -> None:
    raw = {
        "cost_limit": 1,
        "time_window": "00:00-23:59",
        "resources": "**",
        "rate_limit": 1,
        "data_access": "allow_all",
        "communication": "internal_only",
    }[name]
    dimension = DIMENSIONS[name]
    result = dimension.check(dimension.parse(raw), context)
    assert not result.satisfied
    assert result.reason.startswith("context must be a mapping")
    TALLY["refused"] += 1


# Every other entry point: one table of calls, each with the ending it must have.


@attrs.frozen
class Raises:
    """A `ValueError` whose message holds ``naming`` (by default, the shown value)."""

    naming: str


@attrs.frozen
class Refuses:
    """A refusal whose reason holds ``because``."""

    because: str


@attrs.frozen
class Case:
    entry: str
    call: Callable[[], object]
    expect: Raises | Refuses


def ending(call: Callable[[], object]) -> tuple[str, str]:
    """``("raised" | "refused" | "passed", text)``; any other exception propagates."""
    try:
        outcome = call()
        if asyncio.iscoroutine(outcome):
            outcome = asyncio.run(outcome)
    except PermissionError as refusal:
        return "refused", str(refusal)
    except ValueError as error:
        return "raised", str(error)
    match outcome:
        case ConstraintCheckResult(satisfied=False, reason=reason):
            return "refused", reason
        case EvaluationResult(satisfied=False):
            reasons = [r.reason for r in outcome.dimension_results.values() if not r.satisfied]
            return "refused", "; ".join(reasons)
        case TransitionResult(success=False, reason=reason):
            return "refused", reason
        case Admission(allowed=False, reason=reason):
            return "refused", reason
        case PostureResult(posture=TrustPosture.BLOCKED, reason=reason):
            return "refused", reason
        case ChainVerification(valid=False, reason=reason):
            return "refused", reason or ""
        case [str(), *_]:  # validate_tightening's violations
            return "refused", "; ".join(outcome)  # type: ignore[arg-type]
    return "passed", repr(outcome)


HOSTILE_IDS: list[Any] = [
    "",
    "   ",
    LONG,
    "agent\x00",
    "agent\nforged log line",
    "\u202eagent",  # right-to-left override
    "agent\u200b",  # zero-width space
    "agent\u00a0",  # no-break space
    " agent",
    42,
    None,
    b"agent",
    ["agent"],
]

HOSTILE_POSTURES: list[Any] = [
    "root",
    "",
    "FULL AUTONOMY",
    "\uff46ull_autonomy",  # fullwidth f
    "blocked\x00",
    3,
    None,
    math.nan,
]

HOSTILE_NUMBERS: list[Any] = [math.nan, math.inf, -math.inf, -1, 0, True, "5", None, 1e309]


def machine() -> PostureStateMachine:
    return PostureStateMachine(clock=FakeClock())


def breaker() -> PostureCircuitBreaker:
    return PostureCircuitBreaker(machine())


def request(**changes: Any) -> PostureTransitionRequest:
    fields: dict[str, Any] = {
        "agent_id": "agent-001",
        "from_posture": TrustPosture.SUPERVISED,
        "to_posture": TrustPosture.BLOCKED,
    }
    return PostureTransitionRequest(**(fields | changes))


def upgrade(requester_id: Any) -> Callable[[], object]:
    return lambda: machine().transition(
        request(to_posture=TrustPosture.FULL_AUTONOMY, requester_id=requester_id)
    )


def guarded(check_fn: Callable[[Any], Any]) -> Callable[[], object]:
    def call() -> object:
        guarded_machine = PostureStateMachine(require_upgrade_approval=False)
        guarded_machine.add_guard(TransitionGuard(name="business-hours", check_fn=check_fn))
        return guarded_machine.transition(request(to_posture=TrustPosture.ASSISTED))

    return call


class Base:
    async def run(self, **kwargs: Any) -> str:
        return "ran"


class Approver:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    async def request_approval(
        self, agent_id: str, action_description: str, kwargs: dict[str, Any]
    ) -> Any:
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def agent(**options: Any) -> PostureAwareAgent:
    return PostureAwareAgent(Base(), "agent-001", machine(), **options)


def agent_at(posture: TrustPosture, **options: Any) -> PostureAwareAgent:
    posture_machine = machine()
    posture_machine.set_posture("agent-001", posture)
    return PostureAwareAgent(Base(), "agent-001", posture_machine, **options)


def tripped_agent() -> PostureAwareAgent:
    # The posture stays SUPERVISED on open, so it is the circuit that refuses.
    wired = PostureCircuitBreaker(
        machine(), CircuitBreakerConfig(downgrade_on_open=TrustPosture.SUPERVISED)
    )
    wired.force_open("agent-001", "drill")
    return PostureAwareAgent(Base(), "agent-001", wired.posture_machine, circuit_breaker=wired)


def raising_guard(entry: object) -> bool:
    raise RuntimeError("guard crashed")


def the_value(value: Any) -> Raises:
    return Raises(shown(value))


CASES: list[Case] = [
    # Agent ids, at every entry point that takes one.
    *[
        case
        for value in HOSTILE_IDS
        for case in (
            Case(
                "PostureStateMachine.get_posture",
                lambda v=value: machine().get_posture(v),
                the_value(value),
            ),
            Case(
                "PostureStateMachine.set_posture",
                lambda v=value: machine().set_posture(v, "blocked"),
                the_value(value),
            ),
            Case(
                "PostureStateMachine.emergency_downgrade",
                lambda v=value: machine().emergency_downgrade(v, reason="x"),
                the_value(value),
            ),
            Case(
                "PostureStateMachine.get_transition_history",
                lambda v=value: machine().get_transition_history(v),
                the_value(value),
            ),
            Case(
                "PostureTransitionRequest.agent_id",
                lambda v=value: request(agent_id=v),
                the_value(value),
            ),
            Case(
                "PostureCircuitBreaker.can_proceed",
                lambda v=value: breaker().can_proceed(v),
                the_value(value),
            ),
            Case(
                "PostureCircuitBreaker.record_failure",
                lambda v=value: breaker().record_failure(v, "E", "m"),
                the_value(value),
            ),
            Case(
                "TrustMetricsCollector.record_posture",
                lambda v=value: TrustMetricsCollector().record_posture(v, "blocked"),
                the_value(value),
            ),
            Case(
                "PostureAwareAgent(agent_id)",
                lambda v=value: PostureAwareAgent(Base(), v, machine()),
                the_value(value),
            ),
        )
    ],
    # The evaluator's agent_id is optional: None means no agent, so it is not hostile there.
    *[
        Case(
            "MultiDimensionEvaluator.evaluate(agent_id)",
            lambda v=value: EVALUATOR.evaluate({"cost_limit": 1}, {"cost_used": 0}, agent_id=v),
            the_value(value),
        )
        for value in HOSTILE_IDS
        if value is not None
    ],
    # Posture values.
    *[
        case
        for value in HOSTILE_POSTURES
        for case in (
            Case(
                "PostureStateMachine(default_posture)",
                lambda v=value: PostureStateMachine(default_posture=v),
                the_value(value),
            ),
            Case(
                "PostureTransitionRequest.to_posture",
                lambda v=value: request(to_posture=v),
                the_value(value),
            ),
            Case(
                "PostureTransitionRequest.from_posture",
                lambda v=value: request(from_posture=v),
                the_value(value),
            ),
            Case(
                "PostureStateMachine.set_posture(posture)",
                lambda v=value: machine().set_posture("agent-001", v),
                the_value(value),
            ),
            Case(
                "CircuitBreakerConfig.downgrade_on_open",
                lambda v=value: CircuitBreakerConfig(downgrade_on_open=v),
                the_value(value),
            ),
        )
    ],
    # Breaker configuration: every numeric field.
    *[
        Case(
            f"CircuitBreakerConfig.{field}",
            lambda f=field, v=value: CircuitBreakerConfig(**{f: v}),
            Raises(field),
        )
        for field in (
            "failure_threshold",
            "recovery_timeout",
            "failure_window_seconds",
            "half_open_max_calls",
            "probe_timeout",
        )
        for value in HOSTILE_NUMBERS
    ],
    *[
        Case(
            "CircuitBreakerConfig.severity_weights",
            lambda v=value: CircuitBreakerConfig(severity_weights=v),
            Raises(naming),
        )
        for value, naming in [
            ({"low": math.nan}, "got nan"),
            ({"low": math.inf}, "got inf"),
            ({"low": -1}, "got -1"),
            ({"low": 0}, "got 0"),
            ({"low": True}, "got True"),
            ({"low": "1"}, "got '1'"),
            ({"": 1}, "got ''"),
            ({"low\n": 1}, "got 'low\\n'"),
            ({5: 1}, "got 5"),
            ([("low", 1)], "got [('low', 1)]"),
        ]
    ],
    Case(
        "CircuitBreakerConfig.restore_on_close",
        lambda: CircuitBreakerConfig(restore_on_close="no"),
        Raises("got 'no'"),
    ),
    Case(
        "PostureCircuitBreaker(config)",
        lambda: PostureCircuitBreaker(machine(), {"failure_threshold": 1}),
        Raises("got {'failure_threshold': 1}"),
    ),  # type: ignore[arg-type]
    Case(
        "PostureCircuitBreaker(posture_machine)",
        lambda: PostureCircuitBreaker("machine"),
        Raises("got 'machine'"),
    ),  # type: ignore[arg-type]
    # Breaker calls: severities, error fields, admissions from elsewhere.
    *[
        Case(
            "PostureCircuitBreaker.record_failure(severity)",
            lambda v=value: breaker().record_failure("agent-001", "E", "m", severity=v),
            the_value(value),
        )
        for value in ["catastrophic", "", "HIGH", "high\x00", None, 5, math.nan]
    ],
    Case(
        "PostureCircuitBreaker.record_failure(error_type)",
        lambda: breaker().record_failure("agent-001", 5, "m"),
        Raises("got 5"),
    ),  # type: ignore[arg-type]
    Case(
        "PostureCircuitBreaker.record_failure(error_message)",
        lambda: breaker().record_failure("agent-001", "E", None),
        Raises("got None"),
    ),  # type: ignore[arg-type]
    Case(
        "PostureCircuitBreaker.record_success(admission)",
        lambda: breaker().record_success("agent-001", admission="forged"),
        Raises("got 'forged'"),
    ),  # type: ignore[arg-type]
    Case(
        "PostureCircuitBreaker.admit (open)",
        lambda: tripped_agent()._breaker.admit("agent-001"),
        Refuses("open"),
    ),  # type: ignore[union-attr]
    # Requests and transitions.
    Case("PostureTransitionRequest.metadata", lambda: request(metadata=[1]), Raises("got [1]")),
    Case("PostureTransitionRequest.reason", lambda: request(reason=5), Raises("got 5")),
    Case("PostureTransitionRequest.requester_id", lambda: request(requester_id=5), Raises("got 5")),
    Case(
        "PostureStateMachine.transition(request)",
        lambda: machine().transition({"agent_id": "a"}),
        Raises("got {'agent_id': 'a'}"),
    ),  # type: ignore[arg-type]
    Case(
        "PostureStateMachine.transition(expected_version)",
        lambda: machine().transition(request(), expected_version="1"),
        Raises("got '1'"),
    ),  # type: ignore[arg-type]
    Case(
        "PostureStateMachine.transition(expected_version)",
        lambda: machine().transition(request(), expected_version=-1),
        Raises("got -1"),
    ),
    Case(
        "PostureStateMachine.transition (stale from_posture)",
        lambda: machine().transition(request(from_posture="full_autonomy")),
        Refuses("full_autonomy"),
    ),
    Case(
        "PostureStateMachine.transition (stale version)",
        lambda: machine().transition(request(), expected_version=7),
        Refuses("version"),
    ),
    *[
        Case(
            "PostureStateMachine.transition (upgrade requester)",
            upgrade(value),
            Refuses("requester_id"),
        )
        for value in [None, "", "   ", "agent-001", "admin\x00", "admin\n", "\u202eadmin", LONG]
    ],
    *[
        Case("TransitionGuard.check_fn returns", guarded(check_fn), Refuses("business-hours"))
        for check_fn in [
            raising_guard,
            lambda r: "yes",
            lambda r: 1,
            lambda r: None,
            lambda r: "True",
            lambda r: [True],
        ]
    ],
    Case(
        "TransitionGuard(check_fn)", lambda: TransitionGuard(name="g", check_fn=5), Raises("got 5")
    ),  # type: ignore[arg-type]
    Case(
        "TransitionGuard(name)",
        lambda: TransitionGuard(name="  ", check_fn=bool),
        Raises("got '  '"),
    ),
    Case(
        "TransitionGuard(name)",
        lambda: TransitionGuard(name="g\n", check_fn=bool),
        Raises("got 'g\\n'"),
    ),
    Case(
        "PostureStateMachine.add_guard",
        lambda: machine().add_guard(bool),
        Raises("got <class 'bool'>"),
    ),  # type: ignore[arg-type]
    *[
        Case(
            "PostureStateMachine.get_transition_history(limit)",
            lambda v=value: machine().get_transition_history("agent-001", limit=v),
            the_value(value),
        )
        for value in [-1, "5", math.nan, True, 2.5]
    ],
    *[
        Case(
            f"PostureStateMachine({option})",
            lambda o=option, v=value: PostureStateMachine(**{o: v}),
            the_value(value),
        )
        for option, value in [
            ("require_upgrade_approval", "yes"),
            ("require_upgrade_approval", None),
            ("history_limit", -1),
            ("history_limit", 0),
            ("history_limit", math.inf),
            ("history_limit", True),
            ("clock", 5),
        ]
    ],
    # The posture-aware agent: handler answers, configuration, calls.
    *[
        Case(
            "ApprovalHandler.request_approval returns",
            lambda a=answer: agent_at(TrustPosture.HUMAN_DECIDES, approval_handler=Approver(a)).run(
                x=1
            ),
            Refuses(because),
        )
        for answer, because in [
            ("yes", "'yes'"),
            (1, "1"),
            (None, "None"),
            ("True", "'True'"),
            ([True], "[True]"),
            (False, "answered False"),
            (RuntimeError("approver down"), "approver down"),
        ]
    ],
    Case(
        "PostureAwareAgent.run (HUMAN_DECIDES, no handler)",
        lambda: agent_at(TrustPosture.HUMAN_DECIDES).run(),
        Refuses("approval"),
    ),
    Case(
        "PostureAwareAgent.run (BLOCKED)",
        lambda: agent_at(TrustPosture.BLOCKED).run(),
        Refuses("BLOCKED"),
    ),
    Case("PostureAwareAgent.run (circuit open)", lambda: tripped_agent().run(), Refuses("open")),
    *[
        Case(
            f"PostureAwareAgent({option})",
            lambda o=option, v=value: agent(**{o: v}),
            the_value(value),
        )
        for option, value in [
            ("assisted_delay_seconds", math.nan),
            ("assisted_delay_seconds", math.inf),
            ("assisted_delay_seconds", -1),
            ("assisted_delay_seconds", "5"),
            ("approval_timeout_seconds", 0),
            ("approval_timeout_seconds", math.inf),
            ("approval_timeout_seconds", math.nan),
            ("notification_timeout_seconds", -1),
            ("approval_handler", 5),
            ("notification_handler", "slack"),
            ("circuit_breaker", "breaker"),
            ("audit_log", []),
            ("severity_of", "high"),
        ]
    ],
    Case(
        "PostureAwareAgent(base_agent)",
        lambda: PostureAwareAgent(object(), "agent-001", machine()),
        Raises("base_agent must have a run() method"),
    ),
    Case(
        "PostureAwareAgent(posture_machine)",
        lambda: PostureAwareAgent(Base(), "agent-001", "machine"),
        Raises("got 'machine'"),
    ),  # type: ignore[arg-type]
    Case(
        "PostureAwareAgent.cancel_pending(run_id)",
        lambda: agent().cancel_pending("1"),
        Raises("got '1'"),
    ),  # type: ignore[arg-type]
    Case(
        "PostureAwareAgent.release_pending(run_id)",
        lambda: agent().release_pending(1.5),
        Raises("got 1.5"),
    ),  # type: ignore[arg-type]
    # The evaluator and the registry.
    *[
        Case(
            "MultiDimensionEvaluator.evaluate(constraints)",
            lambda v=value: EVALUATOR.evaluate(v, {}),
            the_value(value),
        )
        for value in [None, "cost_limit=5", [("cost_limit", 5)]]
    ],
    Case(
        "MultiDimensionEvaluator.evaluate(constraints key)",
        lambda: EVALUATOR.evaluate({5: 5}, {}),  # type: ignore[dict-item]
        Raises("got 5"),
    ),
    Case(
        "MultiDimensionEvaluator.evaluate(constraints key)",
        lambda: EVALUATOR.evaluate({None: 1}, {}),  # type: ignore[dict-item]
        Raises("got None"),
    ),
    *[
        Case(
            "MultiDimensionEvaluator.evaluate(mode)",
            lambda v=value: EVALUATOR.evaluate({"cost_limit": 5}, {"cost_used": 1}, v),
            the_value(value),
        )
        for value in ["any", "", 1, None, "conjunctive\x00"]
    ],
    Case(
        "MultiDimensionEvaluator.evaluate (unknown dimension)",
        lambda: EVALUATOR.evaluate({"gpu_hours": 5}, {}),
        Refuses("unknown dimension 'gpu_hours'"),
    ),
    Case(
        "MultiDimensionEvaluator.evaluate (unknown dimension, DISJUNCTIVE)",
        lambda: EVALUATOR.evaluate({"gpu_hours": 5, "cost_limit": "x"}, {}, "disjunctive"),
        Refuses("unknown dimension 'gpu_hours'"),
    ),
    *[
        Case(
            "MultiDimensionEvaluator.evaluate(context)",
            lambda v=value: EVALUATOR.evaluate({"cost_limit": 5}, v),
            Refuses("context must be a mapping"),
        )
        for value in [None, "cost_used=1", [("cost_used", 1)], 42]
    ],
    Case(
        "MultiDimensionEvaluator.validate_tightening(parent)",
        lambda: EVALUATOR.validate_tightening(None, {"cost_limit": 1}),
        Raises("got None"),
    ),  # type: ignore[arg-type]
    Case(
        "MultiDimensionEvaluator.validate_tightening(child)",
        lambda: EVALUATOR.validate_tightening({"cost_limit": 1}, "x"),
        Raises("got 'x'"),
    ),  # type: ignore[arg-type]
    Case(
        "MultiDimensionEvaluator.validate_tightening(mode)",
        lambda: EVALUATOR.validate_tightening({}, {}, "x"),
        Raises("got 'x'"),
    ),
    Case(
        "MultiDimensionEvaluator.validate_tightening (unknown child dimension)",
        lambda: EVALUATOR.validate_tightening({"cost_limit": 5}, {"cost_limit": 1, "gpu": 1}),
        Refuses("unknown dimension 'gpu'"),
    ),
    Case(
        "MultiDimensionEvaluator.validate_tightening (NaN child)",
        lambda: EVALUATOR.validate_tightening({"cost_limit": 5}, {"cost_limit": math.nan}),
        Refuses("got nan"),
    ),
    Case(
        "MultiDimensionEvaluator.validate_tightening (looser child)",
        lambda: EVALUATOR.validate_tightening({"cost_limit": 5}, {"cost_limit": 1e308}),
        Refuses("cost_limit"),
    ),
    Case(
        "MultiDimensionEvaluator(registry)", lambda: MultiDimensionEvaluator({}), Raises("got {}")
    ),  # type: ignore[arg-type]
    Case(
        "ConstraintDimensionRegistry.register",
        lambda: ConstraintDimensionRegistry().register("cost_limit"),
        Raises("got 'cost_limit'"),
    ),  # type: ignore[arg-type]
    Case(
        "ConstraintDimensionRegistry.register(requires_review)",
        lambda: ConstraintDimensionRegistry().register(CostLimitDimension(), requires_review="yes"),
        Raises("got 'yes'"),
    ),  # type: ignore[arg-type]
    Case(
        "ConstraintDimensionRegistry.approve_dimension(name)",
        lambda: REGISTRY.approve_dimension("nope", "alice"),
        Raises("got 'nope'"),
    ),
    *[
        Case(
            "ConstraintDimensionRegistry.approve_dimension(reviewer)",
            lambda v=value: REGISTRY.approve_dimension("cost_limit", v),
            the_value(value),
        )
        for value in ["", "  ", "alice\n", None, LONG]
    ],
    # Audit trail and metrics.
    *[
        Case("AuditLog(max_entries)", lambda v=value: AuditLog(max_entries=v), the_value(value))
        for value in [0, -1, "10", True, math.inf]
    ],
    Case("AuditLog(sink)", lambda: AuditLog(sink=5), Raises("got 5")),  # type: ignore[arg-type]
    Case("verify_audit_chain(entries)", lambda: verify_audit_chain(None), Raises("got None")),  # type: ignore[arg-type]
    Case("verify_audit_chain(entries)", lambda: verify_audit_chain("abc"), Raises("got 'abc'")),  # type: ignore[arg-type]
    Case(
        "verify_audit_chain(entries)",
        lambda: verify_audit_chain([{"hash": "0"}]),
        Raises("got {'hash': '0'}"),
    ),  # type: ignore[list-item]
    *[
        Case("TrustMetricsCollector.record_constraint_evaluation", call, Raises(naming))
        for call, naming in [
            (lambda: TrustMetricsCollector().record_constraint_evaluation("yes"), "got 'yes'"),
            (lambda: TrustMetricsCollector().record_constraint_evaluation(1), "got 1"),
            (
                lambda: TrustMetricsCollector().record_constraint_evaluation(
                    False, duration_ms=math.nan
                ),
                "got nan",
            ),
            (
                lambda: TrustMetricsCollector().record_constraint_evaluation(False, duration_ms=-1),
                "got -1",
            ),
            (
                lambda: TrustMetricsCollector().record_constraint_evaluation(
                    False, duration_ms=math.inf
                ),
                "got inf",
            ),
            (
                lambda: TrustMetricsCollector().record_constraint_evaluation(
                    False, failed_dimensions=[5]
                ),
                "got 5",
            ),
            (
                lambda: TrustMetricsCollector().record_constraint_evaluation(
                    True, failed_dimensions=["cost"]
                ),
                "got ['cost']",
            ),
        ]
    ],
    Case(
        "TrustMetricsCollector.record_transition",
        lambda: TrustMetricsCollector().record_transition("teleport"),
        Raises("got 'teleport'"),
    ),
    Case(
        "TrustMetricsCollector.record_posture(posture)",
        lambda: TrustMetricsCollector().record_posture("a", "root"),
        Raises("got 'root'"),
    ),
    *[
        Case(
            f"TrustMetricsCollector({option})",
            lambda o=option, v=value: TrustMetricsCollector(**{o: v}),
            the_value(value),
        )
        for option, value in [
            ("max_agents", 0),
            ("max_agents", -5),
            ("max_label_values", True),
            ("max_label_values", "10"),
        ]
    ],
    # The verification mapper: anything but a valid result maps to BLOCKED, with a reason.
    *[
        Case(
            "TrustPostureMapper.map_verification_result",
            lambda v=value: TrustPostureMapper().map_verification_result(v),
            Refuses(""),
        )
        for value in [None, "valid", 42, {"valid": True}, object()]
    ],
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.entry)
def test_an_entry_point_raises_or_refuses_hostile_input(case: Case) -> None:
    kind, text = ending(case.call)
    if isinstance(case.expect, Raises):
        assert kind == "raised", f"{case.entry}: expected a ValueError, got {kind}: {text}"
        assert case.expect.naming in text
    else:
        assert kind == "refused", f"{case.entry}: expected a refusal, got {kind}: {text}"
        assert case.expect.because in text
        assert text.strip(), "a refusal carries a reason"
    TALLY[kind] += 1
