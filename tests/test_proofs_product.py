"""Posture x breaker proofs: proved on the model, refuted with a path on planted bugs."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from trust import TrustPosture
from trust.circuit_breaker import CircuitBreakerConfig
from trust.circuit_breaker._core import GUARDS, Circuit, CircuitState, Event
from trust.circuit_breaker._coupling_core import GUARDS as CORE_GUARDS
from trust.circuit_breaker._coupling_core import Facts
from trust.model import (
    BREAKER_SPEC,
    COUPLING_SPEC,
    POSTURE_SPEC,
    CouplingSpec,
    LifecycleSpec,
    Transition,
)
from trust.proofs import Proved, Refuted, Settings, Unknown
from trust.proofs._product_meaning import COUNTER_GUARDS, COUPLING_GUARDS
from trust.proofs._product_system import Product
from trust.proofs._runner import run
from trust.proofs.product import product_properties

SETTINGS = Settings(timeout_ms=5000)


def _check(name: str, posture: LifecycleSpec, breaker: LifecycleSpec) -> Refuted:
    (prop,) = [p for p in product_properties(posture, breaker) if p.name.startswith(name)]
    (outcome,) = run([prop], SETTINGS)
    assert isinstance(outcome.verdict, Refuted), outcome.verdict
    return outcome.verdict


def _path(verdict: Refuted) -> list[str]:
    return [v for k, v in verdict.counterexample.items() if k.startswith("2 state")]


def _breaker(name: str, change: dict[tuple[str, str, str], tuple[str, ...]]) -> LifecycleSpec:
    return attrs.evolve(
        BREAKER_SPEC,
        name=name,
        transitions=tuple(
            attrs.evolve(t, guards=change.get((t.source, t.event, t.target), t.guards))
            for t in BREAKER_SPEC.transitions
        ),
    )


def test_every_product_property_is_proved_for_all_reachable_states() -> None:
    outcomes = run(product_properties(), SETTINGS)
    assert [str(o.verdict) for o in outcomes] == ["proved"] * len(outcomes)
    assert len(outcomes) == 9


def test_an_unguarded_upgrade_is_refuted_with_the_one_step_path() -> None:
    planted = attrs.evolve(
        POSTURE_SPEC,
        name="planted_free_upgrade",
        transitions=(
            *POSTURE_SPEC.transitions,
            Transition(source="supervised", event="upgrade", target="assisted"),
        ),
    )
    verdict = _check("autonomy rises only", planted, BREAKER_SPEC)
    assert verdict.counterexample["0 kind"].endswith("a path of 1 step(s) from the initial state")
    start, step = _path(verdict)
    assert start.startswith("posture=supervised (version 0), breaker=closed")
    assert step.startswith("--posture.upgrade(to=assisted, ")
    assert "guards_pass=False" in step or "requester_present=False" in step
    assert "--> posture=assisted (version 1)" in step


def test_a_breaker_that_closes_after_one_success_is_refuted_with_the_path() -> None:
    planted = _breaker(
        "planted_one_success",
        {("half_open", "probe_success", "closed"): ("outcome_current", "probe_outstanding")},
    )
    verdict = _check("closed is re-entered only", POSTURE_SPEC, planted)
    path = _path(verdict)
    assert "half_open_max_calls=" in verdict.counterexample["1 params"]
    assert "half_open_max_calls=1," not in verdict.counterexample["1 params"]
    assert [line.split("(")[0] for line in path[1:]] == [
        "--breaker.failure",
        "--breaker.recovery_timeout",
        "--breaker.probe_admitted",
        "--breaker.probe_success",
    ]
    assert "breaker=half_open weighted_failures=" in path[3]
    assert "probes admitted=1 succeeded=0" in path[3]
    assert "breaker=closed" in path[4]


def test_a_breaker_that_opens_below_the_threshold_is_refuted() -> None:
    planted = attrs.evolve(
        _breaker("planted_early_open", {("closed", "failure", "open"): ("outcome_current",)}),
    )
    planted = attrs.evolve(
        planted,
        transitions=tuple(
            t
            for t in planted.transitions
            if (t.source, t.event, t.target) != ("closed", "failure", "closed")
        ),
    )
    verdict = _check("closed -> open only", POSTURE_SPEC, planted)
    (start, step) = _path(verdict)
    assert "weighted_failures=0" in start
    assert step.startswith("--breaker.failure(weight=")
    assert "breaker=open" in step


def test_unlimited_probes_break_the_invariant_with_a_path_past_n() -> None:
    planted = _breaker(
        "planted_unlimited_probes", {("half_open", "probe_admitted", "half_open"): ()}
    )
    verdict = _check("the product invariant", POSTURE_SPEC, planted)
    assert "invariant" in verdict.counterexample["0 kind"]
    last = _path(verdict)[-1]
    assert last.startswith("--breaker.probe_admitted")
    assert "breaker=half_open" in last
    params = verdict.counterexample["1 params"]
    n = int(params.split("half_open_max_calls=")[1].split(",")[0])
    assert f"probes admitted={n + 1}" in last


def test_a_guarded_emergency_downgrade_is_refuted() -> None:
    planted = attrs.evolve(
        POSTURE_SPEC,
        name="planted_guarded_emergency",
        transitions=tuple(
            attrs.evolve(t, guards=("guards_pass",)) if t.event == "emergency_downgrade" else t
            for t in POSTURE_SPEC.transitions
        ),
    )
    verdict = _check("emergency downgrade is enabled", planted, BREAKER_SPEC)
    assert verdict.counterexample["0 kind"].endswith("a path of 0 step(s) from the initial state")
    assert "pg.guards_pass=False" in verdict.counterexample["4 guards"]


def test_a_guard_the_product_cannot_read_fails_closed() -> None:
    planted = _breaker(
        "planted_mystery_guard", {("closed", "failure", "open"): ("outcome_current", "mystery")}
    )
    (outcome,) = run(product_properties(POSTURE_SPEC, planted)[:1], SETTINGS)
    assert isinstance(outcome.verdict, Unknown)
    assert "mystery" in outcome.verdict.reason
    assert not outcome.ok


circuits = st.builds(
    Circuit,
    state=st.sampled_from(list(CircuitState)),
    forced=st.booleans(),
    probes_admitted=st.integers(0, 6),
    probes_succeeded=st.integers(0, 6),
)


@given(
    circuit=circuits,
    window=st.integers(0, 40),
    threshold=st.integers(1, 10),
    max_calls=st.integers(1, 5),
)
def test_counter_guards_read_the_state_as_the_runtime_core_does(
    circuit: Circuit, window: int, threshold: int, max_calls: int
) -> None:
    import z3

    config = CircuitBreakerConfig(failure_threshold=threshold, half_open_max_calls=max_calls)
    weight = config.weight_units("medium")
    # The core sees the window's sum including this failure; the product sees w and weight.
    event = Event(name="failure", weighted_units=window + weight)
    params = {"threshold": z3.IntVal(config.threshold_units), "max_probes": z3.IntVal(max_calls)}
    state = {
        "window": z3.IntVal(window),
        "probes_admitted": z3.IntVal(circuit.probes_admitted),
        "probes_succeeded": z3.IntVal(circuit.probes_succeeded),
        "forced": z3.BoolVal(circuit.forced),
    }
    inputs = {"weight": z3.IntVal(weight)}
    for name, symbolic in COUNTER_GUARDS.items():
        expected = GUARDS[name](circuit, event, 0.0, config)
        assert z3.is_true(z3.simplify(symbolic(params, state, inputs))) is expected, name


def test_proved_verdicts_are_proved_not_unknown() -> None:
    outcomes = run(product_properties()[:2], SETTINGS)
    assert all(isinstance(o.verdict, Proved) for o in outcomes)


def _coupling(name: str, change: dict[tuple[str, str, str], tuple[str, ...]]) -> CouplingSpec:
    """The declared coupling with the actions of some transitions replaced."""
    lifecycle = COUPLING_SPEC.lifecycle
    return attrs.evolve(
        COUPLING_SPEC,
        lifecycle=attrs.evolve(
            lifecycle,
            name=name,
            transitions=tuple(
                attrs.evolve(t, actions=change.get((t.source, t.event, t.target), t.actions))
                for t in lifecycle.transitions
            ),
        ),
    )


def test_an_action_the_product_cannot_read_fails_closed() -> None:
    planted = _coupling(
        "planted_mystery_action", {("open_held", "recover", "half_open_held"): ("mystery",)}
    )
    (outcome,) = run(product_properties(POSTURE_SPEC, BREAKER_SPEC, planted)[:1], SETTINGS)
    assert isinstance(outcome.verdict, Unknown)
    assert "mystery" in outcome.verdict.reason


def test_a_coupling_that_keeps_the_hold_after_others_change_the_posture_is_refuted() -> None:
    """The proofs read the coupling from its spec: a hold kept over a change is noticed."""
    lifecycle = COUPLING_SPEC.lifecycle
    kept = tuple(
        attrs.evolve(t, target=t.source, actions=()) if t.event == "posture_changed" else t
        for t in lifecycle.transitions
    )
    planted = attrs.evolve(
        COUPLING_SPEC,
        lifecycle=attrs.evolve(lifecycle, name="planted_kept_hold", transitions=kept),
    )
    (outcome,) = run(product_properties(POSTURE_SPEC, BREAKER_SPEC, planted)[:1], SETTINGS)
    assert isinstance(outcome.verdict, Refuted), outcome.verdict
    path = _path(outcome.verdict)
    assert "a path of" in outcome.verdict.counterexample["0 kind"]
    assert any("holds" in step for step in path)
    assert any("--posture." in step or "--set_posture(" in step for step in path)


@given(
    posture=st.sampled_from(list(TrustPosture)),
    down=st.sampled_from(list(TrustPosture)),
    restore_on_close=st.booleans(),
    pending=st.booleans(),
)
def test_coupling_guards_read_the_facts_as_the_runtime_core_does(
    posture: TrustPosture, down: TrustPosture, restore_on_close: bool, pending: bool
) -> None:
    import z3

    prod = Product.of()
    params = {
        "downgrade_on_open": prod.pos.state[down.value],
        "restore_on_close": z3.BoolVal(restore_on_close),
    }
    state = {
        "posture": prod.pos.state[posture.value],
        "version": z3.IntVal(3),
        "restores": z3.IntVal(1),
        "restore_version": z3.IntVal(3 if pending else 2),
    }
    inputs = {"takeover": z3.BoolVal(True)}

    def lowers(x: z3.ExprRef) -> z3.BoolRef:
        protect = prod.pos.event["protective_downgrade"]
        return prod.pos.moves(x, protect, params["downgrade_on_open"], guards_hold=True)

    facts = Facts(
        lowered=posture > down, restore_pending=pending, restore_on_close=restore_on_close
    )
    assert set(COUPLING_GUARDS) == set(CORE_GUARDS)
    for name, guard in CORE_GUARDS.items():
        term = z3.simplify(COUPLING_GUARDS[name](params, state, inputs, lowers))
        assert z3.is_true(term) is guard(facts), name
