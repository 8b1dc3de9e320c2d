"""Hostile values shared by the suites: builtin subclasses that lie about what they are.

Each one holds an honest value but overrides the operators a decision might use, so a
decision that trusts them reaches the wrong verdict. Every decision must read such values
through `trust._exact` (or refuse them), and behave as it would on the value they hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any


class LyingStr(str):
    """Equal to, and hashing like, every other LyingStr: it hits any cached verdict."""

    __slots__ = ()

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def startswith(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def endswith(self, *args: Any, **kwargs: Any) -> bool:
        return True

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # looks like a plain str to ``x.__class__ is str``
        return str


class LyingFloat(float):
    """A float that is at most, and never more than, anything."""

    __slots__ = ()

    def __le__(self, other: object) -> bool:
        return True

    def __lt__(self, other: object) -> bool:
        return True

    def __ge__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return False

    def __float__(self) -> float:
        return 0.0

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return float


class LyingInt(int):
    """An int that is at most, and never more than, anything."""

    __slots__ = ()

    def __le__(self, other: object) -> bool:
        return True

    def __lt__(self, other: object) -> bool:
        return True

    def __ge__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return False

    def __int__(self) -> int:
        return 0

    def __index__(self) -> int:
        return 0

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return int


class LyingDatetime(datetime):
    """A datetime that says it is noon UTC, whatever it holds."""

    def astimezone(self, tz: Any = None) -> datetime:
        return datetime(2025, 1, 15, 12, 0, tzinfo=tz)

    def time(self) -> Any:
        return datetime(2025, 1, 15, 12, 0).time()

    def __le__(self, other: object) -> bool:
        return True

    def __ge__(self, other: object) -> bool:
        return True


class ShiftyMapping(Mapping[str, Any]):
    """A mapping that shows ``first`` on the first read of each key and ``later`` after."""

    def __init__(self, first: Mapping[str, Any], later: Mapping[str, Any]) -> None:
        self._first = dict(first)
        self._later = dict(later)
        self._read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        if key in self._read:
            return self._later[key]
        self._read.add(key)
        return self._first[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)
