"""A circuit as its stored row (`trust.store.BreakerRow`), and a stored row as a circuit.

The row keeps what must outlive the process: ``open`` or ``closed``, when it opened, the
hold, the generation. HALF_OPEN is not stored: it is OPEN once ``recovery_timeout`` has
passed since the stored opening, in every process alike. Rows keep wall-clock seconds (one
scale for every process on every host); circuits keep this process's monotonic time, so
each side converts through the clock's present, ``now_wall`` against ``now_monotonic``.
"""

from __future__ import annotations

from trust.circuit_breaker._core import Circuit, CircuitState
from trust.circuit_breaker._coupling import Hold
from trust.postures import TransitionResult, TrustPosture
from trust.store import BreakerRow, PostureRow

OPEN, CLOSED = CircuitState.OPEN.value, CircuitState.CLOSED.value


def row_of(
    agent_id: str,
    circuit: Circuit,
    hold: Hold | None,
    generation: int,
    recovery_timeout: float,
    now_wall: float,
    now_monotonic: float,
) -> BreakerRow:
    """The row that stores ``circuit`` and ``hold`` at ``generation``.

    A forced open stores no opening time: only a reset releases it.
    """
    if circuit.state is CircuitState.CLOSED:
        return BreakerRow(key=agent_id, state=CLOSED, generation=generation)
    opened_at = None
    if not circuit.forced:
        assert circuit.entered_at is not None  # an automatic open has a start
        began = circuit.entered_at
        if circuit.state is CircuitState.HALF_OPEN:
            began -= recovery_timeout
        opened_at = now_wall - (now_monotonic - began)
    return BreakerRow(
        key=agent_id,
        state=OPEN,
        generation=generation,
        opened_at=opened_at,
        displaced_posture=None if hold is None else hold.displaced,
        displaced_version=None if hold is None else hold.version,
    )


def circuit_of(row: BreakerRow, generation: int, now_wall: float, now_monotonic: float) -> Circuit:
    """The circuit an open ``row`` stores, as this process's state at ``generation``."""
    if row.opened_at is None:
        return Circuit(
            state=CircuitState.OPEN, generation=generation, entered_at=now_monotonic, forced=True
        )
    began = now_monotonic - (now_wall - row.opened_at)
    return Circuit(state=CircuitState.OPEN, generation=generation, entered_at=began)


def hold_of(row: BreakerRow, posture: PostureRow | None) -> Hold | None:
    """The hold an open ``row`` stores, if the posture is still the one it set."""
    if row.displaced_posture is None or row.displaced_version is None:
        return None
    if posture is None or posture.version != row.displaced_version:
        return None  # changed since: forfeited, as the coupling forfeits a moved hold
    return Hold(row.displaced_posture, posture.posture, posture.version)


def hold_made(result: TransitionResult | None, hold: Hold | None) -> Hold | None:
    """The hold a protective downgrade ``result`` makes; ``hold`` when it lowered nothing."""
    if result is None:
        return hold
    assert result.version is not None  # the machine stamps every entry
    return Hold(result.from_posture, result.to_posture, result.version)


def displaced(held: BreakerRow | Hold | None) -> tuple[TrustPosture | None, int | None]:
    """What a row or a hold would give back, and at which version."""
    if held is None:
        return None, None
    if isinstance(held, Hold):
        return held.displaced, held.version
    return held.displaced_posture, held.displaced_version
