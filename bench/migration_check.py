"""Every difference docs/migration.md lists, run on kaizen.trust 1.2.5 and on care-trust.

Run: ``python bench/migration_check.py`` (after the README's dev install). The reference is
loaded in-process through ``_reference.load`` (downloaded once into ``bench/.cache/``).
Each case is one small function run once per side against a namespace holding that side's
modules under the same names, so the code a user wrote for the reference is what runs on
care-trust too. Each line prints what the reference gives, what care-trust gives, and the
case's status:

- ``deliberate``: care-trust decided otherwise on purpose (docs/migration.md says why);
- ``eased``: care-trust changed to ease migration (the reference's phrase in a message, its
  API, its reading of a window); docs/migration.md says how far it goes;
- ``addition``: the reference has no such thing; shown so the page's claim is checked;
- ``gap``: a name the reference exports where care-trust has it elsewhere or not at all
  (docs/migration.md gives the import to use instead).

``--only WORD`` runs the cases whose topic or label contains WORD. Nothing here is a test:
the reference is downloaded, so this is not part of the suite.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

import _reference

import trust
import trust.audit
import trust.circuit_breaker
import trust.constraints
import trust.constraints.builtin
import trust.metrics
import trust.posture_agent
import trust.postures

Side = types.SimpleNamespace
"""One library's modules under shared names, plus ``name`` ("reference" or "care-trust")."""


def sides() -> tuple[Side, Side]:
    ref = _reference.load()
    reference = Side(
        name="reference",
        postures=ref.postures,
        circuit_breaker=ref.circuit_breaker,
        posture_agent=ref.posture_agent,
        metrics=ref.metrics,
        constraints=ref.constraints,
        builtin=ref.builtin,
    )
    ours = Side(
        name="care-trust",
        postures=trust.postures,
        circuit_breaker=trust.circuit_breaker,
        posture_agent=trust.posture_agent,
        metrics=trust.metrics,
        constraints=trust.constraints,
        builtin=trust.constraints.builtin,
    )
    return reference, ours


@dataclass(frozen=True)
class Case:
    topic: str
    label: str
    status: str
    run: Callable[[Side], object]


CASES: list[Case] = []


def case(topic: str, label: str, status: str = "deliberate") -> Callable[..., Any]:
    def register(run: Callable[[Side], object]) -> Callable[[Side], object]:
        CASES.append(Case(topic, label, status, run))
        return run

    return register


def shown(run: Callable[[Side], object], side: Side, width: int = 150) -> str:
    try:
        value = run(side)
    except Exception as error:
        value_text = f"raises {type(error).__name__}: {error}"
    else:
        value_text = value if isinstance(value, str) else repr(value)
    value_text = " ".join(value_text.split())
    return value_text if len(value_text) <= width else value_text[: width - 3] + "..."


# -- helpers shared by the cases ------------------------------------------------------


def machine(side: Side, **kwargs: Any) -> Any:
    return side.postures.PostureStateMachine(**kwargs)


def request(side: Side, agent: str, from_: str, to: str, **kwargs: Any) -> Any:
    posture = side.postures.TrustPosture
    return side.postures.PostureTransitionRequest(
        agent_id=agent,
        from_posture=posture[from_],
        to_posture=posture[to],
        **kwargs,
    )


def evaluator(side: Side, **kwargs: Any) -> Any:
    registry = side.constraints.ConstraintDimensionRegistry()
    side.builtin.register_builtin_dimensions(registry)
    return side.constraints.MultiDimensionEvaluator(registry, **kwargs)


def verdict(side: Side, constraints: dict[str, Any], context: dict[str, Any]) -> str:
    """``passes`` or ``fails: <reason>`` (the first failing dimension's reason)."""
    result = evaluator(side).evaluate(constraints, context)
    if result.satisfied:
        return "passes"
    reasons = [result.dimension_results[name].reason for name in result.failed_dimensions]
    return "fails: " + (reasons[0] if reasons else "; ".join(result.warnings))


def tightening(side: Side, parent: dict[str, Any], child: dict[str, Any]) -> str:
    violations = evaluator(side).validate_tightening(parent, child)
    return "valid" if not violations else f"refused: {violations[0]}"


def breaker_and_clock(side: Side, **config: Any) -> tuple[Any, Any, Any]:
    """(machine, breaker, advance): ``advance(seconds)`` moves the breaker's time on."""
    cb = side.circuit_breaker
    if side.name == "reference":
        # The reference reads datetime.now() and has no clock to inject: a zero recovery
        # timeout (it accepts one) is the only way to reach half-open without sleeping.
        config["recovery_timeout"] = 0
        posture_machine = machine(side)
        breaker = cb.PostureCircuitBreaker(posture_machine, cb.CircuitBreakerConfig(**config))
        return posture_machine, breaker, lambda seconds: None
    from trust.testing import FakeClock

    clock = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    config.setdefault("recovery_timeout", 1)
    posture_machine = machine(side, clock=clock)
    breaker = cb.PostureCircuitBreaker(
        posture_machine, cb.CircuitBreakerConfig(**config), clock=clock
    )
    return posture_machine, breaker, lambda seconds: clock.advance(seconds)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def trip(side: Side, breaker: Any, agent: str, times: int, severity: str = "medium") -> None:
    for _ in range(times):
        run(breaker.record_failure(agent, "E", "boom", "call", severity))


