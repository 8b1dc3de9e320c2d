"""Diagram labels fit with DejaVu Sans and with Liberation Sans (`trust.model._labels`).

The committed SVGs are read as a viewer draws them: every text is measured in each font
(advance widths from the fonts' own files, `trust.model._fonts`) at its position and
anchor, and must lie inside its node's box, clear of every edge's line and arrowhead, clear
of every other text and of every other node, and inside the picture.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from xml.etree import ElementTree

import attrs
import pytest

from trust.model._labels import FAMILIES, label, line_height, width, width_in
from trust.model.diagrams import all_diagram_texts, render_svg

DIAGRAMS = Path(__file__).resolve().parents[1] / "diagrams"
SVG = "{http://www.w3.org/2000/svg}"
SLACK = 0.5
"""Points a text may touch a line by (anti-aliasing, rounding in the SVG's numbers)."""


@attrs.frozen
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def inside(self, other: Box) -> bool:
        return (
            self.left >= other.left - SLACK
            and self.right <= other.right + SLACK
            and self.top >= other.top - SLACK
            and self.bottom <= other.bottom + SLACK
        )

    def meets(self, other: Box) -> bool:
        return not (
            self.right <= other.left + SLACK
            or other.right <= self.left + SLACK
            or self.bottom <= other.top + SLACK
            or other.bottom <= self.top + SLACK
        )

    def holds(self, x: float, y: float) -> bool:
        return (
            self.left + SLACK < x < self.right - SLACK
            and self.top + SLACK < y < self.bottom - SLACK
        )


@attrs.frozen
class Text:
    group: str
    kind: str
    content: str
    box: Box


Points = list[tuple[float, float]]


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def _points(element: ElementTree.Element) -> Points:
    """The outline of a polygon, or points along a path's cubic curves."""
    if element.tag == f"{SVG}polygon":
        values = _numbers(element.get("points", ""))
        return list(zip(values[::2], values[1::2], strict=True))
    values = _numbers(element.get("d", ""))
    coords = list(zip(values[::2], values[1::2], strict=True))
    points = [coords[0]]
    for i in range(1, len(coords) - 2, 3):
        p0, p1, p2, p3 = coords[i - 1], coords[i], coords[i + 1], coords[i + 2]
        for step in range(1, 41):
            t = step / 40
            u = 1 - t
            points.append(
                (
                    u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                    u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
                )
            )
    return points


def _bounds(points: Points) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return Box(min(xs), min(ys), max(xs), max(ys))


def read(svg: str, family: str) -> tuple[list[Text], dict[str, Box], dict[str, Points], Box]:
    """The texts (set in ``family``), node boxes, edge points and frame of a Graphviz SVG."""
    root = ElementTree.fromstring(svg)
    texts: list[Text] = []
    nodes: dict[str, Box] = {}
    lines: dict[str, Points] = {}
    frame = _bounds(_points(root.find(f"{SVG}g/{SVG}polygon")))  # type: ignore[arg-type]
    for group in root.iter(f"{SVG}g"):
        kind = group.get("class", "")
        if kind not in ("node", "edge", "graph"):
            continue
        name = group.get("id", "")
        shapes = [e for e in group if e.tag in (f"{SVG}polygon", f"{SVG}path")]
        if kind == "node" and shapes:
            nodes[name] = _bounds([p for e in shapes for p in _points(e)])
        if kind == "edge":
            lines[name] = [p for e in shapes for p in _points(e)]
        for element in group:
            if element.tag != f"{SVG}text" or not (element.text or "").strip():
                continue
            size = float(element.get("font-size", "14"))
            bold = element.get("font-weight") == "bold"
            content = element.text or ""
            advance = width_in(family, content, size, bold=bold)
            x, y = float(element.get("x", "0")), float(element.get("y", "0"))
            anchor = element.get("text-anchor", "start")
            left = x - {"start": 0, "middle": advance / 2, "end": advance}[anchor]
            # Glyph bodies: cap height above the baseline, descenders below.
            box = Box(left, y - 0.72 * size, left + advance, y + 0.2 * size)
            texts.append(Text(name, kind, content, box))
        if kind == "node" and not shapes:  # a plaintext node: its texts are its box
            mine = [t.box for t in texts if t.group == name]
            nodes[name] = Box(
                min(b.left for b in mine),
                min(b.top for b in mine),
                max(b.right for b in mine),
                max(b.bottom for b in mine),
            )
    return texts, nodes, lines, frame


def misfits(svg: str, family: str) -> list[str]:
    """Every way a text of ``svg`` set in ``family`` leaves its place, as sentences."""
    texts, nodes, lines, frame = read(svg, family)
    found = []
    for text in texts:
        where = f"{text.content!r} ({text.group})"
        if not text.box.inside(frame):
            found.append(f"{where} leaves the picture")
        if text.kind == "node" and not text.box.inside(nodes[text.group]):
            found.append(f"{where} overflows its box")
        for name, box in nodes.items():
            if name != text.group and text.box.meets(box):
                found.append(f"{where} overlaps node {name}")
        for name, points in lines.items():
            if any(text.box.holds(x, y) for x, y in points):
                found.append(f"{where} is crossed by edge {name}")
    for a, b in itertools.combinations(texts, 2):
        if a.box.meets(b.box):
            found.append(f"{a.content!r} ({a.group}) overlaps {b.content!r} ({b.group})")
    return found


SVGS = sorted(p.name for p in DIAGRAMS.glob("*.svg"))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", SVGS)
def test_committed_diagrams_fit_each_font(name: str, family: str) -> None:
    svg = (DIAGRAMS / name).read_text(encoding="utf-8")
    assert misfits(svg, family) == []


def test_committed_svgs_are_the_rendered_dot() -> None:
    texts = all_diagram_texts()
    dots = sorted(n for n in texts if n.endswith(".dot"))
    assert [n.replace(".dot", ".svg") for n in dots] == SVGS
    for name in dots:
        svg = (DIAGRAMS / name.replace(".dot", ".svg")).read_bytes()
        assert svg == render_svg(texts[name]), f"run `care-trust diagrams` and commit {name}"


def test_the_fit_check_sees_an_overflowing_box() -> None:
    # A box sized by Graphviz's own estimate (the old labels): DejaVu Sans overflows it.
    dot = 'digraph g { a [shape=box label="posture back to P (if the upgrade\'s guards allow)"] }'
    svg = render_svg(dot).decode()
    assert any("overflows its box" in m for m in misfits(svg, "DejaVu Sans"))
    fitted = f"digraph g {{ a [shape=box margin=0 label={label(['posture back to P'], 14)}] }}"
    assert misfits(render_svg(fitted).decode(), "DejaVu Sans") == []


def test_the_fit_check_sees_a_label_on_an_edge() -> None:
    dot = (
        "digraph g { a -> b; a -> c; b -> c "
        '[constraint=false label="a long label that lies across the other edges"] }'
    )
    assert any("crossed by edge" in m for m in misfits(render_svg(dot).decode(), "DejaVu Sans"))


def test_a_label_is_as_wide_as_its_widest_font() -> None:
    text = "probe_success [outcome_current]"
    assert width(text, 11) == max(width_in(f, text, 11) for f in FAMILIES)
    assert width_in("DejaVu Sans", text, 11) > width_in("Liberation Sans", text, 11)
    assert width(text, 11, bold=True) > width(text, 11)
    cell = re.search(r'WIDTH="(\d+)" HEIGHT="(\d+)"', label([text, "x"], 11))
    assert cell is not None
    assert int(cell[1]) >= width(text, 11) + 8
    assert int(cell[2]) >= 2 * line_height(11)


def test_a_character_without_metrics_is_refused_by_name() -> None:
    with pytest.raises(
        ValueError, match=re.escape("CHARS (renew it with tools/font_metrics.py), got ['\u2603']")
    ):
        width("snow \u2603", 11)
