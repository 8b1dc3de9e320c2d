"""Capability and tool names matched by word sequence, not by exact spelling.

A listed name matches a requested name when the listed name's words appear, in order and
next to each other, among the requested name's words. Words are split on ``_``, ``-``,
``.``, ``/`` and blanks, and at camelCase boundaries, and compared case-blind: ``delete``
catches ``delete_records``, ``http_delete_request`` and ``deleteRecords``, and not
``undelete_preview`` (``undelete`` is another word). Exact matching failed open: a list
of risky names missed every longer name built on them.

A requested name the rule cannot read is refused rather than matched or not (fail
closed): longer than `MAX_NAME_LENGTH`, holding control or invisible characters, or
non-ASCII text that could pass for another name (`trust._lookalikes`, as for ids): a
Cyrillic ``e`` (U+0435) in ``delete`` must not slip past the Latin one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trust import _lookalikes
from trust._errors import InvalidValueError
from trust._exact import exact_str
from trust._shown import SHOWN
from trust._validators import MAX_ID_LENGTH, shown

MAX_NAME_LENGTH = MAX_ID_LENGTH
"""Requested names longer than this are refused: they are names, not payloads."""

Words = tuple[str, ...]

# Anything that is not a letter or a digit separates words: a name glued by any
# punctuation (``db:delete``, ``rm+delete``, ``(delete)``) must not hide a listed word.
_SEPARATORS = re.compile(r"[\W_]+")
# A boundary inside a part: before an upper-case letter that follows a lower-case letter
# or a digit (``deleteRecords``), before the last capital of an acronym that starts a word
# (``HTTPDelete`` -> ``HTTP Delete``), and between letters and digits (``v2delete``).
_CAMEL = re.compile(
    r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])"
)


def words(name: str) -> Words:
    """The lower-case words of ``name`` (an exact `str`)."""
    return tuple(
        word.lower()
        for part in _SEPARATORS.split(name)
        if part
        for word in _CAMEL.sub(" ", part).split(" ")
        if word
    )


class WordMatcher:
    """Listed names, matched against requested names by word sequence.

    Args:
        names: The listed names (capabilities or tools), each an exact string with at
            least one word.
        field: What the names are, for errors (``"sensitive_capabilities"``).

    Raises:
        InvalidValueError: a listed name has no word (blank, or separators only).
    """

    __slots__ = ("_lengths", "_listed", "names")

    def __init__(self, names: Iterable[str], field: str) -> None:
        listed: dict[Words, str] = {}
        for name in names:
            split = words(name)
            if not split:
                raise InvalidValueError(
                    f"{field} must hold names with at least one word, got {shown(name)}"
                )
            listed.setdefault(split, "_".join(split))
        self._listed = frozenset(listed)
        self._lengths = sorted({len(w) for w in listed})
        self.names: tuple[str, ...] = tuple(sorted(listed.values()))
        """The listed names, normalised (lower case, words joined by ``_``), sorted."""

    def refusal(self, name: object, field: str) -> str | None:
        """Why ``name`` cannot be matched (see the module), or None if it can."""
        text = exact_str(name)
        if text is None:
            return f"{field} must be a string, got {shown(name)}"
        if len(text) > MAX_NAME_LENGTH:
            # Quoted from a slice: repr of the whole name would copy all of it.
            return (
                f"{field} must be at most {MAX_NAME_LENGTH} characters, got one of "
                f"{len(text)} starting {shown(text[:SHOWN])}"
            )
        if not text.isprintable():
            return f"{field} must not hold control or invisible characters, got {shown(text)}"
        if not text.isascii():
            rule = _lookalikes.refusal(text.strip())
            if rule is not None:
                return f"{field} must be {rule}, got {shown(text)}"
        return None

    def matches(self, name: str) -> bool:
        """Whether a listed name's words run, in order, among ``name``'s words.

        ``name`` must have passed `refusal` (an exact, bounded, printable `str`).
        """
        split = words(name)
        listed = self._listed
        for length in self._lengths:
            for start in range(len(split) - length + 1):
                if split[start : start + length] in listed:
                    return True
        return False