# -- postures and the posture state machine -------------------------------------------

P = "postures/machine"


@case(P, 'TrustPosture("FULL_AUTONOMY"): names in any case')
def _(side: Side) -> object:
    return side.postures.TrustPosture("FULL_AUTONOMY")


@case(P, 'TrustPosture.ASSISTED < "blocked": comparing a posture with a string')
def _(side: Side) -> object:
    return side.postures.TrustPosture.ASSISTED < "blocked"


@case(P, 'TransitionGuard("g", fn): positional arguments to value classes')
def _(side: Side) -> object:
    return side.postures.TransitionGuard("g", lambda request: True).name


@case(P, "result.success = False: results are frozen")
def _(side: Side) -> object:
    result = machine(side).emergency_downgrade("a", reason="r")
    result.success = False
    return result.success


@case(P, "a guard answering 1 (truthy, not True)")
def _(side: Side) -> object:
    m = machine(side)
    m.add_guard(side.postures.TransitionGuard(name="g", check_fn=lambda request: 1))
    return m.transition(request(side, "a", "SUPERVISED", "ASSISTED", requester_id="boss")).success


@case(P, "a guard that raises")
def _(side: Side) -> object:
    m = machine(side)

    def broken(request: Any) -> bool:
        raise RuntimeError("guard bug")

    m.add_guard(side.postures.TransitionGuard(name="g", check_fn=broken))
    result = m.transition(request(side, "a", "SUPERVISED", "ASSISTED", requester_id="boss"))
    return (result.success, result.blocked_by, len(m.get_transition_history("a")))


@case(P, "upgrade requested by the agent itself (requester_id == agent_id)")
def _(side: Side) -> object:
    result = machine(side).transition(
        request(side, "a", "SUPERVISED", "FULL_AUTONOMY", requester_id="a")
    )
    return result.success


@case(P, 'upgrade with a blank requester_id ("  ")')
def _(side: Side) -> object:
    result = machine(side).transition(
        request(side, "a", "SUPERVISED", "FULL_AUTONOMY", requester_id="  ")
    )
    return result.success


@case(P, 'remove_guard("upgrade_approval_required") while the flag is set')
def _(side: Side) -> object:
    return machine(side).remove_guard("upgrade_approval_required")


@case(P, "set_posture: return value and history entries")
def _(side: Side) -> object:
    m = machine(side)
    returned = m.set_posture("a", side.postures.TrustPosture.ASSISTED)
    return (type(returned).__name__, len(m.get_transition_history("a")))


@case(P, "stale request (from_posture is not the current posture): recorded?")
def _(side: Side) -> object:
    m = machine(side)
    result = m.transition(request(side, "a", "ASSISTED", "SUPERVISED"))
    return (result.success, len(m.get_transition_history("a")))


@case(P, "history after 150 changes of one agent")
def _(side: Side) -> object:
    m = machine(side)
    for _ in range(150):
        m.emergency_downgrade("a", reason="r")
    return len(m.get_transition_history("a"))


@case(P, "get_transition_history(agent, limit=0)")
def _(side: Side) -> object:
    m = machine(side)
    for _ in range(3):
        m.emergency_downgrade("a", reason="r")
    return len(m.get_transition_history("a", limit=0))


@case(P, "get_transition_history(agent, limit=-1)")
def _(side: Side) -> object:
    m = machine(side)
    for _ in range(3):
        m.emergency_downgrade("a", reason="r")
    return len(m.get_transition_history("a", limit=-1))


@case(P, "get_transition_history() without an agent id (2 agents)", "eased")
def _(side: Side) -> object:
    m = machine(side)
    m.emergency_downgrade("a", reason="r")
    m.emergency_downgrade("b", reason="r")
    return len(m.get_transition_history())


@case(P, "get_transition_history(agent, limit=10) of 6 entries", "eased")
def _(side: Side) -> object:
    m = machine(side)
    for _ in range(6):
        m.emergency_downgrade("a", reason="r")
    return len(m.get_transition_history("a", limit=10))


@case(P, "transition timestamps")
def _(side: Side) -> object:
    return machine(side).emergency_downgrade("a", reason="r").timestamp.tzinfo


@case(P, 'a request with postures as names ("supervised" -> "assisted")')
def _(side: Side) -> object:
    request_type = side.postures.PostureTransitionRequest
    plain = request_type(
        agent_id="a", from_posture="supervised", to_posture="assisted", requester_id="boss"
    )
    return machine(side).transition(plain).success


@case(P, "PostureTransitionRequest(..., timestamp=...)")
def _(side: Side) -> object:
    stamp = datetime(2030, 1, 1, tzinfo=UTC)
    return request(side, "a", "SUPERVISED", "ASSISTED", timestamp=stamp).agent_id


