"""TrustPostureMapper: fail-closed mapping of verification results to postures."""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace

import pytest

from tests.hostile import LyingStr
from trust import TrustPosture
from trust.postures import (
    PostureConstraints,
    PostureResult,
    TrustPostureMapper,
    get_posture_for_action,
    map_verification_to_posture,
)


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
    assert result.reason == "constraints must be a mapping, got ['approval_required']"
    assert result.verification_details == {"constraints": ["approval_required"]}


@pytest.mark.parametrize(
    ("capability", "sensitive"),
    [
        ("delete", True),
        ("DELETE", True),
        (" delete ", True),
        ("undelete_preview", False),
        ("delete_all_later", True),
        ("modify_config", True),
        ("", False),
        (None, False),
    ],
)
def test_capabilities_match_by_word_sequence(capability: str | None, sensitive: bool) -> None:
    mapper = TrustPostureMapper()
    result = mapper.map_verification_result(
        verification(trust_level="high"), requested_capability=capability
    )
    assert (result.posture is TrustPosture.SUPERVISED) is sensitive
    assert result.constraints.audit_required is sensitive
    assert (result.constraints.require_human_approval_for is not None) is sensitive


@pytest.mark.parametrize(
    ("tool", "risky"),
    [("write_file", True), ("write_file_preview", True), ("rewrite_file", False)],
)
def test_tools_match_by_word_sequence(tool: str, risky: bool) -> None:
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
    # Sensitive, but the default is lower still: the rule never raises autonomy.
    sensitive = mapper.map_verification_result(verification(), requested_capability="wire_transfer")
    assert sensitive.posture is TrustPosture.HUMAN_DECIDES
    assert sensitive.constraints.audit_required is True
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
    lists = PostureConstraints(
        allowed_capabilities=("read",),
        blocked_capabilities=["delete"],
        require_human_approval_for=["wire"],
    ).to_dict()
    assert (
        lists["allowed_capabilities"],
        lists["blocked_capabilities"],
        lists["require_human_approval_for"],
    ) == (["read"], ["delete"], ["wire"])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: PostureConstraints(allowed_capabilities="read"),
            "expected a list of names, got 'read'",
        ),
        (lambda: PostureConstraints(blocked_capabilities=5), "expected a list of names, got 5"),
        (lambda: PostureConstraints(require_human_approval_for=["ok", 5]), "^name must be"),
        (lambda: PostureConstraints(metadata=["x"]), "^metadata must be"),
        (lambda: PostureResult(posture="nowhere"), "^posture must be one of"),
        (
            lambda: PostureResult(posture="blocked", verification_details=1),
            "^verification_details must",
        ),
        (lambda: TrustPostureMapper(default_posture="nowhere"), "^default_posture must be one of"),
        (lambda: TrustPostureMapper(default_posture=5), "^default_posture must be a TrustPosture"),
    ],
)
def test_malformed_values_are_refused_naming_the_field(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kwargs", "posture", "audit", "approval", "reason"),
    [
        ({"is_valid": False}, TrustPosture.BLOCKED, False, False, "Access denied"),
        (
            {"is_valid": True, "approval_required": True},
            TrustPosture.HUMAN_DECIDES,
            True,
            True,
            "Human approval required",
        ),
        (
            {"is_valid": True, "trust_level": "none"},
            TrustPosture.SUPERVISED,
            True,
            False,
            "Low trust level requires supervision",
        ),
        (
            {"is_valid": True, "audit_required": True, "trust_level": "high"},
            TrustPosture.ASSISTED,
            True,
            False,
            "Assisted mode with audit logging",
        ),
        (
            {"is_valid": True, "audit_required": True, "trust_level": "weird"},
            TrustPosture.SUPERVISED,
            True,
            False,
            "Audit logging required",
        ),
        (
            {"is_valid": True, "trust_level": "high"},
            TrustPosture.FULL_AUTONOMY,
            False,
            False,
            "High trust level",
        ),
        (
            {"is_valid": True, "trust_level": "weird"},
            TrustPosture.SUPERVISED,
            False,
            False,
            "Default posture (supervised)",
        ),
    ],
)
def test_map_to_posture_gives_the_obligations_and_the_reason(
    kwargs: dict[str, object], posture: TrustPosture, audit: bool, approval: bool, reason: str
) -> None:
    mapper = TrustPostureMapper()
    result = mapper.map_to_posture(**kwargs)  # type: ignore[arg-type]
    assert (result.posture, result.reason) == (posture, reason)
    assert result.constraints == PostureConstraints(
        audit_required=audit, approval_required=approval
    )
    # A reason the caller gives replaces the default one, whatever the posture.
    assert mapper.map_to_posture(**kwargs, reason="ticket 7").reason == "ticket 7"  # type: ignore[arg-type]


