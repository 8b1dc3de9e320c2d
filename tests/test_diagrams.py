"""Diagrams: drawn from the model, byte-stable, drift-tested, renderable without Graphviz,
and honest: an event is drawn as one arrow only when the model's transitions are exactly
that arrow's class."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from trust.model import LIFECYCLES, POSTURE_SPEC
from trust.model._ladder_view import Shape, classify
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


@pytest.mark.parametrize("filename", sorted(all_diagram_texts()))
def test_committed_dot_and_mermaid_equal_a_fresh_drawing(filename: str) -> None:
    committed = (DIAGRAMS / filename).read_text(encoding="utf-8")
    assert committed == all_diagram_texts()[filename], (
        f"run `care-trust diagrams` and commit {filename}"
    )


def test_drawing_is_byte_stable() -> None:
    assert all_diagram_texts() == all_diagram_texts()
    for spec in LIFECYCLES:
        assert diagram_texts(spec) == diagram_texts(spec)


def test_each_posture_event_is_one_class_of_the_ladder() -> None:
    shapes = {
        c.event: (c.shape, c.target, c.guards) for c in classify(POSTURE_SPEC, POSTURE_STYLE.ladder)
    }
    assert shapes == {
        "upgrade": (Shape.UP, None, ("requester_present", "guards_pass")),
        "downgrade": (Shape.DOWN, None, ("guards_pass",)),
        "maintain": (Shape.STAY, None, ("guards_pass",)),
        "emergency_downgrade": (Shape.INTO, "blocked", ()),
        "protective_downgrade": (Shape.DOWN, None, ()),
    }


def test_the_posture_diagram_has_one_labelled_arrow_per_event() -> None:
    dot = to_dot(POSTURE_SPEC, POSTURE_STYLE)
    labelled = re.findall(r"^\t(\S+) -> (\S+) \[.*label=<", dot, flags=re.MULTILINE)
    assert len(labelled) == len(POSTURE_SPEC.events)
    for text in (
        "upgrade: to any higher posture<BR/>[requester_present, guards_pass]",
        "downgrade: to any lower posture<BR/>[guards_pass]",
        "emergency_downgrade: from any<BR/>posture to BLOCKED (no guard can<BR/>veto)",
    ):
        assert text in dot
    # No edge between two postures: every arrow runs beside the ladder.
    between = [pair for pair in labelled if set(pair) & set(POSTURE_SPEC.states)]
    assert between == []
    assert "Do not edit" in dot


def test_an_event_that_is_not_a_whole_class_is_drawn_edge_by_edge() -> None:
    # Planted: upgrade loses blocked -> full_autonomy. "To any higher posture" would
    # then overstate it, so the picture falls back to its pairs.
    kept = tuple(
        t
        for t in POSTURE_SPEC.transitions
        if (t.event, t.source, t.target) != ("upgrade", "blocked", "full_autonomy")
    )
    planted = attrs.evolve(POSTURE_SPEC, transitions=kept)
    (upgrade,) = [c for c in classify(planted, POSTURE_STYLE.ladder) if c.event == "upgrade"]
    assert upgrade.shape is Shape.PAIRS
    dot = to_dot(planted, POSTURE_STYLE)
    assert "to any higher posture" not in dot
    assert (
        "\tsupervised -> assisted [dir=back" in dot or "\tassisted -> supervised [dir=back" in dot
    )


def test_an_event_whose_guards_differ_by_edge_is_drawn_edge_by_edge() -> None:
    changed = tuple(
        attrs.evolve(t, guards=("guards_pass",))
        if (t.event, t.source, t.target) == ("upgrade", "assisted", "full_autonomy")
        else t
        for t in POSTURE_SPEC.transitions
    )
    planted = attrs.evolve(POSTURE_SPEC, transitions=changed)
    (upgrade,) = [c for c in classify(planted, POSTURE_STYLE.ladder) if c.event == "upgrade"]
    assert upgrade.shape is Shape.PAIRS


def test_mermaid_draws_one_edge_per_event_class_or_pair_of_states() -> None:
    mermaid = to_mermaid(POSTURE_SPEC)
    assert mermaid.splitlines()[1] == "flowchart TB"
    edges = [line for line in mermaid.splitlines() if "-->" in line]
    assert len(edges) == 4  # downgrade and protective_downgrade share "a lower posture"
    assert '    any -->|"upgrade [requester_present, guards_pass]"| higher' in edges
    assert '    any -->|"emergency_downgrade (no guard can veto)"| blocked' in edges
    assert (
        '    any -->|"downgrade [guards_pass]<br/>protective_downgrade (no guard can veto)"| lower'
        in edges
    )
    for name, text in all_diagram_texts().items():
        if name.endswith(".mmd"):
            pairs = re.findall(r"^\s+(\S+) -->.*\| (\S+)$", text, flags=re.MULTILINE)
            assert len(pairs) == len(set(pairs)), f"{name}: two edges between one pair"


MERMAID_LINE = re.compile(
    r"""
    %%\ .*                                         # the generated-file header
    | flowchart\ (TB|LR)
    | \ +subgraph\ \w+\ \["[^"|]+"\]
    | \ +direction\ TB
    | \ +end
    | \ +\w+(\ ~~~\ \w+)+                          # the ladder's order
    | \ +\w+(\["[^"|]+"\]|\(\["[^"|]+"\]\))          # a node and its text
    | \ +\w+\ -->\|"[^"|]+"\|\ \w+                 # an edge and its label
    """,
    re.VERBOSE,
)
"""The Mermaid the diagrams use: quoted texts without the characters that end them."""


@pytest.mark.parametrize("name", [n for n in sorted(all_diagram_texts()) if n.endswith(".mmd")])
def test_mermaid_files_keep_to_a_small_safe_syntax(name: str) -> None:
    text = all_diagram_texts()[name]
    odd = [line for line in text.splitlines() if not MERMAID_LINE.fullmatch(line)]
    assert odd == []
    ids = re.findall(r"^\s+(\w+)[\[(]", text, flags=re.MULTILINE)
    assert "end" not in ids  # Mermaid reads a node called end as the end of a subgraph


def test_style_must_cover_the_lifecycle() -> None:
    partial = attrs.evolve(POSTURE_STYLE, ladder=POSTURE_STYLE.ladder[:-1])
    with pytest.raises(ValueError, match="blocked"):
        to_dot(POSTURE_SPEC, partial)


def test_svg_renders_without_system_graphviz(tmp_path: Path) -> None:
    svg = render_svg(to_dot(POSTURE_SPEC, POSTURE_STYLE)).decode()
    assert svg.lstrip().startswith("<?xml")
    assert "FULL_AUTONOMY" in svg
    assert main(["--out", str(tmp_path)]) == 0
    texts = all_diagram_texts()
    written = {p.name for p in tmp_path.iterdir()}
    assert set(texts) | {n.replace(".dot", ".svg") for n in texts if n.endswith(".dot")} <= written
    assert {f"{spec.name}.{ext}" for spec in LIFECYCLES for ext in ("dot", "mmd")} <= set(texts)
