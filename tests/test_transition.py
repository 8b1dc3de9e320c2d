"""Requests, results and guards are validated values."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from trust import InvalidTypeError, InvalidValueError, TrustPosture
from trust.model import POSTURE_SPEC
from trust.postures import (
    PostureTransition,
    PostureTransitionRequest,
    TransitionGuard,
    TransitionResult,
)


def request(**overrides: object) -> PostureTransitionRequest:
    fields: dict[str, object] = {
        "agent_id": "agent-1",
        "from_posture": TrustPosture.SUPERVISED,
        "to_posture": TrustPosture.ASSISTED,
    }
    fields.update(overrides)
    return PostureTransitionRequest(**fields)  # type: ignore[arg-type]


def test_kinds_are_the_models_events_but_protective_which_is_a_downgrade() -> None:
    assert [k.value for k in PostureTransition] == [
        e for e in POSTURE_SPEC.events if e != "protective_downgrade"
    ]


@pytest.mark.parametrize(
    ("source", "target", "kind"),
    [
        (TrustPosture.SUPERVISED, TrustPosture.FULL_AUTONOMY, PostureTransition.UPGRADE),
        (TrustPosture.BLOCKED, TrustPosture.HUMAN_DECIDES, PostureTransition.UPGRADE),
        (TrustPosture.ASSISTED, TrustPosture.BLOCKED, PostureTransition.DOWNGRADE),
        (TrustPosture.ASSISTED, TrustPosture.ASSISTED, PostureTransition.MAINTAIN),
    ],
)
def test_request_kind_comes_from_the_lifecycle(
    source: TrustPosture, target: TrustPosture, kind: PostureTransition
) -> None:
    req = request(from_posture=source, to_posture=target)
    assert req.transition_type is kind
    assert req.is_upgrade is (kind is PostureTransition.UPGRADE)
    assert req.is_downgrade is (kind is PostureTransition.DOWNGRADE)


def test_request_accepts_posture_values_in_any_case() -> None:
    req = request(from_posture="SUPERVISED", to_posture="full_autonomy")
    assert req.from_posture is TrustPosture.SUPERVISED
    assert req.to_posture is TrustPosture.FULL_AUTONOMY


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("agent_id", "", InvalidValueError, "agent_id must be a non-blank string, got ''"),
        ("agent_id", "   ", InvalidValueError, "agent_id must be a non-blank string"),
        ("agent_id", 7, InvalidTypeError, "agent_id must be a string, got 7"),
        ("agent_id", "x" * 300, InvalidValueError, "at most 256 characters"),
        ("from_posture", "root", InvalidValueError, "from_posture must be one of"),
        ("to_posture", None, InvalidTypeError, "to_posture must be a TrustPosture, got None"),
        ("reason", 3, InvalidTypeError, "reason must be a string, got 3"),
        ("requester_id", 42, InvalidTypeError, "requester_id must be a string, got 42"),
        ("metadata", ["a"], InvalidTypeError, "metadata must be a mapping"),
    ],
)
def test_malformed_request_is_refused_naming_the_field(
    field: str, value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        request(**{field: value})
    with pytest.raises(ValueError, match=field):  # every bad input is also a ValueError
        request(**{field: value})


def test_request_metadata_is_a_read_only_copy() -> None:
    sent = {"ticket": "T-1"}
    req = request(metadata=sent)
    sent["ticket"] = "edited"
    assert req.metadata["ticket"] == "T-1"
    with pytest.raises(TypeError):
        req.metadata["ticket"] = "x"  # type: ignore[index]


def test_guard_defaults_to_upgrades() -> None:
    guard = TransitionGuard(name="g", check_fn=lambda r: True)
    assert guard.applies_to == frozenset({PostureTransition.UPGRADE})
    assert guard.check(request(to_posture=TrustPosture.HUMAN_DECIDES))  # a downgrade: n/a


def test_guard_check_approves_only_a_real_true() -> None:
    for verdict, approved in [
        (True, True),
        (False, False),
        (1, False),
        ("yes", False),
        (None, False),
    ]:
        guard = TransitionGuard(name="g", check_fn=lambda r, v=verdict: v)
        assert guard.check(request()) is approved


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "check_fn": bool}, "guard name must be a non-blank string"),
        ({"name": "g", "check_fn": "not callable"}, "check_fn must be callable"),
        (
            {"name": "g", "check_fn": bool, "applies_to": "upgrade"},
            "applies_to must be a collection",
        ),
        ({"name": "g", "check_fn": bool, "applies_to": ["sideways"]}, "got 'sideways'"),
        (
            {"name": "g", "check_fn": bool, "applies_to": [PostureTransition.EMERGENCY_DOWNGRADE]},
            "emergency downgrades bypass every guard",
        ),
    ],
)
def test_malformed_guard_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TransitionGuard(**fields)  # type: ignore[arg-type]


def test_result_to_dict() -> None:
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    result = TransitionResult(
        success=False,
        from_posture=TrustPosture.SUPERVISED,
        to_posture=TrustPosture.FULL_AUTONOMY,
        transition_type=PostureTransition.UPGRADE,
        reason="no",
        blocked_by="g",
        timestamp=stamp,
        agent_id="a",
        requester_id="r",
    )
    assert result.to_dict() == {
        "success": False,
        "agent_id": "a",
        "from_posture": "supervised",
        "to_posture": "full_autonomy",
        "transition_type": "upgrade",
        "reason": "no",
        "blocked_by": "g",
        "requester_id": "r",
        "administrative": False,
        "protective": False,
        "version": None,
        "sequence": None,
        "timestamp": "2025-01-01T00:00:00+00:00",
        "metadata": {},
    }


def test_unchecked_constructor_builds_the_same_value_as_the_class() -> None:
    from trust._unchecked import unchecked_constructor

    make = unchecked_constructor(TransitionResult)
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    fields = {
        "success": True,
        "from_posture": TrustPosture.SUPERVISED,
        "to_posture": TrustPosture.ASSISTED,
        "transition_type": PostureTransition.UPGRADE,
        "reason": "r",
        "blocked_by": None,
        "timestamp": stamp,
        "metadata": {},
        "agent_id": "a",
        "requester_id": "admin",
        "administrative": False,
        "protective": False,
        "version": 3,
        "sequence": 7,
    }
    assert make(*fields.values()) == TransitionResult(**fields)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="slotted attrs class"):
        unchecked_constructor(dict)


def test_unchecked_values_are_still_frozen_instances_of_their_class() -> None:
    from trust._unchecked import unchecked_constructor

    make = unchecked_constructor(TransitionResult)
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    s, a, up = TrustPosture.SUPERVISED, TrustPosture.ASSISTED, PostureTransition.UPGRADE
    made = make(True, s, a, up, "r", None, stamp, {}, "a", None, False, False, 1, 1)
    assert type(made) is TransitionResult
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.success = False  # type: ignore[misc]
    assert not hasattr(made, "__dict__")


def test_guard_check_is_given_the_request() -> None:
    seen: list[PostureTransitionRequest] = []
    guard = TransitionGuard(name="g", check_fn=lambda r: seen.append(r) is None)
    asked = request()
    assert guard.check(asked) is True
    assert seen == [asked]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason_on_failure": 5}, "^reason_on_failure must be"),
        ({"applies_to": 5}, "^applies_to must be a collection of PostureTransition, got 5$"),
        (
            {"applies_to": ["upgrade", "emergency_downgrade"]},
            r"^applies_to must not include EMERGENCY_DOWNGRADE: emergency downgrades bypass "
            r"every guard, got \['upgrade', 'emergency_downgrade'\]$",
        ),
    ],
)
def test_a_malformed_guard_names_the_field_and_the_value(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TransitionGuard(name="g", check_fn=bool, **fields)  # type: ignore[arg-type]


def test_an_unchecked_constructor_with_fixed_fields_takes_only_the_others() -> None:
    from trust._unchecked import unchecked_constructor

    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    make = unchecked_constructor(
        TransitionResult,
        fixed={
            "success": True,
            "from_posture": TrustPosture.ASSISTED,
            "to_posture": TrustPosture.BLOCKED,
            "transition_type": PostureTransition.EMERGENCY_DOWNGRADE,
            "blocked_by": None,
            "metadata": {},
            "administrative": False,
            "protective": False,
        },
    )
    made = make("r", stamp, "a", "sec", 2, 3)
    assert made == TransitionResult(
        success=True,
        from_posture=TrustPosture.ASSISTED,
        to_posture=TrustPosture.BLOCKED,
        transition_type=PostureTransition.EMERGENCY_DOWNGRADE,
        reason="r",
        timestamp=stamp,
        agent_id="a",
        requester_id="sec",
        version=2,
        sequence=3,
    )
    with pytest.raises(
        ValueError, match=r"fixed must name fields of TransitionResult, got \['nope'\]"
    ):
        unchecked_constructor(TransitionResult, fixed={"nope": 1})
