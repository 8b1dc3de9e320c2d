"""Identifiers that could pass for others: compatibility forms, mixed scripts, look-alikes.

`trust._validators.identifier` accepts printable ASCII at once; an identifier with any
other character must also pass `refusal`, which is a documented approximation of Unicode
UTS #39 (mixed-script and whole-script confusable detection) built on the standard
library alone. The rule, in order:

1. The identifier is in NFKC form. Fullwidth and halfwidth forms, mathematical
   alphanumerics, ligatures, superscripts, circled letters, the Kelvin and Ohm signs and
   decomposed accents (``e`` + U+0301) all have an NFKC form that differs, so each prints
   like another, shorter-coded identifier and is refused.
2. Every non-ASCII character is a letter or a mark of a script: no non-ASCII digit,
   punctuation, symbol or space (U+2010 HYPHEN prints like ``-``, U+0660 ARABIC-INDIC
   DIGIT ZERO like ``.``), and no mark or letter that belongs to no script (combining
   marks such as U+0307, variation selectors, modifier letters such as U+02BC, and the
   other words in `_NOT_SCRIPTS`). A character's script is the first word of its
   Unicode name (``CYRILLIC``, ``GREEK``, ``ARMENIAN``, ...), with ``CJK`` and
   ``IDEOGRAPHIC`` read as ``HAN`` (see `_SAME_SCRIPT`); ASCII letters are ``LATIN``;
   ASCII digits and punctuation belong to every script. A character Python's Unicode
   database has no name for is refused.
3. Its letters come from one script, or from the combinations UTS #39 calls highly
   restrictive: Latin with Han and Hiragana and Katakana, with Han and Hangul, or with
   Han and Bopomofo (any part of one of these, `_MIXES`).
4. It is not made, apart from ASCII, only of letters that look like ASCII letters or
   digits (`_LOOKALIKES`: Cyrillic, Greek, Armenian, Cherokee, Lisu, Coptic, Tifinagh,
   Georgian, Hebrew and Arabic look-alikes, and Latin small capitals, dotless i and the
   like): an all-Cyrillic id that prints like ``"aeopcyx"`` is refused, while the
   Cyrillic word for agent followed by ``-001`` is kept, since two of its letters (EN
   and TE) look like no ASCII letter.

The look-alike table is a curated subset of UTS #39 ``confusables.txt``, not all of it;
ASCII itself is never analysed (``l`` and ``1``, ``O`` and ``0`` stay distinct ids).
"""

from __future__ import annotations

import functools
import unicodedata

_NOT_SCRIPTS = frozenset(
    {
        "CARON",
        "COMBINING",
        "MASU",
        "MODIFIER",
        "MUSICAL",
        "PHAISTOS",
        "ROMAN",
        "TURNED",
        "VARIATION",
        "VEDIC",
        "VERTICAL",
        "VIETNAMESE",
        "ZNAMENNY",
    }
)
"""First words of letter and mark names that name no script: those characters are refused."""

_SAME_SCRIPT = {
    "CJK": "HAN",
    "IDEOGRAPHIC": "HAN",
    "HENTAIGANA": "HIRAGANA",
    "KATAKANA-HIRAGANA": "KATAKANA",
}
"""First words that name a script by another name."""

_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
)
"""The script combinations an identifier may use besides a single script (UTS #39)."""

