"""What each traced call reports: the span names and the ``trust.*`` attributes.

Attributes are read from the call's arguments when the span starts (so a sampler sees the
agent) and from what the call returned when it ends. Only exact builtin values reach a
span: a caller's str subclass is copied to a plain str, and strings are cut to
`MAX_ATTRIBUTE_CHARS`, because an argument is read before the call has checked it (an
agent id of a megabyte is refused by the call, but would already be on the span).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from trust._exact import exact_str
from trust.circuit_breaker import Admission
from trust.constraints import EvaluationResult
from trust.postures import PostureTransitionRequest, TransitionResult, TrustPosture

MAX_ATTRIBUTE_CHARS = 1024
"""Longer strings are cut to this many characters, ending in ``"…"``."""

Attributes = dict[str, AttributeValue]
FromArguments = Callable[[Mapping[str, Any]], Attributes]
FromResult = Callable[[Any], Attributes]


def text(value: object) -> str | None:
    """``value`` as a plain str of at most `MAX_ATTRIBUTE_CHARS`, or None if not a string."""
    plain = exact_str(value)
    if plain is None or len(plain) <= MAX_ATTRIBUTE_CHARS:
        return plain
    return plain[: MAX_ATTRIBUTE_CHARS - 1] + "…"


def _texts(values: Iterable[object]) -> list[str]:
    return [shown for shown in map(text, values) if shown is not None]


def _put(attributes: Attributes, key: str, value: object) -> None:
    """Set ``key`` if ``value`` is a string (cut), a bool, an int or a float; else skip it."""
    kind = type(value)
    if kind is bool or kind is int or kind is float:
        attributes[key] = value  # type: ignore[assignment]
    elif isinstance(value, TrustPosture):
        attributes[key] = value.value
    else:
        shown = text(value)
        if shown is not None:
            attributes[key] = shown


def _agent(arguments: Mapping[str, Any]) -> Attributes:
    attributes: Attributes = {}
    _put(attributes, "trust.agent.id", arguments.get("agent_id"))
    return attributes


# -- posture machine ---------------------------------------------------------------------


def posture_arguments(arguments: Mapping[str, Any]) -> Attributes:
    request = arguments.get("request")
    if isinstance(request, PostureTransitionRequest):
        attributes: Attributes = {}
        _put(attributes, "trust.agent.id", request.agent_id)
        _put(attributes, "trust.posture.requested", request.to_posture)
        return attributes
    attributes = _agent(arguments)
    _put(attributes, "trust.posture.requested", arguments.get("posture"))
    return attributes


def posture_result(result: object) -> Attributes:
    if not isinstance(result, TransitionResult):  # a protective downgrade with nothing to do
        return {"trust.posture.changed": False}
    attributes: Attributes = {
        "trust.posture.success": result.success,
        "trust.posture.changed": result.success and result.from_posture is not result.to_posture,
        "trust.posture.from": result.from_posture.value,
        "trust.posture.to": result.to_posture.value,
        "trust.posture.transition_type": result.transition_type.value,
        "trust.posture.administrative": result.administrative,
        "trust.posture.protective": result.protective,
    }
    _put(attributes, "trust.posture.reason", result.reason)
    _put(attributes, "trust.posture.blocked_by", result.blocked_by)
    _put(attributes, "trust.posture.requester_id", result.requester_id)
    _put(attributes, "trust.posture.version", result.version)
    return attributes


# -- circuit breaker ---------------------------------------------------------------------


def breaker_arguments(arguments: Mapping[str, Any]) -> Attributes:
    attributes = _agent(arguments)
    _put(attributes, "trust.breaker.error_type", arguments.get("error_type"))
    _put(attributes, "trust.breaker.severity", arguments.get("severity"))
    _put(attributes, "trust.breaker.reason", arguments.get("reason"))
    if "admission" in arguments:
        attributes["trust.breaker.with_admission"] = arguments["admission"] is not None
    return attributes


def admission_result(result: object) -> Attributes:
    if not isinstance(result, Admission):
        return {}
    attributes: Attributes = {
        "trust.breaker.allowed": result.allowed,
        "trust.breaker.state": result.state.value,
        "trust.breaker.probe": result.probe,
        "trust.breaker.generation": result.generation,
    }
    _put(attributes, "trust.breaker.reason", result.reason)
    return attributes


def allowed(result: object) -> Attributes:
    return {"trust.breaker.allowed": result} if type(result) is bool else {}


def nothing(result: object) -> Attributes:
    return {}


# -- evaluator ---------------------------------------------------------------------------


def evaluation_arguments(arguments: Mapping[str, Any]) -> Attributes:
    return _agent(arguments)


def evaluation_result(result: object) -> Attributes:
    if not isinstance(result, EvaluationResult):
        return {}
    return {
        "trust.constraints.satisfied": result.satisfied,
        "trust.constraints.mode": result.interaction_mode.value,
        "trust.constraints.dimensions": _texts(result.dimension_results),
        "trust.constraints.failed_dimensions": _texts(result.failed_dimensions),
        "trust.constraints.anti_gaming_flags": _texts(result.anti_gaming_flags),
        "trust.constraints.warnings": len(result.warnings),
    }
