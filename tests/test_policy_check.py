"""``care-trust check``: every delegation hop proved, with a runtime-confirmed witness for
each that widens, and lints that say precisely what deserves a second look."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from trust.constraints.builtin import CommunicationDimension
from trust.policy import Finding, Level, PolicyError, Report, load_policy
from trust.proofs import CATALOGUE
from trust.proofs.policy import check_policy
from trust.proofs.twins import CommunicationTwin

EXAMPLES = Path(__file__).parent.parent / "examples"


def check(tmp_path: Path, text: str) -> Report:
    path = tmp_path / "policy.toml"
    path.write_text("version = 1\n" + text, encoding="utf-8")
    return check_policy(path)


def only(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


def confirm(path: Path, parent: str, child: str, context: Any) -> None:
    """The runtime, loaded from the same file, allows ``context`` for ``child`` only."""
    policy = load_policy(path)
    assert policy.evaluate(child, dict(context)).satisfied
    assert not policy.evaluate(parent, dict(context)).satisfied


def test_a_widening_hop_is_an_error_with_a_confirmed_witness(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """
[agents.support]
constraints = { cost_limit = 300, resources = ["tickets/**"] }
[agents.summariser]
constraints = { cost_limit = 300, resources = ["tickets/**", "billing/**"] }
[[delegations]]
parent = "support"
child = "summariser"
""",
    )
    (finding,) = report.findings
    assert finding.rule == "delegation.widens"
    assert finding.level is Level.ERROR
    assert finding.location.line == 7
    assert finding.location.key_path == ("delegations", "0")
    assert "resources" in finding.message
    assert finding.witness is not None
    assert finding.witness["resource_requested"].startswith("billing")
    confirm(tmp_path / "policy.toml", "support", "summariser", finding.witness)
    assert report.summary["hops"]["widens"] == 1


def test_valid_hops_make_no_finding(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """
[agents.a]
constraints = { cost_limit = 300, rate_limit = "10/minute", data_access = "internal_only" }
[agents.b.constraints]
cost_limit = 100
rate_limit = "1/minute"
data_access = { mode = "no_pii", allowed_classifications = ["internal"] }
resources = ["x/**"]
[[delegations]]
parent = "a"
child = "b"
""",
    )
    assert report.findings == ()
    assert report.summary["hops"] == {
        "valid": 1,
        "widens": 0,
        "refused": 0,
        "unverified": 0,
        "mode": 0,
    }


def test_hops_are_mode_aware(tmp_path: Path) -> None:
    # Under disjunctive mode a child may drop a dimension, and adding one widens.
    report = check(
        tmp_path,
        """
[agents.p]
mode = "disjunctive"
constraints = { cost_limit = 10, resources = ["a/**"] }
[agents.drops]
mode = "disjunctive"
constraints = { cost_limit = 10 }
[agents.adds]
mode = "disjunctive"
constraints = { cost_limit = 10, resources = ["a/**"], data_access = "allow_all" }
[[delegations]]
parent = "p"
child = "drops"
[[delegations]]
parent = "p"
child = "adds"
""",
    )
    (finding,) = only(report, "delegation.widens")
    assert finding.location.key_path == ("delegations", "1")
    assert finding.witness is not None
    confirm(tmp_path / "policy.toml", "p", "adds", finding.witness)


def test_a_hierarchical_child_that_reorders_its_dimensions_widens(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """
[agents.p]
mode = "hierarchical"
priority = ["cost_limit", "rate_limit"]
constraints = { cost_limit = 10, rate_limit = 5 }
[agents.c]
mode = "hierarchical"
priority = ["rate_limit", "cost_limit"]
constraints = { cost_limit = 10, rate_limit = 5 }
[[delegations]]
parent = "p"
child = "c"
""",
    )
    (finding,) = only(report, "delegation.widens")
    assert "priority order" in finding.message
    confirm(tmp_path / "policy.toml", "p", "c", finding.witness)


def test_a_hop_between_modes_is_an_error(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """
[agents.p]
constraints = { cost_limit = 10 }
[agents.c]
mode = "disjunctive"
constraints = { cost_limit = 5 }
[[delegations]]
parent = "p"
child = "c"
""",
    )
    (finding,) = report.findings
    assert finding.rule == "delegation.mode"
    assert "conjunctive" in finding.message
    assert "disjunctive" in finding.message


def test_a_hop_the_runtime_refuses_without_a_widening_context_is_refused(tmp_path: Path) -> None:
    # The child adds a dimension that allows nothing: under disjunctive mode it allows
    # nothing more, but the runtime's rule refuses a disjunctive child that adds one.
    report = check(
        tmp_path,
        """