_LOOKALIKE_ROWS: dict[str, tuple[str, ...]] = {
    "a": (
        "\N{LATIN SMALL LETTER ALPHA}",
        "\N{CYRILLIC SMALL LETTER A}",
        "\N{GREEK SMALL LETTER ALPHA}",
    ),
    "A": (
        "\N{LATIN LETTER SMALL CAPITAL A}",
        "\N{CYRILLIC CAPITAL LETTER A}",
        "\N{GREEK CAPITAL LETTER ALPHA}",
        "\N{CHEROKEE LETTER GO}",
        "\N{LISU LETTER A}",
        "\N{CANADIAN SYLLABICS CARRIER GHO}",
    ),
    "b": (
        "\N{LATIN CAPITAL LETTER TONE SIX}",
        "\N{CYRILLIC SMALL LETTER SOFT SIGN}",
        "\N{CYRILLIC CAPITAL LETTER SOFT SIGN}",
    ),
    "B": (
        "\N{LATIN LETTER SMALL CAPITAL B}",
        "\N{CYRILLIC CAPITAL LETTER VE}",
        "\N{GREEK CAPITAL LETTER BETA}",
        "\N{CHEROKEE LETTER YV}",
        "\N{LISU LETTER BA}",
    ),
    "c": (
        "\N{LATIN LETTER SMALL CAPITAL C}",
        "\N{CYRILLIC SMALL LETTER ES}",
        "\N{COPTIC SMALL LETTER SIMA}",
    ),
    "C": (
        "\N{CYRILLIC CAPITAL LETTER ES}",
        "\N{CHEROKEE LETTER TLI}",
        "\N{LISU LETTER CA}",
        "\N{COPTIC CAPITAL LETTER SIMA}",
        "\N{CANADIAN SYLLABICS TA}",
    ),
    "d": ("\N{CYRILLIC SMALL LETTER KOMI DE}",),
    "D": (
        "\N{LATIN LETTER SMALL CAPITAL D}",
        "\N{CHEROKEE LETTER A}",
        "\N{LISU LETTER DA}",
        "\N{CANADIAN SYLLABICS CARRIER PE}",
    ),
    "e": ("\N{CYRILLIC SMALL LETTER IE}", "\N{CYRILLIC SMALL LETTER ABKHASIAN CHE}"),
    "E": (
        "\N{LATIN LETTER SMALL CAPITAL E}",
        "\N{CYRILLIC CAPITAL LETTER IE}",
        "\N{GREEK CAPITAL LETTER EPSILON}",
        "\N{CHEROKEE LETTER GV}",
        "\N{LISU LETTER E}",
    ),
    "F": ("\N{GREEK LETTER DIGAMMA}", "\N{LISU LETTER TSA}"),
    "g": ("\N{LATIN SMALL LETTER SCRIPT G}", "\N{ARMENIAN SMALL LETTER CO}"),
    "G": (
        "\N{LATIN LETTER SMALL CAPITAL G}",
        "\N{CYRILLIC CAPITAL LETTER KOMI SJE}",
        "\N{CHEROKEE LETTER NAH}",
        "\N{LISU LETTER GA}",
    ),
    "h": (
        "\N{CYRILLIC SMALL LETTER SHHA}",
        "\N{CYRILLIC CAPITAL LETTER SHHA}",
        "\N{ARMENIAN SMALL LETTER HO}",
    ),
    "H": (
        "\N{LATIN LETTER SMALL CAPITAL H}",
        "\N{CYRILLIC CAPITAL LETTER EN}",
        "\N{GREEK CAPITAL LETTER ETA}",
        "\N{CHEROKEE LETTER MI}",
        "\N{LISU LETTER XA}",
        "\N{COPTIC CAPITAL LETTER HATE}",
    ),
    "i": (
        "\N{LATIN SMALL LETTER DOTLESS I}",
        "\N{LATIN SMALL LETTER IOTA}",
        "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}",
        "\N{GREEK SMALL LETTER IOTA}",
        "\N{CHEROKEE LETTER V}",
    ),
    "I": (
        "\N{LATIN LETTER SMALL CAPITAL I}",
        "\N{CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I}",
        "\N{GREEK CAPITAL LETTER IOTA}",
        "\N{LISU LETTER I}",
        "\N{TIFINAGH LETTER YAN}",
    ),
    "j": (
        "\N{LATIN SMALL LETTER DOTLESS J}",
        "\N{CYRILLIC SMALL LETTER JE}",
        "\N{GREEK LETTER YOT}",
    ),
    "J": (
        "\N{LATIN LETTER SMALL CAPITAL J}",
        "\N{CYRILLIC CAPITAL LETTER JE}",
        "\N{GREEK CAPITAL LETTER YOT}",
        "\N{CHEROKEE LETTER GU}",
        "\N{LISU LETTER JA}",
    ),
    "K": (
        "\N{LATIN LETTER SMALL CAPITAL K}",
        "\N{CYRILLIC CAPITAL LETTER KA}",
        "\N{GREEK CAPITAL LETTER KAPPA}",
        "\N{CHEROKEE LETTER TSO}",
        "\N{LISU LETTER KA}",
        "\N{COPTIC CAPITAL LETTER KAPA}",
    ),
    "l": (
        "\N{LATIN LETTER DENTAL CLICK}",
        "\N{LATIN CAPITAL LETTER IOTA}",
        "\N{CYRILLIC LETTER PALOCHKA}",
        "\N{CYRILLIC SMALL LETTER PALOCHKA}",
        "\N{HEBREW LETTER VAV}",
        "\N{HEBREW LETTER FINAL NUN}",
        "\N{ARABIC LETTER ALEF}",
    ),
    "L": (
        "\N{LATIN LETTER SMALL CAPITAL L}",
        "\N{CHEROKEE LETTER TLE}",
        "\N{LISU LETTER LA}",
        "\N{COPTIC CAPITAL LETTER L-SHAPED HA}",
        "\N{CANADIAN SYLLABICS MA}",
    ),
    "M": (
        "\N{LATIN LETTER SMALL CAPITAL M}",
        "\N{CYRILLIC CAPITAL LETTER EM}",
        "\N{GREEK CAPITAL LETTER MU}",
        "\N{CHEROKEE LETTER LU}",
        "\N{LISU LETTER MA}",
        "\N{COPTIC CAPITAL LETTER MI}",
    ),
    "n": ("\N{ARMENIAN SMALL LETTER VO}", "\N{CYRILLIC SMALL LETTER PE}"),
    "N": (
        "\N{LATIN LETTER SMALL CAPITAL N}",
        "\N{GREEK CAPITAL LETTER NU}",
        "\N{LISU LETTER NA}",
        "\N{COPTIC CAPITAL LETTER NI}",
    ),
    "o": (
        "\N{LATIN LETTER SMALL CAPITAL O}",
        "\N{CYRILLIC SMALL LETTER O}",
        "\N{GREEK SMALL LETTER OMICRON}",
        "\N{ARMENIAN SMALL LETTER OH}",
        "\N{COPTIC SMALL LETTER O}",
        "\N{HEBREW LETTER SAMEKH}",
        "\N{ARABIC LETTER HEH}",
    ),
    "O": (
        "\N{CYRILLIC CAPITAL LETTER O}",
        "\N{GREEK CAPITAL LETTER OMICRON}",
        "\N{ARMENIAN CAPITAL LETTER OH}",
        "\N{COPTIC CAPITAL LETTER O}",
        "\N{LISU LETTER O}",
        "\N{TIFINAGH LETTER YAR}",
    ),
    "p": (
        "\N{CYRILLIC SMALL LETTER ER}",
        "\N{GREEK SMALL LETTER RHO}",
        "\N{COPTIC SMALL LETTER RO}",
    ),
    "P": (
        "\N{LATIN LETTER SMALL CAPITAL P}",
        "\N{CYRILLIC CAPITAL LETTER ER}",
        "\N{GREEK CAPITAL LETTER RHO}",
        "\N{CHEROKEE LETTER TLV}",
        "\N{LISU LETTER PA}",
        "\N{COPTIC CAPITAL LETTER RO}",
    ),
    "q": ("\N{CYRILLIC SMALL LETTER QA}", "\N{ARMENIAN SMALL LETTER ZA}"),
    "Q": ("\N{CYRILLIC CAPITAL LETTER QA}",),
    "r": ("\N{CYRILLIC SMALL LETTER GHE}",),
    "R": (
        "\N{LATIN LETTER SMALL CAPITAL R}",
        "\N{CHEROKEE LETTER E}",
        "\N{CHEROKEE LETTER SV}",
        "\N{LISU LETTER ZHA}",
    ),
    "s": ("\N{LATIN LETTER SMALL CAPITAL S}", "\N{CYRILLIC SMALL LETTER DZE}"),
    "S": (
        "\N{CYRILLIC CAPITAL LETTER DZE}",
        "\N{ARMENIAN CAPITAL LETTER TIWN}",
        "\N{CHEROKEE LETTER DU}",
        "\N{LISU LETTER SA}",
    ),
    "T": (
        "\N{LATIN LETTER SMALL CAPITAL T}",
        "\N{CYRILLIC CAPITAL LETTER TE}",
        "\N{GREEK CAPITAL LETTER TAU}",
        "\N{CHEROKEE LETTER I}",
        "\N{LISU LETTER TA}",
        "\N{COPTIC CAPITAL LETTER TAU}",
    ),
    "u": (
        "\N{LATIN LETTER SMALL CAPITAL U}",
        "\N{LATIN SMALL LETTER V WITH HOOK}",
        "\N{ARMENIAN SMALL LETTER SEH}",
        "\N{GREEK SMALL LETTER UPSILON}",
    ),
    "U": (
        "\N{ARMENIAN CAPITAL LETTER SEH}",
        "\N{LISU LETTER U}",
        "\N{CANADIAN SYLLABICS TE}",
    ),
    "v": (
        "\N{LATIN LETTER SMALL CAPITAL V}",
        "\N{GREEK SMALL LETTER NU}",
        "\N{CYRILLIC SMALL LETTER IZHITSA}",
    ),
    "V": (
        "\N{CYRILLIC CAPITAL LETTER IZHITSA}",
        "\N{CHEROKEE LETTER DO}",
        "\N{LISU LETTER HA}",
        "\N{CANADIAN SYLLABICS PE}",
    ),
    "w": (
        "\N{LATIN LETTER SMALL CAPITAL W}",
        "\N{CYRILLIC SMALL LETTER WE}",
        "\N{CYRILLIC SMALL LETTER OMEGA}",
        "\N{GREEK SMALL LETTER OMEGA}",
        "\N{ARMENIAN SMALL LETTER AYB}",
    ),
    "W": ("\N{CYRILLIC CAPITAL LETTER WE}", "\N{CHEROKEE LETTER LA}", "\N{LISU LETTER WA}"),
    "x": ("\N{CYRILLIC SMALL LETTER HA}", "\N{COPTIC SMALL LETTER KHI}"),
    "X": (
        "\N{CYRILLIC CAPITAL LETTER HA}",
        "\N{GREEK CAPITAL LETTER CHI}",
        "\N{LISU LETTER SHA}",
        "\N{COPTIC CAPITAL LETTER KHI}",
    ),
    "y": (
        "\N{CYRILLIC SMALL LETTER U}",
        "\N{CYRILLIC SMALL LETTER STRAIGHT U}",
        "\N{GREEK SMALL LETTER GAMMA}",
        "\N{GEORGIAN LETTER QAR}",
    ),
    "Y": (
        "\N{LATIN LETTER SMALL CAPITAL Y}",
        "\N{CYRILLIC CAPITAL LETTER U}",
        "\N{GREEK CAPITAL LETTER UPSILON}",
        "\N{CYRILLIC CAPITAL LETTER STRAIGHT U}",
        "\N{LISU LETTER YA}",
        "\N{COPTIC CAPITAL LETTER UA}",
    ),
    "Z": (
        "\N{LATIN LETTER SMALL CAPITAL Z}",
        "\N{GREEK CAPITAL LETTER ZETA}",
        "\N{CHEROKEE LETTER NO}",
        "\N{LISU LETTER DZA}",
    ),
    "3": ("\N{LATIN CAPITAL LETTER EZH}", "\N{CYRILLIC CAPITAL LETTER ZE}"),
    "6": ("\N{CYRILLIC SMALL LETTER BE}",),
}

