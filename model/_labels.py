"""Labels that fit their boxes in every font a reviewer's viewer may pick.

Graphviz sizes a label from its own estimate of the text (built-in Helvetica or Times
metrics), while the SVG viewer draws it in whatever sans-serif font it has: DejaVu Sans is
about a tenth wider than that estimate, so text overflowed its box. Every label is therefore
an HTML-like table whose cell is at least as wide as the text measured in each font of
`FAMILIES` (from `trust.model._fonts`), with the text aligned left: the SVG places left-
aligned text at the cell's left edge, so a text no wider than the cell cannot leave it,
whichever font draws it and whatever Graphviz estimated.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from trust.model._fonts import CHARS, FONTS

FAMILIES = ("DejaVu Sans", "Liberation Sans")
"""The fonts every label must fit: the common sans-serif fonts of Linux viewers (Liberation
Sans has Arial's and Helvetica's widths, so it stands for them too)."""

FONTNAME = "DejaVu Sans,Liberation Sans,Arial,sans-serif"
"""What the SVG asks the viewer for (Graphviz writes it as the ``font-family``)."""

PAD = 4
"""Points of room on each side of a text inside its cell."""

_INDEX = {char: i for i, char in enumerate(CHARS)}


def width_in(family: str, text: str, size: float, *, bold: bool = False) -> float:
    """The advance width of ``text`` in points, set in ``family`` at ``size`` points.

    Raises:
        ValueError: ``text`` has a character the font table does not measure.
    """
    units, _, _, widths = FONTS[family, bold]
    unknown = sorted({c for c in text if c not in _INDEX})
    if unknown:
        raise ValueError(
            f"label characters must be in trust.model._fonts.CHARS (renew it with "
            f"tools/font_metrics.py), got {unknown} in {text!r}"
        )
    return sum(widths[_INDEX[c]] for c in text) * size / units


def width(text: str, size: float, *, bold: bool = False) -> float:
    """The widest that ``text`` is set in any of `FAMILIES`."""
    return max(width_in(family, text, size, bold=bold) for family in FAMILIES)


def line_height(size: float) -> float:
    """The tallest line (ascender to descender) of `FAMILIES` at ``size`` points."""
    return max((FONTS[f, False][1] - FONTS[f, False][2]) / FONTS[f, False][0] for f in FAMILIES) * (
        size
    )


def label(
    lines: Sequence[str], size: float, *, bold_first: bool = False, color: str | None = None
) -> str:
    """An HTML-like Graphviz label of ``lines``, left-aligned in a cell that fits them.

    ``bold_first`` sets the first line in bold (a state's name above its note).
    """
    measured = [width(line, size, bold=bold_first and i == 0) for i, line in enumerate(lines)]
    cell_width = math.ceil(max(measured) + 2 * PAD)
    cell_height = math.ceil(len(lines) * line_height(size) + PAD)
    shown = []
    for i, line in enumerate(lines):
        text = html.escape(line)
        shown.append(f"<B>{text}</B>" if bold_first and i == 0 else text)
    body = "<BR/>".join(shown)
    # The size is the label's own: the one it was measured at, whatever the element's is.
    colour = "" if color is None else f' COLOR="{color}"'
    body = f'<FONT POINT-SIZE="{size:g}"{colour}>{body}</FONT>'
    return (
        f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{PAD}">'
        f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" WIDTH="{cell_width}" HEIGHT="{cell_height}">'
        f"{body}</TD></TR></TABLE>>"
    )


__all__ = ["FAMILIES", "FONTNAME", "label", "line_height", "width", "width_in"]
