"""Peak memory of a large fleet: every agent with a posture, one breaker trip, full histories.

Run: python bench/memory.py [--agents N]   (reports only; nothing is asserted)

Each agent is moved to FULL_AUTONOMY, tripped once (five failures: the circuit opens and
the breaker lowers its posture), then driven through refused upgrades until its history
holds `history_limit` entries. The peak is what `tracemalloc` saw while all of it was
alive, on top of what was allocated before the fleet was built; the idle line shows what
agents that were only looked at cost, and the last line what a refused transition for
each of as many new agent ids keeps.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

from trust import CircuitState, PostureCircuitBreaker, PostureStateMachine, TrustPosture
from trust.postures import PostureTransitionRequest


def megabytes(count: int) -> str:
    return f"{count / 2**20:,.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=100_000)
    agents = parser.parse_args().agents

    gc.collect()
    tracemalloc.start()
    machine = PostureStateMachine()
    breaker = PostureCircuitBreaker(machine)
    limit = 100  # the machine's default history_limit
    ids = [f"agent-{n:06d}" for n in range(agents)]
    baseline, _ = tracemalloc.get_traced_memory()

    for agent_id in ids:  # idle agents: looked at, never changed
        machine.get_posture(agent_id)
        breaker.can_proceed_sync(agent_id)
    idle, _ = tracemalloc.get_traced_memory()

    started = time.perf_counter()
    for agent_id in ids:
        machine.set_posture(agent_id, TrustPosture.FULL_AUTONOMY, reason="onboarded")
        for _ in range(5):
            breaker.record_failure_sync(agent_id, "TimeoutError", "upstream timed out")
        assert breaker.get_state(agent_id) is CircuitState.OPEN
        held = machine.get_posture(agent_id)
        refused = PostureTransitionRequest(
            agent_id=agent_id, from_posture=held, to_posture=TrustPosture.FULL_AUTONOMY
        )
        for _ in range(limit - len(machine.get_transition_history(agent_id, limit=limit))):
            machine.transition(refused)  # no requester: refused, and recorded
        assert len(machine.get_transition_history(agent_id, limit=limit)) == limit
    built = time.perf_counter() - started
    current, peak = tracemalloc.get_traced_memory()

    # Refused upgrades for agents never changed, one per new id: a bounded store, no records.
    strangers = PostureStateMachine()
    before_refusals, _ = tracemalloc.get_traced_memory()
    for n in range(agents):
        strangers.transition(
            PostureTransitionRequest(
                agent_id=f"stranger-{n:06d}",
                from_posture=TrustPosture.SUPERVISED,
                to_posture=TrustPosture.FULL_AUTONOMY,
            )
        )
    after_refusals, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    entries = agents * limit
    print(f"agents: {agents:,}; history entries: {entries:,} (cap {limit} per agent)")
    print(f"idle agents (looked at only): {megabytes(idle - baseline)}")
    print(f"fleet, live: {megabytes(current - baseline)}; peak: {megabytes(peak - baseline)}")
    print(f"per agent: {(current - baseline) / agents / 1024:,.1f} KiB")
    print(f"per history entry: {(current - baseline) / entries:,.0f} B (all included)")
    print(f"built in {built:,.1f} s (with tracemalloc on)")
    print(
        f"{agents:,} refused transitions for new agent ids: "
        f"{megabytes(after_refusals - before_refusals)}"
    )


if __name__ == "__main__":
    main()
