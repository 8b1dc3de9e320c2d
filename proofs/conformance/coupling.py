"""Conformance of the coupling: a real breaker and posture machine against the proved product.

Every sequence of events up to a depth is run on a fresh `PostureStateMachine` and
`PostureCircuitBreaker` with a fake clock: failures of each severity, successes,
admissions, clock advances by exactly each of the breaker's durations, ``force_open``,
``reset``; posture changes by others (an emergency downgrade, an operator's approved
request, an administrative ``set_posture``); and *arming* the next restore's guards, so
that when the breaker restores a posture, its guard refuses, or first does something
itself while the restore is being checked (trips the circuit, trips and closes it, an
emergency downgrade, ...), as ``tests/test_breaker_restore_race.py`` does by hand.

Each observed state is abstracted into the variables of the product that
`proofs.product` proves its claims of (``proofs._product_system.Product``): the posture
and its version, the breaker's state, window sum and probe counts and forced flag (all by
public reads), the hold an open circuit keeps and the restores in flight (the breaker's
own records: no public call shows a forfeited hold or a restore still running; a live
hold is cross-checked with ``get_metrics()["original_posture"]``). Each stretch of the run
between two observations must be a path of the product's step relation, with the inputs
the harness knows (weights, targets, guard values) pinned, and every abstract state must
satisfy the product's inductive invariant. One reading is adjusted, and said so: the
product counts every committed posture change as a new version, and the machine keeps no
version of its own for a MAINTAIN of a posture that never changed (it keeps no record:
see `PostureStateMachine.version`); before that first change no hold or restore exists to
read a version, so the abstraction counts those MAINTAINs and adds them to every version
it reads. The clock guards (``recovery_elapsed``, ``probe_wait_elapsed``) and how much of
the window expires stay free, as in the product: `proofs.conformance.breaker` pins them
against the breaker spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import attrs

from trust.circuit_breaker import REQUESTER, CircuitBreakerConfig, PostureCircuitBreaker
from trust.postures import (
    PostureStateMachine,
    PostureTransition,
    PostureTransitionRequest,
    TransitionGuard,
    TrustPosture,
)
from trust.proofs._property import Property, Settings
from trust.proofs._verdict import Verdict
from trust.proofs.conformance._clock import FakeClock
from trust.proofs.conformance._coupling_events import (
    AGENT,
    ARMED,
    DURATIONS,
    KINDS,
    Action,
    Engines,
    alphabet,
    paths,
    restore_steps,
)
from trust.proofs.conformance._explore import Exhaustive, Mismatch
from trust.proofs.conformance._product_check import (
    Observed,
    Pattern,
    Relation,
    State,
    Value,
    show,
)

WEIGHTS = (("low", 1), ("high", 2))


@attrs.frozen
class Start:
    """The posture the agent starts at (version 0) and the breaker's configuration."""

    posture: str
    threshold: int
    max_calls: int
    down: str = "human_decides"
    restore: bool = True

    def __str__(self) -> str:
        return (
            f"default_posture={self.posture}, failure_threshold={self.threshold}, "
            f"half_open_max_calls={self.max_calls}, downgrade_on_open={self.down}, "
            f"restore_on_close={self.restore}, weights={dict(WEIGHTS)}, "
            f"recovery_timeout={DURATIONS['recovery']}, probe_timeout={DURATIONS['probe']}, "
            f"failure_window_seconds={DURATIONS['window']}"
        )

    def config(self) -> CircuitBreakerConfig:
        return CircuitBreakerConfig(
            failure_threshold=self.threshold,
            recovery_timeout=DURATIONS["recovery"],
            half_open_max_calls=self.max_calls,
            failure_window_seconds=DURATIONS["window"],
            severity_weights=dict(WEIGHTS),
            downgrade_on_open=self.down,
            restore_on_close=self.restore,
            probe_timeout=DURATIONS["probe"],
        )


def starts(deep: bool) -> list[Start]:
    if not deep:
        return [Start("supervised", threshold=2, max_calls=1)]
    return [
        Start("supervised", threshold=2, max_calls=1),
        Start("full_autonomy", threshold=3, max_calls=2),
        Start("blocked", threshold=2, max_calls=1),
        Start("supervised", threshold=2, max_calls=1, restore=False),
    ]


@attrs.define
class _Frame:
    """An action being performed: the product steps expected up to its next observation."""

    action: Action
    main: Pattern
    patterns: list[Pattern]
    label: str


