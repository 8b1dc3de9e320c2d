"""Bounded, thread-safe caches, and the keys under which raw constraint values are cached.

A cache is bounded in entries and, when it is given a ``weigh`` function, in bytes too: an
entry count alone does not bound memory when a key can be a 4,096-character path.

Parsing a constraint set on every `evaluate` would dominate the hot path, so parsed values
are cached. A raw value is usually a dict of lists and strings, which cannot be a dict
key; `cache_key` serialises it with `marshal`, which only accepts exact builtin types and
writes each value with its type, so two raw values share a key only if they are equal
with the same types (``1``, ``1.0`` and ``True`` hash alike but parse differently: a bool
is refused). Two equal values may get different keys (say, sets built in another order);
that only costs a cache miss.
"""

from __future__ import annotations

import marshal
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from trust._errors import InvalidValueError
from trust._exact import exact_int
from trust._validators import shown

K = TypeVar("K")
V = TypeVar("V")


def cache_key(value: object) -> bytes | None:
    """A key equal for two values only if they are equal with the same types, or None.

    None means the value holds something other than exact builtin str, bytes, numbers,
    None, list, tuple, dict, set or frozenset (a subclass might compare differently), and
    must not be cached.
    """
    try:
        # marshal itself refuses what it cannot write; that refusal is the check.
        return marshal.dumps(value, 2)  # type: ignore[arg-type]
    except ValueError:
        return None


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
"""What `BoundedCache.get` returns for an absent key (None may be a cached value)."""


class BoundedCache(Generic[K, V]):
    """A mapping of at most ``max_size`` entries (and ``max_bytes``); the oldest go first.

    With ``weigh`` (the bytes an entry holds, say its key's `sys.getsizeof`), the entries
    also weigh at most ``max_bytes`` together; an entry heavier than that alone is
    returned but never stored. Writers take the lock, so concurrent `put` calls never lose
    a bound or store two values for one key: the first value stored wins and every caller
    gets it. Readers do not: a single dict lookup is atomic, and a reader racing a writer
    sees the entry either absent (and computes it again) or present, never half-written.

    Raises:
        InvalidValueError: A bound is not a positive int, or only one of ``max_bytes``
            and ``weigh`` is given.
    """

    def __init__(
        self,
        max_size: int,
        *,
        max_bytes: int | None = None,
        weigh: Callable[[K, V], int] | None = None,
    ) -> None:
        size = exact_int(max_size)
        if size is None or size < 1:
            raise InvalidValueError(f"max_size must be a positive int, got {shown(max_size)}")
        byte_bound = None if max_bytes is None else exact_int(max_bytes)
        if max_bytes is not None and (byte_bound is None or byte_bound < 1):
            raise InvalidValueError(f"max_bytes must be a positive int, got {shown(max_bytes)}")
        if (max_bytes is None) != (weigh is None):
            raise InvalidValueError(
                f"max_bytes and weigh must be given together, got max_bytes={shown(max_bytes)}"
            )
        self._max_size = size
        self._max_bytes = byte_bound
        self._weigh = weigh
        self._data: dict[K, V] = {}
        self._weights: dict[K, int] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | _Missing:
        return self._data.get(key, MISSING)

    def put(self, key: K, value: V, *, replace: bool = False) -> V:
        """Store ``value`` unless ``key`` is already present; return the stored value.

        With ``replace``, ``value`` takes the place of what ``key`` holds: for entries
        tagged with what they were computed under (a registry generation), so that a stale
        entry is refreshed rather than kept until it is evicted.
        """
        weight = 0 if self._weigh is None else self._weigh(key, value)
        with self._lock:
            stored = self._data.get(key, MISSING)
            if not isinstance(stored, _Missing):
                if not replace:
                    return stored
                del self._data[key]
                self._bytes -= self._weights.pop(key, 0)
            if self._max_bytes is not None:
                if weight > self._max_bytes:
                    return value
                while self._data and self._bytes + weight > self._max_bytes:
                    self._drop_oldest()
            if len(self._data) >= self._max_size:
                self._drop_oldest()
            self._data[key] = value
            if self._max_bytes is not None:
                self._weights[key] = weight
                self._bytes += weight
            return value

    def _drop_oldest(self) -> None:
        oldest = next(iter(self._data))
        del self._data[oldest]
        self._bytes -= self._weights.pop(oldest, 0)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._weights.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)

    @property
    def weight(self) -> int:
        """The bytes the entries weigh together (0 without ``weigh``)."""
        return self._bytes