def test_map_to_posture_defaults_to_normal_trust() -> None:
    # "normal" is neither low nor high: with an audit it is assisted, without one the default.
    mapper = TrustPostureMapper(default_posture=TrustPosture.HUMAN_DECIDES)
    assert mapper.map_to_posture(is_valid=True).posture is TrustPosture.HUMAN_DECIDES
    assert mapper.map_to_posture(is_valid=True, audit_required=True).posture is (
        TrustPosture.ASSISTED
    )


@pytest.mark.parametrize(
    ("constraints", "capability", "posture", "audit", "approval", "reason"),
    [
        (
            {"approval_required": True},
            None,
            TrustPosture.HUMAN_DECIDES,
            False,
            True,
            "Human approval required",
        ),
        (
            {"human_in_loop": 1, "audit_required": "yes"},
            None,
            TrustPosture.HUMAN_DECIDES,
            True,
            False,
            "Human approval required",
        ),
        (
            {"trust_level": "full"},
            "delete",
            TrustPosture.SUPERVISED,
            True,
            False,
            "Sensitive capability or high-risk tool",
        ),
        (
            {"audit_required": True, "trust_level": "full"},
            None,
            TrustPosture.ASSISTED,
            True,
            False,
            "Assisted mode with audit logging",
        ),
        (
            {"audit_required": True, "trust_level": "none"},
            None,
            TrustPosture.SUPERVISED,
            True,
            False,
            "Audit logging required",
        ),
        (
            {"trust_level": "full"},
            None,
            TrustPosture.FULL_AUTONOMY,
            False,
            False,
            "High trust level",
        ),
        ({}, None, TrustPosture.SUPERVISED, False, False, "Default posture (supervised)"),
    ],
)
def test_map_verification_result_gives_the_obligations_and_the_reason(
    constraints: dict[str, object],
    capability: str | None,
    posture: TrustPosture,
    audit: bool,
    approval: bool,
    reason: str,
) -> None:
    checked = verification(**constraints)
    result = TrustPostureMapper().map_verification_result(checked, requested_capability=capability)
    assert (result.posture, result.reason) == (posture, reason)
    assert result.constraints.audit_required is audit
    assert result.constraints.approval_required is approval
    assert result.constraints.metadata == constraints
    assert result.verification_details == {"agent_id": "a", "constraints": constraints}


def test_a_sensitive_capability_logs_warnings_and_names_what_needs_a_human() -> None:
    mapper = TrustPostureMapper(sensitive_capabilities=["Wire_Transfer", " delete "])
    sensitive = mapper.map_verification_result(verification(), requested_capability="DELETE")
    assert sensitive.constraints.log_level == "warning"
    assert sensitive.constraints.require_human_approval_for == ("delete", "wire_transfer")
    risky = mapper.map_verification_result(verification(), requested_tool="bash_command")
    assert (risky.posture, risky.constraints.log_level) == (TrustPosture.SUPERVISED, "info")
    assert risky.constraints.audit_required is True
    assert risky.constraints.require_human_approval_for is None


def test_a_refusal_keeps_the_reason_and_the_details() -> None:
    checked = SimpleNamespace(
        valid=False,
        reason="chain expired",
        action="read",
        trust_chain_id="c1",
        timestamp="t",
        unrelated="x",
    )
    result = TrustPostureMapper().map_verification_result(checked)
    assert (result.posture, result.reason) == (TrustPosture.BLOCKED, "chain expired")
    assert result.verification_details == {
        "action": "read",
        "trust_chain_id": "c1",
        "timestamp": "t",
    }
    for unusable in ("", None, 3):
        checked = SimpleNamespace(valid=False, reason=unusable)
        assert TrustPostureMapper().map_verification_result(checked).reason == "Verification failed"
    assert TrustPostureMapper().map_verification_result(SimpleNamespace()).posture is (
        TrustPosture.BLOCKED
    )


def test_missing_constraints_are_no_constraints() -> None:
    result = TrustPostureMapper().map_verification_result(SimpleNamespace(valid=True))
    assert (result.posture, result.constraints) == (TrustPosture.SUPERVISED, PostureConstraints())


