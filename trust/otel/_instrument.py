"""`instrument`: wrap the public calls of one object so that each opens a span.

The wrappers live on the instrumented object itself (instance attributes shadowing the
class's methods), so an object that is not instrumented, and every hot path in it, runs
unchanged: tracing that is off costs nothing at all. Internal calls go through the same
attributes, so ``can_proceed`` (which calls ``admit_sync``) and the async variants are
traced through the one synchronous decision they share, once.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, TracerProvider

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._version import __version__
from trust.circuit_breaker import PostureCircuitBreaker
from trust.constraints import MultiDimensionEvaluator
from trust.otel import _spans
from trust.postures import PostureStateMachine

logger = logging.getLogger("trust.otel")

TRACER_NAME = "care-trust"
"""The instrumentation scope of every span (its version is `trust.__version__`)."""

_Traced = tuple[str, str, _spans.FromArguments, _spans.FromResult]
"""(method, span name, attributes from the arguments, attributes from the result)."""

_POSTURE = (_spans.posture_arguments, _spans.posture_result)
_TRACED: dict[type, tuple[_Traced, ...]] = {
    PostureStateMachine: tuple(
        (method, f"trust.posture.{method}", *_POSTURE)
        for method in ("transition", "set_posture", "emergency_downgrade", "protective_downgrade")
    ),
    PostureCircuitBreaker: (
        ("admit_sync", "trust.breaker.admit", _spans.breaker_arguments, _spans.admission_result),
        # Their closed-circuit fast path never reaches admit_sync; past it, admit_sync's
        # span (with the admission) is a child of theirs.
        ("can_proceed_sync", "trust.breaker.can_proceed", _spans.breaker_arguments, _spans.allowed),
        ("can_proceed", "trust.breaker.can_proceed", _spans.breaker_arguments, _spans.allowed),
        (
            "record_failure_sync",
            "trust.breaker.record_failure",
            _spans.breaker_arguments,
            _spans.nothing,
        ),
        (
            "record_success_sync",
            "trust.breaker.record_success",
            _spans.breaker_arguments,
            _spans.nothing,
        ),
        ("force_open", "trust.breaker.force_open", _spans.breaker_arguments, _spans.nothing),
        ("reset", "trust.breaker.reset", _spans.breaker_arguments, _spans.nothing),
    ),
    MultiDimensionEvaluator: (
        (
            "evaluate",
            "trust.constraints.evaluate",
            _spans.evaluation_arguments,
            _spans.evaluation_result,
        ),
    ),
}

SPAN_NAMES: Mapping[str, tuple[str, ...]] = {
    kind.__name__: tuple(name for _, name, _, _ in traced) for kind, traced in _TRACED.items()
}
"""The spans each kind of object produces once instrumented, by class name."""

ATTRIBUTES: Mapping[str, str] = {
    "trust.agent.id": "the agent the call is about",
    "trust.posture.requested": "the posture asked for",
    "trust.posture.success": "the transition was made (false: refused)",
    "trust.posture.changed": "the agent's posture is now another one",
    "trust.posture.from": "the posture before",
    "trust.posture.to": "the posture after (asked for, when refused)",
    "trust.posture.transition_type": "upgrade, downgrade, maintain or emergency_downgrade",
    "trust.posture.reason": "the reason given, or why it was refused",
    "trust.posture.blocked_by": "the guard that refused, if one did",
    "trust.posture.requester_id": "who asked",
    "trust.posture.administrative": "a set_posture",
    "trust.posture.protective": "a breaker's (or protective_downgrade's) lowering",
    "trust.posture.version": "the agent's posture version after the call",
    "trust.breaker.allowed": "the call may run (false: refused)",
    "trust.breaker.state": "the circuit's state when it was decided",
    "trust.breaker.probe": "the call is a half-open probe",
    "trust.breaker.generation": "the breaker's fencing token",
    "trust.breaker.reason": "why, in words (or the operator's reason)",
    "trust.breaker.error_type": "the failure's error type",
    "trust.breaker.severity": "the failure's severity",
    "trust.breaker.with_admission": "the outcome names the admission it reports on",
    "trust.constraints.satisfied": "the combined verdict",
    "trust.constraints.mode": "the interaction mode",
    "trust.constraints.dimensions": "the dimensions checked, in order",
    "trust.constraints.failed_dimensions": "the dimensions that failed",
    "trust.constraints.anti_gaming_flags": "anti-gaming patterns detected",
    "trust.constraints.warnings": "how many warnings the evaluation gave",
}
"""Every ``trust.*`` attribute a span may carry, and what it means."""

_MARK = "__trust_otel__"
_lock = threading.Lock()


class Instrumentation:
    """The objects one `instrument` call traces; `uninstrument` stops it.

    Attributes:
        tracer: Where the spans go.
    """

    def __init__(self, tracer: Tracer, wrapped: list[tuple[object, str, object]]) -> None:
        self.tracer = tracer
        self._wrapped = wrapped

    @property
    def instrumented(self) -> tuple[object, ...]:
        """The objects still traced, in the order they were given."""
        with _lock:
            return tuple(dict.fromkeys(obj for obj, _, _ in self._wrapped))

    def uninstrument(self) -> None:
        """Stop tracing: each object runs its class's methods again. Idempotent."""
        with _lock:
            for obj, method, wrapper in self._wrapped:
                if vars(obj).get(method) is wrapper:
                    delattr(obj, method)
            self._wrapped = []

    def __repr__(self) -> str:
        kinds = ", ".join(type(obj).__name__ for obj in self.instrumented)
        return f"Instrumentation([{kinds}])"


