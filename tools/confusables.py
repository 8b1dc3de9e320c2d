"""Generate ``trust/_generated/confusables.py``: which identifier characters print alike.

Source: the Unicode security data of UTS #39 (``confusables.txt`` and
``IdentifierStatus.txt``) as compiled into ICU, read through PyICU: ``SpoofChecker``'s
skeleton (the confusables mapping) and its recommended set (Identifier_Status=Allowed).
The header of the generated file names the ICU and Unicode versions it was made from.

Run it with PyICU importable (Debian: ``apt-get install python3-icu``) and the repository
on the path, then commit the result::

    PYTHONPATH=/usr/lib/python3/dist-packages:. .venv/bin/python tools/confusables.py
    .venv/bin/ruff format trust/_generated/confusables.py

What it computes, over the characters an identifier may hold (printable ASCII, and each
other character that is Allowed, in NFKC form and a letter or mark of a script):

- ``ALLOWED``: the Allowed ranges (non-ASCII), for the General Security Profile check.
- ``CLASSES``: for every such character that shares its skeleton with another one, the
  members of that class, ASCII digits and punctuation first, then ASCII letters, then
  Latin, then the other scripts by name (the order `trust._lookalikes` prefers them in).
- ``SEQUENCES``: the characters whose skeleton is that of two or more others in a row (an
  identifier holding one of them prints like one holding the others).

It then checks that the skeletons of the remaining characters form a uniquely decodable
code (Sardinas-Patterson): two strings of them with the same skeleton hold the same
classes at the same positions, which is what lets `trust._lookalikes` decide a class at a
time. It fails loudly if they do not.
"""

from __future__ import annotations

import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import icu  # type: ignore[import-not-found]

from trust._scripts import script

TARGET = Path(__file__).resolve().parent.parent / "trust" / "_generated" / "confusables.py"


MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
)
"""The script mixes an identifier may use besides one script (as in `trust._lookalikes`)."""


def main() -> None:
    checker = icu.SpoofChecker()
    recommended = checker.getRecommendedUnicodeSet()
    allowed = [cp for cp in range(0x80, 0x110000) if recommended.contains(chr(cp))]
    chars = [chr(cp) for cp in range(0x20, 0x7F)]
    chars += [
        chr(cp)
        for cp in allowed
        if unicodedata.normalize("NFKC", chr(cp)) == chr(cp) and script(chr(cp)) is not None
    ]
    skeleton = {char: checker.getSkeleton(0, char) for char in chars}
    classes, sequences = analyse(chars, skeleton)
    TARGET.write_text(_render(allowed, classes, sequences), encoding="utf-8")
    print(f"wrote {TARGET}: {len(classes)} classes, {len(sequences)} sequences")


