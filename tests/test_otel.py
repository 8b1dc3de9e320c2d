"""`trust.otel`: spans for transitions, breaker decisions and evaluations.

Spans go to the SDK's in-memory exporter (no network). What is held: every traced call
makes one span with what was asked and decided; refusals are decisions, not errors; an
exception reaches the caller unchanged and marks its span; a broken tracer never changes a
decision; an object that is not instrumented runs its class's code, untouched.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, Tracer

from tests.fakes import FakeClock
from tests.hostile import LyingStr
from trust import (
    CircuitBreakerConfig,
    ConstraintDimensionRegistry,
    MultiDimensionEvaluator,
    PostureCircuitBreaker,
    PostureStateMachine,
    PostureTransitionRequest,
    TrustPosture,
)
from trust.constraints.builtin import register_builtin_dimensions
from trust.otel import ATTRIBUTES, SPAN_NAMES, TRACER_NAME, instrument
from trust.otel._spans import MAX_ATTRIBUTE_CHARS

A = "agent-001"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def machine() -> PostureStateMachine:
    return PostureStateMachine(clock=FakeClock())


def evaluator() -> MultiDimensionEvaluator:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    return MultiDimensionEvaluator(registry)


def spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def only(exporter: InMemorySpanExporter) -> ReadableSpan:
    [span] = spans(exporter)
    return span


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


# --- off: nothing is loaded or changed -----------------------------------------------------


def test_import_trust_never_imports_opentelemetry() -> None:
    code = (
        "import sys, trust\n"
        "from trust import PostureStateMachine, PostureCircuitBreaker, MultiDimensionEvaluator\n"
        "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry', 'trust.otel'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_uninstrumented_object_runs_its_classs_methods(provider: TracerProvider) -> None:
    posture, breaker = machine(), PostureCircuitBreaker(machine())
    before = (dict(vars(posture)), dict(vars(breaker)))
    tracing = instrument(posture, breaker, tracer_provider=provider)
    assert "transition" in vars(posture)
    assert "admit_sync" in vars(breaker)
    tracing.uninstrument()
    assert (dict(vars(posture)), dict(vars(breaker))) == before
    assert type(posture).transition is PostureStateMachine.transition


# --- posture transitions ------------------------------------------------------------------


def test_an_approved_upgrade_is_one_span_with_the_whole_decision(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    posture = machine()
    instrument(posture, tracer_provider=provider)
    request = PostureTransitionRequest(
        agent_id=A,
        from_posture=TrustPosture.SUPERVISED,
        to_posture=TrustPosture.ASSISTED,
        requester_id="admin-7",
        reason="earned it",
    )
    assert posture.transition(request).success
    span = only(exporter)
    assert span.name == "trust.posture.transition"
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == TRACER_NAME
    assert span.status.status_code is StatusCode.UNSET
    assert attributes(span) == {
        "trust.agent.id": A,
        "trust.posture.requested": "assisted",
        "trust.posture.success": True,
        "trust.posture.changed": True,
        "trust.posture.from": "supervised",
        "trust.posture.to": "assisted",
        "trust.posture.transition_type": "upgrade",
        "trust.posture.administrative": False,
        "trust.posture.protective": False,
        "trust.posture.reason": "earned it",
        "trust.posture.requester_id": "admin-7",
        "trust.posture.version": 1,
    }


def test_a_refused_upgrade_is_a_decision_not_an_error(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    posture = machine()
    instrument(posture, tracer_provider=provider)
    request = PostureTransitionRequest(
        agent_id=A, from_posture=TrustPosture.SUPERVISED, to_posture=TrustPosture.FULL_AUTONOMY
    )
    assert not posture.transition(request).success
    span = only(exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert attributes(span)["trust.posture.success"] is False
    assert attributes(span)["trust.posture.changed"] is False
    assert attributes(span)["trust.posture.blocked_by"] == "upgrade_approval_required"
    assert "requester_id" in attributes(span)["trust.posture.reason"]


def test_emergency_and_administrative_changes_are_traced(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    posture = machine()
    instrument(posture, tracer_provider=provider)
    posture.set_posture(A, TrustPosture.FULL_AUTONOMY, requester_id="ops")
    posture.emergency_downgrade(A, reason="incident 42")
    assert posture.protective_downgrade(A, TrustPosture.SUPERVISED, reason="again") is None
    administrative, emergency, protective = spans(exporter)
    assert administrative.name == "trust.posture.set_posture"
    assert attributes(administrative)["trust.posture.administrative"] is True
    assert emergency.name == "trust.posture.emergency_downgrade"
    assert attributes(emergency)["trust.posture.to"] == "blocked"
    assert attributes(emergency)["trust.posture.transition_type"] == "emergency_downgrade"
    assert attributes(emergency)["trust.posture.reason"] == "incident 42"
    assert protective.name == "trust.posture.protective_downgrade"
    assert attributes(protective) == {
        "trust.agent.id": A,
        "trust.posture.requested": "supervised",
        "trust.posture.changed": False,
    }


# --- breaker decisions --------------------------------------------------------------------


def test_breaker_decisions_are_traced_with_their_admission(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    posture = machine()
    posture.set_posture(A, TrustPosture.FULL_AUTONOMY)
    breaker = PostureCircuitBreaker(posture, CircuitBreakerConfig(failure_threshold=1))
    instrument(breaker, tracer_provider=provider)
    assert breaker.can_proceed_sync(A)
    breaker.record_failure_sync(A, "TimeoutError", "slow", severity="high")
    assert not breaker.can_proceed_sync(A)
    closed, failure, admit, refused = spans(exporter)
    assert closed.name == "trust.breaker.can_proceed"
    assert attributes(closed) == {"trust.agent.id": A, "trust.breaker.allowed": True}
    assert failure.name == "trust.breaker.record_failure"
    assert attributes(failure) == {
        "trust.agent.id": A,
        "trust.breaker.error_type": "TimeoutError",
        "trust.breaker.severity": "high",
        "trust.breaker.with_admission": False,
    }
    # Past the closed fast path the decision is admit_sync's, a child of can_proceed.
    assert admit.name == "trust.breaker.admit"
    assert admit.parent is not None
    assert admit.parent.span_id == refused.context.span_id
    assert attributes(admit)["trust.breaker.allowed"] is False
    assert attributes(admit)["trust.breaker.state"] == "open"
    assert attributes(refused)["trust.breaker.allowed"] is False


def test_the_async_calls_are_traced_once(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    breaker = PostureCircuitBreaker(machine())
    instrument(breaker, tracer_provider=provider)

    async def scenario() -> None:
        assert await breaker.can_proceed(A)
        admission = await breaker.admit(A)
        await breaker.record_success(A, admission)

    asyncio.run(scenario())
    names = [span.name for span in spans(exporter)]
    assert names == [
        "trust.breaker.can_proceed",
        "trust.breaker.admit",
        "trust.breaker.record_success",
    ]
    assert attributes(spans(exporter)[2])["trust.breaker.with_admission"] is True


def test_a_breakers_restore_is_a_transition_inside_its_success(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    clock = FakeClock()
    posture = PostureStateMachine(clock=clock)
    posture.set_posture(A, TrustPosture.FULL_AUTONOMY)
    config = CircuitBreakerConfig(failure_threshold=1, recovery_timeout=5, half_open_max_calls=1)
    breaker = PostureCircuitBreaker(posture, config)
    breaker.force_open(A, "maintenance")
    breaker.reset(A)
    instrument(posture, breaker, tracer_provider=provider)
    breaker.record_failure_sync(A, "E", "boom")
    clock.advance(5)
    probe = breaker.admit_sync(A)
    breaker.record_success_sync(A, probe)
    assert posture.get_posture(A) is TrustPosture.FULL_AUTONOMY
    by_name = {span.name: span for span in spans(exporter)}
    restore, success = by_name["trust.posture.transition"], by_name["trust.breaker.record_success"]
    assert restore.parent is not None
    assert restore.parent.span_id == success.context.span_id
    assert attributes(restore)["trust.posture.to"] == "full_autonomy"
    assert attributes(restore)["trust.posture.success"] is True


# --- evaluations --------------------------------------------------------------------------


def test_an_evaluation_span_carries_the_verdict(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    evaluate = evaluator()
    instrument(evaluate, tracer_provider=provider)
    constraints = {"cost_limit": 100, "rate_limit": 10}
    assert not evaluate.evaluate(constraints, {"cost_used": 150, "requests_in_period": 2}).satisfied
    evaluate.evaluate(constraints, {"cost_used": 10, "requests_in_period": 2}, agent_id=A)
    failed, passed = spans(exporter)
    assert failed.name == passed.name == "trust.constraints.evaluate"
    assert attributes(failed) == {
        "trust.constraints.satisfied": False,
        "trust.constraints.mode": "conjunctive",
        "trust.constraints.dimensions": ("cost_limit", "rate_limit"),
        "trust.constraints.failed_dimensions": ("cost_limit",),
        "trust.constraints.anti_gaming_flags": (),
        "trust.constraints.warnings": 0,
    }
    assert attributes(passed)["trust.agent.id"] == A
    assert attributes(passed)["trust.constraints.satisfied"] is True


def test_spans_join_the_callers_trace(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    evaluate = evaluator()
    instrument(evaluate, tracer_provider=provider)
    with provider.get_tracer("the application").start_as_current_span("handle request") as outer:
        evaluate.evaluate({"cost_limit": 100}, {"cost_used": 1})
    inner = spans(exporter)[0]
    assert inner.parent is not None
    assert inner.parent.span_id == outer.get_span_context().span_id
    assert inner.context.trace_id == outer.get_span_context().trace_id


# --- errors, hostile values, broken tracers -----------------------------------------------


def test_an_exception_reaches_the_caller_unchanged_and_marks_the_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    posture = machine()
    instrument(posture, tracer_provider=provider)
    with pytest.raises(ValueError, match="agent_id must be a non-blank string") as raised:
        posture.emergency_downgrade("   ")
    span = only(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]
    assert span.events[0].attributes is not None
    assert span.events[0].attributes["exception.type"] == "trust._errors.InvalidValueError"
    assert type(raised.value).__name__ == "InvalidValueError"


def test_values_on_spans_are_plain_and_bounded(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    posture = machine()
    instrument(posture, tracer_provider=provider)
    posture.emergency_downgrade(A, reason=LyingStr("x" * 100_000))
    with pytest.raises(TypeError, match="not a subclass"):
        posture.emergency_downgrade(LyingStr(A))
    kept, refused = (attributes(span) for span in spans(exporter))
    assert type(refused["trust.agent.id"]) is str
    assert refused["trust.agent.id"] == A
    reason = kept["trust.posture.reason"]
    assert type(reason) is str
    assert len(reason) == MAX_ATTRIBUTE_CHARS
    assert reason.endswith("…")


class BrokenTracer(Tracer):
    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("exporter misconfigured")

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        raise RuntimeError("exporter misconfigured")


class BrokenProvider(TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> Tracer:
        return BrokenTracer()


def test_a_broken_tracer_never_changes_a_decision(caplog: pytest.LogCaptureFixture) -> None:
    posture = machine()
    posture.set_posture(A, TrustPosture.FULL_AUTONOMY)
    breaker = PostureCircuitBreaker(posture, CircuitBreakerConfig(failure_threshold=1))
    instrument(posture, breaker, tracer_provider=BrokenProvider())
    with caplog.at_level(logging.ERROR, logger="trust.otel"):
        breaker.record_failure_sync(A, "E", "boom")
        assert not breaker.can_proceed_sync(A)
        assert posture.emergency_downgrade(A).to_posture is TrustPosture.BLOCKED
    assert "could not start the span trust.breaker.record_failure" in caplog.text
    assert posture.get_posture(A) is TrustPosture.BLOCKED


def test_with_only_the_api_the_calls_decide_as_before() -> None:
    from opentelemetry.trace import NoOpTracerProvider

    posture = machine()
    breaker = PostureCircuitBreaker(posture, CircuitBreakerConfig(failure_threshold=1))
    instrument(posture, breaker, tracer_provider=NoOpTracerProvider())
    posture.set_posture(A, TrustPosture.FULL_AUTONOMY)
    assert breaker.can_proceed_sync(A)
    breaker.record_failure_sync(A, "E", "boom")
    assert not breaker.can_proceed_sync(A)
    assert posture.get_posture(A) is TrustPosture.HUMAN_DECIDES


class BrokenSpan:
    """A span that records, and raises on everything else."""

    def is_recording(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"span.{name} is broken")

        return broken


class BrokenSpanTracer(Tracer):
    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        return BrokenSpan()

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        raise RuntimeError("not used")


class BrokenSpanProvider(TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> Tracer:
        return BrokenSpanTracer()


def test_a_span_that_breaks_midway_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    posture = machine()
    breaker = PostureCircuitBreaker(posture)
    instrument(posture, breaker, tracer_provider=BrokenSpanProvider())
    with caplog.at_level(logging.ERROR, logger="trust.otel"):
        posture.set_posture(A, TrustPosture.ASSISTED)
        with pytest.raises(ValueError, match="agent_id must be a non-blank string"):
            posture.emergency_downgrade("")
        assert asyncio.run(breaker.can_proceed(A)) is True
    assert posture.get_posture(A) is TrustPosture.ASSISTED
    logged = caplog.text
    assert "could not describe a call on its span" in logged
    assert "could not record an exception on its span" in logged
    assert "could not end a span" in logged


def test_the_async_calls_run_untraced_when_the_tracer_is_broken(
    caplog: pytest.LogCaptureFixture,
) -> None:
    breaker = PostureCircuitBreaker(machine())
    instrument(breaker, tracer_provider=BrokenProvider())
    with caplog.at_level(logging.ERROR, logger="trust.otel"):
        assert asyncio.run(breaker.can_proceed(A)) is True
    assert "could not start the span trust.breaker.can_proceed" in caplog.text


# --- instrumenting and stopping -----------------------------------------------------------


def test_uninstrument_stops_the_spans_and_is_idempotent(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    posture = machine()
    tracing = instrument(posture, tracer_provider=provider)
    posture.emergency_downgrade(A)
    assert tracing.instrumented == (posture,)
    tracing.uninstrument()
    tracing.uninstrument()
    posture.emergency_downgrade(A)
    assert len(spans(exporter)) == 1
    assert tracing.instrumented == ()
    instrument(posture, tracer_provider=provider)  # and may be instrumented again
    posture.emergency_downgrade(A)
    assert len(spans(exporter)) == 2


@pytest.mark.parametrize(
    ("objects", "kwargs", "error", "message"),
    [
        ((), {}, ValueError, "instrument needs at least one object to trace, got none"),
        (("machine",), {}, TypeError, r"instrument traces a PostureStateMachine, .*got 'machine'"),
        ((None,), {"tracer_provider": "global"}, TypeError, "instrument traces"),
    ],
)
def test_instrument_refuses_what_it_cannot_trace(
    objects: tuple[object, ...], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        instrument(*objects, **kwargs)


def test_instrument_refuses_a_provider_that_is_not_one() -> None:
    with pytest.raises(TypeError, match="tracer_provider must be an OpenTelemetry TracerProvider"):
        instrument(machine(), tracer_provider="console")  # type: ignore[arg-type]


def test_an_object_is_instrumented_at_most_once(provider: TracerProvider) -> None:
    posture = machine()
    with pytest.raises(ValueError, match="is already instrumented"):
        instrument(posture, posture, tracer_provider=provider)
    assert "transition" not in vars(posture)  # a refused call instruments nothing
    instrument(posture, tracer_provider=provider)
    with pytest.raises(ValueError, match="is already instrumented"):
        instrument(posture, tracer_provider=provider)


def test_threads_each_get_their_own_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    posture = machine()
    instrument(posture, tracer_provider=provider)
    barrier = threading.Barrier(4)

    def work(n: int) -> None:
        barrier.wait()
        for i in range(25):
            posture.emergency_downgrade(f"agent-{n}-{i}")

    workers = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    traced = spans(exporter)
    assert len(traced) == 100
    assert all(span.parent is None for span in traced)
    assert len({attributes(span)["trust.agent.id"] for span in traced}) == 100


def test_the_instrumentation_names_what_it_traces(provider: TracerProvider) -> None:
    tracing = instrument(machine(), evaluator(), tracer_provider=provider)
    assert repr(tracing) == "Instrumentation([PostureStateMachine, MultiDimensionEvaluator])"
    tracing.uninstrument()
    assert repr(tracing) == "Instrumentation([])"


def test_the_documented_names_are_the_ones_produced() -> None:
    assert SPAN_NAMES == {
        "PostureStateMachine": (
            "trust.posture.transition",
            "trust.posture.set_posture",
            "trust.posture.emergency_downgrade",
            "trust.posture.protective_downgrade",
        ),
        "PostureCircuitBreaker": (
            "trust.breaker.admit",
            "trust.breaker.can_proceed",
            "trust.breaker.can_proceed",
            "trust.breaker.record_failure",
            "trust.breaker.record_success",
            "trust.breaker.force_open",
            "trust.breaker.reset",
        ),
        "MultiDimensionEvaluator": ("trust.constraints.evaluate",),
    }
    assert all(name.startswith("trust.") for name in ATTRIBUTES)
