"""Bounded, thread-safe caches, and the keys under which raw constraint values are cached.

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
from typing import Generic, TypeVar

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
    """A mapping of at most ``max_size`` entries; when full, the oldest entry is dropped.

    Writers take the lock, so concurrent `put` calls never lose the size bound or store
    two values for one key: the first value stored wins and every caller gets it. Readers
    do not: a single dict lookup is atomic, and a reader racing a writer sees the entry
    either absent (and computes it again) or present, never half-written.
    """

    def __init__(self, max_size: int) -> None:
        self._max_size = max_size
        self._data: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | _Missing:
        return self._data.get(key, MISSING)

    def put(self, key: K, value: V) -> V:
        """Store ``value`` unless ``key`` is already present; return the stored value."""
        with self._lock:
            stored = self._data.get(key, MISSING)
            if not isinstance(stored, _Missing):
                return stored
            if len(self._data) >= self._max_size:
                del self._data[next(iter(self._data))]
            self._data[key] = value
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
