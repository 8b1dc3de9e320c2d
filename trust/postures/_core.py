"""The posture machine's transition core: pure, with no lock, no clock and no I/O.

Each function is a step: from what the machine holds for one agent (its posture, its
version, whether it has a record), what was asked, the outcomes of the guards the engine
ran, and the moment ``now`` (read by the engine), to the history entry that step records
and the `Effects` the engine must carry out. The entry *is* the new state: on success the
agent holds ``entry.to_posture`` at ``entry.version``; a refusal leaves both as they were.

Which moves exist, what kind each is and which guards it needs come from the generated
lifecycle table (``trust/_generated/posture.py``); this module interprets the table and
the pure guard (``requester_present``), nothing else. The engine
(`trust.postures.PostureStateMachine`) owns the lock, the clock, the stores and the
metrics sink, and runs the user's guards (``guards_pass``) without its lock.

The steps run on every transition with arguments the engine has already checked, so they
take plain positional values and build the entry with the unchecked constructor, and their
effects are constants: nothing on the way allocates but the entry itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from trust import _validators as check
from trust._generated import posture as _lifecycle
from trust._unchecked import unchecked_constructor
from trust._validators import EMPTY_MAPPING
from trust.postures._posture import TrustPosture
from trust.postures._transition import (
    EDGES,
    PostureTransition,
    PostureTransitionRequest,
    TransitionResult,
)

UPGRADE_APPROVAL_GUARD = "upgrade_approval_required"
"""The name under which ``require_upgrade_approval=True`` blocks an upgrade."""

PROTECTIVE_EVENT = "protective_downgrade"


def guardless(event: str) -> None:
    """Stop the import if the model gives ``event`` a guard: nothing may veto it."""
    for source, name, target, guards in _lifecycle.TRANSITIONS:
        if name == event and guards:
            # These promise that nothing can veto them; a guard in the model breaks that.
            raise ImportError(f"{event} must have no guards, the model gives {source} -> {target}")


guardless(PROTECTIVE_EVENT)
PROTECTIVE: frozenset[tuple[TrustPosture, TrustPosture]] = frozenset(
    (TrustPosture(source), TrustPosture(target))
    for source, event, target, _ in _lifecycle.TRANSITIONS
    if event == PROTECTIVE_EVENT
)
"""The (from, to) pairs a protective downgrade may take: each lowers autonomy."""


@attrs.frozen
class Refusal:
    """Why a request is refused: the guard that refused (None: no guard) and the reason."""

    blocked_by: str | None
    reason: str


@attrs.frozen
class Effects:
    """What the engine does with a step's entry, besides returning it.

    Attributes:
        record: Keep the entry in the agent's own record (made now if the agent has none)
            rather than in the machine-wide store of agents whose posture never changed.
        report: Tell the metrics sink of the change (every success, none of the refusals).
        level: The `logging` level the entry is logged at on ``trust.postures``.
    """

    record: bool
    report: bool
    level: int


# The effects every step picks from: one constant per outcome, so that no step allocates.
_ALERT, _CHANGE, _REFUSAL = logging.WARNING, logging.INFO, logging.DEBUG
RECORDED_ALERT: Final = Effects(record=True, report=True, level=_ALERT)
UNRECORDED_ALERT: Final = Effects(record=False, report=True, level=_ALERT)
RECORDED_CHANGE: Final = Effects(record=True, report=True, level=_CHANGE)
UNRECORDED_CHANGE: Final = Effects(record=False, report=True, level=_CHANGE)
RECORDED_REFUSAL: Final = Effects(record=True, report=False, level=_REFUSAL)
UNRECORDED_REFUSAL: Final = Effects(record=False, report=False, level=_REFUSAL)

Step = tuple[TransitionResult, Effects]
"""The entry a step records, and what the engine does with it."""

Edge = tuple[PostureTransition, tuple[str, ...]]
"""A requestable move: its kind and the names of the guards it needs (from `EDGES`)."""

_make_result = unchecked_constructor(TransitionResult)
EMERGENCY_KIND = PostureTransition.EMERGENCY_DOWNGRADE

_NO_REQUESTER = Refusal(
    UPGRADE_APPROVAL_GUARD, "upgrade requires a requester_id other than the agent itself, got None"
)


# -- what a request needs --------------------------------------------------------------


def screen(
    request: PostureTransitionRequest,
    posture: TrustPosture,
    version: int,
    expected_version: int | None,
) -> Refusal | Edge:
    """Whether ``request`` may go on to its guards, against the agent's state when asked.

    Returns the move (its kind and guard names) or why it is refused: the posture changed
    since ``expected_version``, the request's ``from_posture`` is not the agent's, or the
    lifecycle has no such move.
    """
    if expected_version is not None and version != expected_version:
        return Refusal(None, f"posture changed since version {expected_version} (now {version})")
    if posture is not request.from_posture:
        return Refusal(
            None,
            f"current posture ({posture.value}) does not match the request's "
            f"from_posture ({request.from_posture.value})",
        )
    edge = EDGES.get((posture, request.to_posture))
    if edge is None:
        return Refusal(
            None,
            f"the posture lifecycle has no transition from {posture.value} "
            f"to {request.to_posture.value}",
        )
    return edge


def requester_present(
    require_approval: bool,
    request: PostureTransitionRequest,
    kind: object = None,
    refuse: object = None,
) -> Refusal | None:
    """The model's ``requester_present`` guard: someone other than the agent asked.

    Holds when approval is not required; otherwise the requester must be an identifier
    (`trust._validators.identifier`) other than the agent's own id. The engine binds
    ``require_approval`` once (`functools.partial`), and passes what every guard check is
    given after ``request`` (``kind``, ``refuse``); this one reads neither.
    """
    if not require_approval:
        return None
    requester = request.requester_id
    try:
        if requester is not None and check.identifier(requester, "requester_id") != (
            request.agent_id
        ):
            return None
    except ValueError as error:
        return Refusal(UPGRADE_APPROVAL_GUARD, f"upgrade requires a valid requester_id: {error}")
    if requester is None:
        return _NO_REQUESTER  # the common refusal: one value shared by every entry
    return Refusal(
        UPGRADE_APPROVAL_GUARD,
        "upgrade requires a requester_id other than the agent itself, "
        f"got {check.shown(requester)}",
    )


def settle(
    request: PostureTransitionRequest,
    kind: PostureTransition,
    checked: TrustPosture,
    checked_version: int,
    posture: TrustPosture,
    version: int,
    recorded: bool,
    fenced: str | None,
    now: datetime,
    sequence: int,
) -> Step:
    """The request whose guards all passed, against the agent's state now.

    ``checked`` and ``checked_version`` are what the guards were checked against;
    ``posture``, ``version`` and ``recorded`` what the agent holds now. If anything
    changed meanwhile (an emergency, say), what changed it stands and the request is
    refused; so it is if ``fenced`` gives a reason (the circuit breaker's fence).
    """
    if version != checked_version or posture is not checked:
        why = f"posture changed to {posture.value} while the transition was checked"
        return refused(request, posture, version, recorded, Refusal(None, why), now, sequence)
    if fenced is not None:
        return refused(request, posture, version, recorded, Refusal(None, fenced), now, sequence)
    # `change`, specialised to a request (never administrative, never an emergency: see
    # REQUESTABLE) and inlined, as this runs on every transition; tests/test_posture_core.py
    # holds the two equal on every requestable move.
    target = request.to_posture
    keeps_record = recorded or target is not posture
    entry = _make_result(
        True,
        posture,
        target,
        kind,
        request.reason,
        None,
        now,
        request.metadata,
        request.agent_id,
        request.requester_id,
        False,
        False,
        version + 1 if keeps_record else version,
        sequence,
    )
    return entry, RECORDED_CHANGE if keeps_record else UNRECORDED_CHANGE


def refused(
    request: PostureTransitionRequest,
    posture: TrustPosture,
    version: int,
    recorded: bool,
    refusal: Refusal,
    now: datetime,
    sequence: int,
) -> Step:
    """The refusal of ``request``, recorded from the posture the agent holds now.

    ``from_posture`` is that posture, so the history keeps agreeing with it; the kind is
    the lifecycle's for the move from it, or the one the request asked for.
    """
    edge = EDGES.get((posture, request.to_posture))
    entry = _make_result(
        False,
        posture,
        request.to_posture,
        edge[0] if edge is not None else request.transition_type,
        refusal.reason,
        refusal.blocked_by,
        now,
        request.metadata,
        request.agent_id,
        request.requester_id,
        False,
        False,
        version,
        sequence,
    )
    return entry, RECORDED_REFUSAL if recorded else UNRECORDED_REFUSAL


# -- what needs no guard ---------------------------------------------------------------


def change(
    agent_id: str,
    posture: TrustPosture,
    version: int,
    recorded: bool,
    target: TrustPosture,
    kind: PostureTransition,
    reason: str,
    requester_id: str | None,
    now: datetime,
    sequence: int,
    administrative: bool = False,
    protective: bool = False,
    metadata: Mapping[str, Any] = EMPTY_MAPPING,
) -> Step:
    """A committed move of the agent from ``posture`` to ``target``.

    Every change of posture is a new version, and so is every success once the agent has
    a record. An agent without one reads a machine-wide version: an administrative or
    emergency word on its posture that keeps it as it was is a new one (so that a
    transition checked before it is refused), a MAINTAIN is not; such a step is kept in
    the machine-wide store, as the agent's posture never changed.
    """
    moved = target is not posture
    administrative_word = administrative or kind is EMERGENCY_KIND
    keeps_record = recorded or moved
    if keeps_record or administrative_word:
        version += 1
    entry = _make_result(
        True,
        posture,
        target,
        kind,
        reason,
        None,
        now,
        metadata,
        agent_id,
        requester_id,
        administrative,
        protective,
        version,
        sequence,
    )
    if protective or kind is EMERGENCY_KIND:
        return entry, RECORDED_ALERT if keeps_record else UNRECORDED_ALERT
    return entry, RECORDED_CHANGE if keeps_record else UNRECORDED_CHANGE


def administrative(
    agent_id: str,
    posture: TrustPosture,
    version: int,
    recorded: bool,
    target: TrustPosture,
    reason: str,
    requester_id: str | None,
    now: datetime,
    sequence: int,
) -> Step:
    """`PostureStateMachine.set_posture`: any move, recorded as the lifecycle's kind."""
    kind = EDGES[posture, target][0]
    return change(
        agent_id,
        posture,
        version,
        recorded,
        target,
        kind,
        reason,
        requester_id,
        now,
        sequence,
        administrative=True,
    )


def protective(
    agent_id: str,
    posture: TrustPosture,
    version: int,
    recorded: bool,
    target: TrustPosture,
    reason: str,
    requester_id: str | None,
    now: datetime,
    sequence: int,
) -> Step | None:
    """The breaker's downgrade to ``target``; None when the model has no such move.

    The model's protective moves only lower autonomy, so an agent already at or below
    ``target`` is left alone, and nothing is recorded.
    """
    if (posture, target) not in PROTECTIVE:
        return None
    return change(
        agent_id,
        posture,
        version,
        recorded,
        target,
        EDGES[posture, target][0],
        reason,
        requester_id,
        now,
        sequence,
        protective=True,
    )
