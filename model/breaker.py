"""The circuit breaker lifecycle, declared once.

The states are the guide's: ``closed`` (calls run, failures are counted), ``open`` (calls
are refused, the posture is held down) and ``half_open`` (a few probe calls test recovery).
The events and their guards:

- ``failure``: in ``closed`` it stays ``closed`` while the weighted failures in the window
  are ``below_threshold`` and opens once they are ``at_threshold`` (>=); in ``half_open``
  any failure reopens. Every failure transition needs ``outcome_current``: an outcome
  admitted under an earlier state is fenced and changes nothing.
- ``recovery_timeout``: ``open`` becomes ``half_open`` once ``recovery_elapsed``, unless an
  operator forced it open (``not_forced``).
- ``probe_admitted``: ``half_open`` admits a probe while a ``probe_slot_free``.
- ``probe_success``: a success counts only for a ``probe_outstanding`` (admitted, not yet
  reported); it stays ``half_open`` while ``probes_incomplete`` and closes once
  ``probes_complete`` (the ``half_open_max_calls``-th success).
- ``probe_timeout``: admitted probes that never report do not hold ``half_open`` forever:
  while a ``probe_outstanding`` and ``probe_wait_elapsed``, the circuit reopens.
- ``force_open`` and ``reset``: operator overrides, from every state, with no guard.

`BreakerLifecycle` is also an executable oracle for one agent: its configuration and
counters live on the instance, and its guards read them and the event's keywords
(``now``, ``weight``, ``generation``). It is deliberately naive (the window is a list
summed afresh), so the stateful tests compare the runtime's optimised engine against it.
Clock-driven events happen at *logical* times: `tick` fires each one that is due at the
moment it fell due, so when the circuit is looked at never changes what it does.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from statemachine import State, StateMachine

from trust.model.spec import LifecycleSpec, read_spec

CURRENT = "outcome_current"


class BreakerLifecycle(StateMachine):
    """How one agent's circuit breaker moves between closed, open and half-open."""

    closed = State(initial=True)
    open = State()
    half_open = State()

    failure = (
        closed.to.itself(cond=[CURRENT, "below_threshold"])
        | closed.to(open, cond=[CURRENT, "at_threshold"])
        | half_open.to(open, cond=[CURRENT])
    )
    recovery_timeout = open.to(half_open, cond=["not_forced", "recovery_elapsed"])
    probe_admitted = half_open.to.itself(cond=["probe_slot_free"])
    probe_success = half_open.to.itself(
        cond=[CURRENT, "probe_outstanding", "probes_incomplete"]
    ) | half_open.to(closed, cond=[CURRENT, "probe_outstanding", "probes_complete"])
    probe_timeout = half_open.to(open, cond=["probe_outstanding", "probe_wait_elapsed"])
    force_open = closed.to(open) | half_open.to(open) | open.to.itself()
    reset = closed.to.itself() | open.to(closed) | half_open.to(closed)

    def __init__(
        self,
        *,
        failure_threshold: Fraction | int = 5,
        recovery_timeout_seconds: float = 60.0,
        half_open_max_calls: int = 3,
        failure_window_seconds: float = 300.0,
        probe_timeout_seconds: float = 60.0,
        **kwargs: Any,
    ) -> None:
        self.failure_threshold = Fraction(failure_threshold)
        self.recovery_timeout_seconds = recovery_timeout_seconds
        self.half_open_max_calls = half_open_max_calls
        self.failure_window_seconds = failure_window_seconds
        self.probe_timeout_seconds = probe_timeout_seconds
        self.window: list[tuple[float, Fraction]] = []
        self.generation = 0
        self.opened_at = 0.0
        self.forced = False
        self.probes_admitted = 0
        self.probes_succeeded = 0
        self.last_probe_at = 0.0
        super().__init__(**kwargs)

    # Guards. Each reads the instance and the keywords of the event being sent.

    def outcome_current(self, generation: int | None = None) -> bool:
        return generation is None or generation == self.generation

    def below_threshold(self, weight: Fraction, now: float) -> bool:
        return self.weighted_failures(now) + weight < self.failure_threshold

    def at_threshold(self, weight: Fraction, now: float) -> bool:
        return self.weighted_failures(now) + weight >= self.failure_threshold

    def not_forced(self) -> bool:
        return not self.forced

    def recovery_elapsed(self, now: float) -> bool:
        return now >= self.opened_at + self.recovery_timeout_seconds

    def probe_slot_free(self) -> bool:
        return self.probes_admitted < self.half_open_max_calls

    def probe_outstanding(self) -> bool:
        return self.probes_succeeded < self.probes_admitted

    def probes_incomplete(self) -> bool:
        return self.probes_succeeded + 1 < self.half_open_max_calls

    def probes_complete(self) -> bool:
        return self.probes_succeeded + 1 >= self.half_open_max_calls

    def probe_wait_elapsed(self, now: float) -> bool:
        return now >= self.last_probe_at + self.probe_timeout_seconds

    # Actions: the bookkeeping each event does once its transition fires.

    def on_failure(self, source: State, target: State, weight: Fraction, now: float) -> None:
        if source.id == "closed":
            self.window = [*self._live(now), (now, weight)]
        if target.id == "open":
            self._enter_open(now)

    def on_recovery_timeout(self) -> None:
        self._new_generation()

    def on_probe_admitted(self, now: float) -> None:
        self.probes_admitted += 1
        self.last_probe_at = now

    def on_probe_success(self, target: State) -> None:
        self.probes_succeeded += 1
        if target.id == "closed":
            self._enter_closed()

    def on_probe_timeout(self) -> None:
        # It reopened when the wait ran out, not when someone happened to look.
        self._enter_open(self.last_probe_at + self.probe_timeout_seconds)

    def on_force_open(self, source: State, now: float) -> None:
        if source.id != "open":
            self.opened_at = now
        self.forced = True
        self._new_generation()

    def on_reset(self) -> None:
        self._enter_closed()

    def _enter_open(self, at: float) -> None:
        self.opened_at = at
        self._new_generation()

    def _enter_closed(self) -> None:
        self.window = []
        self.forced = False
        self._new_generation()

    def _new_generation(self) -> None:
        self.generation += 1
        self.probes_admitted = 0
        self.probes_succeeded = 0

    # Reading the oracle.

    def tick(self, now: float) -> list[str]:
        """Fire every clock-driven event due at ``now``, in order; return their names."""
        fired = []
        while True:
            if self.state == "open" and self.not_forced() and self.recovery_elapsed(now):
                # The half-open episode begins when the timeout ran out.
                self.send("recovery_timeout", now=now)
                fired.append("recovery_timeout")
            elif (
                self.state == "half_open"
                and self.probe_outstanding()
                and self.probe_wait_elapsed(now)
            ):
                self.send("probe_timeout", now=now)
                fired.append("probe_timeout")
            else:
                return fired

    def _live(self, now: float) -> list[tuple[float, Fraction]]:
        # A failure at t counts while now < t + window: at t + window it has left.
        return [(t, w) for t, w in self.window if now < t + self.failure_window_seconds]

    def weighted_failures(self, now: float) -> Fraction:
        """The sum of the weights of the failures inside the window at ``now``."""
        return sum((w for _, w in self._live(now)), Fraction(0))

    def failure_count(self, now: float) -> int:
        """How many failures are inside the window at ``now``."""
        return len(self._live(now))

    @property
    def state(self) -> str:
        """The id of the current state."""
        (state,) = self.configuration
        return str(state.id)


SPEC: LifecycleSpec = read_spec(BreakerLifecycle)