[agents.p]
mode = "disjunctive"
constraints = { cost_limit = 10 }
[agents.c]
mode = "disjunctive"
constraints = { cost_limit = 10, data_access = { mode = "no_pii", allowed_classifications = [] } }
[[delegations]]
parent = "p"
child = "c"
""",
    )
    (finding,) = only(report, "delegation.refused")
    assert finding.level is Level.ERROR
    assert finding.witness is None
    assert "stricter than needed" in finding.message
    assert report.summary["hops"]["refused"] == 1


def test_a_role_can_delegate_and_be_delegated_to(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """
[roles.browser.constraints]
cost_limit = 100
communication = { mode = "allowed_domains", allowed_domains = ["example.org"] }
[agents.researcher.constraints]
cost_limit = 1000
communication = { mode = "allowed_domains", allowed_domains = ["example.org", "arxiv.org"] }
[[delegations]]
parent = "browser"
child = "researcher"
""",
    )
    (finding,) = report.findings
    assert finding.rule == "delegation.widens"
    assert "role 'browser' -> agent 'researcher'" in finding.message
    assert finding.witness is not None
    assert finding.witness.get("communication_target", "").endswith("arxiv.org") or (
        finding.witness.get("cost_used", 0) > 100
    )


def test_custom_dimensions_compare_only_when_equal(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """
[dimensions.max_tokens]
custom = true
reviewed_by = "sec-team"
[agents.p]
constraints = { cost_limit = 10, max_tokens = 5 }
[agents.same]
constraints = { cost_limit = 20, max_tokens = 5 }
[agents.other]
constraints = { cost_limit = 10, max_tokens = 6 }
[[delegations]]
parent = "p"
child = "same"
[[delegations]]
parent = "p"
child = "other"
""",
    )
    widens = only(report, "delegation.widens")
    unverified = only(report, "delegation.unverified")
    assert [f.location.key_path for f in widens] == [("delegations", "0")]
    assert widens[0].witness == {"cost_used": 11}
    assert "equal custom dimensions ['max_tokens'] left aside" in widens[0].message
    assert [f.location.key_path for f in unverified] == [("delegations", "1")]
    assert "['max_tokens'] differ" in unverified[0].message
    assert [f.rule for f in report.findings if f.level is Level.WARNING] == ["dimension.custom"]


def test_an_unreviewed_custom_dimension_is_a_warning(tmp_path: Path) -> None:
    report = check(tmp_path, "[dimensions.max_tokens]\ncustom = true\n")
    assert [f.rule for f in report.findings] == ["dimension.custom", "dimension.unreviewed"]
    assert all(f.location.line == 2 for f in report.findings)


def test_a_set_that_allows_nothing(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """
[agents.no-data]
constraints = { cost_limit = 10, data_access = { mode = "no_pii", allowed_classifications = [] } }
[agents.no-time]
constraints = { time_window = { all_of = ["09:00-10:00", "11:00-12:00"] } }
[agents.either]
mode = "disjunctive"
constraints = { cost_limit = 10, data_access = { mode = "no_pii", allowed_classifications = [] } }
[agents.nothing-requested]
constraints = { resources = [], communication = "none" }
""",
    )
    nothing = only(report, "set.allows-nothing")
    assert [f.location.key_path[1] for f in nothing] == ["no-data", "no-time"]
    assert "['data_access']" in nothing[0].message
    assert nothing[0].location.line == 4
    # A disjunctive set with one passable dimension allows something; an empty glob list
    # still allows an action that touches no resource.


def test_a_set_that_allows_everything(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """
[agents.empty]
[agents.either]
mode = "disjunctive"
constraints = { cost_limit = 10, data_access = "allow_all" }
[agents.first]
mode = "hierarchical"
priority = ["time_window", "cost_limit"]
constraints = { cost_limit = 10, time_window = "00:00-24:00 Asia/Tokyo" }
[agents.both]
constraints = { cost_limit = 10, data_access = "allow_all" }
""",
    )
    everything = only(report, "set.allows-everything")
    assert [f.location.key_path[1] for f in everything] == ["empty", "either", "first"]
    assert "no constraints" in everything[0].message


def test_a_constraint_that_allows_everything_is_found_by_meaning_not_spelling(
    tmp_path: Path,
) -> None:
    report = check(
        tmp_path,
        """