@case(P, 'result.metadata.get("agent_id") and result.metadata type')
def _(side: Side) -> object:
    result = machine(side).emergency_downgrade("a", reason="r")
    return (result.metadata.get("agent_id"), type(result.metadata).__name__)


@case(P, "agent id 42 (not a string)")
def _(side: Side) -> object:
    return machine(side).emergency_downgrade(42, reason="r").success


@case(P, "the machine logs a change on the logging module", "eased")
def _(side: Side) -> object:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger(side.postures.__name__)
    keep, level = Keep(), logger.level
    logger.addHandler(keep)
    logger.setLevel(logging.DEBUG)
    try:
        machine(side).emergency_downgrade("a", reason="incident", requester_id="sec")
    finally:
        logger.removeHandler(keep)
        logger.setLevel(level)
    return [logging.getLevelName(record.levelno) for record in records]


@case(
    P,
    'mapper: sensitive_capabilities=["delete"], "delete_records", trust high',
    "eased",
)
def _(side: Side) -> object:
    mapper = side.postures.TrustPostureMapper(sensitive_capabilities=["delete"])
    verification = types.SimpleNamespace(valid=True, constraints={"trust_level": "high"})
    return mapper.map_verification_result(verification, "delete_records").posture


@case(
    P,
    'mapper: sensitive_capabilities=["delete"], "undelete_preview", trust high',
    "eased",
)
def _(side: Side) -> object:
    mapper = side.postures.TrustPostureMapper(sensitive_capabilities=["delete"])
    verification = types.SimpleNamespace(valid=True, constraints={"trust_level": "high"})
    return mapper.map_verification_result(verification, "undelete_preview").posture


@case(P, "mapper with default HUMAN_DECIDES: a sensitive capability", "eased")
def _(side: Side) -> object:
    mapper = side.postures.TrustPostureMapper(
        default_posture=side.postures.TrustPosture.HUMAN_DECIDES
    )
    verification = types.SimpleNamespace(valid=True, constraints={})
    return mapper.map_verification_result(verification, "delete").posture


@case(P, "module-level get_posture_for_action(1) (truthy, not True)", "eased")
def _(side: Side) -> object:
    return side.postures.get_posture_for_action(1)


@case(P, "module-level map_verification_to_posture", "eased")
def _(side: Side) -> object:
    verification = types.SimpleNamespace(valid=True, constraints={})
    return side.postures.map_verification_to_posture(verification).posture


# -- the circuit breaker ----------------------------------------------------------------

B = "breaker"


@case(B, "CircuitBreakerConfig(3, 30): positional arguments")
def _(side: Side) -> object:
    return side.circuit_breaker.CircuitBreakerConfig(3, 30).failure_threshold


@case(B, "CircuitBreakerConfig(recovery_timeout=0)")
def _(side: Side) -> object:
    return side.circuit_breaker.CircuitBreakerConfig(recovery_timeout=0).recovery_timeout


@case(B, "CircuitBreakerConfig(failure_threshold=True)")
def _(side: Side) -> object:
    return side.circuit_breaker.CircuitBreakerConfig(failure_threshold=True).failure_threshold


@case(B, "config.failure_threshold = 1 after construction")
def _(side: Side) -> object:
    config = side.circuit_breaker.CircuitBreakerConfig()
    config.failure_threshold = 1
    return config.failure_threshold


@case(B, "record_failure_sync / can_proceed_sync (no event loop)", "addition")
def _(side: Side) -> object:
    return hasattr(side.circuit_breaker.PostureCircuitBreaker, "record_failure_sync")


@case(B, "after the recovery timeout, before any call: get_state")
def _(side: Side) -> object:
    _m, breaker, advance = breaker_and_clock(side, failure_threshold=1)
    trip(side, breaker, "a", 1)
    advance(1)
    return breaker.get_state("a")


@case(B, "half-open: 1 admitted probe, then 3 successes reported (max_calls 3)")
def _(side: Side) -> object:
    _m, breaker, advance = breaker_and_clock(side, failure_threshold=1, half_open_max_calls=3)
    trip(side, breaker, "a", 1)
    advance(1)
    run(breaker.can_proceed("a"))
    for _ in range(3):
        run(breaker.record_success("a"))
    return breaker.get_state("a")


@case(B, "FULL_AUTONOMY agent, circuit opens then closes: posture after")
def _(side: Side) -> object:
    m, breaker, advance = breaker_and_clock(side, failure_threshold=1, half_open_max_calls=1)
    m.set_posture("a", side.postures.TrustPosture.FULL_AUTONOMY)
    trip(side, breaker, "a", 1)
    advance(1)
    run(breaker.can_proceed("a"))
    run(breaker.record_success("a"))
    return (breaker.get_state("a"), m.get_posture("a"))


@case(B, "a downgrade guard refuses the breaker's downgrade: history")
def _(side: Side) -> object:
    m, breaker, _advance = breaker_and_clock(side, failure_threshold=1)
    transition = side.postures.PostureTransition
    m.add_guard(
        side.postures.TransitionGuard(
            name="no_downgrades",
            check_fn=lambda request: False,
            applies_to=[transition.DOWNGRADE],
        )
    )
    m.set_posture("a", side.postures.TrustPosture.FULL_AUTONOMY)
    trip(side, breaker, "a", 1)
    return [
        (entry.success, entry.to_posture.value, entry.blocked_by)
        for entry in m.get_transition_history("a")
    ] + [m.get_posture("a").value]


