"""The review page, ``diagrams/README.md``: for each lifecycle (posture, breaker, coupling),
its diagram, its guard table and the invariants proved about it, with their result.

``care-trust diagrams`` writes it beside the diagrams (`trust.model.diagrams`). The
invariants are *run* when the page is generated, not read from an earlier run: the page
lists the properties of the lifecycle's proof subjects (`SUBJECTS`) as the proof run
checks them (``care-trust prove --only SUBJECT``), each with its result; a property that
fails is shown with its counterexample and the command exits 1. Times are left out, so the
page is byte-stable, and ``care-trust diagrams --check`` detects drift like the diagrams'.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence

import attrs

from trust.model import BREAKER_SPEC, POSTURE_SPEC, LifecycleSpec
from trust.model._coupling_view import caption, drawn_edges
from trust.model._ladder_view import DiagramStyle, Shape, classify, guard_text
from trust.model.diagrams import (
    NO_RENDERER,
    STYLES,
    all_diagram_texts,
    emit,
    parser,
    renderer,
)
from trust.proofs._property import Outcome, Property, Settings
from trust.proofs._solver import DEFAULT_TIMEOUT_MS
from trust.proofs._verdict import Refuted, Unknown

FILENAME = "README.md"


@attrs.frozen(kw_only=True)
class Section:
    """One lifecycle of the page: its diagram's name and the proof subjects about it."""

    name: str
    title: str
    subjects: tuple[str, ...]
    declared_in: str
    also: tuple[str, ...] = ()  # keys of properties of other subjects that concern it


SECTIONS = (
    Section(
        name="posture",
        title="Posture lifecycle",
        subjects=("posture lifecycle",),
        declared_in=POSTURE_SPEC.declared_in,
    ),
    Section(
        name="breaker",
        title="Circuit breaker lifecycle",
        subjects=("breaker lifecycle",),
        declared_in=BREAKER_SPEC.declared_in,
        # The breaker's counting invariants are proved on the product with the posture.
        also=(
            "posture x breaker: closed -> open only when weighted failures >= threshold "
            "(or forced)",
            "posture x breaker: half_open admits at most N = half_open_max_calls probes",
            "posture x breaker: closed is re-entered only at the N-th probe success (or a reset)",
        ),
    ),
    Section(
        name="coupling",
        title="Circuit breaker \u00d7 posture (the coupling)",
        subjects=("posture x breaker",),
        declared_in="trust/model/coupling.py",
    ),
)
SUBJECTS = tuple(s for section in SECTIONS for s in section.subjects)


def lifecycle_properties() -> list[Property]:
    """The properties of every subject of `SECTIONS`, in the proof run's order."""
    from trust import proofs

    return [p for p in proofs.all_properties() if p.subject in SUBJECTS]


def run(properties: Sequence[Property], jobs: int) -> list[Outcome]:
    """Run ``properties`` as ``care-trust prove`` does (default timeout, default profile)."""
    from trust.proofs._runner import run_each

    return list(run_each(properties, Settings(timeout_ms=DEFAULT_TIMEOUT_MS), jobs))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def guard_table(spec: LifecycleSpec, style: DiagramStyle) -> list[str]:
    """A lifecycle's events as a Markdown table: what each does, and its guards."""
    rows = ["| event | transitions | guards (all must hold) |", "| --- | --- | --- |"]
    for c in classify(spec, style.ladder):
        if c.shape is Shape.PAIRS:
            for t in c.moves:
                where = f"{t.source.upper()} \u2192 {t.target.upper()}"
                rows.append(f"| `{c.event}` | {where} | {_cell(guard_text(t.guards))} |")
            continue
        what = c.text(style.noun).split(": ", 1)[1].rsplit(" [", 1)[0]
        what = what.removesuffix(" (no guard can veto)")
        rows.append(f"| `{c.event}` | {what} | {_cell(guard_text(c.guards))} |")
    return rows


def coupling_table() -> list[str]:
    """The coupling's edges as a Markdown table: the breaker transitions, and their effect
    on the posture (the rules `trust.model.coupling` declares)."""
    rows = ["| from | to | breaker transitions [guards] | effect on the posture |"]
    rows.append("| --- | --- | --- | --- |")
    for source, target, _, label in drawn_edges():
        events, _, effect = label.partition("\n")
        ends = f"| {_cell(caption(source))} | {_cell(caption(target))} "
        rows.append(f"{ends}| {_cell(events)} | {_cell(effect) or 'none'} |")
    return rows


def _results(outcomes: Iterable[Outcome]) -> list[str]:
    rows = ["| | property | result | method |", "| --- | --- | --- | --- |"]
    details = []
    for outcome in outcomes:
        mark = "ok" if outcome.ok else "**FAIL**"
        rows.append(
            f"| {mark} | {_cell(outcome.prop.name)} | {_cell(outcome.result)} "
            f"| {outcome.prop.method} |"
        )
        verdict = outcome.verdict
        if isinstance(verdict, Refuted) and not outcome.ok:
            details += [f"Counterexample to *{outcome.prop.name}*:", "", "```", verdict.explain()]
            details += ["```", ""]
        elif isinstance(verdict, Unknown):
            details += [f"*{outcome.prop.name}* is unknown: {verdict.reason}", ""]
    bounds = [f"- *{o.prop.name}*: {o.prop.bound}" for o in outcomes if o.prop.bound and o.ok]
    if bounds:
        details += ["Bounded checks (what they cover):", "", *bounds, ""]
    return [*rows, "", *details]