_LOOKALIKES = {char: ascii for ascii, chars in _LOOKALIKE_ROWS.items() for char in chars}
"""Non-ASCII letters that print like an ASCII letter or digit, and the one they print like."""


def describe(char: str) -> str:
    """``U+0430 CYRILLIC SMALL LETTER A``: a character named so that a reader can find it."""
    return f"U+{ord(char):04X} {unicodedata.name(char, '(no name)')}"


def _script(char: str) -> str | None:
    """The script of a non-ASCII letter or mark, or None for anything else (refused)."""
    if unicodedata.category(char)[0] not in "LM":
        return None
    word = unicodedata.name(char, "").split(" ", 1)[0]
    if not word or word in _NOT_SCRIPTS:
        return None
    return _SAME_SCRIPT.get(word, word)


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
    lookalike = True
    for char in value:
        if char.isascii():
            if char.isalpha():
                scripts.add("LATIN")
            continue
        script = _script(char)
        if script is None:
            return (
                "made of ASCII and the letters and marks of a script, "
                f"not {describe(char)} (category {unicodedata.category(char)})"
            )
        scripts.add(script)
        lookalike = lookalike and char in _LOOKALIKES
    if len(scripts) > 1 and not any(scripts <= mix for mix in _MIXES):
        return f"written in one script, not in {', '.join(sorted(scripts))}"
    if lookalike:
        skeleton = "".join(_LOOKALIKES.get(char, char) for char in value)
        return f"more than letters that look like ASCII (it prints like {skeleton!r})"
    return None