@case(B, "10 failures with threshold 3: failure_count")
def _(side: Side) -> object:
    _m, breaker, _advance = breaker_and_clock(side, failure_threshold=3)
    trip(side, breaker, "a", 10)
    return breaker.get_metrics("a")["failure_count"]


@case(B, "ten failures of weight 0.1 against threshold 1")
def _(side: Side) -> object:
    weights = {"low": 0.1, "medium": 1.0, "high": 2.0, "critical": 5.0}
    _m, breaker, _advance = breaker_and_clock(side, failure_threshold=1, severity_weights=weights)
    trip(side, breaker, "a", 10, "low")
    return breaker.get_state("a")


@case(B, "the reason recorded for the breaker's downgrade")
def _(side: Side) -> object:
    m, breaker, _advance = breaker_and_clock(side, failure_threshold=3)
    m.set_posture("a", side.postures.TrustPosture.FULL_AUTONOMY)
    trip(side, breaker, "a", 3)
    return m.get_transition_history("a")[-1].reason


OPEN_KEYS = (
    "agent_id", "current_posture", "failure_count", "failure_threshold", "failure_window_seconds",
    "failures_by_severity", "original_posture", "recovery_timeout_seconds", "state",
    "time_in_open_state", "time_until_half_open", "weighted_failures",
)  # fmt: skip
"""The reference's get_metrics keys for an open circuit that lowered a posture."""


@case(B, "get_metrics while open: the reference's keys missing, and how many more")
def _(side: Side) -> object:
    m, breaker, _advance = breaker_and_clock(side, failure_threshold=1, recovery_timeout=60)
    if side.name == "reference":
        breaker._config.recovery_timeout = 60  # stay open: read the keys of the open state
    m.set_posture("a", side.postures.TrustPosture.FULL_AUTONOMY)
    trip(side, breaker, "a", 1)
    keys = set(breaker.get_metrics("a"))
    return (sorted(set(OPEN_KEYS) - keys), len(keys - set(OPEN_KEYS)))


@case(B, "force_open / reset (operator overrides)", "addition")
def _(side: Side) -> object:
    return hasattr(side.circuit_breaker.PostureCircuitBreaker, "force_open")


# -- the posture-aware agent and its audit --------------------------------------------

A = "agent/audit"


class Echo:
    async def run(self, **kwargs: Any) -> str:
        return "done"


def agent(side: Side, posture: str, **kwargs: Any) -> Any:
    m = machine(side)
    m.set_posture("a", side.postures.TrustPosture[posture])
    return side.posture_agent.PostureAwareAgent(
        base_agent=Echo(), agent_id="a", posture_machine=m, **kwargs
    )


@case(A, "a base agent returning a str: what run returns")
def _(side: Side) -> object:
    return run(agent(side, "FULL_AUTONOMY").run(q=1))


@case(A, "FULL_AUTONOMY run: audit entries")
def _(side: Side) -> object:
    wrapped = agent(side, "FULL_AUTONOMY")
    run(wrapped.run(q=1))
    return len(wrapped.audit_log)


@case(A, "BLOCKED run: the refusal and audit entries")
def _(side: Side) -> object:
    wrapped = agent(side, "BLOCKED")
    try:
        run(wrapped.run(q=1))
    except PermissionError as refused:
        return (f"PermissionError: {refused}", len(wrapped.audit_log))
    return "ran"


@case(A, "HUMAN_DECIDES without an approval handler")
def _(side: Side) -> object:
    return run(agent(side, "HUMAN_DECIDES").run(q=1))


@case(A, 'HUMAN_DECIDES, the handler answers "yes" (truthy, not True)')
def _(side: Side) -> object:
    class Approver:
        async def request_approval(
            self, agent_id: str, action_description: str, kwargs: dict[str, Any]
        ) -> object:
            return "yes"

    return run(agent(side, "HUMAN_DECIDES", approval_handler=Approver()).run(q=1))


@case(A, "HUMAN_DECIDES, a synchronous approval handler answering True")
def _(side: Side) -> object:
    class Approver:
        def request_approval(
            self, agent_id: str, action_description: str, kwargs: dict[str, Any]
        ) -> bool:
            return True

    return run(agent(side, "HUMAN_DECIDES", approval_handler=Approver()).run(q=1))


@case(A, "ASSISTED, the notification handler raises (delay 0)")
def _(side: Side) -> object:
    class Loud:
        async def notify(self, agent_id: str, message: str, action_kwargs: Any) -> None:
            raise RuntimeError("pager down")

    wrapped = agent(side, "ASSISTED", notification_handler=Loud(), assisted_delay_seconds=0)
    return (run(wrapped.run(q=1)), len(wrapped.audit_log))


