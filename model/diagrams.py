"""Draw the declared lifecycles for design reviews.

``python -m trust.model.diagrams`` writes ``diagrams/<name>.dot``, ``.mmd`` (Mermaid, for
markdown reviews) and ``.svg`` for every lifecycle in `model.LIFECYCLES`, and the same for
the combined breaker-and-posture view of `model.coupling`. The DOT and
Mermaid text depend only on the spec, so they are byte-stable and drift-tested; the SVG is
rendered from the DOT with the ``graphviz-pure`` binary from PyPI (the diagrams extra), so
no system package is needed and every machine renders the same bytes; a system ``dot``
is used only without it. ``care-trust diagrams`` also writes the review page,
``diagrams/README.md`` (`trust.proofs._review`).

Layout choices, for reviewers: each lifecycle is a ladder (for postures, most autonomy at
the top) with one labelled arrow per event class, and the rest edge by edge, each edge
labelled with its events and guards (`trust.model._ladder_view`); the coupling view is
`trust.model._coupling_view`. Meaning is in the labels: colour and line only repeat it.
Every label is sized to fit DejaVu Sans and Liberation Sans (`trust.model._labels`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from trust.model import _ladder_view as ladder_view
from trust.model._ladder_view import DiagramStyle, Look
from trust.model.posture import SPEC as POSTURE_SPEC
from trust.model.spec import LifecycleSpec

POSTURE_STYLE = DiagramStyle(
    title="Posture lifecycle: most autonomy at the top",
    # The declaration order is the autonomy ladder (least first): "higher" is read from it.
    ladder=tuple(reversed(POSTURE_SPEC.states)),
    noun="posture",
    looks={
        "upgrade": Look(color="#2e7d32", penwidth="2"),
        "downgrade": Look(color="#ef6c00", penwidth="2"),
        "maintain": Look(color="#616161", style="dotted"),
        "emergency_downgrade": Look(color="#c62828", style="dashed", penwidth="2.4"),
        "protective_downgrade": Look(color="#6a1b9a", style="dashed", penwidth="2"),
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
    looks={
        "failure": Look(color="#c62828", penwidth="1.6"),
        "recovery_timeout": Look(color="#1565c0", style="dashed"),
        "probe_admitted": Look(color="#757575", style="dotted"),
        "probe_success": Look(color="#2e7d32", penwidth="1.6"),
        "probe_timeout": Look(color="#ef6c00", style="dashed"),
        "force_open": Look(color="#6a1b9a", style="bold"),
        "reset": Look(color="#00838f", style="bold"),
    },
    fill={"closed": "#e8f5e9", "open": "#ffebee", "half_open": "#fff8e1"},
)

STYLES: dict[str, DiagramStyle] = {"posture": POSTURE_STYLE, "breaker": BREAKER_STYLE}


def to_dot(spec: LifecycleSpec, style: DiagramStyle) -> str:
    """The DOT source of ``spec`` drawn in ``style`` (`trust.model._ladder_view`)."""
    return ladder_view.to_dot(spec, style, _header(spec))


def to_mermaid(spec: LifecycleSpec, style: DiagramStyle | None = None) -> str:
    """A Mermaid flowchart of ``spec``: the ladder, and one labelled edge per event class
    or per pair of states."""
    return ladder_view.to_mermaid(spec, style or STYLES[spec.name], _header(spec))


def _header(spec: LifecycleSpec) -> str:
    return f"Generated from {spec.declared_in} by `python -m trust.model.diagrams`. Do not edit."


def renderer() -> str | None:
    """The Graphviz program `render_svg` uses: ``graphviz-pure`` (the diagrams extra's, so
    every machine with the extra renders the same bytes), else a system ``dot``."""
    for program in ("graphviz-pure", "dot"):
        path = shutil.which(program) or _beside_python(program)
        if path is not None:
            return path
    return None


NO_RENDERER = (
    "no Graphviz renderer: install it with: pip install 'care-trust[diagrams]' (or Graphviz's dot)"
)


def render_svg(dot_source: str) -> bytes:
    """Render DOT to SVG with `renderer`.

    Raises:
        RuntimeError: neither renderer is installed, or rendering failed.
    """
    path = renderer()
    if path is None:
        raise RuntimeError(NO_RENDERER)
    done = subprocess.run(
        [path, "-Tsvg"], input=dot_source.encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{Path(path).name} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


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
    from trust.model._coupling_view import diagram_texts as coupling_texts

    texts: dict[str, str] = {}
    for spec in LIFECYCLES:
        texts.update(diagram_texts(spec))
    texts.update(coupling_texts())
    return texts


def rendered(texts: Mapping[str, str], svg: bool) -> dict[str, bytes]:
    """Every file of ``texts`` as bytes, with each ``.dot``'s SVG beside it when ``svg``.

    Raises:
        RuntimeError: no Graphviz renderer (see `render_svg`).
    """
    files: dict[str, bytes] = {}
    for filename, text in texts.items():
        files[filename] = text.encode()
        if filename.endswith(".dot") and svg:
            files[filename.replace(".dot", ".svg")] = render_svg(text)
    return files


def drifted(files: Mapping[str, bytes], out: Path) -> list[str]:
    """The names of ``files`` whose copy in ``out`` is missing or differs."""
    return [name for name, data in files.items() if _read(out / name) != data]


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """The options `main` and ``care-trust diagrams`` share."""
    parsed = argparse.ArgumentParser(prog=prog, description=description)
    parsed.add_argument("--out", type=Path, default=Path("diagrams"), help="output folder")
    parsed.add_argument("--no-svg", action="store_true", help="write no .svg")
    parsed.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing every file in --out that differs from a fresh "
        "drawing (drift)",
    )
    return parsed


def emit(texts: Mapping[str, str], args: argparse.Namespace, prog: str) -> int:
    """Write ``texts`` (and their SVGs) into ``args.out``, or with ``--check`` compare them;
    0, 1 (drift) or 2 (no renderer)."""
    try:
        files = rendered(texts, svg=not args.no_svg)
    except RuntimeError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    if args.check:
        stale = drifted(files, args.out)
        for name in stale:
            print(f"{prog}: {args.out / name} differs from the model: run {prog}", file=sys.stderr)
        if not stale:
            print(f"{prog}: {len(files)} files in {args.out} are up to date")
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
        print(f"wrote {args.out / name}")
    return 0


def main(argv: Sequence[str] | None = None, prog: str = "python -m trust.model.diagrams") -> int:
    """Draw every lifecycle into ``--out`` (or check it with ``--check``).

    ``care-trust diagrams`` also writes the review page (`trust.proofs._review`), which
    needs the proofs; this entry point needs only the model.
    """
    args = parser(prog, __doc__).parse_args(argv)
    return emit(all_diagram_texts(), args, prog)


if __name__ == "__main__":
    sys.exit(main())
