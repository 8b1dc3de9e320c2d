"""How a base agent's failure is weighed by the breaker.

Only a cancellation of the run's task (the caller cancelled it, or a timeout around it
did) is not the agent's failure (`trust.posture_agent._execution` tells them apart).
Everything else the base agent raises is: any `Exception`, and any other `BaseException`
(``KeyboardInterrupt``, ``SystemExit``, ``GeneratorExit``, or a ``CancelledError`` the
agent raised or brought on by cancelling its own task). Not counting those would let an
agent escape its breaker by raising them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from trust._shown import absorb

SeverityOf = Callable[[BaseException], str]


def default_severity(error: BaseException) -> str:
    """The breaker severity of a base agent's exception.

    Resource exhaustion and interpreter faults are ``critical``, and so is anything that
    is not an `Exception` (``KeyboardInterrupt``, ``SystemExit``, a ``CancelledError``
    the agent raised itself): it escapes ordinary error handling. A refused permission is
    ``high``; timeouts and connection errors, usually transient, are ``low``; anything
    else is ``medium``.
    """
    if not isinstance(error, Exception) or isinstance(
        error, MemoryError | RecursionError | SystemError
    ):
        return "critical"
    if isinstance(error, PermissionError):
        return "high"
    if isinstance(error, TimeoutError | ConnectionError):
        return "low"
    return "medium"


def breaker_severity(error: BaseException, severity_of: SeverityOf, breaker: object) -> str:
    """The severity to report ``error`` with: ``severity_of``'s, if ``breaker`` knows it.

    Fails closed: a mapper that raises (anything; a stop request is passed on, see
    `trust._shown.absorb`) or answers something other than a `str` gives ``"critical"``,
    and a severity the breaker has no weight for counts as its heaviest.
    """
    try:
        severity = severity_of(error)
    except BaseException as failure:  # an unclassifiable failure counts as the worst
        absorb(failure)
        severity = "critical"
    if type(severity) is not str:
        severity = "critical"
    weights = getattr(getattr(breaker, "config", None), "severity_weights", None)
    if isinstance(weights, Mapping) and weights and severity not in weights:
        severity = max(weights, key=weights.__getitem__)
    return severity
