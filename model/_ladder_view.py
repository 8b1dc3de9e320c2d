"""A lifecycle as a reviewer reads it: its states as a ladder, and one labelled arrow per
event class.

Each event's transitions are read from the spec and classified against the ladder (the
state order a `DiagramStyle` gives, top first): *to any higher state*, *to any lower
state*, *to the same state*, or *from any state to* one state. An event is drawn as one
arrow beside the ladder only when its transitions are exactly that class, with one set of
guards; any other event is drawn edge by edge (one edge per pair of states, its label
listing each event and guards), so the picture cannot claim more than the model says.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Mapping, Sequence

import attrs

from trust.model._labels import FONTNAME, label
from trust.model.spec import LifecycleSpec, Transition

TITLE_SIZE = 16
NODE_SIZE = 13
LABEL_SIZE = 11


class Shape(enum.Enum):
    """How an event's transitions lie on the ladder."""

    UP = "to any higher"
    DOWN = "to any lower"
    STAY = "to the same"
    INTO = "from any"
    PAIRS = "edge by edge"


@attrs.frozen(kw_only=True)
class Look:
    """How one event is drawn: colour and line, a second cue beside its label."""

    color: str
    style: str = "solid"
    penwidth: str = "1.4"


@attrs.frozen(kw_only=True)
class DiagramStyle:
    """How one lifecycle is drawn.

    Attributes:
        title: The caption above the graph.
        ladder: State ids from top to bottom; each gets its own rank. "Higher" means
            nearer the top.
        looks: The look of each event.
        noun: What a state is called in the labels ("posture", "state").
        fill: Node fill colour per state id.
    """

    title: str
    ladder: tuple[str, ...]
    looks: Mapping[str, Look]
    noun: str = "state"
    fill: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class EventClass:
    """One event of the ladder view: its shape, its guards and its transitions."""

    event: str
    shape: Shape
    guards: tuple[str, ...]  # the one set of guards of a class; () for PAIRS
    moves: tuple[Transition, ...]
    target: str | None = None  # the one target of an INTO event

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """``(source, target)`` of each transition."""
        return tuple((t.source, t.target) for t in self.moves)

    def text(self, noun: str) -> str:
        """``event: what it does [guards]``, as the arrow's label says it."""
        what = f"{self.shape.value} {noun}"
        if self.shape is Shape.INTO:
            what = f"{what} to {str(self.target).upper()}"
        return f"{self.event}: {what} {guard_text(self.guards)}"


def guard_text(guards: Sequence[str]) -> str:
    """``[a, b]`` (all must hold), or what no guard means."""
    return f"[{', '.join(guards)}]" if guards else "(no guard can veto)"


def classify(spec: LifecycleSpec, ladder: Sequence[str]) -> tuple[EventClass, ...]:
    """Each event of ``spec`` with the shape its transitions have on ``ladder`` (top first)."""
    level = {state: -i for i, state in enumerate(ladder)}
    found = []
    for event in spec.events:
        moves = spec.of_event(event)
        guard_sets = {t.guards for t in moves}
        shape, target = _shape({(t.source, t.target) for t in moves}, ladder, level)
        if len(guard_sets) != 1:
            shape, target = Shape.PAIRS, None
        guards = next(iter(guard_sets)) if len(guard_sets) == 1 else ()
        found.append(
            EventClass(event=event, shape=shape, guards=guards, moves=moves, target=target)
        )
    return tuple(found)


def _shape(
    pairs: set[tuple[str, str]], states: Sequence[str], level: dict[str, int]
) -> tuple[Shape, str | None]:
    every = {(s, t) for s in states for t in states}
    for shape, holds in (
        (Shape.UP, lambda s, t: level[t] > level[s]),
        (Shape.DOWN, lambda s, t: level[t] < level[s]),
        (Shape.STAY, lambda s, t: s == t),
    ):
        if pairs == {(s, t) for s, t in every if holds(s, t)}:
            return shape, None
    targets = {t for _, t in pairs}
    if len(targets) == 1:
        (target,) = targets
        if pairs == {(s, target) for s in states}:
            return Shape.INTO, target
    return Shape.PAIRS, None