# --- word-sequence matching (issue 16) --------------------------------------------------


def test_a_listed_capability_catches_longer_names_built_on_it() -> None:
    """Issue 16: ``delete_records`` with ``["delete"]`` and high trust gave FULL_AUTONOMY."""
    mapper = TrustPostureMapper(sensitive_capabilities=["delete"])
    result = mapper.map_verification_result(
        verification(trust_level="high"), requested_capability="delete_records"
    )
    assert result.posture is TrustPosture.SUPERVISED
    assert result.constraints.audit_required is True
    assert result.constraints.require_human_approval_for == ("delete",)


@pytest.mark.parametrize(
    ("capability", "sensitive"),
    [
        ("delete_records", True),
        ("http_delete_request", True),
        ("records-delete", True),
        ("records.delete", True),
        ("api/delete/all", True),
        ("delete records", True),
        ("deleteRecords", True),
        ("HTTPDeleteRequest", True),
        ("Delete", True),
        # Any punctuation separates words, and so does a letter-digit boundary: a name
        # glued by ':' '+' '@' '|' '(' ... must not hide a listed word (review, fail open).
        ("db:delete", True),
        ("fs::delete", True),
        ("rm+delete", True),
        ("delete@prod", True),
        ("delete|force", True),
        ("(delete)", True),
        ("'delete'", True),
        ("delete\\file", True),
        ("delete2", True),
        ("v2delete", True),
        ("undelete_preview", False),
        ("deleted_records", False),
        ("records_deleter", False),
        ("read_records", False),
    ],
)
def test_word_sequence_matching_splits_separators_and_camel_case(
    capability: str, sensitive: bool
) -> None:
    mapper = TrustPostureMapper(sensitive_capabilities=["delete"], high_risk_tools=[])
    result = mapper.map_verification_result(
        verification(trust_level="full"), requested_capability=capability
    )
    expected = TrustPosture.SUPERVISED if sensitive else TrustPosture.FULL_AUTONOMY
    assert result.posture is expected


@pytest.mark.parametrize(
    ("tool", "risky"),
    [
        ("http_delete", True),
        ("http_delete_request", True),
        ("httpDeleteBatch", True),
        ("v2.http-delete", True),
        ("http_get_then_delete", False),  # the words must be next to each other, in order
        ("delete_http", False),
    ],
)
def test_multi_word_names_match_as_a_contiguous_sequence(tool: str, risky: bool) -> None:
    mapper = TrustPostureMapper(sensitive_capabilities=[], high_risk_tools=["HTTP_Delete"])
    result = mapper.map_verification_result(verification(trust_level="full"), requested_tool=tool)
    expected = TrustPosture.SUPERVISED if risky else TrustPosture.FULL_AUTONOMY
    assert result.posture is expected


@pytest.mark.parametrize("default", list(TrustPosture))
def test_the_sensitive_rule_never_raises_autonomy_above_the_default(
    default: TrustPosture,
) -> None:
    mapper = TrustPostureMapper(default_posture=default)
    for trust_level in ("none", "low", "normal", "weird"):
        plain = mapper.map_verification_result(verification(trust_level=trust_level))
        for capability in ("delete", "delete_records"):
            sensitive = mapper.map_verification_result(
                verification(trust_level=trust_level), requested_capability=capability
            )
            assert sensitive.posture <= plain.posture
            assert sensitive.posture <= TrustPosture.SUPERVISED


@pytest.mark.parametrize(
    ("requested", "message"),
    [
        (b"delete", "requested_capability must be a string, got b'delete'"),
        (7, "requested_capability must be a string, got 7"),
        ("delete\nrecords", "requested_capability must not hold control or invisible"),
        ("d\u0435lete_records", "requested_capability must be"),  # Cyrillic e
        ("x" * 257, "requested_capability must be at most 256 characters"),
    ],
)
def test_a_capability_name_that_cannot_be_read_is_blocked(requested: object, message: str) -> None:
    mapper = TrustPostureMapper(sensitive_capabilities=["delete"])
    result = mapper.map_verification_result(
        verification(trust_level="high"),
        requested_capability=requested,  # type: ignore[arg-type]
    )
    assert result.posture is TrustPosture.BLOCKED
    assert result.reason.startswith(message)
    assert result.verification_details["agent_id"] == "a"


