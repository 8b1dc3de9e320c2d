"""PostureAwareAgent(evaluator=...): constraint refusals refused and audited like posture ones."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.fakes import FakeClock, ManualSleep, RecordingAgent
from trust import PostureStateMachine, TrustPosture
from trust.audit import AuditOutcome
from trust.constraints import (
    ConstraintDimensionRegistry,
    InteractionMode,
    MultiDimensionEvaluator,
)
from trust.constraints.builtin import register_builtin_dimensions
from trust.posture_agent import PostureAwareAgent

AGENT = "agent-1"


def evaluator() -> MultiDimensionEvaluator:
    registry = ConstraintDimensionRegistry()
    register_builtin_dimensions(registry)
    return MultiDimensionEvaluator(registry, enable_anti_gaming=False)


def agent_at(posture: TrustPosture, base: RecordingAgent, **options: Any) -> PostureAwareAgent:
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture(AGENT, posture)
    return PostureAwareAgent(base, AGENT, machine, **options)


def test_a_run_within_its_constraints_runs() -> None:
    base = RecordingAgent()
    agent = agent_at(
        TrustPosture.FULL_AUTONOMY, base, evaluator=evaluator(), constraints={"cost_limit": 100}
    )
    assert asyncio.run(agent.run(cost_used=40)) == "done"
    assert base.calls == [{"cost_used": 40}]
    (entry,) = agent.audit_log
    assert entry.outcome is AuditOutcome.EXECUTED


def test_a_constraint_refusal_is_refused_and_audited_like_a_posture_refusal() -> None:
    base = RecordingAgent()
    agent = agent_at(
        TrustPosture.FULL_AUTONOMY, base, evaluator=evaluator(), constraints={"cost_limit": 100}
    )
    with pytest.raises(PermissionError, match=r"constraints refused agent agent-1 .*cost_limit"):
        asyncio.run(agent.run(cost_used=400))
    assert base.calls == []
    blocked = agent_at(TrustPosture.BLOCKED, RecordingAgent())
    with pytest.raises(PermissionError):
        asyncio.run(blocked.run(cost_used=400))
    (refused,) = agent.audit_log
    (posture_refused,) = blocked.audit_log
    assert (refused.action, refused.outcome) == (posture_refused.action, posture_refused.outcome)
    assert refused.outcome is AuditOutcome.REFUSED
    assert refused.error is not None
    assert "cost_limit" in refused.error
    assert refused.kwargs == {"cost_used": 400}


def test_a_missing_context_value_fails_closed() -> None:
    base = RecordingAgent()
    agent = agent_at(
        TrustPosture.SUPERVISED, base, evaluator=evaluator(), constraints={"cost_limit": 100}
    )
    with pytest.raises(PermissionError, match="cost_limit"):
        asyncio.run(agent.run(query="no cost reported"))
    assert base.calls == []


def test_the_interaction_mode_combines_the_verdicts() -> None:
    constraints = {"cost_limit": 100, "resources": ["reports/*"]}
    for mode, runs in ((InteractionMode.CONJUNCTIVE, False), ("disjunctive", True)):
        base = RecordingAgent()
        agent = agent_at(
            TrustPosture.FULL_AUTONOMY,
            base,
            evaluator=evaluator(),
            constraints=constraints,
            interaction_mode=mode,
        )
        context = {"cost_used": 10, "resource_requested": "secrets/key"}
        if runs:
            assert asyncio.run(agent.run(**context)) == "done"
        else:
            with pytest.raises(PermissionError, match=r"\(conjunctive\): resources"):
                asyncio.run(agent.run(**context))
        assert (base.calls == [context]) is runs


def test_the_check_is_of_the_approved_arguments_and_comes_after_the_approval() -> None:
    asked: list[dict[str, Any]] = []

    class Approver:
        async def request_approval(
            self, agent_id: str, action_description: str, kwargs: dict[str, Any]
        ) -> bool:
            asked.append(kwargs)
            return True

    base = RecordingAgent()
    agent = agent_at(
        TrustPosture.HUMAN_DECIDES,
        base,
        approval_handler=Approver(),
        evaluator=evaluator(),
        constraints={"cost_limit": 100},
    )
    with pytest.raises(PermissionError, match="cost_limit"):
        asyncio.run(agent.run(cost_used=101))
    assert asked == [{"cost_used": 101}]
    assert base.calls == []


def test_an_assisted_run_refused_by_its_constraints_after_the_cancel_window() -> None:
    sleep = ManualSleep()
    base = RecordingAgent()
    agent = agent_at(
        TrustPosture.ASSISTED,
        base,
        evaluator=evaluator(),
        constraints={"cost_limit": 100},
        sleep=sleep,
        assisted_delay_seconds=1,
    )

    async def main() -> None:
        task = asyncio.ensure_future(agent.run(cost_used=500))
        await asyncio.sleep(0)
        agent.release_pending()
        with pytest.raises(PermissionError, match="cost_limit"):
            await task

    asyncio.run(main())
    assert base.calls == []
    assert [e.outcome for e in agent.audit_log] == [AuditOutcome.REFUSED]


def test_an_evaluator_that_raises_refuses_the_run() -> None:
    class Broken(MultiDimensionEvaluator):
        def evaluate(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("evaluator down")

    registry = ConstraintDimensionRegistry()
    base = RecordingAgent()
    agent = agent_at(TrustPosture.FULL_AUTONOMY, base, evaluator=Broken(registry), constraints={})
    with pytest.raises(
        PermissionError, match="constraint evaluation raised RuntimeError: evaluator down"
    ):
        asyncio.run(agent.run())
    assert base.calls == []
    assert agent.audit_log[0].outcome is AuditOutcome.REFUSED


def test_the_constraint_set_is_copied_when_the_agent_is_built() -> None:
    constraints: dict[str, Any] = {"cost_limit": 100}
    base = RecordingAgent()
    agent = agent_at(
        TrustPosture.FULL_AUTONOMY, base, evaluator=evaluator(), constraints=constraints
    )
    constraints["cost_limit"] = 10_000
    with pytest.raises(PermissionError):
        asyncio.run(agent.run(cost_used=500))


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"constraints": {"cost_limit": 1}}, ValueError, "constraints must come with an evaluator"),
        ({"evaluator": "ev"}, ValueError, "evaluator must come with constraints"),
        (
            {"evaluator": object(), "constraints": {}},
            TypeError,
            "evaluator must be a MultiDimensionEvaluator, got <object",
        ),
        (
            {"evaluator": None, "constraints": None, "interaction_mode": "sideways"},
            None,
            "",
        ),
        (
            {"evaluator": "real", "constraints": ["cost_limit"]},
            TypeError,
            r"constraints must be a mapping of dimension names to values, got \['cost_limit'\]",
        ),
        (
            {"evaluator": "real", "constraints": {1: 2}},
            TypeError,
            "constraints must be a mapping of dimension names",
        ),
        (
            {"evaluator": "real", "constraints": {}, "interaction_mode": "sideways"},
            ValueError,
            "interaction_mode must be an InteractionMode",
        ),
    ],
)
def test_bad_constraint_configuration_is_refused_at_construction(
    options: dict[str, Any], error: type[Exception] | None, message: str
) -> None:
    if options.get("evaluator") == "real":
        options = {**options, "evaluator": evaluator()}
    machine = PostureStateMachine()
    if error is None:  # no evaluator: the mode is not read
        PostureAwareAgent(RecordingAgent(), AGENT, machine, **options)
        return
    with pytest.raises(error, match=message):
        PostureAwareAgent(RecordingAgent(), AGENT, machine, **options)
