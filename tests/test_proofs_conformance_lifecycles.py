"""Lifecycle conformance: the proof run drives the real engines and holds them to what it proves.

The checks pass on the runtime as it is, with their case counts in the table and their
bounds named; the parts they rest on (the exhaustive driver, the product relation asked
about concrete states, the breaker ghost) each catch a wrong step. Planted runtime bugs
are in tests/test_planted_lifecycles.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest

from trust.model import BREAKER_SPEC, POSTURE_SPEC
from trust.proofs import Proved, Refuted, Settings
from trust.proofs._product_system import Product
from trust.proofs._runner import run
from trust.proofs.conformance import breaker, coupling, posture
from trust.proofs.conformance._explore import Exhaustive, Mismatch
from trust.proofs.conformance._product_check import Observed, Pattern, Relation, State, Step
from trust.proofs.conformance.lifecycles import lifecycle_conformance_properties
from trust.proofs.product import product_properties

SETTINGS = Settings(timeout_ms=5000)
PARAMS = {
    "threshold": 2,
    "max_probes": 1,
    "downgrade_on_open": "human_decides",
    "restore_on_close": True,
}


def test_every_lifecycle_conformance_check_passes_with_its_case_counts_and_bounds() -> None:
    outcomes = run(lifecycle_conformance_properties(), SETTINGS)
    assert [o.prop.subject for o in outcomes] == [
        "posture lifecycle",
        "posture lifecycle",
        "breaker lifecycle",
        "posture x breaker",
    ]
    notes = [o.verdict.note for o in outcomes if isinstance(o.verdict, Proved)]
    assert notes == [
        "runtime ≡ spec on 8,405 sequences, 16,810 steps",
        "runtime ≡ spec on 25 pairs x 12 readings",
        "runtime ≡ spec on 2,662 sequences, 7,986 steps",
        "runtime ≡ spec on 729 sequences, 2,187 steps",
    ]
    for outcome in outcomes:
        assert outcome.result.startswith("proved (runtime ≡ spec on ")
    for outcome in (o for o in outcomes if "sequences" in o.result):
        assert "every sequence of" in outcome.prop.bound
        assert "--deep" in outcome.prop.bound


def test_the_coupling_check_shares_the_product_the_proofs_are_about() -> None:
    """Its relation is the proofs' own `Product` (z3 declares each enumeration only once)."""
    relation = Relation(PARAMS, 5000)
    assert relation.prod is Product.of(POSTURE_SPEC, BREAKER_SPEC)
    together = run([*product_properties()[:1], *coupling.properties()], SETTINGS)
    assert [str(o.verdict).split(" (")[0] for o in together] == ["proved", "proved"]


def test_the_deep_profile_runs_longer_sequences_from_more_starts() -> None:
    for module in (posture, breaker, coupling):
        assert module.depth(deep=True) > module.depth(deep=False)
        assert len(module.starts(deep=True)) > len(module.starts(deep=False))
        assert set(module.alphabet(deep=False)) < set(module.alphabet(deep=True))


@attrs.frozen
class _Counter:
    """A toy engine that goes wrong on the third "up" in a row."""

    ups: list[str] = attrs.Factory(list)

    def step(self, event: str) -> None:
        self.ups.append(event)
        if self.ups[-3:] == ["up"] * 3:
            raise Mismatch({"check": "at most two ups in a row", "runtime": "three"})


def test_the_driver_reports_a_shortest_failing_sequence_with_its_start() -> None:
    verdict = Exhaustive(
        worlds=["w"],
        alphabet=["down", "up"],
        depth=5,
        start=lambda world: _Counter(),
        show_world=lambda world: f"world {world}",
    ).run()
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample == {
        "0 start": "world w",
        "1 event 1": "up",
        "1 event 2": "up",
        "1 event 3": "up",
        "2 check": "at most two ups in a row",
        "3 runtime": "three",
    }


def test_the_driver_counts_every_sequence_it_ran() -> None:
    ran: list[str] = []

    @attrs.frozen
    class Recorder:
        def step(self, event: str) -> None:
            ran.append(event)

    verdict = Exhaustive(
        worlds=[1, 2], alphabet="abc", depth=3, start=lambda w: Recorder(), show_world=str
    ).run()
    assert verdict == Proved(note="runtime ≡ spec on 54 sequences, 162 steps")
    assert len(ran) == 162


