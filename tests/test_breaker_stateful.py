"""The runtime breaker against the python-statemachine model, step by step, on a fake clock.

Hypothesis interleaves failures of every severity, successes, admissions, clock advances
(including advances that land exactly on a recovery, probe or window boundary), late
outcomes (reported with any earlier admission), operator overrides, and posture changes
by others (administrative sets, emergency downgrades, approved upgrades, a guard that
vetoes upgrades). The breaker model is the oracle for the breaker; the coupling model
(`CouplingLifecycle`, sent the events the breaker's transitions send) names what happens
to the posture, and the contract of each action predicts it. After every step: the state
agrees with the model, the window counts agree, probes admitted never exceed the maximum,
and the posture is exactly the predicted one, so it never rises except by a restore to at
most the displaced posture.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from statemachine.exceptions import TransitionNotAllowed

from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustPosture
from trust.circuit_breaker import (
    REQUESTER,
    Admission,
    CircuitBreakerConfig,
    CircuitState,
    PostureCircuitBreaker,
)
from trust.model import BREAKER_SPEC, COUPLING_SPEC, BreakerLifecycle, CouplingLifecycle
from trust.model.coupling_lifecycle import POSTURE_CHANGED, split
from trust.postures import PostureTransition, PostureTransitionRequest, TransitionGuard
from trust.store import StoreUnavailableError, open_store
from trust.store._sql import SqlStore

AGENT = "agent-1"
WEIGHTS = {"low": 0.5, "medium": 1.0, "high": 2.0, "critical": 5.0, "tiny": 0.1}
# Dyadic durations and steps: float sums stay exact, so boundaries are hit exactly.
STEPS = [0, 0.25, 0.5, 1, 2, 3, 4, 8, 16]

postures = st.sampled_from(list(TrustPosture))

Fired = tuple[str, str, str]  # (source, event, target)
TIMED: dict[str, Fired] = {
    event: next((t.source, t.event, t.target) for t in BREAKER_SPEC.of_event(event))
    for event in ("recovery_timeout", "probe_timeout")
}


def exact(weight: float) -> Fraction:
    return Fraction(repr(weight))


class BreakerAgainstModel(RuleBasedStateMachine):
    @initialize(
        threshold=st.sampled_from([1, 2.5, 5]),
        recovery=st.sampled_from([1.0, 4.0]),
        window=st.sampled_from([2.0, 8.0]),
        probe_timeout=st.sampled_from([0.5, 2.0]),
        max_calls=st.integers(1, 3),
        downgrade_to=postures,
        restore=st.booleans(),
        start=postures,
    )
    def build(
        self,
        threshold: float,
        recovery: float,
        window: float,
        probe_timeout: float,
        max_calls: int,
        downgrade_to: TrustPosture,
        restore: bool,
        start: TrustPosture,
    ) -> None:
        self.clock = FakeClock()
        self.machine = self.new_machine()
        self.config = CircuitBreakerConfig(
            failure_threshold=threshold,
            recovery_timeout=recovery,
            half_open_max_calls=max_calls,
            failure_window_seconds=window,
            severity_weights=WEIGHTS,
            downgrade_on_open=downgrade_to,
            restore_on_close=restore,
            probe_timeout=probe_timeout,
        )
        self.breaker = self.new_breaker()
        self.model = BreakerLifecycle(
            failure_threshold=exact(threshold),
            recovery_timeout_seconds=recovery,
            half_open_max_calls=max_calls,
            failure_window_seconds=window,
            probe_timeout_seconds=probe_timeout,
        )
        self.machine.set_posture(AGENT, start, requester_id="ops")
        self.posture = start
        self.version = 1
        self.hold: tuple[TrustPosture, int] | None = None  # (displaced, version after)
        self.coupling = CouplingLifecycle()
        self.veto = False
        # (runtime admission, model generation when admitted)
        self.admissions: list[tuple[Admission, int]] = []
        self.checked_history = 1
        self.closed_at: float | None = None

    def new_machine(self) -> PostureStateMachine:
        return PostureStateMachine(clock=self.clock)

    def new_breaker(self) -> PostureCircuitBreaker:
        return PostureCircuitBreaker(self.machine, self.config)

    # The oracle: the model, plus the coupling rules for the posture.

    def now(self) -> float:
        return self.clock.monotonic()

    def tick(self) -> list[Fired]:
        # Each time-driven event has exactly one transition in the spec.
        return [TIMED[event] for event in self.model.tick(self.now())]

    def send(self, event: str, **kwargs: object) -> list[Fired]:
        fired = self.tick()
        source = self.model.state
        try:
            self.model.send(event, now=self.now(), **kwargs)
        except TransitionNotAllowed:
            return fired
        return [*fired, (source, event, self.model.state)]

    def expect(self, fired: list[Fired]) -> None:
        """Predict the posture after the breaker transitions ``fired``, in order."""
        for source, event, target in fired:
            sends = COUPLING_SPEC.sends(source, event, target)
            if sends == "close":
                self.closed_at = self.now()
            if sends is not None:
                self.couple(sends)
            assert split(self.coupling.state)[0] == target

    def couple(self, event: str) -> None:
        """Send ``event`` to the coupling model; carry out the actions it names, as the
        contract says each one works."""
        down = self.config.downgrade_on_open
        done = len(self.coupling.done)
        try:
            # One thread: every restore has finished before the next call, so none is pending.
            self.coupling.send(
                event,
                lowered=self.posture > down,
                restore_pending=False,
                restore_on_close=self.config.restore_on_close,
            )
        except TransitionNotAllowed:
            return
        displaced = self.posture
        for action in self.coupling.done[done:]:
            if action == "protect":
                self.protect(down)
            elif action == "hold":
                self.hold = (displaced, self.version)
                self.held()
            elif action == "restore":
                if self.hold is None:
                    # Only a trip the store could not take forfeits a hold the model keeps.
                    assert self.emergencies_allowed()
                    continue
                restored, version = self.hold
                # A guarded upgrade, fenced by the version the hold recorded.
                if version == self.version and not self.veto and self.can_upgrade():
                    self.posture = restored
                    self.version += 1
                self.hold = None
            elif action == "forfeit":
                self.hold = None
            else:
                raise AssertionError(f"no prediction for the coupling action {action!r}")

    def protect(self, down: TrustPosture) -> None:
        """The contract of the coupling's protect: min(current, downgrade_on_open), recorded."""
        if self.posture > down:
            self.posture = down
            self.version += 1

    def held(self) -> None:
        """After the coupling's hold: the breaker remembers what the protect displaced."""

    def can_upgrade(self) -> bool:
        """Whether an upgrade can commit now (it always can in memory)."""
        return True

    def versions_known(self) -> bool:
        """Whether `machine.version` reads the version predicted (always, in memory)."""
        return True

    def others_changed_the_posture(self, posture: TrustPosture) -> None:
        self.posture, self.version = posture, self.version + 1
        self.couple(POSTURE_CHANGED)

    # Breaker rules.

    @rule(severity=st.sampled_from(sorted(WEIGHTS)), pick=st.none() | st.integers(0, 50))
    def failure(self, severity: str, pick: int | None) -> None:
        admission, generation = self.pick(pick)
        self.breaker.record_failure_sync(
            AGENT, "ValueError", "boom", "act", severity, admission=admission
        )
        weight = exact(WEIGHTS[severity])
        self.expect(self.send("failure", weight=weight, generation=generation))

    @rule(pick=st.none() | st.integers(0, 50))
    def success(self, pick: int | None) -> None:
        admission, generation = self.pick(pick)
        self.breaker.record_success_sync(AGENT, admission=admission)
        self.expect(self.send("probe_success", generation=generation))

    def pick(self, pick: int | None) -> tuple[Admission | None, int | None]:
        if pick is None or not self.admissions:
            return None, None
        return self.admissions[pick % len(self.admissions)]

    @rule()
    def admit(self) -> None:
        admission = self.breaker.admit_sync(AGENT)
        fired = self.tick()
        state = self.model.state
        if state == "closed":
            predicted, probe = True, False
        elif state == "open":
            predicted, probe = False, False
        else:
            moved = self.send("probe_admitted")
            predicted = probe = bool(moved)
        self.expect(fired)
        assert admission.allowed is predicted, (admission, state)
        assert admission.probe is probe
        assert admission.state.value == state
        if admission.allowed:
            self.admissions.append((admission, self.model.generation))

    @rule()
    def refused_admission_has_no_outcome(self) -> None:
        admission = self.breaker.admit_sync(AGENT)
        self.expect(self.tick())
        if admission.allowed:
            # Admitting was a real step for the model too (a probe slot is taken).
            if self.model.state == "half_open":
                self.expect(self.send("probe_admitted"))
            self.admissions.append((admission, self.model.generation))
            return
        with pytest.raises(ValueError, match="allowed the call"):
            self.breaker.record_success_sync(AGENT, admission=admission)

    @rule(severity=st.sampled_from(["", "MEDIUM", "fatal"]))
    def unknown_severity_is_refused(self, severity: str) -> None:
        with pytest.raises(ValueError, match="severity must be one of"):
            self.breaker.record_failure_sync(AGENT, "E", "m", severity=severity)

    @rule(seconds=st.sampled_from(STEPS))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(kind=st.sampled_from(["recovery", "probe", "window"]), early=st.booleans())
    def advance_to_boundary(self, kind: str, early: bool) -> None:
        """Advance exactly onto the next boundary of ``kind``, or a quarter second short."""
        model = self.model
        if kind == "recovery" and model.state == "open" and not model.forced:
            boundary = model.opened_at + model.recovery_timeout_seconds
        elif kind == "probe" and model.state == "half_open" and model.probe_outstanding():
            boundary = model.last_probe_at + model.probe_timeout_seconds
        elif kind == "window" and model.window:
            boundary = min(t for t, _ in model.window) + model.failure_window_seconds
        else:
            return
        now = self.now()
        if boundary - (0.25 if early else 0) > now:
            self.clock.advance(boundary - now - (0.25 if early else 0))

    @rule()
    def force_open(self) -> None:
        self.breaker.force_open(AGENT, "operator says so")
        self.expect(self.send("force_open"))

    @rule()
    def reset(self) -> None:
        self.breaker.reset(AGENT)
        self.expect(self.send("reset"))

    # Posture changes by others.

    @rule(posture=postures)
    def others_set_posture(self, posture: TrustPosture) -> None:
        self.machine.set_posture(AGENT, posture, requester_id="ops")
        self.others_changed_the_posture(posture)

    @rule()
    def others_emergency_downgrade(self) -> None:
        self.machine.emergency_downgrade(AGENT, reason="incident", requester_id="sec")
        self.others_changed_the_posture(TrustPosture.BLOCKED)

    @rule(posture=postures)
    def others_upgrade(self, posture: TrustPosture) -> None:
        if not posture > self.posture:
            return
        result = self.machine.transition(
            PostureTransitionRequest(
                agent_id=AGENT, from_posture=self.posture, to_posture=posture, requester_id="admin"
            )
        )
        assert result.success is not self.veto
        if result.success:
            self.others_changed_the_posture(posture)

    @rule()
    def toggle_upgrade_veto(self) -> None:
        if self.veto:
            self.machine.remove_guard("veto")
        else:
            self.machine.add_guard(
                TransitionGuard(
                    name="veto",
                    check_fn=lambda request: False,
                    applies_to={PostureTransition.UPGRADE},
                )
            )
        self.veto = not self.veto

    # After every step.

    @invariant()
    def runtime_agrees_with_model(self) -> None:
        if not hasattr(self, "breaker"):
            return
        # The runtime first: reading it fires its due time-driven events.
        state = self.breaker.get_state(AGENT)
        metrics = self.breaker.get_metrics(AGENT)
        self.expect(self.tick())
        now = self.now()
        model = self.model
        assert state is CircuitState(model.state)
        assert metrics["state"] == model.state
        assert metrics["failure_count"] == model.failure_count(now)
        assert metrics["weighted_failures"] == float(model.weighted_failures(now))
        assert metrics["probes_admitted"] <= self.config.half_open_max_calls
        if model.state == "half_open":
            assert metrics["probes_admitted"] == model.probes_admitted
            assert metrics["probes_succeeded"] == model.probes_succeeded
        assert ("time_until_half_open" in metrics) is (model.state == "open")
        assert metrics["forced_open"] is (model.state == "open" and model.forced)

        assert self.machine.get_posture(AGENT) is self.posture
        assert metrics["current_posture"] == self.posture.value
        if self.versions_known():
            assert self.machine.version(AGENT) == self.version
        held = self.hold is not None and self.hold[1] == self.version
        assert ("original_posture" in metrics) is held
        if held:
            assert self.hold is not None
            assert metrics["original_posture"] == self.hold[0].value

        self.breaker_changes_only_lower_or_restore()
        # An agent closed for a whole window with no failure in it holds no state.
        idle = (
            model.state == "closed"
            and model.failure_count(now) == 0
            and (self.closed_at is None or now >= self.closed_at + model.failure_window_seconds)
        )
        if self.versions_known():  # an outage may keep a record until the store answers
            assert self.breaker.tracked_agents() == (0 if idle else 1)

    def breaker_changes_only_lower_or_restore(self) -> None:
        history = self.machine.get_transition_history(AGENT)
        new, self.checked_history = history[self.checked_history :], len(history)
        for entry in new:
            if entry.requester_id != REQUESTER:
                continue
            assert not entry.administrative, "the breaker never sets a posture silently"
            if entry.transition_type is PostureTransition.EMERGENCY_DOWNGRADE:
                assert self.emergencies_allowed(), "only a trip the store could not take"
                assert entry.to_posture is TrustPosture.BLOCKED
            elif entry.protective:
                assert entry.to_posture < entry.from_posture
                assert entry.to_posture is self.config.downgrade_on_open
            else:
                assert entry.transition_type is PostureTransition.UPGRADE
                assert entry.to_posture > entry.from_posture

    def emergencies_allowed(self) -> bool:
        """Whether the breaker may BLOCK by an emergency (never, in memory)."""
        return False


