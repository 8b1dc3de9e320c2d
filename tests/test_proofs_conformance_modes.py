"""The modes' conformance checks: proved on the real evaluator, refuted when it departs."""

from __future__ import annotations

from typing import Any

import pytest

from trust.constraints import InteractionMode, MultiDimensionEvaluator, _tightening
from trust.proofs import Proved, Refuted, Settings, all_properties
from trust.proofs.conformance.modes import (
    Probe,
    evaluate_matches_encoding,
    tightening_matches_proof,
)

SETTINGS = Settings(timeout_ms=5000)


def test_the_real_evaluate_matches_the_encoding_and_counts_its_cases() -> None:
    verdict = evaluate_matches_encoding(SETTINGS)
    # 511 vectors of n <= 8; orders: n = 0 and 1 have one, n = 2 two, n >= 3 three.
    assert verdict == Proved(note="evaluate ≡ encoding on 6,092 cases")


def test_the_real_validate_tightening_matches_the_proof() -> None:
    verdict = tightening_matches_proof(SETTINGS)
    assert isinstance(verdict, Proved)
    assert verdict.note.startswith("1,252 tightening decisions ≡ proof, monotone on 1,152")


def test_both_checks_are_in_the_proof_run_with_their_bounds() -> None:
    mine = [p for p in all_properties() if p.name.startswith("MultiDimensionEvaluator.")]
    assert [p.subject for p in mine] == ["interaction modes", "interaction modes"]
    assert all("12 with --deep" in p.bound or "3 with --deep" in p.bound for p in mine)


def test_a_hierarchical_evaluate_that_follows_the_registry_order_is_refuted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = MultiDimensionEvaluator.evaluate

    def by_registry_order(
        self: MultiDimensionEvaluator,
        constraints: Any,
        context: Any,
        mode: InteractionMode = InteractionMode.CONJUNCTIVE,
        agent_id: str | None = None,
    ) -> Any:
        return real(self, dict(sorted(constraints.items())), context, mode, agent_id)

    monkeypatch.setattr(MultiDimensionEvaluator, "evaluate", by_registry_order)
    verdict = evaluate_matches_encoding(SETTINGS)
    assert isinstance(verdict, Refuted)
    assert verdict.counterexample["2 constraints (mapping order)"] == "{'d2': 'a', 'd1': 'a'}"


def test_a_tightening_that_skips_the_shape_rule_is_refuted_with_the_widening_hop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_tightening, "shape_violations", lambda parent, child, mode: [])
    verdict = tightening_matches_proof(SETTINGS)
    assert isinstance(verdict, Refuted)
    shown = verdict.counterexample
    # The smallest: a child that drops the parent's only dimension (modes in enum order).
    assert shown["1 mode"] == "INDEPENDENT"
    assert shown["3 child"] == "{}"
    assert shown["4 runtime"] == "accepts"


def test_a_probe_refuses_a_value_that_is_not_its_letters() -> None:
    with pytest.raises(ValueError, match="d1 must be letters of 'ab', got 'c'"):
        Probe("d1").parse("c")
