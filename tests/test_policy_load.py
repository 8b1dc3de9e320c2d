"""`load_policy`: one call from a policy file to the runtime objects a deployment uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import trust
from tests.fakes import FakeClock
from trust import CircuitBreakerConfig, InteractionMode, PostureTransition, TrustPosture
from trust.constraints import ConstraintCheckResult, ConstraintDimension, ConstraintValue
from trust.policy import REQUESTER, PolicyError, load_policy, read_policy

EXAMPLES = Path(__file__).parent.parent / "examples"


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class MaxTokens(ConstraintDimension):
    """A custom dimension: at most ``limit`` tokens."""

    @property
    def name(self) -> str:
        return "max_tokens"

    @property
    def description(self) -> str:
        return "at most this many tokens"

    def parse(self, value: Any) -> ConstraintValue:
        if type(value) is not int or value < 0:
            raise ValueError(f"max_tokens must be a non-negative int, got {value!r}")
        return ConstraintValue(dimension=self.name, raw_value=value, parsed=value)

    def check(self, constraint: ConstraintValue, context: dict[str, Any]) -> ConstraintCheckResult:
        tokens = context.get("tokens")
        ok = type(tokens) is int and 0 <= tokens <= constraint.parsed
        return ConstraintCheckResult(satisfied=ok, reason=f"tokens {tokens!r}")


def test_load_policy_is_exported_from_trust() -> None:
    assert trust.load_policy is load_policy
    assert "load_policy" in trust.__all__
    assert "PolicyError" in trust.__all__


def test_the_research_example_loads_into_evaluator_machine_and_breakers() -> None:
    policy = load_policy(EXAMPLES / "research-assistant.toml", clock=FakeClock())
    assert set(policy.spec.agents) == {"researcher", "web-browser", "code-runner"}
    assert policy.machine.get_posture("researcher") is TrustPosture.ASSISTED
    assert policy.machine.get_posture("code-runner") is TrustPosture.HUMAN_DECIDES
    assert policy.machine.get_posture("not-in-the-file") is TrustPosture.SUPERVISED
    assert set(policy.breakers) == {"researcher", "web-browser", "code-runner"}
    assert policy.breakers["web-browser"].config.downgrade_on_open is TrustPosture.BLOCKED
    assert policy.breakers["web-browser"].posture_machine is policy.machine
    chosen = policy.constraints("code-runner")
    assert chosen.mode is InteractionMode.CONJUNCTIVE
    assert chosen.constraints["communication"] == "none"


def test_initial_postures_are_recorded_administrative_changes() -> None:
    policy = load_policy(EXAMPLES / "research-assistant.toml", clock=FakeClock())
    history = policy.machine.get_transition_history("researcher")
    assert len(history) == 1
    entry = history[0]
    assert entry.to_posture is TrustPosture.ASSISTED
    assert entry.administrative is True
    assert entry.requester_id == REQUESTER
    assert "research-assistant.toml" in entry.reason


def test_evaluate_uses_the_agents_set_and_mode(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        version = 1
        [agents.a]
        mode = "disjunctive"
        constraints = { cost_limit = 10, resources = ["docs/**"] }
        """,
    )
    policy = load_policy(path)
    # Disjunctive: one passing dimension is enough.
    assert policy.evaluate("a", {"cost_used": 50, "resource_requested": "docs/x"}).satisfied
    assert not policy.evaluate("a", {"cost_used": 50, "resource_requested": "src/x"}).satisfied


def test_an_agent_the_policy_does_not_name_is_refused_not_raised(tmp_path: Path) -> None:
    policy = load_policy(
        write(tmp_path, "version = 1\n[agents.a]\nconstraints = { cost_limit = 1 }\n")
    )
    result = policy.evaluate("stranger", {"cost_used": 0})
    assert result.satisfied is False
    assert "not in the policy" in result.warnings[0]
    with pytest.raises(ValueError, match="agent_id must be an agent of the policy"):
        policy.constraints("stranger")