TestBreakerAgainstModel = BreakerAgainstModel.TestCase


class Outage(SqlStore):
    """A ``memory://`` store (SQLite in memory) that can be made unreachable."""

    def __init__(self) -> None:
        inner = open_store("memory://")
        assert isinstance(inner, SqlStore)
        self.__dict__.update(inner.__dict__)
        self.down = False

    def _run(self, work, *, write):  # type: ignore[no-untyped-def]
        if self.down:
            raise StoreUnavailableError(f"cannot reach the store {self.url}: connection refused")
        return super()._run(work, write=write)


def _restartable(self: StoredBreakerAgainstModel) -> bool:
    # Half-open probes a dead process admitted hold their fleet-wide leases until
    # probe_timeout; the model has no such process, so restart where none is out.
    return not self.down and (self.model.state != "half_open" or self.model.probes_admitted == 0)


def _up(self: StoredBreakerAgainstModel) -> bool:
    return not self.down


class StoredBreakerAgainstModel(BreakerAgainstModel):
    """The same, store-backed, with ``restart()`` and ``store_down()``/``store_up()``.

    The prediction is the model's, with the durable contract on top: a restart loses
    the failure window (counted per process) and admissions (held by the dead process)
    but keeps the circuit, its timers and its hold; while the store is down, a protect
    BLOCKs by an emergency (which the breaker never restores), an upgrade (a restore)
    is refused, and a half-open probe is refused. Posture changes by others and
    operator overrides wait for the store.
    """

    down = False
    forfeit = False

    def new_machine(self) -> PostureStateMachine:
        if not hasattr(self, "store"):
            self.store = Outage()
        # Δ far beyond any test's clock: the cache never goes stale on its own here.
        return PostureStateMachine(
            clock=self.clock, store=self.store, freshness=1e9, auto_refresh=False
        )

    def new_breaker(self) -> PostureCircuitBreaker:
        return PostureCircuitBreaker(self.machine, self.config, auto_refresh=False)

    def teardown(self) -> None:
        if hasattr(self, "store"):
            self.breaker.close()
            self.store.down = False
            self.store.close()

    def protect(self, down: TrustPosture) -> None:
        if not self.down:
            super().protect(down)
            return
        self.posture, self.version = TrustPosture.BLOCKED, self.version + 1
        self.hold, self.forfeit = None, True

    def held(self) -> None:
        if self.forfeit:
            self.hold = None

    def couple(self, event: str) -> None:
        self.forfeit = False
        super().couple(event)
        self.forfeit = False

    def can_upgrade(self) -> bool:
        return not self.down

    def versions_known(self) -> bool:
        # An emergency not yet durable has no stored version yet.
        return not self.down

    def emergencies_allowed(self) -> bool:
        return True

    @precondition(_restartable)
    @rule()
    def restart(self) -> None:
        """A new process: a new machine and breaker on the store, the clock going on."""
        self.breaker.close()
        self.clock = FakeClock(self.clock.now(), monotonic=self.clock.monotonic())
        self.machine = self.new_machine()
        self.breaker = self.new_breaker()
        self.model.window = []  # failures are counted per process
        self.admissions = []  # and admissions die with it
        self.veto = False  # guards are the process's
        self.checked_history = 0
        self.closed_at = None

    @precondition(_up)
    @rule()
    def store_down(self) -> None:
        self.store.down = self.down = True

    @precondition(lambda self: self.down)
    @rule()
    def store_up(self) -> None:
        self.store.down = self.down = False
        assert self.machine.durable is not None
        assert self.machine.durable.refresh()  # emergencies not yet durable land
        assert self.breaker.refresh()  # circuits not yet stored are

    @rule()
    def admit(self) -> None:
        if not self.down:
            super().admit()
            return
        admission = self.breaker.admit_sync(AGENT)
        self.expect(self.tick())
        state = self.model.state
        assert admission.allowed is (state == "closed"), (admission, state)
        assert admission.state.value == state
        if admission.allowed:
            self.admissions.append((admission, self.model.generation))

    # Waiting for the store.
    refused_admission_has_no_outcome = precondition(_up)(
        BreakerAgainstModel.refused_admission_has_no_outcome
    )
    force_open = precondition(_up)(BreakerAgainstModel.force_open)
    reset = precondition(_up)(BreakerAgainstModel.reset)
    others_set_posture = precondition(_up)(BreakerAgainstModel.others_set_posture)
    others_emergency_downgrade = precondition(_up)(BreakerAgainstModel.others_emergency_downgrade)
    others_upgrade = precondition(_up)(BreakerAgainstModel.others_upgrade)
    toggle_upgrade_veto = precondition(_up)(BreakerAgainstModel.toggle_upgrade_veto)


TestStoredBreakerAgainstModel = StoredBreakerAgainstModel.TestCase
