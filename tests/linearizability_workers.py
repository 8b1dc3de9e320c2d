"""What the linearizability test runs in each spawned process: a real store-backed machine.

Each process races upgrades, downgrades, administrative changes and emergency downgrades
on a few shared agents through its own ``PostureStateMachine(store=url)``, and records each
operation: invocation and response times (``time.monotonic_ns``, shared by the processes
of one machine), what was asked and what it returned (see `tests.linearizability`).
"""

from __future__ import annotations

import random
import time
from typing import Any

from trust import PostureStateMachine, TrustPosture
from trust.postures import PostureTransitionRequest
from trust.store import open_store

STALE = ("while the transition was checked", "changed in the store since")
UNREACHABLE = "cannot be reached"
POSTURES = list(TrustPosture)


def race(
    url: str, process: int, seed: int, ops: int, agents: tuple[str, ...], start: Any, out: Any
) -> None:
    """Run ``ops`` random operations once every process is ready; put the records on ``out``."""
    store = open_store(url, timeout=120)  # a busy store waits: these runs measure no outage
    machine = PostureStateMachine(store=store, auto_refresh=False, require_upgrade_approval=True)
    rng = random.Random(seed)
    records = []
    start.wait()
    for _ in range(ops):
        agent = rng.choice(agents)
        what = rng.choices(("transition", "set_posture", "emergency"), weights=(6, 2, 1))[0]
        if what == "emergency":
            inv = time.monotonic_ns()
            result = machine.emergency_downgrade(agent, reason="race", requester_id="sec")
            resp = time.monotonic_ns()
            if result.metadata["durable"] is not True:
                raise AssertionError(f"an emergency was not durable: {result.metadata}")
            records.append((process, agent, inv, resp, ("emergency",), (result.version,)))
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
        if UNREACHABLE in result.reason:
            raise AssertionError(f"the store was unreachable: {result.reason}")
        stale = any(words in result.reason for words in STALE) and not result.success
        records.append(
            (
                process,
                agent,
                inv,
                resp,
                call,
                (result.success, result.from_posture, result.version, stale),
            )
        )
    machine.durable.close()  # type: ignore[union-attr]
    out.put(records)
