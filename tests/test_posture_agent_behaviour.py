"""PostureAwareAgent's per-posture behaviour: one table, complete, never falling through."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fakes import FakeClock, RecordingAgent
from tests.planted import Plant, import_with
from trust import PostureStateMachine, TrustPosture
from trust.audit import AuditOutcome
from trust.posture_agent import PostureAwareAgent
from trust.posture_agent._behaviour import BEHAVIOURS, Behaviour, check_complete


def test_every_posture_has_exactly_one_behaviour() -> None:
    assert set(BEHAVIOURS) == set(TrustPosture)
    assert BEHAVIOURS[TrustPosture.BLOCKED] is Behaviour.REFUSE
    assert BEHAVIOURS[TrustPosture.HUMAN_DECIDES] is Behaviour.APPROVE_THEN_RUN
    assert BEHAVIOURS[TrustPosture.ASSISTED] is Behaviour.NOTIFY_THEN_RUN
    with pytest.raises(TypeError):
        BEHAVIOURS[TrustPosture.BLOCKED] = Behaviour.RUN  # type: ignore[index]


def test_an_incomplete_table_is_refused_naming_every_gap() -> None:
    table = {p: b for p, b in BEHAVIOURS.items() if p not in (TrustPosture.ASSISTED,)}
    table["sixth"] = Behaviour.RUN  # type: ignore[index]
    table[TrustPosture.BLOCKED] = "refuse"  # type: ignore[assignment]
    with pytest.raises(ImportError) as raised:
        check_complete(table)
    message = str(raised.value)
    assert "posture 'assisted' has no behaviour: add it to BEHAVIOURS" in message
    assert "'sixth' is not a TrustPosture" in message
    assert "maps to 'refuse', not a Behaviour" in message


def test_adding_a_posture_without_a_behaviour_stops_the_import(tmp_path: Path) -> None:
    """A sixth posture, in the model and in TrustPosture, fails loudly until the agent's
    behaviour table covers it."""
    plants = (
        Plant(
            "trust/_generated/posture.py",
            'STATES: Final = ("blocked", ',
            'STATES: Final = ("blocked", "cautious", ',
        ),
        Plant(
            "trust/_generated/posture.py",
            '    ("blocked", "emergency_downgrade", "blocked", ()),\n',
            '    ("blocked", "emergency_downgrade", "blocked", ()),\n'
            '    ("cautious", "emergency_downgrade", "blocked", ()),\n',
        ),
        Plant(
            "trust/postures/_posture.py",
            '    HUMAN_DECIDES = "human_decides"\n',
            '    HUMAN_DECIDES = "human_decides"\n    CAUTIOUS = "cautious"\n',
        ),
    )
    run = import_with(tmp_path, *plants, module="trust.posture_agent")
    assert run.returncode != 0, run.output
    assert "ImportError: the posture-aware agent's behaviour table is incomplete" in run.output
    assert "posture 'cautious' has no behaviour" in run.output


def test_a_posture_missing_from_the_table_at_run_time_is_refused_not_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Defence in depth: the lookup has no default, so a gap refuses.
    from trust.posture_agent import _agent

    gappy = {p: b for p, b in BEHAVIOURS.items() if p is not TrustPosture.FULL_AUTONOMY}
    monkeypatch.setattr(_agent, "BEHAVIOURS", gappy)
    machine = PostureStateMachine(clock=FakeClock())
    machine.set_posture("agent-1", TrustPosture.FULL_AUTONOMY)
    base = RecordingAgent()
    agent = PostureAwareAgent(base, "agent-1", machine)
    with pytest.raises(PermissionError, match="FULL_AUTONOMY, which has no behaviour; refused"):
        asyncio.run(agent.run(task="x"))
    assert base.calls == []
    (entry,) = agent.audit_log
    assert entry.outcome is AuditOutcome.REFUSED
