"""What the linearizability test runs in each spawned process: a real store-backed machine.

Each process races upgrades, downgrades, administrative changes and emergency downgrades
on a few shared agents through its own ``PostureStateMachine(store=url)``, and records each
operation: invocation and response times (``time.monotonic_ns``, shared by the processes
of one machine), what was asked and what it returned (see `tests.linearizability`).

A real deployment is slower between a read and the commit that depends on it than a bare
SQLite file is: its guards take time (an approval service, a policy lookup), and the reply
of a distant store, or a process descheduled on a busy host, arrives late. Without that, on
SQLite the window is microseconds, writers queue on the file lock, and processes rarely
decide from the same version. So each machine here has a guard that busy-works on every
upgrade and downgrade, and its store replies to a posture read only after busy-working too
(`LateReads`): a seeded, random number of iterations (``work``), never a timer, so several
processes decide from one version and commit in turn, and a broken compare-and-set shows.
The processes start each operation together (a `multiprocessing.Barrier`), so that they
overlap however the host schedules them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from trust import PostureStateMachine, TrustPosture
from trust.postures import PostureTransition, PostureTransitionRequest, TransitionGuard
from trust.store import PostureRow, TrustStore, open_store

STALE = ("while the transition was checked", "changed in the store since")
UNREACHABLE = "cannot be reached"
POSTURES = list(TrustPosture)


def busy(iterations: int) -> int:
    """Work for ``iterations`` steps of plain Python (no timer, no I/O); returns a checksum."""
    total = 0
    for i in range(iterations):
        total ^= i
    return total


class LateReads(TrustStore):
    """A real store whose posture reads reply late: what was read, after some work.

    The read itself runs at once (its answer is the store's at that moment); the caller
    gets it only after ``busy(rng.randrange(work))``, as from a distant server or after
    being descheduled. Every other operation is the store's own.
    """

    def __init__(self, inner: TrustStore, rng: random.Random, work: int) -> None:
        self.inner = inner
        self.url = inner.url
        self._rng = rng
        self._work = work

    def read_posture(self, agent_id: str) -> PostureRow | None:
        row = self.inner.read_posture(agent_id)
        busy(self._rng.randrange(self._work))
        return row


def _forward(name: str) -> Callable[..., Any]:
    def forward(self: LateReads, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.inner, name)(*args, **kwargs)

    forward.__name__ = name
    return forward


for _name in TrustStore.__abstractmethods__ - {"read_posture"}:
    setattr(LateReads, _name, _forward(_name))
LateReads.__abstractmethods__ = frozenset()


def race(
    url: str,
    process: int,
    seed: int,
    ops: int,
    agents: tuple[str, ...],
    work: int,
    start: Any,
    out: Any,
) -> None:
    """Run ``ops`` random operations in step with the other processes; put the records on ``out``.

    Each record ends with what the process's cache served (``get_posture``, ``version``)
    right after the operation: the records are followed by how many lost races each reason
    counted (`STALE`).
    """
    store = open_store(url, timeout=120)  # a busy store waits: these runs measure no outage
    rng = random.Random(seed)
    machine = PostureStateMachine(
        store=LateReads(store, random.Random(seed + 1), work) if work else store,
        auto_refresh=False,
        freshness=3600.0,  # never refreshed: the cache holds only what this process read or wrote
        require_upgrade_approval=True,
    )
    if work:
        slow = random.Random(seed + 2)
        machine.add_guard(
            TransitionGuard(
                name="policy_lookup",
                check_fn=lambda _request: busy(slow.randrange(work)) >= 0,
                applies_to=frozenset({PostureTransition.UPGRADE, PostureTransition.DOWNGRADE}),
            )
        )
    records = []
    lost = dict.fromkeys(STALE, 0)
    for _ in range(ops):
        # Every operation starts with every process's: on a busy host a process may
        # otherwise run far ahead of the others, and race no one.
        start.wait()
        agent = rng.choice(agents)
        what = rng.choices(("transition", "set_posture", "emergency"), weights=(6, 2, 1))[0]
        if what == "emergency":
            inv = time.monotonic_ns()
            result = machine.emergency_downgrade(agent, reason="race", requester_id="sec")
            resp = time.monotonic_ns()
            if result.metadata["durable"] is not True:
                raise AssertionError(f"an emergency was not durable: {result.metadata}")
            seen = (machine.get_posture(agent), machine.version(agent))
            records.append((process, agent, inv, resp, ("emergency",), (result.version,), seen))
            continue
        if what == "set_posture":
            to = rng.choice(POSTURES)
            call: tuple[Any, ...] = ("set_posture", to)
            inv = time.monotonic_ns()
            result = machine.set_posture(agent, to, reason="race", requester_id="ops")
        else:
            # The request is built from a read made before the call: often stale by the
            # time it runs, which is the point.
            row = store.read_posture(agent)
            posture, version = (
                (TrustPosture.SUPERVISED, 0) if row is None else (row.posture, row.version)
            )
            to = rng.choice(POSTURES)
            expected = version if rng.random() < 0.5 else None
            requester = rng.random() < 0.9
            call = ("transition", posture, to, expected, requester)
            request = PostureTransitionRequest(
                agent_id=agent,
                from_posture=posture,
                to_posture=to,
                reason="race",
                requester_id="operator" if requester else None,
            )
            inv = time.monotonic_ns()
            result = machine.transition(request, expected_version=expected)
        resp = time.monotonic_ns()
        seen = (machine.get_posture(agent), machine.version(agent))  # the cache, after the op
        if UNREACHABLE in result.reason:
            raise AssertionError(f"the store was unreachable: {result.reason}")
        stale = False
        if not result.success:
            for words in STALE:
                if words in result.reason:
                    lost[words] += 1
                    stale = True
        records.append(
            (
                process,
                agent,
                inv,
                resp,
                call,
                (result.success, result.from_posture, result.version, stale),
                seen,
            )
        )
    machine.durable.close()  # type: ignore[union-attr]
    out.put((records, lost))
