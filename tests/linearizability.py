"""A linearizability checker, and the sequential posture spec it checks histories against.

A history is what concurrent callers saw: for each operation, the process that ran it,
when it was invoked and when it responded (``time.monotonic_ns``, one clock for every
process of a machine) and what it returned. It is linearizable when the operations can
be put in one sequence that respects real time (an operation that responded before
another was invoked comes first) and in which every result is what the sequential spec
returns from the state the operations before it left.

The search is Wing & Gong's, with Lowe's memoisation: a depth-first search over which
operations are linearized so far, and the spec's state after them, never visiting a
(linearized set, state) pair twice. Each process runs its operations one after another,
so the linearized set is a prefix of each process's operations: a tuple of counts.
Linearizability is compositional (P-compositionality): a history of several agents is
linearizable iff each agent's is, so `check_per_key` checks the agents one by one.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import attrs

from trust import TrustPosture
from trust.model import POSTURE_SPEC, PostureLifecycle

S = TypeVar("S", bound=Hashable)


@attrs.frozen(kw_only=True)
class Op:
    """One completed operation of a history.

    Attributes:
        process: Which process ran it (its operations never overlap).
        key: What it acted on (the agent): histories are checked key by key.
        inv: When it was invoked (ns, one monotonic clock for all processes).
        resp: When it responded.
        call: What was asked (interpreted by the spec).
        result: What it returned (interpreted by the spec).
    """

    process: int
    key: str
    inv: int
    resp: int
    call: tuple[Any, ...]
    result: tuple[Any, ...]


@attrs.frozen(kw_only=True)
class Verdict:
    """Whether a history is linearizable, and what the search cost."""

    linearizable: bool
    ops: int
    explored: int
    seconds: float
    key: str | None = None  # the first key whose history is not linearizable
    stuck_at: tuple[int, ...] = ()  # the furthest per-process prefix the search reached

    def __bool__(self) -> bool:
        return self.linearizable


Step = Callable[[Any, Op], Any]
"""The spec: the state after ``op`` from ``state``, or None if ``op``'s result is impossible."""


def check(ops: Iterable[Op], initial: Hashable, step: Step) -> Verdict:
    """Whether ``ops`` (one key's history) is linearizable from ``initial`` under ``step``."""
    began = time.perf_counter()
    by_process: dict[int, list[Op]] = {}
    for op in sorted(ops, key=lambda o: o.inv):
        by_process.setdefault(op.process, []).append(op)
    lanes: list[Sequence[Op]] = list(by_process.values())
    for lane in lanes:
        for before, after in itertools.pairwise(lane):
            if before.resp > after.inv:
                raise ValueError(f"process {after.process} ran two operations at once")
    lengths = tuple(len(lane) for lane in lanes)
    total = sum(lengths)
    start = tuple(0 for _ in lanes)
    stack: list[tuple[tuple[int, ...], Hashable]] = [(start, initial)]
    seen: set[tuple[tuple[int, ...], Hashable]] = set()
    furthest = start
    while stack:
        prefix, state = stack.pop()
        if (prefix, state) in seen:
            continue
        seen.add((prefix, state))
        done = sum(prefix)
        if done == total:
            return Verdict(
                linearizable=True,
                ops=total,
                explored=len(seen),
                seconds=time.perf_counter() - began,
            )
        if done > sum(furthest):
            furthest = prefix
        heads = [(p, lanes[p][n]) for p, n in enumerate(prefix) if n < lengths[p]]
        # An operation may come next only if it was invoked before every operation not
        # yet linearized responded: the earliest response is some process's next one.
        earliest = min(op.resp for _, op in heads)
        for p, op in heads:
            if op.inv > earliest:
                continue
            after = step(state, op)
            if after is not None:
                stack.append(((*prefix[:p], prefix[p] + 1, *prefix[p + 1 :]), after))
    return Verdict(
        linearizable=False,
        ops=total,
        explored=len(seen),
        seconds=time.perf_counter() - began,
        stuck_at=furthest,
    )


def check_per_key(ops: Iterable[Op], initial: Hashable, step: Step) -> Verdict:
    """Check each key's history on its own; the first that fails, or the totals."""
    keyed: dict[str, list[Op]] = {}
    for op in ops:
        keyed.setdefault(op.key, []).append(op)
    explored, seconds, total = 0, 0.0, 0
    for key, history in sorted(keyed.items()):
        verdict = check(history, initial, step)
        explored, seconds, total = (
            explored + verdict.explored,
            seconds + verdict.seconds,
            total + verdict.ops,
        )
        if not verdict:
            return attrs.evolve(verdict, key=key, explored=explored, seconds=seconds)
    return Verdict(linearizable=True, ops=total, explored=explored, seconds=seconds)


# -- the sequential posture spec ---------------------------------------------------------

PostureState = tuple[TrustPosture, int]
"""An agent's posture and version, as the store holds them."""

INITIAL: PostureState = (TrustPosture(POSTURE_SPEC.initial), 0)


def _allowed() -> dict[tuple[TrustPosture, TrustPosture, bool], str]:
    """The model's verdict on each requested move: its event if allowed, with or without a
    requester (upgrades need one), read once from `PostureLifecycle`."""
    allowed = {}
    for t in POSTURE_SPEC.transitions:
        if t.event not in {"upgrade", "downgrade", "maintain"}:
            continue
        for requester in (True, False):
            model = PostureLifecycle(require_upgrade_approval=True, start_value=t.source)
            try:
                model.send(
                    t.event,
                    agent_id="agent",
                    requester_id="operator" if requester else None,
                    to=t.target,
                    guards_approve=True,
                )
            except Exception:  # TransitionNotAllowed: the model refuses it
                continue
            allowed[(TrustPosture(t.source), TrustPosture(t.target), requester)] = t.event
    return allowed


ALLOWED = _allowed()
EMERGENCY_TARGETS = {
    TrustPosture(t.source): TrustPosture(t.target)
    for t in POSTURE_SPEC.transitions
    if t.event == "emergency_downgrade"
}


def posture_step(state: PostureState, op: Op) -> PostureState | None:
    """What each operation returns from ``state``, as the sequential spec says.

    Calls and results (as tests/linearizability_workers.py records them):

    - ``("transition", from, to, expected_version | None, requester_present)`` returns
      ``(success, from_posture, version, stale)``: it succeeds iff the agent is at
      ``from`` (and at ``expected_version``, if given) and the model allows the move,
      and then the agent is at ``to``, one version on. A refusal changes nothing and
      reports the state it was decided against; a refusal because the posture changed
      while it was checked or before its compare-and-set committed (``stale``) is a
      no-op consistent with the state it read.
    - ``("set_posture", to)``: the same, with every move allowed (administrative).
    - ``("emergency",)`` returns ``(version,)``: always BLOCKED, one version on.
    """
    posture, version = state
    kind = op.call[0]
    if kind == "emergency":
        (stored_version,) = op.result
        if stored_version != version + 1:
            return None
        return (EMERGENCY_TARGETS[posture], version + 1)
    success, seen_posture, seen_version, stale = op.result
    if (seen_posture, seen_version) != ((posture, version + 1) if success else (posture, version)):
        return None
    if kind == "set_posture":
        (to,) = op.call[1:]
        allowed = True
    else:
        frm, to, expected, requester = op.call[1:]
        allowed = (
            frm is posture
            and (expected is None or expected == version)
            and (posture, to, requester) in ALLOWED
        )
    if success:
        return (to, version + 1) if allowed else None
    if stale:
        return state  # it read this state, then lost a race: a no-op
    return state if not allowed else None
