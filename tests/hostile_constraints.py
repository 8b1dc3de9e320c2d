"""More hostile values, for the constraint suites (with those of `tests.hostile`).

Each holds an honest value and lies about it through one door a decision might use:
hashing and comparing like another string, one comparison operator, a mapping that
cannot be read, an exception that cannot be printed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class Posing(str):
    """Holds one string; hashes, compares, strips and folds like ``like``.

    A dict or set lookup by it finds ``like``'s entry, and a parse that strips or folds it
    reads ``like``.
    """

    __slots__ = ("_like",)

    def __new__(cls, held: str, like: str) -> Posing:
        made = super().__new__(cls, held)
        made._like = like
        return made

    def __hash__(self) -> int:
        return hash(self._like)

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def strip(self, chars: str | None = None) -> str:
        return self._like

    def lower(self) -> str:
        return self._like

    def casefold(self) -> str:
        return self._like


class LeLies(int):
    """An honest int except that it is at most anything (``<=``), and says it is an int."""

    __slots__ = ()

    def __le__(self, other: object) -> bool:
        return True

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return int


class BrokenMapping(Mapping[str, Any]):
    """A mapping every read of which raises."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("boom")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("boom")

    def __len__(self) -> int:
        raise RuntimeError("boom")


class Unprintable(Exception):
    """An exception whose message cannot be read."""

    def __str__(self) -> str:
        raise RuntimeError("no message for you")
