"""What the multi-process store tests run in each child (importable under spawn)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from trust import TrustPosture
from trust.postures._transition import EDGES
from trust.store import HistoryEntry, open_store

DEFAULT = TrustPosture.SUPERVISED
HISTORY = 100_000  # keep every entry: the parent checks the whole history


def race(url: str, agents: list[str], steps: int, seed: int, barrier: Any, out: Any) -> None:
    """Race upgrades, downgrades and emergencies on ``agents``; report what was acknowledged."""
    rng = random.Random(seed)
    store = open_store(url, timeout=30)
    commits = stale = 0
    acknowledged: list[str] = []
    barrier.wait()
    for _ in range(steps):
        agent = rng.choice(agents)
        now = datetime.now(UTC)
        if rng.random() < 0.2:
            op_id = uuid.uuid4().hex
            store.emergency(
                HistoryEntry(
                    agent_id=agent,
                    from_posture=DEFAULT,
                    to_posture="blocked",
                    kind="emergency_downgrade",
                    at=now,
                    op_id=op_id,
                ),
                history_limit=HISTORY,
            )
            acknowledged.append(op_id)  # the call returned: the emergency is acknowledged
            commits += 1
            continue
        row = store.read_posture(agent)
        posture, version = (DEFAULT, 0) if row is None else (row.posture, row.version)
        moves = [
            (to, kind) for (frm, to), (kind, _) in EDGES.items() if frm is posture and to is not frm
        ]
        to, kind = rng.choice(moves)
        written = store.transition(
            HistoryEntry(
                agent_id=agent, from_posture=posture, to_posture=to, kind=kind.value, at=now
            ),
            expected_version=version,
            history_limit=HISTORY,
        )
        if written:
            commits += 1
        else:
            stale += 1
    store.close()
    out.put((commits, stale, acknowledged))


def take_probe(url: str, barrier: Any, out: Any) -> None:
    """Try for a half-open probe slot at the same moment as the other children."""
    store = open_store(url, timeout=30)
    barrier.wait()
    out.put(
        store.acquire_probe(
            "agent", generation=1, max_calls=2, holder=uuid.uuid4().hex, now=1000.0, ttl=60.0
        )
    )
    store.close()


def audit(url: str, count: int, barrier: Any, out: Any) -> None:
    """Record ``count`` audit entries in a store-backed log shared with other children."""
    from trust.audit import AuditLog, AuditOutcome

    log = AuditLog(store=url)
    barrier.wait()
    for i in range(count):
        log.record(
            agent_id="agent",
            posture=TrustPosture.SUPERVISED,
            action="run",
            kwargs={"i": i},
            outcome=AuditOutcome.EXECUTED,
            duration_ms=1.0,
        )
    out.put(count)


def open_fresh(folder: str, rounds: int, barrier: Any, out: Any) -> None:
    """Open ``rounds`` new SQLite files, each at the same moment as the other children."""
    failures = []
    for number in range(rounds):
        barrier.wait()
        try:
            open_store(f"sqlite:///{folder}/fresh-{number}.db", timeout=30).close()
        except Exception as error:  # reported to the parent, which asserts
            failures.append(f"{type(error).__name__}: {error}")
    out.put(failures)