class CouplingHarness:
    """A fresh posture machine and breaker, observed as states of the product."""

    def __init__(self, start: Start, relation: Relation, config: CircuitBreakerConfig) -> None:
        self.start, self.relation, self.config = start, relation, config
        clock = FakeClock()
        self.machine = PostureStateMachine(TrustPosture(start.posture), clock=clock)
        self.breaker = PostureCircuitBreaker(self.machine, config)
        self.engines = Engines(clock, self.machine, self.breaker, config)
        self.machine.add_guard(
            TransitionGuard(
                name="conformance", check_fn=self._guard, applies_to={PostureTransition.UPGRADE}
            )
        )
        self.frames: list[_Frame] = []
        self.failed: Mismatch | None = None
        self.unrecorded = 0  # MAINTAINs the machine kept no version of (see _run)
        observed = self._abstract("the initial state")
        initial = relation.initial(observed)
        if initial is None or not relation.invariant(initial):
            raise Mismatch(
                {
                    "check": "the runtime starts in an initial state of the product",
                    "runtime": _shown(observed),
                }
            )
        self.state: State = initial

    # Performing actions.

    def step(self, action: Action) -> None:
        self._run(action)

    def _run(self, action: Action) -> None:
        kind = KINDS[action.name]
        main = kind.steps(self.config, action.arg)
        frame = _Frame(action, main, paths(kind, main, self.engines.armed != "refuse"), str(action))
        self.frames.append(frame)
        before = self._unrecorded_reading()
        try:
            refused = kind.perform(self.engines, action.arg)
        finally:
            self.frames.pop()
        if action.name == "request" and not refused and before is not None:
            self._count_unrecorded(before)
        if self.failed is not None:  # inside a restore's guards, where the machine hid it
            raise self.failed
        if refused:
            (step,) = main
            if self.relation.enabled(self.state, step):
                raise Mismatch(
                    {
                        "check": "the runtime refuses only what the proved relation forbids",
                        "before": show(self.state),
                        "runtime": f"{action} was refused",
                        "product": f"allows {step}",
                    }
                )
            frame.patterns = [()]
        self._observe(frame.patterns, frame.label)

    def _unrecorded_reading(self) -> tuple[TrustPosture, int] | None:
        """The posture and version, while the machine keeps no record of the agent."""
        machine = self.machine
        if machine.tracked_agents():
            return None
        return machine.get_posture(AGENT), machine.version(AGENT)

    def _count_unrecorded(self, before: tuple[TrustPosture, int]) -> None:
        # A MAINTAIN of a posture that never changed: the machine keeps no record, so no
        # new version (see PostureStateMachine.version), where the product counts every
        # change as one. No hold or restore exists yet to read a version, so the
        # abstraction counts it instead, and adds it to every version it reads.
        if (self.machine.get_posture(AGENT), self.machine.version(AGENT)) == before:
            self.unrecorded += 1

    def _guard(self, request: PostureTransitionRequest) -> bool:
        if request.requester_id != REQUESTER:
            return True  # the operator's requests are approved
        try:
            frame = self.frames[-1]
            self._observe([frame.main], f"{frame.action}: the restore's guards run")
            armed, self.engines.armed = self.engines.armed, ""
            for action in ARMED.get(armed, ()):
                self._run(action)
            verdict = armed != "refuse"
            # Then its upgrade commits or is refused, and it finishes; or, if a restore
            # started inside its guards has finished meanwhile, it only finishes.
            frame.patterns = [restore_steps(verdict), restore_steps(verdict)[1:]]
            frame.label = f"{frame.action}: after its restore's guards"
            return verdict
        except Mismatch as mismatch:  # the machine would read it as a refusing guard
            self.failed = self.failed or mismatch
            return False

    # Observing.

    def _observe(self, patterns: Sequence[Pattern], label: str) -> None:
        observed = self._abstract(label)
        after = self.relation.fit(self.state, patterns, observed)
        if after is None:
            allowed = [
                f"{' ; '.join(str(s) for s in p) or 'no step'} -> {show(n)}"
                for p in patterns
                for n in self.relation.allows(self.state, p)
            ]
            raise Mismatch(
                {
                    "check": "each stretch of the run is a path of the proved posture x breaker "
                    "relation (proofs/_product_system.py)",
                    "at": label,
                    "before": show(self.state),
                    "runtime": _shown(observed),
                    "product": " | ".join(allowed) or "no path of the expected steps exists",
                }
            )
        if not self.relation.invariant(after):
            raise Mismatch(
                {
                    "check": "the product's inductive invariant holds of every observed state",
                    "at": label,
                    "state": show(after),
                }
            )
        self.state = after

    def _abstract(self, label: str) -> Observed:
        metrics = self.breaker.get_metrics(AGENT)
        record = self.breaker._agents.get(AGENT)
        restoring = self.breaker._restoring.get(AGENT, [])
        version = self.machine.version(AGENT)
        # A hold the posture moved away from is forfeited: the product drops it at once, the
        # breaker at its next coupling step; either way it gives nothing back.
        hold = record.hold if record is not None else None
        hold = hold if hold is not None and hold.version == version else None
        shift = self.unrecorded
        public = metrics.get("original_posture")
        if public != (hold.displaced.value if hold is not None else None):
            raise Mismatch(
                {
                    "check": "get_metrics()['original_posture'] shows the hold exactly while live",
                    "at": label,
                    "runtime": f"original_posture={public}, hold={hold}, version={version}",
                }
            )
        units = Fraction(metrics["weighted_failures"]) / self.config.unit
        if units.denominator != 1:
            raise Mismatch(
                {
                    "check": "the window's weighted sum is a whole number of weight units",
                    "at": label,
                    "runtime": f"weighted_failures={metrics['weighted_failures']}",
                }
            )
        values = (
            ("posture", self.machine.get_posture(AGENT).value),
            ("version", version + shift),
            ("breaker", str(metrics["state"])),
            ("window", int(units)),
            ("probes_admitted", int(metrics["probes_admitted"])),
            ("probes_succeeded", int(metrics["probes_succeeded"])),
            ("forced", bool(metrics["forced_open"])),
            ("holds", hold is not None),
            ("restores", len(restoring)),
        )
        newest = restoring[-1] if restoring else None
        return Observed(
            values,
            (hold.displaced.value, hold.held.value, hold.version + shift)
            if hold is not None
            else None,
            (newest.displaced.value, newest.held.value, newest.version + shift) if newest else None,
        )


