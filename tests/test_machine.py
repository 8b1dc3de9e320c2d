"""PostureStateMachine: guarded transitions, recorded history, fail-closed guards."""

from __future__ import annotations

import threading
from datetime import UTC

import pytest

from tests.fakes import FakeClock
from trust import InvalidValueError, PostureStateMachine, TrustPosture
from trust.postures import (
    UPGRADE_APPROVAL_GUARD,
    PostureTransition,
    PostureTransitionRequest,
    TransitionGuard,
)

S, A, F, H, B = (
    TrustPosture.SUPERVISED,
    TrustPosture.ASSISTED,
    TrustPosture.FULL_AUTONOMY,
    TrustPosture.HUMAN_DECIDES,
    TrustPosture.BLOCKED,
)


def ask(
    machine: PostureStateMachine,
    to: TrustPosture,
    *,
    agent: str = "agent-1",
    requester: str | None = "admin",
    frm: TrustPosture | None = None,
    **metadata: object,
):  # type: ignore[no-untyped-def]
    return machine.transition(
        PostureTransitionRequest(
            agent_id=agent,
            from_posture=frm if frm is not None else machine.get_posture(agent),
            to_posture=to,
            requester_id=requester,
            metadata=metadata,
        )
    )


# --- upgrade approval ------------------------------------------------------------------


@pytest.mark.parametrize("requester", [None, "", "   ", "agent-1"])
def test_upgrade_needs_a_requester_other_than_the_agent(requester: str | None) -> None:
    machine = PostureStateMachine()
    result = ask(machine, F, requester=requester)
    assert not result.success
    assert result.blocked_by == UPGRADE_APPROVAL_GUARD
    assert "requester_id" in result.reason
    assert machine.get_posture("agent-1") is S


def test_downgrade_and_maintain_need_no_requester() -> None:
    machine = PostureStateMachine()
    assert ask(machine, S, requester=None).success
    assert ask(machine, H, requester=None).success
    assert machine.get_posture("agent-1") is H


def test_without_the_flag_upgrades_need_no_requester() -> None:
    machine = PostureStateMachine(require_upgrade_approval=False)
    assert ask(machine, F, requester=None).success
    assert machine.list_guards() == []
    assert machine.remove_guard(UPGRADE_APPROVAL_GUARD) is False


def test_approval_requirement_is_listed_and_cannot_be_removed() -> None:
    machine = PostureStateMachine(require_upgrade_approval=True)
    assert machine.list_guards() == [UPGRADE_APPROVAL_GUARD]
    with pytest.raises(ValueError, match="require_upgrade_approval=False"):
        machine.remove_guard(UPGRADE_APPROVAL_GUARD)
    assert not ask(machine, F, requester=None).success


# --- guards ----------------------------------------------------------------------------


def test_guard_that_raises_blocks_and_names_the_exception() -> None:
    def explode(request: PostureTransitionRequest) -> bool:
        raise RuntimeError("policy service down")

    machine = PostureStateMachine()
    machine.add_guard(TransitionGuard(name="policy", check_fn=explode))
    result = ask(machine, F)
    assert not result.success
    assert result.blocked_by == "policy"
    assert "RuntimeError" in result.reason
    assert "policy service down" in result.reason
    assert machine.get_posture("agent-1") is S


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


class Abort(BaseException):
    """Not an Exception, and not an interrupt either."""


class PosingAsInterrupt(Exception):
    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance() believes this; type() does not
        return KeyboardInterrupt


@pytest.mark.parametrize(
    ("error", "named"),
    [
        (UnprintableError(), "UnprintableError: <unrepresentable: RuntimeError in __str__>"),
        (Abort("stop"), "Abort: stop"),
        (GeneratorExit(), "GeneratorExit"),
        (PosingAsInterrupt("pose"), "PosingAsInterrupt: pose"),
    ],
)
def test_whatever_a_guard_raises_refuses_is_recorded_and_never_escapes(
    error: BaseException, named: str
) -> None:
    def explode(request: PostureTransitionRequest) -> bool:
        raise error

    machine = PostureStateMachine(require_upgrade_approval=False)
    machine.add_guard(TransitionGuard(name="g", check_fn=explode))
    result = ask(machine, F)
    assert (result.success, result.blocked_by) == (False, "g")
    assert result.reason == f"guard 'g' raised {named}"
    assert machine.get_transition_history("agent-1") == [result]
    assert machine.get_posture("agent-1") is S


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_in_a_guard_goes_on_once_the_refusal_is_recorded(
    interrupt: type[BaseException],
) -> None:
    def interrupted(request: PostureTransitionRequest) -> bool:
        raise interrupt

    machine = PostureStateMachine(require_upgrade_approval=False)
    machine.add_guard(TransitionGuard(name="g", check_fn=interrupted))
    with pytest.raises(interrupt):
        ask(machine, F)
    (refused,) = machine.get_transition_history("agent-1")
    assert (refused.success, refused.blocked_by) == (False, "g")
    assert refused.reason == f"guard 'g' raised {interrupt.__name__}"
    assert machine.get_posture("agent-1") is S