def _state(**changes: object) -> State:
    values = {
        "posture": "supervised",
        "version": 0,
        "ceiling": "supervised",
        "last_other": 0,
        "breaker": "closed",
        "window": 0,
        "probes_admitted": 0,
        "probes_succeeded": 0,
        "forced": False,
        "holds": False,
        "hold_displaced": "supervised",
        "hold_held": "supervised",
        "hold_version": 0,
        "restores": 0,
        "restore_phase": 0,
        "restore_displaced": "supervised",
        "restore_held": "supervised",
        "restore_version": 0,
    }
    values |= changes
    return tuple((k, values[k]) for k in Product.of(POSTURE_SPEC, BREAKER_SPEC).system.state)  # type: ignore[misc]


def _observed(state: State) -> Observed:
    s = dict(state)
    shown = (
        "posture",
        "version",
        "breaker",
        "window",
        "probes_admitted",
        "probes_succeeded",
        "forced",
        "holds",
        "restores",
    )
    hold = (s["hold_displaced"], s["hold_held"], s["hold_version"]) if s["holds"] else None
    return Observed(tuple((k, s[k]) for k in shown), hold, None)  # type: ignore[arg-type]


FAILURE = Step(("breaker.failure",), (("g.outcome_current", True), ("weight", 2)))
TRIPPED = _state(
    posture="human_decides",
    version=1,
    breaker="open",
    window=2,
    holds=True,
    hold_displaced="supervised",
    hold_held="human_decides",
    hold_version=1,
)


def test_the_product_relation_accepts_the_trip_it_proves_and_fills_in_the_ghosts() -> None:
    relation = Relation(PARAMS, 5000)
    after = relation.fit(_state(), [(FAILURE,)], _observed(TRIPPED))
    assert after == TRIPPED
    assert relation.invariant(TRIPPED)


def test_the_product_relation_refuses_a_trip_below_the_threshold() -> None:
    relation = Relation(PARAMS, 5000)
    light = Step(("breaker.failure",), (("g.outcome_current", True), ("weight", 1)))
    assert relation.fit(_state(), [(light,)], _observed(TRIPPED)) is None
    (allowed,) = relation.allows(_state(), (light,))
    assert dict(allowed)["breaker"] == "closed"


def test_the_product_relation_refuses_a_restore_above_the_displaced_posture() -> None:
    relation = Relation(PARAMS, 5000)
    restore = Step(("restore",), (("pg.guards_pass", True), ("pg.requester_present", True)))
    pending = _state(
        posture="human_decides",
        version=1,
        restores=1,
        restore_phase=1,
        restore_held="human_decides",
        restore_version=1,
    )
    above = _state(
        posture="full_autonomy",
        version=2,
        restores=1,
        restore_phase=2,
        restore_held="human_decides",
        restore_version=1,
    )
    assert relation.fit(pending, [(restore,)], _observed(above)) is None
    back = _state(
        posture="supervised",
        version=2,
        restores=1,
        restore_phase=2,
        restore_held="human_decides",
        restore_version=1,
    )
    assert relation.fit(pending, [(restore,)], _observed(back)) == back


def test_the_product_invariant_refuses_a_posture_above_what_others_set() -> None:
    assert not Relation(PARAMS, 5000).invariant(_state(posture="full_autonomy"))


def test_a_mismatch_inside_a_restores_guards_is_not_swallowed_as_a_refusal() -> None:
    """The machine reads a guard that raises as a refusal; the harness must not."""

    class Strict(Relation):
        def fit(
            self, before: State, patterns: Sequence[Pattern], observed: Observed
        ) -> State | None:
            if observed.values[-1] == ("restores", 1):  # only inside the restore's guards
                return None
            return super().fit(before, patterns, observed)

    start = coupling.Start("supervised", threshold=2, max_calls=1)
    harness = coupling.CouplingHarness(start, Strict(PARAMS, 5000), start.config())
    harness.step(coupling.Action("force_open"))
    with pytest.raises(Mismatch) as caught:
        harness.step(coupling.Action("reset"))
    assert caught.value.details["at"] == "reset: the restore's guards run"


def test_the_breaker_ghost_fires_the_spec_transition_whose_model_guards_hold() -> None:
    config = breaker.Config(threshold=2, max_calls=1)
    ghost = breaker.Ghost(config.model())
    assert ghost.fire("failure", weight=1, now=0.0, generation=None)
    assert ghost.state == "closed"
    assert ghost.fire("failure", weight=1, now=1.0, generation=None)
    assert ghost.state == "open"
    assert ghost.shown().endswith(
        "closed --failure[outcome_current=True, at_threshold=True]--> open"
    )
    assert not ghost.fire("probe_admitted", now=1.0)
    ghost.settle(11.0)
    assert ghost.state == "half_open"
