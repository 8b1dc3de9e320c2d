"""What the store-backed posture machine tests run in child processes (importable under spawn)."""

from __future__ import annotations

from typing import Any

from trust.postures import PostureStateMachine


def emergency(url: str, agent: str, out: Any) -> None:
    """Emergency-downgrade ``agent`` through a machine on ``url``; report the result."""
    machine = PostureStateMachine(store=url, auto_refresh=False)
    result = machine.emergency_downgrade(agent, reason="incident in another process")
    out.put((result.to_posture.value, result.metadata["durable"], result.version))
    machine.durable.close()  # type: ignore[union-attr]


def read(url: str, agent: str, out: Any) -> None:
    """Report ``agent``'s posture as a freshly started machine on ``url`` reads it."""
    machine = PostureStateMachine(store=url, auto_refresh=False)
    out.put(machine.get_posture(agent).value)
    machine.durable.close()  # type: ignore[union-attr]