def test_a_tool_name_that_cannot_be_read_is_blocked() -> None:
    result = TrustPostureMapper().map_verification_result(
        verification(trust_level="high"),
        requested_tool=["bash_command"],  # type: ignore[arg-type]
    )
    assert result.posture is TrustPosture.BLOCKED
    assert result.reason == "requested_tool must be a string, got ['bash_command']"


def test_a_str_subclass_is_matched_by_what_it_holds() -> None:
    class Innocent(str):
        __slots__ = ()

        def lower(self) -> str:  # type: ignore[override]
            return "read"

        def split(self, *args: object, **kwargs: object) -> list[str]:  # type: ignore[override]
            return ["read"]

        def __eq__(self, other: object) -> bool:
            return False

        def __hash__(self) -> int:
            return 0

    mapper = TrustPostureMapper(sensitive_capabilities=["delete"])
    result = mapper.map_verification_result(
        verification(trust_level="high"), requested_capability=Innocent("Delete_Records")
    )
    assert result.posture is TrustPosture.SUPERVISED


def test_a_lying_trust_level_is_not_a_known_word() -> None:
    result = TrustPostureMapper().map_verification_result(
        verification(trust_level=LyingStr("unknown"))
    )
    assert result.posture is TrustPosture.SUPERVISED


def test_a_huge_name_is_refused_within_a_small_budget() -> None:
    # DoS regression: a 20-million-character name must be refused, not split into words.
    huge = "delete_" * 3_000_000
    tracemalloc.start()
    try:
        result = TrustPostureMapper().map_verification_result(
            verification(trust_level="high"), requested_capability=huge
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.posture is TrustPosture.BLOCKED
    assert "at most 256 characters" in result.reason
    assert peak < 1_000_000  # no copy, no word list: the name is measured, not read


@pytest.mark.parametrize("names", [[""], ["  "], ["__"], ["ok", "-./"]])
def test_a_listed_name_without_a_word_is_refused(names: list[str]) -> None:
    with pytest.raises(ValueError, match="sensitive_capabilities must hold names with at least"):
        TrustPostureMapper(sensitive_capabilities=names)


# --- the reference's module-level helpers (issue 16) -------------------------------------


@pytest.mark.parametrize(
    ("args", "posture"),
    [
        ((True,), TrustPosture.FULL_AUTONOMY),
        ((True, True), TrustPosture.ASSISTED),
        ((True, False, True), TrustPosture.HUMAN_DECIDES),
        ((True, True, True), TrustPosture.HUMAN_DECIDES),
        ((False, False, False), TrustPosture.BLOCKED),
        ((False, True, True), TrustPosture.BLOCKED),
    ],
)
def test_get_posture_for_action_gives_the_references_postures(
    args: tuple[bool, ...], posture: TrustPosture
) -> None:
    assert get_posture_for_action(*args) is posture


@pytest.mark.parametrize("allowed", [1, "yes", "true", [True], None, object()])
def test_get_posture_for_action_blocks_unless_allowed_is_true(allowed: object) -> None:
    assert get_posture_for_action(allowed) is TrustPosture.BLOCKED  # type: ignore[arg-type]


def test_get_posture_for_action_applies_a_flag_that_cannot_say_no() -> None:
    class Unsure:
        def __bool__(self) -> bool:
            raise RuntimeError("no idea")

    assert get_posture_for_action(True, requires_approval=Unsure()) is TrustPosture.HUMAN_DECIDES  # type: ignore[arg-type]
    assert get_posture_for_action(True, requires_audit=Unsure()) is TrustPosture.ASSISTED  # type: ignore[arg-type]
    assert get_posture_for_action(True, requires_audit=1) is TrustPosture.ASSISTED  # type: ignore[arg-type]


def test_map_verification_to_posture_is_the_default_mappers_answer() -> None:
    checked = verification(trust_level="high")
    assert map_verification_to_posture(checked) == TrustPostureMapper().map_verification_result(
        checked
    )
    assert map_verification_to_posture(checked).posture is TrustPosture.FULL_AUTONOMY
    assert map_verification_to_posture(checked, "delete_records").posture is TrustPosture.SUPERVISED
    assert (
        map_verification_to_posture(checked, tool="http_delete_request").posture
        is TrustPosture.SUPERVISED
    )
    assert map_verification_to_posture(None).posture is TrustPosture.BLOCKED
    assert map_verification_to_posture(verification(False)).posture is TrustPosture.BLOCKED
