"""The coupling view (breaker x posture) drawn for review, from what `trust.model.coupling`
declares: its product edges (`coupled_edges`) and its nodes.

Drawn left to right, an episode reads from CLOSED through OPEN and HALF_OPEN to CLOSED
again; the "held" row (the breaker holds a displaced posture) runs above the "free" row.
Every label is sized by `trust.model._labels` to fit DejaVu Sans and Liberation Sans.
"""

from __future__ import annotations

from trust.model import coupling
from trust.model._labels import FONTNAME, label
from trust.model._ladder_view import LABEL_SIZE, NODE_SIZE, TITLE_SIZE, wrapped
from trust.model.breaker import SPEC as BREAKER_SPEC
from trust.model.posture import SPEC as POSTURE_SPEC

# The coupling module's node captions and where its closing edges end: read, not restated.
_NODES = coupling._NODES
_ENDS = coupling._ENDS
_COLOURS = {"trip": "#c62828", "cycle": "#1565c0", "restore": "#2e7d32", "none": "#757575"}
_OTHERS = "#6a1b9a"
TITLE = "Circuit breaker \u00d7 posture: what each breaker transition does to the posture"


def _header() -> str:
    return (
        f"Generated from {BREAKER_SPEC.declared_in}, {POSTURE_SPEC.declared_in} and "
        "trust/model/coupling.py "
        "by `python -m trust.model.diagrams`. Do not edit."
    )


def _lines(text: str, width: int) -> list[str]:
    return [part for line in text.split("\n") for part in wrapped(line, width)]


def caption(node: str) -> str:
    """A node of the view as a table shows it: its state, then its note on one line."""
    state, note, _ = _NODES[node]
    return f"{state}: {'; '.join(note.splitlines())}"


def drawn_edges() -> list[tuple[str, str, str, str]]:
    """`coupling.coupled_edges`, each closing edge ending where the view draws it."""
    return [(s, _ENDS.get(k, t), k, text) for s, t, k, text in coupling.coupled_edges()]


def to_dot() -> str:
    """The DOT source of the coupling view."""
    lines = [
        f"// {_header()}",
        f"digraph {coupling.NAME} {{",
        f'\tgraph [fontname="{FONTNAME}" labelloc=t newrank=true nodesep=0.9 ranksep=1.0 '
        "rankdir=LR splines=polyline]",
        "\tlabel=" + label([TITLE], TITLE_SIZE),
        f'\tnode [fontname="{FONTNAME}" fontsize={NODE_SIZE} margin=0 shape=box '
        'style="rounded,filled"]',
        f'\tedge [arrowsize=0.8 fontname="{FONTNAME}" fontsize={LABEL_SIZE}]',
    ]
    for node, (state, note, fill) in _NODES.items():
        text = label([state, *_lines(note, 30)], NODE_SIZE, bold_first=True)
        lines.append(f'\t{node} [label={text} fillcolor="{fill}"]')
    rows = [["open_held", "open_free"], ["half_open_held", "half_open_free"]]
    for source, target, kind, text in drawn_edges():
        colour = _COLOURS.get(kind, _OTHERS)
        style = "dashed" if kind in ("others", "none") else "solid"
        shown = label(_lines(text, 44), LABEL_SIZE, color=colour)
        if kind != "others":
            lines.append(f'\t{source} -> {target} [color="{colour}" style={style} label={shown}]')
            continue
        # Between two nodes of one column Graphviz lays a label across its own edge: the
        # text stands in a node of its own on the way instead.
        note = f"{source}_to_{target}"
        lines.append(f"\t{note} [label={shown} shape=plaintext style=solid]")
        # Straight down the column: the held row is above the free row.
        common = f'color="{colour}" style={style} tailport=s headport=n'
        lines.append(f"\t{source} -> {note} [{common} arrowhead=none]")
        lines.append(f"\t{note} -> {target} [{common}]")
        for row in rows:
            if row[0] == source and row[-1] == target:
                row.insert(1, note)
    rows.append(["closed_restored", "closed_kept"])
    for row in rows:
        lines.append(f"\t{{ rank=same; {'; '.join(row)} }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid() -> str:
    """A Mermaid flowchart of the coupling view: one edge per product edge, each label on
    short lines so that neighbouring edges keep apart."""
    lines = [f"%% {_header()}", "flowchart LR"]
    for node, (state, note, _) in _NODES.items():
        shown = "<br/>".join([state, *_lines(note, 30)]).replace('"', "'")
        lines.append(f'    {node}["{shown}"]')
    for source, target, _, text in drawn_edges():
        # "|" delimits a Mermaid edge label: the alternatives read "or" here.
        shown = "<br/>".join(_lines(text.replace(" | ", " or "), 44)).replace('"', "'")
        lines.append(f'    {source} -->|"{shown}"| {target}')
    return "\n".join(lines) + "\n"


def diagram_texts() -> dict[str, str]:
    """The drift-tested text files of the coupling view."""
    return {f"{coupling.NAME}.dot": to_dot(), f"{coupling.NAME}.mmd": to_mermaid()}


__all__ = ["caption", "diagram_texts", "drawn_edges", "to_dot", "to_mermaid"]
