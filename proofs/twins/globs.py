"""Globs as z3 regular expressions, written from the glob syntax, not from the runtime.

The syntax is that of `trust.constraints.builtin._glob`: ``*`` and ``?`` never match
``/``, a whole-segment ``**`` spans zero or more whole segments, everything else is
literal; only normalised paths are ever matched (non-empty segments, none ``.`` or
``..``, no NUL or backslash). z3's sequence theory decides membership and emptiness of
these languages, so inclusion of two concrete glob sets is one satisfiability query whose
model is a path one set matches and the other does not.

The same structure also renders to a Python regular expression, which the bounded law
proofs of `proofs.twins.resources` use to tabulate a finite universe of paths quickly.
The runtime's own 4096-character limit on paths is not encoded: witnesses are short.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import z3

_CHAR = z3.Intersect(z3.AllChar(z3.ReSort(z3.StringSort())), z3.Complement(z3.Re("/")))
_SEGMENT_CHAR = z3.Intersect(_CHAR, z3.Complement(z3.Union(z3.Re("\x00"), z3.Re("\\"))))
_SEG = z3.Plus(_CHAR)
_VALID_SEG = z3.Intersect(z3.Plus(_SEGMENT_CHAR), z3.Complement(z3.Union(z3.Re("."), z3.Re(".."))))
NORMALISED = z3.Concat(
    z3.Option(z3.Re("/")), _VALID_SEG, z3.Star(z3.Concat(z3.Re("/"), _VALID_SEG))
)
"""Every normalised path."""

NOTHING = z3.Empty(z3.ReSort(z3.StringSort()))


def _segments(pattern: str) -> tuple[bool, list[str]]:
    absolute = pattern.startswith("/")
    return absolute, (pattern[1:] if absolute else pattern).split("/")


def _segment_re(segment: str) -> z3.ReRef:
    if set(segment) == {"*"}:
        return _SEG
    parts = [z3.Star(_CHAR) if c == "*" else _CHAR if c == "?" else z3.Re(c) for c in segment]
    return parts[0] if len(parts) == 1 else z3.Concat(*parts)


def glob_regex(pattern: str) -> z3.ReRef:
    """The paths ``pattern`` matches (a normalised glob), as a z3 regex."""
    absolute, segments = _segments(pattern)
    slash = z3.Re("/")
    parts: list[z3.ReRef] = [slash] if absolute else []
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "**":
            if last == 0:
                parts += [_SEG, z3.Star(z3.Concat(slash, _SEG))]
            elif index == 0:
                parts.append(z3.Star(z3.Concat(_SEG, slash)))
            elif index == last:
                parts.append(z3.Star(z3.Concat(slash, _SEG)))
            else:
                parts += [slash, z3.Star(z3.Concat(_SEG, slash))]
            continue
        if index > 0 and segments[index - 1] != "**":
            parts.append(slash)
        parts.append(_segment_re(segment))
    return parts[0] if len(parts) == 1 else z3.Concat(*parts)


def union_regex(patterns: Iterable[str]) -> z3.ReRef:
    """The union of some globs; no glob matches nothing."""
    regexes = [glob_regex(p) for p in patterns]
    if not regexes:
        return NOTHING
    return regexes[0] if len(regexes) == 1 else z3.Union(*regexes)


def conjuncts_regex(conjuncts: Iterable[Iterable[str]]) -> z3.ReRef:
    """An intersection of unions of globs (a `GlobSet`), within the normalised paths."""
    regex = NORMALISED
    for conjunct in conjuncts:
        regex = z3.Intersect(regex, union_regex(conjunct))
    return regex


def python_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` as a Python regex with the same meaning as `glob_regex`."""
    seg = "[^/]+"
    absolute, segments = _segments(pattern)
    out = "/" if absolute else ""
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "**":
            if last == 0:
                out += f"{seg}(?:/{seg})*"
            elif index == 0:
                out += f"(?:{seg}/)*"
            elif index == last:
                out += f"(?:/{seg})*"
            else:
                out += f"/(?:{seg}/)*"
            continue
        if index > 0 and segments[index - 1] != "**":
            out += "/"
        if set(segment) == {"*"}:
            out += seg
        else:
            out += "".join(
                "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in segment
            )
    return re.compile(out)
