"""The breaker and posture lifecycles drawn together: what a circuit does to a posture.

The view is a product: each breaker state, paired with whether the breaker *holds* a
posture it displaced (and may restore) or holds nothing. Its edges are read from the two
specs, so they cannot drift from the model:

- a breaker transition from ``closed`` into ``open`` fires the posture lifecycle's
  ``protective_downgrade`` (no guard can veto it): the posture becomes
  ``min(current, downgrade_on_open)``, and the breaker holds what it displaced, or nothing
  if the posture was already that low;
- transitions between ``open`` and ``half_open`` keep the hold (a reopen re-checks the
  posture);
- a transition back to ``closed`` restores a held posture through the posture lifecycle's
  ``upgrade``, with its guards, fenced by the posture's version, never above what was
  displaced; with nothing held it restores nothing;
- any posture event other than the breaker's own while the circuit is open (an emergency
  downgrade, an upgrade, a downgrade, a maintain, an administrative ``set_posture``)
  changes the posture's version, and the hold is forfeited.
"""

from __future__ import annotations

import html

from trust.model.breaker import SPEC as BREAKER_SPEC
from trust.model.posture import SPEC as POSTURE_SPEC
from trust.model.spec import LifecycleSpec

NAME = "coupling"
HELD, FREE = "held", "free"
PROTECT = "protective_downgrade"
RESTORE = "upgrade"

_NODES = {
    "closed": ("CLOSED", "posture as others set it", "#e8f5e9"),
    "open_held": ("OPEN", "posture \u2264 downgrade_on_open\nholds displaced posture P", "#ffebee"),
    "half_open_held": ("HALF_OPEN", "posture still held\nholds displaced posture P", "#fff8e1"),
    "open_free": ("OPEN", "holds nothing", "#fce4ec"),
    "half_open_free": ("HALF_OPEN", "holds nothing", "#fffde7"),
    # CLOSED again, drawn apart from where the episode began so that it reads left to right.
    "closed_restored": (
        "CLOSED again",
        "posture back to P\n(if the upgrade's guards allow)",
        "#e8f5e9",
    ),
    "closed_kept": ("CLOSED again", "posture left as it is", "#f1f8e9"),
}
_COLOURS = {"trip": "#c62828", "cycle": "#1565c0", "restore": "#2e7d32", "none": "#757575"}
_OTHERS = "#6a1b9a"
_ENDS = {"restore": "closed_restored", "none": "closed_kept"}


def _node(state: str, hold: str) -> str:
    return state if state == "closed" else f"{state}_{hold}"


def coupled_edges(
    breaker: LifecycleSpec = BREAKER_SPEC, posture: LifecycleSpec = POSTURE_SPEC
) -> list[tuple[str, str, str, str]]:
    """``(source, target, kind, label)`` of the product view, in a stable order.

    Self-loops of one product state (a failure below the threshold, a probe admitted)
    change nothing in the posture and are left out.
    """
    protect_guards = {t.guards for t in posture.of_event(PROTECT)}
    restore_guards = list(dict.fromkeys(g for t in posture.of_event(RESTORE) for g in t.guards))
    veto = "no guard can veto" if protect_guards == {()} else f"guards {protect_guards}"
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for t in breaker.transitions:
        for hold in (HELD, FREE):
            source, target = _node(t.source, hold), _node(t.target, hold)
            if t.source == "closed" and t.target == "open":
                kind = "trip"
            elif t.target == "closed" and t.source != "closed":
                kind = "restore" if hold == HELD else "none"
            elif source != target:
                kind = "cycle"
            else:
                continue
            shown = [g for g in t.guards if g != "outcome_current"]
            event = f"{t.event} [{', '.join(shown)}]" if shown else t.event
            grouped.setdefault((source, target, kind), []).append(event)
    effects = {
        "trip": {
            HELD: f"=> {PROTECT} ({veto}):\nposture = min(current, downgrade_on_open)",
            FREE: "posture already \u2264 downgrade_on_open:\nnothing displaced, nothing held",
        },
        "restore": f"=> {RESTORE} back to P [{', '.join(restore_guards)}]\n"
        "only if the posture version is unchanged; never above P",
        "none": "=> nothing restored",
        "cycle": "",
    }
    edges = []
    for (source, target, kind), events in grouped.items():
        effect = effects[kind]
        if isinstance(effect, dict):
            effect = effect[HELD if target.endswith(HELD) else FREE]
        if kind == "cycle" and target.startswith("open"):
            effect = "posture re-checked: min(current, downgrade_on_open)"
        label = " | ".join(dict.fromkeys(events)) + (f"\n{effect}" if effect else "")
        edges.append((source, target, kind, label))
    others = [e for e in posture.events if e != PROTECT] + ["set_posture"]
    for state in ("open", "half_open"):
        label = " | ".join(others) + " by anyone else\n=> version changed: hold forfeited"
        edges.append((_node(state, HELD), _node(state, FREE), "others", label))
    return edges


def _header() -> str:
    return (
        f"Generated from {BREAKER_SPEC.declared_in} and {POSTURE_SPEC.declared_in} "
        "by `python -m trust.model.diagrams`. Do not edit."
    )


def to_dot() -> str:
    """The DOT source of the coupling view."""
    import graphviz  # the diagrams extra, imported to draw: a missing one is a hint

    graph = graphviz.Digraph(NAME, comment=_header())
    graph.attr(
        rankdir="LR",
        label="Circuit breaker \u00d7 posture: what each breaker transition does to the posture",
        labelloc="t",
        fontname="Helvetica",
        fontsize="16",
        nodesep="1.2",
        ranksep="1.1",
        newrank="true",
    )
    graph.attr("node", shape="box", style="rounded,filled", fontname="Helvetica")
    graph.attr("edge", fontname="Helvetica", fontsize="10", arrowsize="0.7")
    for node, (state, note, fill) in _NODES.items():
        label = f"<<B>{state}</B><BR/>{html.escape(note).replace(chr(10), '<BR/>')}>"
        graph.node(node, label=label, fillcolor=fill)
    for row in (
        ("open_held", "open_free"),
        ("half_open_held", "half_open_free"),
        ("closed_restored", "closed_kept"),
    ):
        with graph.subgraph() as rank:
            rank.attr(rank="same")
            for node in row:
                rank.node(node)
    for source, target, kind, label in coupled_edges():
        colour = _COLOURS.get(kind, _OTHERS)
        graph.edge(
            source,
            _ENDS.get(kind, target),
            label=label,
            color=colour,
            fontcolor=colour,
            style="dashed" if kind in ("others", "none") else "solid",
            constraint="false" if kind == "others" else "true",
        )
    return str(graph.source)


def to_mermaid() -> str:
    """A Mermaid ``stateDiagram-v2`` of the coupling view."""
    lines = [f"%% {_header()}", "stateDiagram-v2", "    [*] --> closed"]
    for node, (state, note, _) in _NODES.items():
        lines.append(f'    state "{state}: {note.replace(chr(10), ", ")}" as {node}')
    for source, target, kind, label in coupled_edges():
        end = _ENDS.get(kind, target)
        lines.append(f"    {source} --> {end} : {label.replace(chr(10), ' ')}")
    return "\n".join(lines) + "\n"


def diagram_texts() -> dict[str, str]:
    """The drift-tested text files of the coupling view."""
    return {f"{NAME}.dot": to_dot(), f"{NAME}.mmd": to_mermaid()}