def instrument(*objects: object, tracer_provider: TracerProvider | None = None) -> Instrumentation:
    """Trace the public calls of each object from now on.

    Args:
        objects: `PostureStateMachine`, `PostureCircuitBreaker` and
            `MultiDimensionEvaluator` instances, in any number and order.
        tracer_provider: Where spans go; the global provider
            (``opentelemetry.trace.set_tracer_provider``) when None.

    Returns:
        An `Instrumentation` whose ``uninstrument()`` stops the tracing.

    Raises:
        InvalidTypeError: an object is none of the three kinds, or ``tracer_provider`` is
            not an OpenTelemetry ``TracerProvider``.
        InvalidValueError: no object is given, or one is already instrumented (by this
            call or an earlier one that was not uninstrumented).
    """
    if not objects:
        raise InvalidValueError("instrument needs at least one object to trace, got none")
    for obj in objects:
        if _traced(obj) is None:
            kinds = ", ".join(kind.__name__ for kind in _TRACED)
            raise InvalidTypeError(f"instrument traces a {kinds}; got {check.shown(obj)}")
    if tracer_provider is not None and not isinstance(tracer_provider, TracerProvider):
        raise InvalidTypeError(
            f"tracer_provider must be an OpenTelemetry TracerProvider, "
            f"got {check.shown(tracer_provider)}"
        )
    tracer = trace.get_tracer(TRACER_NAME, __version__, tracer_provider)
    wrapped: list[tuple[object, str, object]] = []
    with _lock:
        seen: set[int] = set()
        for obj in objects:
            if id(obj) in seen or any(
                hasattr(vars(obj).get(method), _MARK) for method, *_ in _traced(obj) or ()
            ):
                raise InvalidValueError(
                    f"{check.shown(obj)} is already instrumented; call uninstrument() on "
                    "its Instrumentation first"
                )
            seen.add(id(obj))
        for obj in objects:
            for method, span_name, from_arguments, from_result in _traced(obj) or ():
                wrapper = _wrap(
                    tracer, getattr(obj, method), span_name, from_arguments, from_result
                )
                setattr(obj, method, wrapper)
                wrapped.append((obj, method, wrapper))
    return Instrumentation(tracer, wrapped)


def _traced(obj: object) -> tuple[_Traced, ...] | None:
    # issubclass of the real type: isinstance believes a faked __class__.
    for kind, traced in _TRACED.items():
        if issubclass(type(obj), kind):
            return traced
    return None


def _wrap(
    tracer: Tracer,
    method: Callable[..., Any],
    span_name: str,
    from_arguments: _spans.FromArguments,
    from_result: _spans.FromResult,
) -> Callable[..., Any]:
    # The arguments by name, without inspect's bind (a few µs a call): the call itself
    # refuses arguments that do not fit, and a span only shows the names it knows.
    parameters = inspect.signature(method).parameters.values()
    positional = tuple(
        p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
    defaults = {p.name: p.default for p in parameters if p.default is not p.empty}

    def start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Span, object] | None:
        span = _start(tracer, span_name)
        if span is None:
            return None
        if _recording(span):
            named = dict(zip(positional, args, strict=False))
            _describe(span, from_arguments, {**defaults, **named, **kwargs})
        return span, context.attach(trace.set_span_in_context(span))

    def finish(span: Span, token: object) -> None:
        context.detach(token)  # type: ignore[arg-type]  # the token attach returned
        _end(span)

    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            started = start(args, kwargs)
            if started is None:
                return await method(*args, **kwargs)
            span, token = started
            try:
                result = await method(*args, **kwargs)
            except BaseException as error:
                _failed(span, error)
                raise
            else:
                if _recording(span):
                    _describe(span, from_result, result)
                return result
            finally:
                finish(span, token)

        setattr(traced_async, _MARK, True)
        return traced_async

    @functools.wraps(method)
    def traced(*args: Any, **kwargs: Any) -> Any:
        started = start(args, kwargs)
        if started is None:
            return method(*args, **kwargs)
        span, token = started
        try:
            result = method(*args, **kwargs)
        except BaseException as error:
            _failed(span, error)
            raise
        else:
            if _recording(span):
                _describe(span, from_result, result)
            return result
        finally:
            finish(span, token)

    setattr(traced, _MARK, True)
    return traced


# Each step below logs and carries on if the tracing raises: a broken tracer provider or
# span must never change what the call decides, nor replace its exception.


def _start(tracer: Tracer, span_name: str) -> Span | None:
    try:
        return tracer.start_span(span_name, kind=SpanKind.INTERNAL)
    except Exception:
        logger.exception("could not start the span %s; the call runs untraced", span_name)
        return None


def _recording(span: Span) -> bool:
    # A span nobody records (the API without an SDK, or sampled out) is not described:
    # reading the call for it would be all the cost tracing adds.
    try:
        return span.is_recording()
    except Exception:
        logger.exception("could not ask a span whether it records")
        return False


def _describe(span: Span, describe: Callable[[Any], _spans.Attributes], read: object) -> None:
    try:
        span.set_attributes(describe(read))
    except Exception:
        logger.exception("could not describe a call on its span")


def _failed(span: Span, error: BaseException) -> None:
    try:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}"))
    except Exception:
        logger.exception("could not record an exception on its span")


def _end(span: Span) -> None:
    try:
        span.end()
    except Exception:
        logger.exception("could not end a span")