def analyse(
    chars: list[str], skeleton: dict[str, str]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The classes of characters that print alike, and the characters that print like
    two or more others; exits if what is left is not uniquely decodable."""
    # A Hangul syllable is a block drawn whole: its skeleton spells out its jamo, which
    # makes blocks that split the same jamo differently (U+AC01 U+AC00, U+AC00 U+AE4C)
    # "confusable" although they print nothing alike. Each block stands for itself.
    skeleton = {
        char: char if unicodedata.name(char, "").startswith("HANGUL SYLLABLE") else word
        for char, word in skeleton.items()
    }
    words: dict[str, list[str]] = defaultdict(list)
    for char in chars:
        words[skeleton[char]].append(char)
    # The script sets an accepted identifier may use (`envelopes`); a word fits one when
    # some character with that skeleton may stand in such an identifier.
    scripts = {script(c) for c in chars} - {None}
    envelopes = list(MIXES) + [
        frozenset({s}) for s in sorted(scripts) if not any(s in m for m in MIXES)
    ]  # type: ignore[misc]
    fits = {
        word: sum(
            1 << i
            for i, envelope in enumerate(envelopes)
            if any(script(c) is None or script(c) in envelope for c in members)
        )
        for word, members in words.items()
    }
    sequences = {}
    for char in chars:
        word = skeleton[char]
        found = _spelled_otherwise(word, fits) if not char.isascii() and len(word) > 1 else 0
        if found:
            envelope = envelopes[(found & -found).bit_length() - 1]
            sequences[char] = _spell(word, envelope, words)
    classes = {
        key: sorted(members, key=_rank)
        for key, members in words.items()
        if len(members) > 1 and not any(m in sequences for m in members)
    }
    for i, envelope in enumerate(envelopes):
        code = {
            word
            for word, members in words.items()
            if fits[word] >> i & 1 and any(c not in sequences for c in members)
        }
        # ASCII's own look-alikes are left alone: "m" prints like "r" "n", both ASCII.
        code -= {
            word
            for word in code
            if all(c.isascii() for c in words[word] if c not in sequences)
            and _two_or_more(word, code - {word})
        }
        ambiguity = _ambiguity(code)
        if ambiguity is not None:
            sys.exit(f"{sorted(envelope)}: not uniquely decodable at {ambiguity!r}")
    return classes, sequences


def _spelled_otherwise(word: str, fits: dict[str, int]) -> int:
    # The envelopes (a bit each) in which ``word`` is two or more skeletons in a row.
    reach = [0] * (len(word) + 1)
    reach[0] = -1  # every envelope
    for end in range(1, len(word) + 1):
        for start in range(end):
            if (start, end) != (0, len(word)) and reach[start]:
                reach[end] |= reach[start] & fits.get(word[start:end], 0)
    return reach[len(word)]


def _rank(char: str) -> tuple[int, str, int]:
    if char.isascii():
        return (1 if char.isalpha() else 0, "", ord(char))
    name = script(char) or ""
    return (2 if name == "LATIN" else 3, name, ord(char))


def _two_or_more(word: str, parts: set[str]) -> bool:
    # Splittable into pieces from ``parts``, none of them the whole word.
    ways = [False] * (len(word) + 1)
    ways[0] = True
    for end in range(1, len(word) + 1):
        ways[end] = any(
            ways[start] and word[start:end] in parts and (start, end) != (0, len(word))
            for start in range(end)
        )
    return ways[len(word)]


def _spell(word: str, envelope: frozenset[str], words: dict[str, list[str]]) -> str:
    # One way to write ``word`` with two or more characters of ``envelope``.
    def fitting(piece: str) -> list[str]:
        return [c for c in words.get(piece, ()) if script(c) is None or script(c) in envelope]

    spelled: list[str | None] = [""] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(end):
            members = fitting(word[start:end])
            if (start, end) != (0, len(word)) and spelled[start] is not None and members:
                spelled[end] = f"{spelled[start]}{min(members, key=_rank)}"
                break
    result = spelled[len(word)]
    assert result is not None
    return result


def _ambiguity(code: set[str]) -> str | None:
    """A codeword reached as a dangling suffix (so ``code`` is not uniquely decodable)."""
    longer: dict[str, list[str]] = defaultdict(list)  # proper prefix -> codewords
    for word in code:
        for end in range(1, len(word)):
            longer[word[:end]].append(word)

    def step(suffix: str) -> set[str]:
        out = {word[len(suffix) :] for word in longer.get(suffix, ())}
        out |= {suffix[end:] for end in range(1, len(suffix)) if suffix[:end] in code}
        return out

    current = {w[len(u) :] for u in code for w in longer.get(u, ())}
    seen: set[str] = set()
    while current:
        hit = current & code
        if hit:
            return min(hit)
        seen |= current
        current = {s for suffix in current for s in step(suffix)} - seen
    return None


def _render(allowed: list[int], classes: dict[str, list[str]], sequences: dict[str, str]) -> str:
    ranges: list[tuple[int, int]] = []
    for cp in allowed:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    flat = ", ".join(f"0x{a:X}, 0x{b:X}" for a, b in ranges)
    members = {char: "".join(group) for group in classes.values() for char in group}
    lines = [
        "# Generated by tools/confusables.py. Do not edit: regenerate.",
        "# ruff: noqa: E501  (generated data: a class of look-alikes stays on one line)",
        '"""Which identifier characters print alike: data for `trust._lookalikes`.',
        "",
        f"Source: ICU {icu.ICU_VERSION} (Unicode {icu.UNICODE_VERSION} security data:",
        f"confusables.txt and IdentifierStatus.txt), read through PyICU {icu.VERSION}; characters",
        f"classified with Python's unicodedata {unicodedata.unidata_version}.",
        '"""',
        "",
        "from typing import Final",
        "",
        f'ICU_VERSION: Final = "{icu.ICU_VERSION}"',
        f'UNICODE_VERSION: Final = "{icu.UNICODE_VERSION}"',
        "",
        "# Identifier_Status=Allowed, outside ASCII: (first, last) code points, flattened.",
        f"ALLOWED: Final[tuple[int, ...]] = ({flat},)",
        "",
        "# A character -> every character with its skeleton, in order of preference.",
        "CLASSES: Final[dict[str, str]] = {",
        *(f"    {char!a}: {group!a}," for char, group in sorted(members.items())),
        "}",
        "",
        "# A character -> the characters in a row that it prints like.",
        "SEQUENCES: Final[dict[str, str]] = {",
        *(f"    {char!a}: {spelled!a}," for char, spelled in sorted(sequences.items())),
        "}",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