def to_dot(spec: LifecycleSpec, style: DiagramStyle, header: str) -> str:
    """The DOT source of the ladder view of ``spec`` in ``style``."""
    missing = set(spec.states) ^ set(style.ladder)
    unstyled = set(spec.events) - set(style.looks)
    if missing or unstyled:
        raise ValueError(
            f"style for {spec.name} must place every state and style every event; "
            f"states off the ladder or unknown: {sorted(missing)}, unstyled events: "
            f"{sorted(unstyled)}"
        )
    classes = classify(spec, style.ladder)
    ladder = style.ladder
    top, bottom = ladder[0], ladder[-1]
    below = f"{bottom}_below"
    # Rails: left of the ladder the events that lower, right those that raise or pin;
    # INTO events run outermost on the right, and hook into their target from the right,
    # or from below when it is the bottom rung. Loops stand on the left.
    left = [c for c in classes if c.shape is Shape.DOWN]
    right = [c for c in classes if c.shape in (Shape.UP, Shape.STAY)]
    into = [c for c in classes if c.shape is Shape.INTO]
    rails: list[EventClass | None] = [*reversed(left), None, *right, *into]
    lines = [
        f"// {header}",
        f"digraph {spec.name} {{",
        f'\tgraph [fontname="{FONTNAME}" labelloc=t newrank=true nodesep=0.35 '
        "ranksep=0.5 rankdir=TB]",
        "\tlabel=" + label([style.title], TITLE_SIZE),
        f'\tnode [fontname="{FONTNAME}" fontsize={NODE_SIZE} margin=0 shape=box '
        'style="rounded,filled"]',
        f'\tedge [arrowsize=0.8 fontname="{FONTNAME}" fontsize={LABEL_SIZE}]',
    ]
    for state in ladder:
        note = ["(initial)"] if state == spec.initial else []
        lines.append(
            f"\t{state} [label={label([state.upper(), *note], NODE_SIZE, bold_first=True)} "
            f'fillcolor="{style.fill.get(state, "white")}"]'
        )
    lines.append(f'\t{below} [label="" shape=point width=0 style=invis]')
    for upper, lower in itertools.pairwise([*ladder, below]):
        lines.append(f"\t{upper} -> {lower} [style=invis weight=100]")
    ends = {c.event: _end(c, top, bottom, below) for c in rails if c is not None}
    rows: dict[str, list[str]] = {}
    for c in rails:
        if c is None:
            stops = {top, bottom, below}
        else:
            stops = {top, ends[c.event]}
            if c.shape is Shape.INTO and c.target not in (top, bottom):
                stops.add(str(c.target))
        for rung in stops:
            rows.setdefault(rung, []).append(rung if c is None else f"{c.event}_{rung}")
    for rung in (*ladder, below):
        row = rows.get(rung, [])
        if len(row) > 1:
            lines.append(f"\t{{ rank=same; {'; '.join(row)} }}")
            lines.append(f"\t{' -> '.join(row)} [style=invis]")
    for c in rails:
        if c is not None:
            lines += _rail(c, style, ladder, ends[c.event], below)
    lines += _pairs(classes, style)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _end(c: EventClass, top: str, bottom: str, below: str) -> str:
    # An INTO rail runs the ladder's full height, past the bottom rung, like a bus.
    return below if c.shape is Shape.INTO else bottom


def _rail(
    c: EventClass, style: DiagramStyle, ladder: Sequence[str], end: str, below: str
) -> list[str]:
    look = style.looks[c.event]
    top = ladder[0]
    # The rail's points: its ends, and the rung its INTO hook leaves from.
    stops = [
        top,
        *([c.target] if c.shape is Shape.INTO and c.target not in (top, ladder[-1]) else []),
        end,
    ]
    lines = [f'\t{c.event}_{stop} [label="" shape=point width=0.01 style=invis]' for stop in stops]
    text = label(wrapped(c.text(style.noun)), LABEL_SIZE, color=look.color)
    common = f'color="{look.color}" style={look.style} penwidth={look.penwidth}'
    straight = f"{common} weight=100"  # a rail runs straight down beside the ladder
    if c.shape is Shape.UP:
        edge = f"dir=back {straight} label={text}"
    elif c.shape in (Shape.STAY, Shape.INTO):
        # A pin, or the trunk of an INTO hook: the arrowhead is on the hook.
        edge = f"arrowhead=none {straight} label={text}"
    else:
        edge = f"{straight} label={text}"
    for i, (upper, lower) in enumerate(itertools.pairwise(stops)):
        shown = edge if i == 0 else f"arrowhead=none {straight}"
        lines.append(f"\t{c.event}_{upper} -> {c.event}_{lower} [{shown}]")
    if c.shape is Shape.INTO:
        hook = f"{c.event}_{below}" if c.target == ladder[-1] else f"{c.event}_{c.target}"
        port = "s" if c.target == ladder[-1] else "e"
        lines.append(f"\t{hook} -> {c.target}:{port} [{common} constraint=false]")
    return lines


