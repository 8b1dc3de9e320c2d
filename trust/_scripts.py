"""The script a character of an identifier belongs to, read off its Unicode name.

Python's `unicodedata` has no Script property; the first word of a letter's or mark's
name names its script (``CYRILLIC``, ``GREEK``, ``ARMENIAN``, ...), with the few aliases in
`SAME_SCRIPT` folded together. Shared by the identifier check (`trust._lookalikes`) and the
script that generates its confusables table (``tools/confusables.py``), so both read
scripts the same way.
"""

from __future__ import annotations

import unicodedata

NOT_SCRIPTS = frozenset(
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

SAME_SCRIPT = {
    "CJK": "HAN",
    "IDEOGRAPHIC": "HAN",
    "HENTAIGANA": "HIRAGANA",
    "KATAKANA-HIRAGANA": "KATAKANA",
}
"""First words that name a script by another name."""


def script(char: str) -> str | None:
    """The script of a letter or mark (``LATIN`` for ASCII letters), or None for anything else.

    None also for a letter or mark whose name names no script (`NOT_SCRIPTS`) and for a
    character Python's Unicode database has no name for: such characters are refused.
    """
    if char.isascii():
        return "LATIN" if char.isalpha() else None
    if unicodedata.category(char)[0] not in "LM":
        return None
    word = unicodedata.name(char, "").split(" ", 1)[0]
    if not word or word in NOT_SCRIPTS:
        return None
    return SAME_SCRIPT.get(word, word)
