"""Every posture example of the user guide, run unchanged apart from the import.

Each guide code block is its own test; where a block uses names an earlier block defined,
the test repeats only that set-up.
"""

from __future__ import annotations

import pytest

from trust import PostureStateMachine, TrustPosture
from trust.postures import (
    PostureTransition,
    PostureTransitionRequest,
    TransitionGuard,
    TransitionResult,
)


def test_postures_are_comparable_by_autonomy_level() -> None:
    assert TrustPosture.FULL_AUTONOMY > TrustPosture.SUPERVISED
    assert TrustPosture.BLOCKED < TrustPosture.HUMAN_DECIDES

    posture = TrustPosture.SUPERVISED
    assert posture.can_upgrade_to(TrustPosture.FULL_AUTONOMY)
    assert posture.can_downgrade_to(TrustPosture.BLOCKED)


def test_basic_usage() -> None:
    machine = PostureStateMachine(
        default_posture=TrustPosture.SUPERVISED,
        require_upgrade_approval=True,
    )
    machine.set_posture("agent-001", TrustPosture.SUPERVISED)
    posture = machine.get_posture("agent-001")
    assert posture is TrustPosture.SUPERVISED


@pytest.fixture
def machine() -> PostureStateMachine:
    machine = PostureStateMachine(
        default_posture=TrustPosture.SUPERVISED, require_upgrade_approval=True
    )
    machine.set_posture("agent-001", TrustPosture.SUPERVISED)
    return machine


def test_requesting_an_upgrade(
    machine: PostureStateMachine, capsys: pytest.CaptureFixture[str]
) -> None:
    request = PostureTransitionRequest(
        agent_id="agent-001",
        from_posture=TrustPosture.SUPERVISED,
        to_posture=TrustPosture.FULL_AUTONOMY,
        reason="Agent has proven reliable over 30 days",
        requester_id="admin-001",  # Required for upgrades
    )

    result: TransitionResult = machine.transition(request)

    if result.success:
        print(f"Upgraded to {result.to_posture.value}")
    else:
        print(f"Blocked by: {result.blocked_by}")
        print(f"Reason: {result.reason}")

    assert capsys.readouterr().out == "Upgraded to full_autonomy\n"
    assert machine.get_posture("agent-001") is TrustPosture.FULL_AUTONOMY


def test_transition_types_are_the_guides() -> None:
    assert [t.name for t in PostureTransition] == [
        "UPGRADE",
        "DOWNGRADE",
        "MAINTAIN",
        "EMERGENCY_DOWNGRADE",
    ]


def test_custom_security_guard_blocks_upgrade_without_approval(
    machine: PostureStateMachine,
) -> None:
    security_guard = TransitionGuard(
        name="security_team_approval",
        check_fn=lambda req: (
            req.metadata.get("security_approved", False)
            if req.to_posture > TrustPosture.SUPERVISED
            else True
        ),
        applies_to=[PostureTransition.UPGRADE],
        reason_on_failure="Security team approval required for high autonomy",
    )

    machine.add_guard(security_guard)

    request = PostureTransitionRequest(
        agent_id="agent-001",
        from_posture=TrustPosture.SUPERVISED,
        to_posture=TrustPosture.FULL_AUTONOMY,
        requester_id="admin-001",
        metadata={},  # Missing security_approved
    )
    result = machine.transition(request)
    assert not result.success
    assert result.blocked_by == "security_team_approval"
    assert result.reason == "Security team approval required for high autonomy"


def test_emergency_downgrade(machine: PostureStateMachine) -> None:
    result = machine.emergency_downgrade(
        agent_id="agent-001",
        reason="Detected anomalous behavior pattern",
        requester_id="security-bot",
    )

    assert machine.get_posture("agent-001") == TrustPosture.BLOCKED
    assert result.success
    assert result.transition_type is PostureTransition.EMERGENCY_DOWNGRADE


def test_querying_transition_history(
    machine: PostureStateMachine, capsys: pytest.CaptureFixture[str]
) -> None:
    machine.transition(
        PostureTransitionRequest(
            agent_id="agent-001",
            from_posture=TrustPosture.SUPERVISED,
            to_posture=TrustPosture.FULL_AUTONOMY,
            requester_id=None,
        )
    )
    machine.emergency_downgrade("agent-001", reason="incident", requester_id="security-bot")

    history = machine.get_transition_history(agent_id="agent-001", limit=10)

    for result in history:
        print(f"{result.timestamp}: {result.from_posture.value} -> {result.to_posture.value}")
        print(f"  Type: {result.transition_type.value}")
        print(f"  Success: {result.success}")
        if not result.success:
            print(f"  Blocked by: {result.blocked_by}")

    out = capsys.readouterr().out
    assert [r.transition_type for r in history] == [
        PostureTransition.MAINTAIN,  # the administrative set_posture of the fixture
        PostureTransition.UPGRADE,
        PostureTransition.EMERGENCY_DOWNGRADE,
    ]
    assert "supervised -> full_autonomy" in out
    assert "Blocked by: upgrade_approval_required" in out
    assert out.count("Success: False") == 1


def test_multi_tenant_posture_management() -> None:
    class MultiTenantPostureManager:
        """Manages postures across multiple tenants."""

        def __init__(self) -> None:
            self._machines: dict[str, PostureStateMachine] = {}

        def get_machine(self, tenant_id: str) -> PostureStateMachine:
            if tenant_id not in self._machines:
                machine = PostureStateMachine(
                    default_posture=TrustPosture.SUPERVISED,
                    require_upgrade_approval=True,
                )

                machine.add_guard(
                    TransitionGuard(
                        name=f"tenant_{tenant_id}_policy",
                        check_fn=lambda req: self._check_tenant_policy(tenant_id, req),
                        applies_to=[PostureTransition.UPGRADE],
                        reason_on_failure=f"Tenant {tenant_id} policy violation",
                    )
                )

                self._machines[tenant_id] = machine

            return self._machines[tenant_id]

        def _check_tenant_policy(self, tenant_id: str, request: object) -> bool:
            return True

    manager = MultiTenantPostureManager()

    tenant_a_machine = manager.get_machine("tenant-a")
    tenant_a_machine.set_posture("agent-001", TrustPosture.FULL_AUTONOMY)

    tenant_b_machine = manager.get_machine("tenant-b")
    tenant_b_machine.set_posture("agent-002", TrustPosture.SUPERVISED)

    assert tenant_a_machine.get_posture("agent-001") is TrustPosture.FULL_AUTONOMY
    assert tenant_b_machine.get_posture("agent-001") is TrustPosture.SUPERVISED
    assert tenant_a_machine.list_guards() == ["upgrade_approval_required", "tenant_tenant-a_policy"]
    assert manager.get_machine("tenant-a") is tenant_a_machine