@pytest.mark.parametrize("verdict", [1, "yes", None, [True]])
def test_guard_must_return_a_real_true(verdict: object) -> None:
    machine = PostureStateMachine()
    machine.add_guard(TransitionGuard(name="sloppy", check_fn=lambda r: verdict))
    result = ask(machine, F)
    assert not result.success
    assert result.blocked_by == "sloppy"
    assert "not True" in result.reason


def test_guard_applies_only_to_its_kinds() -> None:
    machine = PostureStateMachine()
    machine.add_guard(
        TransitionGuard(
            name="no_downgrades",
            check_fn=lambda r: False,
            applies_to=[PostureTransition.DOWNGRADE],
            reason_on_failure="frozen",
        )
    )
    assert ask(machine, F).success
    refused = ask(machine, S)
    assert (refused.success, refused.blocked_by, refused.reason) == (
        False,
        "no_downgrades",
        "frozen",
    )


def test_guards_run_in_order_and_the_first_refusal_wins() -> None:
    calls: list[str] = []
    machine = PostureStateMachine(require_upgrade_approval=False)
    for name, verdict in [("first", True), ("second", False), ("third", False)]:
        machine.add_guard(
            TransitionGuard(name=name, check_fn=lambda r, n=name, v=verdict: calls.append(n) or v)
        )
    assert ask(machine, F).blocked_by == "second"
    assert calls == ["first", "second"]


def test_guard_management() -> None:
    machine = PostureStateMachine(require_upgrade_approval=False)
    machine.add_guard(TransitionGuard(name="g", check_fn=lambda r: True))
    with pytest.raises(ValueError, match="unique"):
        machine.add_guard(TransitionGuard(name="g", check_fn=lambda r: True))
    with pytest.raises(ValueError, match="TransitionGuard"):
        machine.add_guard(lambda r: True)  # type: ignore[arg-type]
    assert machine.remove_guard("g") is True
    assert machine.remove_guard("g") is False
    assert machine.list_guards() == []


def test_emergency_downgrade_bypasses_guards() -> None:
    machine = PostureStateMachine()
    machine.add_guard(
        TransitionGuard(
            name="never", check_fn=lambda r: False, applies_to=list(PostureTransition)[:3]
        )
    )
    result = machine.emergency_downgrade("agent-1", reason="incident")
    assert result.success
    assert machine.get_posture("agent-1") is B


# --- stale requests and races ----------------------------------------------------------


def test_stale_from_posture_fails_and_is_recorded() -> None:
    machine = PostureStateMachine()
    result = ask(machine, F, frm=A)
    assert not result.success
    assert result.blocked_by is None
    assert "does not match" in result.reason
    assert result.from_posture is S  # what the agent held when it was recorded
    assert machine.get_transition_history("agent-1") == [result]


def test_emergency_downgrade_during_guard_evaluation_wins() -> None:
    machine = PostureStateMachine()

    def meanwhile(request: PostureTransitionRequest) -> bool:
        machine.emergency_downgrade(request.agent_id, reason="incident")
        return True

    machine.add_guard(TransitionGuard(name="slow_policy", check_fn=meanwhile))
    result = ask(machine, F)
    assert not result.success
    assert "changed" in result.reason
    assert machine.get_posture("agent-1") is B
    last = machine.get_transition_history("agent-1")[-1]
    assert last is result
    assert last.from_posture is B