def page(outcomes: Sequence[Outcome], drawings: Mapping[str, str] | None = None) -> str:
    """The review page, from the outcomes of `lifecycle_properties` and the drawings
    (`all_diagram_texts`, drawn afresh when not given)."""
    drawings = all_diagram_texts() if drawings is None else drawings
    by_subject: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_subject.setdefault(outcome.prop.subject, []).append(outcome)
    by_key = {o.prop.key: o for o in outcomes}
    missing = [key for section in SECTIONS for key in section.also if key not in by_key]
    if missing:
        raise ValueError(f"the review page's properties must exist, got unknown {missing}")
    failed = sum(not o.ok for o in outcomes)
    lines = [
        "<!-- Generated by `care-trust diagrams` from trust/model/ and trust/proofs/. "
        "Do not edit. -->",
        "",
        "# Design review: the lifecycles",
        "",
        "Each lifecycle below is drawn from its declaration in `trust/model/`, with the "
        "guards of each event and the invariants the proof run proves about it. The proofs "
        "were run when this page was generated (`care-trust diagrams` runs `care-trust prove "
        "--only SUBJECT` for each subject named below): "
        + (f"**{failed} failed**." if failed else f"all {len(outcomes)} hold."),
        "",
        "Every arrow is labelled with its event and guards; colour only repeats the label. "
        "An arrow beside a ladder stands for a whole class of transitions (for example "
        "*upgrade: to any higher posture*), drawn so only when the model's transitions are "
        "exactly that class.",
        "",
    ]
    for section in SECTIONS:
        lines += [f"## {section.title}", ""]
        lines += [
            f"Declared in `{section.declared_in}`. Diagram: [`{section.name}.svg`]"
            f"({section.name}.svg) (also [`.mmd`]({section.name}.mmd) for Mermaid, "
            f"[`.dot`]({section.name}.dot)).",
            "",
            f"![{section.title}]({section.name}.svg)",
            "",
            # Markdown viewers draw Mermaid from a fenced block, not from a .mmd file.
            "<details><summary>The same as Mermaid</summary>",
            "",
            "```mermaid",
            drawings[f"{section.name}.mmd"].rstrip("\n"),
            "```",
            "",
            "</details>",
            "",
        ]
        if section.name in STYLES:
            spec = POSTURE_SPEC if section.name == "posture" else BREAKER_SPEC
            lines += ["### Guards", "", *guard_table(spec, STYLES[section.name]), ""]
        else:
            lines += ["### Rules", "", *coupling_table(), ""]
        subjects = ", ".join(f"`{s}`" for s in section.subjects)
        also = f", and {len(section.also)} of the product's" if section.also else ""
        lines += [f"### Invariants proved ({subjects}{also})", ""]
        chosen = [o for s in section.subjects for o in by_subject.get(s, [])]
        chosen += [by_key[key] for key in section.also]
        lines += _results(chosen) if chosen else ["No property names this subject.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def texts(jobs: int) -> tuple[dict[str, str], list[Outcome]]:
    """Every file ``care-trust diagrams`` writes (the review page last), and the outcomes."""
    outcomes = run(lifecycle_properties(), jobs)
    drawn = all_diagram_texts()
    drawn[FILENAME] = page(outcomes, drawn)
    return drawn, outcomes


def main(argv: Sequence[str] | None = None, prog: str = "care-trust diagrams") -> int:
    """Draw the diagrams and write the review page (or ``--check`` them); 0, 1 (a property
    failed, or drift) or 2 (a usage error or no renderer)."""
    from trust.proofs._runner import default_jobs

    options = parser(
        prog,
        "Draw the lifecycle diagrams (.dot, .svg, .mmd) into --out and write the review "
        f"page {FILENAME} beside them: each lifecycle's diagram, its guard table and the "
        "invariants proved about it, with their result (the lifecycle proofs run now).",
    )
    options.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=None,
        help="worker processes for the proofs (default: one per available core)",
    )
    args = options.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        options.error(f"--jobs must be a positive number of processes, got {args.jobs}")
    if not args.no_svg and renderer() is None:
        print(f"{prog}: {NO_RENDERER}", file=sys.stderr)  # before the proofs, not after
        return 2
    drawn, outcomes = texts(default_jobs() if args.jobs is None else args.jobs)
    code = emit(drawn, args, prog)
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        print(f"{prog}: {outcome.prop.key}: {outcome.result} (see {FILENAME})", file=sys.stderr)
    return code or (1 if failed else 0)


__all__ = ["SECTIONS", "Section", "coupling_table", "guard_table", "main", "page", "texts"]