@case(A, "3 runs with AuditLog(max_entries=2) (the reference's log is a plain list)")
def _(side: Side) -> object:
    if side.name == "reference":
        wrapped = agent(side, "SUPERVISED")
    else:
        wrapped = agent(side, "SUPERVISED", audit_log=trust.audit.AuditLog(max_entries=2))
    for _ in range(3):
        run(wrapped.run(q=1))
    return len(wrapped.audit_log)


@case(A, "circuit_breaker=PostureCircuitBreaker(...) on the agent")
def _(side: Side) -> object:
    wrapped = agent(side, "FULL_AUTONOMY")
    breaker = side.circuit_breaker.PostureCircuitBreaker(
        wrapped._posture_machine if side.name == "reference" else machine(side)
    )
    wrapped = agent(side, "FULL_AUTONOMY", circuit_breaker=breaker)
    return run(wrapped.run(q=1))


@case(
    A, "circuit_breaker with the reference's is_open/record_* protocol, open", "eased"
)
def _(side: Side) -> object:
    class Simple:
        def is_open(self) -> bool:
            return True

        def record_success(self) -> None:
            pass

        def record_failure(self) -> None:
            pass

    return run(agent(side, "FULL_AUTONOMY", circuit_breaker=Simple()).run(q=1))


@case(A, "an audit entry: its outcome, then entry.error = 'edited'")
def _(side: Side) -> object:
    wrapped = agent(side, "SUPERVISED")
    run(wrapped.run(q=1))
    entry = wrapped.audit_log[0]
    outcome = getattr(entry, "outcome", "no outcome field")
    entry.error = "edited"
    return (outcome, entry.error)


# -- constraints, per dimension ---------------------------------------------------------

C = "constraints"


@case(C + "/cost_limit", "no cost_used in the context")
def _(side: Side) -> object:
    return verdict(side, {"cost_limit": 100}, {})


@case(C + "/cost_limit", 'cost_used "abc"')
def _(side: Side) -> object:
    return verdict(side, {"cost_limit": 100}, {"cost_used": "abc"})


@case(C + "/cost_limit", 'limit True / limit "inf"')
def _(side: Side) -> object:
    dimension = side.builtin.CostLimitDimension()
    out = []
    for value in (True, "inf"):
        try:
            out.append(dimension.parse(value).parsed)
        except ValueError as error:
            out.append(f"ValueError: {error}")
    return out


@case(C + "/cost_limit", 'parse "abc": message', "eased")
def _(side: Side) -> object:
    return side.builtin.CostLimitDimension().parse("abc")


@case(C + "/time_window", '"09:00-17:00" at 17:00:00 and at 17:00:30', "eased")
def _(side: Side) -> object:
    return [
        verdict(side, {"time_window": "09:00-17:00"}, {"current_time": time(17, 0, s)})
        for s in (0, 30)
    ]


@case(C + "/time_window", '"00:00-24:00"', "eased")
def _(side: Side) -> object:
    return verdict(side, {"time_window": "00:00-24:00"}, {"current_time": time(23, 59, 59)})


@case(C + "/time_window", '"9:00-17:00 Europe/Berlin", "09:00-12:00, 13:00-17:00"')
def _(side: Side) -> object:
    dimension = side.builtin.TimeDimension()
    out = []
    for value in ("9:00-17:00 Europe/Berlin", "09:00-12:00, 13:00-17:00"):
        try:
            dimension.parse(value)
            out.append("parses")
        except ValueError as error:
            out.append(f"ValueError: {error}")
    return out


