"""TrustPostureMapper: fail-closed mapping of verification results to postures."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from trust import TrustPosture
from trust.postures import PostureConstraints, PostureResult, TrustPostureMapper


def verification(valid: object = True, **constraints: object) -> SimpleNamespace:
    return SimpleNamespace(valid=valid, reason="checked", constraints=constraints, agent_id="a")


@pytest.mark.parametrize("valid", [False, None, "true", 1, "yes"])
def test_only_a_real_true_is_valid(valid: object) -> None:
    result = TrustPostureMapper().map_verification_result(verification(valid))
    assert result.posture is TrustPosture.BLOCKED
    assert TrustPostureMapper().map_to_posture(is_valid=valid).posture is TrustPosture.BLOCKED  # type: ignore[arg-type]


def test_missing_result_is_blocked() -> None:
    result = TrustPostureMapper().map_verification_result(None)
    assert (result.posture, result.reason) == (
        TrustPosture.BLOCKED,
        "No verification result provided",
    )


def test_malformed_constraints_are_blocked() -> None:
    result = TrustPostureMapper().map_verification_result(
        SimpleNamespace(valid=True, constraints=["approval_required"])
    )
    assert result.posture is TrustPosture.BLOCKED
    assert "constraints must be a mapping" in result.reason


@pytest.mark.parametrize(
    ("capability", "sensitive"),
    [
        ("delete", True),
        ("DELETE", True),
        (" delete ", True),
        ("undelete_preview", False),
        ("delete_all_later", False),
        ("modify_config", True),
        ("", False),
        (None, False),
    ],
)
def test_capabilities_match_by_exact_name(capability: str | None, sensitive: bool) -> None:
    mapper = TrustPostureMapper()
    result = mapper.map_verification_result(
        verification(trust_level="high"), requested_capability=capability
    )
    assert (result.posture is TrustPosture.SUPERVISED) is sensitive
    assert result.constraints.audit_required is sensitive
    assert (result.constraints.require_human_approval_for is not None) is sensitive


@pytest.mark.parametrize(("tool", "risky"), [("write_file", True), ("write_file_preview", False)])
def test_tools_match_by_exact_name(tool: str, risky: bool) -> None:
    result = TrustPostureMapper().map_verification_result(
        verification(trust_level="full"), requested_tool=tool
    )
    expected = TrustPosture.SUPERVISED if risky else TrustPosture.FULL_AUTONOMY
    assert result.posture is expected


@pytest.mark.parametrize(
    ("constraints", "posture"),
    [
        ({"approval_required": True}, TrustPosture.HUMAN_DECIDES),
        ({"human_in_loop": True, "trust_level": "full"}, TrustPosture.HUMAN_DECIDES),
        ({"audit_required": True}, TrustPosture.ASSISTED),
        ({"audit_required": True, "trust_level": "low"}, TrustPosture.SUPERVISED),
        ({"trust_level": "high"}, TrustPosture.FULL_AUTONOMY),
        ({"trust_level": "HIGH-ish"}, TrustPosture.SUPERVISED),
        ({}, TrustPosture.SUPERVISED),
    ],
)
def test_posture_from_constraints(constraints: dict[str, object], posture: TrustPosture) -> None:
    assert (
        TrustPostureMapper().map_verification_result(verification(**constraints)).posture is posture
    )


def test_custom_lists_and_default() -> None:
    mapper = TrustPostureMapper(
        default_posture=TrustPosture.HUMAN_DECIDES,
        sensitive_capabilities=["Wire_Transfer"],
        high_risk_tools=[],
    )
    assert mapper.map_verification_result(verification()).posture is TrustPosture.HUMAN_DECIDES
    assert (
        mapper.map_verification_result(verification(), requested_capability="wire_transfer").posture
        is TrustPosture.SUPERVISED
    )
    assert (
        mapper.map_verification_result(verification(), requested_tool="bash_command").posture
        is TrustPosture.HUMAN_DECIDES
    )


@pytest.mark.parametrize(
    ("kwargs", "posture"),
    [
        ({"is_valid": True, "approval_required": True}, TrustPosture.HUMAN_DECIDES),
        ({"is_valid": True, "trust_level": "low"}, TrustPosture.SUPERVISED),
        ({"is_valid": True, "audit_required": True}, TrustPosture.ASSISTED),
        (
            {"is_valid": True, "audit_required": True, "trust_level": "weird"},
            TrustPosture.SUPERVISED,
        ),
        ({"is_valid": True, "trust_level": "full"}, TrustPosture.FULL_AUTONOMY),
        ({"is_valid": True}, TrustPosture.SUPERVISED),
    ],
)
def test_map_to_posture(kwargs: dict[str, object], posture: TrustPosture) -> None:
    assert TrustPostureMapper().map_to_posture(**kwargs).posture is posture  # type: ignore[arg-type]


def test_results_serialise() -> None:
    result = PostureResult(
        posture="assisted",
        constraints=PostureConstraints(audit_required=True, allowed_capabilities=["read"]),
        reason="r",
    )
    assert result.to_dict() == {
        "posture": "assisted",
        "constraints": {
            "audit_required": True,
            "approval_required": False,
            "log_level": "info",
            "allowed_capabilities": ["read"],
            "blocked_capabilities": None,
            "max_actions_before_review": None,
            "require_human_approval_for": None,
            "metadata": {},
        },
        "reason": "r",
        "verification_details": {},
    }
