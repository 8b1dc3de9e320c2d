"""The runtime posture machine against the python-statemachine model, step by step.

Hypothesis drives random sequences of administrative changes, transitions (any from/to,
stale or not, fenced by a current or stale version or not, with and without a requester,
with guards that pass, fail or raise), emergency and protective downgrades and guard
changes. After every step the runtime must agree with the
model, used as the oracle: same outcome, same posture, and the reason it predicts.
"""

from __future__ import annotations

from typing import Literal

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from statemachine.exceptions import TransitionNotAllowed

from tests.fakes import FakeClock
from trust import PostureStateMachine, TrustPosture
from trust.model import POSTURE_SPEC, PostureLifecycle
from trust.postures import (
    UPGRADE_APPROVAL_GUARD,
    PostureTransition,
    PostureTransitionRequest,
    TransitionGuard,
)

AGENTS = ("a1", "a2", "a3")
REQUESTABLE = ("upgrade", "downgrade", "maintain")
KIND = {(t.source, t.target): t.event for t in POSTURE_SPEC.transitions if t.event in REQUESTABLE}
Behaviour = Literal["pass", "fail", "raise"]

postures = st.sampled_from(list(TrustPosture))
agents = st.sampled_from(AGENTS)
guard_names = st.sampled_from(["g1", "g2", "g3"])
behaviours = st.sampled_from(["pass", "fail", "raise"])
kind_sets = st.sets(
    st.sampled_from(
        [PostureTransition.UPGRADE, PostureTransition.DOWNGRADE, PostureTransition.MAINTAIN]
    ),
    min_size=1,
)


def make_check(behaviour: Behaviour):  # type: ignore[no-untyped-def]
    def check(request: PostureTransitionRequest) -> bool:
        if behaviour == "raise":
            raise RuntimeError("guard exploded")
        return behaviour == "pass"

    return check


class PostureAgainstModel(RuleBasedStateMachine):
    @initialize(require_approval=st.booleans())
    def build(self, require_approval: bool) -> None:
        self.require_approval = require_approval
        self.runtime = PostureStateMachine(
            require_upgrade_approval=require_approval, clock=FakeClock()
        )
        self.models = {a: self.fresh_model(POSTURE_SPEC.initial) for a in AGENTS}
        self.guards: dict[str, tuple[Behaviour, frozenset[PostureTransition]]] = {}
        self.recorded = dict.fromkeys(AGENTS, 0)

    def fresh_model(self, posture: str) -> PostureLifecycle:
        return PostureLifecycle(require_upgrade_approval=self.require_approval, start_value=posture)

    @rule(agent=agents, posture=postures)
    def set_posture(self, agent: str, posture: TrustPosture) -> None:
        result = self.runtime.set_posture(agent, posture, requester_id="ops")
        self.models[agent] = self.fresh_model(posture.value)
        self.recorded[agent] += 1
        assert result.success
        assert result.administrative

    @rule(
        agent=agents,
        stale=st.one_of(st.none(), postures),
        to=postures,
        requester=st.sampled_from([None, "", " ", "self", "admin-1"]),
        fence=st.sampled_from([None, "current", "stale"]),
    )
    def transition(
        self,
        agent: str,
        stale: TrustPosture | None,
        to: TrustPosture,
        requester: str | None,
        fence: str | None,
    ) -> None:
        model = self.models[agent]
        frm = stale if stale is not None else TrustPosture(model.posture)
        requester_id = agent if requester == "self" else requester
        version = None if fence is None else self.runtime.version(agent) + (fence == "stale")
        result = self.runtime.transition(
            PostureTransitionRequest(
                agent_id=agent, from_posture=frm, to_posture=to, requester_id=requester_id
            ),
            expected_version=version,
        )
        self.recorded[agent] += 1

        current = model.posture
        kind = KIND[frm.value, to.value]
        applicable = [
            (name, behaviour)
            for name, (behaviour, kinds) in self.guards.items()
            if PostureTransition(kind) in kinds
        ]
        approve = all(behaviour == "pass" for _, behaviour in applicable)
        if fence == "stale" or frm.value != current:
            predicted, blocked_by = False, None
        else:
            try:
                model.send(
                    kind,
                    agent_id=agent,
                    requester_id=requester_id,
                    to=to.value,
                    guards_approve=approve,
                )
                predicted, blocked_by = True, None
            except TransitionNotAllowed:
                predicted = False
                if kind == "upgrade" and not model.requester_present(agent, requester_id):
                    blocked_by = UPGRADE_APPROVAL_GUARD
                else:
                    blocked_by = next(n for n, b in applicable if b != "pass")
        assert result.success is predicted
        assert result.blocked_by == blocked_by
        assert result.from_posture.value == current
        assert result.transition_type.value == KIND[current, to.value]
        if fence == "stale":
            assert "changed since version" in result.reason

    @rule(agent=agents)
    def emergency_downgrade(self, agent: str) -> None:
        result = self.runtime.emergency_downgrade(agent, reason="incident", requester_id="sec")
        self.models[agent].send("emergency_downgrade")
        self.recorded[agent] += 1
        assert result.success
        assert result.to_posture is TrustPosture.BLOCKED

    @rule(agent=agents, posture=postures)
    def protective_downgrade(self, agent: str, posture: TrustPosture) -> None:
        model = self.models[agent]
        result = self.runtime.protective_downgrade(agent, posture, reason="breaker opened")
        try:
            model.send("protective_downgrade", to=posture.value)
        except TransitionNotAllowed:
            assert result is None
        else:
            self.recorded[agent] += 1
            assert result is not None
            assert result.protective
            assert result.to_posture is posture

    @rule(name=guard_names, behaviour=behaviours, kinds=kind_sets)
    def add_guard(self, name: str, behaviour: Behaviour, kinds: set[PostureTransition]) -> None:
        if name in self.guards:
            self.runtime.remove_guard(name)
        self.runtime.add_guard(
            TransitionGuard(name=name, check_fn=make_check(behaviour), applies_to=kinds)
        )
        self.guards.pop(name, None)
        self.guards[name] = (behaviour, frozenset(kinds))

    @rule(name=guard_names)
    def remove_guard(self, name: str) -> None:
        assert self.runtime.remove_guard(name) is (name in self.guards)
        self.guards.pop(name, None)

    @invariant()
    def runtime_agrees_with_model(self) -> None:
        if not hasattr(self, "runtime"):
            return
        for agent in AGENTS:
            posture = self.runtime.get_posture(agent)
            assert posture.value == self.models[agent].posture
            history = self.runtime.get_transition_history(agent)
            assert len(history) == self.recorded[agent]
            if history:
                last = history[-1]
                assert posture is (last.to_posture if last.success else last.from_posture)
        expected_guards = list(self.guards)
        if self.require_approval:
            expected_guards.insert(0, UPGRADE_APPROVAL_GUARD)
        assert self.runtime.list_guards() == expected_guards


TestPostureAgainstModel = PostureAgainstModel.TestCase
