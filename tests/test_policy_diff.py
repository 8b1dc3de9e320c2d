"""``care-trust diff``: equivalent, tighter, looser or incomparable, per agent and role, per
dimension, for the whole set, the postures and the breakers; each widening of constraints
with a context the new policy allows and the old refuses, confirmed by the runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trust.policy import Finding, Level, Policy, PolicyError, Report, load_policy
from trust.proofs.policy import diff_policies

HEAD = "version = 1\n"


def diff(tmp_path: Path, old: str, new: str) -> Report:
    (tmp_path / "old.toml").write_text(HEAD + old, encoding="utf-8")
    (tmp_path / "new.toml").write_text(HEAD + new, encoding="utf-8")
    report = diff_policies(tmp_path / "old.toml", tmp_path / "new.toml")
    json.dumps(dict(report.summary))  # plain JSON values
    return report


def loaded(tmp_path: Path) -> tuple[Policy, Policy]:
    return load_policy(tmp_path / "old.toml"), load_policy(tmp_path / "new.toml")


def rules(report: Report) -> list[tuple[str, tuple[str, ...]]]:
    return [(f.rule, f.location.key_path) for f in report.findings]


def finding(report: Report, *path: str) -> Finding:
    (found,) = [f for f in report.findings if f.location.key_path == path]
    return found


def agent(constraints: str, extra: str = "") -> str:
    return f"[agents.a]\nconstraints = {{ {constraints} }}\n{extra}"


def test_the_same_policy_is_equivalent_with_no_finding(tmp_path: Path) -> None:
    text = agent('cost_limit = 10, resources = ["a/**"]', 'posture = "assisted"\n')
    report = diff(tmp_path, text, text)
    assert report.findings == ()
    assert report.summary["verdict"] == "equivalent"
    assert report.summary["agents"]["a"]["status"] == "unchanged"


def test_a_value_written_differently_but_equivalent_is_a_note(tmp_path: Path) -> None:
    report = diff(tmp_path, agent('resources = ["a/**", "a/b/**"]'), agent('resources = "a/**"'))
    assert rules(report) == [
        ("diff.equivalent", ("agents", "a", "constraints", "resources")),
        ("diff.equivalent", ("agents", "a", "constraints")),
    ]
    assert all(f.level is Level.NOTE for f in report.findings)
    assert report.summary["verdict"] == "equivalent"


def test_a_looser_dimension_and_set_come_with_confirmed_witnesses(tmp_path: Path) -> None:
    report = diff(tmp_path, agent("cost_limit = 100"), agent("cost_limit = 250"))
    dimension = finding(report, "agents", "a", "constraints", "cost_limit")
    whole = finding(report, "agents", "a", "constraints")
    assert dimension.rule == whole.rule == "diff.looser"
    assert dimension.level is Level.WARNING
    assert dimension.location.line == 3
    assert "cost_limit = 250 (was 100)" in dimension.message
    old, new = loaded(tmp_path)
    for found in (dimension, whole):
        assert found.witness is not None
        assert new.evaluate("a", dict(found.witness)).satisfied
        assert not old.evaluate("a", dict(found.witness)).satisfied
    assert report.summary["agents"]["a"]["dimensions"] == {"cost_limit": "looser"}
    assert report.summary["verdict"] == "looser"


def test_a_tighter_change_is_a_note_without_witness(tmp_path: Path) -> None:
    report = diff(tmp_path, agent('resources = ["a/**"]'), agent('resources = ["a/b/**"]'))
    assert {f.rule for f in report.findings} == {"diff.tighter"}
    assert all(f.level is Level.NOTE and f.witness is None for f in report.findings)
    assert report.summary["verdict"] == "tighter"


def test_an_incomparable_change_has_a_witness_the_new_allows(tmp_path: Path) -> None:
    report = diff(tmp_path, agent('resources = ["a/**"]'), agent('resources = ["b/**"]'))
    found = finding(report, "agents", "a", "constraints", "resources")
    assert found.rule == "diff.incomparable"
    assert found.witness is not None
    assert found.witness["resource_requested"].startswith("b")
    assert report.summary["verdict"] == "incomparable"


def test_a_dimension_removed_is_looser_and_one_added_tighter(tmp_path: Path) -> None:
    report = diff(
        tmp_path,
        agent('cost_limit = 10, data_access = "no_pii"'),
        agent('cost_limit = 10, resources = ["a/**"]'),
    )
    removed = finding(report, "agents", "a", "constraints", "data_access")
    added = finding(report, "agents", "a", "constraints", "resources")
    assert removed.rule == "diff.looser"
    assert "data_access removed" in removed.message
    assert removed.witness is not None
    assert added.rule == "diff.tighter"
    whole = finding(report, "agents", "a", "constraints")
    assert whole.rule == "diff.incomparable"
    old, new = loaded(tmp_path)
    assert whole.witness is not None
    assert new.evaluate("a", dict(whole.witness)).satisfied
    assert not old.evaluate("a", dict(whole.witness)).satisfied


def test_a_mode_change_is_decided_on_the_twins_and_confirmed(tmp_path: Path) -> None:
    both = 'cost_limit = 10, resources = ["a/**"]'
    report = diff(tmp_path, agent(both), agent(both, 'mode = "disjunctive"\n'))
    whole = finding(report, "agents", "a", "constraints")
    assert whole.rule == "diff.looser"
    assert "mode changed from conjunctive to disjunctive" in whole.message
    old, new = loaded(tmp_path)
    assert whole.witness is not None
    assert new.evaluate("a", dict(whole.witness)).satisfied
    assert not old.evaluate("a", dict(whole.witness)).satisfied


def test_postures_raised_are_looser(tmp_path: Path) -> None:
    report = diff(
        tmp_path,
        '[defaults]\nposture = "supervised"\n[agents.a]\nposture = "supervised"\n[agents.b]\n',
        '[defaults]\nposture = "human_decides"\n[agents.a]\nposture = "assisted"\n[agents.b]\n',
    )
    assert rules(report) == [
        ("diff.tighter", ("defaults", "posture")),
        ("diff.looser", ("agents", "a")),
        ("diff.tighter", ("agents", "b")),  # b starts at the (lower) default now
    ]
    assert "assisted (was supervised)" in report.findings[1].message


def test_upgrade_approval_no_longer_required_is_looser(tmp_path: Path) -> None:
    report = diff(
        tmp_path,
        "[defaults]\nrequire_upgrade_approval = true\n",
        "[defaults]\nrequire_upgrade_approval = false\n",
    )
    assert rules(report) == [("diff.looser", ("defaults", "require_upgrade_approval"))]


@pytest.mark.parametrize(
    ("old", "new", "verdict"),
    [
        ("failure_threshold = 3", "failure_threshold = 5", "looser"),
        ("failure_threshold = 5", "failure_threshold = 3", "tighter"),
        ("recovery_timeout = 120", "recovery_timeout = 60", "looser"),
        ("failure_window_seconds = 300", "failure_window_seconds = 60", "looser"),
        ("probe_timeout = 60", "probe_timeout = 10", "looser"),
        ("half_open_max_calls = 3", "half_open_max_calls = 5", "incomparable"),
        ("half_open_max_calls = 3", "half_open_max_calls = 1", "incomparable"),
        ('downgrade_on_open = "blocked"', 'downgrade_on_open = "supervised"', "looser"),
        ("restore_on_close = false", "restore_on_close = true", "looser"),
        (
            "severity_weights = { low = 1, high = 2 }",
            "severity_weights = { low = 0.5, high = 2 }",
            "looser",
        ),
        ("severity_weights = { low = 1, high = 2 }", "severity_weights = { high = 2 }", "looser"),
        ("severity_weights = { high = 2 }", "severity_weights = { low = 1, high = 2 }", "tighter"),
        (
            "severity_weights = { low = 1, high = 2 }",
            "severity_weights = { low = 2, high = 1 }",
            "incomparable",
        ),
    ],
)
def test_breaker_fields_have_a_looser_direction(
    tmp_path: Path, old: str, new: str, verdict: str
) -> None:
    report = diff(
        tmp_path, f"[agents.a]\nbreaker = {{ {old} }}\n", f"[agents.a]\nbreaker = {{ {new} }}\n"
    )
    field = old.split(" ")[0]
    (found,) = report.findings
    assert found.rule == f"diff.{verdict}"
    assert found.location.key_path == ("agents", "a", "breaker", field)
    assert report.summary["agents"]["a"]["breaker"]["fields"][field] == verdict


def test_a_breaker_removed_is_looser_and_one_added_tighter(tmp_path: Path) -> None:
    with_breaker = "[agents.a]\nbreaker = { failure_threshold = 3 }\n[agents.b]\n"
    without = "[agents.a]\n[agents.b]\nbreaker = {}\n"
    report = diff(tmp_path, with_breaker, without)
    assert rules(report) == [
        ("diff.looser", ("agents", "a", "breaker")),
        ("diff.tighter", ("agents", "b", "breaker")),
    ]
    assert "no circuit breaker any more" in report.findings[0].message


def test_agents_added_are_looser_with_a_context_they_may_act_in(tmp_path: Path) -> None:
    report = diff(
        tmp_path,
        "[agents.gone]\n",
        '[agents.new]\nconstraints = { cost_limit = 5, resources = ["x/**"] }\n',
    )
    added = finding(report, "agents", "new")
    removed = finding(report, "agents", "gone")
    assert added.rule == "diff.looser"
    assert added.witness is not None
    old, new = loaded(tmp_path)
    assert new.evaluate("new", dict(added.witness)).satisfied
    assert not old.evaluate("new", dict(added.witness)).satisfied
    assert removed.rule == "diff.tighter"
    assert removed.location.file.endswith("old.toml")
    assert report.summary["agents"]["new"]["status"] == "added"


def test_delegations_and_roles_added_and_removed(tmp_path: Path) -> None:
    ids = "[agents.a]\n[agents.b]\n[agents.c]\n"
    report = diff(
        tmp_path,
        ids + '[roles.old]\n[[delegations]]\nparent = "a"\nchild = "b"\n',
        ids + '[roles.new]\n[[delegations]]\nparent = "a"\nchild = "c"\n',
    )
    assert sorted(rules(report)) == [
        ("diff.added", ("roles", "new")),
        ("diff.looser", ("delegations", "0")),
        ("diff.removed", ("roles", "old")),
        ("diff.tighter", ("delegations", "0")),
    ]
    assert report.summary["delegations"] == {"added": [["a", "c"]], "removed": [["a", "b"]]}


def test_an_agent_that_takes_a_role_inherits_its_change(tmp_path: Path) -> None:
    role = '[roles.r]\nconstraints = {{ cost_limit = {} }}\n[agents.a]\nrole = "r"\n'
    report = diff(tmp_path, role.format(10), role.format(20))
    assert report.summary["roles"]["r"]["set"] == "looser"
    assert report.summary["agents"]["a"]["set"] == "looser"


def test_internal_domains_changed_is_its_own_verdict(tmp_path: Path) -> None:
    text = (
        "[dimensions.communication]\ninternal_domains = [{}]\n"
        '[agents.a]\nconstraints = {{ communication = "internal_only" }}\n'
    )
    report = diff(
        tmp_path, text.format('"corp.example"'), text.format('"corp.example", "lab.example"')
    )
    found = finding(report, "dimensions", "communication", "internal_domains")
    assert found.rule == "diff.looser"
    assert found.witness is not None
    assert found.witness["communication_target"].endswith("lab.example")
    old, new = loaded(tmp_path)
    assert new.evaluate("a", dict(found.witness)).satisfied
    assert not old.evaluate("a", dict(found.witness)).satisfied
    assert report.summary["dimensions"]["internal_domains"] == "looser"


def test_custom_dimensions(tmp_path: Path) -> None:
    text = "[dimensions.tokens]\ncustom = true\n{}\n[agents.a]\nconstraints = {{ tokens = {} }}\n"
    report = diff(tmp_path, text.format("", 5), text.format('reviewed_by = "sec"', 6))
    approved = finding(report, "dimensions", "tokens")
    assert approved.rule == "diff.looser"
    assert "approved" in approved.message
    value = finding(report, "agents", "a", "constraints", "tokens")
    assert value.rule == "diff.incomparable"
    assert "custom dimension" in value.message


def test_either_file_unusable_raises_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cost_limt"):
        diff(tmp_path, "", agent("cost_limt = 1"))