def test_dimension_settings_reach_the_registry(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        version = 1
        [dimensions.communication]
        internal_domains = ["corp.example"]
        [agents.a]
        constraints = { communication = "internal_only" }
        """,
    )
    policy = load_policy(path)
    assert policy.evaluate("a", {"communication_target": "wiki.corp.example"}).satisfied
    # The default rule (a label 'internal') is replaced, not added to.
    assert not policy.evaluate("a", {"communication_target": "api.internal.example.com"}).satisfied


def test_an_agent_with_a_role_is_held_to_both_sets() -> None:
    policy = load_policy(EXAMPLES / "roles.toml", clock=FakeClock())
    chosen = policy.constraints("triage-us")
    assert chosen.mode is InteractionMode.CONJUNCTIVE
    # Its own narrower resources replace the role's; its time window is added.
    assert chosen.constraints["resources"] == ["tickets/us/**"]
    assert "time_window" in chosen.constraints
    assert chosen.constraints["data_access"] == "internal_only"
    # Breaker fields: the role's, one overridden by the agent's.
    config = policy.breakers["triage-us"].config
    assert config == CircuitBreakerConfig(failure_threshold=3, recovery_timeout=120)
    assert policy.breakers["triage-eu"].config.failure_threshold == 5
    assert policy.machine.get_posture("triage-eu") is TrustPosture.SUPERVISED


def test_a_role_and_an_agent_values_that_overlap_are_composed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        version = 1
        [roles.r]
        constraints = { resources = ["a/**", "b/**"] }
        [agents.x]
        role = "r"
        constraints = { resources = ["b/**", "c/**"] }
        """,
    )
    policy = load_policy(path)
    assert policy.evaluate("x", {"resource_requested": "b/1"}).satisfied
    assert not policy.evaluate("x", {"resource_requested": "a/1"}).satisfied
    assert not policy.evaluate("x", {"resource_requested": "c/1"}).satisfied


def test_hierarchical_sets_follow_priority_not_table_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        version = 1
        [agents.a]
        mode = "hierarchical"
        priority = ["cost_limit", "data_access"]
        constraints = { data_access = "no_pii", cost_limit = 100 }
        """,
    )
    chosen = load_policy(path).constraints("a")
    assert list(chosen.constraints) == ["cost_limit", "data_access"]
    policy = load_policy(path)
    # The first dimension (cost_limit) decides.
    assert policy.evaluate("a", {"cost_used": 5, "contains_pii": True}).satisfied


def test_custom_dimensions_come_as_code_and_stay_pending_without_a_reviewer(
    tmp_path: Path,
) -> None:
    text = """
        version = 1
        [dimensions.max_tokens]
        custom = true
        {reviewer}
        [agents.a]
        constraints = {{ max_tokens = 100 }}
        """
    pending = load_policy(
        write(tmp_path, text.format(reviewer=""), "p.toml"), dimensions=[MaxTokens()]
    )
    assert pending.registry.is_pending("max_tokens")
    assert not pending.evaluate("a", {"tokens": 5}).satisfied
    approved = load_policy(
        write(tmp_path, text.format(reviewer='reviewed_by = "sec-team"'), "a.toml"),
        dimensions=[MaxTokens()],
    )
    assert approved.registry.reviewer("max_tokens") == "sec-team"
    assert approved.evaluate("a", {"tokens": 5}).satisfied
    assert not approved.evaluate("a", {"tokens": 500}).satisfied


def test_a_declared_custom_dimension_without_code_is_a_policy_error(tmp_path: Path) -> None:
    path = write(tmp_path, "version = 1\n[dimensions.max_tokens]\ncustom = true\n")
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    (problem,) = raised.value.problems
    assert problem.rule == "policy.missing-dimension"
    assert problem.location.line == 2
    # Reading it without building the runtime works: check has no code either.
    assert "max_tokens" in read_policy(path).custom


def test_code_for_an_undeclared_or_builtin_dimension_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "version = 1\n")
    with pytest.raises(ValueError, match="undeclared"):
        load_policy(path, dimensions=[MaxTokens()])
    with pytest.raises(TypeError, match="ConstraintDimension"):
        load_policy(path, dimensions=["max_tokens"])  # type: ignore[list-item]


def test_defaults_set_the_machine(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[defaults]\nposture = "blocked"\nrequire_upgrade_approval = false\n',
    )
    path.write_text("version = 1\n" + path.read_text())
    policy = load_policy(path)
    assert policy.machine.default_posture is TrustPosture.BLOCKED
    assert policy.machine.require_upgrade_approval is False
    upgrade = policy.machine.transition(
        trust.PostureTransitionRequest(
            agent_id="a", from_posture="blocked", to_posture="supervised", reason="test"
        )
    )
    assert upgrade.transition_type is PostureTransition.UPGRADE
    assert upgrade.success


def test_path_must_be_a_str_or_a_path() -> None:
    with pytest.raises(TypeError, match="path must be a str or a Path"):
        load_policy(b"policy.toml")  # type: ignore[arg-type]
