"""Diagrams: drawn from the model, byte-stable, drift-tested, renderable without Graphviz."""

from __future__ import annotations

from pathlib import Path

import pytest

from trust.model import LIFECYCLES, POSTURE_SPEC
from trust.model.diagrams import (
    POSTURE_STYLE,
    all_diagram_texts,
    diagram_texts,
    main,
    render_svg,
    to_dot,
    to_mermaid,
)

DIAGRAMS = Path(__file__).resolve().parents[1] / "diagrams"


@pytest.mark.parametrize("spec", LIFECYCLES, ids=lambda s: s.name)
def test_committed_dot_and_mermaid_equal_a_fresh_drawing(spec) -> None:  # type: ignore[no-untyped-def]
    for filename, text in diagram_texts(spec).items():
        committed = (DIAGRAMS / filename).read_text(encoding="utf-8")
        assert committed == text, f"run `python -m trust.model.diagrams` and commit {filename}"


def test_posture_dot_draws_every_transition_once_in_its_event_style() -> None:
    dot = to_dot(POSTURE_SPEC, POSTURE_STYLE)
    assert dot == to_dot(POSTURE_SPEC, POSTURE_STYLE)
    for t in POSTURE_SPEC.transitions:
        assert f'tooltip="{t.event}: {t.source} -> {t.target}"' in dot
    assert dot.count('tooltip="emergency_downgrade:') == 5
    assert "requester_present and guards_pass" in dot  # the legend names the guards
    assert "Do not edit" in dot


def test_mermaid_lists_guards_on_each_edge() -> None:
    mermaid = to_mermaid(POSTURE_SPEC)
    assert mermaid.splitlines()[1:3] == ["stateDiagram-v2", "    [*] --> supervised"]
    assert "    supervised --> full_autonomy : upgrade [requester_present, guards_pass]" in mermaid
    assert "    assisted --> blocked : emergency_downgrade" in mermaid


def test_style_must_cover_the_lifecycle() -> None:
    import attrs

    partial = attrs.evolve(POSTURE_STYLE, ladder=POSTURE_STYLE.ladder[:-1])
    with pytest.raises(ValueError, match="blocked"):
        to_dot(POSTURE_SPEC, partial)


def test_svg_renders_without_system_graphviz(tmp_path: Path) -> None:
    svg = render_svg(to_dot(POSTURE_SPEC, POSTURE_STYLE)).decode()
    assert svg.lstrip().startswith("<?xml")
    assert "FULL_AUTONOMY" in svg
    assert main(["--out", str(tmp_path)]) == 0
    texts = all_diagram_texts()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*texts, *(name.replace(".dot", ".svg") for name in texts if name.endswith(".dot"))]
    )
    assert {f"{spec.name}.{ext}" for spec in LIFECYCLES for ext in ("dot", "mmd")} <= set(texts)
