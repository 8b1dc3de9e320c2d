"""The guards a posture transition runs: the model's guard names, and the user's guards.

The model names two guards (``trust/_generated/posture.py``): ``requester_present``, which
the pure core decides (`trust.postures._core.requester_present`), and ``guards_pass``, the
user's `TransitionGuard` callables, which are user code: the engine runs them without its
lock, and their outcome is the core's input. `Guards.checks` says how each name is
obtained; a name the model uses and the runtime cannot check (`CHECKED`) stops the
import, rather than passing or crashing a transition.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from trust import _validators as check
from trust._errors import InvalidTypeError, InvalidValueError
from trust._generated import posture as _lifecycle
from trust._shown import describe_error
from trust.postures import _core
from trust.postures._core import UPGRADE_APPROVAL_GUARD, Refusal
from trust.postures._reports import INTERRUPTS
from trust.postures._transition import PostureTransition, PostureTransitionRequest, TransitionGuard

Refuse = Callable[[PostureTransitionRequest, Refusal], object]
"""Records a refusal (the engine's), before an interrupt a guard raised goes on."""


class Guards:
    """The user's guards, in the order they run, and the upgrade-approval requirement.

    The tuple of guards is replaced, never mutated, so a transition reads it without the
    engine's lock; `add` and `remove` are called with that lock held.
    """

    __slots__ = ("checks", "guards", "require_approval")

    def __init__(self, require_approval: bool) -> None:
        self.require_approval = require_approval
        self.guards: tuple[TransitionGuard, ...] = ()
        # Bound once, so that a transition calls each check with no frame around it.
        checks: dict[str, GuardCheck] = {
            "requester_present": functools.partial(_core.requester_present, require_approval),
            "guards_pass": self.guards_pass,
        }
        self.checks: Mapping[str, GuardCheck] = checks
        """How the engine obtains each guard outcome the model names (`CHECKED`)."""

    def names(self) -> tuple[str, ...]:
        """The names of the active guards, the approval requirement first if it is set."""
        names = tuple(g.name for g in self.guards)
        return (UPGRADE_APPROVAL_GUARD, *names) if self.require_approval else names

    def add(self, guard: object) -> None:
        if not isinstance(guard, TransitionGuard):
            raise InvalidTypeError(f"guard must be a TransitionGuard, got {check.shown(guard)}")
        if guard.name in self.names():
            raise InvalidValueError(f"guard name must be unique, got {guard.name!r} twice")
        self.guards = (*self.guards, guard)

    def refuse_removal(self, guard_name: str) -> None:
        """Raise unless the guard called ``guard_name`` may be removed."""
        check.identifier(guard_name, "guard_name")
        if self.require_approval and guard_name == UPGRADE_APPROVAL_GUARD:
            raise InvalidValueError(
                f"guard {UPGRADE_APPROVAL_GUARD!r} cannot be removed: it is enforced by "
                "require_upgrade_approval=True; build the machine with "
                "require_upgrade_approval=False instead"
            )

    def remove(self, guard_name: str) -> bool:
        kept = tuple(g for g in self.guards if g.name != guard_name)
        removed = len(kept) != len(self.guards)
        self.guards = kept
        return removed

    def guards_pass(
        self, request: PostureTransitionRequest, kind: PostureTransition, refuse: Refuse
    ) -> Refusal | None:
        """The first refusal of the user's guards that apply to ``kind``, or None.

        Fails closed: a guard that raises (any `BaseException`) or answers anything but
        ``True`` refuses. An interrupt (`INTERRUPTS`) is recorded by ``refuse``, then
        goes on.
        """
        for guard in self.guards:
            if kind not in guard.applies_to:
                continue
            try:
                verdict = guard.check_fn(request)
            except BaseException as error:  # fail closed: a guard that raises refuses
                # Named without trusting the error: its __str__ may raise in turn.
                why = f"guard {guard.name!r} raised {describe_error(error)}"
                refusal = Refusal(guard.name, why)
                if issubclass(type(error), INTERRUPTS):
                    refuse(request, refusal)  # recorded before it goes on
                    raise
                return refusal
            if verdict is True:
                continue
            if verdict is False:
                return Refusal(guard.name, guard.reason_on_failure)
            return Refusal(
                guard.name,
                f"guard {guard.name!r} returned {check.shown(verdict)}, not True; refused",
            )
        return None


GuardCheck = Callable[[PostureTransitionRequest, PostureTransition, Refuse], "Refusal | None"]

CHECKED = frozenset(Guards(require_approval=True).checks)
"""The guard names the runtime can check."""

_uninterpreted = set(_lifecycle.GUARDS) - CHECKED
if _uninterpreted:
    # Fail closed at import rather than let an unknown guard pass or crash a transition.
    raise ImportError(f"the posture model uses guards the runtime cannot check: {_uninterpreted}")
