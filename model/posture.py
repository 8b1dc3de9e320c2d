"""The posture lifecycle, declared once.

The five postures are the states, declared from the least autonomy (``blocked``) to the
most (``full_autonomy``): that order *is* the autonomy ladder, and the runtime reads its
levels from it. The events are the guide's transition types:

- ``upgrade`` to any higher posture, guarded by ``requester_present`` and ``guards_pass``;
- ``downgrade`` to any lower posture, guarded by ``guards_pass``;
- ``maintain`` (stay where you are), guarded by ``guards_pass``;
- ``emergency_downgrade`` to ``blocked`` from every posture, with no guard at all;
- ``protective_downgrade`` to any lower posture, with no guard: what the circuit breaker
  does when it opens. It only ever lowers autonomy, so nothing may veto it.

`PostureLifecycle` is also an executable oracle: the stateful tests drive it side by side
with the runtime. Its guard methods encode the contract:

- ``requester_present`` holds when upgrades need no approval, or when the requester is a
  non-empty string that is not the agent itself;
- ``guards_pass`` holds when the registered guards approve the move.

Several events can lead from one posture to several targets; the event carries the target
that was asked for (``to=``), and the routing condition ``requested_target`` picks the
matching transition. It is declared in ``routing_conditions``, so `read_spec` does not list
it as a guard: it selects a transition, it never vetoes one.
"""

from __future__ import annotations

from typing import Any

from statemachine import State, StateMachine

from trust.model.spec import LifecycleSpec, read_spec

ROUTED = "requested_target"
UPGRADE_GUARDS = [ROUTED, "requester_present", "guards_pass"]
GUARDED = [ROUTED, "guards_pass"]


class PostureLifecycle(StateMachine):
    """How an agent's trust posture may change."""

    blocked = State()
    human_decides = State()
    supervised = State(initial=True)
    assisted = State()
    full_autonomy = State()

    upgrade = (
        human_decides.from_(blocked, cond=UPGRADE_GUARDS)
        | supervised.from_(blocked, human_decides, cond=UPGRADE_GUARDS)
        | assisted.from_(blocked, human_decides, supervised, cond=UPGRADE_GUARDS)
        | full_autonomy.from_(blocked, human_decides, supervised, assisted, cond=UPGRADE_GUARDS)
    )
    downgrade = (
        blocked.from_(human_decides, supervised, assisted, full_autonomy, cond=GUARDED)
        | human_decides.from_(supervised, assisted, full_autonomy, cond=GUARDED)
        | supervised.from_(assisted, full_autonomy, cond=GUARDED)
        | assisted.from_(full_autonomy, cond=GUARDED)
    )
    maintain = (
        blocked.to.itself(cond=GUARDED)
        | human_decides.to.itself(cond=GUARDED)
        | supervised.to.itself(cond=GUARDED)
        | assisted.to.itself(cond=GUARDED)
        | full_autonomy.to.itself(cond=GUARDED)
    )
    emergency_downgrade = blocked.from_(blocked, human_decides, supervised, assisted, full_autonomy)
    protective_downgrade = (
        blocked.from_(human_decides, supervised, assisted, full_autonomy, cond=ROUTED)
        | human_decides.from_(supervised, assisted, full_autonomy, cond=ROUTED)
        | supervised.from_(assisted, full_autonomy, cond=ROUTED)
        | assisted.from_(full_autonomy, cond=ROUTED)
    )

    routing_conditions = frozenset({ROUTED})

    def __init__(self, *, require_upgrade_approval: bool = True, **kwargs: Any) -> None:
        self.require_upgrade_approval = require_upgrade_approval
        super().__init__(**kwargs)

    def requester_present(self, agent_id: str, requester_id: object = None) -> bool:
        if not self.require_upgrade_approval:
            return True
        return (
            isinstance(requester_id, str)
            and bool(requester_id.strip())
            and (requester_id != agent_id)
        )

    def requested_target(self, target: State, to: str) -> bool:
        return bool(target.id == to)

    def guards_pass(self, guards_approve: bool) -> bool:
        return guards_approve

    @property
    def posture(self) -> str:
        """The id of the current posture."""
        (state,) = self.configuration
        return str(state.id)


SPEC: LifecycleSpec = read_spec(PostureLifecycle)
