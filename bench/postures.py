"""µs/op of the posture hot paths: get_posture, an upgrade plus a downgrade, an emergency.

Run: python bench/postures.py   (no timing is asserted anywhere; this only reports)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from trust import PostureStateMachine, TrustPosture
from trust.postures import PostureTransitionRequest

REPEATS = 7


def best_us_per_op(run: Callable[[int], None], ops: int) -> float:
    """The best of several timed runs of ``run(ops)``, in microseconds per operation."""
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        run(ops)
        best = min(best, time.perf_counter() - started)
    return best / ops * 1e6


def main() -> None:
    machine = PostureStateMachine(history_limit=100)
    machine.set_posture("agent-001", TrustPosture.SUPERVISED)
    up = PostureTransitionRequest(
        agent_id="agent-001",
        from_posture=TrustPosture.SUPERVISED,
        to_posture=TrustPosture.FULL_AUTONOMY,
        requester_id="admin-001",
    )
    down = PostureTransitionRequest(
        agent_id="agent-001",
        from_posture=TrustPosture.FULL_AUTONOMY,
        to_posture=TrustPosture.SUPERVISED,
    )

    def get_posture(n: int) -> None:
        get = machine.get_posture
        for _ in range(n):
            get("agent-001")

    def get_posture_unknown(n: int) -> None:
        get = machine.get_posture
        for _ in range(n):
            get("never-seen")

    def upgrade_and_downgrade(n: int) -> None:
        transition = machine.transition
        for _ in range(n):
            transition(up)
            transition(down)

    def emergency(n: int) -> None:
        downgrade = machine.emergency_downgrade
        for _ in range(n):
            downgrade("agent-002", reason="incident", requester_id="sec")

    rows = [
        ("get_posture (known agent)", best_us_per_op(get_posture, 200_000)),
        ("get_posture (unknown agent)", best_us_per_op(get_posture_unknown, 200_000)),
        ("transition upgrade + downgrade", best_us_per_op(upgrade_and_downgrade, 20_000)),
        ("emergency_downgrade", best_us_per_op(emergency, 20_000)),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'workload'.ljust(width)}  µs/op")
    for name, micros in rows:
        print(f"{name.ljust(width)}  {micros:8.3f}")


if __name__ == "__main__":
    main()
