"""The breaker crash trials' child processes: the real breaker, killed mid-trip or mid-restore.

A spawned "zygote" imports care-trust once, then forks one child per trial. The child
starts as a restarted process would (a new `PostureStateMachine` and
`PostureCircuitBreaker` on the store, its clock going on from the last trial's), drives
failures, probes and operator changes, and kills itself with SIGKILL at a named point
(``written``: mid-transaction; ``committed``: after the commit, before the call returns)
of its chosen breaker write: a trip (an OPEN row, with the protective downgrade when it
lowers the posture) or a restore (the CLOSED row with the displaced posture). Each
operation that returns writes an acknowledgement line first.
"""

from __future__ import annotations

import os
import random
import signal
from datetime import UTC, datetime
from typing import Any

from tests.zygote import serve
from trust.circuit_breaker import CircuitBreakerConfig, PostureCircuitBreaker
from trust.postures import PostureStateMachine, TrustPosture
from trust.store import BreakerRow, PostureWrite, open_store
from trust.testing import FakeClock

AGENTS = ("a", "b")
POINTS = ("written", "committed")
KINDS = ("trip", "restore")
DOWN_TO = TrustPosture.HUMAN_DECIDES
RECOVERY = 30.0
# What a trial does, by the kind of write it is to be killed in: it makes them often.
OPS = {
    "trip": ("fail", "fail", "fail", "probe", "raise", "set"),
    "restore": ("fail", "fail", "probe", "probe", "raise", "raise", "set"),
}


def config() -> CircuitBreakerConfig:
    return CircuitBreakerConfig(
        failure_threshold=2,
        recovery_timeout=RECOVERY,
        half_open_max_calls=1,
        probe_timeout=5,
        downgrade_on_open=DOWN_TO,
    )


def trial(
    url: str, seed: int, wall: float, ops: int, kind: str, kill_at: int, point: str, ack: int
) -> None:
    """The forked child: run ``ops`` operations; die at ``point`` of breaker write
    ``kill_at`` of ``kind``."""
    rng = random.Random(seed)
    seen = 0
    current = ""

    def fault(name: str) -> None:
        if current == kind and name == point and seen == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    store = open_store(url, fault=fault, timeout=30)
    write_breaker = store.write_breaker

    def labelled(
        row: BreakerRow, *, expected_generation: int, posture: PostureWrite | None = None
    ) -> bool:
        nonlocal current, seen
        current = "trip" if row.state == "open" else "restore" if posture is not None else "row"
        seen += current == kind
        try:
            return write_breaker(row, expected_generation=expected_generation, posture=posture)
        finally:
            current = ""

    store.write_breaker = labelled  # type: ignore[method-assign]
    clock = FakeClock(datetime.fromtimestamp(wall, UTC))
    machine = PostureStateMachine(
        store=store, clock=clock, auto_refresh=False, require_upgrade_approval=False
    )
    breaker = PostureCircuitBreaker(machine, config(), auto_refresh=False)
    assert machine.durable is not None
    for _ in range(ops):
        op, agent = rng.choice(OPS[kind]), rng.choice(AGENTS)
        os.write(ack, f"start {op} {agent}\n".encode())
        if op == "fail":
            breaker.record_failure_sync(agent, "Timeout", "upstream timed out")
            said = breaker.get_state(agent).value
        elif op == "probe":
            clock.advance(RECOVERY + 1)
            machine.durable.refresh()
            admission = breaker.admit_sync(agent)
            if admission.probe:
                breaker.record_success_sync(agent, admission)
            said = f"{admission.probe} {breaker.get_state(agent).value}"
        elif op == "raise":
            said = str(machine.set_posture(agent, TrustPosture.FULL_AUTONOMY).success)
        else:
            to = rng.choice(list(TrustPosture))
            said = str(machine.set_posture(agent, to, requester_id="ops").success)
        posture = machine.get_posture(agent).value
        os.write(ack, f"ack {op} {agent} {said} {posture}\n".encode())


def zygote(conn: Any) -> None:
    """The zygote's loop (`tests.zygote.serve`) over this module's `trial`."""
    serve(conn, lambda asked, fd: trial(*asked, ack=fd))