def test_emergency_downgrades_are_never_lost_under_threads() -> None:
    machine = PostureStateMachine(require_upgrade_approval=False, history_limit=10_000)
    agents = [f"agent-{i}" for i in range(20)]
    barrier = threading.Barrier(8)
    blocked_at_return: list[str] = []

    def upgrader() -> None:
        barrier.wait()
        for _ in range(50):
            for agent in agents:
                current = machine.get_posture(agent)
                target = F if current is not F else A
                ask(machine, target, agent=agent, frm=current, requester=None)

    def blocker() -> None:
        barrier.wait()
        for agent in agents:
            machine.emergency_downgrade(agent, reason="incident")
            blocked_at_return.append(agent)

    threads = [threading.Thread(target=upgrader) for _ in range(7)]
    threads.append(threading.Thread(target=blocker))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert blocked_at_return == agents
    for agent in agents:
        history = machine.get_transition_history(agent)
        emergency_at = max(
            i
            for i, r in enumerate(history)
            if r.transition_type is PostureTransition.EMERGENCY_DOWNGRADE
        )
        # After the emergency, the agent leaves BLOCKED only through a later recorded change.
        later = [r for r in history[emergency_at + 1 :] if r.success]
        if later:
            assert later[0].from_posture is B
        last = history[-1]
        assert machine.get_posture(agent) is (
            last.to_posture if last.success else last.from_posture
        )


# --- protective downgrades and versions ------------------------------------------------


def test_protective_downgrade_lowers_bypassing_guards_and_is_recorded() -> None:
    machine = PostureStateMachine()
    machine.add_guard(
        TransitionGuard(
            name="never", check_fn=lambda r: False, applies_to=[PostureTransition.DOWNGRADE]
        )
    )
    machine.set_posture("agent-1", F)
    result = machine.protective_downgrade(
        "agent-1", H, reason="3 failures", requester_id="circuit_breaker"
    )
    assert result is not None
    assert (result.success, result.protective, result.transition_type) == (
        True,
        True,
        PostureTransition.DOWNGRADE,
    )
    assert (result.from_posture, result.to_posture, result.requester_id) == (
        F,
        H,
        "circuit_breaker",
    )
    assert machine.get_posture("agent-1") is H
    assert machine.get_transition_history("agent-1")[-1] is result


@pytest.mark.parametrize("current", [H, B])
def test_protective_downgrade_never_raises_and_records_nothing_when_already_low(
    current: TrustPosture,
) -> None:
    machine = PostureStateMachine()
    machine.set_posture("agent-1", current)
    before = machine.version("agent-1")
    assert machine.protective_downgrade("agent-1", H, reason="trip") is None
    assert machine.get_posture("agent-1") is current
    assert machine.version("agent-1") == before
    assert len(machine.get_transition_history("agent-1")) == 1


def test_version_grows_with_every_change_and_fences_transitions() -> None:
    machine = PostureStateMachine(require_upgrade_approval=False)
    assert machine.version("agent-1") == 0
    machine.set_posture("agent-1", A)
    seen = machine.version("agent-1")
    assert seen == 1
    ask(machine, H)  # someone else changes the posture ...
    ask(machine, A)  # ... and changes it back
    assert machine.version("agent-1") == 3
    stale = machine.transition(
        PostureTransitionRequest(agent_id="agent-1", from_posture=A, to_posture=F),
        expected_version=seen,
    )
    assert not stale.success
    assert "changed since version 1" in stale.reason
    assert machine.get_posture("agent-1") is A
    fresh = machine.transition(
        PostureTransitionRequest(agent_id="agent-1", from_posture=A, to_posture=F),
        expected_version=machine.version("agent-1"),
    )
    assert fresh.success
    assert ask(machine, S).success
    assert machine.version("agent-1") == 5
    refused_version = machine.version("agent-1")
    ask(machine, A, frm=F)  # refused: a refusal is not a change
    assert machine.version("agent-1") == refused_version
    with pytest.raises(ValueError, match="expected_version must be a non-negative integer"):
        machine.transition(
            PostureTransitionRequest(agent_id="agent-1", from_posture=S, to_posture=H),
            expected_version=-1,
        )


# --- history ---------------------------------------------------------------------------


def test_every_change_is_recorded_with_who_and_why() -> None:
    clock = FakeClock()
    machine = PostureStateMachine(clock=clock)
    machine.set_posture("agent-1", A, reason="onboarding", requester_id="ops")
    ask(machine, F, requester=None)  # refused
    ask(machine, F, requester="admin")
    machine.emergency_downgrade("agent-1", reason="incident", requester_id="sec-bot")
    history = machine.get_transition_history("agent-1")
    assert [(r.success, r.transition_type, r.requester_id, r.administrative) for r in history] == [
        (True, PostureTransition.UPGRADE, "ops", True),
        (False, PostureTransition.UPGRADE, None, False),
        (True, PostureTransition.UPGRADE, "admin", False),
        (True, PostureTransition.EMERGENCY_DOWNGRADE, "sec-bot", False),
    ]
    assert history[0].reason == "onboarding"
    assert all(r.agent_id == "agent-1" for r in history)
    assert all(r.timestamp == clock.now() and r.timestamp.tzinfo is UTC for r in history)