[agents.a]
constraints = { resources = ["data/**", "**"], cost_limit = 1 }
[agents.b]
constraints = { resources = ["data/**"], cost_limit = 1 }
[agents.c.constraints.communication]
mode = "allowed_domains"
allowed_domains = ["0.0.0.0/1", "128.0.0.0/1", "::/0"]
""",
    )
    broad = only(report, "constraint.allows-everything")
    assert [f.location.key_path for f in broad] == [
        ("agents", "a", "constraints", "resources"),
        ("agents", "c", "constraints", "communication"),
    ]
    assert "every path" in broad[0].message
    assert "restricts nothing" in broad[0].message
    assert "every IP address" in broad[1].message


def test_redundant_constraints(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        """
[roles.r]
constraints = { cost_limit = 100, resources = ["a/**"] }
[agents.x]
role = "r"
constraints = { cost_limit = 500, resources = ["a/b/**"] }
[agents.y]
constraints = { resources = { all_of = [["a/**", "b/**"], ["a/**"]] } }
""",
    )
    redundant = only(report, "constraint.redundant")
    assert [f.location.key_path for f in redundant] == [
        ("agents", "x", "constraints", "cost_limit"),
        ("agents", "y", "constraints", "resources", "all_of", "0"),
    ]
    assert "adds nothing to its role 'r'" in redundant[0].message
    assert "implied by part 1" in redundant[1].message


def test_a_value_outside_the_proved_domain_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Narrow the communication twins to the law twin (4-bit blocks), as a future value
    # that no twin encodes would be.
    entry = CATALOGUE[CommunicationDimension]
    narrow = attrs.evolve(entry.scope(False), twins=(lambda parsed: CommunicationTwin(),))
    monkeypatch.setitem(
        CATALOGUE, CommunicationDimension, attrs.evolve(entry, scope=lambda deep: narrow)
    )  # type: ignore[index]
    report = check(
        tmp_path,
        '[agents.a]\nconstraints = { communication = { mode = "allowed_domains", '
        'allowed_domains = ["::1"] } }\n',
    )
    (finding,) = only(report, "proof.unproved")
    assert finding.level is Level.WARNING
    assert finding.location.line == 3
    assert "no twin of communication encodes" in finding.message


def test_ids_that_print_alike(tmp_path: Path) -> None:
    report = check(tmp_path, "[agents.agent-l]\n[roles.Agent_1]\n[agents.agent-0]\n")
    (finding,) = only(report, "id.lookalike")
    assert finding.location.key_path == ("agents", "agent-l")
    assert "role 'Agent_1'" in finding.message


def test_a_file_error_raises_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cost_limt"):
        check(tmp_path, "[agents.a]\nconstraints = { cost_limt = 1 }\n")


def test_the_research_example_is_clean() -> None:
    report = check_policy(EXAMPLES / "research-assistant.toml")
    assert report.findings == ()
    assert report.command == "check"
    assert report.summary["hops"]["valid"] == 2


def test_the_same_file_gets_the_same_report(tmp_path: Path) -> None:
    path = EXAMPLES / "widening.toml"
    first, second = check_policy(path), check_policy(path)
    assert first == second
