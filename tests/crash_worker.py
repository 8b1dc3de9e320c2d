"""The crash trials' child processes: killed with SIGKILL at a named point of a write.

A spawned "zygote" imports care-trust once, then forks one child per trial, which is
cheap: the child opens the store afresh (as a restarted process would), runs the
trial's operations, and kills itself with SIGKILL when the chosen write reaches the
chosen point. Each operation that returns writes an acknowledgement to a pipe first
read by the zygote: what the trial's caller was told had happened.

Operations (``kind`` of `Op`): an emergency downgrade, a compare-and-set transition, a
breaker trip (the circuit row and a protective downgrade, in one transaction), a breaker
restore (the row and the displaced posture, in one transaction), an audit record.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.zygote import KillSwitch, serve
from trust import TrustPosture
from trust.audit import AuditLog, AuditOutcome
from trust.postures._transition import EDGES
from trust.store import BreakerRow, HistoryEntry, PostureWrite, TrustStore, open_store

DEFAULT = TrustPosture.SUPERVISED
HISTORY = 1_000_000  # keep every entry: the checks replay the whole history
AGENTS = ("a", "b", "c")
KINDS = ("emergency", "transition", "trip", "restore", "audit")
POINTS = ("written", "committed")  # mid-transaction; after commit, before return
TRIP_TO = TrustPosture.HUMAN_DECIDES


def _now() -> datetime:
    return datetime.now(UTC)


def _entry(
    agent: str, frm: TrustPosture, to: TrustPosture, kind: str, **extra: Any
) -> HistoryEntry:
    return HistoryEntry(
        agent_id=agent, from_posture=frm, to_posture=to, kind=kind, at=_now(), **extra
    )


def _held(store: TrustStore, agent: str) -> tuple[TrustPosture, int]:
    row = store.read_posture(agent)
    return (DEFAULT, 0) if row is None else (row.posture, row.version)


def run_op(
    store: TrustStore, log: AuditLog, kind: str, agent: str, rng: random.Random, op_id: str
) -> str:
    """Run one operation; the acknowledgement line it returns is what its caller learns."""
    if kind == "emergency":
        store.emergency(
            _entry(agent, DEFAULT, TrustPosture.BLOCKED, "emergency_downgrade", op_id=op_id),
            history_limit=HISTORY,
        )
        return f"emergency {agent} {op_id}"
    if kind == "transition":
        posture, version = _held(store, agent)
        moves = [to for (frm, to) in EDGES if frm is posture and to is not frm]
        to = rng.choice(moves)
        edge_kind = EDGES[(posture, to)][0].value
        ok = store.transition(
            _entry(agent, posture, to, edge_kind), expected_version=version, history_limit=HISTORY
        )
        return f"transition {agent} {bool(ok)}"
    if kind == "trip":
        posture, version = _held(store, agent)
        breaker = store.read_breaker(agent)
        generation = 0 if breaker is None else breaker.generation
        if (breaker is not None and breaker.state == "open") or posture <= TRIP_TO:
            return f"trip {agent} skipped"
        row = BreakerRow(
            key=agent,
            state="open",
            generation=generation + 1,
            opened_at=1000.0,
            displaced_posture=posture,
            displaced_version=version,
        )
        detail = json.dumps({"generation": generation + 1})
        change = _entry(agent, posture, TRIP_TO, "protective_downgrade", detail=detail)
        ok = store.write_breaker(
            row,
            expected_generation=generation,
            posture=PostureWrite(expected_version=version, entry=change),
        )
        return f"trip {agent} {ok}"
    if kind == "restore":
        breaker = store.read_breaker(agent)
        if breaker is None or breaker.state != "open":
            return f"restore {agent} skipped"
        posture, version = _held(store, agent)
        assert breaker.displaced_posture is not None
        assert breaker.displaced_version is not None
        closed = BreakerRow(key=agent, state="closed", generation=breaker.generation + 1)
        restore = None
        if version == breaker.displaced_version + 1:  # nobody moved the posture since the trip
            detail = json.dumps({"generation": breaker.generation + 1})
            restore = PostureWrite(
                expected_version=version,
                entry=_entry(
                    agent, posture, breaker.displaced_posture, "breaker_restore", detail=detail
                ),
            )
        ok = store.write_breaker(closed, expected_generation=breaker.generation, posture=restore)
        return f"restore {agent} {ok}"
    entry = log.record(
        agent_id=agent,
        posture=_held(store, agent)[0],
        action="run",
        kwargs={"n": rng.randrange(1000)},
        outcome=AuditOutcome.EXECUTED,
        duration_ms=1.0,
    )
    return f"audit {agent} {entry.sequence}"


def trial(url: str, seed: int, ops: int, kill_at: int, point: str, ack_fd: int) -> None:
    """The forked child: run ``ops`` operations, and die at ``point`` of write ``kill_at``."""
    rng = random.Random(seed)
    fault = KillSwitch(point, kill_at)
    store = open_store(url, fault=fault, timeout=30)
    log = AuditLog(store=store)
    fault.armed = True
    for _ in range(ops):
        kind, agent, op_id = rng.choice(KINDS), rng.choice(AGENTS), uuid.uuid4().hex
        os.write(ack_fd, f"start {kind} {agent} {op_id}\n".encode())
        # Written before the next operation starts: what the caller was told.
        os.write(ack_fd, f"ack {run_op(store, log, kind, agent, rng, op_id)}\n".encode())


def zygote(conn: Any) -> None:
    """The zygote's loop (`tests.zygote.serve`) over this module's `trial`."""
    serve(conn, lambda asked, fd: trial(*asked, ack_fd=fd))