def test_history_is_bounded_per_agent_and_oldest_first() -> None:
    machine = PostureStateMachine(history_limit=3)
    for _ in range(10):
        machine.set_posture("busy", A)
    machine.set_posture("quiet", H)
    for posture in (F, S, B, H):
        machine.set_posture("busy", posture)
    assert [r.to_posture for r in machine.get_transition_history("busy")] == [S, B, H]
    assert [r.to_posture for r in machine.get_transition_history("quiet")] == [H]


def test_history_limit() -> None:
    machine = PostureStateMachine()
    for posture in (A, F, S):
        machine.set_posture("agent-1", posture)
    assert [r.to_posture for r in machine.get_transition_history("agent-1", limit=2)] == [F, S]
    assert machine.get_transition_history("agent-1", limit=0) == []
    assert len(machine.get_transition_history("agent-1", limit=99)) == 3
    assert machine.get_transition_history("never-seen") == []
    with pytest.raises(ValueError, match="limit must be a non-negative integer, got -1"):
        machine.get_transition_history("agent-1", limit=-1)
    with pytest.raises(ValueError, match="limit"):
        machine.get_transition_history("agent-1", limit=1.5)  # type: ignore[arg-type]


def test_posture_agrees_with_the_last_history_entry() -> None:
    machine = PostureStateMachine()
    steps = [lambda: ask(machine, F), lambda: ask(machine, S, frm=A), lambda: ask(machine, H)]
    for step in steps:
        last = step()
        assert machine.get_posture("agent-1") is (
            last.to_posture if last.success else last.from_posture
        )


# --- inputs and configuration ----------------------------------------------------------


def test_unknown_agents_have_the_default_posture_and_cost_nothing() -> None:
    machine = PostureStateMachine(default_posture=TrustPosture.HUMAN_DECIDES)
    assert machine.get_posture("new") is H
    assert "agents=0" in repr(machine)


@pytest.mark.parametrize("agent_id", ["", "  ", None, 3, ["x"], "x" * 257])
def test_malformed_agent_id_is_a_value_error(agent_id: object) -> None:
    machine = PostureStateMachine()
    with pytest.raises(InvalidValueError, match="agent_id"):
        machine.get_posture(agent_id)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="agent_id"):
        machine.emergency_downgrade(agent_id)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="agent_id"):
        machine.set_posture(agent_id, B)  # type: ignore[arg-type]


def test_transition_refuses_what_is_not_a_request() -> None:
    with pytest.raises(InvalidValueError, match="PostureTransitionRequest"):
        PostureStateMachine().transition({"agent_id": "a"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"default_posture": "root"}, "default_posture must be one of"),
        ({"require_upgrade_approval": "yes"}, "require_upgrade_approval must be a bool"),
        ({"history_limit": 0}, "history_limit must be a positive integer, got 0"),
        ({"history_limit": True}, "history_limit must be a positive integer"),
        ({"clock": object()}, "clock must provide now"),
    ],
)
def test_bad_configuration_is_a_value_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PostureStateMachine(**kwargs)  # type: ignore[arg-type]


def test_every_entry_carries_the_version_it_left() -> None:
    machine = PostureStateMachine()
    first = machine.set_posture("agent-1", F)
    lowered = machine.protective_downgrade("agent-1", H, reason="trip")
    refused = ask(machine, F, requester=None)
    assert lowered is not None
    assert (first.version, lowered.version, refused.version) == (1, 2, 2)
    assert machine.version("agent-1") == 2


def test_reading_agents_never_seen_keeps_them_unseen_and_bounded() -> None:
    machine = PostureStateMachine(default_posture=TrustPosture.HUMAN_DECIDES)
    for i in range(3000):
        assert machine.get_posture(f"reader-{i}") is H
        assert machine.get_posture(f"reader-{i}") is H  # the cached read agrees
    assert "agents=0" in repr(machine)
    assert machine.get_transition_history("reader-2999") == []
    # The read cache is what bounds the memory here; nothing public exposes its size.
    assert len(machine._reads) <= 1024

    machine.set_posture("reader-2999", B)  # cached as unseen a moment ago
    assert machine.get_posture("reader-2999") is B
    machine.set_posture("reader-0", B)  # evicted from the cache long ago
    assert machine.get_posture("reader-0") is B
    assert machine.get_posture("reader-1") is H
    assert "agents=2" in repr(machine)


