"""The policies under ``examples/``, checked as CI checks a deployment's: each one's
expected outcome is stated here, and a new example must state its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from trust.policy import load_policy
from trust.proofs.policy import check_policy, diff_policies

EXAMPLES = Path(__file__).parent.parent / "examples"

CLEAN = ["research-assistant.toml", "roles.toml", "policy-v1.toml", "policy-v2.toml"]
"""Examples that check finds nothing in."""

WIDENING = {
    "rule": "delegation.widens",
    "line": 15,
    "witness": {"cost_used": 301, "data_classification": "internal"},
}
"""The one finding of ``widening.toml``: the summariser may spend 301 cents, the support
agent may not (the same context in every run)."""


def test_every_example_has_a_stated_outcome() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.toml")) == sorted([*CLEAN, "widening.toml"])


@pytest.mark.parametrize("name", CLEAN)
def test_clean_examples_have_no_finding(name: str) -> None:
    report = check_policy(EXAMPLES / name)
    assert report.findings == ()
    assert report.summary["hops"]["valid"] == report.summary["delegations"]
    load_policy(EXAMPLES / name)  # and they load into the runtime


def test_the_widening_example_is_refused_with_its_pinned_witness() -> None:
    report = check_policy(EXAMPLES / "widening.toml")
    (finding,) = report.findings
    assert finding.rule == WIDENING["rule"]
    assert finding.location.line == WIDENING["line"]
    assert finding.witness == WIDENING["witness"]
    policy = load_policy(EXAMPLES / "widening.toml")
    assert policy.evaluate("summariser", dict(finding.witness)).satisfied
    assert not policy.evaluate("support", dict(finding.witness)).satisfied


def test_the_diff_demo_finds_the_widening_with_confirmed_witnesses() -> None:
    old, new = EXAMPLES / "policy-v1.toml", EXAMPLES / "policy-v2.toml"
    report = diff_policies(old, new)
    assert report.summary["verdict"] == "looser"
    runner = report.summary["agents"]["code-runner"]
    assert runner["set"] == "looser"
    assert runner["dimensions"] == {
        "cost_limit": "looser",
        "resources": "equivalent",
        "communication": "looser",
    }
    assert report.summary["agents"]["researcher"]["status"] == "unchanged"
    assert {f.rule for f in report.findings} == {"diff.looser"}
    before, after = load_policy(old), load_policy(new)
    for finding in report.findings:
        assert finding.location.file == str(new)
        assert finding.witness is not None
        context = dict(finding.witness)
        last = finding.location.key_path[-1]
        if last == "constraints":  # the whole set's verdict: a context for the whole set
            assert after.evaluate("code-runner", context).satisfied
            assert not before.evaluate("code-runner", context).satisfied
        else:  # a dimension's verdict: a context for that dimension
            mine = {last: after.constraints("code-runner").constraints[last]}
            theirs = {last: before.constraints("code-runner").constraints[last]}
            assert after.evaluator.evaluate(mine, context).satisfied
            assert not before.evaluator.evaluate(theirs, context).satisfied
