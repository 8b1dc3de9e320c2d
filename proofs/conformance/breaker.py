"""Conformance of the circuit breaker: the real `PostureCircuitBreaker` against the breaker spec.

Every sequence of events up to a depth is run on a fresh breaker with a fake clock, from
each state of the lifecycle (reached by a short prefix of the same events, checked too):
failures of each severity, successes, admissions (probe admission in half-open), each
with or without the latest admission as its fencing token, clock advances by exactly the
recovery timeout, the probe timeout and the failure window (so every boundary is hit
exactly), ``force_open`` and ``reset``.

Each step is compared with `model.BREAKER_SPEC`'s transitions: the time-driven events that
fall due fire first, each when its guards hold, then the event itself; the one transition
whose guards all hold fires, or none. Guard values are concrete, computed by the model's
own guard methods (`model.BreakerLifecycle`: ``at_threshold``, ``probe_slot_free``,
``recovery_elapsed``, ...) on a ghost of the model's counters, which the model's own
actions keep. The model's state machine engine is never run (it is too slow to run on
every sequence): the spec's transitions are interpreted here. After every step the
runtime's state, window sum and count, probe counts, forced flag, time until half-open
and the admission it gave must be the model's.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs

from trust.circuit_breaker import Admission, CircuitBreakerConfig, PostureCircuitBreaker
from trust.model import BREAKER_SPEC, BreakerLifecycle, Transition
from trust.postures import PostureStateMachine
from trust.proofs._property import Property, Settings
from trust.proofs._verdict import Verdict
from trust.proofs.conformance._breaker_events import (
    Admit,
    Advance,
    Event,
    Fail,
    Operate,
    Succeed,
    alphabet,
)
from trust.proofs.conformance._clock import FakeClock
from trust.proofs.conformance._explore import Exhaustive, Mismatch

AGENT = "agent-1"
TIMED = ("recovery_timeout", "probe_timeout")
"""The time-driven events, fired in this order whenever they fall due (as the model's tick)."""


@attrs.frozen
class Config:
    """The breaker's bounded counters and its durations."""

    threshold: float
    max_calls: int
    weights: tuple[tuple[str, float], ...] = (("low", 1), ("high", 2))
    recovery: float = 10
    probe: float = 4
    window: float = 15

    def runtime(self) -> CircuitBreakerConfig:
        return CircuitBreakerConfig(
            failure_threshold=self.threshold,
            recovery_timeout=self.recovery,
            half_open_max_calls=self.max_calls,
            failure_window_seconds=self.window,
            severity_weights=dict(self.weights),
            probe_timeout=self.probe,
        )

    def model(self) -> BreakerLifecycle:
        return BreakerLifecycle(
            failure_threshold=Fraction(repr(self.threshold)),
            recovery_timeout_seconds=self.recovery,
            half_open_max_calls=self.max_calls,
            failure_window_seconds=self.window,
            probe_timeout_seconds=self.probe,
        )


@attrs.frozen
class Start:
    config: Config
    prefix: tuple[Event, ...]

    def __str__(self) -> str:
        c = self.config
        shown = ", ".join(str(e) for e in self.prefix) or "nothing"
        return (
            f"failure_threshold={c.threshold}, half_open_max_calls={c.max_calls}, "
            f"weights={dict(c.weights)}, recovery_timeout={c.recovery}, "
            f"probe_timeout={c.probe}, failure_window_seconds={c.window}; after: {shown}"
        )


# From each state of the lifecycle: closed, open (tripped), half-open, forced open.
_PREFIXES: Mapping[str, tuple[Event, ...]] = {
    "closed": (),
    "open": (Fail("high"),),
    "half_open": (Fail("high"), Advance("recovery")),
    "probing": (Fail("high"), Advance("recovery"), Admit()),
    "forced": (Operate("force_open"),),
}


def starts(deep: bool) -> list[Start]:
    if not deep:
        config = Config(threshold=2, max_calls=2)
        return [Start(config, _PREFIXES[s]) for s in ("closed", "probing")]
    configs = [
        Config(threshold=2, max_calls=1),
        Config(threshold=3, max_calls=2),
        Config(threshold=2, max_calls=2, weights=(("low", 0.5), ("high", 1.5))),
    ]
    return [Start(c, prefix) for c in configs for prefix in _PREFIXES.values()]


_OUTGOING: dict[tuple[str, str], list[Transition]] = {}
for _t in BREAKER_SPEC.transitions:
    _OUTGOING.setdefault((_t.source, _t.event), []).append(_t)


@functools.cache
def _parameters(name: str) -> tuple[str, ...]:
    """The keywords the model's method ``name`` takes (as python-statemachine passes them)."""
    return tuple(p for p in inspect.signature(getattr(BreakerLifecycle, name)).parameters)[1:]


class _Edge:
    """What the model's actions read of a state: its id."""

    def __init__(self, name: str) -> None:
        self.id = name


class Ghost:
    """The model's counters, moved by the spec's transitions and the model's own actions.

    A detached copy of a `BreakerLifecycle`: its guard and action methods are the model's,
    but its state machine engine is never used; ``state`` is kept here.
    """

    def __init__(self, template: BreakerLifecycle) -> None:
        oracle: BreakerLifecycle = object.__new__(BreakerLifecycle)
        oracle.__dict__.update(template.__dict__)
        self.oracle = oracle
        self.state = BREAKER_SPEC.initial
        self.fired: list[tuple[Transition, tuple[bool, ...]]] = []

    def _call(self, name: str, data: Mapping[str, Any]) -> Any:
        method: Callable[..., Any] = getattr(self.oracle, name)
        return method(**{k: data[k] for k in _parameters(name) if k in data})

    def fire(self, event: str, **data: Any) -> bool:
        """Fire the transition of ``event`` whose guards hold, if any; whether one fired."""
        enabled: list[tuple[Transition, tuple[bool, ...]]] = []
        for t in _OUTGOING.get((self.state, event), ()):
            values = tuple(bool(self._call(g, data)) for g in t.guards)
            if all(values):
                enabled.append((t, values))
        if len(enabled) > 1:
            raise Mismatch(
                {"spec": f"{event} enables {len(enabled)} transitions from {self.state}"}
            )
        if not enabled:
            return False
        t, values = enabled[0]
        self.fired.append((t, values))
        self.state = t.target
        self._call(f"on_{event}", {**data, "source": _Edge(t.source), "target": _Edge(t.target)})
        return True

    def shown(self) -> str:
        """The transitions fired by the latest step, with their guard values."""
        return "; ".join(_transition(t, values) for t, values in self.fired) or "nothing"

    def settle(self, now: float) -> None:
        """Fire every time-driven event due at ``now``, in order, as the model's ``tick``."""
        while any(self.fire(event, now=now) for event in TIMED):
            pass


def _transition(t: Transition, values: Sequence[bool]) -> str:
    guards = ", ".join(f"{g}={v}" for g, v in zip(t.guards, values, strict=True))
    return f"{t.source} --{t.event}[{guards}]--> {t.target}"


class BreakerHarness:
    """One fresh breaker (and posture machine) beside its ghost."""

    def __init__(
        self, start: Start, template: BreakerLifecycle, config: CircuitBreakerConfig
    ) -> None:
        self.clock = FakeClock()
        self.config = start.config
        machine = PostureStateMachine(clock=self.clock)
        self.breaker = PostureCircuitBreaker(machine, config)
        self.ghost = Ghost(template)
        self.last: tuple[Admission, int] | None = None  # (admission, model generation then)
        for event in start.prefix:
            self.step(event)

    def step(self, event: Event) -> None:
        ghost, now = self.ghost, self.clock.monotonic()
        ghost.fired = []
        admission: Admission | None = None
        if isinstance(event, Advance):
            self.clock.advance(getattr(self.config, event.what))
            now = self.clock.monotonic()
            ghost.settle(now)
        elif isinstance(event, Admit):
            if event.via == "can_proceed":
                proceeds = self.breaker.can_proceed_sync(AGENT)
            else:
                admission = self.breaker.admit_sync(AGENT)
                proceeds = admission.allowed
            ghost.settle(now)
            if ghost.state == "half_open":
                allowed = probe = ghost.fire("probe_admitted", now=now)
            else:
                allowed, probe = ghost.state == "closed", False
            if admission is None:
                self._check_proceeds(proceeds, allowed)
            else:
                self._check_admission(admission, allowed, probe)
            if proceeds and admission is not None:
                self.last = (admission, ghost.oracle.generation)
        else:
            self._outcome(event, now)
        self._compare(event, now, admission)

    def _outcome(self, event: Fail | Succeed | Operate, now: float) -> None:
        ghost, breaker = self.ghost, self.breaker
        if isinstance(event, Operate):
            getattr(breaker, event.name)(
                AGENT, *(["conformance"] if event.name == "force_open" else [])
            )
            ghost.settle(now)
            ghost.fire(event.name, now=now)
            return
        admission, generation = (
            self.last if event.fenced_by_last and self.last is not None else (None, None)
        )
        if isinstance(event, Fail):
            breaker.record_failure_sync(
                AGENT, "Error", "conformance", severity=event.severity, admission=admission
            )
            weight = Fraction(repr(dict(self.config.weights)[event.severity]))
            ghost.settle(now)
            ghost.fire("failure", weight=weight, now=now, generation=generation)
        else:
            breaker.record_success_sync(AGENT, admission=admission)
            ghost.settle(now)
            ghost.fire("probe_success", now=now, generation=generation)

    def _check_proceeds(self, proceeds: bool, allowed: bool) -> None:
        if proceeds is not allowed:
            raise Mismatch(
                {
                    "check": f"can_proceed as {BREAKER_SPEC.declared_in} allows",
                    "runtime": f"can_proceed={proceeds}",
                    "spec": f"allowed={allowed} state={self.ghost.state}; "
                    f"fired: {self.ghost.shown()}",
                }
            )

    def _check_admission(self, admission: Admission, allowed: bool, probe: bool) -> None:
        if (admission.allowed, admission.probe, admission.state.value) != (
            allowed,
            probe,
            self.ghost.state,
        ):
            raise Mismatch(
                {
                    "check": f"admission as {BREAKER_SPEC.declared_in} allows",
                    "runtime": f"allowed={admission.allowed} probe={admission.probe} "
                    f"state={admission.state.value}",
                    "spec": f"allowed={allowed} probe={probe} state={self.ghost.state}; "
                    f"fired: {self.ghost.shown()}",
                }
            )

    def _compare(self, event: Event, now: float, admission: Admission | None) -> None:
        metrics = self.breaker.get_metrics(AGENT)
        runtime = _observed(metrics)
        expected = self._expected(now)
        if runtime != expected:
            differs = ", ".join(k for k in expected if runtime[k] != expected[k])
            raise Mismatch(
                {
                    "check": f"the breaker steps as {BREAKER_SPEC.declared_in}'s transitions "
                    f"allow (differs: {differs})",
                    "runtime": _show(runtime),
                    "spec": f"fired: {self.ghost.shown()}; so {_show(expected)}",
                }
            )

    def _expected(self, now: float) -> dict[str, object]:
        oracle, state = self.ghost.oracle, self.ghost.state
        until: float | None = None
        if state == "open" and not oracle.forced:
            until = max(0.0, oracle.opened_at + oracle.recovery_timeout_seconds - now)
        return {
            "state": state,
            "weighted_failures": oracle.weighted_failures(now),
            "failure_count": oracle.failure_count(now),
            "forced_open": oracle.forced,
            "probes": (oracle.probes_admitted, oracle.probes_succeeded),
            "time_until_half_open": until,
        }


def _observed(metrics: Mapping[str, Any]) -> dict[str, object]:
    return {
        "state": metrics["state"],
        "weighted_failures": Fraction(metrics["weighted_failures"]),
        "failure_count": metrics["failure_count"],
        "forced_open": metrics["forced_open"],
        "probes": (metrics["probes_admitted"], metrics["probes_succeeded"]),
        "time_until_half_open": metrics.get("time_until_half_open"),
    }


def _show(values: Mapping[str, object]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items())


def depth(deep: bool) -> int:
    return 4 if deep else 3


def check(settings: Settings) -> Verdict:
    """The breaker against the breaker spec, every sequence up to the bound."""
    built: dict[Config, tuple[BreakerLifecycle, CircuitBreakerConfig]] = {}

    def start(s: Start) -> BreakerHarness:
        if s.config not in built:
            built[s.config] = (s.config.model(), s.config.runtime())
        return BreakerHarness(s, *built[s.config])

    return Exhaustive(
        worlds=starts(settings.deep),
        alphabet=alphabet(settings.deep),
        depth=depth(settings.deep),
        start=start,
        show_world=str,
    ).run()


def properties() -> list[Property]:
    return [
        Property(
            name="the runtime PostureCircuitBreaker conforms to the transitions, "
            "with concrete guard values",
            subject="breaker lifecycle",
            method="exhaustive conformance",
            check=check,
            bound=(
                "every sequence of 3 events (--deep: 4) from closed and from half-open with a "
                "probe admitted (--deep: also from open, half-open and forced open); "
                "failure_threshold=2, half_open_max_calls=2, severity weights 1 and 2 (--deep: "
                "also threshold 2 with N=1, threshold 3 with N=2, and weights 0.5 and 1.5); "
                "events: a failure of each severity, a success, a success with the latest "
                "admission (--deep: also a failure with it), admit, can_proceed, force_open, "
                "reset, and clock advances by exactly recovery_timeout=10, probe_timeout=4, "
                "failure_window_seconds=15; one agent"
            ),
        )
    ]


__all__ = ["BreakerHarness", "Config", "Ghost", "Start", "properties"]
