"""Planted mode bugs make ``python -m trust.proofs`` itself fail, with a readable counterexample.

Two of issue 13's planted bugs: an INDEPENDENT tie that passes where the evaluator makes
its decision (the call into the one combine), and the same tie in the rule itself,
`trust.constraints._modes.combine_counts`. Each is planted in a copy of the packages
(`tests.planted`), so the tree under test is never touched.
"""

from __future__ import annotations

from pathlib import Path

from tests.planted import Plant, run_proofs_with

EVALUATOR = "trust/constraints/_evaluator.py"
MODES = "trust/constraints/_modes.py"
EVALUATE_PROPERTY = "MultiDimensionEvaluator.evaluate decides every verdict vector as the encoding"


def test_an_independent_tie_passing_where_evaluate_decides_fails_the_proof_run(
    tmp_path: Path,
) -> None:
    decision = "satisfied = combine_counts(mode, total, total - len(failed), first)"
    tie = (
        f"{decision} or (\n"
        "            mode is InteractionMode.INDEPENDENT and 2 * (total - len(failed)) == total\n"
        "        )"
    )
    done = run_proofs_with(tmp_path, Plant(EVALUATOR, decision, tie), only="interaction modes")
    assert done.returncode != 0, done.output
    assert f"COUNTEREXAMPLE for interaction modes: {EVALUATE_PROPERTY}" in done.output
    assert "1 mode=INDEPENDENT" in done.output
    # The smallest tie: two dimensions, one passes.
    assert "3 verdicts=d1=False, d2=True" in done.output
    assert "5 problem=evaluate says satisfied=True, the encoding False" in done.output


def test_an_independent_tie_passing_in_the_one_combine_fails_the_proof_run(
    tmp_path: Path,
) -> None:
    done = run_proofs_with(
        tmp_path,
        Plant(MODES, "return 2 * passed > total", "return 2 * passed >= total"),
        only="interaction modes",
    )
    assert done.returncode != 0, done.output
    # Both the encoding-vs-combine table and the real evaluate catch it.
    assert (
        "COUNTEREXAMPLE for interaction modes: the z3 encoding of combine equals the runtime's"
        in done.output
    )
    assert f"COUNTEREXAMPLE for interaction modes: {EVALUATE_PROPERTY}" in done.output
    assert "mode=INDEPENDENT" in done.output
    assert "5 problem=evaluate says satisfied=True, the encoding False" in done.output
