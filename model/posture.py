"""The posture lifecycle, declared once.

The five postures are the states, declared from the least autonomy (``blocked``) to the
most (``full_autonomy``): that order *is* the autonomy ladder, and the runtime reads its
levels from it. The events are the guide's transition types:

- ``upgrade`` to any higher posture, guarded by ``requester_present`` and ``guards_pass``;
- ``downgrade`` to any lower posture, guarded by ``guards_pass``;
- ``maintain`` (stay where you are), guarded by ``guards_pass``;
- ``emergency_downgrade`` to ``blocked`` from every posture, with no guard at all.

`PostureLifecycle` is also an executable oracle: the stateful tests drive it side by side
with the runtime. Its guard methods encode the contract:

- ``requester_present`` holds when upgrades need no approval, or when the requester is a
  non-empty string that is not the agent itself;
- ``guards_pass`` holds when the registered guards approve *this* move. Guards approve a
  specific move, so a request for one target never satisfies the guards of another; that
  is how an event with several possible targets picks the one that was asked for.
"""

from __future__ import annotations

from typing import Any

from statemachine import State, StateMachine

from model.spec import LifecycleSpec, read_spec

UPGRADE_GUARDS = ["requester_present", "guards_pass"]
GUARDED = ["guards_pass"]


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

    def guards_pass(self, target: State, to: str, guards_approve: bool) -> bool:
        return bool(target.id == to and guards_approve)

    @property
    def posture(self) -> str:
        """The id of the current posture."""
        (state,) = self.configuration
        return str(state.id)


SPEC: LifecycleSpec = read_spec(PostureLifecycle)
