"""The pure coupling core runs the generated coupling table, and refuses one it cannot run."""

from __future__ import annotations

import ast
import importlib.util
import sys
import types
from pathlib import Path

import pytest

import trust._generated
from trust._generated import coupling as table
from trust.circuit_breaker import _coupling_core as core
from trust.circuit_breaker._core import CircuitState
from trust.circuit_breaker._coupling_core import Action, Facts, Fence, Move
from trust.model import COUPLING_SPEC

PROTECT, HOLD, TAKE_OVER, RESTORE, FORFEIT = (
    Action.PROTECT,
    Action.HOLD,
    Action.TAKE_OVER,
    Action.RESTORE,
    Action.FORFEIT,
)


def test_the_core_has_no_lock_clock_or_io() -> None:
    imported = set()
    for node in ast.walk(ast.parse(Path(core.__file__).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported <= {
        "__future__",
        "collections.abc",
        "enum",
        "attrs",
        "trust._generated",
        "trust._unchecked",
        "trust.circuit_breaker._core",
    }


@pytest.mark.parametrize(
    ("facts", "move"),
    [
        (Facts(lowered=True), Move("open_held", True, (PROTECT, HOLD))),
        (Facts(restore_pending=True), Move("open_held", True, (PROTECT, TAKE_OVER))),
        (Facts(), Move("open_free", False, (PROTECT,))),
        # A trip that lowered the posture holds what it displaced, restore or not.
        (Facts(lowered=True, restore_pending=True), Move("open_held", True, (PROTECT, HOLD))),
    ],
)
def test_a_trip_takes_the_first_transition_whose_guards_hold(facts: Facts, move: Move) -> None:
    assert core.step("closed_free", "trip", facts) == move


def test_a_close_restores_only_with_restore_on_close() -> None:
    restore = core.step("half_open_held", "close", Facts(restore_on_close=True))
    keep = core.step("half_open_held", "close", Facts(restore_on_close=False))
    assert restore == Move("closed_free", False, (RESTORE,))
    assert keep == Move("closed_free", False, (FORFEIT,))


def test_a_posture_change_forfeits_a_hold_and_changes_nothing_else() -> None:
    assert core.step("open_held", core.POSTURE_CHANGED, Facts()) == Move(
        "open_free", False, (FORFEIT,)
    )
    assert core.step("open_free", core.POSTURE_CHANGED, Facts()) is None
    assert core.step("closed_free", core.POSTURE_CHANGED, Facts()) is None


def test_opening_protects_before_its_guards_are_read_and_nothing_else_does() -> None:
    protecting = {
        (state, event)
        for state in table.STATES
        for event in table.EVENTS
        if core.protects_first(state, event)
    }
    assert protecting == {
        ("closed_free", "trip"),
        ("open_free", "reopen"),
        ("open_held", "reopen"),
        ("half_open_free", "reopen"),
        ("half_open_held", "reopen"),
    }


def test_states_triggers_and_fences_are_the_models() -> None:
    assert {core.state_of(c, h) for c in CircuitState for h in (False, True)} >= set(
        COUPLING_SPEC.lifecycle.states
    )
    assert core.state_of(CircuitState.HALF_OPEN, True) == "half_open_held"
    assert {(t.source, t.event, t.target): t.sends for t in COUPLING_SPEC.triggers} == core.TRIGGERS
    assert {Fence.POSTURE_UNCHANGED, Fence.CIRCUIT_CLOSED} == core.FENCES


def _load_core_with(monkeypatch: pytest.MonkeyPatch, **fields: object) -> None:
    """Import a fresh copy of the core over a generated table with ``fields`` replaced."""
    fake = types.ModuleType("trust._generated.coupling")
    fake.__dict__.update({k: v for k, v in vars(table).items() if k.isupper()} | fields)
    monkeypatch.setitem(sys.modules, "trust._generated.coupling", fake)
    monkeypatch.setattr(trust._generated, "coupling", fake, raising=False)
    path = Path(core.__file__)
    spec = importlib.util.spec_from_file_location("scratch_coupling_core", path)
    assert spec is not None
    assert spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


def test_the_unchanged_table_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    _load_core_with(monkeypatch)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        (
            {
                "GUARDS": (*table.GUARDS, "mystery"),
                "TRANSITIONS": (
                    *table.TRANSITIONS,
                    ("open_free", "recover", "half_open_free", ("mystery",), ()),
                ),
            },
            "guards the runtime cannot check: ['mystery']",
        ),
        ({"ACTIONS": (*table.ACTIONS, "teleport")}, "cannot carry out: ['teleport']"),
        (
            {"RESTORE_FENCES": ("posture_unchanged", "moon_phase")},
            "cannot enforce: ['moon_phase']",
        ),
        (
            {
                "TRANSITIONS": tuple(
                    (s, e, t, g, tuple(reversed(a)))
                    if a == ("protect", "hold")
                    else (s, e, t, g, a)
                    for s, e, t, g, a in table.TRANSITIONS
                )
            },
            "protect must be the first action",
        ),
        ({"STATES": (*table.STATES, "quarantined_free")}, "'quarantined_free' must be"),
    ],
)
def test_a_table_the_runtime_cannot_run_fails_at_import(
    monkeypatch: pytest.MonkeyPatch, fields: dict[str, object], named: str
) -> None:
    with pytest.raises(ImportError) as caught:
        _load_core_with(monkeypatch, **fields)
    assert named in str(caught.value)
