"""What a breaker answers when asked whether a call may run."""

from __future__ import annotations

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._exact import exact_int, exact_str
from trust._unchecked import unchecked_constructor
from trust.circuit_breaker._core import Admitted, CircuitState, Refused, Step


# No __weakref__ slot: see trust._unchecked.
@attrs.frozen(kw_only=True, weakref_slot=False)
class Admission:
    """Whether one call may run, and the token that ties its outcome to this decision.

    Pass it back to `PostureCircuitBreaker.record_success` or ``record_failure``: an
    outcome whose admission predates the circuit's current state (the circuit opened,
    turned half-open or closed since) is fenced and cannot open or close the circuit on
    the new state's behalf. An admission is truthy exactly when the call may run.

    Attributes:
        allowed: The call may run.
        agent_id: The agent it was asked for.
        state: The circuit's state when it was decided.
        generation: The fencing token: the breaker's generation when it was decided.
        probe: The call is one of the half-open probes; its success counts toward closing.
        reason: Why, in words (for refusals: what the caller is waiting for).
    """

    allowed: bool
    agent_id: str
    state: CircuitState
    generation: int
    probe: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


CLOSED_REASON = "closed: calls run and failures are counted"

make_admission = unchecked_constructor(Admission)
"""``make_admission(allowed, agent_id, state, generation, probe, reason)``, unchecked: for
the breaker, whose every argument is already valid."""


def decide(agent_id: str, step: Step, generation: int, why_open: str) -> Admission:
    """The admission that `trust.circuit_breaker._core.admit` decided in ``step``."""
    decision = step.effects[-1]
    state = step.circuit.state
    if isinstance(decision, Admitted):
        reason = "half-open: admitted as a probe" if decision.probe else CLOSED_REASON
        return make_admission(True, agent_id, state, generation, decision.probe, reason)
    assert isinstance(decision, Refused)
    reason = f"{decision.reason} ({why_open})" if state is CircuitState.OPEN else decision.reason
    return make_admission(False, agent_id, state, generation, False, reason)


def admitted_generation(admission: object, agent_id: str) -> int | None:
    """The fencing token of an outcome's ``admission`` (None when reported without one).

    Raises:
        ValueError: ``admission`` is not an `Admission`, is for another agent, or refused
            the call (a refused call has no outcome to report).
    """
    if admission is None:
        return None
    # Anyone can build an Admission, with any field values: read each through its exact
    # type, so that a str or int subclass cannot pass for another agent or a later state.
    if type(admission) is not Admission:
        raise InvalidTypeError(f"admission must be an Admission, got {check.shown(admission)}")
    if exact_str(admission.agent_id) != agent_id:
        raise InvalidValueError(
            f"admission must be for agent {agent_id!r}, "
            f"got one for {check.shown(admission.agent_id)}"
        )
    if admission.allowed is not True:
        raise InvalidValueError(
            "admission must be one that allowed the call (a refused call has no outcome), "
            f"got {check.shown(admission)}"
        )
    generation = exact_int(admission.generation)
    if generation is None:
        raise InvalidTypeError(
            f"admission.generation must be an int, got {check.shown(admission.generation)}"
        )
    return generation
