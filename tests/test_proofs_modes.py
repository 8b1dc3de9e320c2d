"""Interaction-mode proofs: proved on the runtime's rules, and refuted on broken ones."""

from __future__ import annotations

import itertools

import pytest
import z3

from trust.constraints._modes import InteractionMode, combine
from trust.proofs import Proved, Refuted, Settings
from trust.proofs._runner import run
from trust.proofs.modes import (
    BOUND,
    Pattern,
    accepted,
    combine_term,
    mode_properties,
    monotone_under,
)

SETTINGS = Settings(timeout_ms=5000)
MODES = list(InteractionMode)


def test_every_mode_property_is_proved_and_the_mode_blind_rule_refuted_as_expected() -> None:
    outcomes = run(mode_properties(), SETTINGS)
    assert all(o.ok for o in outcomes), [(o.prop.name, str(o.verdict)) for o in outcomes]
    (blind,) = [o for o in outcomes if o.prop.expect_refuted]
    assert blind.result == "refuted (expected)"
    assert isinstance(blind.verdict, Refuted)
    # The smallest counterexample: adding one dimension to a one-dimension parent.
    assert blind.verdict.explain().splitlines() == [
        "1 mode=DISJUNCTIVE",
        "2 parent dims=[p1]",
        "3 child dims=[c1, p1]",
        "4 parent verdicts=p1=False",
        "5 child verdicts=c1=True, p1=False",
        "6 outcome=the child allows the context, the parent refuses it",
    ]
    others = [o for o in outcomes if not o.prop.expect_refuted]
    assert all(isinstance(o.verdict, Proved) for o in others)


@pytest.mark.parametrize("mode", MODES)
def test_the_z3_encoding_of_combine_agrees_with_the_runtime_on_every_vector(
    mode: InteractionMode,
) -> None:
    for n in range(BOUND + 1):
        verdicts = [z3.Bool(f"v{i}") for i in range(n)]
        term = combine_term(mode, verdicts)
        for bits in itertools.product((False, True), repeat=n):
            values = [(v, z3.BoolVal(b)) for v, b in zip(verdicts, bits, strict=True)]
            encoded = z3.simplify(z3.substitute(term, *values) if values else term)
            assert z3.is_true(encoded) is combine(mode, list(bits)), (mode, bits)


def test_the_shape_rule_is_read_from_the_runtime() -> None:
    add = Pattern(("p1",), ("p1", "c1"))
    drop = Pattern(("p1", "p2"), ("p1",))
    swap = Pattern(("p1", "p2"), ("p2", "p1"))
    assert add in accepted(InteractionMode.CONJUNCTIVE)
    assert drop not in accepted(InteractionMode.CONJUNCTIVE)
    assert drop in accepted(InteractionMode.DISJUNCTIVE)
    assert add not in accepted(InteractionMode.DISJUNCTIVE)
    assert swap in accepted(InteractionMode.INDEPENDENT)
    assert swap not in accepted(InteractionMode.HIERARCHICAL)
    # Dropping everything under DISJUNCTIVE would allow everything: refused.
    assert Pattern(("p1",), ()) not in accepted(InteractionMode.DISJUNCTIVE)
    # Patterns up to eight names are covered.
    assert Pattern(tuple(f"p{i}" for i in range(1, 9)), ()) not in accepted(
        InteractionMode.CONJUNCTIVE
    )
    assert Pattern((), tuple(f"c{i}" for i in range(1, 9))) in accepted(InteractionMode.CONJUNCTIVE)


def test_a_reordering_rule_under_hierarchical_is_refuted_with_the_reorder() -> None:
    # INDEPENDENT's rule lets a child reorder; under HIERARCHICAL the first dimension decides.
    verdict = monotone_under(InteractionMode.HIERARCHICAL, InteractionMode.INDEPENDENT, SETTINGS)
    assert isinstance(verdict, Refuted)
    shown = verdict.counterexample
    assert shown["2 parent dims"] == "[p1, p2]"
    assert shown["3 child dims"] == "[p2, p1]"
    assert shown["6 outcome"] == "the child allows the context, the parent refuses it"


def test_dropping_dimensions_under_conjunctive_is_refuted() -> None:
    verdict = monotone_under(InteractionMode.CONJUNCTIVE, InteractionMode.DISJUNCTIVE, SETTINGS)
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample["2 parent dims"] == "[p1, p2]"
    assert verdict.counterexample["3 child dims"] in ("[p1]", "[p2]")
