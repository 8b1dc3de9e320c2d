"""Draw the declared lifecycles for design reviews.

``python -m trust.model.diagrams`` writes ``diagrams/<name>.dot``, ``.mmd`` (Mermaid, for
markdown reviews) and ``.svg`` for every lifecycle in `model.LIFECYCLES`, and the same for
the combined breaker-and-posture view of `model.coupling`. The DOT and
Mermaid text depend only on the spec, so they are byte-stable and drift-tested; the SVG is
rendered from the DOT with Graphviz's ``dot`` when it is on PATH, otherwise with the
``graphviz-pure`` binary from PyPI, so no system package is needed.

Layout choices, for reviewers: states are drawn as a ladder in the order a `DiagramStyle`
gives (for postures, most autonomy at the top); each event has its own colour and line, and
the guards of each event are listed once, in the legend, instead of on every edge.
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from trust.model.spec import LifecycleSpec, Transition


@attrs.frozen(kw_only=True)
class EdgeStyle:
    """How the transitions of one event are drawn."""

    color: str
    style: str = "solid"
    penwidth: str = "1.2"
    # Edges that run against the ladder must not bend the ranks.
    constraint: bool = True
    # Which side of the boxes the edges leave and enter, so that kinds do not cross.
    tailport: str = ""
    headport: str = ""


@attrs.frozen(kw_only=True)
class DiagramStyle:
    """How one lifecycle is drawn.

    Attributes:
        title: The caption above the graph.
        ladder: State ids from top to bottom; each gets its own rank.
        edges: The style of each event.
        fill: Node fill colour per state id.
        edge_labels: Label each guarded edge with its guards; for small lifecycles whose
            guards differ from edge to edge within one event.
    """

    title: str
    ladder: tuple[str, ...]
    edges: Mapping[str, EdgeStyle]
    fill: Mapping[str, str] = attrs.field(factory=dict)
    edge_labels: bool = False


POSTURE_STYLE = DiagramStyle(
    title="Posture lifecycle (most autonomy at the top)",
    ladder=("full_autonomy", "assisted", "supervised", "human_decides", "blocked"),
    edges={
        "upgrade": EdgeStyle(color="#2e7d32", constraint=False, tailport="e", headport="e"),
        "downgrade": EdgeStyle(color="#ef6c00", tailport="w", headport="w"),
        "maintain": EdgeStyle(color="#9e9e9e", style="dotted"),
        "emergency_downgrade": EdgeStyle(
            color="#c62828",
            style="dashed",
            penwidth="2",
            constraint=False,
            tailport="s",
            headport="s",
        ),
        "protective_downgrade": EdgeStyle(
            color="#6a1b9a", style="dashed", constraint=False, tailport="w", headport="w"
        ),
    },
    fill={
        "full_autonomy": "#e8f5e9",
        "assisted": "#f1f8e9",
        "supervised": "#fffde7",
        "human_decides": "#fff3e0",
        "blocked": "#ffebee",
    },
)

BREAKER_STYLE = DiagramStyle(
    title="Circuit breaker lifecycle (per agent)",
    ladder=("closed", "open", "half_open"),
    edges={
        "failure": EdgeStyle(color="#c62828", penwidth="1.6"),
        "recovery_timeout": EdgeStyle(color="#1565c0", style="dashed"),
        "probe_admitted": EdgeStyle(color="#757575", style="dotted", tailport="sw", headport="se"),
        "probe_success": EdgeStyle(color="#2e7d32", penwidth="1.6", constraint=False),
        "probe_timeout": EdgeStyle(color="#ef6c00", style="dashed", constraint=False),
        "force_open": EdgeStyle(color="#6a1b9a", style="bold", constraint=False),
        "reset": EdgeStyle(color="#00838f", style="bold", constraint=False),
    },
    fill={"closed": "#e8f5e9", "open": "#ffebee", "half_open": "#fff8e1"},
    edge_labels=True,
)

STYLES: dict[str, DiagramStyle] = {"posture": POSTURE_STYLE, "breaker": BREAKER_STYLE}


def to_dot(spec: LifecycleSpec, style: DiagramStyle) -> str:
    """The DOT source of ``spec`` drawn in ``style``."""
    missing = set(spec.states) ^ set(style.ladder)
    unstyled = set(spec.events) - set(style.edges)
    if missing or unstyled:
        raise ValueError(
            f"style for {spec.name} must place every state and style every event; "
            f"states off the ladder or unknown: {sorted(missing)}, unstyled events: "
            f"{sorted(unstyled)}"
        )
    import graphviz  # the diagrams extra, imported to draw: a missing one is a hint

    graph = graphviz.Digraph(spec.name, comment=_header(spec))
    graph.attr(
        rankdir="TB",
        label=style.title,
        labelloc="t",
        fontname="Helvetica",
        fontsize="16",
        nodesep="0.6",
        ranksep="0.7",
        newrank="true",
    )
    graph.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", width="1.8")
    graph.attr("edge", fontname="Helvetica", fontsize="10", arrowsize="0.7")
    for state in style.ladder:
        label = state.upper() + (" (initial)" if state == spec.initial else "")
        graph.node(state, label=label, fillcolor=style.fill.get(state, "white"))
    for upper, lower in zip(style.ladder, style.ladder[1:], strict=False):
        graph.edge(upper, lower, style="invis", weight="100")
    for t in spec.transitions:
        edge = style.edges[t.event]
        # Colour and line tell the event (see the legend); a label per edge is clutter
        # unless the style asks for it.
        graph.edge(
            t.source,
            t.target,
            label=_edge_label(t) if style.edge_labels else None,
            fontcolor=edge.color if style.edge_labels else None,
            tooltip=f"{t.event}: {t.source} -> {t.target}",
            color=edge.color,
            style=edge.style,
            penwidth=edge.penwidth,
            constraint=str(edge.constraint).lower(),
            tailport=edge.tailport or None,
            headport=edge.headport or None,
        )
    graph.node("legend", label=_legend(spec, style), shape="plaintext", style="")
    graph.edge(style.ladder[-1], "legend", style="invis")
    return str(graph.source)


def _edge_label(t: Transition) -> str | None:
    # The colour names the event; the label gives what differs from edge to edge.
    return "[" + "\\n".join(t.guards) + "]" if t.guards else None


def _legend(spec: LifecycleSpec, style: DiagramStyle) -> str:
    rows = []
    for event in spec.events:
        guard_sets = {t.guards for t in spec.of_event(event)}
        guards = " | ".join(" and ".join(g) or "no guard" for g in sorted(guard_sets))
        colour = style.edges[event].color
        rows.append(
            f'<TR><TD ALIGN="LEFT"><FONT COLOR="{colour}">{html.escape(event)}'
            f" ({style.edges[event].style})</FONT></TD>"
            f'<TD ALIGN="LEFT">{html.escape(guards or "no guard")}</TD></TR>'
        )
    return (
        '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
        "<TR><TD><B>event</B></TD><TD><B>guards (all must hold)</B></TD></TR>"
        + "".join(rows)
        + "</TABLE>>"
    )


def to_mermaid(spec: LifecycleSpec) -> str:
    """A Mermaid ``stateDiagram-v2`` of ``spec``, with guards on each edge."""
    lines = [f"%% {_header(spec)}", "stateDiagram-v2", f"    [*] --> {spec.initial}"]
    for t in spec.transitions:
        guards = f" [{', '.join(t.guards)}]" if t.guards else ""
        lines.append(f"    {t.source} --> {t.target} : {t.event}{guards}")
    return "\n".join(lines) + "\n"


def _header(spec: LifecycleSpec) -> str:
    return f"Generated from {spec.declared_in} by `python -m trust.model.diagrams`. Do not edit."


def render_svg(dot_source: str) -> bytes:
    """Render DOT to SVG with ``dot``, or with ``graphviz-pure`` when ``dot`` is missing.

    Raises:
        RuntimeError: neither renderer is installed, or rendering failed.
    """
    for program in ("dot", "graphviz-pure"):
        path = shutil.which(program) or _beside_python(program)
        if path is None:
            continue
        done = subprocess.run(
            [path, "-Tsvg"], input=dot_source.encode(), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stderr.decode(errors='replace')}")
        return done.stdout
    raise RuntimeError(
        "no Graphviz renderer: install it with: pip install 'care-trust[diagrams]' "
        "(or Graphviz's dot)"
    )


def _beside_python(program: str) -> str | None:
    # A venv used without activation has its scripts beside the interpreter, not on PATH.
    candidate = Path(sys.executable).parent / program
    return str(candidate) if candidate.exists() else None


def diagram_texts(spec: LifecycleSpec) -> dict[str, str]:
    """The drift-tested text files of ``spec``: ``{"<name>.dot": ..., "<name>.mmd": ...}``."""
    return {
        f"{spec.name}.dot": to_dot(spec, STYLES[spec.name]),
        f"{spec.name}.mmd": to_mermaid(spec),
    }


def all_diagram_texts() -> dict[str, str]:
    """Every drift-tested text file `main` writes: each lifecycle's, then combined views."""
    from trust.model import LIFECYCLES
    from trust.model.coupling import diagram_texts as coupling_texts

    texts: dict[str, str] = {}
    for spec in LIFECYCLES:
        texts.update(diagram_texts(spec))
    texts.update(coupling_texts())
    return texts


def main(argv: Sequence[str] | None = None, prog: str = "python -m trust.model.diagrams") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("diagrams"), help="output folder")
    parser.add_argument("--no-svg", action="store_true", help="write only .dot and .mmd")
    args = parser.parse_args(argv)
    try:
        texts = all_diagram_texts()
    except ModuleNotFoundError as missing:
        if (missing.name or "").split(".")[0] != "graphviz":
            raise
        print(
            f"{prog}: needs the diagrams extra (missing module {missing.name!r}); "
            "install it with: pip install 'care-trust[diagrams]'",
            file=sys.stderr,
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for filename, text in texts.items():
        (args.out / filename).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / filename}")
        if filename.endswith(".dot") and not args.no_svg:
            svg = args.out / filename.replace(".dot", ".svg")
            try:
                svg.write_bytes(render_svg(text))
            except RuntimeError as error:
                print(f"{prog}: {error}", file=sys.stderr)
                return 2
            print(f"wrote {svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
