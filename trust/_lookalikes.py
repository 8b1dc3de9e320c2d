"""Identifiers that could pass for others: compatibility forms, mixed scripts, look-alikes.

`trust._validators.identifier` accepts printable ASCII at once; an identifier with any
other character must also pass `refusal`, which applies Unicode UTS #39 (the General
Security Profile, mixed-script detection and confusable skeletons) with data generated
from the Unicode security files (``trust/_generated/confusables.py``, made by
``tools/confusables.py``; it names the versions). The rules, in order:

1. The identifier is in NFKC form. Fullwidth and halfwidth forms, mathematical
   alphanumerics, ligatures, superscripts, circled letters, the Kelvin and Ohm signs and
   decomposed accents (``e`` + U+0301) all have an NFKC form that differs, so each prints
   like another, shorter-coded identifier and is refused.
2. Every non-ASCII character is a letter or a mark of a script (`trust._scripts`): no
   non-ASCII digit, punctuation, symbol or space, no mark or letter of no script (combining
   marks such as U+0307, variation selectors, modifier letters), and no character Python's
   Unicode database has no name for.
3. Every non-ASCII character is recommended for identifiers (Identifier_Status=Allowed,
   the UTS #39 General Security Profile): small capitals (U+A730), IPA and phonetic
   letters (U+01C3, which prints like ``!``), U+A78C SALTILLO (like ``'``), and the letters
   of historic and limited-use scripts (Cherokee, Lisu, Runic, Deseret, ...) are refused.
4. Its letters come from one script, or from the combinations UTS #39 calls highly
   restrictive: Latin with Han and Hiragana and Katakana, with Han and Hangul, or with
   Han and Bopomofo (any part of one of these, `_MIXES`).
5. No character prints like two or more others in a row (``SEQUENCES``: U+00F3 prints
   like Arabic HEH with FATHA, U+0416 like ``b1``).
6. Of the characters that print alike (``CLASSES``, one UTS #39 skeleton each), an id
   holds only the one it prefers at that place: an ASCII digit or punctuation mark if the
   class has one (so ``3`` and never U+0417 CYRILLIC CAPITAL LETTER ZE, ``0`` and never
   a Greek or Cyrillic capital O); else a letter of a script the id's other letters (those
   that print like nothing else) are written in (so ``ロボット``, whose ``ボ`` and ``ッ``
   are Katakana, keeps its Katakana ``ロ``, while ``人口`` keeps the Han ``口``); else the
   first of ASCII, Latin, then the other scripts by name. An ASCII character may stand
   for another ASCII one of its class (``l`` for ``1``): ASCII is never analysed.

So two accepted identifiers that print alike by the Unicode skeleton differ only in
ASCII characters that print alike (``l``, ``I``, ``1``; ``O``, ``0``; ``rn``, ``m``). The
generator checks that the skeletons left form a uniquely decodable code in every script
set an id may use, which is what makes deciding one character at a time enough. Hangul
syllables are compared whole, not jamo by jamo. Rules 3, 5 and 6 refuse some honest ids:
Latin letters with an accent that prints like an Arabic mark (U+00F3, U+00ED), letters
that print like an ASCII digit or punctuation (Arabic ALEF, Hebrew VAV, Cyrillic ZE), and
Katakana or Han letters that print like the other script where nothing else in the id
decides it.
"""

from __future__ import annotations

import bisect
import functools
import unicodedata

from trust._generated import confusables as _data
from trust._scripts import script

_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
)
"""The script combinations an identifier may use besides a single script (UTS #39)."""


def describe(char: str) -> str:
    """``U+0430 CYRILLIC SMALL LETTER A``: a character named so that a reader can find it."""
    return f"U+{ord(char):04X} {unicodedata.name(char, '(no name)')}"


def _allowed(char: str) -> bool:
    """Whether a non-ASCII character has Identifier_Status=Allowed."""
    at = bisect.bisect_right(_data.ALLOWED, ord(char))
    # The table is (first, last) pairs, flattened: an odd position is inside a range,
    # and ``last`` itself lands on the even position just after it.
    return at % 2 == 1 or (at > 0 and _data.ALLOWED[at - 1] == ord(char))


def _preferred(members: str, scripts: set[str]) -> str:
    """Which member of a class of look-alikes an id whose other letters are in ``scripts``
    may hold (rule 6)."""
    first = members[0]
    if first.isascii() and not first.isalpha():
        return first
    for member in members:
        if script(member) in scripts:
            return member
    return first


@functools.lru_cache(maxsize=1024)
def refusal(value: str) -> str | None:
    """The rule a printable, non-ASCII identifier breaks (see the module), or None.

    The answer is phrased to follow ``"{name} must be "``. Cached (an exact `str` is its
    own key): the hot paths meet the same ids again and again.
    """
    normal = unicodedata.normalize("NFKC", value)
    if normal != value:
        return f"in Unicode NFKC form (it would print like {normal!r})"
    scripts: set[str] = set()
    for char in value:
        if char.isascii():
            if char.isalpha():
                scripts.add("LATIN")
            continue
        name = script(char)
        if name is None:
            return (
                "made of ASCII and the letters and marks of a script, "
                f"not {describe(char)} (category {unicodedata.category(char)})"
            )
        if not _allowed(char):
            return f"made of characters recommended for identifiers (UTS #39), not {describe(char)}"
        scripts.add(name)
    if len(scripts) > 1 and not any(scripts <= mix for mix in _MIXES):
        return f"written in one script, not in {', '.join(sorted(scripts))}"
    for char in value:
        if char in _data.SEQUENCES:
            return (
                f"free of look-alikes, not {describe(char)}, which prints like "
                f"{_data.SEQUENCES[char]!r}"
            )
    # The scripts of the letters that print like nothing else decide between look-alikes.
    deciding = {
        name
        for char in value
        if not char.isascii() and char not in _data.CLASSES and (name := script(char))
    }
    spelled = [
        char if char not in _data.CLASSES else _preferred(_data.CLASSES[char], deciding)
        for char in value
    ]
    for char, preferred in zip(value, spelled, strict=True):
        if char != preferred and not (char.isascii() and preferred.isascii()):
            return (
                f"free of look-alikes, not {describe(char)}, which prints like "
                f"{describe(preferred)} (it prints like {''.join(spelled)!r})"
            )
    return None
