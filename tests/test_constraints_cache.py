"""Cache keys distinguish types; bounded caches stay bounded and keep the first value."""

from __future__ import annotations

import threading

import pytest

from trust.constraints._cache import MISSING, BoundedCache, cache_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, 1.0),
        (1, True),
        (0, False),
        ([1, 2], (1, 2)),
        ({"a": [1]}, {"a": (1,)}),
        ("1", 1),
        ({"x": 1}, {"x": 1.0}),
    ],
)
def test_equal_values_of_different_types_get_different_keys(a: object, b: object) -> None:
    assert cache_key(a) != cache_key(b)


def test_equal_values_of_the_same_types_share_a_key() -> None:
    raw = {"resources": ["data/**", "logs/*.log"], "cost_limit": 10.5}
    assert cache_key(raw) == cache_key({"resources": ["data/**", "logs/*.log"], "cost_limit": 10.5})


def test_values_outside_builtin_types_are_not_cached() -> None:
    class Text(str):
        pass

    assert cache_key({"a": object()}) is None
    assert cache_key(Text("x")) is None
    assert cache_key({"a": Text("x")}) is None


def test_a_bounded_cache_drops_its_oldest_entry() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert len(cache) == 2
    assert cache.get("a") is MISSING
    assert cache.get("c") == 3
    cache.clear()
    assert len(cache) == 0


def test_the_first_value_stored_wins() -> None:
    cache: BoundedCache[str, object] = BoundedCache(8)
    first, second = object(), object()
    assert cache.put("k", first) is first
    assert cache.put("k", second) is first


def _in_threads(work: object, count: int = 8) -> None:
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        work(index)  # type: ignore[operator]

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_concurrent_writers_of_one_key_all_get_the_first_value() -> None:
    cache: BoundedCache[str, int] = BoundedCache(50)
    stored: list[int] = []
    _in_threads(lambda index: stored.append(cache.put("key", index)))
    assert len(set(stored)) == 1


def test_concurrent_writers_keep_the_bound() -> None:
    cache: BoundedCache[int, int] = BoundedCache(50)

    def write(index: int) -> None:
        for key in range(500):
            cache.put(key * 8 + index, key)

    _in_threads(write)
    assert len(cache) == 50
