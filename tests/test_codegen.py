"""Codegen: the runtime tables are generated from the model and never drift."""

from __future__ import annotations

from pathlib import Path

import pytest

import trust._generated
from trust.model import COUPLING_SPEC, LIFECYCLES, TABLES
from trust.model.codegen import main, render, target_path

GENERATED = Path(trust._generated.__file__).parent


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.name)
def test_committed_table_equals_a_fresh_generation(spec) -> None:  # type: ignore[no-untyped-def]
    committed = (GENERATED / f"{spec.name}.py").read_text(encoding="utf-8")
    assert committed == render(spec), "run `python -m trust.model.codegen` and commit the result"


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.name)
def test_generated_table_is_marked_and_byte_stable(spec) -> None:  # type: ignore[no-untyped-def]
    text = render(spec)
    assert text == render(spec)
    header = f"# Generated from {spec.declared_in} by `python -m trust.model.codegen`."
    assert text.startswith(header)
    assert "do not edit" in text.lower()


def test_main_writes_then_check_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert main(["--root", str(tmp_path)]) == 0
    for spec in TABLES:
        assert target_path(tmp_path, spec).read_text(encoding="utf-8") == render(spec)
    assert main(["--root", str(tmp_path), "--check"]) == 0


def test_check_notices_an_edited_table(tmp_path: Path) -> None:
    main(["--root", str(tmp_path)])
    path = target_path(tmp_path, LIFECYCLES[0])
    path.write_text(path.read_text(encoding="utf-8").replace("guards_pass", "anything"))
    assert main(["--root", str(tmp_path), "--check"]) == 1


def test_the_coupling_table_holds_the_declared_coupling() -> None:
    """Drift: the runtime's coupling table is the model's, transition by transition."""
    from trust._generated import coupling

    lifecycle = COUPLING_SPEC.lifecycle
    assert lifecycle.states == coupling.STATES
    assert lifecycle.events == coupling.EVENTS
    assert (
        tuple((t.source, t.event, t.target, t.guards, t.actions) for t in lifecycle.transitions)
        == coupling.TRANSITIONS
    )
    assert (
        tuple((t.source, t.event, t.target, t.sends) for t in COUPLING_SPEC.triggers)
        == coupling.TRIGGERS
    )
    assert COUPLING_SPEC.restore_fences == coupling.RESTORE_FENCES


def test_check_notices_an_edited_coupling_table(tmp_path: Path) -> None:
    main(["--root", str(tmp_path)])
    path = target_path(tmp_path, COUPLING_SPEC)
    path.write_text(path.read_text(encoding="utf-8").replace('("restore",)', "()", 1))
    assert main(["--root", str(tmp_path), "--check"]) == 1