@case(C + "/time_window", '10:00+02:00 (08:00 UTC) against "09:00-17:00"')
def _(side: Side) -> object:
    moment = datetime(2030, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    return verdict(side, {"time_window": "09:00-17:00"}, {"current_time": moment})


@case(C + "/time_window", "an ISO string twelve hours from now, window around now")
def _(side: Side) -> object:
    now = datetime.now(UTC)
    window = f"{now.hour:02d}:00-{(now.hour + 1) % 24:02d}:00"
    later = (now + timedelta(hours=12)).isoformat()
    return verdict(side, {"time_window": window}, {"current_time": later})


@case(C + "/time_window", 'compose "09:00-17:00" with "12:00-20:00"')
def _(side: Side) -> object:
    dimension = side.builtin.TimeDimension()
    parsed = [dimension.parse(v) for v in ("09:00-17:00", "12:00-20:00")]
    return dimension.compose(parsed).raw_value


@case(C + "/resources", 'the glob "**"')
def _(side: Side) -> object:
    return side.builtin.ResourceDimension().parse("**").parsed


@case(C + "/resources", '"data/*" against "data/a/b" (does * cross "/"?)')
def _(side: Side) -> object:
    return verdict(side, {"resources": "data/*"}, {"resource_requested": "data/a/b"})


@case(C + "/resources", 'a glob of 12,000 "?" (past the 10,000-state budget)')
def _(side: Side) -> object:
    return len(side.builtin.ResourceDimension().parse("?" * 12_000).raw_value)


@case(C + "/resources", 'tightening "data/**" -> "database/**"')
def _(side: Side) -> object:
    return tightening(side, {"resources": "data/**"}, {"resources": "database/**"})


@case(C + "/resources", 'path "a/./b" against "a/*/b"')
def _(side: Side) -> object:
    return verdict(side, {"resources": "a/*/b"}, {"resource_requested": "a/./b"})


@case(C + "/resources", r'path "data\\x" against "data/*"')
def _(side: Side) -> object:
    return verdict(side, {"resources": "data/*"}, {"resource_requested": "data\\x"})


@case(C + "/resources", 'path "data/../secrets": message')
def _(side: Side) -> object:
    return verdict(side, {"resources": "data/**"}, {"resource_requested": "data/../secrets"})


@case(C + "/resources", r'path "data\\..\\x": message', "eased")
def _(side: Side) -> object:
    return verdict(side, {"resources": "data/**"}, {"resource_requested": "data\\..\\x"})


@case(C + "/rate_limit", "limit 99.9 and limit True")
def _(side: Side) -> object:
    dimension = side.builtin.RateLimitDimension()
    out = []
    for value in (99.9, True):
        try:
            out.append(dimension.parse(value).parsed)
        except ValueError as error:
            out.append(f"ValueError: {error}")
    return out


@case(C + "/rate_limit", "no requests_in_period in the context")
def _(side: Side) -> object:
    return verdict(side, {"rate_limit": "100/minute"}, {})


@case(
    C + "/rate_limit",
    'requests_in_period "abc": verdict and remaining',
    "eased",
)
def _(side: Side) -> object:
    dimension = side.builtin.RateLimitDimension()
    result = dimension.check(dimension.parse("100/minute"), {"requests_in_period": "abc"})
    return (result.satisfied, result.remaining)


@case(C + "/rate_limit", 'tightening "100/minute" -> "50/minute"')
def _(side: Side) -> object:
    return tightening(side, {"rate_limit": "100/minute"}, {"rate_limit": "50/minute"})


@case(C + "/rate_limit", 'tightening "100/minute" -> "2/second" (120 a minute)')
def _(side: Side) -> object:
    return tightening(side, {"rate_limit": "100/minute"}, {"rate_limit": "2/second"})


@case(C + "/rate_limit", 'compose "10/second" with "100/minute"; parse "10/second, 100/minute"')
def _(side: Side) -> object:
    dimension = side.builtin.RateLimitDimension()
    parsed = [dimension.parse(v) for v in ("10/second", "100/minute")]
    composed = dimension.compose(parsed).raw_value
    return (composed, dimension.parse("10/second, 100/minute").raw_value)


@case(C + "/data_access", '"no_pii" without contains_pii')
def _(side: Side) -> object:
    return verdict(side, {"data_access": "no_pii"}, {})


@case(C + "/data_access", '"internal_only" with classification "restricted"')
def _(side: Side) -> object:
    return verdict(
        side,
        {"data_access": "internal_only"},
        {"data_classification": "restricted", "contains_pii": False},
    )


@case(C + "/data_access", 'contains_pii=0 (not a bool) under "no_pii"')
def _(side: Side) -> object:
    return verdict(side, {"data_access": "no_pii"}, {"contains_pii": 0})


@case(C + "/data_access", '{"mode": "NO_PII"} and {"mode": "no_pii", "typo": 1}')
def _(side: Side) -> object:
    dimension = side.builtin.DataAccessDimension()
    out = []
    for value in ({"mode": "NO_PII"}, {"mode": "no_pii", "typo": 1}):
        try:
            dimension.parse(value)
            out.append("parses")
        except ValueError as error:
            out.append(f"ValueError: {error}")
    return out


@case(C + "/data_access", 'no_pii with allowed_classifications ["public"], class "secret"')
def _(side: Side) -> object:
    return verdict(
        side,
        {"data_access": {"mode": "no_pii", "allowed_classifications": ["public"]}},
        {"contains_pii": False, "data_classification": "secret"},
    )


@case(C + "/data_access", 'tightening "allow_all" -> "no_pii"')
def _(side: Side) -> object:
    return tightening(side, {"data_access": "allow_all"}, {"data_access": "no_pii"})


@case(C + "/communication", 'allowed_domains ["openai.com"], target "evilopenai.com"')
def _(side: Side) -> object:
    constraint = {"mode": "allowed_domains", "allowed_domains": ["openai.com"]}
    return verdict(side, {"communication": constraint}, {"communication_target": "evilopenai.com"})


@case(C + "/communication", 'allowed_domains ["openai.com"], "https://x@api.openai.com/"')
def _(side: Side) -> object:
    constraint = {"mode": "allowed_domains", "allowed_domains": ["openai.com"]}
    target = "https://x@api.openai.com/"
    return verdict(side, {"communication": constraint}, {"communication_target": target})


@case(C + "/communication", 'internal_only: "localhost.evil.com", "db.internal"')
def _(side: Side) -> object:
    return [
        verdict(side, {"communication": "internal_only"}, {"communication_target": target})
        for target in ("localhost.evil.com", "db.internal")
    ]


@case(C + "/communication", 'tightening allowed_domains ["a.com"] -> ["api.a.com"]')
def _(side: Side) -> object:
    def domains(*names: str) -> dict[str, Any]:
        return {"communication": {"mode": "allowed_domains", "allowed_domains": list(names)}}

    return tightening(side, domains("a.com"), domains("api.a.com"))


# -- the evaluator, registry and interaction modes ----------------------------------------

E = "evaluator/modes"


@case(E, "an unknown dimension alone")
def _(side: Side) -> object:
    return verdict(side, {"cost_limt": 100}, {"cost_used": 1})


@case(E, 'a custom dimension named "cost_limit" registered with requires_review=True')
def _(side: Side) -> object:
    registry = side.constraints.ConstraintDimensionRegistry()
    registry.register(side.builtin.CostLimitDimension(), requires_review=True)
    return registry.get("cost_limit") is not None


@case(E, "register_builtin_dimensions twice on one registry")
def _(side: Side) -> object:
    registry = side.constraints.ConstraintDimensionRegistry()
    side.builtin.register_builtin_dimensions(registry)
    side.builtin.register_builtin_dimensions(registry)
    return len(registry.all())


@case(E, "tightening: the child drops the parent's cost_limit")
def _(side: Side) -> object:
    window = "09:00-17:00"
    return tightening(side, {"cost_limit": 100, "time_window": window}, {"time_window": window})


@case(E, "HIERARCHICAL with an unknown first dimension")
def _(side: Side) -> object:
    mode = side.constraints.InteractionMode.HIERARCHICAL
    result = evaluator(side).evaluate(
        {"cost_limt": 1, "cost_limit": 100}, {"cost_used": 1}, mode=mode
    )
    return result.satisfied


@case(E, "validate_tightening(parent, child, InteractionMode.DISJUNCTIVE)")
def _(side: Side) -> object:
    mode = side.constraints.InteractionMode.DISJUNCTIVE
    return evaluator(side).validate_tightening(
        {"cost_limit": 100}, {"cost_limit": 50, "time_window": "09:00-17:00"}, mode
    )


@case(E, 'evaluate(..., mode="CONJUNCTIVE") (a string)')
def _(side: Side) -> object:
    result = evaluator(side).evaluate({"cost_limit": 100}, {"cost_used": 1}, mode="CONJUNCTIVE")
    return result.satisfied


@case(E, "empty constraint set: satisfied and warnings")
def _(side: Side) -> object:
    result = evaluator(side).evaluate({}, {})
    return (result.satisfied, list(result.warnings))


@case(E, "anti-gaming: cost 150 of 100 (over the limit)")
def _(side: Side) -> object:
    result = evaluator(side).evaluate({"cost_limit": 100}, {"cost_used": 150}, agent_id="a")
    return list(result.anti_gaming_flags)


@case(E, "anti-gaming: first evaluation flagged for splitting (usage 1 of 100 each)")
def _(side: Side) -> object:
    e = evaluator(side)
    for number in range(1, 13):
        result = e.evaluate({"cost_limit": 100}, {"cost_used": 1}, agent_id="a")
        if any(flag.startswith("constraint_splitting") for flag in result.anti_gaming_flags):
            return number
    return None


@case(E, "anti-gaming: 12 evaluations reporting zero usage: flagged?")
def _(side: Side) -> object:
    e = evaluator(side)
    flags = [
        e.evaluate({"cost_limit": 100}, {"cost_used": 0}, agent_id="a").anti_gaming_flags
        for _ in range(12)
    ]
    return any(flags)


@case(E, "ConstraintCheckResult(satisfied=1, ...) from a custom check")
def _(side: Side) -> object:
    return side.constraints.ConstraintCheckResult(satisfied=1, reason="ok").satisfied


@case(E, "what a custom check receives for a dict-subclass context")
def _(side: Side) -> object:
    class Context(dict):  # type: ignore[type-arg]
        pass

    seen: list[str] = []

    class Probe(side.constraints.ConstraintDimension):  # type: ignore[name-defined,misc]
        name = "probe"
        description = "records what it is given"

        def parse(self, value: Any) -> Any:
            return side.constraints.ConstraintValue(
                dimension="probe", raw_value=value, parsed=float(value)
            )

        def check(self, constraint: Any, context: Any) -> Any:
            seen.append(type(context).__name__)
            return side.constraints.ConstraintCheckResult(satisfied=True, reason="ok")

    registry = side.constraints.ConstraintDimensionRegistry()
    registry.register(Probe())
    side.constraints.MultiDimensionEvaluator(registry).evaluate({"probe": 1}, Context(a=1))
    return seen


@case(E, "EvaluationResult.failed_dimensions type")
def _(side: Side) -> object:
    return type(evaluator(side).evaluate({"cost_limit": 1}, {"cost_used": 2}).failed_dimensions)


@case(E, "a check that raises: the reason", "eased")
def _(side: Side) -> object:
    class Broken(side.builtin.CostLimitDimension):  # type: ignore[name-defined,misc]
        @property
        def name(self) -> str:
            return "broken"

        def check(self, constraint: Any, context: Any) -> Any:
            raise RuntimeError("bug")

    registry = side.constraints.ConstraintDimensionRegistry()
    registry.register(Broken())
    result = side.constraints.MultiDimensionEvaluator(registry).evaluate({"broken": 1}, {})
    return result.dimension_results["broken"].reason


@case(E, "registry.parse_constraint(name, value)", "eased")
def _(side: Side) -> object:
    registry = side.constraints.ConstraintDimensionRegistry()
    side.builtin.register_builtin_dimensions(registry)
    return registry.parse_constraint("cost_limit", 5).parsed


@case(E, "default compose of a custom numeric dimension: metadata", "eased")
def _(side: Side) -> object:
    class Budget(side.constraints.ConstraintDimension):  # type: ignore[name-defined,misc]
        name = "budget"
        description = "a budget"

        def parse(self, value: Any) -> Any:
            return side.constraints.ConstraintValue(
                dimension="budget", raw_value=value, parsed=float(value)
            )

        def check(self, constraint: Any, context: Any) -> Any:
            return side.constraints.ConstraintCheckResult(satisfied=True, reason="ok")

    budget = Budget()
    return dict(budget.compose([budget.parse(5), budget.parse(3)]).metadata)


@case(E, "default validate_tightening when parse keeps a numeric string")
def _(side: Side) -> object:
    class Level(side.constraints.ConstraintDimension):  # type: ignore[name-defined,misc]
        name = "level"
        description = "a level"

        def parse(self, value: Any) -> Any:
            return side.constraints.ConstraintValue(
                dimension="level", raw_value=value, parsed=str(value)
            )

        def check(self, constraint: Any, context: Any) -> Any:
            return side.constraints.ConstraintCheckResult(satisfied=True, reason="ok")

    level = Level()
    return level.validate_tightening(level.parse(5), level.parse(3))


# -- metrics ------------------------------------------------------------------------------

M = "metrics"


@case(M, "PostureMetrics().posture_distribution")
def _(side: Side) -> object:
    return dict(side.metrics.PostureMetrics().posture_distribution)


@case(M, "average evaluation time: one 1000 ms evaluation, then 1000 of 0 ms")
def _(side: Side) -> object:
    collector = side.metrics.TrustMetricsCollector()
    collector.record_constraint_evaluation(passed=True, duration_ms=1000.0)
    for _ in range(1000):
        collector.record_constraint_evaluation(passed=True, duration_ms=0.0)
    return collector.get_constraint_metrics().average_evaluation_time_ms


@case(M, "anti-gaming flag counted under the key")
def _(side: Side) -> object:
    collector = side.metrics.TrustMetricsCollector()
    flag = "boundary_pushing:cost_limit (usage_ratio=0.96)"
    collector.record_constraint_evaluation(passed=True, gaming_flags=[flag])
    return dict(collector.get_constraint_metrics().anti_gaming_flags)


@case(M, "ConstraintMetrics(evaluations_total=-1)")
def _(side: Side) -> object:
    return side.metrics.ConstraintMetrics(evaluations_total=-1).evaluations_total


@case(
    M, "PostureStateMachine(metrics=collector): changes counted without record_* calls", "addition"
)
def _(side: Side) -> object:
    collector = side.metrics.TrustMetricsCollector()
    machine(side, metrics=collector).emergency_downgrade("a", reason="r")
    return collector.get_posture_metrics().emergency_downgrades


@case(M, "POSTURE_LEVEL_MAP importable from the metrics module", "gap")
def _(side: Side) -> object:
    return len(side.metrics.POSTURE_LEVEL_MAP)


# -- imports and packaging ------------------------------------------------------------------

I = "imports/packaging"  # noqa: E741


@case(I, "from <pkg>.constraints import CostLimitDimension", "gap")
def _(side: Side) -> object:
    return side.constraints.CostLimitDimension.__name__


@case(I, "from <pkg>.posture_agent import CircuitBreaker (the protocol)", "gap")
def _(side: Side) -> object:
    return side.posture_agent.CircuitBreaker.__name__


@case(I, "<pkg>.__version__", "addition")
def _(side: Side) -> object:
    if side.name == "reference":
        return "no version (kaizen.trust's parent is the framework)"
    return trust.__version__


@case(I, "a private attribute: machine._transition_history")
def _(side: Side) -> object:
    return type(machine(side)._transition_history).__name__


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose topic or label has this")
    args = parser.parse_args()
    reference, ours = sides()
    logging.disable(logging.CRITICAL)  # the reference logs warnings on stderr as it goes
    differ = same = 0
    topic = ""
    for item in CASES:
        if args.only and args.only not in f"{item.topic} {item.label}":
            continue
        if item.topic != topic:
            topic = item.topic
            print(f"\n== {topic}")
        logging.disable(logging.NOTSET if "logging" in item.label else logging.CRITICAL)
        theirs, mine = shown(item.run, reference), shown(item.run, ours)
        verdict_text = "same" if theirs == mine else "differs"
        differ += theirs != mine
        same += theirs == mine
        print(f"- {item.label}  [{item.status}; {verdict_text}]")
        print(f"    reference:  {theirs}")
        print(f"    care-trust: {mine}")
    print(f"\n{differ} cases differ, {same} behave the same (care-trust {trust.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