def _shown(observed: Observed) -> str:
    """What was read, in the words `show` uses for a product state."""
    v = dict(observed.values)
    text = (
        f"posture={v['posture']} (version {v['version']}), breaker={v['breaker']} "
        f"weighted_failures={v['window']} "
        f"probes admitted={v['probes_admitted']} succeeded={v['probes_succeeded']}"
    )
    if v["forced"]:
        text += " forced"
    if observed.hold is not None:
        text += f"; holds {observed.hold[0]}->{observed.hold[1]} at version {observed.hold[2]}"
    if observed.newest is not None:
        displaced, held, version = observed.newest
        text += (
            f"; restores in flight={v['restores']}, newest {held}->{displaced} at version {version}"
        )
    return text


def depth(deep: bool) -> int:
    return 4 if deep else 3


def check(settings: Settings) -> Verdict:
    """The breaker and the posture machine together against the proved product relation."""
    built: dict[Start, tuple[Relation, CircuitBreakerConfig]] = {}

    def harness(start: Start) -> CouplingHarness:
        if start not in built:
            config = start.config()
            params: dict[str, Value] = {
                "threshold": config.threshold_units,
                "max_probes": start.max_calls,
                "downgrade_on_open": start.down,
                "restore_on_close": start.restore,
            }
            built[start] = (Relation(params, settings.timeout_ms), config)
        return CouplingHarness(start, *built[start])

    return Exhaustive(
        worlds=starts(settings.deep),
        alphabet=alphabet(settings.deep),
        depth=depth(settings.deep),
        start=harness,
        show_world=str,
    ).run()


def properties() -> list[Property]:
    return [
        Property(
            name="the runtime breaker coupled to the posture machine conforms to the proved "
            "product relation, and keeps its invariant",
            subject="posture x breaker",
            method="exhaustive conformance",
            check=check,
            bound=(
                "every sequence of 3 events (--deep: 4) from supervised, with "
                "failure_threshold=2, half_open_max_calls=1, downgrade_on_open=human_decides, "
                "restore_on_close (--deep: also from full_autonomy with threshold 3 and N=2, "
                "from blocked, and without restore_on_close); events: failure(high), advance "
                "recovery_timeout, force_open, reset, emergency_downgrade, an operator's "
                "approved request to full_autonomy, and arming the next restore's guard to "
                "trip the circuit, to make an emergency downgrade, or to re-request the held "
                "posture (a new version, the same posture) while the restore is checked "
                "(--deep: also success, admit, failure(low), advances by probe_timeout and "
                "the window, a request to blocked, set_posture to full_autonomy and to "
                "blocked, and a restore guard that refuses, trips and closes the circuit, "
                "downgrades then trips, or sets full_autonomy); one agent; the clock guards "
                "and how much of the window expires are free, as in the product (the breaker "
                "lifecycle's conformance pins them)"
            ),
        )
    ]


__all__ = ["Action", "CouplingHarness", "Start", "properties"]