def _pairs(classes: Sequence[EventClass], style: DiagramStyle) -> list[str]:
    grouped: dict[tuple[str, str], list[EventClass]] = {}
    for c in classes:
        if c.shape is Shape.PAIRS:
            for pair in c.pairs:
                grouped.setdefault(pair, []).append(c)
    order = {state: i for i, state in enumerate(style.ladder)}
    lines = []
    for (source, target), events in grouped.items():
        text: list[str] = []
        for c in events:
            for t in c.moves:
                if (t.source, t.target) == (source, target):
                    shown = f"{c.event} {guard_text(t.guards)}" if t.guards else c.event
                    text += wrapped(shown, 40)
        look = style.looks[events[0].event]
        colors = {style.looks[c.event].color for c in events}
        shown = look.color if len(colors) == 1 else "#424242"
        upward = order[target] < order[source]
        # Between neighbouring rungs an edge runs straight from one to the other, so that
        # it stays clear of the labels of loops beside them.
        ports = "tailport=s headport=n " if abs(order[target] - order[source]) == 1 else ""
        if source == target:
            ports = "tailport=w headport=w "
        lines.append(
            f"\t{target if upward else source} -> {source if upward else target} "
            f'[{"dir=back " if upward else ""}{ports}color="{shown}" style={look.style} '
            f"penwidth={look.penwidth} label={label(text, LABEL_SIZE, color=shown)}]"
        )
    return lines


def wrapped(text: str, width: int = 34) -> list[str]:
    """``text`` broken between words into lines of at most ``width`` characters (a longer
    word keeps its own line): labels beside a tall ladder read best narrow."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def to_mermaid(spec: LifecycleSpec, style: DiagramStyle, header: str) -> str:
    """A Mermaid flowchart of the ladder view: the states top to bottom, one edge per pair
    of states for PAIRS events, and one edge per event class from an "any state" node.

    Mermaid cannot draw an arrow beside a column, so a class runs from "any <noun>" to
    what it reaches ("a higher posture", or the one target of an INTO event).
    """
    classes = classify(spec, style.ladder)
    noun = style.noun
    lines = [f"%% {header}", "flowchart TB"]
    lines.append(f'    subgraph ladder ["{style.title}"]')
    lines.append("        direction TB")
    for state in style.ladder:
        note = " (initial)" if state == spec.initial else ""
        lines.append(f'        {state}["{state.upper()}{note}"]')
    lines.append("        " + " ~~~ ".join(style.ladder))
    lines.append("    end")
    grouped: dict[tuple[str, str], list[str]] = {}
    for c in classes:
        if c.shape is Shape.PAIRS:
            for t in c.moves:
                shown = f"{c.event} {guard_text(t.guards)}" if t.guards else c.event
                grouped.setdefault((t.source, t.target), []).append(shown)
    for (source, target), events in grouped.items():
        lines.append(f'    {source} -->|"{"<br/>".join(events)}"| {target}')
    reached = {
        Shape.UP: ("higher", f"a higher {noun}"),
        Shape.DOWN: ("lower", f"a lower {noun}"),
        Shape.STAY: ("same", f"the same {noun}"),
    }
    reaching: dict[str, list[str]] = {}
    for c in classes:
        if c.shape is Shape.PAIRS:
            continue
        if c.shape is Shape.INTO:
            node = str(c.target)
        else:
            node, text = reached[c.shape]
            if node not in reaching:
                lines.append(f'    {node}(["{text}"])')
        reaching.setdefault(node, []).append(f"{c.event} {guard_text(c.guards)}")
    if reaching:
        lines.append(f'    any(["any {noun}"])')
    # One edge per target, its label naming each event: Mermaid overlaps parallel edges.
    for node, events in reaching.items():
        lines.append(f'    any -->|"{"<br/>".join(events)}"| {node}')
    return "\n".join(lines) + "\n"


__all__ = [
    "DiagramStyle",
    "EventClass",
    "Look",
    "Shape",
    "classify",
    "to_dot",
    "to_mermaid",
    "wrapped",
]
