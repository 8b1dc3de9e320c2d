"""The engine crash trials' child processes: a real store-backed PostureStateMachine, killed.

As in tests/crash_worker.py, a spawned "zygote" imports care-trust once, then forks one
child per trial. The child opens the SQLite store afresh (as a restarted process would),
builds a ``PostureStateMachine(store=...)`` and an ``AuditLog(store=...)`` on it, runs the
trial's operations through the machine (emergency downgrades, transitions, administrative
changes), records each to the audit log, and kills itself with SIGKILL when the chosen
write reaches the chosen point of its transaction. Each operation that returns writes an
acknowledgement to a pipe first: what the caller was told had happened.
"""

from __future__ import annotations

import os
import random
import uuid
from typing import Any

from tests.zygote import KillSwitch, serve
from trust import PostureStateMachine, TrustPosture
from trust.audit import AuditLog, AuditOutcome
from trust.postures import PostureTransitionRequest
from trust.store import open_store

HISTORY = 1_000_000  # keep every entry: the checks replay the whole history
AGENTS = ("a", "b")
KINDS = ("emergency", "transition", "set_posture")
WRITES = (*KINDS, "audit")
POINTS = ("written", "committed")  # mid-transaction; after commit, before return
POSTURES = list(TrustPosture)


def run_op(
    machine: PostureStateMachine, kind: str, agent: str, op_id: str, rng: random.Random
) -> str:
    """Run one operation through the machine; the words it returns are what its caller learns."""
    if kind == "emergency":
        result = machine.emergency_downgrade(agent, reason="incident", op_id=op_id)
        return f"{op_id} {result.metadata['durable']} {result.version}"
    durable = machine.durable
    assert durable is not None
    row = durable.store.read_posture(agent)
    posture = machine.default_posture if row is None else row.posture
    to = rng.choice(POSTURES)
    if kind == "set_posture":
        result = machine.set_posture(agent, to, reason="ops", requester_id="ops")
    else:
        request = PostureTransitionRequest(
            agent_id=agent, from_posture=posture, to_posture=to, requester_id="operator"
        )
        result = machine.transition(request)
    return f"- {result.success} {result.version}"


def trial(url: str, seed: int, ops: int, kill_at: int, point: str, ack_fd: int) -> None:
    """The forked child: run ``ops`` operations, and die at ``point`` of write ``kill_at``."""
    rng = random.Random(seed)
    fault = KillSwitch(point, kill_at)
    store = open_store(url, fault=fault, timeout=30)
    machine = PostureStateMachine(
        store=store, auto_refresh=False, require_upgrade_approval=True, history_limit=HISTORY
    )
    log = AuditLog(store=store)
    fault.armed = True
    for _ in range(ops):
        kind, agent, op_id = rng.choice(KINDS), rng.choice(AGENTS), uuid.uuid4().hex
        os.write(ack_fd, f"start {kind} {agent} {op_id}\n".encode())
        said = run_op(machine, kind, agent, op_id, rng)
        os.write(ack_fd, f"ack {kind} {agent} {said}\n".encode())
        os.write(ack_fd, f"start audit {agent} -\n".encode())
        entry = log.record(
            agent_id=agent,
            posture=machine.get_posture(agent),
            action=kind,
            kwargs={"n": rng.randrange(1000)},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=1.0,
        )
        os.write(ack_fd, f"ack audit {agent} {entry.sequence}\n".encode())


def zygote(conn: Any) -> None:
    """The zygote's loop (`tests.zygote.serve`) over this module's `trial`."""
    serve(conn, lambda asked, fd: trial(*asked, ack_fd=fd))
