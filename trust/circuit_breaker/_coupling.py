"""How a circuit breaker moves postures: down on open, back (at most) on close.

The rules, from the design: the breaker only ever lowers a posture on open, and on close
restores at most the posture it displaced, and only if nobody changed it meanwhile.

- On open the posture becomes ``min(current, downgrade_on_open)`` through
  `PostureStateMachine.protective_downgrade`: recorded, requester ``"circuit_breaker"``,
  and vetoed by no guard. The breaker remembers a `Hold`: what it displaced, what it set,
  and the posture's version right after.
- On close, if the posture's version is still that one, the displaced posture is restored
  by an ordinary guarded upgrade, fenced by ``expected_version``: the guards may refuse,
  and an emergency downgrade or any other change while the circuit was open forfeits it.
  It commits only while the circuit is still closed: a trip that lands while its guards
  run refuses it, and that new episode holds the same displaced posture (see
  `PostureCircuitBreaker`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import attrs

from trust.postures import (
    PostureStateMachine,
    PostureTransitionRequest,
    TransitionResult,
    TrustPosture,
)

REQUESTER = "circuit_breaker"
"""The requester of every posture change the breaker makes."""

logger = logging.getLogger("trust.circuit_breaker")


@attrs.frozen
class Hold:
    """The posture an open circuit holds down, and how to give it back."""

    displaced: TrustPosture  # what the breaker's downgrade replaced: the most a restore gives
    held: TrustPosture  # what the downgrade set
    version: int  # the posture's version right after; any later change forfeits the hold


@attrs.frozen
class PostureCoupling:
    """The posture side of a breaker: one machine, one target posture."""

    machine: PostureStateMachine
    downgrade_to: TrustPosture

    def protect(
        self, agent_id: str, hold: Hold | None, reason: str, *, may_hold: bool
    ) -> Hold | None:
        """Lower the posture to at most ``downgrade_to``; return the hold that is still live.

        ``hold`` is the one kept so far in this episode (restored at close only if still
        `is_live`). A new hold is taken only when ``may_hold`` (the episode's first open)
        and the downgrade displaced something. Runs no user code: the posture
        lifecycle gives protective downgrades no guards, and the machine's metrics sink
        is told later (`report`), so the breaker may call it with its lock held, making a
        trip and its downgrade one step.
        """
        result = self.machine._protect(
            agent_id, self.downgrade_to, f"circuit breaker {reason}", REQUESTER
        )
        if result is not None and may_hold and hold is None:
            assert result.version is not None  # the machine stamps every entry it records
            return Hold(result.from_posture, result.to_posture, result.version)
        return hold

    def report(self) -> None:
        """Tell the machine's metrics sink of the downgrades `protect` made (user code)."""
        self.machine._report()

    def is_live(self, agent_id: str, hold: Hold) -> bool:
        """Whether nobody has changed the posture since the breaker set it."""
        return self.machine.version(agent_id) == hold.version

    def restore(
        self, agent_id: str, hold: Hold, reason: str, fence: Callable[[], str | None]
    ) -> TransitionResult | None:
        """Give back the displaced posture by a guarded upgrade; None if forfeited.

        ``fence`` is asked, with the machine's lock held, right before the upgrade would
        commit: a reason from it refuses the upgrade (the breaker's says the circuit is no
        longer closed). Runs the machine's guards (user code): never call it with the
        breaker's lock held.
        """
        if not self.is_live(agent_id, hold):
            logger.info(
                "not restoring %s: its posture changed while the circuit was open", agent_id
            )
            return None
        request = PostureTransitionRequest(
            agent_id=agent_id,
            from_posture=hold.held,
            to_posture=hold.displaced,
            reason=f"circuit breaker {reason}: restoring the posture it displaced",
            requester_id=REQUESTER,
        )
        # Compare-and-set: refused, and recorded, if anyone changed the posture since, or
        # if the fence says no at the moment of the commit.
        result = self.machine.transition(request, expected_version=hold.version, _fence=fence)
        if not result.success:
            logger.info("restore of %s refused: %s", agent_id, result.reason)
        return result
