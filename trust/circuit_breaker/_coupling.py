"""How a circuit breaker moves postures: down on open, back (at most) on close.

The rules are the model's (``model/coupling_lifecycle.py``), run from the generated table
by the pure core (`trust.circuit_breaker._coupling_core`); this module carries out the
actions the core names on a real `PostureStateMachine`:

- ``protect``: the posture becomes ``min(current, downgrade_on_open)`` through
  `PostureStateMachine.protective_downgrade`: recorded, requester ``"circuit_breaker"``,
  and vetoed by no guard.
- ``hold``: the breaker remembers a `Hold`: what it displaced, what it set, and the
  posture's version right after. ``take_over``: it holds what a restore still in flight
  would give back (see `PostureCircuitBreaker`).
- ``restore``: the displaced posture is given back by an ordinary guarded upgrade (the
  guards may refuse), which commits only if every fence of the model holds then: the
  posture's version is still the hold's (``expected_version``), and the circuit is still
  closed (a trip that lands while its guards run refuses it, and that new episode holds
  the same displaced posture).
- ``forfeit``: the hold is dropped: anyone else changed the posture (its version moved),
  or the circuit closed without ``restore_on_close``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from trust.circuit_breaker import _coupling_core as core
from trust.circuit_breaker._core import CircuitState
from trust.circuit_breaker._coupling_core import Action, Facts, Fence
from trust.postures import (
    PostureStateMachine,
    PostureTransitionRequest,
    TransitionResult,
    TrustPosture,
)

if TYPE_CHECKING:
    from trust.store import HistoryEntry

_NO_FACTS = Facts()

Protect = Callable[[str, TrustPosture, str, str | None], TransitionResult | None]
"""``protect(agent_id, posture, reason, requester_id)``: lower to at most ``posture``."""

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
    """The posture side of a breaker: one machine, one target posture, one restore policy."""

    machine: PostureStateMachine
    downgrade_to: TrustPosture
    restore_on_close: bool = True
    # A breaker over a store protects through its own write (the OPEN row with the
    # downgrade, `trust.circuit_breaker._stored`); None: the machine's.
    protect: Protect | None = None

    def couple(
        self,
        agent_id: str,
        hold: Hold | None,
        circuit: CircuitState | str,
        event: str,
        reason: str,
        pending: Callable[[], Hold | None],
    ) -> tuple[Hold | None, Hold | None]:
        """Run the coupling ``event`` a breaker move from ``circuit`` sent; return the hold
        kept and the hold to restore (or None for each).

        A hold the posture has moved away from is forfeited first (the model's
        ``posture_changed``). ``pending`` is the hold of a restore still in flight whose
        version is current, if any (for ``take_over``). Runs no user code: the posture
        lifecycle gives protective downgrades no guards, and the machine's metrics sink is
        told later (`report`), so the breaker may call it with its lock held, making a
        trip and its downgrade one step.
        """
        if hold is not None and not self.is_live(agent_id, hold):
            hold, _ = self._carry_out(
                core.step(core.state_of(circuit, True), core.POSTURE_CHANGED, _NO_FACTS),
                hold,
                None,
                None,
            )
        state = core.state_of(circuit, hold is not None)
        protected = None
        if core.protects_first(state, event):
            # The guards read what the downgrade did, so it happens first.
            protect = self.machine._protect if self.protect is None else self.protect
            protected = protect(agent_id, self.downgrade_to, f"circuit breaker {reason}", REQUESTER)
        taken = pending()
        facts = core.make_facts(protected is not None, taken is not None, self.restore_on_close)
        return self._carry_out(core.step(state, event, facts), hold, protected, taken)

    @staticmethod
    def _carry_out(
        move: core.Move | None,
        hold: Hold | None,
        protected: TransitionResult | None,
        pending: Hold | None,
    ) -> tuple[Hold | None, Hold | None]:
        if move is None:  # no transition accepts the event: nothing changes
            return hold, None
        restore = None
        for action in move.actions:
            if action is Action.HOLD:
                if protected is not None:
                    assert protected.version is not None  # the machine stamps every entry
                    hold = Hold(protected.from_posture, protected.to_posture, protected.version)
            elif action is Action.TAKE_OVER:
                hold = pending
            elif action is Action.RESTORE:
                restore, hold = hold, None
            elif action is Action.FORFEIT:
                hold = None
            else:  # PROTECT: carried out before the guards were read
                assert action is Action.PROTECT
        # The target state says whether anything is held; a hold never outlives a free one.
        return (hold if move.held else None), restore

    def report(self) -> None:
        """Tell the machine's metrics sink of the downgrades `protect` made (user code)."""
        self.machine._report()

    def is_live(self, agent_id: str, hold: Hold) -> bool:
        """Whether nobody has changed the posture since the breaker set it."""
        return self.machine.version(agent_id) == hold.version

    def restore(
        self,
        agent_id: str,
        hold: Hold,
        reason: str,
        fence: Callable[[], str | None],
        via: Callable[[HistoryEntry, int], str | None] | None = None,
    ) -> TransitionResult | None:
        """Give back the displaced posture by a guarded upgrade; None if forfeited.

        ``fence`` is asked, with the machine's lock held, right before the upgrade would
        commit: a reason from it refuses the upgrade (the breaker's says the circuit is no
        longer closed). Runs the machine's guards (user code): never call it with the
        breaker's lock held. ``via`` (a stored circuit's) commits the upgrade with the
        circuit's CLOSED row, both or neither.
        """
        unchanged = Fence.POSTURE_UNCHANGED in core.FENCES
        if unchanged and not self.is_live(agent_id, hold):
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
        fenced = fence if Fence.CIRCUIT_CLOSED in core.FENCES else None
        expected = hold.version if unchanged else None
        if via is None:
            result = self.machine.transition(request, expected_version=expected, _fence=fenced)
        else:
            result = self.machine.transition(
                request,
                expected_version=expected,
                _fence=fenced,
                _via=via,  # type: ignore[call-arg]  # bound by a store-backed machine
            )
        if not result.success:
            logger.info("restore of %s refused: %s", agent_id, result.reason)
        return result
