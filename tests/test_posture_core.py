"""The pure posture core: each step from (state, request, guard outcomes, now) to an entry."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import product

import pytest

from trust import TrustPosture
from trust.postures import (
    UPGRADE_APPROVAL_GUARD,
    PostureTransition,
    PostureTransitionRequest,
    TransitionResult,
    _core,
    _emergency,
)
from trust.postures._transition import EDGES

NOW = datetime(2026, 1, 1, tzinfo=UTC)
S, A, F, H, B = (
    TrustPosture.SUPERVISED,
    TrustPosture.ASSISTED,
    TrustPosture.FULL_AUTONOMY,
    TrustPosture.HUMAN_DECIDES,
    TrustPosture.BLOCKED,
)


@pytest.mark.parametrize("posture", list(TrustPosture))
@pytest.mark.parametrize("recorded", [True, False])
def test_an_emergency_reaches_blocked_from_every_posture_as_a_new_version(
    posture: TrustPosture, recorded: bool
) -> None:
    entry, effects = _emergency.emergency("a", posture, 4, recorded, "why", "sec", NOW, 9)
    assert entry == TransitionResult(
        success=True,
        from_posture=posture,
        to_posture=B,
        transition_type=PostureTransition.EMERGENCY_DOWNGRADE,
        reason="why",
        timestamp=NOW,
        agent_id="a",
        requester_id="sec",
        version=5,
        sequence=9,
    )
    assert type(entry) is TransitionResult
    assert effects.report
    assert effects.record is (recorded or posture is not B)


def test_the_emergency_entry_makers_agree_with_the_step() -> None:
    for posture in TrustPosture:
        made = _emergency.EMERGENCY_ENTRY[posture]("why", NOW, "a", None, 3, 8)
        stepped, _ = _emergency.emergency("a", posture, 2, True, "why", None, NOW, 8)
        assert made == stepped


@pytest.mark.parametrize(("posture", "target"), list(product(TrustPosture, TrustPosture)))
def test_a_protective_step_only_ever_lowers_autonomy(
    posture: TrustPosture, target: TrustPosture
) -> None:
    step = _core.protective("a", posture, 1, True, target, "opened", "breaker", NOW, 2)
    if target < posture:
        assert step is not None
        entry, effects = step
        assert (entry.to_posture, entry.protective, entry.success) == (target, True, True)
        assert effects.report
    else:
        assert step is None


def _request(
    frm: TrustPosture, to: TrustPosture, requester: str | None = "admin"
) -> PostureTransitionRequest:
    return PostureTransitionRequest(
        agent_id="a", from_posture=frm, to_posture=to, requester_id=requester
    )


def test_screen_refuses_a_stale_version_a_wrong_from_posture_and_a_missing_move() -> None:
    up = _request(S, F)
    assert _core.screen(up, S, 3, 2) == _core.Refusal(
        None, "posture changed since version 2 (now 3)"
    )
    wrong = _core.screen(up, A, 3, None)
    assert isinstance(wrong, _core.Refusal)
    assert wrong.reason.startswith("current posture (assisted)")
    assert _core.screen(_request(S, S), S, 0, None) == (
        PostureTransition.MAINTAIN,
        ("guards_pass",),
    )
    assert _core.screen(up, S, 0, None) == (
        PostureTransition.UPGRADE,
        ("requester_present", "guards_pass"),
    )


@pytest.mark.parametrize(
    ("requester", "refused"), [("admin", False), (None, True), ("a", True), ("", True)]
)
def test_requester_present(requester: str | None, refused: bool) -> None:
    refusal = _core.requester_present(True, _request(S, F, requester))
    assert (refusal is not None) is refused
    if refusal is not None:
        assert refusal.blocked_by == UPGRADE_APPROVAL_GUARD
    assert _core.requester_present(False, _request(S, F, requester)) is None


def test_settle_refuses_when_the_posture_moved_or_the_fence_says_so() -> None:
    up = _request(S, A)
    kind = PostureTransition.UPGRADE
    moved, _ = _core.settle(up, kind, S, 1, B, 2, True, None, NOW, 5)
    assert not moved.success
    assert moved.reason == "posture changed to blocked while the transition was checked"
    assert (moved.from_posture, moved.version) == (B, 2)
    fenced, effects = _core.settle(up, kind, S, 1, S, 1, True, "circuit open", NOW, 5)
    assert (fenced.success, fenced.reason, effects.report) == (False, "circuit open", False)
    done, effects = _core.settle(up, kind, S, 1, S, 1, True, None, NOW, 5)
    assert (done.success, done.to_posture, done.version, effects.report) == (True, A, 2, True)


@pytest.mark.parametrize(("posture", "target"), list(EDGES))
@pytest.mark.parametrize("recorded", [True, False])
def test_a_settled_request_is_the_change_it_asks_for(
    posture: TrustPosture, target: TrustPosture, recorded: bool
) -> None:
    # settle inlines `change` for speed; the two must agree on every requestable move.
    kind = EDGES[posture, target][0]
    request = _request(posture, target)
    settled = _core.settle(request, kind, posture, 3, posture, 3, recorded, None, NOW, 9)
    changed = _core.change("a", posture, 3, recorded, target, kind, request.reason, "admin", NOW, 9)
    assert settled == changed
