"""OpenTelemetry spans for posture transitions, breaker decisions and evaluations.

Optional: install the extra (``pip install 'care-trust[otel]'``, which brings
``opentelemetry-api``) and instrument the objects whose calls you want traced::

    from trust.otel import instrument

    tracing = instrument(machine, breaker, evaluator)   # spans from now on
    ...
    tracing.uninstrument()                               # and no more

Nothing is traced, and nothing costs anything, until an object is instrumented:
``import trust`` never imports OpenTelemetry, and an object that is not instrumented runs
exactly the code it runs without this module. Spans go to the global tracer provider
unless ``tracer_provider`` is given; with only the API installed (no SDK configured) they
are OpenTelemetry's no-op spans.

Each span is named for the call (`SPAN_NAMES`) and carries what was asked and decided as
``trust.*`` attributes (`ATTRIBUTES`). A refusal is a decision, not an error: its span has
``trust.posture.success=false`` or ``trust.breaker.allowed=false`` and an unset status.
A call that raises (malformed input) records the exception and an ERROR status, and the
exception reaches the caller unchanged. If the tracing itself fails (a broken tracer
provider, say), the failure is logged on the ``trust.otel`` logger and the call runs as
if it were not instrumented: telemetry never changes a decision.

Calls between instrumented objects nest: a breaker's restore is a
``trust.posture.transition`` span inside its ``trust.breaker.record_success`` span, and
the spans join whatever trace is current in the caller. A breaker lowers a posture on its
own internal path, so that protective downgrade has no span of its own: it happens inside
the breaker call's span (``trust.breaker.record_failure`` or ``trust.breaker.force_open``)
and is in the posture history, as every change is.
"""

try:
    import opentelemetry.trace  # noqa: F401  # present, or say which extra brings it
except ModuleNotFoundError as missing:  # pragma: no cover - the tests run with the extra
    raise ModuleNotFoundError(
        "trust.otel needs the otel extra (the opentelemetry-api package); install it "
        "with: pip install 'care-trust[otel]'",
        name=missing.name,
    ) from missing

from trust.otel._instrument import (
    ATTRIBUTES,
    SPAN_NAMES,
    TRACER_NAME,
    Instrumentation,
    instrument,
)

__all__ = ["ATTRIBUTES", "SPAN_NAMES", "TRACER_NAME", "Instrumentation", "instrument"]