def test_refusals_alone_keep_a_bounded_history_with_the_request() -> None:
    machine = PostureStateMachine(history_limit=3)
    for attempt in range(5):
        refused = ask(machine, F, requester=None, ticket=attempt)
    assert len(machine.get_transition_history("agent-1")) == 3
    assert (refused.metadata, refused.requester_id) == ({"ticket": 4}, None)
    assert (refused.administrative, refused.protective) == (False, False)
    by_someone = ask(machine, F, requester="agent-1")
    assert by_someone.requester_id == "agent-1"
    assert not by_someone.success


def test_an_emergency_downgrade_records_its_reason() -> None:
    machine = PostureStateMachine()
    assert machine.emergency_downgrade("agent-1").reason == "Emergency downgrade"
    assert machine.emergency_downgrade("agent-1", reason="incident 7").reason == "incident 7"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.emergency_downgrade("agent-1", reason=5), "^reason must be"),
        (lambda m: m.emergency_downgrade("agent-1", requester_id=5), "^requester_id must be"),
        (lambda m: m.protective_downgrade("agent-1", H, reason=5), "^reason must be"),
        (
            lambda m: m.protective_downgrade("agent-1", H, reason="r", requester_id=5),
            "^requester_id must be",
        ),
        (lambda m: m.remove_guard(" "), "^guard_name must be"),
        (
            lambda m: m.remove_guard(UPGRADE_APPROVAL_GUARD),
            "^guard 'upgrade_approval_required' cannot be removed: it is enforced by "
            "require_upgrade_approval=True; build the machine with "
            "require_upgrade_approval=False instead$",
        ),
        (
            lambda m: m.attach_metrics(object()),
            r"^metrics collector must have record_posture\(\), got <object ",
        ),
    ],
)
def test_a_bad_argument_is_named(call: object, message: str) -> None:
    machine = PostureStateMachine()
    with pytest.raises(ValueError, match=message):
        call(machine)  # type: ignore[operator]
    assert machine.tracked_agents() == 0


def test_set_posture_moves_from_the_current_posture() -> None:
    machine = PostureStateMachine()
    machine.set_posture("agent-1", F)
    down = machine.set_posture("agent-1", H)
    assert (down.from_posture, down.transition_type) == (F, PostureTransition.DOWNGRADE)
    assert (down.reason, down.administrative) == ("administrative change", True)
    with pytest.raises(ValueError, match=r"^reason must be"):
        machine.set_posture("agent-1", H, reason=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^requester_id must be"):
        machine.set_posture("agent-1", H, requester_id=5)  # type: ignore[arg-type]


def test_a_granted_transition_records_the_requests_metadata() -> None:
    machine = PostureStateMachine()
    assert ask(machine, A, ticket="T-1").metadata == {"ticket": "T-1"}


def test_upgrade_approval_refusals_say_why() -> None:
    machine = PostureStateMachine()
    itself = ask(machine, A, requester="agent-1")
    assert (
        itself.reason
        == "upgrade requires a requester_id other than the agent itself, got 'agent-1'"
    )
    padded = ask(machine, A, requester="admin\u200b")
    assert padded.reason.startswith("upgrade requires a valid requester_id: requester_id must ")


def test_every_applicable_guard_runs() -> None:
    machine = PostureStateMachine(require_upgrade_approval=False)
    machine.add_guard(
        TransitionGuard(name="downs_only", check_fn=lambda r: False, applies_to={"downgrade"})
    )
    machine.add_guard(TransitionGuard(name="vague", check_fn=lambda r: "yes"))
    refused = ask(machine, A)
    assert (refused.success, refused.blocked_by) == (False, "vague")
    assert refused.reason == "guard 'vague' returned 'yes', not True; refused"


def test_a_change_while_the_guards_run_refuses_even_if_the_posture_is_the_same() -> None:
    machine = PostureStateMachine(require_upgrade_approval=False)

    def reset_by_an_operator(request: PostureTransitionRequest) -> bool:
        machine.set_posture("agent-1", S, reason="operator")  # same posture, new version
        return True

    machine.add_guard(TransitionGuard(name="meanwhile", check_fn=reset_by_an_operator))
    refused = ask(machine, A)
    assert not refused.success
    assert machine.get_posture("agent-1") is S


def test_constructor_errors_name_the_argument_and_the_choices() -> None:
    with pytest.raises(ValueError, match=r"^require_upgrade_approval must be a bool, got 'yes'$"):
        PostureStateMachine(require_upgrade_approval="yes")  # type: ignore[arg-type]
    with pytest.raises(
        ValueError,
        match=r"^default_posture must be one of full_autonomy, assisted, supervised, "
        "human_decides, blocked, got 'nope'$",
    ):
        PostureStateMachine(default_posture="nope")  # type: ignore[arg-type]
